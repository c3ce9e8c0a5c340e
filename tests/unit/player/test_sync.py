"""SyncEngine against a real HTTP fixture server: verify, download, swap, refuse."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from player.cache import ManifestStore, MediaCache
from player.identity import Identity
from player.sync import SyncEngine
from signage.signing import SigningKey


@pytest.fixture
def engine(identity: Identity, data_dir: Path) -> SyncEngine:
    return SyncEngine(identity, MediaCache(data_dir / "cache"), ManifestStore(data_dir / "manifest"))


def text_item(title: str) -> dict[str, Any]:
    return {"type": "text", "duration_s": 10, "title": title,
            "text": {"title": title, "body": "Isi"}}


def publish_image(publisher: Any, helpers: Any, version: int, color: str = "#aa2222") -> bytes:
    media = publisher.add_media(helpers.png(64, 36, (color, "#2222aa")), "image/png")
    items = {"img": {"type": "image", "duration_s": 10, "title": "Gambar", "media": media},
             "txt": text_item("Pengumuman")}
    return publisher.publish(publisher.manifest(version, items))


def test_first_sync_downloads_media_and_commits(engine, publisher, helpers, data_dir, qapp):
    envelope = publish_image(publisher, helpers, 1)
    outcome = engine.sync_once()
    assert outcome.kind == "applied", outcome.reason
    assert outcome.loaded is not None and outcome.loaded.version == 1
    assert (data_dir / "manifest" / "current.json").read_bytes() == envelope
    sha = next(iter(publisher.media))
    assert (data_dir / "cache" / sha).read_bytes() == publisher.media[sha]
    manifest_hits = publisher.server.hits("GET", publisher.manifest_path)
    assert manifest_hits[0]["headers"]["Authorization"] == f"Bearer {helpers.TOKEN}"
    assert outcome.server_epoch_s is not None  # Date header read for the clock


def test_conditional_get_304(engine, publisher, helpers, qapp):
    publish_image(publisher, helpers, 1)
    assert engine.sync_once().kind == "applied"
    outcome = engine.sync_once()
    assert outcome.kind == "not_modified"
    second = publisher.server.hits("GET", publisher.manifest_path)[1]
    assert second["headers"]["If-None-Match"] == engine.etag
    # media were not fetched again
    sha = next(iter(publisher.media))
    assert len(publisher.server.hits("GET", f"/api/v1/media/{sha}")) == 1


def test_flipped_byte_refused_and_previous_kept(engine, publisher, helpers, data_dir, qapp):
    first = publish_image(publisher, helpers, 1)
    assert engine.sync_once().kind == "applied"

    def flip(data: bytes) -> bytes:
        at = data.index(b"Pengumuman")
        return data[:at] + b"Q" + data[at + 1:]

    publisher.publish(publisher.manifest(2, {"txt": text_item("Pengumuman")}), tamper=flip)
    outcome = engine.sync_once()
    assert outcome.kind == "refused"
    assert outcome.reason == "manifest signature does not verify"
    assert engine.current is not None and engine.current.version == 1
    assert (data_dir / "manifest" / "current.json").read_bytes() == first


def test_unknown_key_refused(engine, publisher, qapp):
    stranger = SigningKey.generate()
    manifest = publisher.manifest(1, {"txt": text_item("A")}, key=stranger)
    publisher.publish(manifest, key=stranger)
    outcome = engine.sync_once()
    assert outcome.kind == "refused"
    assert "unknown key" in (outcome.reason or "")
    assert engine.current is None


def test_lower_and_equal_version_refused(engine, publisher, qapp):
    publisher.publish(publisher.manifest(5, {"txt": text_item("v5")}))
    assert engine.sync_once().kind == "applied"
    publisher.publish(publisher.manifest(4, {"txt": text_item("v4")}))
    outcome = engine.sync_once()
    assert outcome.kind == "refused"
    assert "lower than the current version 5" in (outcome.reason or "")
    publisher.publish(publisher.manifest(5, {"txt": text_item("other v5")}))
    assert engine.sync_once().kind == "refused"
    assert engine.current is not None and engine.current.version == 5


def test_same_bytes_is_noop(engine, publisher, qapp):
    data = publisher.publish(publisher.manifest(1, {"txt": text_item("A")}))
    assert engine.sync_once().kind == "applied"
    engine.etag = None  # e.g. after a restart: no ETag known, same bytes arrive
    assert engine.sync_once().kind == "unchanged"
    assert engine.current is not None and engine.current.envelope == data


def test_media_sha_mismatch_refused_without_partial_file(engine, publisher, helpers, data_dir,
                                                         qapp):
    publisher.publish(publisher.manifest(1, {"txt": text_item("A")}))
    assert engine.sync_once().kind == "applied"
    media = publisher.add_media(helpers.png(32, 18), "image/png")
    # the server sends different bytes of the same length
    good = publisher.media[media["sha256"]]
    publisher.server.set("GET", f"/api/v1/media/{media['sha256']}",
                         helpers.Route(200, bytes(len(good))))
    items = {"img": {"type": "image", "duration_s": 10, "media": media}}
    publisher.publish(publisher.manifest(2, items))
    outcome = engine.sync_once()
    assert outcome.kind == "refused"
    assert "sha256 mismatch" in (outcome.reason or "")
    cache_files = [p.name for p in (data_dir / "cache").rglob("*") if p.is_file()]
    assert cache_files == []  # neither the final name nor a temp or partial file
    assert engine.current is not None and engine.current.version == 1
    current = json.loads((data_dir / "manifest" / "current.json").read_bytes())
    assert current["manifest"]["version"] == 1


def test_new_version_keeps_previous_as_last_good(engine, publisher, data_dir, qapp):
    first = publisher.publish(publisher.manifest(1, {"txt": text_item("A")}))
    assert engine.sync_once().kind == "applied"
    second = publisher.publish(publisher.manifest(2, {"txt": text_item("B")}))
    assert engine.sync_once().kind == "applied"
    assert (data_dir / "manifest" / "current.json").read_bytes() == second
    assert (data_dir / "manifest" / "last_good.json").read_bytes() == first


def test_manifest_for_another_display_refused(engine, publisher, qapp):
    publisher.publish(publisher.manifest(1, {"txt": text_item("A")}, display_id="other"))
    outcome = engine.sync_once()
    assert outcome.kind == "refused"
    assert "for display 'other'" in (outcome.reason or "")


def test_server_down_is_a_failure_not_a_refusal(identity, data_dir):
    dead = Identity(identity.display_id, identity.token, "http://127.0.0.1:9/api/v1/player/manifest",
                    identity.public_keys)
    engine = SyncEngine(dead, MediaCache(data_dir / "cache"), ManifestStore(data_dir / "manifest"))
    outcome = engine.sync_once()
    assert outcome.kind == "failed"
    assert "cannot connect" in (outcome.reason or "")


def test_cached_manifest_reloads_only_if_verified_and_complete(engine, publisher, helpers,
                                                               identity, data_dir, qapp):
    publish_image(publisher, helpers, 3)
    assert engine.sync_once().kind == "applied"
    store, cache = ManifestStore(data_dir / "manifest"), MediaCache(data_dir / "cache")
    loaded = store.load(identity.trusted_keys(), cache, identity.display_id)
    assert loaded is not None and loaded.version == 3 and loaded.source == "manifest"
    # a damaged media file makes the cached manifest unusable
    sha = next(iter(publisher.media))
    path = data_dir / "cache" / sha
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    assert store.load(identity.trusted_keys(), cache, identity.display_id) is None
    # and a key the identity no longer trusts refuses it too
    path.write_bytes(publisher.media[sha])
    assert store.load({}, cache, identity.display_id) is None
