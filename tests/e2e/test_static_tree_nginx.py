"""The static tree served by nginx (the Debian package) feeds a real player: CDN-style distribution."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from tests_support import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def _nginx(root: Path, workdir: Path, port: int) -> subprocess.Popen[bytes]:
    conf = workdir / "nginx.conf"
    # as root, nginx's workers would drop to www-data, who cannot read pytest's private tmp dirs
    user = "user root;" if os.geteuid() == 0 else ""
    conf.write_text(
        f"""
{user}
daemon off;
worker_processes 1;
pid {workdir}/nginx.pid;
error_log {workdir}/nginx-error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log {workdir}/nginx-access.log;
    client_body_temp_path {workdir}/tmp-body;
    proxy_temp_path {workdir}/tmp-proxy;
    fastcgi_temp_path {workdir}/tmp-fcgi;
    uwsgi_temp_path {workdir}/tmp-uwsgi;
    scgi_temp_path {workdir}/tmp-scgi;
    types {{ application/json json; }}
    default_type application/octet-stream;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        etag on;
        gzip_static on;  # displays/<id>/manifest.json.gz, written at publish, sent as is
        location /media/ {{ add_header Cache-Control "public, max-age=31536000, immutable"; }}
    }}
}}
"""
    )
    proc = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(workdir)], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/", timeout=1)
            return proc
        except requests.RequestException:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("nginx did not start")


@pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx is installed by scripts/bootstrap.sh")
def test_player_plays_from_a_static_tree_behind_nginx(seeded_template: Path, tmp_path: Path) -> None:
    from scheduler.service import Service
    from signage.config import SchedulerConfig

    data_dir, static_dir = tmp_path / "scheduler", tmp_path / "static"
    shutil.copytree(seeded_template, data_dir)
    service = Service(SchedulerConfig(data_dir=str(data_dir), static_dir=str(static_dir)))
    service.publisher.publish_all()  # nothing changed, but the static tree is written
    keys = service.keyring.public_keys()
    manifest = json.loads((static_dir / "displays" / "kec-sungai-pinyuh" / "manifest.json").read_bytes())["manifest"]
    service.close()
    assert all(i["media"]["url"].startswith("../../media/") for i in manifest["items"].values() if i.get("media"))

    port = free_port()
    nginx = _nginx(static_dir, tmp_path, port)
    manifest_path = static_dir / "displays" / "kec-sungai-pinyuh" / "manifest.json"
    stored_gz = manifest_path.with_name("manifest.json.gz").read_bytes()
    assert gzip.decompress(stored_gz) == manifest_path.read_bytes()
    url = f"http://127.0.0.1:{port}/displays/kec-sungai-pinyuh/manifest.json"
    zipped = requests.get(url, headers={"Accept-Encoding": "gzip"}, timeout=10, stream=True)
    assert zipped.headers.get("Content-Encoding") == "gzip" and zipped.raw.read(decode_content=False) == stored_gz
    plain = requests.get(url, headers={"Accept-Encoding": "identity"}, timeout=10)
    assert "Content-Encoding" not in plain.headers and plain.content == manifest_path.read_bytes()
    player_dir = tmp_path / "player"
    player_dir.mkdir()
    dead = f"http://127.0.0.1:{free_port()}"
    (player_dir / "identity.json").write_text(json.dumps({
        "display_id": "kec-sungai-pinyuh", "token": "tidak-dipakai", "server_url": dead,
        "manifest_url": f"{dead}/api/v1/player/manifest", "public_keys": keys,
    }))  # fmt: skip
    config = tmp_path / "player.yaml"
    config.write_text(
        f"manifest_url: http://127.0.0.1:{port}/displays/kec-sungai-pinyuh/manifest.json\npoll_interval_s: 2\n"
    )
    env = {"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"}
    with (tmp_path / "player.log").open("wb") as log:
        player = subprocess.Popen(
            [sys.executable, "-m", "signage", "player", "run", "--config", str(config), "--server", dead,
             "--data-dir", str(player_dir), "--geometry", "0,0,768,432"],
            stdout=log, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        status: dict[str, Any] = {}
        while time.monotonic() < deadline:
            try:
                status = json.loads((player_dir / "status.json").read_text())
            except (FileNotFoundError, ValueError):
                status = {}
            if status.get("manifest_version") == manifest["version"] and (status.get("current") or {}).get("item_id"):
                break
            time.sleep(0.3)
        assert status.get("manifest_version") == manifest["version"], (status, (tmp_path / "player.log").read_text())
        assert status["current"]["item_id"] in manifest["items"] and status["source"] == "manifest"
        access = (tmp_path / "nginx-access.log").read_text()
        assert "GET /displays/kec-sungai-pinyuh/manifest.json" in access
        media = {i["media"]["sha256"] for i in manifest["items"].values() if i.get("media")}
        assert all(f"GET /media/{sha}" in access for sha in media)
        cached = {p.name for p in (player_dir / "cache").iterdir() if len(p.name) == 64}
        assert media <= cached
    finally:
        player.send_signal(signal.SIGTERM)
        player.wait(timeout=15)
        nginx.send_signal(signal.SIGQUIT)
        nginx.wait(timeout=10)
        if nginx.stderr is not None:
            nginx.stderr.close()
