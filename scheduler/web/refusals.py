"""The media pipeline's refusals and warnings in plain words for staff.

A refusal keeps the pipeline's English detail after the plain words (for support); a warning is only advice, so
a known one is shown in the staff's words alone.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from scheduler.i18n import N_

log = logging.getLogger("scheduler.web.refusals")

# (pattern in the pipeline's English reason, plain message); the first match wins.
PLAIN_REFUSALS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"files are not accepted\. Accepted: "),  # content.sniff.ACCEPTED_FORMATS, said in words here
     N_("This kind of file is not accepted. Accepted: pictures in JPEG, PNG, WebP, GIF (an animated GIF becomes a "
        "short video) or AVIF; videos in MP4/MOV, MKV/WebM, AVI, MPEG-TS/PS or FLV.")),
    (re.compile(r"the file is empty"), N_(
        "The file is empty (0 bytes). Choose the file again; if it is still empty, check it on your computer."
    )),
    (re.compile(r"only sound \(no video stream\)"),
     N_("The file has sound only, no picture. Upload a video or a picture.")),
    (re.compile(r"\(no video stream\)"),
     N_("The file has no picture and no sound: it may be damaged. Upload a video or a picture.")),
    (re.compile(r"too large \((?P<size>\d+x\d+) pixels\); the limit is (?P<limit>\d+) megapixels"),
     N_("The picture is too large (%(size)s pixels); the limit is %(limit)s megapixels. Make it smaller "
        "(e.g. 3840x2160) and upload it again.")),
    (re.compile(r"too large \((?P<size>\d+) megapixels\); the limit is (?P<limit>\d+) megapixels"),
     N_("The picture is too large (%(size)s megapixels); the limit is %(limit)s megapixels. Make it smaller "
        "(e.g. 3840x2160) and upload it again.")),
    (re.compile(r"the video is (?P<size>\d+x\d+); at most (?P<limit>\d+) pixels a side"),
     N_("The video is %(size)s pixels; at most %(limit)s pixels a side are accepted. Make it smaller "
        "(e.g. 3840x2160) and upload it again.")),
    (re.compile(r"too large|pixels a side"),
     N_("The picture is too large. Make it smaller (e.g. 3840x2160) and upload it again.")),
    (re.compile(r"the video is (?P<length>\d+) minutes long; the limit is (?P<limit>\d+) minutes"),
     N_("The video is %(length)s minutes long; the limit is %(limit)s minutes. Cut it shorter and upload it "
        "again.")),
    (re.compile(r"minutes long"), N_("The video is too long. Cut it shorter and upload it again.")),
    (re.compile(r"damaged|incomplete|cannot be read|no length|no picture size"),
     N_("The file is damaged or incomplete. Save or export it again and upload it again.")),
    (re.compile(r"kept free \(media_min_free_mb\)"),
     N_("The server's disk is almost full, so the file was not stored. Ask the administrator to free up space or "
        "add a disk, then upload it again.")),
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
    """'Berkas ditolak: <plain reason>' in the user's language. The pipeline's English detail stays in the log
    (and the job list's :func:`plain_reason`); a staffer reads one sentence, not the same one twice."""
    plain = _plain(reason, t)
    if plain is None:
        return t("The file was refused: %(reason)s") % {"reason": reason}
    log.info("file refused: %s", reason)
    return t("The file was refused: %(reason)s") % {"reason": plain}


# (pattern in the pipeline's English warning, plain message); the first match wins. content/pipeline.py and
# content/images.py write them.
PLAIN_WARNINGS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"the picture is small \((?P<size>\d+x\d+)\) and is enlarged (?P<factor>[\d.]+)x "
                r"for (?P<canvas>\d+x\d+)"),
     N_("The picture is small (%(size)s) and is enlarged %(factor)s times for the %(canvas)s screen: it will look "
        "blurry. Use a larger original if you have one.")),
    (re.compile(r"the video is small \((?P<size>\d+x\d+)\) and is enlarged (?P<factor>[\d.]+)x "
                r"for (?P<canvas>\d+x\d+)"),
     N_("The video is small (%(size)s) and is enlarged %(factor)s times for the %(canvas)s screen: it will look "
        "blurry. Use a larger original video if you have one.")),
    (re.compile(r"the video is only (?P<length>[\d.]+) s long"),
     N_("The video is only %(length)s seconds long and will flash by; check that this is the right file.")),
    (re.compile(r"animated (?P<format>\w+) is shown as a still picture"),
     N_("The animated %(format)s is shown as a still picture (its first frame only).")),
    (re.compile(r"(?P<canvas>\d+x\d+) has an odd side; video made (?P<made>\d+x\d+)"),
     N_("The %(canvas)s screen has an odd number of pixels on one side; the video was made %(made)s.")),
    (re.compile(r"EXIF orientation could not be read"),
     N_("The photo's orientation could not be read; it is shown as stored. Check that it is upright.")),
    (re.compile(r"keep audio was asked but the video has no sound"),
     N_("Sound was asked for, but the video has none.")),
]  # fmt: skip


def plain_warning(warning: str, t: Callable[[str], str]) -> str:
    """A media warning in the user's language (as written when it is not a known one)."""
    for pattern, message in PLAIN_WARNINGS:
        match = pattern.search(warning)
        if match:
            return t(message) % match.groupdict()
    return warning
