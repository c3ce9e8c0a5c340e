"""`/metrics` (Prometheus text, loopback or bearer token) and `/healthz` over real HTTP."""

from __future__ import annotations

import dataclasses
import shutil
import threading
from typing import Any

import pytest
import requests
from procs import wait_for
from prometheus_client.parser import text_string_to_metric_families
from tests_support import enrol

from signage.clock import format_utc

TIMEOUT_S = 10


def scrape(url: str, **kwargs: Any) -> dict[str, list[tuple[dict[str, str], float]]]:
    response = requests.get(f"{url}/metrics", timeout=TIMEOUT_S, **kwargs)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    out: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            out.setdefault(sample.name, []).append((dict(sample.labels), sample.value))
    return out


def value(samples: dict[str, list[tuple[dict[str, str], float]]], name: str, **labels: str) -> float:
    matching = [v for got, v in samples.get(name, []) if all(got.get(k) == want for k, want in labels.items())]
    assert matching, f"no sample {name}{labels} in {sorted(samples)}"
    return sum(matching)


def test_metrics_count_requests_by_route_template_and_read_the_fleet(live_scheduler) -> None:  # type: ignore[no-untyped-def]
    service = live_scheduler.service
    display_ids = [row["id"] for row in service.db.table("displays").rows]
    with service.lock:
        service.db.table("display_status").upsert(
            {"display_id": display_ids[0], "last_seen": format_utc(service.clock())}, pk="display_id"
        )
        service.db.table("data_sources").insert_all(
            [
                {"id": "uji-baik", "kind": "csv", "url": "http://127.0.0.1:9/a", "config": "{}", "refresh_s": 60,
                 "last_ok_at": format_utc(service.clock()), "last_error": None},
                {"id": "uji-gagal", "kind": "csv", "url": "http://127.0.0.1:9/b", "config": "{}", "refresh_s": 60,
                 "last_ok_at": None, "last_error": "timeout"},
            ],
            replace=True,
        )
    for ann_id in (1, 2, 999999):
        requests.get(f"{live_scheduler.url}/api/v1/admin/announcements/{ann_id}", timeout=TIMEOUT_S)
    requests.get(f"{live_scheduler.url}/no/such/page/42", timeout=TIMEOUT_S)
    service.publisher.publish_all()

    samples = scrape(live_scheduler.url)
    route = "/api/v1/admin/announcements/{announcement_id}"
    assert value(samples, "signage_http_requests_total", route=route, method="GET") == 3
    assert value(samples, "signage_http_requests_total", route="unmatched", status="404") >= 1
    assert not any("/42" in labels.get("route", "") for labels, _ in samples["signage_http_requests_total"])
    assert value(samples, "signage_http_request_duration_seconds_count", route=route) == 3
    assert value(samples, "signage_publish_duration_seconds_count") >= 1
    assert value(samples, "signage_displays", state="online") == 1
    assert value(samples, "signage_displays", state="offline") == len(display_ids) - 1
    assert value(samples, "signage_sse_connections_open") == 0
    assert value(samples, "signage_media_jobs", state="queued") >= 0
    assert value(samples, "signage_media_jobs", state="failed") >= 0
    assert value(samples, "signage_source_fetch_ok", source="uji-baik") == 1
    assert value(samples, "signage_source_fetch_ok", source="uji-gagal") == 0
    assert 0 <= value(samples, "signage_source_last_success_age_seconds", source="uji-baik") < 3600
    assert "uji-gagal" not in {labels.get("source") for labels, _ in samples["signage_source_last_success_age_seconds"]}
    assert value(samples, "signage_sources", result="failed") >= 1


def test_metrics_refuse_proxied_clients_unless_they_bear_the_token(live_scheduler) -> None:  # type: ignore[no-untyped-def]
    url = live_scheduler.url
    proxied = {"X-Forwarded-For": "203.0.113.7"}
    refused = requests.get(f"{url}/metrics", headers=proxied, timeout=TIMEOUT_S)
    assert refused.status_code == 403
    body = refused.json()
    assert body["ok"] is False and body["field"] == "Authorization" and "metrics_token" in body["error"]
    assert "signage_displays" not in refused.text

    service = live_scheduler.service
    service.config = dataclasses.replace(service.config, metrics_token="rahasia-prometheus")
    wrong = requests.get(f"{url}/metrics", headers={**proxied, "Authorization": "Bearer salah"}, timeout=TIMEOUT_S)
    assert wrong.status_code == 401 and wrong.json()["field"] == "Authorization"
    samples = scrape(url, headers={**proxied, "Authorization": "Bearer rahasia-prometheus"})
    assert "signage_displays" in samples


def test_healthz_is_200_when_healthy_and_503_naming_the_failing_check(live_scheduler) -> None:  # type: ignore[no-untyped-def]
    url, service = live_scheduler.url, live_scheduler.service
    healthy = requests.get(f"{url}/healthz", timeout=TIMEOUT_S)
    assert healthy.status_code == 200, healthy.text
    assert healthy.json()["checks"]["signing_key"]["key_id"] == service.keyring.active.key_id

    # a publish that fails (the manifests folder replaced by a file: writes fail) turns it 503
    manifests = service.data_dir / "manifests"
    shutil.rmtree(manifests)
    manifests.write_text("bukan folder")
    service.db.execute("delete from manifests")
    with pytest.raises(OSError):
        service.publisher.publish_all()
    failing = requests.get(f"{url}/healthz", timeout=TIMEOUT_S)
    assert failing.status_code == 503
    checks = failing.json()["checks"]
    assert checks["last_publish"]["ok"] is False and checks["last_publish"]["error"]
    assert checks["database"]["ok"] is True
    manifests.unlink()
    assert service.publisher.publish_all()
    assert requests.get(f"{url}/healthz", timeout=TIMEOUT_S).status_code == 200

    # the active key file gone: a restart could not sign
    pem = service.keyring.keys_dir / f"{service.keyring.active.key_id}.pem"
    saved = pem.read_bytes()
    pem.unlink()
    try:
        gone = requests.get(f"{url}/healthz", timeout=TIMEOUT_S)
        assert gone.status_code == 503 and gone.json()["checks"]["signing_key"]["ok"] is False
    finally:
        pem.write_bytes(saved)
    assert requests.get(f"{url}/healthz", timeout=TIMEOUT_S).status_code == 200


def test_open_event_streams_are_counted(live_scheduler) -> None:  # type: ignore[no-untyped-def]
    live_scheduler.service.sse_keepalive_s = 0.5  # a closed stream is noticed at the next keep-alive
    token = enrol(live_scheduler, "desa-antibar", "MTR234")["token"]
    headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
    stream = requests.get(f"{live_scheduler.url}/api/v1/player/events", headers=headers, stream=True, timeout=(5, 60))
    try:
        assert stream.status_code == 200
        lines = stream.iter_lines(decode_unicode=True)
        assert next(line for line in lines if line.startswith(": connected"))
        assert value(scrape(live_scheduler.url), "signage_sse_connections_open") == 1
    finally:
        stream.close()
    wait_for(lambda: value(scrape(live_scheduler.url), "signage_sse_connections_open") == 0, 30, "the stream to close")


def test_healthz_reports_a_store_that_does_not_answer(live_scheduler) -> None:  # type: ignore[no-untyped-def]
    service = live_scheduler.service
    held, release = threading.Event(), threading.Event()

    def hold_the_store() -> None:
        with service.lock:  # e.g. a stuck writer
            held.set()
            release.wait(60)

    holder = threading.Thread(target=hold_the_store, daemon=True)
    holder.start()
    try:
        assert held.wait(10)
        busy = requests.get(f"{live_scheduler.url}/healthz", timeout=30)
        assert busy.status_code == 503
        database = busy.json()["checks"]["database"]
        assert database["ok"] is False and "busy" in database["error"]
    finally:
        release.set()
        holder.join(10)
    assert requests.get(f"{live_scheduler.url}/healthz", timeout=TIMEOUT_S).status_code == 200
