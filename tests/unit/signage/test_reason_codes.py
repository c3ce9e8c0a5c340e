"""The English reasons players have always sent map back to their codes (the scheduler's fallback for old
players), params included; anything else is not guessed at."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from signage.apimodels import UpdateReport
from signage.reason_codes import KNOWN_CODES, clean_code, clean_params, legacy_reason

LEGACY = [
    # emergency receipts, as signage/emergency_message.py words them
    ("emergency message signature does not verify", "bad_signature", {}),
    ("emergency message is unsigned (no 'message'/'signature' objects)", "unsigned", {}),
    ("unsupported signature algorithm 'RSA'", "unsigned", {}),
    ("emergency message signed by unknown key 'k-2026'", "unknown_key", {"key_id": "k-2026"}),
    ("emergency message field valid_until: not after valid_from", "malformed", {}),
    ("emergency message emg-7 is not for display 'kantor-bupati'", "not_for_me", {"display_id": "kantor-bupati"}),
    ("emergency message emg-7 expired at 2026-11-30T10:00:00Z", "expired", {"expired_at": "2026-11-30T10:00:00Z"}),
    ("emergency message emg-3 replayed: sequence 3 is not newer than 5", "replayed", {"seq": 3, "last_seq": 5}),
    # player updates, as player/launcher.py and player/update.py word them
    ("exited with status 1 3 times before reporting healthy", "crash_loop", {"status": 1, "crashes": 3}),
    ("exited with status -11 2 times", "crash_loop", {"status": -11, "crashes": 2}),
    ("no healthy report within 600 s", "health_timeout", {"timeout_s": 600}),
    ("release 0.2.1 is not installed any more", "not_installed", {"version": "0.2.1"}),
    ("older than the running version 0.3.0", "older_than_running", {"running": "0.3.0"}),
    ("running version 0.1.0 is outside 0.1.5..0.2.0", "incompatible", {"running": "0.1.0", "min": "0.1.5",
                                                                        "max": "0.2.0"}),
    ("updates need the launcher (signage player launch)", "needs_launcher", {}),
    ("pip install of signage-0.2.0.whl failed (exit 1): boom", "install_failed", {}),
    ("media 0123456789ab sha256 mismatch (downloaded 10 bytes)", "download_mismatch", {}),
    ("release signature does not verify", "release_rejected", {}),
    # heartbeat warnings (the scheduler prefixes the clock fault with "clock: ")
    ("clock: PC clock is +42 s off the scheduler's; playing on the scheduler's time", "clock_offset",
     {"offset_s": 42}),
    ("clock: PC clock 2020-01-01T00:00:00Z is 3600 s behind the last server-corrected time "
     "(2026-11-30T10:00:00Z); using that as the time", "clock_behind", {"behind_s": 3600}),
    ("manifest version 7 past its horizon (2026-11-30T10:00:00Z), playing last good", "past_horizon", {"version": 7}),
    ("current manifest unusable, playing last good version 6", "last_good", {"version": 6}),
    ("3 media file(s) of manifest version 8 still downloading", "media_downloading", {"count": 3, "version": "8"}),
    ("low disk: 1048576 bytes free in /var/lib/signage", "low_disk", {"free_bytes": 1048576}),
    ("cannot write state.json: [Errno 28] No space left on device", "cannot_write", {"what": "state.json"}),
    ("cannot write play log: disk I/O error", "cannot_write", {"what": "play log"}),
    ("heartbeat failed: connection refused", "heartbeat_failed", {}),
]


@pytest.mark.parametrize(("text", "code", "params"), LEGACY)
def test_known_english_reasons_map_to_their_code_and_params(text: str, code: str, params: dict[str, object]) -> None:
    assert legacy_reason(text) == (code, params)
    assert code in KNOWN_CODES


@pytest.mark.parametrize("text", ["", None, "something new went wrong", "clock too far off",
                                  "exited with status x 3 times"])
def test_other_texts_are_not_guessed(text: str | None) -> None:
    assert legacy_reason(text) is None


def test_codes_and_params_are_checked_on_the_wire_and_when_read_back() -> None:
    report = UpdateReport(state="rolled_back", version="0.2.0", detail="x", code="a_code_from_the_future",
                          params={"count": 2, "name": "ok"})
    assert report.code == "a_code_from_the_future"  # unknown codes are accepted (a newer player)
    for bad in ({"code": "Crash Loop"}, {"code": "x" * 41}, {"params": {"Bad-Name": 1}},
                {"params": {f"p{i}": i for i in range(9)}}, {"params": {"text": "y" * 201}}):
        with pytest.raises(ValidationError):
            UpdateReport(state="refused", version="0.2.0", **bad)  # type: ignore[arg-type]
    assert clean_code("crash_loop") == "crash_loop" and clean_code("DROP TABLE") is None and clean_code(3) is None
    assert clean_params({"status": 1, "flag": True, "Bad": 2, "nested": {}, "s": "z" * 300}) == {"status": 1,
                                                                                               "s": "z" * 200}
    assert clean_params(["not", "a", "dict"]) == {}
