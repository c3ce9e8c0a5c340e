"""Re-extract the web admin's messages into scheduler/locale/{id,en}/LC_MESSAGES/messages.po.

Message ids are English. Existing translations are kept; new ids get an empty translation
(``tests/unit/scheduler/test_i18n_catalog.py`` fails until every id has its Indonesian text).
Run: ``python scripts/update_catalog.py``.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
SCHEDULER = ROOT / "scheduler"
LOCALE = SCHEDULER / "locale"
METHODS = [("web/**.py", "python"), ("fleet_alerts.py", "python"), ("player_reasons.py", "python"),
           ("schedule_reasons.py", "python"), ("cli_alerts.py", "python"), ("i18n.py", "ignore"),
           ("templates/**.html", "jinja2")]
OPTIONS = {"templates/**.html": {"extensions": "", "silent": "false"}}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "t": None}


def extract() -> Catalog:
    catalog = Catalog(project="mempawah-signage", charset="utf-8")
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(SCHEDULER), METHODS, OPTIONS, keywords=KEYWORDS, strip_comment_tags=True
    ):
        catalog.add(message, None, [(f"scheduler/{filename}", lineno)])
    return catalog


def update(language: str, template: Catalog) -> None:
    path = LOCALE / language / "LC_MESSAGES" / "messages.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    old: dict[str, str] = {}
    if path.exists():
        with path.open("rb") as handle:
            old = {str(m.id): str(m.string) for m in read_po(handle, locale=language) if m.id and m.string}
    catalog = Catalog(locale=language, project="mempawah-signage", charset="utf-8")
    for message in template:
        if message.id:
            catalog.add(message.id, old.get(str(message.id), ""), message.locations)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=120, sort_output=True, omit_header=False)


if __name__ == "__main__":
    extracted = extract()
    for lang in ("id", "en"):
        update(lang, extracted)
    print(f"{len([m for m in extracted if m.id])} messages")
