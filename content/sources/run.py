"""Polling one source: conditional GETs, backoff after failures, Retry-After, validation.

:func:`poll` is pure apart from HTTP: it takes the source's state and its last
good snapshot and returns a new snapshot (or none) plus the next state; the
scheduler decides what to store. A failed poll returns no snapshot, so the
last good one stays on screen.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import requests

from content.sources import bmkg, cap, ckan, opendk, opensid, opensid_api, tabular
from content.sources.config import SourceConfig
from content.sources.http import Fetched, FetchError, fetch
from content.sources.mapping import check_mappings, series_from_records
from content.sources.model import Article, Series, Snapshot
from content.sources.validate import validate, without_inconsistent

log = logging.getLogger("content.sources")
RETRY_BASE_S = 60.0
RETRY_MAX_S = 6 * 3600.0
DEFAULT_TIMEZONE = "Asia/Pontianak"  # WIB, Kalimantan Barat
NOT_ENABLED = "menu tidak diaktifkan di situs desa (HTTP 404)"
SITE_ERROR = "halaman galat di situs desa"
#: Kept with a statistics page's validators: the ``internal_api`` path its rows were read from (a Blade theme).
API_MARK = "api"


@dataclass
class SourceState:
    validators: dict[str, dict[str, str]] = field(default_factory=dict)  # url -> etag / last_modified
    failures: int = 0
    next_due_at: datetime | None = None
    last_error: str | None = None
    seen_articles: list[str] = field(default_factory=list)  # feed guids already drafted
    alert_announcements: dict[str, int] = field(default_factory=dict)  # CAP identifier -> announcement id

    def to_json(self) -> dict[str, Any]:
        return {"validators": self.validators, "failures": self.failures,
                "next_due_at": self.next_due_at.isoformat() if self.next_due_at else None,
                "last_error": self.last_error, "seen_articles": self.seen_articles,
                "alert_announcements": self.alert_announcements}  # fmt: skip

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> SourceState:
        data = data or {}
        due = data.get("next_due_at")
        return cls(dict(data.get("validators") or {}), int(data.get("failures") or 0),
                   datetime.fromisoformat(due) if due else None, data.get("last_error"),
                   list(data.get("seen_articles") or []),
                   {str(k): int(v) for k, v in (data.get("alert_announcements") or {}).items()})  # fmt: skip


@dataclass(frozen=True)
class PollResult:
    snapshot: Snapshot | None
    state: SourceState
    error: str | None = None
    not_modified: bool = False
    notes: tuple[str, ...] = ()


def retry_delay_s(failures: int, retry_after_s: float | None = None) -> float:
    delay_s = min(RETRY_BASE_S * 2 ** max(0, failures - 1), RETRY_MAX_S)
    return max(delay_s, retry_after_s or 0.0)


class _Pages:
    """GETs for one poll: sends validators only for pages whose data the last good snapshot still has."""

    def __init__(self, source: SourceConfig, state: SourceState, last_good: Snapshot | None,
                 session: requests.Session, now: datetime) -> None:  # fmt: skip
        self.source, self.state, self.last_good, self.session = source, state, last_good, session
        self.now = now
        self.validators: dict[str, dict[str, str]] = {}
        self.unchanged = 0
        self.fetched = 0

    def get(self, path: str, key: str, params: dict[str, str] | None = None) -> Fetched | None:
        """The page, or None when the server says it has not changed (use the last good data for ``key``)."""
        url = self.source.base_url + path
        known = self.state.validators.get(url, {}) if self.last_good and key in self._known_keys() else {}
        got = fetch(
            self.session, url, timeout_s=self.source.timeout_s, max_bytes=self.source.max_bytes,
            etag=known.get("etag"), last_modified=known.get("last_modified"), auth=self.source.auth, params=params,
        )  # fmt: skip
        if got.not_modified:
            self.validators[url] = known
            self.unchanged += 1
            return None
        self.fetched += 1
        fresh = {k: v for k, v in (("etag", got.etag), ("last_modified", got.last_modified)) if v}
        if fresh:
            self.validators[url] = fresh
        return got

    def get_url(self, url: str) -> Fetched:
        """An absolute URL named by the source itself (a CAP link): same scheme and host only, no validators."""
        base, target = urlsplit(self.source.url), urlsplit(url)
        if (target.scheme, target.netloc) != (base.scheme, base.netloc):
            raise FetchError("invalid", f"{url}: not on {base.scheme}://{base.netloc}; refused")
        self.fetched += 1
        return fetch(self.session, url, timeout_s=self.source.timeout_s, max_bytes=self.source.max_bytes,
                     auth=self.source.auth)  # fmt: skip

    def _known_keys(self) -> set[str]:
        assert self.last_good is not None
        cap_feed = {"feed-cap"} if self.last_good.kind == "cap" else set()
        return set(self.last_good.series) | ({"feed"} if self.last_good.articles else set()) | cap_feed


@dataclass
class _Collected:
    alerts: list[dict[str, Any]] = field(default_factory=list)
    forecast: dict[str, Any] | None = None
    as_of_utc: bool = False  # as_of_local is UTC, not the source's local time
    series: dict[str, Series] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)
    articles: tuple[Article, ...] = ()
    as_of_local: datetime | None = None
    notes: list[str] = field(default_factory=list)


def _opensid_page(pages: _Pages, paths: list[str], key: str) -> tuple[Fetched | None, str | None]:
    """The first of ``paths`` that exists: (page or None if unchanged, its path); (None, None) if every one is 404."""
    for path in paths:
        try:
            got = pages.get(path, key)
        except FetchError as exc:
            if exc.reason != "not_found":
                raise
            continue
        if got is not None:
            if opensid.is_menu_off(got.text()):  # OpenSID v2407+: a switched-off menu answers 200, not 404
                continue
            if opensid.is_login(got.url):
                raise FetchError("login", f"{got.url}: situs mengalihkan ke halaman login admin (/siteman), "
                                          "bukan halaman publik; periksa alamat sumber")  # fmt: skip
            if opensid.is_maintenance(got.text()):
                raise FetchError("maintenance", f"{got.url}: situs desa sedang dalam mode perbaikan (offline) "
                                                "OpenSID; data lama tetap tayang")  # fmt: skip
        return got, path
    return None, None


def _opensid_statistik(
    pages: _Pages, prefix: str, slug: str, got: Fetched, page_path: str
) -> tuple[Series | None, str]:
    """The series from the page itself, else from ``internal_api/statistik`` when the theme loads it with JavaScript."""
    html, url = got.text(), got.url
    try:
        return opensid.parse_statistik(html, slug, url=url)
    except opensid.ParseError as exc:
        page_error = exc
    api = opensid_api.api_path_in(html, "internal_api/statistik", opensid.KEYS.get(slug, slug))
    if api is None and page_error.empty_table and slug in opensid.KEYS:
        api = f"internal_api/statistik/{opensid.KEYS[slug]}"
    if api is None:
        raise page_error
    try:
        answer = pages.get(f"{prefix}/{api}", slug)
    except FetchError as exc:
        if exc.reason != "not_found":
            raise
        raise opensid.ParseError(f"{page_error}; {exc}") from None
    _remember_api(pages, page_path, api)
    if answer is None:
        return None, "api"
    return opensid_api.parse_statistik(answer.body, slug, answer.url), "api"


def _remember_api(pages: _Pages, page_path: str, api: str) -> None:
    """Keep with the page's validators that its rows come from ``api``: the page may answer 304 next time."""
    page_validators = pages.validators.get(pages.source.base_url + page_path)
    if page_validators is not None:
        page_validators[API_MARK] = api


def _api_of_unchanged(pages: _Pages, prefix: str, key: str, page_path: str) -> Fetched | None:
    """For a page that answered 304: its ``internal_api`` answer when the page only loads its rows from there
    (a Blade theme's page never changes while its figures do), else None (the last good data stands)."""
    api = pages.validators.get(pages.source.base_url + page_path, {}).get(API_MARK)
    return pages.get(f"{prefix}/{api}", key) if api is not None else None


def _opensid_unchanged_page(pages: _Pages, prefix: str, slug: str, page_path: str) -> tuple[Series | None, str]:
    """A statistics page that answered 304: the series of its ``internal_api`` if it has one and that changed."""
    answer = _api_of_unchanged(pages, prefix, slug, page_path)
    if answer is None:
        return None, "304"
    return opensid_api.parse_statistik(answer.body, slug, answer.url), "api"


def _collect_opensid(source: SourceConfig, pages: _Pages, last_good: Snapshot | None) -> _Collected:
    out = _Collected()
    prefix = opensid.site_prefix(source.base_url)
    slugs = source.options.get("categories") or list(opensid.CATEGORIES)
    first_style = False  # this site answered only on first/statistik/{key} (OpenSID before v2405)
    for slug in slugs:
        paths = opensid.statistik_paths(slug, prefix, first_style=first_style)
        try:
            got, path = _opensid_page(pages, paths, slug)
        except FetchError as exc:
            if exc.reason != "http":  # timeouts, 429/503, a login or offline site: the whole poll waits
                raise
            out.missing[slug] = f"{SITE_ERROR}: {exc}"  # e.g. one category's query fails on this database
            continue
        if path is None:
            out.missing[slug] = NOT_ENABLED
            continue
        if got is not None and not opensid.is_statistik_url(got.url, slug):
            out.missing[slug] = (f"tidak terbaca: situs mengalihkan ke {got.url}, bukan halaman statistik {slug}; "
                                 "data lama tetap tayang")  # fmt: skip
            continue
        first_style = first_style or "/first/" in path
        series: Series | None = None
        how = "304"
        try:
            if got is not None:
                series, how = _opensid_statistik(pages, prefix, slug, got, path)
            else:
                series, how = _opensid_unchanged_page(pages, prefix, slug, path)
        except (opensid.ParseError, ValueError) as exc:
            out.missing[slug] = f"tidak terbaca: {exc}"
            continue
        if got is None or series is None:
            assert last_good is not None
            out.series[slug] = last_good.series[slug]
            out.notes.append(f"{slug}: tidak berubah (304)")
            continue
        out.series[slug] = series
        out.notes.append(f"{slug}: {how}")
        stamp = opensid.page_as_of(got.text())
        if stamp is not None and (out.as_of_local is None or stamp > out.as_of_local):
            out.as_of_local = stamp
    if source.options.get("wilayah", True):
        _collect_wilayah(pages, prefix, last_good, out)
    if source.options.get("feed", True):
        try:
            got = pages.get("/feed.xml", "feed")
            if got is None:
                assert last_good is not None
                out.articles = last_good.articles
            else:
                out.articles = opensid.parse_feed(got.body)
        except FetchError as exc:
            if exc.reason != "not_found":
                raise
            out.missing["feed"] = NOT_ENABLED
        except opensid.ParseError as exc:
            out.missing["feed"] = str(exc)
    return out


def _collect_wilayah(pages: _Pages, prefix: str, last_good: Snapshot | None, out: _Collected) -> None:
    """``data-wilayah``: the page's table, else ``internal_api/wilayah/administratif`` for themes that load it later."""
    key = opensid.WILAYAH
    try:
        got, path = _opensid_page(pages, [f"{prefix}/data-wilayah", f"{prefix}/first/wilayah"], key)  # v22.06+, older
    except FetchError as exc:
        if exc.reason != "http":
            raise
        out.missing[key] = f"{SITE_ERROR}: {exc}"
        return
    if path is None:
        out.missing[key] = NOT_ENABLED
        return
    if got is not None and "wilayah" not in urlsplit(got.url).path.lower():
        out.missing[key] = f"tidak terbaca: situs mengalihkan ke {got.url}, bukan halaman data wilayah"
        return
    try:
        if got is None:
            answer = _api_of_unchanged(pages, prefix, key, path)
        else:
            html = got.text()
            try:
                out.series[key] = opensid.parse_wilayah(html, got.url)
                return
            except opensid.ParseError as exc:
                found = opensid_api.api_path_in(html, "wilayah/administratif")
                if found is None and not exc.empty_table:
                    raise
                api = found or "internal_api/wilayah/administratif"
                answer = pages.get(f"{prefix}/{api}", key)
                _remember_api(pages, path, api)
        if answer is not None:
            out.series[key] = opensid_api.parse_wilayah(answer.body, answer.url)
            return
        assert last_good is not None
        out.series[key] = last_good.series[key]
    except FetchError as exc:
        if exc.reason != "not_found":
            raise
        out.missing[key] = f"tidak terbaca: tabel wilayah kosong dan {exc} (tidak ada internal_api wilayah)"
    except (opensid.ParseError, ValueError) as exc:
        out.missing[key] = f"tidak terbaca: {exc}"


def _collect_opendk(source: SourceConfig, pages: _Pages, last_good: Snapshot | None) -> _Collected:
    out = _Collected()
    year = int(source.options.get("tahun") or pages.now.year)
    params = {"desa": str(source.options.get("desa") or "Semua"), "tahun": str(year)}
    got = pages.get(opendk.STATISTIK_PATH, "opendk", params=params)
    if got is None:  # never: validators are only sent for series keys
        raise FetchError("http", "unexpected 304")
    try:
        out.series = opendk.parse_statistik(got.body, year)
    except ValueError as exc:
        raise FetchError("invalid", str(exc)) from None
    try:
        listed = pages.get(opendk.DESA_PATH, "opendk-desa")
        if listed is not None:
            names = opendk.parse_desa(listed.body)
            out.notes.append(f"{len(names)} desa: {', '.join(names[:6])}{' ...' if len(names) > 6 else ''}")
    except FetchError as exc:
        if exc.reason != "not_found":
            raise
        out.missing["desa"] = "daftar desa tidak tersedia (HTTP 404)"
    except ValueError as exc:
        out.missing["desa"] = str(exc)
    return out


def _records_to_series(source: SourceConfig, records: list[dict[str, Any]], out: _Collected) -> None:
    for mapping in check_mappings(source.options["mapping"]):
        try:
            series = series_from_records(records, mapping)
        except ValueError as exc:
            raise FetchError("invalid", f"{mapping['series']}: {exc}") from None
        out.series[series.key] = series
    out.notes.append(f"{len(records)} baris data")


def _collect_ckan(source: SourceConfig, pages: _Pages, last_good: Snapshot | None) -> _Collected:
    out = _Collected()
    records: list[dict[str, Any]] = []
    got = pages.get(ckan.SEARCH_PATH, "ckan-page", params=ckan.first_params(source.options))
    for page in range(ckan.MAX_PAGES):
        if got is None:
            raise FetchError("http", "unexpected 304")
        try:
            batch, total, next_path = ckan.parse_page(got.body)
        except ValueError as exc:
            raise FetchError("invalid", str(exc)) from None
        records += batch
        if not batch or len(records) >= total or not next_path:
            break
        if page == ckan.MAX_PAGES - 1:
            raise FetchError("too_large", f"more than {ckan.MAX_PAGES} pages of records; narrow options.filters")
        got = pages.get(next_path if next_path.startswith("/") else "/" + next_path, "ckan-page")
    _records_to_series(source, records, out)
    return out


def _collect_tabular(source: SourceConfig, pages: _Pages, last_good: Snapshot | None) -> _Collected:
    out = _Collected()
    got = pages.get("", "document")
    if got is None:
        raise FetchError("http", "unexpected 304")
    try:
        rows = tabular.records(got.body, source.kind, str(source.options.get("records_path") or ""))
    except ValueError as exc:
        raise FetchError("invalid", str(exc)) from None
    _records_to_series(source, rows, out)
    return out


def _collect_bmkg(source: SourceConfig, pages: _Pages, last_good: Snapshot | None) -> _Collected:
    out = _Collected()
    got = pages.get("", "forecast", params={"adm4": str(source.options["adm4"])})
    if got is None:
        raise FetchError("http", "unexpected 304")
    try:
        out.forecast = bmkg.parse_forecast(got.body)
    except ValueError as exc:
        raise FetchError("invalid", str(exc)) from None
    if out.forecast.get("analysis_date"):
        out.as_of_local = datetime.fromisoformat(str(out.forecast["analysis_date"])).replace(tzinfo=None)
        out.as_of_utc = True
    out.notes.append(f"{len(out.forecast['steps'])} langkah prakiraan untuk {out.forecast['place']}")
    return out


MAX_ALERTS = 40  # BMKG allows 60 requests a minute per address


def _collect_cap(source: SourceConfig, pages: _Pages, last_good: Snapshot | None) -> _Collected:
    out = _Collected()
    got = pages.get("", "feed-cap")
    if got is None:  # the feed has not changed: the same alerts are active
        assert last_good is not None
        out.alerts = list(last_good.alerts)
        return out
    try:
        links = cap.parse_rss(got.body)
    except ValueError as exc:
        raise FetchError("invalid", str(exc)) from None
    known = {a.get("link"): a for a in (last_good.alerts if last_good else ())}
    language = str(source.options.get("language") or "id")
    for link in links[:MAX_ALERTS]:
        if link in known:  # a CAP document never changes; an update is a new document
            out.alerts.append(known[link])
            continue
        try:
            alert = cap.parse_cap(pages.get_url(link).body, language, link)
        except FetchError as exc:
            if exc.reason in ("timeout", "rate_limited", "network"):
                raise
            out.missing[link] = str(exc)
            continue
        except ValueError as exc:
            out.missing[link] = str(exc)
            continue
        out.alerts.append(alert.to_json())
    out.notes.append(f"{len(out.alerts)} peringatan aktif")
    return out


COLLECTORS: dict[str, Callable[[SourceConfig, _Pages, Snapshot | None], _Collected]] = {
    "opensid": _collect_opensid,
    "opendk": _collect_opendk,
    "ckan": _collect_ckan,
    "csv": _collect_tabular,
    "json": _collect_tabular,
    "cap": _collect_cap,
    "bmkg": _collect_bmkg,
}


def poll(
    source: SourceConfig,
    state: SourceState,
    last_good: Snapshot | None,
    *,
    now: datetime,
    session: requests.Session | None = None,
) -> PollResult:
    """Fetch ``source`` once. ``now`` is an aware UTC datetime."""
    own_session = session is None
    http = session or requests.Session()
    pages = _Pages(source, state, last_good, http, now)
    try:
        collected = COLLECTORS[source.kind](source, pages, last_good)
        if not collected.series and not collected.articles and source.kind not in ("cap", "bmkg"):
            raise FetchError("empty", "tidak ada data yang terbaca: " + "; ".join(
                f"{k}: {v}" for k, v in collected.missing.items()))  # fmt: skip
    except FetchError as exc:
        failures = state.failures + 1
        delay_s = retry_delay_s(failures, exc.retry_after_s)
        log.warning("source %s failed (%s); retry in %.0f s", source.id, exc, delay_s)
        return PollResult(None, replace(state, failures=failures, last_error=str(exc),
                                        next_due_at=now + timedelta(seconds=delay_s)), error=str(exc))  # fmt: skip
    finally:
        if own_session:
            http.close()
    next_state = replace(state, validators=pages.validators, failures=0, last_error=None,
                         next_due_at=now + timedelta(seconds=source.poll_interval_s))  # fmt: skip
    if pages.fetched == 0 and pages.unchanged > 0:
        return PollResult(None, next_state, not_modified=True, notes=("semua halaman tidak berubah (304)",))
    zone = UTC if collected.as_of_utc else ZoneInfo(str(source.options.get("timezone") or DEFAULT_TIMEZONE))
    as_of = collected.as_of_local.replace(tzinfo=zone).astimezone(now.tzinfo) if collected.as_of_local else None
    snapshot = Snapshot(source_id=source.id, kind=source.kind, fetched_at=now, as_of=as_of, series=collected.series,
                        missing=collected.missing, articles=collected.articles,
                        alerts=tuple(collected.alerts), forecast=collected.forecast)  # fmt: skip
    snapshot = without_inconsistent(snapshot)  # one series that does not add up never stops the others
    snapshot = replace(snapshot, validation=validate(snapshot, last_good))
    if snapshot.validation.status != "ok":
        # a 304 next time would mean "same as the last good data": not true for data we did not accept
        next_state.validators = {}
    return PollResult(snapshot, next_state, notes=tuple(collected.notes))
