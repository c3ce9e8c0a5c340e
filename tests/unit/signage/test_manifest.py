from __future__ import annotations

import copy
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from signage.manifest import ManifestFormatError, build_manifest, parse_manifest

T0 = datetime(2026, 11, 28, 0, 0, tzinfo=UTC)
SHA = "a" * 64


def sample(**overrides: Any) -> dict[str, Any]:
    manifest = build_manifest(
        display_id="kantor-bupati",
        version=1,
        generated_at=T0,
        valid_until=T0 + timedelta(days=14),
        timezone="Asia/Pontianak",
        canvas={"width": 768, "height": 432, "rotation": 0},
        layouts={"full": [{"id": "main", "x": 0, "y": 0, "w": 1, "h": 1, "z": 0}]},
        layout="full",
        items={
            "a": {"type": "text", "duration_s": 10, "text": {"title": "A", "body": ""}},
            "b": {
                "type": "image",
                "duration_s": 5,
                "media": {"sha256": SHA, "size": 3, "mime": "image/png", "url": "../media/" + SHA},
            },
            "e": {"type": "text", "duration_s": 30, "text": {"title": "BANJIR", "body": "Siaga"}},
        },
        timeline=[
            {
                "start": "2026-11-28T00:00:00Z",
                "end": "2026-11-29T00:00:00Z",
                "zone": "main",
                "layer": "normal",
                "loop": ["a", "b"],
            },
            {
                "start": "2026-11-28T01:00:07Z",
                "end": "2026-11-28T01:10:00Z",
                "zone": "main",
                "layer": "emergency",
                "loop": ["e"],
            },
            {
                "start": "2026-11-28T22:00:00Z",
                "end": "2026-11-28T23:00:00Z",
                "zone": "main",
                "layer": "off",
                "loop": [],
            },
        ],
        fallback=["a"],
        operating_hours=[],
        key_id="0123456789abcdef",
    )
    manifest.update(overrides)
    return manifest


def test_play_at_walks_the_loop_by_arithmetic() -> None:
    m = parse_manifest(sample())
    assert m.play_at(T0)[1].id == "a"  # type: ignore[index]
    assert m.play_at(T0 + timedelta(seconds=9.9))[1].id == "a"  # type: ignore[index]
    _, item, start = m.play_at(T0 + timedelta(seconds=12))  # type: ignore[misc]
    assert item.id == "b" and start == T0 + timedelta(seconds=10)
    _, item, start = m.play_at(T0 + timedelta(seconds=15 * 100 + 3))  # type: ignore[misc]
    assert item.id == "a" and start == T0 + timedelta(seconds=1500)


def test_emergency_preempts_from_its_exact_second_and_off_is_black() -> None:
    m = parse_manifest(sample())
    assert m.play_at(datetime(2026, 11, 28, 1, 0, 6, tzinfo=UTC))[1].id != "e"  # type: ignore[index]
    _, item, start = m.play_at(datetime(2026, 11, 28, 1, 0, 7, tzinfo=UTC))  # type: ignore[misc]
    assert item.id == "e" and start == datetime(2026, 11, 28, 1, 0, 7, tzinfo=UTC)
    assert m.play_at(datetime(2026, 11, 28, 22, 30, tzinfo=UTC)) is None
    assert m.play_at(datetime(2026, 11, 30, tzinfo=UTC)) is None


def test_media_listed_once() -> None:
    assert [ref.sha256 for ref in parse_manifest(sample()).media()] == [SHA]


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda m: m.pop("version"), "version"),
        (lambda m: m.__setitem__("schema", "other/9"), "schema"),
        (lambda m: m["canvas"].__setitem__("width", "wide"), "canvas.width"),
        (lambda m: m["items"]["b"]["media"].__setitem__("sha256", "XYZ"), "items.b.media.sha256"),
        (lambda m: m["items"]["b"].pop("media"), "items.b.media"),
        (lambda m: m["timeline"][0].__setitem__("loop", ["nope"]), "timeline[0].loop"),
        (lambda m: m["timeline"][0].__setitem__("end", "2026-11-27T00:00:00Z"), "timeline[0].end"),
        (lambda m: m["timeline"][1].__setitem__("zone", "side"), "timeline[1].zone"),
        (lambda m: m["timeline"][1].__setitem__("start", "2026-11-28 01:00"), "timeline[1].start"),
        (lambda m: m["items"]["a"].__setitem__("duration_s", 0), "items.a.duration_s"),
    ],
)
def test_malformed_fields_are_named(mutate: Any, field: str) -> None:
    manifest = copy.deepcopy(sample())
    mutate(manifest)
    with pytest.raises(ManifestFormatError) as info:
        parse_manifest(manifest)
    assert info.value.field == field


def test_core_package_imports_neither_qt_nor_fastapi() -> None:
    code = (
        "import sys, signage.cli, signage.manifest, signage.signing, signage.config, signage.timefmt;"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'fastapi', 'starlette')];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60).returncode == 0
