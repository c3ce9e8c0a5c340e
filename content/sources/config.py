"""A data source's configuration, checked field by field (errors name the field and the fix)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

KINDS = ("opensid", "opendk", "ckan", "csv", "json", "cap", "bmkg")
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
MIN_POLL_S = 60
MAX_TIMEOUT_S = 120.0
MAX_BYTES_LIMIT = 50 * 1024 * 1024


class SourceConfigError(ValueError):
    """A bad setting, named by ``field``; ``errors`` holds every one found in the same check (this one first)."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.errors: list[SourceConfigError] = [self]


def raise_all(problems: list[SourceConfigError]) -> None:
    """Raise the first of ``problems`` carrying them all (a form marks every field at once)."""
    if problems:
        first = problems[0]
        first.errors = list(problems)
        raise first


@dataclass(frozen=True)
class SourceConfig:
    """``options`` are kind-specific, e.g. OpenSID ``categories`` (slugs), ``wilayah``/``feed`` (bool), ``timezone``."""

    id: str
    kind: str
    url: str
    name: str = ""
    poll_interval_s: int = 3600
    timeout_s: float = 20.0
    max_bytes: int = 5 * 1024 * 1024
    username: str | None = None
    password: str | None = None
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return self.url.rstrip("/")

    @property
    def auth(self) -> tuple[str, str] | None:
        return (self.username, self.password or "") if self.username else None

    def to_row(self) -> dict[str, Any]:
        """Columns of ``data_sources`` (credentials stay in ``config``; the CLI never prints them)."""
        config = {"name": self.name, "timeout_s": self.timeout_s, "max_bytes": self.max_bytes,
                  "username": self.username, "password": self.password, "options": self.options}  # fmt: skip
        return {"id": self.id, "kind": self.kind, "url": self.url, "config": config, "refresh_s": self.poll_interval_s}

    @classmethod
    def from_row(cls, row: dict[str, Any], config: dict[str, Any]) -> SourceConfig:
        return checked(
            id=row["id"], kind=row["kind"], url=row["url"], poll_interval_s=row.get("refresh_s") or 3600,
            name=config.get("name") or "", timeout_s=config.get("timeout_s", 20.0),
            max_bytes=config.get("max_bytes", 5 * 1024 * 1024), username=config.get("username"),
            password=config.get("password"), options=config.get("options") or {},
        )  # fmt: skip


def checked(**values: Any) -> SourceConfig:
    """Build a :class:`SourceConfig`, refusing bad values with the field name and what to do (every bad value at
    once: the error raised is the first, its ``errors`` all of them)."""
    problems: list[SourceConfigError] = []
    source_id = str(values.get("id") or "")
    if not ID_RE.match(source_id):
        problems.append(SourceConfigError("id", "use lowercase letters, digits and '-', e.g. 'desa-antibar'"))
    kind = str(values.get("kind") or "")
    if kind not in KINDS:
        problems.append(SourceConfigError("kind", f"unknown kind {kind!r}; choose one of {', '.join(KINDS)}"))
    url = str(values.get("url") or "")
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        problems.append(SourceConfigError("url", "give the site's address, e.g. https://antibar.desa.id"))
    poll_s, timeout_s, max_bytes = 3600, 20.0, 5 * 1024 * 1024
    try:
        poll_s = int(values.get("poll_interval_s", 3600))
        timeout_s = float(values.get("timeout_s", 20.0))
        max_bytes = int(values.get("max_bytes", 5 * 1024 * 1024))
    except (TypeError, ValueError) as exc:
        problems.append(SourceConfigError("poll_interval_s/timeout_s/max_bytes", f"must be numbers ({exc})"))
    else:
        if poll_s < MIN_POLL_S:
            problems.append(SourceConfigError("poll_interval_s",
                                              f"at least {MIN_POLL_S} s (village servers are small)"))  # fmt: skip
        if not 0 < timeout_s <= MAX_TIMEOUT_S:
            problems.append(SourceConfigError("timeout_s", f"between 0 and {MAX_TIMEOUT_S:g} s"))
        if not 1024 <= max_bytes <= MAX_BYTES_LIMIT:
            problems.append(SourceConfigError("max_bytes", f"between 1024 and {MAX_BYTES_LIMIT} bytes"))
    options = values.get("options") or {}
    if not isinstance(options, dict):
        problems.append(SourceConfigError("options", "must be a mapping"))
        options = {}
    categories = options.get("categories")
    if categories is not None and (
        not isinstance(categories, list) or not all(isinstance(c, str) and c for c in categories)
    ):
        problems.append(SourceConfigError("options.categories", "a list of OpenSID slugs, e.g. [agama, pekerjaan]"))
    elif kind in KINDS:
        try:
            _check_kind_options(kind, options)
        except SourceConfigError as exc:
            problems.extend(exc.errors)
    raise_all(problems)
    return SourceConfig(
        id=source_id, kind=kind, url=url, name=str(values.get("name") or ""), poll_interval_s=poll_s,
        timeout_s=timeout_s, max_bytes=max_bytes, username=values.get("username") or None,
        password=values.get("password") or None, options=dict(options),
    )  # fmt: skip


def _check_kind_options(kind: str, options: dict[str, Any]) -> None:
    from content.sources.mapping import MappingError, check_mappings

    if kind == "ckan" and not str(options.get("resource_id") or "").strip():
        raise SourceConfigError("options.resource_id", "the CKAN resource id of the datastore table")
    if kind in ("ckan", "csv", "json"):
        if "mapping" not in options:
            raise SourceConfigError("options.mapping", 'how records become a series, e.g. {"series": "agama", '
                                    '"label": "agama", "value": "jumlah"}')  # fmt: skip
        try:
            check_mappings(options["mapping"])
        except MappingError as exc:
            raise SourceConfigError(exc.field, str(exc).split(": ", 1)[1]) from None
    if kind == "ckan" and "filters" in options and not isinstance(options["filters"], dict):
        raise SourceConfigError("options.filters", 'an object, e.g. {"kecamatan": "MEMPAWAH HILIR"}')
    if kind == "cap":
        areas = options.get("areas")
        if (
            not isinstance(areas, dict)
            or not areas
            or not all(
                isinstance(k, str) and isinstance(v, list) and all(isinstance(g, str) for g in v)
                for k, v in areas.items()
            )
        ):
            raise SourceConfigError(
                "options.areas", 'area keywords -> display groups, e.g. {"Mempawah": ["kabupaten"]}'
            )
        if not isinstance(options.get("auto_air", False), bool):
            raise SourceConfigError("options.auto_air", "true to air CAP emergencies without an approver's click")
    if kind == "bmkg":
        from content.sources.bmkg import ADM4_RE

        if not ADM4_RE.match(str(options.get("adm4") or "")):
            raise SourceConfigError("options.adm4", "the village's Kemendagri code, e.g. 61.04.01.2001")
    if kind == "opendk" and "tahun" in options:
        year = options["tahun"]
        if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
            raise SourceConfigError("options.tahun", "a year such as 2026 (default: the current year)")
