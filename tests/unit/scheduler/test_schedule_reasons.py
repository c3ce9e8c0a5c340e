"""Schedule warnings said in the staff's words (scheduler/schedule_reasons.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from playlists.warnings import CODES, ScheduleWarning
from scheduler.i18n import translator
from scheduler.player_reasons import TextMoments
from scheduler.schedule_reasons import MESSAGES, REASONS, ScheduleReasons

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


def _reasons(language: str = "id") -> ScheduleReasons:
    titles = {"ann-7": "Vaksinasi Gratis", "ann-9": "Banjir Rob"}
    return ScheduleReasons(translator(language), TextMoments(language, "Asia/Pontianak", NOW), language, lambda: titles)


def test_every_code_has_words() -> None:
    assert set(MESSAGES) == set(CODES)
    from playlists.warnings import REASONS as COMPILER_REASONS

    assert set(REASONS) == set(COMPILER_REASONS)


def test_an_empty_screen_in_days_and_local_time() -> None:
    warning = ScheduleWarning(
        "main_zone_empty",
        "Display x has nothing to play for 201600 s during operating hours, "
        "first at 2026-12-01 17:00 UTC; add a fallback rule or fallback items.",
        "x",
        detail={"seconds": 201600, "first": "2026-12-01T17:00:00+00:00", "spans": 4},
    )
    said = _reasons()(warning.to_dict())
    assert said.startswith("tidak ada yang dapat ditampilkan selama total 2 hari"), said
    assert "2 Desember 2026 · 00.00 WIB" in said and "UTC" not in said


def test_rules_by_their_announcement_title_and_reasons_in_words() -> None:
    never = ScheduleWarning("never_plays", "Rule ann-7 never plays ...", "x", rule_id="ann-7", item_id="ann-7",
                            detail={"reason": "outside_operating_hours"}).to_dict()  # fmt: skip
    assert _reasons()(never) == ("\u201cVaksinasi Gratis\u201d tidak pernah tayang di layar ini dalam hari-hari "
                                 "mendatang: semua waktunya berada di luar jam operasional layar")  # fmt: skip
    assert _reasons("en")(never).startswith("\u201cVaksinasi Gratis\u201d never plays on this screen")
    overlap = ScheduleWarning(
        "emergency_overlap",
        "...",
        "x",
        rule_id="ann-9",
        detail={"other_rule_id": "ann-44", "at": "2026-12-03T01:00:00+00:00"},
    ).to_dict()
    said = _reasons()(overlap)
    assert "\u201cBanjir Rob\u201d" in said and "aturan ann-44" in said and "08.00 WIB" in said


def test_an_unknown_code_or_a_missing_detail_keeps_the_english_message() -> None:
    assert _reasons()({"code": "from_the_future", "message": "Something new."}) == "Something new."
    assert _reasons()({"code": "main_zone_empty", "message": "Old store text."}) == "Old store text."
