"""Manifest schema 2: the compact timeline is parsed into segments, and a malformed one is refused by name."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from signage.manifest import SCHEMA_V2, ManifestFormatError, check_manifest, parse_manifest


def _manifest() -> dict[str, Any]:
    return {
        "schema": SCHEMA_V2,
        "display_id": "d1",
        "version": 3,
        "generated_at": "2026-11-30T17:00:00Z",
        "valid_until": "2026-12-14T17:00:00Z",
        "timezone": "Asia/Pontianak",
        "canvas": {"width": 1920, "height": 1080, "rotation": 0},
        "layout": "default",
        "layouts": {
            "default": [
                {"id": "main", "x": 0, "y": 0, "w": 1, "h": 0.9},
                {"id": "ticker", "x": 0, "y": 0.9, "w": 1, "h": 0.1},
            ]
        },
        "items": {
            "a": {"type": "text", "duration_s": 10, "text": {"title": "A"}},
            "b": {"type": "text", "duration_s": 20, "text": {"title": "B"}},
            "t": {"type": "ticker", "duration_s": 30, "text": {"title": "T"}},
        },
        "timeline": {
            "start": "2026-11-30T17:00:00Z",
            "items": ["a", "b", "t"],
            "loops": [[], [0, 1], [2]],
            "labels": [
                ["main", "off", "outside operating hours"],
                ["main", "normal", "loop"],
                ["ticker", "overlay", "ticker"],
            ],
            # off 17:00-22:00 UTC, then a/b from b (pos 1) for an hour; the ticker from 22:00 for an hour
            "runs": [[0, 18_000, 0, 0, 0], [18_000, 3_600, 1, 1, 1], [0, 3_600, 2, 0, 2]],
        },
        "fallback": ["a"],
        "operating_hours": [],
        "key_id": "0123456789abcdef",
    }


def test_compact_runs_become_segments() -> None:
    m = parse_manifest(_manifest())
    assert m.schema == SCHEMA_V2
    off, normal, ticker = m.timeline
    assert (off.start, off.end, off.layer, off.loop) == (
        datetime(2026, 11, 30, 17, tzinfo=UTC), datetime(2026, 11, 30, 22, tzinfo=UTC), "off", ())  # fmt: skip
    assert normal.loop == ("b", "a") and normal.why == "loop"  # rotated to start at slot 1
    assert normal.start == datetime(2026, 11, 30, 22, tzinfo=UTC)
    assert normal.end == datetime(2026, 11, 30, 23, tzinfo=UTC)
    assert ticker.start == normal.start and ticker.zone == "ticker"  # after_s 0: starts with the run before
    played = m.play_at(datetime(2026, 11, 30, 22, 0, 25, tzinfo=UTC))
    assert played is not None
    _segment, item, item_start = played
    assert item.id == "a" and item_start == datetime(2026, 11, 30, 22, 0, 20, tzinfo=UTC)  # b 0-20 s, then a


@pytest.mark.parametrize(
    ("path", "value", "field", "words"),
    [
        (("timeline", "runs", 1), [18_000, 3_600, 1, 1], "timeline.runs[1]", "five integers"),
        (("timeline", "runs", 1), [18_000, 3_600, 1, True, 1], "timeline.runs[1]", "five integers"),
        (("timeline", "runs", 1), [18_000, 0, 1, 1, 1], "timeline.runs[1]", "length_s > 0"),
        (("timeline", "runs", 1), [-1, 3_600, 1, 1, 1], "timeline.runs[1]", "after_s >= 0"),
        (("timeline", "runs", 1), [18_000, 3_600, 9, 1, 1], "timeline.runs[1]", "loop 9"),
        (("timeline", "runs", 1), [18_000, 3_600, 1, 2, 1], "timeline.runs[1]", "pos 2"),
        (("timeline", "runs", 1), [18_000, 3_600, 1, 1, 5], "timeline.runs[1]", "label 5"),
        (("timeline", "runs", 1), [18_000, 3_600, 0, 0, 1], "timeline.runs[1]", "empty loop"),
        (("timeline", "runs", 1), [18_000, 400 * 86_400, 1, 1, 1], "timeline.runs[1]", "within"),
        (("timeline", "loops", 1), [0, 3], "timeline.loops[1]", "numbers into timeline.items"),
        (("timeline", "items", 1), "zz", "timeline.items[1]", "unknown item 'zz'"),
        (("timeline", "labels", 1), ["side", "normal", ""], "timeline.labels[1]", "zone 'side'"),
        (("timeline", "labels", 1), ["main", "loud", ""], "timeline.labels[1]", "unknown layer 'loud'"),
        (("timeline", "labels", 1), ["main", "normal"], "timeline.labels[1]", "three strings"),
        (("timeline", "start"), "yesterday", "timeline.start", ""),
        (("timeline",), [], "timeline", "expected"),
    ],
)
def test_a_malformed_compact_timeline_is_refused_by_name(
    path: tuple[Any, ...], value: Any, field: str, words: str
) -> None:
    data = copy.deepcopy(_manifest())
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    for check in (parse_manifest, check_manifest):
        with pytest.raises(ManifestFormatError) as caught:
            check(data)
        assert caught.value.field == field and words in str(caught.value)


def test_an_unknown_schema_is_refused() -> None:
    with pytest.raises(ManifestFormatError) as caught:
        parse_manifest({**_manifest(), "schema": "mempawah-signage/manifest/3"})
    assert caught.value.field == "schema"
