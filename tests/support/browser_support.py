"""Driving Debian's /usr/bin/chromium headless with Playwright (shared by the browser tests)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium browser (Playwright), closed on exit; the `browser` fixture of tests/browser."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


def new_page(browser: Any) -> Any:
    """A page as staff in Mempawah see it: laptop size, Indonesian locale, WIB."""
    return browser.new_page(viewport=LAPTOP, locale="id-ID", timezone_id="Asia/Pontianak")


def login(page: Any, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/admin/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")


def assert_fits_phone(page: Any, name: str) -> None:
    """The page, at phone size now, does not scroll sideways."""
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, f"{name} is wider than a phone ({width}px)"


def screenshot_everywhere(page: Any, folder: Path, name: str) -> None:
    """Save the page as ``<name>-laptop.png`` and ``<name>-phone.png``; on a phone it must not scroll sideways."""
    for label, size in (("laptop", LAPTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.screenshot(path=str(folder / f"{name}-{label}.png"), full_page=True)
        if size is PHONE:
            assert_fits_phone(page, name)
    page.set_viewport_size(LAPTOP)


def shoot(page: Any, folder: Path, name: str, phone: bool = False) -> None:
    """Save the page at laptop size as ``<name>.png`` (and as ``<name>-ponsel.png`` at phone size, where it must
    not scroll sideways)."""
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
    if phone:
        page.set_viewport_size(PHONE)
        page.screenshot(path=str(folder / f"{name}-ponsel.png"), full_page=True)
        try:
            assert_fits_phone(page, name)
        finally:
            page.set_viewport_size(LAPTOP)
