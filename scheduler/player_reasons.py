"""What a player reported (a refusal, a rollback, a warning) as a sentence in the staff's language.

Players report in English, and newer ones add a stable ``code`` with ``params``
(:mod:`signage.reason_codes`). :class:`PlayerReasons` turns ``(code, params, English text)`` into a
:class:`PlayerText`: the translated sentence with the params filled in; for an old player (no code) the
code is recognised from the English text first. What cannot be translated -- an unknown code, a
text no rule recognises, a sentence missing a param -- keeps the player's English text, which the
page shows labelled as the player's message in English (``_player_text.html``); :func:`plain_text` says it
in one line for fleet alerts (pages and e-mail).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from babel.numbers import format_decimal

from scheduler.i18n import N_
from signage.clock import parse_utc
from signage.reason_codes import legacy_reason
from signage.timefmt import format_long

#: Each known code as an English sentence (the msgid); ``%(name)s`` are the code's params.
MESSAGES: dict[str, str] = {
    # emergency push refusals (signage/emergency_message.py)
    "unsigned": N_("the message was not signed"),
    "bad_signature": N_("its signature does not match (the message may have been altered)"),
    "unknown_key": N_("it was signed with a key this screen does not know (%(key_id)s)"),
    "malformed": N_("the message is damaged or incomplete"),
    "not_for_me": N_("the message is not addressed to this screen"),
    "expired": N_("the message had already expired (at %(expired_at)s)"),
    "replayed": N_("the message is not newer than one already received (number %(seq)s, last %(last_seq)s)"),
    # player updates (player/launcher.py, player/update.py)
    "crash_loop": N_("the new version stopped with exit status %(status)s %(crashes)s times before it reported "
                     "healthy"),
    "health_timeout": N_("the new version did not report healthy within %(timeout_s)s seconds"),
    "not_installed": N_("release %(version)s is no longer installed on the player"),
    "not_loaded": N_("release %(version)s is active but the player still runs %(running)s (the installed copy "
                     "does not load)"),
    "older_than_running": N_("it is older than the version running now (%(running)s)"),
    "incompatible": N_("the running version %(running)s cannot update to it directly (it accepts %(min)s to "
                       "%(max)s)"),
    "needs_launcher": N_("the player must run under the launcher (signage player launch) to update"),
    "release_rejected": N_("the release failed its signature check; nothing was installed"),
    "install_failed": N_("installing the release failed; nothing was changed"),
    "download_mismatch": N_("the downloaded file does not match the release (size or checksum); it is not "
                            "installed"),
    # heartbeat warnings and clock faults (player/app.py, player/clock.py)
    "clock_offset": N_("the PC clock is %(offset_s)s seconds off the scheduler's; the player uses the "
                       "scheduler's time"),
    "clock_behind": N_("the PC clock was %(behind_s)s seconds behind; the player moved it up to the last known "
                       "time"),
    "past_horizon": N_("schedule version %(version)s has run out; playing the last good one"),
    "last_good": N_("the current schedule cannot be used; playing the last good version %(version)s"),
    "media_downloading": N_("%(count)s media file(s) of schedule version %(version)s still downloading"),
    "renderer_rebuild": N_("the screen renderer is waiting to be rebuilt"),
    "low_disk": N_("low disk space on the player: %(free_bytes)s free"),
    "cannot_write": N_("the player cannot write %(what)s to its disk"),
    "heartbeat_failed": N_("the previous status report did not reach the scheduler"),
}
#: ``expired`` for a message still valid by the scheduler's clock: the player's clock is ahead.
EXPIRED_BY_CLOCK = N_("the player thinks the message has expired although it is valid until %(expired_at)s: "
                      "its PC clock is probably wrong")
#: A code this scheduler does not know (a newer player): said in general, with the English text beside it.
UNKNOWN = N_("the player reported a reason this scheduler does not know yet (code %(code)s)")
#: The label of a player's text that could not be translated.
ENGLISH_LABEL = N_("player message (English)")


class Moments(Protocol):
    """The page's formatter (scheduler.web.common.Formatter): numbers and times in the staff's language."""

    now: datetime

    def number(self, value: float | int | None, digits: int = 0) -> str: ...

    def short(self, value: Any) -> str: ...


@dataclass(frozen=True)
class PlayerText:
    sentence: str  # in the staff's language ("" when nothing is known about the text)
    english: str  # the player's own text, shown labelled as English ("" when the sentence says it all)
    code: str | None = None  # the code the sentence is for (None: not recognised)


class TextMoments:
    """Numbers and times for text outside a page (fleet alerts): Babel, the configured zone."""

    def __init__(self, language: str, zone_name: str, now: datetime | None = None) -> None:
        self.language = language
        self.zone_name = zone_name
        self.now = now or datetime.now(UTC)

    def number(self, value: float | int | None, digits: int = 0) -> str:
        if value is None:
            return "-"
        return format_decimal(value, format="#,##0" + ("." + "0" * digits if digits else ""), locale=self.language)

    def short(self, value: Any) -> str:
        return format_long(value, self.zone_name, self.language) if isinstance(value, datetime) else str(value)


class PlayerReasons:
    """Callable in templates as ``player_text(code, params, text)``."""

    def __init__(self, gettext: Callable[[str], str], fmt: Moments) -> None:
        self.t = gettext
        self.fmt = fmt

    def __call__(self, code: str | None, params: Mapping[str, Any] | None, text: str | None) -> PlayerText:
        text = (text or "").strip()
        if not code:
            legacy = legacy_reason(text)
            if legacy is None:
                return PlayerText("", text)
            code, params = legacy
        template = MESSAGES.get(code)
        if code == "expired" and self._after_now((params or {}).get("expired_at")):
            template = EXPIRED_BY_CLOCK
        if template is not None:
            try:
                return PlayerText(self.t(template) % self._values(params or {}), "", code)
            except (KeyError, TypeError, ValueError):  # a param missing or of the wrong kind: say it in general
                pass
        return PlayerText(self.t(UNKNOWN) % {"code": code}, text, code)

    def _after_now(self, moment: Any) -> bool:
        try:
            return isinstance(moment, str) and parse_utc(moment) > self.fmt.now
        except ValueError:
            return False

    def _values(self, params: Mapping[str, Any]) -> dict[str, str]:
        return {name: self._value(name, value) for name, value in params.items()}

    def _value(self, name: str, value: Any) -> str:
        if isinstance(value, bool):
            return str(value)
        if name.endswith("_bytes") and isinstance(value, int | float):
            gib = value / 1024**3
            return f"{self.fmt.number(gib, 1)} GB" if gib >= 1 else f"{self.fmt.number(value / 1024**2)} MB"
        if isinstance(value, int | float):
            return self.fmt.number(value, 0 if float(value).is_integer() or abs(value) >= 10 else 1)
        if name.endswith("_at") and isinstance(value, str):
            try:
                return self.fmt.short(parse_utc(value))
            except ValueError:
                return value
        return str(value)


def plain_text(said: PlayerText, gettext: Callable[[str], str]) -> str:
    """One line of text: the sentence, and the untranslated English text labelled (for alerts and e-mail)."""
    english = f"{gettext(ENGLISH_LABEL)}: \u201c{said.english}\u201d" if said.english else ""
    if said.sentence and english:
        return f"{said.sentence} ({english})"
    return said.sentence or english


__all__ = ["MESSAGES", "PlayerReasons", "PlayerText", "TextMoments", "plain_text"]
