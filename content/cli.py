"""``signage ingest FILE...``: normalise files, show progress and one result line per file.

The command needs three things from its caller (the lead wires them in
``signage/cli.py``): a ``create_draft`` hook, the media store, and the canvases of
a group. Pass an :class:`IngestHooks` as the click context object (``ctx.obj``) or
in ``ctx.meta[HOOKS_KEY]``, or build a command with :func:`make_ingest_command`.
``--store`` and ``--canvas`` override them (handy without a scheduler).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import click

from content.canvas import FitMode
from content.drafts import CanvasesForGroup, CreateDraft, DraftRequest
from content.errors import IngestRefused
from content.names import display_name, title_from_name
from content.pipeline import ingest as ingest_file
from content.store import MediaStore
from signage.canvas import Canvas
from signage.errors import UserError

HOOKS_KEY = "content.ingest_hooks"
BAR_WIDTH = 30


@dataclass(frozen=True)
class IngestHooks:
    create_draft: CreateDraft | None = None
    store: MediaStore | None = None
    canvases_for_group: CanvasesForGroup | None = None


class _Bar:
    """A one-line stderr progress bar (redrawn in place on a terminal, silent otherwise)."""

    def __init__(self, label: str, stream: TextIO) -> None:
        self.label, self.stream = label, stream
        self.tty = stream.isatty()
        self.shown = -1

    def __call__(self, percent: float) -> None:
        whole = int(percent)
        if not self.tty or whole == self.shown:
            return
        self.shown = whole
        filled = BAR_WIDTH * whole // 100
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        self.stream.write(f"\r[{bar}] {whole:3d}% {self.label}")
        self.stream.flush()

    def close(self) -> None:
        if self.tty and self.shown >= 0:
            self.stream.write("\r" + " " * (BAR_WIDTH + 8 + len(self.label)) + "\r")
            self.stream.flush()


def run_ingest(
    paths: Sequence[Path],
    *,
    store: MediaStore,
    canvases: Sequence[Canvas],
    create_draft: CreateDraft | None,
    group: str | None = None,
    title: str | None = None,
    fit: FitMode | str = FitMode.CONTAIN,
    background: str = "#000000",
    keep_audio: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Ingest each file; print one result line per file. Returns the number refused."""
    out = out or sys.stdout
    err = err or sys.stderr
    refused = 0
    for path in paths:
        name = display_name(str(path))
        bar = _Bar(name, err)
        try:
            result = ingest_file(path, store, canvases, fit, background, keep_audio, bar, original_name=name)
        except IngestRefused as exc:
            bar.close()
            refused += 1
            out.write(f"REFUSED  {name}: {exc.reason}\n")
            continue
        bar.close()
        drafted = ""
        if create_draft is not None:
            create_draft(
                DraftRequest(
                    result=result,
                    title=title or title_from_name(name),
                    group=group,
                    source="cli",
                )
            )
            drafted = " -> draft created" + (f" for group {group}" if group else "")
        out.write(f"OK       {result.summary()}{drafted}\n")
        for note in result.notes:
            out.write(f"         {note}\n")
        for warning in result.warnings:
            out.write(f"         warning: {warning}\n")
    return refused


def _hooks(ctx: click.Context, fixed: IngestHooks | None) -> IngestHooks:
    if fixed is not None:
        return fixed
    found = ctx.find_object(IngestHooks) or ctx.meta.get(HOOKS_KEY)
    return found if isinstance(found, IngestHooks) else IngestHooks()


def make_ingest_command(hooks: IngestHooks | None = None) -> click.Command:
    @click.command("ingest")
    @click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
    @click.option("--group", "-g", help="Display group the draft announcement targets.")
    @click.option("--title", help="Announcement title (default: from the file name).")
    @click.option(
        "--canvas",
        "canvas_texts",
        multiple=True,
        metavar="WxH",
        help="Target canvas, e.g. 768x432; repeatable (default: the group's displays).",
    )
    @click.option(
        "--fit",
        type=click.Choice([m.value for m in FitMode]),
        default=FitMode.CONTAIN.value,
        show_default=True,
        help="contain: bars in the background colour; cover: crop; stretch: distort.",
    )
    @click.option("--background", default="#000000", show_default=True, help="Bar colour.")
    @click.option("--keep-audio", is_flag=True, help="Keep the sound (removed by default).")
    @click.option(
        "--store",
        "store_dir",
        type=click.Path(path_type=Path, file_okay=False),
        help="Media store folder (default: the scheduler's).",
    )
    @click.pass_context
    def ingest(
        ctx: click.Context,
        files: tuple[Path, ...],
        group: str | None,
        title: str | None,
        canvas_texts: tuple[str, ...],
        fit: str,
        background: str,
        keep_audio: bool,
        store_dir: Path | None,
    ) -> None:
        """Normalise FILE... for the screens and create draft announcements."""
        found = _hooks(ctx, hooks)
        try:
            canvases = [Canvas.parse(text) for text in canvas_texts]
            if not canvases and found.canvases_for_group is not None:
                canvases = list(found.canvases_for_group(group))
        except UserError as exc:
            raise click.BadParameter(str(exc), param_hint="--canvas") from exc
        if not canvases:
            raise click.UsageError("no target canvas: pass --canvas WxH or a known --group")
        store = MediaStore(store_dir) if store_dir else found.store
        if store is None:
            raise click.UsageError("no media store: pass --store DIR")
        try:
            refused = run_ingest(
                files, store=store, canvases=canvases, create_draft=found.create_draft,
                group=group, title=title, fit=fit, background=background,
                keep_audio=keep_audio, out=sys.stdout, err=sys.stderr,
            )  # fmt: skip
        except UserError as exc:
            raise click.UsageError(str(exc)) from exc
        if found.create_draft is None:
            click.echo("note: not connected to the scheduler, no drafts were created", err=True)
        if refused:
            ctx.exit(1)

    return ingest


ingest = make_ingest_command()
