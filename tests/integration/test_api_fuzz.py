"""Fuzz the scheduler's OpenAPI spec with schemathesis over real HTTP: no 5xx, one error shape."""

from __future__ import annotations

import base64
import json
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from tests_support import free_port

pytestmark = pytest.mark.slow
EXAMPLES_PER_OPERATION = 40


@pytest.fixture(scope="module")
def fuzz_target(seeded_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    import uvicorn

    from scheduler import enrolment
    from scheduler.app import create_app
    from scheduler.service import Service
    from signage.config import SchedulerConfig

    data_dir: Path = tmp_path_factory.mktemp("fuzz") / "scheduler"
    shutil.copytree(seeded_template, data_dir)
    service = Service(SchedulerConfig(data_dir=str(data_dir)))
    accounts = json.loads((seeded_template.parent / "accounts.json").read_text())
    secret = "f" * 43
    digest = enrolment.secret_digest(secret)
    enrolment.request_enrolment(service.db, "FZZ234", "fuzz", digest, "127.0.0.1", service.clock())
    enrolment.approve(service.db, "FZZ234", "kantor-bupati", service.clock())
    token = enrolment.collect(service.db, "FZZ234", secret, service.clock())["token"]
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(service), host="127.0.0.1", port=port, log_level="error", timeout_graceful_shutdown=1)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    basic = base64.b64encode(f"admin:{accounts['admin_password']}".encode()).decode()
    yield {"url": f"http://127.0.0.1:{port}", "bearer": token, "basic": basic}
    server.should_exit = True
    thread.join(timeout=10)
    service.close()


def _check(case: Any, target: dict[str, Any]) -> None:
    admin = case.path.startswith("/api/v1/admin")
    auth = f"Basic {target['basic']}" if admin else f"Bearer {target['bearer']}"
    headers = {**(case.headers or {}), "Authorization": auth}
    response = case.call(headers=headers, timeout=15)
    where = f"{case.method} {case.formatted_path}"
    assert response.status_code < 500, f"{where}: {response.status_code} {response.text[:300]}"
    if response.status_code >= 400:
        body = response.json()
        assert body["ok"] is False and body["status"] == response.status_code, (where, body)
        assert isinstance(body["error"], str) and body["error"], (where, body)
        assert "field" in body, (where, body)


def test_no_server_errors_and_one_error_shape(fuzz_target: dict[str, Any]) -> None:
    """Every operation, bounded examples each (the SSE stream is endless by design: covered elsewhere)."""
    api = schemathesis.openapi.from_url(f"{fuzz_target['url']}/api/v1/openapi.json")
    tested = []
    for result in api.get_all_operations():
        operation = result.ok()
        if operation.path.endswith("/events"):
            continue

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            _check(case, fuzz_target)

        run()
        tested.append(f"{operation.method.upper()} {operation.path}")
    assert len(tested) >= 15, tested
