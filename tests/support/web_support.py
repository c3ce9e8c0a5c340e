"""A plain HTTP client for the web admin (requests): logs in through the form, reads CSRF tokens from pages."""

from __future__ import annotations

import re
from typing import Any

import requests

TIMEOUT_S = 30
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = _TOKEN.search(html)
    assert match, "no CSRF field on the page"
    return match.group(1)


class WebClient:
    def __init__(self, base_url: str) -> None:
        self.base = base_url
        self.http = requests.Session()

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.http.get(self.base + path, timeout=TIMEOUT_S, **kwargs)

    def post(
        self, path: str, data: dict[str, Any] | list[tuple[str, str]] | None = None, **kwargs: Any
    ) -> requests.Response:
        return self.http.post(self.base + path, data=data, timeout=TIMEOUT_S, **kwargs)

    def login(self, username: str, password: str) -> requests.Response:
        token = csrf_token(self.get("/admin/login").text)
        return self.post(
            "/admin/login", {"csrf_token": token, "username": username, "password": password}, allow_redirects=False
        )

    def token(self, path: str = "/admin/") -> str:
        """The session's CSRF token, read from a page's form (as a browser would have it)."""
        return csrf_token(self.get(path).text)


def logged_in(live: Any, username: str, password: str | None = None) -> WebClient:
    """A browser-like session of ``username`` on the live scheduler's web admin, logged in through the form (with
    the demo account's password unless one is given)."""
    accounts = live.service.demo_accounts
    password = password or (accounts.admin_password if username == "admin" else accounts.editor_password)
    client = WebClient(live.url)
    assert client.login(username, password).status_code == 303, f"{username} could not log in"
    return client
