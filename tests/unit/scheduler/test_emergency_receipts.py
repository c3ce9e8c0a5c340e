"""Receipts of pushed emergencies: checked against the push, none lost when many arrive at once."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from scheduler.service import Service
from scheduler.store import dumps
from signage.config import SchedulerConfig
from signage.errors import NotFoundError, UserError


def _service(tmp_path: Path, n: int) -> Service:
    service = Service(SchedulerConfig(data_dir=str(tmp_path / "scheduler")))
    now = service.now_iso()
    with service.lock:
        service.db["displays"].insert_all([
            {"id": f"d{i:03d}", "name": f"d{i}", "location": "", "width": 320, "height": 180, "rotation": 0,
             "timezone": "Asia/Pontianak", "groups": dumps([]), "tags": dumps([]), "operating_hours": dumps([]),
             "created_at": now} for i in range(n)])  # fmt: skip
        for seq, targets in ((1, '{"all":true}'), (2, '{"displays":["d000"]}')):
            service.db["emergency_pushes"].insert({
                "seq": seq, "kind": "emergency", "announcement_id": 1, "approved_at": now, "issued_at": now,
                "valid_until": now, "targets": n, "envelope": f'{{"message":{{"targets":{targets}}}}}'})  # fmt: skip
    return service


def test_many_receipts_at_once_are_all_written_in_few_transactions(tmp_path: Path) -> None:
    service = _service(tmp_path, 200)
    start = threading.Barrier(50)

    def send(k: int) -> None:
        start.wait()
        for i in range(k, 200, 50):
            service.receipts.add(1, f"d{i:03d}", "shown", "", service.now_iso())

    threads = [threading.Thread(target=send, args=(k,)) for k in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with service.lock:
        assert service.db["emergency_receipts"].count == 200  # none lost
    assert 1 <= service.receipts.batches <= 200
    service.close()


def test_a_receipt_for_an_unknown_push_or_another_display_is_refused_naming_seq(tmp_path: Path) -> None:
    service = _service(tmp_path, 2)
    with pytest.raises(NotFoundError, match="no emergency push 9") as missing:
        service.receipts.add(9, "d000", "shown", "", service.now_iso())
    with pytest.raises(UserError, match="not sent to display d001") as stranger:
        service.receipts.add(2, "d001", "shown", "", service.now_iso())
    assert missing.value.field == stranger.value.field == "seq"
    service.receipts.add(2, "d000", "refused", "signature does not verify", service.now_iso())
    with service.lock:
        assert [(r["display_id"], r["outcome"]) for r in service.db["emergency_receipts"].rows] == [
            ("d000", "refused")]
    service.close()
