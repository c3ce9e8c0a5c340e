"""Which stored media the scheduler still needs, and the periodic garbage collection.

Referenced: the originals, posters, thumbnails and per-canvas variants of media
used by any announcement that is not archived (drafts included) or uploaded
within the grace period, the slides of such text announcements, and every file
in any display's latest manifest. The content store deletes the rest only after
they have stayed unreferenced for the grace period.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from content.store import GcReport
from scheduler.service import Service
from scheduler.slide_specs import slide_spec_sha, strip_sets
from signage.clock import format_utc

log = logging.getLogger("scheduler.mediagc")


def referenced_media(service: Service) -> set[str]:
    grace = timedelta(days=service.config.media_gc_grace_days)
    recent = format_utc(service.clock() - grace)
    db = service.db
    with service.lock:
        used = {
            row["media_sha256"]
            for row in db.table("announcements").rows_where("status != 'archived' and media_sha256 is not null")
        }
        used |= {row["sha256"] for row in db.table("media").rows_where("created_at >= ?", [recent])}
        refs = set(used)
        for row in db.table("media").rows:
            if row["sha256"] in used:
                refs |= {row["poster_sha256"], row["thumbnail_sha256"]} - {None}
        for row in db.table("media_variants").rows:
            if row["original_sha256"] in used:
                refs.add(row["sha256"])
        zone_name = service.publisher.timezone
        texts = db.table("announcements").rows_where("status != 'archived' and kind = 'text'")
        zone_sets = strip_sets(db.table("displays").rows)
        specs = {slide_spec_sha(a, zone_name, zones) for a in texts for zones in zone_sets}
        for row in db.table("slides").rows:
            if row["spec_sha256"] in specs:
                refs.add(row["sha256"])
        display_ids = [row["id"] for row in db.table("displays").rows]
    for display_id in display_ids:
        latest = service.publisher.latest(display_id)
        if latest is not None:
            for item in json.loads(latest.body)["manifest"]["items"].values():
                if item.get("media"):
                    refs.add(item["media"]["sha256"])
    return refs


def collect(service: Service, now_s: float) -> GcReport:
    report = service.media.collect_garbage(
        referenced_media(service), now_s=now_s, grace_s=service.config.media_gc_grace_days * 86400.0
    )
    if report.deleted:
        with service.lock:
            for sha in report.deleted:
                service.db.execute("delete from media_variants where sha256 = ?", [sha])
                service.db.execute("delete from slides where sha256 = ?", [sha])
                service.db.execute("delete from media where sha256 = ?", [sha])
        log.info("media gc: deleted %d file(s), %d bytes", len(report.deleted), report.freed_bytes)
    return report
