"""Player updates: poll the signed release offer, download, verify, install (plain Python, any thread).

:class:`UpdateEngine.poll` asks ``GET /api/v1/player/release`` (204: nothing offered), verifies the
envelope with the display's trusted keys (:func:`signage.release.verify_release`), and, when the
release is newer than the running version, compatible with it, not failed before, and the player
runs under ``signage player launch``: downloads the wheel with the media downloader (Range resume,
sha256 check), installs it beside the running version and marks it ready. The player then exits at
the next item boundary and the launcher starts the new version. Nothing unverified is ever
installed or run. :meth:`UpdateEngine.report` is the heartbeat's ``update``; a refusal or rollback carries
its English ``detail`` and the same as a ``code`` with ``params`` (:mod:`signage.reason_codes`).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import requests

from player.cache import MediaCache, MediaMismatch
from player.download import Downloader
from player.http import CONNECT_TIMEOUT_S, READ_TIMEOUT_S, error_text, new_session, short_exc
from player.identity import Identity, load_identity
from player.release_install import InstallFailed, install_release
from player.release_state import LauncherState, is_installed, releases_dir
from signage import __version__
from signage.manifest import MediaRef
from signage.ratelimit import TokenBucket
from signage.reason_codes import clean_code, clean_params
from signage.release import Release, ReleaseRejected, verify_release, version_key

log = logging.getLogger("player.release")

RELEASE_PATH = "/api/v1/player/release"


def release_url(server_url: str) -> str:
    return urljoin(server_url.rstrip("/") + "/", RELEASE_PATH.lstrip("/"))


class UpdateEngine:
    def __init__(
        self,
        identity: Identity,
        data_dir: Path,
        server_url: str,
        *,
        can_switch: bool,
        running_version: str = __version__,
        session: requests.Session | None = None,
        limiter: TokenBucket | None = None,
    ) -> None:
        self.identity = identity
        self.data_dir = Path(data_dir)
        self.url = release_url(server_url)
        self.can_switch = can_switch
        self.running_version = running_version
        self.session = session or new_session()
        self.limiter = limiter
        self.downloads = MediaCache(releases_dir(self.data_dir) / "downloads")
        self.healthy = False  # set by the app once this process synced and painted
        self.ready_version: str | None = None  # installed, switch at the next item boundary
        self._lock = threading.Lock()
        self._report: dict[str, Any] | None = None
        self._refused: dict[str, tuple[str, str]] = {}  # version -> (reason, code): a bad file is not fetched again
        self._last_refusal: tuple[str, str] | None = None

    # -- report ----------------------------------------------------------

    def report(self) -> dict[str, Any] | None:
        """``{"state", "version", "detail", "code", "params"}`` for the heartbeat (thread-safe), or None."""
        with self._lock:
            report = dict(self._report) if self._report else None
        if report is None:
            last = LauncherState.load(self.data_dir).last
            if last and last.get("state") == "rolled_back":
                return {"state": "rolled_back", "version": str(last.get("version"))[:50], "detail": last.get("detail"),
                        "code": clean_code(last.get("code")), "params": clean_params(last.get("params"))}
            return None
        if report["state"] == "running":
            report["state"] = "healthy" if self.healthy else "installed"
        return report

    def _set(self, state: str, version: str, detail: str | None = None, code: str | None = None,
             params: dict[str, int | float | str] | None = None) -> None:
        with self._lock:
            self._report = {"state": state, "version": version[:50], "detail": detail[:500] if detail else None,
                            "code": clean_code(code), "params": clean_params(params)}

    # -- poll ------------------------------------------------------------

    def poll(self, should_stop: Callable[[], bool] = lambda: False) -> None:
        """One round: fetch the offer and act on it. Network failures are logged and retried next round."""
        try:
            response = self.session.get(self.url, headers={"Authorization": f"Bearer {self.identity.token}"},
                                        timeout=(CONNECT_TIMEOUT_S, READ_TIMEOUT_S))
        except requests.RequestException as exc:
            log.info("release offer: %s", short_exc(exc))
            return
        if response.status_code in (204, 404):  # 404: a scheduler without player updates
            with self._lock:
                self._report = None
            return
        if response.status_code != 200:
            log.info("release offer: %s", error_text(response))
            return
        try:
            release = verify_release(response.content, self._trusted_keys())
        except ReleaseRejected as exc:
            version = _claimed_version(response.content)
            if self._last_refusal != (version, exc.reason):  # log once, not at every poll
                log.warning("release %s refused: %s", version, exc.reason)
            self._last_refusal = (version, exc.reason)
            self._set("refused", version, exc.reason, "release_rejected")
            return
        self._last_refusal = None
        self._consider(release, should_stop)

    def _trusted_keys(self) -> dict[str, Any]:
        """identity.json again: the manifest sync may have learned a rotated key meanwhile."""
        try:
            identity = load_identity(self.data_dir) or self.identity
        except ValueError:
            identity = self.identity
        return identity.trusted_keys()

    def _consider(self, release: Release, should_stop: Callable[[], bool]) -> None:
        version = release.version
        state = LauncherState.load(self.data_dir)
        if version == self.running_version:
            self._set("running", version)
            return
        if state.active == version:  # the launcher started it, yet this process runs other code
            self._set("refused", version, f"release {version} is active but this process runs "
                                          f"{self.running_version}; its installed copy does not load",
                      "not_loaded", {"version": version, "running": self.running_version})
            return
        if version in state.failed:
            why = state.failed_codes.get(version) or {}
            self._set("rolled_back", version, state.failed[version], why.get("code"), why.get("params"))
            return
        if version_key(version) < version_key(self.running_version):
            self._set("refused", version, f"older than the running version {self.running_version}",
                      "older_than_running", {"running": self.running_version})
            return
        if not release.accepts(self.running_version):
            self._set("refused", version, f"running version {self.running_version} is outside "
                                          f"{release.min_compatible}..{release.max_compatible}", "incompatible",
                      {"running": self.running_version, "min": release.min_compatible,
                       "max": release.max_compatible})
            return
        if version in self._refused:
            self._set("refused", version, *self._refused[version])
            return
        if not self.can_switch:
            self._set("offered", version, "updates need the launcher (signage player launch)", "needs_launcher")
            return
        if not is_installed(self.data_dir, version):
            self._set("downloading", version)
            if not self._download_and_install(release, should_stop):
                return
        self._set("installed", version)
        if self.ready_version != version:
            log.info("release %s ready: switching at the next item boundary", version)
        self.ready_version = version

    def _download_and_install(self, release: Release, should_stop: Callable[[], bool]) -> bool:
        media = MediaRef(release.sha256, release.size, "application/zip", release.url)
        downloader = Downloader(self.downloads, self.session, limiter=self.limiter, should_stop=should_stop,
                                headers_for=lambda _url: {"Authorization": f"Bearer {self.identity.token}"})
        log.info("release %s: downloading %s (%d bytes)", release.version, release.filename, release.size)
        try:
            wheel = downloader.fetch(urljoin(self.url, release.url), media)
            install_release(self.data_dir, release, wheel)
        except (MediaMismatch, InstallFailed) as exc:
            reason = str(exc)
            code = "download_mismatch" if isinstance(exc, MediaMismatch) else "install_failed"
            log.warning("release %s refused: %s", release.version, reason)
            self._refused[release.version] = (reason, code)
            self._set("refused", release.version, reason, code)
            return False
        except (requests.RequestException, OSError) as exc:
            log.info("release %s: download paused (%s); resuming at the next round", release.version,
                     short_exc(exc) if isinstance(exc, requests.RequestException) else exc)
            return False
        self.downloads.prune({release.sha256})
        return True


def _claimed_version(body: bytes) -> str:
    """The version an unverified document claims (only for the refusal report), or ``?``."""
    try:
        version = json.loads(body)["manifest"]["version"]
    except (ValueError, KeyError, TypeError):
        return "?"
    return str(version)[:50] if isinstance(version, str) else "?"
