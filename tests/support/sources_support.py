"""Data sources in tests: poll one now, through the scheduler's own poller."""

from __future__ import annotations

from typing import Any


def forget_poll_state(service: Any, source_id: str) -> None:
    """Clear the source's poll state: it is due now, with nothing fetched before."""
    from scheduler.store import dumps

    with service.lock:
        service.db.table("data_sources").update(source_id, {"state": dumps({})})


def poll_now(service: Any, source_id: str) -> None:
    """Poll the source now (and any other due source), as the scheduler's poller does."""
    from scheduler.sources_jobs import SourcePoller

    forget_poll_state(service, source_id)
    SourcePoller(service, tick_s=3600).run_due()


def approve_held(db: Any, source_id: str, now: Any, user_id: int | None = None) -> int | None:
    """An approver airs the source's latest snapshot when it is held (a source's first data is held until its
    words are read: ``content.sources.validate.with_texts_checked``); its id, or None when none was held."""
    from scheduler.sources import review, snapshots

    latest = snapshots(db, source_id, limit=1)
    if not latest or latest[0]["status"] != "held":
        return None
    review(db, int(latest[0]["id"]), "approved", user_id, now)
    return int(latest[0]["id"])


def add_village_with_good_data(service: Any, source_id: str = "desa-sungai-bakau", name: str = "Desa Sungai Bakau",
                               theme: str = "esensi") -> None:  # fmt: skip
    """A village source fetched once from a loopback fake OpenSID (stopped again) with its first data approved:
    what an admin and an approver have done before staff make data slides of it."""
    from content.sources.config import checked
    from content.sources.fakeopensid import FakeOpenSid
    from scheduler.sources import save_source

    fake = FakeOpenSid(theme).start()
    try:
        with service.lock:
            save_source(service.db, checked(id=source_id, kind="opensid", url=fake.url, name=name,
                                            options={"feed": False}))  # fmt: skip
        poll_now(service, source_id)
        with service.lock:
            assert approve_held(service.db, source_id, service.clock()) is not None
    finally:
        fake.stop()
