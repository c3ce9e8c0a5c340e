"""The Jadwal day view (segments in local time, why an announcement never plays) and Laporan aggregation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from scheduler import fleet_admin
from scheduler.announcements import approve_announcement, create_announcement
from scheduler.auth import create_user
from scheduler.reports import build_report, chart_svg, parse_range, to_csv
from scheduler.schedule_view import day_view
from scheduler.service import Service
from signage.config import SchedulerConfig
from signage.errors import UserError

NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)  # Monday 10.00 WIB


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    svc = Service(SchedulerConfig(data_dir=str(tmp_path / "s")), clock=lambda: NOW)
    yield svc
    svc.close()


def _users(service: Service) -> tuple[dict[str, Any], dict[str, Any]]:
    create_user(service.db, "editor", "editor", "sandi-editor", service.now_iso())
    create_user(service.db, "boss", "approver", "sandi-approver", service.now_iso())
    editor, boss = (next(service.db.table("users").rows_where("username = ?", [u])) for u in ("editor", "boss"))
    return editor, boss


def test_day_view_shows_off_hours_plays_and_reasons(service: Service) -> None:
    fleet_admin.create_display(
        service, {"id": "led-a", "name": "LED A", "width": 640, "height": 360, "operating_hours": "06:00-18:00"}
    )
    editor, boss = _users(service)
    on = create_announcement(
        service.db, {"title": "Donor darah", "targets": {"displays": ["led-a"]}}, editor["id"], NOW
    )
    approve_announcement(service.db, on, boss, NOW)
    night = create_announcement(
        service.db,
        {"title": "Ronda malam", "targets": {"displays": ["led-a"]},
         "schedule": {"dayparts": [{"start": "20:00", "end": "23:00"}]}},
        editor["id"], NOW,
    )  # fmt: skip
    approve_announcement(service.db, night, boss, NOW)
    draft = create_announcement(
        service.db, {"title": "Draf saja", "targets": {"displays": ["led-a"]}}, editor["id"], NOW
    )

    assert day_view(service, "led-a", None).now_pct == pytest.approx(100 * 10 / 24, abs=0.01)  # 10.00 WIB today
    view = day_view(service, "led-a", "2026-12-01")
    assert view.now_pct is None
    layers = [(s.layer, s.start.strftime("%H:%M"), s.end.strftime("%H:%M")) for s in view.segments]
    assert ("off", "00:00", "06:00") in layers and ("off", "18:00", "00:00") in layers
    lit = [s for s in view.segments if s.layer == "normal"]
    assert lit and lit[0].start.hour == 6 and lit[0].why_code == "round_robin"
    assert sum(s.width_pct for s in view.segments if s.zone == "main") == pytest.approx(100)
    rows = {r.title: r for r in view.items}
    assert rows["Donor darah"].plays > 0 and rows["Donor darah"].first.hour == 6  # type: ignore[union-attr]
    assert rows["Ronda malam"].plays == 0 and rows["Ronda malam"].reasons == ["outside_operating_hours"]
    assert rows["Draf saja"].reasons == ["not_approved"]
    assert draft

    with pytest.raises(UserError) as caught:
        day_view(service, "led-a", "2027-06-01")
    assert caught.value.field == "day"


def test_report_counts_plays_per_local_day_and_exports_csv(service: Service) -> None:
    fleet_admin.create_display(service, {"id": "led-a", "name": "LED A", "width": 640, "height": 360})
    editor, _ = _users(service)
    ann = create_announcement(
        service.db, {"title": "Donor, darah", "targets": {"displays": ["led-a"]}}, editor["id"], NOW
    )
    events = [
        ("e1", "2026-11-29T18:00:00Z", 10_000, "played"),  # 30 Nov 01.00 WIB
        ("e2", "2026-11-30T02:00:00Z", 12_000, "played"),
        ("e3", "2026-11-28T16:59:59Z", 10_000, "played"),  # 28 Nov 23.59 WIB: outside the range
        ("e4", "2026-11-30T02:10:00Z", 0, "skipped"),
    ]
    service.db.table("play_events").insert_all(
        {"id": i, "display_id": "led-a", "item_id": f"ann-{ann}", "started_at": at, "ended_at": at,
         "duration_ms": ms, "result": result, "reason": "", "received_at": at}
        for i, at, ms, result in events
    )  # fmt: skip
    report = build_report(service, date(2026, 11, 29), date(2026, 11, 30))
    assert report.total.plays == 2 and report.total.seconds == 22
    assert report.by_day == {date(2026, 11, 30): report.by_day[date(2026, 11, 30)]}
    assert report.skipped == 1
    assert report.rows[0].title == "Donor, darah" and report.rows[0].display_name == "LED A"
    lines = to_csv(report).splitlines()
    assert (
        lines[0].startswith("date,display_id") and lines[1] == f'2026-11-30,led-a,LED A,ann-{ann},"Donor, darah",2,22'
    )
    svg = str(chart_svg(report, "Menit tayang <per hari>"))
    assert svg.count("<rect") == 2 and "&lt;per hari&gt;" in svg

    assert parse_range(None, None, date(2026, 11, 30)) == (date(2026, 11, 24), date(2026, 11, 30))
    for start, end, field in (("2026-12-01", "2026-11-30", "start"), ("x", None, "start"), (None, "30/11", "end")):
        with pytest.raises(UserError) as caught:
            parse_range(start, end, date(2026, 11, 30))
        assert caught.value.field == field


def test_an_emergency_starts_at_its_approval_and_each_row_says_how_it_shares_the_screen(service: Service) -> None:
    """Found by a staffer's walk: an emergency approved at 18.14 showed on Jadwal from 00.00 ("1.410 menit"), every
    row said "in turn with the others" (the emergency and the interlude too), and a play begun the evening before
    gave a first time of 23.59 on the next day."""
    fleet_admin.create_display(service, {"id": "led-b", "name": "LED B", "width": 640, "height": 360})
    editor, boss = _users(service)

    def approved(body: dict[str, Any]) -> int:
        ann = create_announcement(service.db, {"targets": {"displays": ["led-b"]}, **body}, editor["id"], NOW)
        approve_announcement(service.db, ann, boss, NOW)
        return ann

    approved({"title": "Panjang", "duration_s": 3600})  # 1 h + 17 min 3 s: plays cross midnight
    approved({"title": "Pendek", "duration_s": 1023})
    approved({"title": "Sela", "layer": "interrupt", "schedule": {"share": {"percent": 5}}})
    approved({"title": "Banjir", "layer": "emergency", "ends_at": "2026-11-30T05:00:00Z"})  # 10.00-12.00 WIB
    today = {r.title: r for r in day_view(service, "led-b", "2026-11-30").items}
    emergency = today["Banjir"]
    assert emergency.role == "emergency" and emergency.first.strftime("%H.%M") == "10.00"  # type: ignore[union-attr]
    assert emergency.seconds == 2 * 3600  # from its approval, not from the day's start
    spans = [(s.start.strftime("%H.%M"), s.end.strftime("%H.%M")) for s in day_view(service, "led-b", "2026-11-30")
             .segments if s.layer == "emergency"]  # fmt: skip
    assert spans == [("10.00", "12.00")], spans
    assert today["Sela"].role == "interrupt" and today["Panjang"].role == "normal"
    # approved at 10.00 without a start of its own: its plays are counted from then (not from 00.00)
    assert today["Pendek"].first.strftime("%H.%M") >= "10.00", today["Pendek"].first  # type: ignore[union-attr]
    assert today["Pendek"].plays < tomorrow_plays_pendek(service)
    tomorrow = {r.title: r for r in day_view(service, "led-b", "2026-12-01").items}
    first = min(r.first for r in tomorrow.values() if r.first)  # type: ignore[type-var]
    assert first.strftime("%H.%M") == "00.00"
    for row in tomorrow.values():
        if row.first and row.last:
            assert row.first <= row.last, (row.title, row.first, row.last)


def tomorrow_plays_pendek(service: Service) -> int:
    return next(r.plays for r in day_view(service, "led-b", "2026-12-01").items if r.title == "Pendek")
