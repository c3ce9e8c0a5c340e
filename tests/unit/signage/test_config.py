from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from signage.config import PlayerConfig, SchedulerConfig, describe, load_config
from signage.errors import ConfigError


def test_defaults_without_a_file() -> None:
    config = load_config(SchedulerConfig, None)
    assert config.port == 8470 and config.timezone == "Asia/Pontianak"


def test_values_override_defaults(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("port: 9000\nhorizon_days: 7\n")
    config = load_config(SchedulerConfig, path)
    assert (config.port, config.horizon_days, config.host) == (9000, 7, "127.0.0.1")


def test_unknown_key_names_key_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("port: 9000\nprot: 1\n")
    with pytest.raises(ConfigError) as info:
        load_config(SchedulerConfig, path)
    assert f"{path}:2: prot: unknown key" in str(info.value)


def test_wrong_type_names_key(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("poll_interval_s: soon\n")
    with pytest.raises(ConfigError, match="poll_interval_s: expected int"):
        load_config(PlayerConfig, path)


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("server_url: http://x\ngeometry: [0, 0\n")
    with pytest.raises(ConfigError) as info:
        load_config(PlayerConfig, path)
    assert str(path) in str(info.value) and "malformed YAML" in str(info.value)


def test_bad_values_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("rotation: 45\n")
    with pytest.raises(ConfigError, match="rotation"):
        load_config(PlayerConfig, path)
    path.write_text("timezone: Asia/Mempawah\n")
    with pytest.raises(ConfigError, match="unknown time zone"):
        load_config(PlayerConfig, path)


def test_every_setting_is_documented() -> None:
    doc = (Path(__file__).parents[3] / "docs" / "configuration.md").read_text()
    for cls in (SchedulerConfig, PlayerConfig):
        for name, _default, help_text in describe(cls):
            assert help_text, f"{cls.__name__}.{name} has no help"
            assert f"`{name}`" in doc, f"{cls.__name__}.{name} missing from docs/configuration.md"
    assert all(dataclasses.is_dataclass(c) for c in (SchedulerConfig, PlayerConfig))


@pytest.mark.parametrize(
    ("content", "expected"),
    [("port: [\n", "malformed YAML"), ("bogus: 1\n", "bogus: unknown key")],
)
def test_cli_reports_config_errors_in_one_line(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "signage",
            "scheduler",
            "publish",
            "--config",
            str(path),
            "--data-dir",
            str(tmp_path / "d"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    assert expected in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
