"""The background poller: runs due data sources, stores snapshots, republishes the displays that show them.

One daemon thread; HTTP happens outside the store lock, recording inside it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import requests

from content.sources.run import poll
from scheduler.alerts import apply_alerts
from scheduler.dataslides import displays_for_source
from scheduler.sources import draft_articles, due_source_ids, get_source, last_good, record

if TYPE_CHECKING:
    from scheduler.service import Service

log = logging.getLogger("scheduler.sources")
TICK_S = 30.0
_RUN_LOCK = threading.Lock()  # one poll round at a time per process (background thread and 'fetch now' alike)


class SourcePoller:
    def __init__(
        self, service: Service, on_new_data: Callable[[str], object] | None = None, tick_s: float = TICK_S
    ) -> None:
        self.service = service
        self.on_new_data = on_new_data or self.republish
        self.tick_s = tick_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="source-poller", daemon=True)

    def start(self) -> SourcePoller:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def run_due(self) -> list[str]:
        """Poll every due source once; the ids whose slides should be republished (new or re-confirmed data)."""
        with _RUN_LOCK:
            return self._run_due()

    def _run_due(self) -> list[str]:
        service = self.service
        with service.lock:
            due = due_source_ids(service.db, service.clock())
        refreshed = []
        alert_displays: set[str] = set()
        with requests.Session() as session:
            for source_id in due:
                if self._stop.is_set():
                    break
                with service.lock:
                    stored = get_source(service.db, source_id)
                    previous = last_good(service.db, source_id)
                result = poll(stored.config, stored.state, previous[1] if previous else None,
                              now=service.clock(), session=session)  # fmt: skip
                with service.lock:
                    snapshot_id = record(service.db, source_id, result, service.clock())
                    if result.snapshot is not None and result.snapshot.validation.status == "ok":
                        draft_articles(service.db, source_id, result.snapshot.articles, service.clock())
                        if result.snapshot.kind == "cap":
                            alert_displays |= apply_alerts(service.db, source_id, list(result.snapshot.alerts),
                                                           service.clock())  # fmt: skip
                if result.error is None and (snapshot_id is None or result.snapshot is None
                                             or result.snapshot.validation.status == "ok"):  # fmt: skip
                    refreshed.append(source_id)  # new data, or the same data confirmed (its age on screen)
        for source_id in refreshed:
            self.on_new_data(source_id)
        if alert_displays:
            service.pushes.push_due()  # an auto-aired CAP emergency reaches the screens before its manifests
            service.publisher.publish(alert_displays)
        return refreshed

    def republish(self, source_id: str) -> None:
        with self.service.lock:
            reached = displays_for_source(self.service.db, source_id)
        if reached:
            self.service.publisher.publish(reached)

    def _loop(self) -> None:
        while not self._stop.wait(self.tick_s):
            try:
                self.run_due()
            except Exception:  # one bad source or a full disk must not stop the poller
                log.exception("data source poll failed")
