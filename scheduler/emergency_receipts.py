"""Receipts of pushed emergencies: checked against the push, written in batches.

Every targeted player sends its receipt within a second or two of a push, so at 10,000 displays
thousands arrive together. :meth:`ReceiptBook.add` checks the receipt against the push (known
``seq``, sent to this display; the push's targets are read once per ``seq``) and queues the row;
whichever request finds no write in progress writes every queued row in one transaction, the
others return at once.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from signage.errors import NotFoundError, UserError

if TYPE_CHECKING:
    from scheduler.service import Service

ALL = "*"
KNOWN_PUSHES = 64  # targets kept in memory for the latest pushes


class ReceiptBook:
    def __init__(self, service: Service) -> None:
        self.service = service
        self._targets: OrderedDict[int, frozenset[str]] = OrderedDict()  # seq -> display ids, or {ALL}
        self._rows: list[dict[str, Any]] = []
        self._queue_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self.batches = 0  # transactions written

    def add(self, seq: int, display_id: str, outcome: str, reason: str, received_at: str, *,
            code: str | None = None, params: dict[str, Any] | None = None) -> None:
        """Check and record one receipt; NotFoundError / UserError name the field ``seq``.

        ``code``/``params``: the refusal as :mod:`signage.reason_codes` (None from an old player)."""
        targets = self._targets_of(seq)
        if ALL not in targets and display_id not in targets:
            raise UserError(f"seq: emergency push {seq} was not sent to display {display_id}", field="seq")
        with self._queue_lock:
            self._rows.append({"seq": seq, "display_id": display_id, "outcome": outcome, "reason": reason,
                               "received_at": received_at, "code": code,
                               "params": json.dumps(params) if params else None})  # fmt: skip
        self._write()

    def _targets_of(self, seq: int) -> frozenset[str]:
        with self._queue_lock:
            known = self._targets.get(seq)
        if known is not None:
            return known
        with self.service.lock:
            rows = list(self.service.db.table("emergency_pushes").rows_where("seq = ?", [seq]))
        if not rows:
            raise NotFoundError(f"seq: no emergency push {seq}", field="seq")
        targets = json.loads(rows[0]["envelope"])["message"]["targets"]
        known = frozenset([ALL]) if targets.get("all") else frozenset(targets.get("displays") or [])
        with self._queue_lock:
            self._targets[seq] = known
            while len(self._targets) > KNOWN_PUSHES:
                self._targets.popitem(last=False)
        return known

    def _write(self) -> None:
        """Write what is queued, unless another request is writing (it will take ours too)."""
        while True:
            if not self._write_lock.acquire(blocking=False):
                return
            try:
                with self._queue_lock:
                    rows, self._rows = self._rows, []
                if rows:
                    with self.service.lock, self.service.db.atomic():
                        self.service.db.table("emergency_receipts").upsert_all(rows, pk=("seq", "display_id"))
                    self.batches += 1
            finally:
                self._write_lock.release()
            with self._queue_lock:
                if not self._rows:
                    return
