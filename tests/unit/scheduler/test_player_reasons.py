"""What a player reported, as staff read it: a translated sentence with its params (Bahasa Indonesia by
default), the code recognised from the English text of an old player, and the player's English text kept and
labelled only when it cannot be translated."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from scheduler.i18n import translator
from scheduler.player_reasons import MESSAGES, PlayerReasons
from scheduler.web.common import Formatter
from signage.reason_codes import KNOWN_CODES

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def _reasons(language: str = "id") -> PlayerReasons:
    return PlayerReasons(translator(language), Formatter(language, "Asia/Jakarta", NOW))


def test_every_known_code_has_a_sentence_translated_into_indonesian() -> None:
    assert set(MESSAGES) == KNOWN_CODES
    t = translator("id")
    assert all(t(message) != message for message in MESSAGES.values())


@pytest.mark.parametrize(("code", "params", "text", "sentence"), [
    ("crash_loop", {"status": 1, "crashes": 3}, "exited with status 1 3 times before reporting healthy",
     "versi baru berhenti dengan status keluar 1 sebanyak 3 kali sebelum melapor sehat"),
    ("health_timeout", {"timeout_s": 600}, "no healthy report within 600 s",
     "versi baru tidak melapor sehat dalam 600 detik"),
    ("expired", {"expired_at": "2026-11-30T06:30:00Z"}, "emergency message emg-4 expired at 2026-11-30T06:30:00Z",
     "pesan sudah kedaluwarsa (pada 13.30 WIB)"),
    ("bad_signature", {}, "emergency message signature does not verify",
     "tanda tangannya tidak cocok (pesan mungkin telah diubah)"),
    ("clock_offset", {"offset_s": 42}, "PC clock is +42 s off the scheduler's; playing on the scheduler's time",
     "jam PC selisih 42 detik dari jam penjadwal; pemutar memakai jam penjadwal"),
    ("low_disk", {"free_bytes": 1610612736}, "low disk: 1610612736 bytes free in /data",
     "ruang disk pemutar hampir habis: sisa 1,5 GB"),
])
def test_a_code_is_shown_as_its_indonesian_sentence_and_so_is_an_old_players_english_text(
    code: str, params: dict[str, object], text: str, sentence: str
) -> None:
    reasons = _reasons()
    coded = reasons(code, params, text)
    assert (coded.sentence, coded.english, coded.code) == (sentence, "", code)  # no English left over
    legacy = reasons(None, None, text)  # an old player: the same English text, no code
    assert (legacy.sentence, legacy.english, legacy.code) == (sentence, "", code)


def test_a_message_refused_as_expired_while_still_valid_points_at_the_players_clock() -> None:
    text = "emergency message emg-4 expired at 2026-11-30T10:00:00Z"  # 17.00 WIB, later than NOW (15.00 WIB)
    for code, params in (("expired", {"expired_at": "2026-11-30T10:00:00Z"}), (None, None)):
        said = _reasons()(code, params, text)
        assert said.sentence == ("pemutar menganggap pesan sudah kedaluwarsa padahal berlaku sampai 17.00 WIB: "
                                 "jam PC-nya kemungkinan salah"), said
        assert said.english == ""


def test_english_staff_get_the_english_sentence() -> None:
    text = _reasons("en")("crash_loop", {"status": 137, "crashes": 2}, "").sentence
    assert text == "the new version stopped with exit status 137 2 times before it reported healthy"


def test_what_cannot_be_translated_keeps_the_players_english_text_beside_a_general_sentence() -> None:
    reasons = _reasons()
    future = reasons("gpu_melted", {"temp_c": 99}, "GPU at 99 C, stopping")
    assert future.sentence == "pemutar melaporkan alasan yang belum dikenal penjadwal ini (kode gpu_melted)"
    assert future.english == "GPU at 99 C, stopping"
    unknown_text = reasons(None, None, "something new went wrong")  # an old player, a text no rule knows
    assert (unknown_text.sentence, unknown_text.english, unknown_text.code) == ("", "something new went wrong", None)
    missing = reasons("crash_loop", {"status": 1}, "exited with status 1 3 times")  # a param missing
    assert "crash_loop" in missing.sentence and missing.english == "exited with status 1 3 times"
