"""A snapshot's data: named series of categories with total and male/female split."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from signage.clock import parse_utc


@dataclass(frozen=True)
class Category:
    label: str
    total: int
    male: int | None = None
    female: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "total": self.total, "male": self.male, "female": self.female}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Category:
        return cls(str(data["label"]), int(data["total"]), data.get("male"), data.get("female"))


@dataclass(frozen=True)
class Series:
    """One statistics category of a source (e.g. ``agama``): rows plus the source's own total.

    ``unfilled`` is the "BELUM MENGISI" row (people without the attribute); it
    is counted in ``total`` but is not a category. ``total`` may be below the
    population for categories that count only eligible people (KTP...).
    """

    key: str
    title: str
    categories: tuple[Category, ...]
    total: int | None = None
    total_male: int | None = None
    total_female: int | None = None
    unfilled: int = 0
    households: int | None = None  # KK, where the source gives it (data-wilayah)

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "categories": [c.to_json() for c in self.categories],
            "total": self.total,
            "total_male": self.total_male,
            "total_female": self.total_female,
            "unfilled": self.unfilled,
            "households": self.households,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Series:
        return cls(
            key=str(data["key"]),
            title=str(data.get("title") or data["key"]),
            categories=tuple(Category.from_json(c) for c in data.get("categories", [])),
            total=data.get("total"),
            total_male=data.get("total_male"),
            total_female=data.get("total_female"),
            unfilled=int(data.get("unfilled") or 0),
            households=data.get("households"),
        )


@dataclass(frozen=True)
class Article:
    """A village news article (OpenSID ``/feed.xml``): becomes a *draft* announcement, never aired directly."""

    guid: str
    title: str
    summary: str
    link: str
    published_at: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"guid": self.guid, "title": self.title, "summary": self.summary, "link": self.link,
                "published_at": self.published_at}  # fmt: skip


@dataclass(frozen=True)
class Validation:
    """``ok`` airs; ``invalid`` is never aired; ``held`` waits for an approver (e.g. a x10 jump)."""

    status: str  # ok | invalid | held
    problems: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "problems": list(self.problems)}


@dataclass(frozen=True)
class Snapshot:
    source_id: str
    kind: str
    fetched_at: datetime
    as_of: datetime | None
    series: dict[str, Series]
    missing: dict[str, str] = field(default_factory=dict)  # series key -> why it is absent (e.g. 404)
    articles: tuple[Article, ...] = ()
    validation: Validation = Validation("ok")
    alerts: tuple[dict[str, Any], ...] = ()  # CAP alerts (content.sources.cap.Alert.to_json())
    forecast: dict[str, Any] | None = None  # BMKG forecast (content.sources.bmkg.parse_forecast())

    def data_json(self) -> dict[str, Any]:
        """What the store keeps in ``snapshots.data`` (and the player receives, per series)."""
        return {
            "kind": self.kind,
            "series": {k: s.to_json() for k, s in self.series.items()},
            "missing": dict(self.missing),
            "articles": [a.to_json() for a in self.articles],
            "alerts": list(self.alerts),
            "forecast": self.forecast,
        }

    @classmethod
    def from_store(
        cls, source_id: str, fetched_at: str, as_of: str | None, data: dict[str, Any], validation: dict[str, Any]
    ) -> Snapshot:
        return cls(
            source_id=source_id,
            kind=str(data.get("kind", "")),
            fetched_at=parse_utc(fetched_at),
            as_of=parse_utc(as_of) if as_of else None,
            series={k: Series.from_json(v) for k, v in data.get("series", {}).items()},
            missing=dict(data.get("missing", {})),
            articles=tuple(Article(**a) for a in data.get("articles", [])),
            validation=Validation(str(validation.get("status", "ok")), tuple(validation.get("problems", []))),
            alerts=tuple(data.get("alerts") or ()),
            forecast=data.get("forecast"),
        )

    def summary_lines(self) -> list[str]:
        """A short human summary (CLI): one line per series."""
        lines = []
        for key, series in self.series.items():
            total = "-" if series.total is None else str(series.total)
            lines.append(f"  {key:<28} {len(series.categories):>3} kategori, total {total}")
        for key, why in self.missing.items():
            lines.append(f"  {key:<28} tidak tersedia: {why}")
        return lines

