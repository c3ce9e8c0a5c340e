"""What the content pipeline hands to the scheduler to create a draft announcement.

The content package never publishes anything: CLI ingest and the inbox both call
a ``create_draft(request)`` hook supplied by the caller, which only creates a
*draft* (approval happens in the scheduler, by another person).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from content.results import IngestResult
from signage.canvas import Canvas

Source = Literal["cli", "inbox"]


@dataclass(frozen=True)
class DraftRequest:
    result: IngestResult
    title: str
    group: str | None = None
    starts_at: datetime | date | None = None
    ends_at: datetime | date | None = None
    layer: str | None = None
    source: Source = "cli"


CreateDraft = Callable[[DraftRequest], object]
# Which canvases a display group needs (the scheduler knows the displays per group).
CanvasesForGroup = Callable[[str | None], Sequence[Canvas]]
