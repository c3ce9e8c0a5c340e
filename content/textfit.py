"""Line wrapping with sane Indonesian word breaks (pure; a callback measures text width)."""

from __future__ import annotations

import itertools
from collections.abc import Callable

Measure = Callable[[str], float]

VOWELS = frozenset("aeiouAEIOUéÉèÈ")
DIGRAPHS = frozenset({"ng", "ny", "kh", "sy"})
MIN_PIECE_CHARS = 2


def syllable_breaks(word: str) -> list[int]:
    """Indices where ``word`` may be split (before that index), Indonesian-style.

    Between two vowels with consonants in between, break before the last consonant
    (``ng``/``ny``/``kh``/``sy`` count as one): ``pertanggungjawabkan`` ->
    per-tang-gung-ja-wab-kan. Explicit hyphens and slashes are always break points.
    """
    breaks: set[int] = {i + 1 for i, ch in enumerate(word[:-1]) if ch in "-/"}
    vowel_at = [i for i, ch in enumerate(word) if ch in VOWELS]
    for left, right in itertools.pairwise(vowel_at):
        run = word[left + 1 : right]
        if not run or not run.isalpha():
            continue
        at = right - 2 if len(run) >= 2 and run[-2:].lower() in DIGRAPHS else right - 1
        if word[at - 2 : at].isalpha() and word[at : at + 2].isalpha():
            breaks.add(at)
    return sorted(b for b in breaks if MIN_PIECE_CHARS <= b <= len(word) - MIN_PIECE_CHARS)


def break_word(word: str, measure: Measure, width: float) -> list[str]:
    """Split a word wider than ``width`` into pieces that fit, hyphenated at syllables."""
    pieces: list[str] = []
    rest = word
    while measure(rest) > width:
        cut = None
        for at in reversed(syllable_breaks(rest)):
            head = rest[:at]
            shown = head if head.endswith(("-", "/")) else head + "-"
            if measure(shown) <= width:
                cut = (at, shown)
                break
        if cut is None:  # no syllable fits: hard split, as many characters as fit
            at = len(rest) - 1
            while at > 1 and measure(rest[:at] + "-") > width:
                at -= 1
            cut = (at, rest[:at] + "-")
        pieces.append(cut[1])
        rest = rest[cut[0] :]
        if len(rest) <= 1:
            break
    pieces.append(rest)
    return pieces


def wrap(text: str, measure: Measure, width: float, *, hyphenate: bool) -> list[str] | None:
    """Greedy wrap of ``text`` (newlines kept) into lines no wider than ``width``.

    Returns ``None`` when a single word is wider than ``width`` and ``hyphenate``
    is false (the caller then tries a smaller font or allows hyphenation).
    """
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}" if line else word
            if measure(candidate) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
                line = ""
            if measure(word) <= width:
                line = word
                continue
            if not hyphenate:
                return None
            *full, line = break_word(word, measure, width)
            lines.extend(full)
        lines.append(line)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def truncate_line(line: str, measure: Measure, width: float, mark: str = "…") -> str:
    """``line`` shortened with ``mark`` so that it fits ``width`` (shows text was cut)."""
    text = line.rstrip()
    while text and measure(text + mark) > width:
        text = text[:-1].rstrip()
    return text + mark
