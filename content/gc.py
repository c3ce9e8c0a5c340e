"""Deciding which stored media to delete (pure: the clock and the file times are passed in).

Rule: a blob is deleted only when no manifest/draft references it AND it has been
unreferenced for at least ``grace_s``, counted from the later of

* the first GC pass that saw it unreferenced (we cannot know earlier history), and
* its mtime (the store touches a blob whenever it is stored again).

So a brand-new upload, a blob that was referenced a minute ago, or one re-uploaded
just now is never deleted.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass


@dataclass(frozen=True)
class GcPlan:
    delete: frozenset[str]
    # sha256 -> time it was first seen unreferenced; persist and pass to the next run.
    unreferenced_since: dict[str, float]


def plan_gc(
    stored_mtimes: Mapping[str, float],
    referenced: Set[str],
    unreferenced_since: Mapping[str, float],
    now_s: float,
    grace_s: float,
) -> GcPlan:
    if grace_s < 0:
        raise ValueError("grace_s must not be negative")
    delete: set[str] = set()
    since: dict[str, float] = {}
    for sha, mtime in stored_mtimes.items():
        if sha in referenced:
            continue  # referenced: forget any earlier unreferenced time
        first_seen = unreferenced_since.get(sha, now_s)
        since[sha] = first_seen
        if now_s - max(first_seen, mtime) >= grace_s and sha in unreferenced_since:
            delete.add(sha)
    for sha in delete:
        del since[sha]
    return GcPlan(frozenset(delete), since)
