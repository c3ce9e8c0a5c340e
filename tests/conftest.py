"""Shared fixtures: a real scheduler on loopback (in-thread uvicorn), seeded stores."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).parent / "support"))

import netguard
from fake_smtp import FakeSmtp
from fake_webhook import FakeWebhook
from tests_support import free_port

netguard.install()  # any in-process connection to a non-loopback address fails the test (tests/support/netguard.py)

#: The player's timing tests (marker ``timing``): `make test` runs them a second time under `stress-ng --cpu 2`
#: (scripts/test_under_load.sh), since a display PC is not always idle. Paths relative to tests/.
TIMING_TESTS = (
    "unit/player/test_transitions.py",
    "e2e/test_player_timetravel.py",
    "e2e/test_player_clock_fault.py",
    "e2e/test_player_disk_full.py",
    "e2e/test_player_kill.py",
    "e2e/test_player_live.py",
    "e2e/test_player_xcb.py",
    "e2e/test_daypart_on_real_player.py",
    "e2e/test_walking_skeleton.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    timing = {here / name for name in TIMING_TESTS}
    for item in items:
        if Path(str(item.fspath)) in timing:
            item.add_marker(pytest.mark.timing)


@dataclass
class RunningScheduler:
    url: str
    service: object
    server: object


@pytest.fixture
def free_tcp_port() -> int:
    return free_port()


@pytest.fixture
def alert_fakes() -> Iterator[tuple[FakeSmtp, FakeWebhook]]:
    """A loopback SMTP server and webhook receiver for alert deliveries, stopped after the test."""
    smtp, hook = FakeSmtp(), FakeWebhook()
    yield smtp, hook
    smtp.stop()
    hook.stop()


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Mempawah demo seeded once per session (its video transcodes take seconds)."""
    import json

    from scheduler.demo_data import seed
    from scheduler.service import Service
    from signage.config import SchedulerConfig

    root = tmp_path_factory.mktemp("seeded") / "scheduler"
    service = Service(SchedulerConfig(data_dir=str(root)))
    accounts = seed(service)
    service.close()
    service.db.conn.close()
    (root.parent / "accounts.json").write_text(json.dumps(accounts.__dict__))
    return root


@pytest.fixture
def demo_service(seeded_template: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A private copy of the seeded demo store, opened as a real Service."""
    import json
    import shutil

    from scheduler.demo_data import DemoAccounts
    from scheduler.service import Service
    from signage.config import SchedulerConfig

    data_dir = tmp_path / "scheduler"
    shutil.copytree(seeded_template, data_dir)
    service = Service(SchedulerConfig(data_dir=str(data_dir)))
    service.demo_accounts = DemoAccounts(**json.loads((seeded_template.parent / "accounts.json").read_text()))  # type: ignore[attr-defined]
    yield service
    service.close()


@pytest.fixture
def live_scheduler(demo_service) -> Iterator[RunningScheduler]:  # type: ignore[no-untyped-def]
    """The real FastAPI app served by uvicorn on a free loopback port, in a thread."""
    import uvicorn

    from scheduler.app import create_app

    port = free_port()
    config = uvicorn.Config(
        create_app(demo_service),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=2,
        proxy_headers=False,  # as `signage scheduler serve`: X-Forwarded-For only via config trusted_proxies
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    yield RunningScheduler(f"http://127.0.0.1:{port}", demo_service, server)
    server.should_exit = True
    thread.join(timeout=10)
