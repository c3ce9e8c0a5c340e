from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from content.gc import plan_gc
from content.store import MediaStore

A, B, C = "a" * 64, "b" * 64, "c" * 64
DAY = 86_400.0


def test_pure_plan_never_deletes_referenced_or_fresh_blobs() -> None:
    stored = {A: 0.0, B: 0.0, C: 9 * DAY}
    first = plan_gc(stored, {A}, {}, now_s=10 * DAY, grace_s=DAY)
    assert first.delete == frozenset()  # first sighting starts the clock
    assert first.unreferenced_since == {B: 10 * DAY, C: 10 * DAY}
    later = plan_gc(stored, {A}, first.unreferenced_since, now_s=10.5 * DAY, grace_s=DAY)
    assert later.delete == frozenset()
    done = plan_gc(stored, {A}, first.unreferenced_since, now_s=11 * DAY, grace_s=DAY)
    assert done.delete == {B, C}
    assert done.unreferenced_since == {}


def test_pure_plan_restarts_the_clock_when_referenced_again_or_touched() -> None:
    since = {B: 0.0}
    assert plan_gc({B: 0.0}, {B}, since, now_s=5 * DAY, grace_s=DAY).unreferenced_since == {}
    touched = plan_gc({B: 4.5 * DAY}, set(), since, now_s=5 * DAY, grace_s=DAY)
    assert touched.delete == frozenset()


@given(
    st.dictionaries(st.sampled_from([A, B, C]), st.floats(0, 100 * DAY)),
    st.sets(st.sampled_from([A, B, C])),
    st.dictionaries(st.sampled_from([A, B, C]), st.floats(0, 100 * DAY)),
    st.floats(0, 200 * DAY),
    st.floats(0, 10 * DAY),
)
def test_pure_plan_invariants(
    stored: dict[str, float], referenced: set[str], since: dict[str, float], now: float,
    grace: float,
) -> None:  # fmt: skip
    plan = plan_gc(stored, referenced, since, now, grace)
    assert not plan.delete & referenced
    for sha in plan.delete:
        assert sha in since and now - max(since[sha], stored[sha]) >= grace


def test_store_dedupes_and_records_type(tmp_path: Path) -> None:
    store = MediaStore(tmp_path)
    one = store.put_bytes(b"hello", mime="text/plain")
    src = tmp_path / "x.bin"
    src.write_bytes(b"hello")
    two = store.put_file(src)
    assert one.sha256 == two.sha256 and len(list(store.iter_media())) == 1
    info = store.info(one.sha256)
    assert info is not None and (info.size, info.mime) == (5, "text/plain")
    assert store.info("0" * 64) is None
    with pytest.raises(ValueError):
        store.path_for("../etc/passwd")


def test_move_file_and_workdir(tmp_path: Path) -> None:
    store = MediaStore(tmp_path / "s")
    with store.workdir() as scratch:
        out = Path(scratch) / "o.mp4"
        out.write_bytes(b"video")
        stored = store.move_file(out, mime="video/mp4")
        assert not out.exists() and stored.path.read_bytes() == b"video"
    assert sorted(p.name for p in store.root.iterdir()) == [".meta", stored.sha256]


def test_collect_garbage_deletes_only_after_grace(tmp_path: Path) -> None:
    store = MediaStore(tmp_path)
    keep = store.put_bytes(b"keep").sha256
    drop = store.put_bytes(b"drop").sha256
    old = 1_000_000.0
    for sha in (keep, drop):
        os.utime(store.path_for(sha), (old, old))
    stale = tmp_path / ".work-crashed"
    stale.mkdir()
    os.utime(stale, (old, old))

    first = store.collect_garbage({keep}, now_s=old + 10 * DAY, grace_s=DAY)
    assert first.deleted == () and first.waiting == 1
    assert not stale.exists()
    early = store.collect_garbage({keep}, now_s=old + 10.5 * DAY, grace_s=DAY)
    assert early.deleted == ()
    late = store.collect_garbage({keep}, now_s=old + 11 * DAY, grace_s=DAY)
    assert late.deleted == (drop,) and late.freed_bytes == 4
    assert store.has(keep) and not store.has(drop)


def test_storing_again_rescues_a_blob_from_gc(tmp_path: Path) -> None:
    store = MediaStore(tmp_path)
    sha = store.put_bytes(b"again").sha256
    old = 1_000_000.0
    os.utime(store.path_for(sha), (old, old))
    store.collect_garbage(set(), now_s=old + 10 * DAY, grace_s=DAY)
    store.put_bytes(b"again")  # re-upload touches the blob (mtime = real now)
    report = store.collect_garbage(set(), now_s=old + 12 * DAY, grace_s=DAY)
    assert store.has(sha) and report.deleted == ()
