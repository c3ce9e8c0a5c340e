"""Prometheus metrics of one scheduler app (``GET /metrics``), in its own registry.

Counted as they happen: HTTP requests by route template, method and status and
their duration, publish durations and failures. Read from the store at each
scrape: open event streams, displays online/offline, media jobs by state, data
source fetch health and the age of each source's last success.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scheduler.fleet import ONLINE_GRACE
from signage.clock import parse_utc

if TYPE_CHECKING:
    from scheduler.publish import Publisher
    from scheduler.service import Service

JOB_STATES = ("queued", "running", "done", "failed")
REQUEST_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
PUBLISH_BUCKETS_S = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
UNMATCHED_ROUTE = "unmatched"  # 404s: never the raw path (unbounded label values)


@dataclass
class PublishOutcome:
    ok: bool
    at_s: float  # wall clock, seconds since the epoch
    duration_s: float
    error: str | None = None


class StoreCollector(Collector):
    """Gauges read from the service at scrape time."""

    def __init__(self, service: Service) -> None:
        self.service = service

    def collect(self) -> Iterator[Metric]:
        service = self.service
        sse = GaugeMetricFamily("signage_sse_connections_open", "Player event streams (SSE) open now.")
        sse.add_metric([], service.events.connections)
        yield sse
        now = service.clock()
        with service.lock:
            seen = list(service.db.query(
                "select d.id, s.last_seen from displays d left join display_status s on s.display_id = d.id"
            ))
            jobs = {str(r["state"]): int(r["n"]) for r in service.db.query(
                "select state, count(*) n from ingest_jobs group by state"
            )}
            sources = list(service.db.query("select id, last_ok_at, last_error from data_sources order by id"))
        yield _displays(seen, now)
        job_family = GaugeMetricFamily("signage_media_jobs", "Media normalisation jobs by state.", labels=["state"])
        for state in sorted(set(JOB_STATES) | set(jobs)):
            job_family.add_metric([state], jobs.get(state, 0))
        yield job_family
        yield from _sources(sources, now)


def _displays(rows: list[dict[str, Any]], now: datetime) -> Metric:
    online = sum(1 for r in rows if r["last_seen"] and now - parse_utc(r["last_seen"]) <= ONLINE_GRACE)
    family = GaugeMetricFamily(
        "signage_displays", "Displays by state (online: a heartbeat within the last 180 s).", labels=["state"]
    )
    family.add_metric(["online"], online)
    family.add_metric(["offline"], len(rows) - online)
    return family


def _sources(rows: list[dict[str, Any]], now: datetime) -> Iterable[Metric]:
    healthy = GaugeMetricFamily(
        "signage_source_fetch_ok", "1 if the data source's last fetch succeeded, 0 if it failed.", labels=["source"]
    )
    age = GaugeMetricFamily(
        "signage_source_last_success_age_seconds",
        "Seconds since the data source's last successful fetch (absent: never).",
        labels=["source"],
    )
    counts = {"ok": 0, "failed": 0}
    for row in rows:
        ok = not row["last_error"]
        counts["ok" if ok else "failed"] += 1
        healthy.add_metric([row["id"]], 1 if ok else 0)
        if row["last_ok_at"]:
            age.add_metric([row["id"]], max(0.0, (now - parse_utc(row["last_ok_at"])).total_seconds()))
    totals = GaugeMetricFamily("signage_sources", "Data sources by the result of their last fetch.", labels=["result"])
    for result, n in counts.items():
        totals.add_metric([result], n)
    return [totals, healthy, age]


class Metrics:
    """The registry and instruments of one app (tests create many apps: never the global registry)."""

    def __init__(self, service: Service) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "signage_http_requests", "HTTP requests served.", ["route", "method", "status"], registry=self.registry
        )
        self.request_duration = Histogram(
            "signage_http_request_duration_seconds",
            "Time to answer an HTTP request (streams: until they end).",
            ["route", "method"],
            buckets=REQUEST_BUCKETS_S,
            registry=self.registry,
        )
        self.publish_duration = Histogram(
            "signage_publish_duration_seconds",
            "Time of one publish (compile, sign, write) of one or more displays.",
            buckets=PUBLISH_BUCKETS_S,
            registry=self.registry,
        )
        self.publish_failures = Counter(
            "signage_publish_failures", "Publishes that failed (disk full, a bug...).", registry=self.registry
        )
        self.registry.register(StoreCollector(service))
        self._lock = threading.Lock()
        self.last_publish: PublishOutcome | None = None

    def watch_publisher(self, publisher: Publisher) -> None:
        """Time every ``publisher.publish`` call and remember the last outcome (for /healthz)."""
        original: Callable[..., Any] = getattr(publisher, "_unwatched_publish", publisher.publish)

        def publish(display_ids: Iterable[str]) -> Any:
            start_s = time.perf_counter()
            try:
                result = original(display_ids)
            except Exception as exc:
                self._record(PublishOutcome(False, time.time(), time.perf_counter() - start_s, str(exc) or repr(exc)))
                self.publish_failures.inc()
                raise
            self._record(PublishOutcome(True, time.time(), time.perf_counter() - start_s))
            return result

        publisher._unwatched_publish = original  # type: ignore[attr-defined]
        publisher.publish = publish  # type: ignore[method-assign]

    def _record(self, outcome: PublishOutcome) -> None:
        self.publish_duration.observe(outcome.duration_s)
        with self._lock:
            self.last_publish = outcome


class MetricsMiddleware:
    """Counts and times every HTTP request by its route template (``/api/v1/announcements/{ann_id}``)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start_s = time.perf_counter()
        status = [500]

        async def send_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = scope.get("route")
            template = str(getattr(route, "path", "")) or UNMATCHED_ROUTE
            method = str(scope.get("method", ""))
            self.metrics.requests.labels(template, method, str(status[0])).inc()
            self.metrics.request_duration.labels(template, method).observe(time.perf_counter() - start_s)
