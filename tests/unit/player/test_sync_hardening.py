"""Sync hardening: Range resume, cut links, parallel limit, bandwidth cap, staged commit,
LRU quota, background re-verification, introduced keys, clock jumps."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from netsim import LinkSimulator, RangeServer

from player.cache import ManifestStore, MediaCache, required_media
from player.clock import PlayerClock
from player.download import CHUNK_BYTES, Downloader
from player.identity import Identity, load_identity, save_identity
from player.runner import TimelineRunner
from player.sync import SyncEngine
from player.verifier import CacheVerifier
from signage.manifest import MediaRef, parse_manifest
from signage.ratelimit import TokenBucket
from signage.signing import SigningKey, envelope_bytes, introduce

MANIFEST_PATH = "/api/v1/player/manifest"


def blob(size: int, seed: int = 1) -> bytes:
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{seed}-{counter}".encode()).digest()
        counter += 1
    return bytes(out[:size])


def media_ref(data: bytes, mime: str = "application/octet-stream") -> MediaRef:
    sha = hashlib.sha256(data).hexdigest()
    return MediaRef(sha, len(data), mime, f"../media/{sha}")


@pytest.fixture
def origin() -> Iterator[RangeServer]:
    server = RangeServer().start()
    yield server
    server.stop()


class Site:
    """Signs manifests and serves them with their media from a RangeServer."""

    def __init__(self, origin: RangeServer, publisher: Any, key: SigningKey) -> None:
        self.origin = origin
        self.publisher = publisher  # only its manifest builder is used
        self.key = key

    def add(self, data: bytes, mime: str = "image/png") -> dict[str, Any]:
        sha = hashlib.sha256(data).hexdigest()
        self.origin.add(f"/api/v1/media/{sha}", data, mime)
        return {"sha256": sha, "size": len(data), "mime": mime, "url": f"../media/{sha}"}

    def publish(self, version: int, items: dict[str, Any], timeline: list[dict[str, Any]] | None = None,
                *, key: SigningKey | None = None, introductions: list[dict[str, Any]] | None = None,
                **kwargs: Any) -> bytes:
        key = key or self.key
        manifest = self.publisher.manifest(version, items, timeline, key=key, **kwargs)
        body = envelope_bytes(manifest, key, introductions)
        self.origin.add(MANIFEST_PATH, body, "application/json")
        return body


@pytest.fixture
def site(origin: RangeServer, publisher: Any, signing_key: SigningKey) -> Site:
    return Site(origin, publisher, signing_key)


@pytest.fixture
def origin_identity(origin: RangeServer, signing_key: SigningKey, helpers: Any) -> Identity:
    return Identity(helpers.DISPLAY_ID, helpers.TOKEN, origin.url + MANIFEST_PATH,
                    {signing_key.key_id: signing_key.public_text}, origin.url)


def make_engine(identity: Identity, data_dir: Path, **kwargs: Any) -> SyncEngine:
    return SyncEngine(identity, MediaCache(data_dir / "cache"), ManifestStore(data_dir / "manifest"),
                      data_dir=data_dir, **kwargs)


def image_item(media: dict[str, Any], duration_s: float = 10) -> dict[str, Any]:
    return {"type": "image", "duration_s": duration_s, "title": "img", "media": media}


# -- downloads ------------------------------------------------------------------


def test_cut_link_resumes_and_origin_sends_the_file_once(origin: RangeServer, tmp_path: Path):
    data = blob(600_000)
    media = media_ref(data)
    origin.add(f"/api/v1/media/{media.sha256}", data)
    link = LinkSimulator(("127.0.0.1", origin.port), rate_bytes_per_s=1_000_000, rtt_s=0.01,
                         cut_after_bytes=140_000).start()
    try:
        cache = MediaCache(tmp_path / "cache")
        import requests

        downloader = Downloader(cache, requests.Session())
        path = downloader.fetch(f"{link.url}/api/v1/media/{media.sha256}", media)
    finally:
        link.stop()
    assert path.read_bytes() == data
    assert link.counters.cuts >= 4
    assert downloader.stats.resumed >= 4
    # the link carried the file once (plus headers and what was in flight at each cut), not multiples
    assert len(data) <= link.counters.bytes_from_origin <= len(data) * 1.1, link.counters
    assert len(data) <= downloader.stats.bytes_received <= len(data) * 1.001
    assert not list((tmp_path / "cache" / ".partial").glob("*"))


def test_partial_file_is_resumed_with_range_after_a_restart(site, origin, origin_identity, data_dir, qapp):
    data = blob(300_000, seed=2)
    media = site.add(data)
    envelope = site.publish(1, {"img": image_item(media)})
    partial = data_dir / "cache" / ".partial" / f"{media['sha256']}.part"
    partial.parent.mkdir(parents=True)
    partial.write_bytes(data[:123_456])  # left by a killed player
    outcome = make_engine(origin_identity, data_dir).sync_once()
    assert outcome.kind == "applied", outcome.reason
    ranges = [h.get("Range") for m, p, h in origin.requests if p.endswith(media["sha256"])]
    assert ranges == ["bytes=123456-"]
    assert origin.bytes_sent == len(envelope) + len(data) - 123_456
    assert (data_dir / "cache" / media["sha256"]).read_bytes() == data
    assert not partial.exists()


def test_corrupt_partial_prefix_is_refused_then_downloaded_whole(site, origin_identity, data_dir, qapp):
    data = blob(100_000, seed=3)
    media = site.add(data)
    site.publish(1, {"img": image_item(media)})
    partial = data_dir / "cache" / ".partial" / f"{media['sha256']}.part"
    partial.parent.mkdir(parents=True)
    partial.write_bytes(b"\0" * 5000)
    engine = make_engine(origin_identity, data_dir)
    first = engine.sync_once()
    assert first.kind == "refused" and "sha256 mismatch" in (first.reason or "")
    assert not partial.exists() and not (data_dir / "cache" / media["sha256"]).exists()
    assert engine.sync_once().kind == "applied"
    assert (data_dir / "cache" / media["sha256"]).read_bytes() == data


def test_parallel_downloads_are_limited(site, origin, origin_identity, data_dir, qapp):
    origin.throttle_bytes_per_s = 400_000
    items = {f"i{n}": image_item(site.add(blob(60_000, seed=10 + n))) for n in range(6)}
    site.publish(1, items)
    assert make_engine(origin_identity, data_dir, max_parallel=2).sync_once().kind == "applied"
    assert origin.max_active == 2


def test_bandwidth_cap(origin, tmp_path):
    data = blob(240_000, seed=4)
    media = media_ref(data)
    origin.add(f"/api/v1/media/{media.sha256}", data)
    import requests

    downloader = Downloader(MediaCache(tmp_path), requests.Session(), limiter=TokenBucket(400_000, CHUNK_BYTES))
    started = time.monotonic()
    downloader.fetch(f"{origin.url}/api/v1/media/{media.sha256}", media)
    elapsed_s = time.monotonic() - started
    assert elapsed_s >= (len(data) - 65536) / 400_000 * 0.9
    assert elapsed_s < 3.0


# -- staged commit ------------------------------------------------------------------


def test_manifest_goes_live_when_its_first_hours_are_cached(site, origin, origin_identity, data_dir,
                                                            helpers, qapp):
    now = helpers.T0
    soon, later = blob(20_000, seed=5), blob(400_000, seed=6)
    soon_media, later_media = site.add(soon), site.add(later)
    fmt = helpers.fmt
    timeline = [
        {"start": fmt(now - timedelta(hours=1)), "end": fmt(now + timedelta(hours=20)), "zone": "main",
         "layer": "normal", "loop": ["soon"], "why": "today"},
        {"start": fmt(now + timedelta(hours=20)), "end": fmt(now + timedelta(days=2)), "zone": "main",
         "layer": "normal", "loop": ["later"], "why": "tomorrow"},
    ]
    first = site.publish(1, {"soon": image_item(soon_media)}, start=now - timedelta(days=1))
    engine = make_engine(origin_identity, data_dir, clock=lambda: now)
    assert engine.sync_once().kind == "applied"
    origin.throttle_bytes_per_s = 2_000_000
    site.publish(2, {"soon": image_item(soon_media), "later": image_item(later_media)}, timeline,
                 start=now - timedelta(days=1))
    outcome = engine.sync_once()
    assert outcome.kind == "applied" and outcome.loaded is not None
    assert outcome.loaded.version == 2 and not outcome.loaded.complete
    assert [m.sha256 for m in engine.pending] == [later_media["sha256"]]
    assert not (data_dir / "cache" / later_media["sha256"]).exists()
    assert (data_dir / "manifest" / "last_good.json").read_bytes() == first
    # a restart at this point plays version 2 from the cache, incomplete
    store, cache = ManifestStore(data_dir / "manifest"), MediaCache(data_dir / "cache")
    reloaded = store.load(origin_identity.trusted_keys(), cache, helpers.DISPLAY_ID, now=now)
    assert reloaded is not None and reloaded.version == 2 and not reloaded.complete
    # the rest arrives in the background and the manifest is re-announced complete
    done = engine.fetch_pending()
    assert done is not None and done.kind == "completed" and done.loaded is not None and done.loaded.complete
    assert (data_dir / "cache" / later_media["sha256"]).read_bytes() == later
    assert engine.fetch_pending() is None


def test_required_media_are_the_first_hours_emergencies_and_fallback(publisher, helpers):
    now, fmt = helpers.T0, helpers.fmt
    shas = {name: hashlib.sha256(name.encode()).hexdigest() for name in ("a", "b", "c", "d")}
    items = {name: {"type": "image", "duration_s": 10, "media": {"sha256": sha, "size": 1, "mime": "image/png",
                                                                   "url": f"../media/{sha}"}}
             for name, sha in shas.items()}

    def seg(start_h: float, end_h: float, loop: str, layer: str = "normal") -> dict[str, Any]:
        return {"start": fmt(now + timedelta(hours=start_h)), "end": fmt(now + timedelta(hours=end_h)),
                "zone": "main", "layer": layer, "loop": [loop]}

    manifest = parse_manifest(publisher.manifest(
        1, items, [seg(-1, 3, "a"), seg(30, 31, "b", "emergency"), seg(10, 12, "c")], ["d"],
        start=now - timedelta(days=1)))
    needed = {m.sha256 for m in required_media(manifest, now, 6 * 3600)}
    assert needed == {shas["a"], shas["b"], shas["d"]}


def test_old_manifest_stays_current_while_required_media_cannot_be_fetched(site, origin, origin_identity,
                                                                          data_dir, qapp):
    first = site.publish(1, {"txt": {"type": "text", "duration_s": 5, "title": "A"}})
    engine = make_engine(origin_identity, data_dir)
    assert engine.sync_once().kind == "applied"
    missing = {"sha256": "ab" * 32, "size": 10, "mime": "image/png", "url": f"../media/{'ab' * 32}"}
    site.publish(2, {"img": image_item(missing)})
    engine_outcome = engine.sync_once()
    assert engine_outcome.kind == "failed"
    assert engine.current is not None and engine.current.version == 1
    assert (data_dir / "manifest" / "current.json").read_bytes() == first


# -- cache quota, verifier -------------------------------------------------------------


def test_lru_eviction_beyond_quota_keeps_what_manifests_need(tmp_path):
    cache = MediaCache(tmp_path)
    names = []
    for n in range(5):
        data = blob(1000, seed=20 + n)
        sha = hashlib.sha256(data).hexdigest()
        (tmp_path / sha).write_bytes(data)
        os.utime(tmp_path / sha, (1000 + n, 1000 + n))  # n=0 is the least recently used
        names.append(sha)
    cache.touch(names[0])  # shown just now
    removed = cache.prune(keep={names[1]}, quota_bytes=3000)
    assert removed == 2
    assert sorted(cache.cached()) == sorted([names[0], names[1], names[4]])
    cache.prune(keep={names[1]}, quota_bytes=0)
    assert cache.cached() == [names[1]]


def test_flipped_byte_is_found_by_the_verifier_and_fetched_again(site, origin, origin_identity, data_dir, qapp):
    datas = [blob(50_000, seed=30 + n) for n in range(3)]
    medias = [site.add(d) for d in datas]
    site.publish(1, {f"i{n}": image_item(m) for n, m in enumerate(medias)})
    engine = make_engine(origin_identity, data_dir)
    assert engine.sync_once().kind == "applied"
    victim = data_dir / "cache" / medias[1]["sha256"]
    raw = bytearray(victim.read_bytes())
    raw[1234] ^= 0x01
    victim.write_bytes(bytes(raw))
    damaged: list[str] = []
    verifier = CacheVerifier(engine.cache, 0.01, lambda sha: damaged.append(sha) or engine.media_damaged(sha))
    for _ in range(3):
        verifier.check_one()
    assert damaged == [medias[1]["sha256"]] and verifier.checked == 3
    assert not victim.exists()
    assert engine.current is not None and not engine.current.complete
    done = engine.fetch_pending()
    assert done is not None and done.kind == "completed"
    assert victim.read_bytes() == datas[1]


# -- keys, clock -------------------------------------------------------------------------


def test_introduced_key_is_learned_and_saved_into_identity(site, origin_identity, data_dir, signing_key, qapp):
    save_identity(data_dir, origin_identity)
    engine = make_engine(origin_identity, data_dir)
    new_key = SigningKey.generate()
    intro = introduce(new_key, signing_key, "2026-11-28T00:00:00Z")
    site.publish(1, {"txt": {"type": "text", "duration_s": 5, "title": "A"}}, key=new_key, introductions=[intro])
    assert engine.sync_once().kind == "applied"
    saved = load_identity(data_dir)
    assert saved is not None and saved.public_keys[new_key.key_id] == new_key.public_text
    assert saved.token == origin_identity.token
    assert json.loads((data_dir / "identity.json").read_text())["public_keys"][signing_key.key_id]
    # after a restart the new key alone is enough (no introductions any more)
    site.publish(2, {"txt": {"type": "text", "duration_s": 5, "title": "B"}}, key=new_key)
    fresh = make_engine(saved, data_dir)
    fresh.current = engine.current
    assert fresh.sync_once().kind == "applied"


def test_pc_clock_jump_does_not_derail_the_runner(qtbot, publisher, helpers):
    wall = [helpers.T0.timestamp()]
    mono = [1000.0]
    clock = PlayerClock(wall_s=lambda: wall[0], monotonic_s=lambda: mono[0])
    items = {"a": {"type": "text", "duration_s": 10, "title": "A"},
             "b": {"type": "text", "duration_s": 10, "title": "B"}}
    from player.cache import LoadedManifest

    data = publisher.manifest(1, items)
    loaded = LoadedManifest(parse_manifest(data), b"{}", "manifest")
    runner = TimelineRunner(clock, "main")
    runner.set_manifest(loaded)
    assert runner.cue is not None and runner.cue.item is not None
    first = runner.cue.item.id
    wall[0] += 3605.0  # a technician sets the PC clock an hour ahead
    mono[0] += 1.0
    runner.reevaluate()
    assert runner.cue.item is not None and runner.cue.item.id == first
    wall[0] -= 7200.0  # ...and two hours back
    mono[0] += 10.0
    runner.reevaluate()
    assert runner.cue.item is not None and runner.cue.item.id != first  # only monotonic time moved it
    runner.stop()
