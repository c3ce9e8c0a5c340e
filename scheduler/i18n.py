"""User-facing text through a gettext catalog (Babel): Bahasa Indonesia by default, English available.

Message ids are English; ``scheduler/locale/<lang>/LC_MESSAGES/messages.po`` holds the
translations. The ``.po`` sources are compiled in memory on first use (no build step, so a
fresh checkout works). ``scripts/update_catalog.py`` re-extracts the ids from the code and
templates into both catalogs.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES: dict[str, str] = {"id": "Bahasa Indonesia", "en": "English"}
DEFAULT_LANGUAGE = "id"


def N_(message: str) -> str:
    """Mark a module-level string for extraction; translate it where it is shown."""
    return message


def language_or_default(language: str | None) -> str:
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


@cache
def catalog(language: str) -> gettext.NullTranslations:
    po_path = LOCALE_DIR / language_or_default(language) / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as handle:
        messages = read_po(handle, locale=language_or_default(language))
    compiled = BytesIO()
    write_mo(compiled, messages)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def translator(language: str | None) -> Callable[[str], str]:
    return catalog(language_or_default(language)).gettext
