from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from content.textfit import break_word, syllable_breaks, truncate_line, wrap


def pieces(word: str) -> list[str]:
    cuts = [0, *syllable_breaks(word), len(word)]
    return [word[a:b] for a, b in itertools.pairwise(cuts)]


def test_indonesian_syllable_breaks() -> None:
    assert pieces("pertanggungjawabkan") == ["per", "tang", "gung", "ja", "wab", "kan"]
    assert pieces("menyanyikan") == ["me", "nya", "nyi", "kan"]
    assert pieces("kesejahteraan") == ["ke", "se", "jah", "te", "raan"]
    assert pieces("anak-anak") == ["anak-", "anak"]
    assert pieces("di") == ["di"]


def test_long_word_is_hyphenated_at_syllables() -> None:
    assert break_word("pertanggungjawabkan", len, 9) == ["pertang-", "gungja-", "wabkan"]


def test_wrap_keeps_words_whole_unless_allowed() -> None:
    assert wrap("Pengumuman penting untuk warga", len, 12, hyphenate=False) == [
        "Pengumuman", "penting", "untuk warga",
    ]  # fmt: skip
    assert wrap("ketidakberdayaan", len, 8, hyphenate=False) is None
    lines = wrap("ketidakberdayaan", len, 8, hyphenate=True)
    assert lines is not None and all(len(line) <= 8 for line in lines)
    assert "".join(line.rstrip("-") for line in lines) == "ketidakberdayaan"


def test_paragraphs_are_kept() -> None:
    assert wrap("satu\n\ndua", len, 20, hyphenate=False) == ["satu", "", "dua"]


def test_truncate_marks_the_cut() -> None:
    assert truncate_line("Mempawah Hilir", len, 8) == "Mempawa…"


@given(st.text(alphabet="abcdeikmnrstuy -", min_size=1, max_size=120),
       st.integers(min_value=2, max_value=30))  # fmt: skip
def test_wrapped_lines_always_fit_and_keep_every_letter(text: str, width: int) -> None:
    lines = wrap(text, len, width, hyphenate=True)
    assert lines is not None
    assert all(len(line) <= width for line in lines)
    letters = "".join(text.split()).replace("-", "")
    assert "".join("".join(lines).split()).replace("-", "") == letters
