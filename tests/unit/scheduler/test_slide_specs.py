"""Which slide a text announcement gets: the emergency design for the emergency layer, severity from the title."""

from __future__ import annotations

from typing import Any

from scheduler.slide_specs import EMERGENCY_ISSUER, emergency_severity, slide_spec, slide_spec_sha

ZONE = "Asia/Pontianak"


def row(**extra: Any) -> dict[str, Any]:
    return {"title": "DARURAT: Banjir di Sungai Pinyuh", "body": "Hindari jalan raya.", "layer": "emergency",
            "approved_at": "2026-11-30T06:50:00Z", **extra}  # fmt: skip


def test_emergency_row_gets_the_emergency_design_with_issuer_and_local_time() -> None:
    spec = slide_spec(row(), ZONE)
    assert (spec.style, spec.severity, spec.header) == ("emergency", "emergency", "PERINGATAN DARURAT")
    assert spec.title == "Banjir di Sungai Pinyuh"  # the prefix became the header
    assert spec.issuer == EMERGENCY_ISSUER
    assert spec.issued == "Senin, 30 November 2026 · 13.50 WIB"


def test_severity_from_the_forms_prefix_in_either_language() -> None:
    assert emergency_severity("PERINGATAN: Air pasang") == ("warning", "Air pasang")
    assert emergency_severity("WARNING: High tide") == ("warning", "High tide")
    assert emergency_severity("EMERGENCY: Fire") == ("emergency", "Fire")
    assert emergency_severity("Jam 10: evakuasi") == ("emergency", "Jam 10: evakuasi")  # no known prefix
    assert slide_spec(row(title="PERINGATAN: Air pasang"), ZONE).header == "PERINGATAN"


def test_normal_and_emergency_slides_of_the_same_text_differ() -> None:
    normal = row(layer="normal")
    assert slide_spec(normal, ZONE).style == "normal"
    assert slide_spec_sha(normal, ZONE) != slide_spec_sha(row(), ZONE)
    assert slide_spec_sha(row(), ZONE) != slide_spec_sha(row(approved_at="2026-11-30T07:00:00Z"), ZONE)
    assert slide_spec_sha(normal, ZONE) == slide_spec_sha(row(layer="normal", approved_at=None), ZONE)


def test_legibility_is_checked_on_the_emergency_design() -> None:
    """The band and footer leave less room: a text that fits a normal 400x300 slide is cut on the emergency one."""
    from sqlite_utils import Database

    from scheduler.legibility import check_announcement

    db = Database(memory=True)
    db["displays"].insert({"id": "desa-antibar", "width": 400, "height": 300, "groups": "[]"}, pk="id")
    body = "Warga diminta mengungsi ke balai desa " * 3
    ann = {"title": "DARURAT: Banjir", "body": body[:120], "kind": "text", "layer": "emergency",
           "targets": {"displays": ["desa-antibar"], "groups": []}, "approved_at": "2026-11-30T06:50:00Z"}  # fmt: skip
    assert check_announcement(db, {**ann, "layer": "normal"})[0]["cut"] is False
    emergency = check_announcement(db, ann, ZONE)[0]
    assert emergency["cut"] is True and "cut" in emergency["warnings"][-1]
