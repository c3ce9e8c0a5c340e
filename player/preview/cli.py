"""``signage preview``: what a display shows at an instant, over a day, or as a clip; or a window."""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import click

from player.preview.source import ApiSource, FileSource, PreviewSource, StoreSource
from player.preview.timeparse import parse_day, parse_moment
from signage.config import SchedulerConfig, load_config
from signage.errors import UserError
from signage.manifest import Manifest


def _writable(path: str, option: str) -> Path:
    out = Path(path)
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise UserError(f"{option}: cannot write {out}: folder {folder} does not exist (create it or pick another)",
                        field=option.lstrip("-"))
    if not os.access(folder, os.W_OK):
        raise UserError(f"{option}: cannot write {out}: folder {folder} is not writable", field=option.lstrip("-"))
    return out


def _source(config_path: str | None, data_dir: str | None, server: str | None, user: str | None,
            manifest_file: str | None = None, media_dir: str | None = None) -> PreviewSource:
    if manifest_file:
        if not media_dir:
            raise UserError("--manifest-file needs --media-dir", field="media_dir")
        return FileSource(Path(manifest_file), Path(media_dir))
    if server:
        password = os.environ.get("SIGNAGE_PASSWORD") or click.prompt(f"password for {user}", hide_input=True)
        if not user:
            raise UserError("--server needs --user (an approver's or officer's account)", field="user")
        cache = Path(tempfile.gettempdir()) / "signage-preview-media"
        return ApiSource(server, user, password, cache)
    if data_dir is None:
        data_dir = load_config(SchedulerConfig, config_path).data_dir
    return StoreSource(Path(data_dir))


def check_within(manifest: Manifest, moment: datetime, option: str) -> None:
    starts = [s.start for s in manifest.timeline]
    first = min(starts, default=manifest.generated_at)
    if moment < first or moment >= manifest.valid_until:
        raise UserError(
            f"{option}: {moment.isoformat()} is outside display {manifest.display_id}'s compiled timeline "
            f"({first.isoformat()} to {manifest.valid_until.isoformat()}); pick a time inside it",
            field=option.lstrip("-"),
        )


def _app(window: bool) -> object:
    if not window and not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    if window:
        from PySide6.QtWidgets import QApplication

        return QApplication.instance() or QApplication([sys.argv[0]])
    from PySide6.QtGui import QGuiApplication

    return QGuiApplication.instance() or QGuiApplication([sys.argv[0]])


@click.command()
@click.option("--display", "display_id", default=None, help="Display id to preview.")
@click.option("--at", "at", default=None, help="Instant: local time like '2026-12-04 11:50' or ISO with offset.")
@click.option("--day", "day", default=None, help="Date for a contact sheet, e.g. 2026-12-04.")
@click.option("--video", "video", default=None, metavar="OUT.mp4", help="Write a clip from --from to --to.")
@click.option("--from", "from_", default=None, help="Clip start (local or ISO).")
@click.option("--to", "to", default=None, help="Clip end (local or ISO).")
@click.option("--speed", default=1.0, show_default=True, help="Clip speed (10 = ten times real time).")
@click.option("-o", "--output", "output", default=None, help="PNG to write (--at, --day).")
@click.option("--window", is_flag=True, help="Open the preview window (scrub a day, play at 1x/10x/60x).")
@click.option("--language", type=click.Choice(["id", "en"]), default="id", show_default=True)
@click.option("--title", default=None, help="Heading of a contact sheet (default: the display id).")
@click.option("--config", "config_path", default=None, help="Scheduler config file (for its data dir).")
@click.option("--data-dir", "data_dir", default=None, help="Scheduler data dir to read (read-only).")
@click.option("--server", default=None, help="Read a running scheduler over its admin API instead.")
@click.option("--user", default=None, help="Account for --server (password from SIGNAGE_PASSWORD or a prompt).")
@click.option("--manifest-file", default=None, hidden=True, help="Draw this manifest envelope (scheduler previews).")
@click.option("--media-dir", default=None, hidden=True, help="Media folder for --manifest-file.")
def preview(
    display_id: str | None, at: str | None, day: str | None, video: str | None, from_: str | None,
    to: str | None, speed: float, output: str | None, window: bool, language: str, title: str | None,
    config_path: str | None, data_dir: str | None, server: str | None, user: str | None,
    manifest_file: str | None, media_dir: str | None,
) -> None:
    """Show exactly what a display shows: one frame, a day's contact sheet, a clip, or a window."""
    modes = [m for m, on in (("--at", at), ("--day", day), ("--video", video), ("--window", window)) if on]
    if len(modes) != 1:
        raise UserError("choose one of --at, --day, --video or --window", field="mode")
    source = _source(config_path, data_dir, server, user, manifest_file, media_dir)
    if window:
        _app(True)
        from player.preview.window import run_window

        sys.exit(run_window(source, display_id, language))
    if not display_id and manifest_file:
        display_id = source.displays()[0].id
    if not display_id:
        known = ", ".join(d.id for d in source.displays()) or "none"
        raise UserError(f"--display is required; displays with a published manifest: {known}", field="display")
    manifest = source.manifest(display_id)
    _app(False)
    from player.preview.frames import FrameRenderer

    renderer = FrameRenderer(manifest, source.media_path, language)
    if at is not None:
        out = _writable(output or "frame.png", "-o")
        moment = parse_moment(at, manifest.timezone, "--at")
        check_within(manifest, moment, "--at")
        cue = renderer.main_cue(moment)
        if not renderer.frame(moment).save(str(out), "PNG"):  # type: ignore[call-overload]
            raise UserError(f"-o: cannot write {out}", field="output")
        what = cue.item.title or cue.item.id if cue.item is not None else cue.state
        click.echo(f"{out}: {display_id} at {moment.astimezone(UTC):%Y-%m-%d %H:%M:%S}Z shows {what} ({cue.why})")
    elif day is not None:
        from player.preview.sheet import contact_sheet, day_bounds

        out = _writable(output or "sheet.png", "-o")
        date_ = parse_day(day)
        start, _end = day_bounds(manifest, date_)
        check_within(manifest, max(start, min(s.start for s in manifest.timeline)), "--day")
        image, entries = contact_sheet(renderer, date_, language, title)
        if not image.save(str(out), "PNG"):  # type: ignore[call-overload]
            raise UserError(f"-o: cannot write {out}", field="output")
        click.echo(f"{out}: {len(entries)} entries of {display_id} on {date_.isoformat()}")
    else:
        from player.preview.clip import write_clip

        assert video is not None
        out = _writable(video, "--video")
        if not from_ or not to:
            raise UserError("--video needs --from and --to", field="from")
        start = parse_moment(from_, manifest.timezone, "--from")
        end = parse_moment(to, manifest.timezone, "--to")
        check_within(manifest, start, "--from")
        frames = write_clip(renderer, start, end, speed, out)
        click.echo(f"{out}: {frames} frames of {display_id} from {from_} to {to} at {speed:g}x")
    for item_id, reason in sorted(renderer.failures.items()):
        click.echo(f"warning: item {item_id}: {reason}", err=True)
