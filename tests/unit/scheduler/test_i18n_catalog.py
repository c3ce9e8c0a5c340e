"""The web admin's text goes through the gettext catalog, and every message has its Indonesian text."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from babel.messages.pofile import read_po

from scheduler.i18n import LOCALE_DIR, translator

ROOT = Path(__file__).resolve().parents[3]


def _update_catalog_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("update_catalog", ROOT / "scripts" / "update_catalog.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_message_in_code_and_templates_has_an_indonesian_translation() -> None:
    extracted = {str(m.id) for m in _update_catalog_module().extract() if m.id}
    assert len(extracted) > 100  # the extraction really reads the pages and templates
    with (LOCALE_DIR / "id" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = {str(m.id): str(m.string) for m in read_po(handle) if m.id}
    missing = sorted(extracted - {k for k, v in catalog.items() if v})
    assert not missing, f"run scripts/update_catalog.py and translate: {missing[:10]}"


def test_catalog_compiles_from_po_sources_and_falls_back_to_english() -> None:
    assert translator("id")("Announcements") == "Pengumuman"
    assert translator("en")("Announcements") == "Announcements"
    assert translator("xx")("Log in") == "Masuk"  # unknown language: the default, Bahasa Indonesia
    assert translator("id")("Too many failed logins. Try again in %(minutes)d minutes.") % {"minutes": 15} == (
        "Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam 15 menit."
    )
