"""Interval-set arithmetic on sorted, disjoint, half-open ``[start_s, end_s)`` lists.

Instants are whole Unix seconds (ints), so every operation is exact.
"""

from __future__ import annotations

from collections.abc import Iterable

Span = tuple[int, int]


def normalize(spans: Iterable[Span]) -> list[Span]:
    """Sort, drop empties, merge overlapping or touching spans."""
    out: list[Span] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def intersect(a: list[Span], b: list[Span]) -> list[Span]:
    out: list[Span] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start = max(a[i][0], b[j][0])
        end = min(a[i][1], b[j][1])
        if start < end:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def subtract(a: list[Span], b: list[Span]) -> list[Span]:
    out: list[Span] = []
    j = 0
    for start, end in a:
        cur = start
        while j < len(b) and b[j][1] <= cur:
            j += 1
        k = j
        while k < len(b) and b[k][0] < end:
            if b[k][0] > cur:
                out.append((cur, b[k][0]))
            cur = max(cur, b[k][1])
            if cur >= end:
                break
            k += 1
        if cur < end:
            out.append((cur, end))
    return out


def clip(a: list[Span], start: int, end: int) -> list[Span]:
    return intersect(a, [(start, end)]) if start < end else []


def total_s(a: Iterable[Span]) -> int:
    return sum(end - start for start, end in a)
