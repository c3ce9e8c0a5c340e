"""What an ingest produced: plain frozen dataclasses, JSON-friendly via ``to_dict``."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Kind = Literal["image", "video"]


@dataclass(frozen=True)
class MediaFile:
    """One stored file (content-addressed)."""

    sha256: str
    size: int
    mime: str
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None


@dataclass(frozen=True)
class DerivedMedia:
    """The file a display with canvas ``canvas`` plays."""

    canvas: str  # "768x432", as requested
    sha256: str
    size: int
    mime: str
    width: int
    height: int
    duration_s: float | None
    action: str  # image: "rendered"; video: "copy" | "remux" | "transcode"
    note: str  # what was done, for staff


@dataclass(frozen=True)
class IngestResult:
    kind: Kind
    name: str  # safe display name of the upload
    original: MediaFile
    derived: tuple[DerivedMedia, ...]
    poster: MediaFile
    thumbnail: MediaFile
    notes: tuple[str, ...]  # what was done, in plain words
    warnings: tuple[str, ...]  # things staff should look at

    def for_canvas(self, canvas: str) -> DerivedMedia:
        for item in self.derived:
            if item.canvas == canvas:
                return item
        raise KeyError(canvas)

    @property
    def shas(self) -> frozenset[str]:
        """Every blob this result references (for the GC's referenced set)."""
        shas = {self.original.sha256, self.poster.sha256, self.thumbnail.sha256}
        return frozenset(shas | {d.sha256 for d in self.derived})

    def summary(self) -> str:
        """One line for the CLI / admin UI."""
        sizes = ", ".join(d.canvas for d in self.derived)
        what = f"{self.kind} for {sizes}"
        if self.kind == "video" and self.derived and self.derived[0].duration_s:
            what += f", {format_duration_s(self.derived[0].duration_s)}"
        extra = f"; {len(self.warnings)} warning(s)" if self.warnings else ""
        return f"{self.name}: {what}{extra}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def format_duration_s(duration_s: float) -> str:
    """``"12.5 s"``; a clip under a second keeps two significant digits (``"0.04 s"``, not ``"0.0 s"``)."""
    return f"{duration_s:.1f} s" if duration_s >= 1 else f"{duration_s:.2g} s"
