"""A store transaction that reads, then writes, while another connection commits in between (WAL).

With a deferred BEGIN the write is refused at once ("database is locked", no busy wait): it happened to
a large publish recording its versions while the intake writer committed heartbeats. The store's
``atomic()`` takes the write lock when it begins, so the other writer waits for it instead.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from scheduler.store import open_store

WAIT_S = 10.0


def test_a_read_then_write_transaction_survives_a_commit_from_another_connection(tmp_path: Path) -> None:
    path = tmp_path / "signage.db"
    db = open_store(path)
    other = sqlite3.connect(str(path), isolation_level=None, timeout=WAIT_S, check_same_thread=False)
    other_done = threading.Event()
    errors: list[BaseException] = []

    def commit_from_other() -> None:  # the intake writer's group commit, in another connection
        try:
            other.execute("insert into groups (id, name) values ('g-other', 'other')")
        except BaseException as exc:  # reported to the test
            errors.append(exc)
        finally:
            other_done.set()

    with db.atomic():
        assert db.execute("select count(*) from manifests").fetchone() == (0,)  # the transaction has read
        thread = threading.Thread(target=commit_from_other)
        thread.start()
        other_done.wait(0.5)  # the other commit lands now (deferred BEGIN) or waits for this one (IMMEDIATE)
        db.table("groups").insert({"id": "g-mine", "name": "mine"})  # refused at once after a deferred BEGIN
    thread.join(WAIT_S)
    assert not errors, errors
    assert {row["id"] for row in db.table("groups").rows_where("id like 'g-%'")} == {"g-mine", "g-other"}
    other.close()


def test_nested_blocks_still_roll_back_only_their_part(tmp_path: Path) -> None:
    db = open_store(tmp_path / "signage.db")
    with db.atomic():
        db.table("groups").insert({"id": "g-kept", "name": "kept"})
        try:
            with db.atomic():
                db.table("groups").insert({"id": "g-undone", "name": "undone"})
                raise RuntimeError("undo the inner block")
        except RuntimeError:
            pass
    assert {row["id"] for row in db.table("groups").rows_where("id like 'g-%'")} == {"g-kept"}
