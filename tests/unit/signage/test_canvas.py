"""One canvas type (and one list of item types) shared by content, scheduler, manifest and player."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest

from signage.canvas import Canvas
from signage.errors import UserError
from signage.manifest import ManifestFormatError, parse_manifest

from .test_manifest import sample

REPO = Path(__file__).resolve().parents[3]
PACKAGES = ("signage", "scheduler", "content", "player", "playlists")


def definitions(pattern: str) -> list[str]:
    found = []
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
                if re.match(pattern, line):
                    found.append(f"{path.relative_to(REPO)}:{number}")
    return found


def test_canvas_and_item_types_are_defined_once() -> None:
    assert [d.split(":")[0] for d in definitions(r"class Canvas\b")] == ["signage/canvas.py"]
    assert [d.split(":")[0] for d in definitions(r"ITEM_TYPES\s*=")] == ["signage/manifest.py"]


def test_manifest_canvas_is_the_content_canvas() -> None:
    canvas = parse_manifest(sample()).canvas
    assert type(canvas) is Canvas
    assert canvas == Canvas(768, 432) and canvas.key == "768x432"  # the key variants are stored under


@pytest.mark.parametrize(
    ("changes", "message"),
    [({"width": 0}, "canvas width"), ({"height": 9000}, "canvas height"), ({"rotation": 45}, "rotation")],
)
def test_bad_canvas_is_refused_naming_the_field(changes: dict[str, int], message: str) -> None:
    with pytest.raises(UserError, match=message):
        Canvas(**{"width": 768, "height": 432, **changes})
    manifest = copy.deepcopy(sample())
    manifest["canvas"].update(changes)
    with pytest.raises(ManifestFormatError) as info:
        parse_manifest(manifest)
    assert info.value.field == "canvas" and message in str(info.value)


def test_parse_and_order() -> None:
    assert Canvas.parse(" 1920 x 1080 ") == Canvas(1920, 1080)
    assert sorted([Canvas(1920, 1080), Canvas(400, 300)]) == [Canvas(400, 300), Canvas(1920, 1080)]
    with pytest.raises(UserError, match="768x432"):
        Canvas.parse("besar")
