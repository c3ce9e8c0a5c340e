"""Groups and displays CRUD: validation names the field (Indonesian and English), edits republish."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scheduler import enrolment, fleet_admin
from scheduler.fleet_admin import FieldError
from scheduler.service import Service
from signage.config import SchedulerConfig
from signage.errors import NotFoundError

LED = {"id": "led-pinyuh", "name": "LED Sungai Pinyuh", "width": 768, "height": 432}


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    svc = Service(SchedulerConfig(data_dir=str(tmp_path / "s")))
    yield svc
    svc.close()


def test_create_group_and_display_then_edit_republishes(service: Service) -> None:
    fleet_admin.create_group(
        service, {"id": "kec-sungai-pinyuh", "name": "Kecamatan Sungai Pinyuh", "kind": "kecamatan"}
    )
    row = fleet_admin.create_display(
        service,
        {**LED, "groups": ["kec-sungai-pinyuh"], "latitude": "0,35", "longitude": "108.95",
         "operating_hours": "sen-jum 06.00-22:00; sab 07:00-12:00", "capture_x": 0, "capture_y": 0,
         "capture_w": "768", "capture_h": 432},
    )  # fmt: skip
    assert row["timezone"] == "Asia/Pontianak" and row["latitude"] == 0.35 and row["capture_w"] == 768
    assert row["operating_hours"] == [
        {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "06:00", "end": "22:00"},
        {"days": ["sat"], "start": "07:00", "end": "12:00"},
    ]
    assert fleet_admin.format_hours(row["operating_hours"]) == "mon-fri 06:00-22:00; sat 07:00-12:00"
    # shown back in the staff's day names, and read back the same (the third review typed sen-jum, got mon-fri)
    indonesian = fleet_admin.format_hours(row["operating_hours"], "id")
    assert indonesian == "sen-jum 06:00-22:00; sab 07:00-12:00"
    assert fleet_admin.parse_hours(indonesian) == row["operating_hours"]
    sunday = [{"days": ["mon", "wed", "sun"], "start": "05:00", "end": "23:00"}]
    assert fleet_admin.format_hours(sunday, "id") == "sen,rab,min 05:00-23:00"
    first = service.publisher.latest("led-pinyuh")
    assert first is not None, "a new display gets a manifest at once"

    fleet_admin.edit_display(service, "led-pinyuh", {"rotation": 90, "name": "LED Camat"})
    second = service.publisher.latest("led-pinyuh")
    assert second is not None and second.version == first.version + 1
    assert b'"rotation":90' in second.body.replace(b" ", b"")
    kept = fleet_admin.get_display(service, "led-pinyuh")
    assert kept["name"] == "LED Camat" and kept["groups"] == ["kec-sungai-pinyuh"] and kept["latitude"] == 0.35


@pytest.mark.parametrize(
    ("change", "field", "indonesian"),
    [
        ({"id": "LED A"}, "id", "huruf kecil"),
        ({"name": "  "}, "name", "Nama: wajib diisi"),
        ({"width": "lebar"}, "width", "bilangan bulat"),
        ({"height": 10}, "height", "antara 16"),
        ({"rotation": 45}, "rotation", "0, 90, 180 atau 270"),
        ({"timezone": "WIB"}, "timezone", "bukan zona waktu"),
        ({"latitude": "91"}, "latitude", "antara -90"),
        ({"longitude": "timur"}, "longitude", "derajat desimal"),
        ({"operating_hours": "pagi"}, "operating_hours", "tulis mis."),
        ({"operating_hours": "06:00-25:00"}, "operating_hours", "25:00 bukan jam yang ada"),
        ({"operating_hours": "senja 06:00-07:00"}, "operating_hours", "tidak dikenal"),
        ({"groups": ["tidak-ada"]}, "groups", "belum ada"),
        ({"capture_x": 0}, "capture_y", "keempatnya"),
    ],
)
def test_bad_display_input_names_the_field_and_saves_nothing(
    service: Service, change: dict[str, object], field: str, indonesian: str
) -> None:
    with pytest.raises(FieldError) as caught:
        fleet_admin.create_display(service, {**LED, **change})
    assert caught.value.field == field
    assert caught.value.message.startswith(field)
    assert indonesian in caught.value.localized("id")
    assert service.db.table("displays").count == 0


def test_bad_edit_keeps_the_stored_display(service: Service) -> None:
    fleet_admin.create_display(service, LED)
    version = service.publisher.latest("led-pinyuh").version  # type: ignore[union-attr]
    with pytest.raises(FieldError):
        fleet_admin.edit_display(service, "led-pinyuh", {"width": 0})
    assert fleet_admin.get_display(service, "led-pinyuh")["width"] == 768
    assert service.publisher.latest("led-pinyuh").version == version  # type: ignore[union-attr]


def test_duplicates_and_unknown_ids_are_refused(service: Service) -> None:
    fleet_admin.create_group(service, {"id": "desa-antibar", "name": "Desa Antibar", "kind": "desa"})
    with pytest.raises(FieldError, match="already exists"):
        fleet_admin.create_group(service, {"id": "desa-antibar", "name": "Lain", "kind": "desa"})
    with pytest.raises(FieldError) as caught:
        fleet_admin.create_group(service, {"id": "x", "name": "X", "kind": "region"})
    assert caught.value.field == "kind"
    fleet_admin.create_display(service, LED)
    with pytest.raises(FieldError, match="already exists"):
        fleet_admin.create_display(service, LED)
    with pytest.raises(NotFoundError):
        fleet_admin.edit_display(service, "tidak-ada", {"name": "x"})


def test_display_with_a_player_cannot_be_removed_until_revoked(service: Service) -> None:
    fleet_admin.create_display(service, LED)
    with service.lock:
        enrolment.request_enrolment(service.db, "ABCDEF", "pc", "0" * 64, "127.0.0.1", service.clock())
        enrolment.approve(service.db, "ABCDEF", "led-pinyuh", service.clock())
    with pytest.raises(FieldError, match="revoke it first") as caught:
        fleet_admin.remove_display(service, "led-pinyuh")
    assert caught.value.field == "display"
    assert service.db.table("displays").count == 1
    with service.lock:
        enrolment.revoke_display_tokens(service.db, "led-pinyuh", service.clock())
    fleet_admin.remove_display(service, "led-pinyuh")
    assert service.db.table("displays").count == 0


def test_group_in_use_is_kept_and_removal_republishes_members(service: Service) -> None:
    from scheduler.announcements import create_announcement
    from scheduler.auth import create_user

    fleet_admin.create_group(service, {"id": "kabupaten", "name": "Seluruh Kabupaten", "kind": "kabupaten"})
    fleet_admin.create_display(service, {**LED, "groups": ["kabupaten"]})
    create_user(service.db, "editor", "editor", None, service.now_iso())
    ann = create_announcement(
        service.db, {"title": "Donor darah", "targets": {"groups": ["kabupaten"]}}, 1, service.clock()
    )
    with pytest.raises(FieldError, match="Donor darah"):
        fleet_admin.remove_group(service, "kabupaten")
    service.db.execute("update announcements set status = 'archived' where id = ?", [ann])
    removal = fleet_admin.remove_group(service, "kabupaten")
    assert removal.republished == ["led-pinyuh"]
    assert fleet_admin.get_display(service, "led-pinyuh")["groups"] == []
    assert service.db.table("groups").count == 0
