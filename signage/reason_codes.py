"""Machine codes for the reasons a player reports in English, so the scheduler can show them in the staff's language.

A player sends its English text as before (``reason`` / ``detail``) and, beside it, a stable ``code``
(lower-case, digits and ``_``) with ``params`` (the numbers and names the sentence needs). Old players
send no code: :func:`legacy_reason` recognises the English texts players have always sent and gives
their code and params, so the scheduler can translate those too. A code the scheduler does not know
(a newer player) is still accepted; the scheduler then shows a generic sentence and the English text.

Codes, by where they come from:

* emergency push receipts (:class:`signage.emergency_message.EmergencyRefused`): ``unsigned``,
  ``bad_signature``, ``unknown_key`` {key_id}, ``malformed``, ``not_for_me`` {display_id},
  ``expired`` {expired_at}, ``replayed`` {seq, last_seq};
* player updates (``player/launcher.py``, ``player/update.py``): ``crash_loop`` {status, crashes},
  ``health_timeout`` {timeout_s}, ``not_installed`` {version}, ``not_loaded`` {version, running},
  ``older_than_running`` {running}, ``incompatible`` {running, min, max}, ``needs_launcher``,
  ``release_rejected``, ``install_failed``, ``download_mismatch``;
* heartbeat warnings and clock faults: ``clock_offset`` {offset_s}, ``clock_behind`` {behind_s},
  ``past_horizon`` {version}, ``last_good`` {version}, ``media_downloading`` {count, version},
  ``renderer_rebuild``, ``low_disk`` {free_bytes}, ``cannot_write`` {what}, ``heartbeat_failed``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import Field

#: The shape of a code on the wire (the API refuses anything else; unknown codes of this shape pass).
CODE_PATTERN = "^[a-z][a-z0-9_]{0,39}$"
PARAM_NAME_PATTERN = "^[a-z][a-z0-9_]{0,29}$"
MAX_PARAMS = 8
MAX_PARAM_CHARS = 200

ReasonCode = Annotated[str, Field(pattern=CODE_PATTERN, description="Stable machine code of the reason")]
ParamName = Annotated[str, Field(pattern=PARAM_NAME_PATTERN)]
ParamValue = int | float | Annotated[str, Field(max_length=MAX_PARAM_CHARS)]
ReasonParams = dict[str, int | float | str]

EMERGENCY_CODES = ("unsigned", "bad_signature", "unknown_key", "malformed", "not_for_me", "expired", "replayed")
UPDATE_CODES = ("crash_loop", "health_timeout", "not_installed", "not_loaded", "older_than_running", "incompatible",
                "needs_launcher", "release_rejected", "install_failed", "download_mismatch")  # fmt: skip
WARNING_CODES = ("clock_offset", "clock_behind", "past_horizon", "last_good", "media_downloading",
                 "renderer_rebuild", "low_disk", "cannot_write", "heartbeat_failed")  # fmt: skip
KNOWN_CODES = frozenset(EMERGENCY_CODES + UPDATE_CODES + WARNING_CODES)

_Parse = Callable[[re.Match[str]], ReasonParams]


def _num(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() else value


#: (pattern over the whole English text, code, params from the match): the texts players send today.
_RULES: tuple[tuple[str, str, _Parse], ...] = (
    # emergency receipts (signage/emergency_message.py)
    (r"emergency message is unsigned.*|unsupported signature algorithm .*", "unsigned", lambda m: {}),
    (r"emergency message signature does not verify", "bad_signature", lambda m: {}),
    (r"emergency message signed by unknown key '?(.*?)'?", "unknown_key", lambda m: {"key_id": m[1]}),
    (r"emergency message (?:is not valid JSON|is not a JSON object|field |schema |key_id does not).*",
     "malformed", lambda m: {}),
    (r"emergency message \S+ is not for display '?(.*?)'?", "not_for_me", lambda m: {"display_id": m[1]}),
    (r"emergency message \S+ expired at (\S+)", "expired", lambda m: {"expired_at": m[1]}),
    (r"emergency message \S+ replayed: sequence (\d+) is not newer than (-?\d+)", "replayed",
     lambda m: {"seq": int(m[1]), "last_seq": int(m[2])}),
    # player updates (player/launcher.py, player/update.py)
    (r"exited with status (-?\d+) (\d+) times before reporting healthy", "crash_loop",
     lambda m: {"status": int(m[1]), "crashes": int(m[2])}),
    (r"exited with status (-?\d+) (\d+) times", "crash_loop",
     lambda m: {"status": int(m[1]), "crashes": int(m[2])}),
    (r"no healthy report within (\d+(?:\.\d+)?) s", "health_timeout", lambda m: {"timeout_s": _num(m[1])}),
    (r"release (\S+) is not installed any more", "not_installed", lambda m: {"version": m[1]}),
    (r"release (\S+) is active but this process runs (\S+); its installed copy does not load", "not_loaded",
     lambda m: {"version": m[1], "running": m[2]}),
    (r"older than the running version (\S+)", "older_than_running", lambda m: {"running": m[1]}),
    (r"running version (\S+) is outside (\S*?)\.\.(\S*)", "incompatible",
     lambda m: {"running": m[1], "min": m[2], "max": m[3]}),
    (r"updates need the launcher.*", "needs_launcher", lambda m: {}),
    (r"pip install of .*|.* does not contain the signage package", "install_failed", lambda m: {}),
    (r"media \S+ (?:sha256 mismatch|is larger than the manifest says).*", "download_mismatch", lambda m: {}),
    (r"(?:release|signed document) .*", "release_rejected", lambda m: {}),
    # heartbeat warnings (player/app.py, player/clock.py, player/fsutil.py, player/report.py)
    (r"(?:clock: )?PC clock is ([+-]?\d+(?:\.\d+)?) s off the scheduler's.*", "clock_offset",
     lambda m: {"offset_s": _num(m[1])}),
    (r"(?:clock: )?PC clock \S+ is (\d+(?:\.\d+)?) s behind .*", "clock_behind",
     lambda m: {"behind_s": _num(m[1])}),
    (r"manifest version (\d+) past its horizon .*", "past_horizon", lambda m: {"version": int(m[1])}),
    (r"current manifest unusable, playing last good version (\d+)", "last_good", lambda m: {"version": int(m[1])}),
    (r"(\d+) media file\(s\) of manifest version (\S+) still downloading", "media_downloading",
     lambda m: {"count": int(m[1]), "version": m[2]}),
    (r"renderer rebuild pending: .*", "renderer_rebuild", lambda m: {}),
    (r"low disk: (\d+) bytes free.*", "low_disk", lambda m: {"free_bytes": int(m[1])}),
    (r"cannot write (.+?): .*", "cannot_write", lambda m: {"what": m[1]}),
    (r"heartbeat (?:refused|failed): .*", "heartbeat_failed", lambda m: {}),
)
_LEGACY = tuple((re.compile(pattern, re.DOTALL), code, parse) for pattern, code, parse in _RULES)


def legacy_reason(text: str | None) -> tuple[str, ReasonParams] | None:
    """The code and params of an English reason a player sent without a code, or None if not recognised."""
    if not text:
        return None
    text = text.strip()
    for pattern, code, parse in _LEGACY:
        match = pattern.fullmatch(text)
        if match:
            return code, parse(match)
    return None


def clean_params(params: object) -> ReasonParams:
    """Only the scalar params the API accepts (for values read back from storage or a state file)."""
    if not isinstance(params, dict):
        return {}
    out: ReasonParams = {}
    for key, value in list(params.items())[:MAX_PARAMS]:
        if not isinstance(key, str) or not re.fullmatch(PARAM_NAME_PATTERN, key) or isinstance(value, bool):
            continue
        if isinstance(value, int | float):
            out[key] = value
        elif isinstance(value, str):
            out[key] = value[:MAX_PARAM_CHARS]
    return out


def clean_code(code: object) -> str | None:
    return code if isinstance(code, str) and re.fullmatch(CODE_PATTERN, code) else None


def coded(code: str | None, params: ReasonParams | None = None) -> dict[str, Any]:
    """``{"code", "params"}`` as the API takes it beside an English text (checked, so always valid)."""
    return {"code": clean_code(code), "params": clean_params(params) if clean_code(code) else {}}


__all__ = ["CODE_PATTERN", "KNOWN_CODES", "ReasonCode", "ReasonParams", "clean_code", "clean_params", "coded",
           "legacy_reason"]  # fmt: skip
