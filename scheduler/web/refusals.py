"""The media pipeline's refusals in plain words for staff (the pipeline's English detail is kept after them)."""

from __future__ import annotations

import re
from collections.abc import Callable

from scheduler.i18n import N_

# (pattern in the pipeline's English reason, plain message); the first match wins.
PLAIN_REFUSALS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"files are not accepted\. Accepted: (?P<formats>.+?)\.?$"),
     N_("This kind of file is not accepted. Accepted: %(formats)s.")),
    (re.compile(r"the file is empty"), N_("The file is empty. Upload it again.")),
    (re.compile(r"\(no video stream\)"), N_("The file has no picture (sound only?). Upload a video or a picture.")),
    (re.compile(r"too large|pixels a side"),
     N_("The picture is too large. Make it smaller (e.g. 3840x2160) and upload it again.")),
    (re.compile(r"minutes long"), N_("The video is too long. Cut it shorter and upload it again.")),
    (re.compile(r"damaged|incomplete|cannot be read|no length|no picture size"),
     N_("The file is damaged or incomplete. Save or export it again and upload it again.")),
    (re.compile(r"conversion was interrupted"),
     N_("The conversion was cut off because the server stopped. Upload the file again.")),
]  # fmt: skip


def _plain(reason: str, t: Callable[[str], str]) -> str | None:
    for pattern, message in PLAIN_REFUSALS:
        match = pattern.search(reason)
        if match:
            return t(message) % match.groupdict() if match.groupdict() else t(message)
    return None


def plain_reason(reason: str, t: Callable[[str], str]) -> str:
    """Why a media job failed, in the user's language, with the pipeline's detail for support (job lists)."""
    plain = _plain(reason, t)
    return reason if plain is None else f"{plain} ({reason})"


def plain_refusal(reason: str, t: Callable[[str], str]) -> str:
    """'Berkas ditolak: <plain reason>' in the user's language, with the pipeline's detail for support."""
    plain = _plain(reason, t)
    if plain is None:
        return t("The file was refused: %(reason)s") % {"reason": reason}
    return t("The file was refused: %(reason)s") % {"reason": plain} + f" ({reason})"
