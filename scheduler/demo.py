"""``signage demo``: a fresh Mempawah store, the scheduler and one player, until Ctrl-C."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import click

from content.sources.fakeopensid import FakeOpenSid
from scheduler import enrolment
from scheduler.demo_data import seed
from scheduler.demo_sources import seed_data_sources
from scheduler.service import Service
from signage.config import SchedulerConfig
from signage.enrolproof import fingerprint
from signage.lifecycle import exit_on_signals, terminate_children


def free_port(preferred: int) -> int:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])


def has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


@click.command()
@click.option(
    "--data-dir",
    default="var/demo",
    show_default=True,
    help="Where the demo keeps its store and cache (wiped at start).",
)
@click.option(
    "--port", type=int, default=8470, show_default=True, help="Preferred scheduler port (a free one is used if taken)."
)
@click.option(
    "--display", "display_id", default="kantor-bupati", show_default=True, help="Which demo display the player becomes."
)
@click.option("--duration-s", type=float, default=0, help="Stop by itself after this many seconds (0 = until Ctrl-C).")
def demo(data_dir: str, port: int, display_id: str, duration_s: float) -> None:
    """Run the Mempawah demo: scheduler + one player on this machine."""
    exit_on_signals()  # kill -TERM / SIGHUP: the finally below stops the scheduler and the player
    root = Path(data_dir).resolve()
    if root.exists():
        shutil.rmtree(root)
    port = free_port(port)
    config = SchedulerConfig(port=port, data_dir=str(root / "scheduler"))
    service = Service(config)
    # the port check races with other programs: the player enrols only with the scheduler holding this key
    server_key = fingerprint(service.keyring.active.public_key)
    village: FakeOpenSid | None = None
    python = sys.executable
    procs: list[subprocess.Popen[bytes]] = []
    log_dir = root / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    screenshot = root / "screenshot.png"
    try:
        click.echo("Menyiapkan data demo Kabupaten Mempawah (membuat gambar dan video dengan ffmpeg)...")
        accounts = seed(service)
        village = seed_data_sources(service)  # a loopback fake OpenSID, served from this process
        procs.append(
            subprocess.Popen(
                [
                    python,
                    "-m",
                    "signage",
                    "scheduler",
                    "serve",
                    "--data-dir",
                    str(root / "scheduler"),
                    "--port",
                    str(port),
                ],
                stdout=(log_dir / "scheduler.log").open("wb"),
                stderr=subprocess.STDOUT,
            )
        )
        _wait_http(port, procs[0])
        player_cmd = [
            python,
            "-m",
            "signage",
            "player",
            "run",
            "--server",
            f"http://127.0.0.1:{port}",
            "--data-dir",
            str(root / "player"),
            "--server-key",
            server_key,
        ]
        if has_display():
            player_cmd.append("--windowed")
        else:
            with service.lock:
                display = service.db.table("displays").get(display_id)
            # offscreen: a window exactly the LED canvas, as a sending card would capture it
            player_cmd += ["--screenshot", str(screenshot), "--geometry", f"0,0,{display['width']},{display['height']}"]
        procs.append(subprocess.Popen(player_cmd, stdout=(log_dir / "player.log").open("wb"), stderr=subprocess.STDOUT))
        code = _approve_first_enrolment(service, display_id, procs[1])
        click.echo("")
        click.echo(f"Admin web      : http://127.0.0.1:{port}/admin/")
        click.echo(f"  admin        : admin / {accounts.admin_password}   (admin: menyetujui, kelola layar, pengguna)")
        click.echo(f"  editor       : editor / {accounts.editor_password}   (penulis)")
        click.echo(f"Pemutar        : kode {code[:3]}-{code[3:]} terdaftar sebagai layar '{display_id}'")
        if not has_display():
            click.echo(f"Tangkapan layar: {screenshot} (diperbarui setiap beberapa detik)")
        click.echo(f"Log            : {log_dir}")
        click.echo("Tekan Ctrl-C untuk berhenti.")
        deadline = time.monotonic() + duration_s if duration_s > 0 else None
        while all(p.poll() is None for p in procs):
            if deadline is not None and time.monotonic() > deadline:
                break
            time.sleep(0.5)
        for p in procs:
            if p.poll() is not None and p.returncode != 0:
                raise click.ClickException(f"a demo process exited with status {p.returncode}; see {log_dir}")
    except KeyboardInterrupt:
        click.echo("\nBerhenti...")
    finally:
        if village is not None:
            village.stop()
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        service.close()
        terminate_children()  # anything else this process started (e.g. ffmpeg while seeding)


def _wait_http(port: int, proc: subprocess.Popen[bytes], timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise click.ClickException("the scheduler exited during start-up; see var/demo/logs/scheduler.log")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise click.ClickException("the scheduler did not start listening within 30 s")


def _approve_first_enrolment(
    service: Service, display_id: str, player: subprocess.Popen[bytes], timeout_s: float = 60
) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if player.poll() is not None:
            raise click.ClickException("the player exited during start-up; see var/demo/logs/player.log")
        with service.lock:
            pending = enrolment.pending(service.db, service.clock())
            if pending:
                code = pending[-1]["code"]
                enrolment.approve(service.db, code, display_id, service.clock())
                return str(code)
        time.sleep(0.5)
    raise click.ClickException("the player did not ask to enrol within 60 s")
