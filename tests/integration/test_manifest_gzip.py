"""Issue 13: the manifest route serves the gzip stored at publish, as is, over real HTTP (uvicorn on loopback)."""

from __future__ import annotations

import gzip
from typing import Any

import pytest
import requests
from tests_support import enrol

from signage.signing import public_key_from_text, verify_envelope

TIMEOUT_S = 10


def _get(url: str, headers: dict[str, str]) -> tuple[requests.Response, bytes]:
    """The response and its body exactly as sent (not decoded by requests)."""
    response = requests.get(url, headers=headers, timeout=TIMEOUT_S, stream=True)
    raw = response.raw.read(decode_content=False)
    response.close()
    return response, raw


def test_the_manifest_is_served_gzipped_as_stored_or_plain(live_scheduler: Any, monkeypatch: Any) -> None:
    identity = enrol(live_scheduler, "kantor-bupati", "GZP234")
    url = f"{live_scheduler.url}/api/v1/player/manifest"
    auth = {"Authorization": f"Bearer {identity['token']}"}
    published = live_scheduler.service.publisher.latest("kantor-bupati")
    assert published is not None and published.body_gz
    compressions = {"n": 0}
    real_gzip_file = gzip.GzipFile

    class CountingGzipFile(real_gzip_file):  # type: ignore[misc,valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            if "w" in str(kwargs.get("mode", args[1] if len(args) > 1 else "")):
                compressions["n"] += 1
            super().__init__(*args, **kwargs)

    real_compress = gzip.compress

    def counting_compress(*args: Any, **kwargs: Any) -> bytes:
        compressions["n"] += 1
        return real_compress(*args, **kwargs)

    monkeypatch.setattr(gzip, "GzipFile", CountingGzipFile)
    monkeypatch.setattr(gzip, "compress", counting_compress)

    zipped, raw = _get(url, {**auth, "Accept-Encoding": "gzip"})
    assert zipped.status_code == 200 and zipped.headers["Content-Encoding"] == "gzip"
    assert raw == published.body_gz  # the stored bytes, not a fresh compression
    assert "accept-encoding" in zipped.headers["Vary"].lower()
    assert zipped.headers["ETag"] == published.etag and zipped.headers["X-Manifest-Version"] == str(published.version)

    plain, raw_plain = _get(url, {**auth, "Accept-Encoding": "identity"})
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
    assert raw_plain == published.body == gzip.decompress(raw)
    assert "accept-encoding" in plain.headers["Vary"].lower() and plain.headers["ETag"] == published.etag
    refused, raw_refused = _get(url, {**auth, "Accept-Encoding": "gzip;q=0, deflate"})
    assert "Content-Encoding" not in refused.headers and raw_refused == published.body
    assert compressions["n"] == 0  # nothing was compressed per request

    # the player's client (requests, Accept-Encoding: gzip by default) gets the signed JSON
    keys = {k: public_key_from_text(v) for k, v in identity["public_keys"].items()}
    session = requests.Session()
    as_player = session.get(url, headers=auth, timeout=TIMEOUT_S)
    assert as_player.headers["Content-Encoding"] == "gzip" and as_player.content == published.body
    assert verify_envelope(as_player.content, keys)["display_id"] == "kantor-bupati"


@pytest.mark.parametrize("accept", ["gzip", "identity"])
def test_not_modified_is_unchanged_by_the_encoding(live_scheduler: Any, accept: str) -> None:
    identity = enrol(live_scheduler, "kantor-bupati", "GZP345")
    url = f"{live_scheduler.url}/api/v1/player/manifest"
    auth = {"Authorization": f"Bearer {identity['token']}", "Accept-Encoding": accept}
    first = requests.get(url, headers=auth, timeout=TIMEOUT_S)
    again, raw = _get(url, {**auth, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and raw == b"" and "Content-Encoding" not in again.headers
    assert again.headers["ETag"] == first.headers["ETag"] and "accept-encoding" in again.headers["Vary"].lower()
    stale, _ = _get(url, {**auth, "If-None-Match": '"something-else"'})
    assert stale.status_code == 200


def test_other_routes_are_still_compressed_per_request(live_scheduler: Any) -> None:
    response, raw = _get(f"{live_scheduler.url}/api/v1/openapi.json", {"Accept-Encoding": "gzip"})
    assert response.status_code == 200 and response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(raw).startswith(b"{")
