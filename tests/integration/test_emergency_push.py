"""Emergency push over real HTTP on loopback: an approved emergency reaches the targeted event streams as
one signed message BEFORE the manifest event; a withdrawal pushes a signed cancel; receipts are recorded
and listed per targeted screen; nothing is pushed before approval or to screens not targeted."""

from __future__ import annotations

import json
import queue
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from sse_support import SSEClient
from tests_support import enrol, post_approve
from web_support import WebClient

from signage.clock import format_utc
from signage.emergency_message import EmergencyRefused, verify_message
from signage.signing import public_key_from_text

TIMEOUT_S = 10
TARGET, OTHER_TARGET, BYSTANDER = "kec-sungai-pinyuh", "desa-antibar", "kantor-bupati"


def _keys(approval: dict[str, Any]) -> dict[str, Any]:
    return {k: public_key_from_text(v) for k, v in approval["public_keys"].items()}


def _events_url(live: Any) -> str:
    return f"{live.url}/api/v1/player/events"


def _skip_hello(client: SSEClient) -> None:
    _, kind, _ = client.next()
    assert kind == "manifest"  # the catch-up on connect


def _next_event(client: SSEClient, timeout_s: float = TIMEOUT_S) -> tuple[str, dict[str, Any], str]:
    _, kind, data = client.next(timeout_s)
    return kind, json.loads(data), data


def _emergency(live: Any) -> int:
    editor = ("editor", live.service.demo_accounts.editor_password)
    until = format_utc(datetime.now(UTC) + timedelta(hours=2))
    r = requests.post(f"{live.url}/api/v1/admin/announcements", auth=editor, timeout=TIMEOUT_S,
                      json={"title": "DARURAT: Banjir Rob", "body": "Warga pesisir harap waspada.",
                            "layer": "emergency", "targets": {"displays": [TARGET, OTHER_TARGET]},
                            "ends_at": until})  # fmt: skip
    r.raise_for_status()
    return int(r.json()["announcement"]["id"])


def _admin(live: Any) -> tuple[str, str]:
    return ("admin", live.service.demo_accounts.admin_password)


def test_approved_emergency_is_pushed_signed_before_its_manifest_and_withdrawal_pushes_a_cancel(
    live_scheduler: Any,
) -> None:
    live = live_scheduler
    live.service.sse_keepalive_s = 0.5
    approvals = {d: enrol(live, d, code) for d, code in ((TARGET, "PSH234"), (OTHER_TARGET, "PSH567"),
                                                         (BYSTANDER, "PSH789"))}  # fmt: skip
    clients = {d: SSEClient(_events_url(live), a["token"]) for d, a in approvals.items()}
    try:
        for client in clients.values():
            _skip_hello(client)
        ann = _emergency(live)
        requests.post(f"{live.url}/api/v1/admin/announcements/{ann}/submit", auth=("editor",
                      live.service.demo_accounts.editor_password), timeout=TIMEOUT_S).raise_for_status()  # fmt: skip
        with live.service.lock:
            assert live.service.db["emergency_pushes"].count == 0  # never pushed before approval

        assert post_approve(f"{live.url}/api/v1/admin/announcements/{ann}/approve", auth=_admin(live),
                             timeout=TIMEOUT_S).ok  # fmt: skip
        raw: dict[str, str] = {}
        for display in (TARGET, OTHER_TARGET):
            kind, envelope, raw[display] = _next_event(clients[display])
            assert kind == "emergency"  # first, before the manifest event
            message = verify_message(envelope, _keys(approvals[display]), display_id=display,
                                     now=datetime.now(UTC), last_seq=0)  # fmt: skip
            assert (message.kind, message.item_id, message.announcement_id) == ("emergency", f"ann-{ann}", ann)
            assert message.displays == {TARGET, OTHER_TARGET} and message.title == "DARURAT: Banjir Rob"
            assert message.slide["header"] == "PERINGATAN DARURAT" and message.slide["style"] == "emergency"
            kind, hint, _ = _next_event(clients[display])
            assert kind == "manifest" and hint["version"] >= 2
        assert raw[TARGET] == raw[OTHER_TARGET]  # one message, signed and serialised once
        with pytest.raises(EmergencyRefused, match="not for display 'kantor-bupati'"):
            verify_message(json.loads(raw[TARGET]), _keys(approvals[BYSTANDER]), display_id=BYSTANDER,
                           now=datetime.now(UTC), last_seq=0)  # fmt: skip
        with pytest.raises(queue.Empty):
            clients[BYSTANDER].next(1.5)  # a screen not targeted hears nothing

        # receipts: the push was verified and shown; the admin API lists them per targeted screen
        seq = json.loads(raw[TARGET])["message"]["seq"]
        receipts_url = f"{live.url}/api/v1/player/emergency-receipts"

        def receipt(display: str, body: dict[str, Any]) -> requests.Response:
            return requests.post(receipts_url, json=body, timeout=TIMEOUT_S,
                                 headers={"Authorization": f"Bearer {approvals[display]['token']}"})  # fmt: skip

        assert receipt(TARGET, {"seq": seq, "outcome": "shown"}).status_code == 200
        bad = receipt(BYSTANDER, {"seq": seq, "outcome": "shown"})
        assert bad.status_code == 400 and bad.json()["field"] == "seq" and "not sent to" in bad.json()["error"]
        unknown = receipt(TARGET, {"seq": seq + 100, "outcome": "shown"})
        assert unknown.status_code == 404 and unknown.json()["field"] == "seq"
        acks = requests.get(f"{live.url}/api/v1/admin/announcements/{ann}/acknowledgements", auth=_admin(live),
                            timeout=TIMEOUT_S).json()["acknowledgements"]  # fmt: skip
        by_display = {a["display_id"]: a for a in acks}
        assert set(by_display) == {TARGET, OTHER_TARGET}
        assert by_display[TARGET]["outcome"] == "shown" and by_display[TARGET]["received_at"]
        assert by_display[OTHER_TARGET]["received_at"] is None
        web = WebClient(live.url)
        web.login("admin", live.service.demo_accounts.admin_password)
        page = web.get("/admin/emergency").text  # the Darurat page, in Indonesian
        row = page[page.index(f'id="ack-{ann}-{TARGET}"'):].split("</tr>", 1)[0]
        assert "pesan darurat diterima" in row
        assert "pesan darurat diterima" not in page[page.index(f'id="ack-{ann}-{OTHER_TARGET}"'):].split("</tr>")[0]

        # withdraw: a signed cancel first, then the manifest without the emergency
        assert requests.post(f"{live.url}/api/v1/admin/announcements/{ann}/withdraw", auth=_admin(live),
                             json={"reason": "Air sudah surut"}, timeout=TIMEOUT_S).ok  # fmt: skip
        kind, envelope, _ = _next_event(clients[TARGET])
        assert kind == "emergency"
        cancel = verify_message(envelope, _keys(approvals[TARGET]), display_id=TARGET, now=datetime.now(UTC),
                                last_seq=seq)  # fmt: skip
        assert (cancel.kind, cancel.item_id) == ("cancel", f"ann-{ann}") and cancel.seq > seq
        assert _next_event(clients[TARGET])[0] == "manifest"
    finally:
        for client in clients.values():
            client.close()
