"""One display's manifest from a store snapshot: compile, build, hash, check, sign, gzip.

Pure (no store, no files, no clock): the publisher runs :func:`render` in-process
for a few displays and in worker processes for many (``scheduler.publish_pool``);
both give the same bytes. The timeline, the bulk of a manifest, is serialised once
and spliced into the content hash, the signed manifest and the static tree's copy.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from playlists.budget import CompileRefused
from playlists.compiler import CompiledTimeline
from playlists.gcpaused import gc_paused
from playlists.model import Display, Playlist, Rule
from playlists.warnings import ScheduleWarning
from scheduler.compile_share import SharedCompiles
from scheduler.precompressed import gzip_bytes
from scheduler.schedule import (
    RefusedRule,
    compile_for_display,
    display_model,
    horizon_start,
    item_model,
    layout_for,
)
from scheduler.store import loads
from signage.canonical import canonical_json, canonical_object
from signage.manifest import LAYERS, SCHEMA, SCHEMA_V2, build_manifest, check_manifest, empty_timeline
from signage.signing import SigningKey, envelope_bytes_of

API_MEDIA_PREFIX = "../media/"
STATIC_MEDIA_PREFIX = "../../media/"
#: Left out of the content hash: a republish with only these changed is no change.
UNHASHED_FIELDS = ("version", "generated_at")


@dataclass(frozen=True)
class RenderContext:
    """What every display of one publish shares."""

    rules: list[Rule]
    refused: list[RefusedRule]
    playlists: list[Playlist]
    now: datetime
    horizon_days: int
    compile_budget_s: float | None
    key_pem: bytes  # the signing key as PEM (a worker process loads it once)
    key_id: str
    introductions: list[dict[str, Any]]
    static_tree: bool  # also sign the static tree's copy (media URLs relative to it)


@dataclass(frozen=True)
class RenderJob:
    display: dict[str, Any]  # the ``displays`` row
    items: dict[str, dict[str, Any]]  # item id -> manifest item (API media URLs), before the compile's durations
    unchanged_hash: str | None  # a content hash equal to this means "no change": nothing is signed
    version: int  # the version a changed manifest gets
    unchanged_fingerprint: str | None = None  # the fingerprint that last gave ``unchanged_hash`` (see Rendered)
    schema: int = 1  # manifest schema: 2 (compact timeline) once the display's player reported it reads it


@dataclass(frozen=True)
class Rendered:
    display_id: str
    warnings: list[dict[str, Any]]
    refused: str | None = None  # why the compile was refused (the display keeps its last manifest)
    content_hash: str = ""
    # SHA-256 of the manifest's fields but the timeline, plus the compiled timeline's digest: the same
    # fingerprint means the same content hash, known without building and serialising the timeline
    fingerprint: str = ""
    generated_at: str = ""
    valid_until: str = ""
    body: bytes | None = None  # the signed envelope; None when unchanged or refused
    body_gz: bytes | None = None
    static_body: bytes | None = None
    static_gz: bytes | None = None
    media_sha256: list[str] = field(default_factory=list)  # what the static tree must hold

    @property
    def changed(self) -> bool:
        return self.body is not None



def items_media(items: dict[str, Any]) -> list[str]:
    """The media hashes a manifest's ``items`` name (a display fetches these; the static tree holds them)."""
    return [item["media"]["sha256"] for item in items.values() if isinstance(item.get("media"), dict)]

def compile_items(
    display: dict[str, Any], items: dict[str, dict[str, Any]], ctx: RenderContext, shared: SharedCompiles | None = None
) -> tuple[CompiledTimeline, Display]:
    """Compile ``display``; sets each item's ``duration_s`` to its whole-second slot (both ends agree).

    Raises :class:`CompileRefused` for a refused stored rule that targets it, or over budget.
    """
    model = display_model(display)
    specs = {key: item_model(key, item) for key, item in items.items()}
    bad = [r for r in ctx.refused if r.targets_display(model)]
    if bad:
        first = bad[0].warning(model.id)
        raise CompileRefused(first.code, first.message, rule_id=first.rule_id, detail=first.detail)
    if shared is not None:  # displays alike (same settings, rules and items) compile once
        compiled = shared.compile(model, specs, ctx)
    else:
        compiled = compile_for_display(
            model, ctx.rules, specs, ctx.playlists, ctx.now, ctx.horizon_days, budget_s=ctx.compile_budget_s
        )
    for key, slot_s in compiled.item_durations_s.items():
        if key in items:
            items[key]["duration_s"] = slot_s
    return compiled, model


def refusal_warnings(display: dict[str, Any], ctx: RenderContext, exc: CompileRefused) -> list[dict[str, Any]]:
    model = display_model(display)
    failed = [r.warning(model.id) for r in ctx.refused if r.targets_display(model)] or [
        ScheduleWarning(exc.code, exc.message, display_id=model.id, rule_id=exc.rule_id, detail=exc.detail)
    ]
    return [w.to_dict() for w in failed]


def render(
    job: RenderJob, ctx: RenderContext, key: SigningKey | None = None, shared: SharedCompiles | None = None
) -> Rendered:
    """The manifest of ``job`` signed with ``ctx``'s key, or only its hash when it equals ``unchanged_hash``.

    ``shared``: compiles of this ``ctx`` that displays alike reuse (``scheduler.compile_share``).
    """
    with gc_paused():  # compile and bytes make no cyclic garbage (playlists/gcpaused.py)
        return _render(job, ctx, key, shared)


def _render(job: RenderJob, ctx: RenderContext, key: SigningKey | None, shared: SharedCompiles | None) -> Rendered:
    display = job.display
    items = {k: dict(v) for k, v in job.items.items()}
    try:
        compiled, model = compile_items(display, items, ctx, shared)
    except CompileRefused as exc:
        return Rendered(display["id"], refusal_warnings(display, ctx, exc), refused=exc.message)
    warnings = [w.to_dict() for w in compiled.warnings]
    used = compiled.used_item_ids() | set(model.fallback)
    start = horizon_start(ctx.now, display["timezone"])
    draft = build_manifest(
        display_id=display["id"],
        version=job.version,
        generated_at=ctx.now,
        valid_until=start + timedelta(days=ctx.horizon_days),
        timezone=display["timezone"],
        canvas={"width": display["width"], "height": display["height"], "rotation": display["rotation"] or 0},
        layouts={"default": layout_for(model.zones)},
        layout="default",
        items={k: v for k, v in items.items() if k in used},
        timeline=[],  # spliced in below, serialised once
        fallback=[i for i in model.fallback if i in items],
        operating_hours=loads(display["operating_hours"], []),
        key_id=ctx.key_id,
        check=False,
        schema=SCHEMA_V2 if job.schema == 2 else SCHEMA,
    )
    del draft["timeline"]
    stable = {k: v for k, v in draft.items() if k not in UNHASHED_FIELDS}
    fingerprint = hashlib.sha256(canonical_json(stable) + compiled.segments_digest().encode()).hexdigest()
    if job.unchanged_hash is not None and fingerprint == job.unchanged_fingerprint:
        return Rendered(display["id"], warnings, content_hash=job.unchanged_hash, fingerprint=fingerprint)
    # canonical_json(compiled.segments()) without the dicts, or schema 2's compact form of the same segments
    timeline_bytes = compiled.compact_json() if job.schema == 2 else compiled.segments_json()
    content_hash = hashlib.sha256(canonical_object(stable, {"timeline": timeline_bytes})).hexdigest()
    if content_hash == job.unchanged_hash:
        return Rendered(display["id"], warnings, content_hash=content_hash, fingerprint=fingerprint)
    _check(draft, compiled)
    key = key or SigningKey.from_pem(ctx.key_pem)
    body = envelope_bytes_of(canonical_object(draft, {"timeline": timeline_bytes}), key, ctx.introductions)
    static_body = static_gz = None
    media = items_media(draft["items"])
    if ctx.static_tree:
        static_body = envelope_bytes_of(
            canonical_object(static_manifest(draft), {"timeline": timeline_bytes}), key, ctx.introductions
        )
        static_gz = gzip_bytes(static_body)
    return Rendered(
        display["id"],
        warnings,
        content_hash=content_hash,
        fingerprint=fingerprint,
        generated_at=draft["generated_at"],
        valid_until=draft["valid_until"],
        body=body,
        body_gz=gzip_bytes(body),
        static_body=static_body,
        static_gz=static_gz,
        media_sha256=media,
    )


def _check(draft: dict[str, Any], compiled: CompiledTimeline) -> None:
    """Refuse what a player would refuse: the fields here, the timeline on the compiled columns.

    Should the columns fail, the segments are built and checked the player's way, for an error
    naming the segment and field.
    """
    check_manifest({**draft, "timeline": empty_timeline(draft["schema"])})
    zone_ids = {zone["id"] for zone in draft["layouts"][draft["layout"]]}
    if not compiled.plausible(zone_ids, LAYERS, draft["items"].keys()):
        check_manifest({**draft, "schema": SCHEMA, "timeline": compiled.segments()})
        raise AssertionError(f"{draft['display_id']}: the compiled timeline fails its check but its segments pass")


def static_manifest(manifest: dict[str, Any]) -> dict[str, Any]:
    """The same manifest for a static tree: media URLs relative to ``displays/<id>/manifest.json``."""
    items = {}
    for key, item in manifest["items"].items():
        media = item.get("media")
        if media:
            item = {**item, "media": {**media, "url": STATIC_MEDIA_PREFIX + media["sha256"]}}
        items[key] = item
    return {**manifest, "items": items}
