from __future__ import annotations

import threading
from datetime import date, datetime
from pathlib import Path

import pytest
from PIL import Image

from content.drafts import DraftRequest
from content.errors import IngestRefused
from content.inbox import DropHandler, InboxDrop, InboxWatcher, pipeline_handler
from content.sidecar import SidecarError, parse_sidecar
from content.store import MediaStore
from signage.canvas import Canvas


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def watcher(root: Path, handle: DropHandler, clock: FakeClock) -> InboxWatcher:
    return InboxWatcher(root, handle, settle_s=2.0, clock=clock)


def test_file_is_taken_only_once_its_size_is_stable(tmp_path: Path) -> None:
    clock, seen = FakeClock(), list[InboxDrop]()
    inbox = watcher(tmp_path / "inbox", seen.append, clock)
    group = tmp_path / "inbox" / "kecamatan-sungai-pinyuh"
    group.mkdir()
    growing = group / "video.mp4"
    growing.write_bytes(b"x" * 10)
    assert inbox.poll() == []
    clock.now = 1.5
    with growing.open("ab") as fh:
        fh.write(b"y" * 10)  # still being copied
    assert inbox.poll() == []
    clock.now = 3.0
    assert inbox.poll() == []  # only 1.5 s since the last change
    clock.now = 4.0
    [outcome] = inbox.poll()
    assert outcome.ok and outcome.group == "kecamatan-sungai-pinyuh"
    [drop] = seen
    assert isinstance(drop, InboxDrop) and drop.path == growing
    assert not growing.exists()


def test_sidecar_sets_title_dates_layer(tmp_path: Path) -> None:
    clock, seen = FakeClock(), list[InboxDrop]()
    inbox = watcher(tmp_path / "inbox", seen.append, clock)
    group = tmp_path / "inbox" / "pemda"
    group.mkdir()
    (group / "rapat.jpg").write_bytes(b"jpg")
    (group / "rapat.yaml").write_text(
        "title: Rapat Paripurna\nstarts_at: 2025-03-01 08:00\nends_at: 2025-03-03\n"
        "layer: interrupt\n", "utf-8",
    )  # fmt: skip
    inbox.poll()
    clock.now = 5
    inbox.poll()
    [drop] = seen
    assert drop.sidecar.title == "Rapat Paripurna" and drop.sidecar.layer == "interrupt"
    assert drop.sidecar.starts_at == datetime(2025, 3, 1, 8, 0)
    assert drop.sidecar.ends_at == date(2025, 3, 3)
    assert list(group.iterdir()) == []


def test_refusal_moves_the_file_to_failed_with_the_reason(tmp_path: Path) -> None:
    clock = FakeClock()

    def refuse(drop: InboxDrop) -> None:
        raise IngestRefused("the file is empty (0 bytes); upload it again.")

    inbox = watcher(tmp_path / "inbox", refuse, clock)
    group = tmp_path / "inbox" / "pemda"
    group.mkdir()
    (group / "kosong.mp4").write_bytes(b"")
    (group / "kosong.yml").write_text("title: x\n", "utf-8")
    inbox.poll()
    clock.now = 5
    [outcome] = inbox.poll()
    assert not outcome.ok
    failed = tmp_path / "inbox" / "failed"
    assert sorted(p.name for p in failed.iterdir()) == [
        "kosong.mp4", "kosong.mp4.error.txt", "kosong.yml",
    ]  # fmt: skip
    text = (failed / "kosong.mp4.error.txt").read_text("utf-8")
    assert "empty" in text and "pemda" in text
    assert inbox.poll() == []  # failed/ is never re-ingested


@pytest.mark.parametrize(
    ("place", "sidecar", "reason"),
    [
        ("loose.jpg", None, "group folder"),
        ("g/sub/deep.jpg", None, "sub-folder"),
        ("g/a.jpg", "layer: loud\n", "layer must be one of"),
        ("g/b.jpg", "title: [unclosed\n", "not valid YAML"),
        ("g/c.jpg", "colour: red\n", "unknown key"),
    ],
)
def test_bad_drops_fail_with_a_clear_reason(tmp_path: Path, place: str, sidecar: str | None, reason: str) -> None:
    clock, seen = FakeClock(), list[InboxDrop]()
    root = tmp_path / "inbox"
    inbox = watcher(root, seen.append, clock)
    path = root / place
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"data")
    if sidecar is not None:
        path.with_suffix(".yaml").write_text(sidecar, "utf-8")
    inbox.poll()
    clock.now = 5
    [outcome] = inbox.poll()
    assert not outcome.ok and reason in (outcome.error or "")
    assert seen == []
    assert (root / "failed" / (path.name + ".error.txt")).exists()


def test_temporary_and_hidden_files_are_ignored(tmp_path: Path) -> None:
    clock, seen = FakeClock(), list[InboxDrop]()
    inbox = watcher(tmp_path / "inbox", seen.append, clock)
    group = tmp_path / "inbox" / "g"
    group.mkdir()
    for name in (".hidden.jpg", "upload.mp4.part", "x.crdownload", "alone.yaml"):
        (group / name).write_bytes(b"1")
    inbox.poll()
    clock.now = 10
    assert inbox.poll() == [] and seen == []


def test_sidecar_dates_must_be_in_order() -> None:
    with pytest.raises(SidecarError, match="before"):
        parse_sidecar("starts_at: 2025-03-02\nends_at: 2025-03-01\n")
    assert parse_sidecar("").title is None


def test_real_watchdog_to_draft(tmp_path: Path) -> None:
    store = MediaStore(tmp_path / "store")
    drafts: list[DraftRequest] = []
    done = threading.Event()

    def create_draft(request: DraftRequest) -> None:
        drafts.append(request)
        done.set()

    handle = pipeline_handler(store, lambda group: [Canvas(400, 300)], create_draft)
    root = tmp_path / "inbox"
    with InboxWatcher(root, handle, settle_s=0.2, poll_s=0.05):
        (root / "desa").mkdir()
        Image.new("RGB", (80, 60), (200, 0, 0)).save(root / "desa" / "Posyandu_Mawar.png")
        assert done.wait(15), "the inbox did not pick up the file"
    [draft] = drafts
    assert (draft.group, draft.title, draft.source) == ("desa", "Posyandu Mawar", "inbox")
    assert draft.result.kind == "image" and store.has(draft.result.derived[0].sha256)
