"""Enrolment attacks end to end: `signage scheduler serve` and `signage player run` as real processes over HTTP.

The code on a public screen is only a handle: a second client that read it
gets nothing, before or after approval, and cannot tell a pending code from an
unknown one; polling is rate-limited per address, and a spoofed
X-Forwarded-For does not buy a fresh allowance. A player pinned to one
scheduler's key refuses another scheduler.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from procs import DISPLAY_ID, make_store, read_status, start_player, start_scheduler, stop, wait_for
from tests_support import collect_request, free_port

pytestmark = [pytest.mark.slow]

TIMEOUT_S = 10


@dataclass
class Scheduler:
    url: str
    admin: tuple[str, str]
    data_dir: Path


@pytest.fixture
def scheduler(tmp_path: Path) -> Iterator[Scheduler]:
    data_dir = tmp_path / "scheduler"
    password = make_store(data_dir)["admin"]
    port = free_port()
    proc = start_scheduler(data_dir, port, tmp_path / "scheduler.log")
    try:
        yield Scheduler(f"http://127.0.0.1:{port}", ("admin", password), data_dir)
    finally:
        stop(proc)


def _collect(
    url: str,
    code: str,
    secret: str | None = None,
    headers: dict[str, str] | None = None,
    session: requests.Session | None = None,
) -> Any:
    body = collect_request(secret or secrets.token_urlsafe(32))
    post = (session or requests).post
    return post(f"{url}/api/v1/enrolments/{code}/collect", json=body, headers=headers, timeout=TIMEOUT_S)


def _pending_codes(s: Scheduler) -> list[str]:
    r = requests.get(f"{s.url}/api/v1/admin/enrolments", auth=s.admin, timeout=TIMEOUT_S)
    r.raise_for_status()
    return [row["code"] for row in r.json()["enrolments"]]


def test_a_second_client_cannot_collect_and_the_real_player_still_enrols(scheduler: Scheduler, tmp_path: Path) -> None:
    player_dir = tmp_path / "player"
    player = start_player(scheduler.url, player_dir, tmp_path / "player.log")
    try:
        code = wait_for(lambda: _pending_codes(scheduler), 60, "the player's enrolment request", player)[0]
        assert read_status(player_dir).get("enrol_code") == code  # the code the screen shows
        # Without the secret a pending code looks exactly like one nobody asked for.
        pending_answer, unknown_answer = _collect(scheduler.url, code), _collect(scheduler.url, "ZZZ999")
        assert pending_answer.status_code == unknown_answer.status_code == 404
        assert pending_answer.json() == unknown_answer.json()
        # Hold the player while the admin approves, so the attacker polls first.
        os.kill(player.pid, signal.SIGSTOP)
        try:
            r = requests.post(
                f"{scheduler.url}/api/v1/admin/enrolments/{code}/approve",
                json={"display_id": DISPLAY_ID},
                auth=scheduler.admin,
                timeout=TIMEOUT_S,
            )
            assert r.status_code == 200, r.text
            for _ in range(10):  # the reproduction collected the token within 10 polls
                stolen = _collect(scheduler.url, code)
                assert stolen.status_code == 404 and "token" not in stolen.text
                assert stolen.json() == unknown_answer.json()
            old_style = requests.get(f"{scheduler.url}/api/v1/enrolments/{code}", timeout=TIMEOUT_S)
            assert "token" not in old_style.text and old_style.status_code in (404, 405)
        finally:
            os.kill(player.pid, signal.SIGCONT)
        wait_for(lambda: (player_dir / "identity.json").exists(), 60, "the real player to enrol", player)
        identity = json.loads((player_dir / "identity.json").read_text())
        assert identity["display_id"] == DISPLAY_ID
        manifest = requests.get(
            f"{scheduler.url}/api/v1/player/manifest",
            headers={"Authorization": f"Bearer {identity['token']}"},
            timeout=TIMEOUT_S,
        )
        assert manifest.status_code == 200
    finally:
        stop(player)


def test_polls_are_rate_limited_per_address_and_forwarded_for_is_not_trusted(scheduler: Scheduler) -> None:
    # The bucket holds 120 polls and refills 2 per second, so a busy machine may let a few more through:
    # bound what passed by the time it took, and send far more than a fast run needs.
    session = requests.Session()
    started_s = time.monotonic()
    responses = [_collect(scheduler.url, "ABC234", session=session) for _ in range(300)]
    elapsed_s = time.monotonic() - started_s
    statuses = [r.status_code for r in responses]
    assert set(statuses) == {404, 429}
    assert statuses[:100] == [404] * 100  # a waiting player's pace (one poll every 2 s) is far below the limit
    assert statuses.count(404) <= 120 + 2 * elapsed_s + 2
    limited = responses[statuses.index(429)]
    assert limited.json()["ok"] is False and limited.headers["Retry-After"]
    # A client inventing proxy headers is still the same TCP peer (no trusted_proxies configured);
    # if the header were believed, each of these would start with a full bucket and get 404.
    started_s = time.monotonic()
    spoofed = [
        _collect(
            scheduler.url, "ABC234", session=session,
            headers={"X-Forwarded-For": f"10.9.{i}.1", "X-Real-IP": f"10.9.{i}.1"},
        ).status_code
        for i in range(40)
    ]
    elapsed_s = time.monotonic() - started_s
    assert spoofed.count(404) <= 2 * elapsed_s + 2 and spoofed.count(429) >= 20, spoofed


def test_a_pinned_player_refuses_a_scheduler_with_another_key(scheduler: Scheduler, tmp_path: Path) -> None:
    from signage.enrolproof import fingerprint
    from signage.signing import SigningKey

    key_a = SigningKey.generate()  # the scheduler this player was set up for (not the one listening)
    player_dir = tmp_path / "player"
    log = tmp_path / "player.log"
    player = start_player(scheduler.url, player_dir, log, "--server-key", fingerprint(key_a.public_key))
    try:
        wait_for(lambda: "pinned to key" in log.read_text(errors="replace"), 60, "the refusal in the log", player)
        text = log.read_text(errors="replace")
        assert f"refusing to enrol with {scheduler.url}" in text and key_a.key_id in text
        wait_for(lambda: "pinned to key" in (read_status(player_dir).get("last_error") or ""), 20, "status", player)
        assert not (player_dir / "identity.json").exists()
        # it asked, read the proof, and stopped there: the request stays pending, uncollected
        pending = json.loads((player_dir / "enrolment.json").read_text())
        assert pending["code"] in _pending_codes(scheduler)
    finally:
        stop(player)
