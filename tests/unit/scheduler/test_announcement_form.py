"""The announcement form's fields <-> the engine's schedule object and UTC window (no RRULE shown to staff)."""

from __future__ import annotations

from typing import Any

import pytest

from scheduler.i18n import translator
from scheduler.web.announcement_form import (
    body_and_problems,
    body_from_values,
    describe_schedule,
    error_text,
    errors_text,
    values_from_row,
)
from signage.errors import FieldErrors, UserError

ZONE = "Asia/Pontianak"


def _values(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "title": "Kerja bakti", "body": "", "duration_s": "10", "valid_from": "", "valid_until": "",
        "recurrence": "every_day", "monthday": "", "days": [], "from_time": "", "to_time": "", "layer": "normal",
        "share_percent": "", "displays": ["kantor-bupati"], "groups": [], "media_sha256": "", "media_kind": "",
        "keep_schedule": "",
    }  # fmt: skip
    return {**base, **changes}


@pytest.mark.parametrize(
    ("changes", "schedule"),
    [
        ({}, {}),
        ({"recurrence": "weekdays", "from_time": "07:00", "to_time": "10:00"},
         {"preset": "weekdays", "dayparts": [{"start": "07:00", "end": "10:00"}]}),
        ({"recurrence": "fridays"}, {"preset": "fridays"}),
        ({"recurrence": "monthly", "monthday": "17"}, {"rrule": "FREQ=MONTHLY;BYMONTHDAY=17"}),
        ({"recurrence": "days", "days": ["sat", "sun"]}, {"days": ["sat", "sun"]}),
        ({"layer": "interrupt", "share_percent": "5"}, {"share": {"percent": 5.0}}),
        ({"from_time": "22.00", "to_time": "02.00"}, {"dayparts": [{"start": "22:00", "end": "02:00"}]}),
    ],
)  # fmt: skip
def test_presets_days_and_hours_become_the_schedule_object(changes: dict[str, Any], schedule: dict[str, Any]) -> None:
    assert body_from_values(_values(**changes), ZONE)["schedule"] == schedule


def test_local_validity_dates_become_utc_instants() -> None:
    body = body_from_values(_values(valid_from="2026-12-01T07:00", valid_until="2026-12-04T17:30"), ZONE)
    assert (body["starts_at"], body["ends_at"]) == ("2026-12-01T00:00:00Z", "2026-12-04T10:30:00Z")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"recurrence": "monthly", "monthday": "32"}, "schedule.rrule"),
        ({"recurrence": "days", "days": []}, "schedule.days"),
        ({"from_time": "07:00"}, "schedule.dayparts"),
        ({"from_time": "25:00", "to_time": "26:00"}, "schedule.dayparts"),
        ({"layer": "interrupt", "share_percent": ""}, "schedule.share"),
        ({"layer": "interrupt", "share_percent": "150"}, "schedule.share"),
        ({"duration_s": "sepuluh"}, "duration_s"),
        ({"valid_from": "besok"}, "starts_at"),
    ],
)
def test_bad_input_names_the_field_in_indonesian(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(UserError) as caught:
        body_from_values(_values(**changes), ZONE)
    assert caught.value.field == field
    message, key = error_text(caught.value, translator("id"))
    assert key == field.split("[")[0]
    assert message.split(":")[0] in {"Pengulangan", "Hari", "Jam tayang", "Jatah tayang (%)", "Durasi (detik)",
                                     "Berlaku mulai"}  # fmt: skip


def test_an_imported_rule_round_trips_and_is_kept_unless_changed() -> None:
    row = {"title": "Impor", "body": "", "duration_s": 10.0, "starts_at": None, "ends_at": None, "layer": "normal",
           "targets": {"displays": ["kantor-bupati"], "groups": []}, "kind": "text", "media_sha256": None,
           "schedule": {"rrule": "FREQ=WEEKLY;BYDAY=FR;INTERVAL=2", "weight": 3}}  # fmt: skip
    values = values_from_row(row, ZONE)
    assert values["keep_schedule"] == "1"
    kept = body_from_values({**values, "recurrence": "keep"}, ZONE, row["schedule"])["schedule"]
    assert kept == {"rrule": "FREQ=WEEKLY;BYDAY=FR;INTERVAL=2", "weight": 3}
    hours = [{"start": "08:00", "end": "09:00"}]
    monthly = {**row, "schedule": {"rrule": "FREQ=MONTHLY;BYMONTHDAY=5", "dayparts": hours}}
    values = values_from_row(monthly, ZONE)
    assert (values["recurrence"], values["monthday"], values["from_time"], values["keep_schedule"]) == (
        "monthly", "5", "08:00", "")  # fmt: skip


def test_schedule_in_words_never_shows_rrule() -> None:
    t = translator("id")
    assert describe_schedule({"rrule": "FREQ=MONTHLY;BYMONTHDAY=5"}, t) == "Bulanan pada tanggal 5"
    assert describe_schedule({"preset": "weekdays", "dayparts": [{"start": "07:00", "end": "10:00"}]}, t) == (
        "Hari kerja (Senin-Jumat) · 07.00-10.00"
    )
    assert "FREQ" not in describe_schedule({"rrule": "FREQ=WEEKLY;BYDAY=FR;INTERVAL=2"}, t)


def test_hours_past_midnight_and_a_late_date_of_the_month_say_what_they_do() -> None:
    """Found by the fourth review's Chromium walk: 10:00-07:00 was shown as if it were a morning slot."""
    t = translator("id")
    assert describe_schedule({"dayparts": [{"start": "10:00", "end": "07:00"}]}, t) == (
        "Setiap hari · 10.00-07.00 (sampai esok hari)"
    )
    assert describe_schedule({"dayparts": [{"start": "07:00", "end": "10:00"}]}, t) == "Setiap hari · 07.00-10.00"
    assert describe_schedule({"rrule": "FREQ=MONTHLY;BYMONTHDAY=31"}, t) == (
        "Bulanan pada tanggal 31 (tidak di bulan yang tidak punya tanggal itu)"
    )


def test_every_unreadable_field_is_named_at_once() -> None:
    changes = {"duration_s": "sepuluh", "valid_until": "lusa", "recurrence": "days", "days": [],
               "from_time": "7", "to_time": "9", "layer": "interrupt", "share_percent": "0"}  # fmt: skip
    with pytest.raises(FieldErrors) as caught:
        body_from_values(_values(**changes), ZONE)
    assert [e.field for e in caught.value.errors] == [
        "duration_s", "ends_at", "schedule.days", "schedule.dayparts", "schedule.share"
    ]  # fmt: skip
    assert caught.value.field == "duration_s"  # a caller reading one error reads the first
    body, problems = body_and_problems(_values(**changes), ZONE)
    assert len(problems) == 5 and body["duration_s"] == 10.0 and body["ends_at"] is None
    assert body["schedule"] == {"share": {"percent": 5}}  # neutral, so the rest of the body can still be checked
    texts = errors_text(caught.value, translator("id"))
    # listed in the order of the form, top to bottom
    assert [key for _message, key in texts] == ["ends_at", "schedule.days", "schedule.dayparts", "schedule.share",
                                                "duration_s"]  # fmt: skip
