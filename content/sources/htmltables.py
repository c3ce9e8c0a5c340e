"""Minimal HTML table and <script> extraction (stdlib ``html.parser``; no third-party parser)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

_SCRIPT_RE = re.compile(r"<script\b[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)


def scripts(html: str) -> list[str]:
    return _SCRIPT_RE.findall(html)


@dataclass
class Table:
    head: list[list[str]] = field(default_factory=list)
    body: list[list[str]] = field(default_factory=list)
    foot: list[list[str]] = field(default_factory=list)

    @property
    def header_cells(self) -> list[str]:
        return [c for row in self.head for c in row]


class _TableParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[Table] = []
        self._stack: list[Table] = []
        self._section = "body"
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._outer: list[tuple[str, list[str] | None, list[str] | None]] = []  # an enclosing table's open row

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._outer.append((self._section, self._row, self._cell))
            self._stack.append(Table())
            self._section, self._row, self._cell = "body", None, None
        elif not self._stack:
            return
        elif tag in ("thead", "tbody", "tfoot"):
            self._end_row()  # HTML lets a section start without closing the last row
            self._section = {"thead": "head", "tbody": "body", "tfoot": "foot"}[tag]
        elif tag == "tr":
            self._end_row()
            self._row = []
        elif tag in ("td", "th"):
            if self._row is None:  # a cell straight after <tbody> or <table>: its row was implied
                self._row = []
            self._end_cell()
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if not self._stack:
            return
        if tag in ("td", "th"):
            self._end_cell()
        elif tag == "tr":
            self._end_row()
        elif tag in ("thead", "tfoot"):  # rows after </thead> without a <tbody> are body rows
            self._end_row()
            self._section = "body"
        elif tag == "table":
            self._end_row()
            self.tables.append(self._stack.pop())
            self._section, self._row, self._cell = self._outer.pop()

    def _end_cell(self) -> None:
        if self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
        self._cell = None

    def _end_row(self) -> None:
        """Close the open cell and row (also when the page left out ``</td>`` / ``</tr>``, which HTML allows)."""
        self._end_cell()
        if self._row is not None and self._stack:
            getattr(self._stack[-1], self._section).append(self._row)
        self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def tables(html: str) -> list[Table]:
    parser = _TableParser()
    parser.feed(html)
    parser.close()
    return parser.tables


def strip_tags(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())
