from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from PIL import Image

from content.cli import IngestHooks, ingest, make_ingest_command
from content.drafts import DraftRequest
from content.store import MediaStore
from signage.canvas import Canvas


def test_one_line_per_file_and_exit_code(tmp_path: Path) -> None:
    good = tmp_path / "poster.png"
    Image.new("RGB", (80, 60), (0, 0, 200)).save(good)
    bad = tmp_path / "catatan.mp4"
    bad.write_text("bukan video")
    drafts: list[DraftRequest] = []
    hooks = IngestHooks(
        create_draft=drafts.append,
        store=MediaStore(tmp_path / "store"),
        canvases_for_group=lambda group: [Canvas(400, 300), Canvas(768, 432)],
    )
    result = CliRunner().invoke(ingest, [str(good), str(bad), "--group", "pemda", "--title", "Info"], obj=hooks)
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("OK ") and "poster.png" in lines[0] and "draft created" in lines[0]
    assert any(line.startswith("REFUSED  catatan.mp4: Text files") for line in lines)
    [draft] = drafts
    assert (draft.title, draft.group, draft.source) == ("Info", "pemda", "cli")
    assert [d.canvas for d in draft.result.derived] == ["400x300", "768x432"]


def test_standalone_with_store_and_canvas_options(tmp_path: Path) -> None:
    good = tmp_path / "a.jpg"
    Image.new("RGB", (80, 60)).save(good)
    command = make_ingest_command()
    result = CliRunner().invoke(command, [str(good), "--store", str(tmp_path / "s"), "--canvas", "960x480"])
    assert result.exit_code == 0, result.output
    assert "960x480" in result.stdout and "no drafts were created" in result.stderr


def test_missing_canvas_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(make_ingest_command(), [str(tmp_path / "x.jpg")])
    assert result.exit_code == 2 and "canvas" in result.output
    result = CliRunner().invoke(make_ingest_command(), ["x.jpg", "--canvas", "big"])
    assert result.exit_code == 2
