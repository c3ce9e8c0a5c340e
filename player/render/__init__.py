"""Rendering: one QWidget canvas painting every zone with QPainter.

Painting everything ourselves (video frames included) keeps the output
deterministic and makes ``QWidget.grab()`` a faithful screenshot.
"""

from __future__ import annotations
