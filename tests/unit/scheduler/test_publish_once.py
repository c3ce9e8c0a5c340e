"""Issue 13 "publish once": a manifest version is serialised, checked, signed and gzipped once, at publish.

Real store, real keys, real files (a Service on a temporary data dir); the busy display of the
compile benchmark (20-item loop, 3 interrupts, 2 overlays) written into it.
"""

from __future__ import annotations

import gzip
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))

from bench_compile import busy_display
from world_store import write_world

import signage.manifest as manifest_module
from playlists.compiler import CompiledTimeline
from playlists.timeline import _utc_text
from scheduler.precompressed import accepts_gzip
from scheduler.publish import Publisher
from scheduler.service import Service
from signage.canonical import canonical_json, canonical_object
from signage.clock import format_utc
from signage.config import SchedulerConfig
from signage.manifest import ManifestFormatError, build_manifest, check_manifest, parse_manifest
from signage.signing import SigningKey, envelope_bytes, envelope_bytes_of, public_key_from_text, verify_envelope

NOW = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)


def _fresh_publisher(service: Service) -> Publisher:
    """Another Publisher on the same store and files (as after a restart): nothing cached in memory."""
    p = service.publisher
    return Publisher(service.db, service.keyring, service.media, p.manifests_dir, p.clock, db_lock=service.lock)


def _keys(service: Service) -> dict[str, Any]:
    return {k: public_key_from_text(v) for k, v in service.keyring.public_keys().items()}


def test_each_version_is_stored_gzipped_beside_the_signed_json(busy_service: Service) -> None:
    (published,) = busy_service.publisher.publish(["busy"])
    folder = busy_service.publisher.manifests_dir / "busy"
    body, packed = (folder / "1.json").read_bytes(), (folder / "1.json.gz").read_bytes()
    assert published.body == body and published.body_gz == packed
    assert gzip.decompress(packed) == body  # the stored gzip is the signed JSON, byte for byte
    manifest = parse_manifest(verify_envelope(gzip.decompress(packed), _keys(busy_service)))
    assert manifest.display_id == "busy" and len(manifest.timeline) > 1000
    assert len(packed) < len(body) / 10
    # a restarted scheduler serves the stored .gz as is
    again = _fresh_publisher(busy_service).latest("busy")
    assert again is not None and again.body_gz == packed and again.etag == published.etag


def test_a_version_published_before_gzip_was_stored_is_compressed_once_on_load(busy_service: Service) -> None:
    busy_service.publisher.publish(["busy"])
    gz_path = busy_service.publisher.manifests_dir / "busy" / "1.json.gz"
    gz_path.unlink()  # as an older scheduler left it
    loaded = _fresh_publisher(busy_service).latest("busy")
    assert loaded is not None and gzip.decompress(loaded.body_gz) == loaded.body
    assert gz_path.read_bytes() == loaded.body_gz  # kept for the next start


def _count_timeline_work(monkeypatch: Any) -> dict[str, int]:
    calls = {"segments": 0, "segments_json": 0, "check": 0, "parse": 0}

    def counting(name: str, real: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            calls[name] += 1
            return real(*args, **kwargs)

        return wrapper

    for name in ("segments", "segments_json"):
        monkeypatch.setattr(CompiledTimeline, name, counting(name, getattr(CompiledTimeline, name)))
    monkeypatch.setattr("scheduler.manifest_render.check_manifest", counting("check", check_manifest))
    monkeypatch.setattr(manifest_module, "parse_manifest", counting("parse", manifest_module.parse_manifest))
    return calls


def test_no_change_republish_builds_and_checks_no_timeline(busy_service: Service, monkeypatch: Any) -> None:
    """The regression: each republish built the segments twice and re-parsed the whole manifest."""
    busy_service.publisher.publish(["busy"])
    calls = _count_timeline_work(monkeypatch)
    assert busy_service.publisher.publish(["busy"]) == []
    assert calls == {"segments": 0, "segments_json": 0, "check": 0, "parse": 0}  # the digest says "unchanged"
    cold = _fresh_publisher(busy_service)  # after a restart: no fingerprint in memory yet
    assert cold.publish(["busy"]) == []
    assert calls == {"segments": 0, "segments_json": 1, "check": 0, "parse": 0}  # serialised once, hashed
    assert cold.publish(["busy"]) == []
    assert calls["segments_json"] == 1


def test_a_changed_manifest_serialises_its_timeline_once(busy_service: Service, monkeypatch: Any) -> None:
    busy_service.publisher.publish(["busy"])
    calls = _count_timeline_work(monkeypatch)
    with busy_service.lock:
        busy_service.db.execute("update announcements set title = 'Berita baru' where id = 1")
    (published,) = busy_service.publisher.publish(["busy"])
    assert published.version == 2
    # one serialisation; the fields checked once (with an empty timeline: the columns are checked instead)
    assert calls["segments_json"] == 1 and calls["segments"] == 0 and calls["check"] == 1
    manifest = parse_manifest(verify_envelope(published.body, _keys(busy_service)))
    assert manifest.items["ann-1"].title == "Berita baru"


def test_the_timeline_written_from_columns_is_canonical_json_of_the_segments() -> None:
    from playlists.codec import parse_item, parse_rule

    display, rules, items = busy_display()
    odd = 'slide "ganjil" é ✓'
    items[odd] = parse_item({"id": odd, "type": "image", "duration_s": 7})
    rules = [*rules, parse_rule({"id": "odd", "item": odd, "targets": {"all": True}, "layer": "fallback"})]
    from bench_compile import compile_one, make_world

    compiled = [compile_one(display, rules, items)]
    world, world_rules, world_items = make_world(20, 200, caps_percent=5)
    compiled += [compile_one(d, world_rules, world_items) for d in world]
    for timeline in compiled:
        assert timeline.segments_json() == canonical_json(timeline.segments())


def test_the_column_check_agrees_with_the_manifest_check() -> None:
    from bench_compile import compile_one

    display, rules, items = busy_display()
    compiled = compile_one(display, rules, items)
    zones, layers, item_ids = {"main", "ticker", "clock"}, set(manifest_module.LAYERS), set(items)
    assert compiled.plausible(zones, layers, item_ids)
    assert not compiled.plausible(zones - {"clock"}, layers, item_ids)
    assert not compiled.plausible(zones, layers - {"interrupt"}, item_ids)
    assert not compiled.plausible(zones, layers, item_ids - {"spot2"})


def test_an_edit_that_moves_the_timeline_is_not_mistaken_for_no_change(busy_service: Service) -> None:
    """The fingerprint shortcut must see a schedule change that leaves every item as it was."""
    (first,) = busy_service.publisher.publish(["busy"])
    with busy_service.lock:
        row = next(busy_service.db.table("rules").rows_where("id = 'ann-1'"))
        body = json.loads(row["body"])
        body["dayparts"] = [{"start": "17:00", "end": "21:00"}]
        busy_service.db.table("rules").update("ann-1", {"body": json.dumps(body)})
    (second,) = busy_service.publisher.publish(["busy"])
    old = json.loads(first.body)["manifest"]
    new = json.loads(second.body)["manifest"]
    assert old["items"] == new["items"] and old["timeline"] != new["timeline"]


def test_segments_digest_is_equal_exactly_when_segments_are() -> None:
    from bench_compile import compile_one

    from playlists.codec import parse_rule, rule_to_dict

    display, rules, items = busy_display()
    a, b = compile_one(display, rules, items), compile_one(display, rules, items)
    assert a.segments_digest() == b.segments_digest() and a.segments() == b.segments()
    edited = [parse_rule({**rule_to_dict(r), "weight": 2}) if r.id == "n03" else r for r in rules]
    c = compile_one(display, edited, items)
    assert c.segments() != a.segments() and c.segments_digest() != a.segments_digest()


def _tiny(timeline: list[dict[str, Any]]) -> dict[str, Any]:
    return dict(
        display_id="d1",
        version=1,
        generated_at=NOW,
        valid_until=NOW,
        timezone="Asia/Pontianak",
        canvas={"width": 768, "height": 432, "rotation": 0},
        layouts={"default": [{"id": "main", "x": 0, "y": 0, "w": 1, "h": 1}]},
        layout="default",
        items={"a": {"type": "image", "duration_s": 10, "media": {"sha256": "0" * 64, "size": 1, "mime": "image/png",
                                                                 "url": "../media/x"}}},
        timeline=timeline,
        fallback=[],
        operating_hours=[],
        key_id="k",
    )  # fmt: skip


def _seg(start_s: int, end_s: int, **extra: Any) -> dict[str, Any]:
    seg = {"start": _utc_text(start_s), "end": _utc_text(end_s), "zone": "main", "layer": "normal", "loop": ["a"]}
    return {**seg, **extra}


def test_build_manifest_checks_the_timeline_without_parsing_it(monkeypatch: Any) -> None:
    calls = {"instant": 0}
    real = manifest_module._instant

    def counting(*args: Any) -> Any:
        calls["instant"] += 1
        return real(*args)

    monkeypatch.setattr(manifest_module, "_instant", counting)
    timeline = [_seg(1_800_000_000 + 10 * k, 1_800_000_000 + 10 * (k + 1)) for k in range(500)]
    build_manifest(**_tiny(timeline))
    assert calls["instant"] == 2  # generated_at and valid_until; the 1,000 segment instants in the fast loop


BAD_SEGMENTS = [
    ({"end": "2027-01-15T08:00:10Z", "zone": "main", "layer": "normal", "loop": ["a"]}, "timeline[1].start"),
    (_seg(1_800_000_010, 1_800_000_010), "timeline[1].end"),
    (_seg(1_800_000_010, 1_800_000_020, start="2027-01-15 08:00"), "timeline[1].start"),
    (_seg(1_800_000_010, 1_800_000_020, end="2027-01-15T08:00:20"), "timeline[1].end"),
    (_seg(1_800_000_010, 1_800_000_020, start=1_800_000_010), "timeline[1].start"),
    (_seg(1_800_000_010, 1_800_000_020, layer="loud"), "timeline[1].layer"),
    (_seg(1_800_000_010, 1_800_000_020, zone="ticker"), "timeline[1].zone"),
    (_seg(1_800_000_010, 1_800_000_020, loop=["nope"]), "timeline[1].loop"),
    (_seg(1_800_000_010, 1_800_000_020, loop=[]), "timeline[1].loop"),
    (_seg(1_800_000_010, 1_800_000_020, loop="a"), "timeline[1].loop"),
    (_seg(1_800_000_010, 1_800_000_020, zone=3), "timeline[1].zone"),
    ("not a segment", "timeline[1].start"),
]


@pytest.mark.parametrize(("bad", "field"), BAD_SEGMENTS)
def test_check_manifest_refuses_what_the_player_refuses_with_the_same_error(bad: Any, field: str) -> None:
    data = build_manifest(**_tiny([_seg(1_800_000_000, 1_800_000_010), bad]), check=False)
    with pytest.raises(ManifestFormatError) as parsed:
        parse_manifest(data)
    with pytest.raises(ManifestFormatError) as checked:
        check_manifest(data)
    assert checked.value.field == parsed.value.field == field
    assert str(checked.value) == str(parsed.value)


def test_an_off_segment_may_have_an_empty_loop() -> None:
    check_manifest(build_manifest(**_tiny([_seg(1_800_000_000, 1_800_000_010, layer="off", loop=[])]), check=False))


def test_spliced_canonical_bytes_equal_canonical_json() -> None:
    timeline = [_seg(1_800_000_000, 1_800_000_010, why="é ✓")]
    manifest = build_manifest(**_tiny(timeline))
    rest = {k: v for k, v in manifest.items() if k != "timeline"}
    assert canonical_object(rest, {"timeline": canonical_json(timeline)}) == canonical_json(manifest)
    key, intro_by = SigningKey.generate(), SigningKey.generate()
    intros = [{"key_id": key.key_id, "public_key": key.public_text, "introduced_at": "2026-11-30T00:00:00Z",
               "signed_by": intro_by.key_id, "signature": "x"}]  # fmt: skip
    for introductions in (None, [], intros):
        assert envelope_bytes_of(canonical_json(manifest), key, introductions) == envelope_bytes(
            manifest, key, introductions
        )
    with pytest.raises(ValueError, match="timeline"):
        canonical_object(manifest, {"timeline": b"[]"})


def test_utc_text_matches_format_utc() -> None:
    days: dict[int, str] = {}
    for instant_s in (-86_401, -1, 0, 1_798_761_599, 1_798_761_600, 1_800_000_000, 4_102_444_799):
        expected = format_utc(datetime.fromtimestamp(instant_s, UTC))
        assert _utc_text(instant_s, days) == _utc_text(instant_s) == expected


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        (None, False),
        ("", False),
        ("identity", False),
        ("gzip", True),
        ("GZIP", True),
        ("deflate, gzip;q=0.5", True),
        ("gzip;q=0", False),
        ("gzip; q=0.0, identity", False),
        ("*", True),
        ("*;q=0", False),
        ("br, *;q=0.1", True),
        ("gzip;q=0, *", False),
        ("x-gzip", True),
        ("gzip;q=abc", False),
    ],
)
def test_accepts_gzip(header: str | None, accepted: bool) -> None:
    assert accepts_gzip(header) is accepted


def test_stored_rules_are_parsed_once_until_they_change(busy_service: Service, monkeypatch: Any) -> None:
    """Each publish re-read and re-parsed every stored rule (5,000 rules: ~150 ms before any compile)."""
    import scheduler.schedule as schedule_module

    busy_service.publisher.publish(["busy"])
    parsed: list[str] = []
    real = schedule_module.parse_rule

    def counting(body: Any) -> Any:
        parsed.append(body["id"])
        return real(body)

    monkeypatch.setattr(schedule_module, "parse_rule", counting)
    assert busy_service.publisher.publish(["busy"]) == [] and parsed == []
    with busy_service.lock:
        row = next(busy_service.db.table("rules").rows_where("id = 'ann-2'"))
        busy_service.db.table("rules").update("ann-2", {"body": json.dumps({**json.loads(row["body"]), "weight": 3})})
    (published,) = busy_service.publisher.publish(["busy"])
    assert parsed == ["ann-2"]  # only the edited body
    loops = [seg["loop"] for seg in json.loads(published.body)["manifest"]["timeline"] if seg["layer"] == "normal"]
    assert max(loop.count("ann-2") for loop in loops) == 3  # and the edit took effect


def test_a_batch_writes_its_files_on_several_threads_before_recording_them(tmp_path: Path, monkeypatch: Any) -> None:
    """Each file is fsynced; one after another, 1,000 displays waited seconds on the disk."""
    import threading

    from bench_compile import make_world

    from scheduler.publish_pool import RenderPool

    service = Service(SchedulerConfig(data_dir=str(tmp_path / "scheduler")), clock=lambda: NOW)
    try:
        write_world(service.db, *make_world(12, 60))
        service.publisher.pool = RenderPool(workers=1)  # rendering in-process: only the writes are threaded
        threads: set[str] = set()
        real_write = Publisher._write
        # the first two writes wait for each other: two files in flight at once, on two threads
        together = threading.Barrier(2, timeout=120)
        calls = iter(range(1_000))

        def recording(self: Publisher, *args: Any) -> Any:
            threads.add(threading.current_thread().name)
            if next(calls) < 2:
                together.wait()
            with service.lock:  # nothing recorded before every file is written
                assert service.db.table("manifests").count == 0
            return real_write(self, *args)

        monkeypatch.setattr(Publisher, "_write", recording)
        published = service.publisher.publish_all()
        assert len(published) == 12 and len(threads) > 1
        assert all(t.startswith("publish-write") for t in threads)
        assert service.db.table("manifests").count == 12
        for p in published:
            assert (service.publisher.manifests_dir / p.display_id / "1.json").read_bytes() == p.body
    finally:
        service.close()


def test_only_the_newest_version_files_are_kept(busy_service: Service) -> None:
    from scheduler.publish import KEPT_VERSION_FILES

    folder = busy_service.publisher.manifests_dir / "busy"
    for n in range(KEPT_VERSION_FILES + 3):
        with busy_service.lock:  # each publish a real change: the canvas turns
            busy_service.db.table("displays").update("busy", {"rotation": 180 if n % 2 else 0})
        (published,) = busy_service.publisher.publish(["busy"])
    assert published.version == KEPT_VERSION_FILES + 3
    kept = sorted(int(p.name.split(".")[0]) for p in folder.glob("*.json"))
    assert kept == list(range(4, KEPT_VERSION_FILES + 4))
    assert sorted(int(p.name.split(".")[0]) for p in folder.glob("*.json.gz")) == kept
    with busy_service.lock:  # every version's row stays
        assert busy_service.db.table("manifests").count_where("display_id = 'busy'") == KEPT_VERSION_FILES + 3
    again = _fresh_publisher(busy_service).latest("busy")  # a restart serves the newest file
    assert again is not None and again.version == published.version and again.etag == published.etag
