"""Stored manifests are gzipped at a fast zlib level (scheduler/precompressed.py), and stay small.

Level 6 spent about twice the CPU of level 4 per MB, a large share of a big publish; the
stored gzip must still decompress to the signed bytes and stay within 30% of level 6's size
(16% larger on average over the benchmark world, 23% on the busy display).
"""

from __future__ import annotations

import gzip

from scheduler.service import Service


def test_manifests_are_gzipped_at_a_faster_level_than_6_and_stay_within_30_percent_of_its_size(
    busy_service: Service,
) -> None:
    (published,) = busy_service.publisher.publish(["busy"])
    stored = (busy_service.publisher.manifests_dir / "busy" / f"{published.version}.json.gz").read_bytes()
    plain = gzip.decompress(stored)
    assert stored == published.body_gz and plain == published.body
    level_6 = gzip.compress(plain, 6, mtime=0)
    assert stored != level_6  # before: level 6
    assert len(stored) <= 1.3 * len(level_6), (len(stored), len(level_6))
    assert stored == gzip.compress(plain, 4, mtime=0)  # deterministic: the same version, the same bytes
