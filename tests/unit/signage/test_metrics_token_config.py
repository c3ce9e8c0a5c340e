"""metrics_token: empty (loopback only) or a real secret; a weak one is refused naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from signage.config import SchedulerConfig, load_config
from signage.errors import ConfigError


@pytest.mark.parametrize("token", ["pendek", "ada spasi di dalam token ini"])
def test_a_weak_metrics_token_is_refused_by_name(tmp_path: Path, token: str) -> None:
    path = tmp_path / "scheduler.yaml"
    path.write_text(f'metrics_token: "{token}"\n')
    with pytest.raises(ConfigError, match="metrics_token: must be empty or at least 16 characters") as caught:
        load_config(SchedulerConfig, str(path))
    assert caught.value.key == "metrics_token"


def test_a_long_token_and_none_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "scheduler.yaml"
    path.write_text("metrics_token: 3f9c1e0b7a5d4c2e8f6a1b0c\n")
    assert load_config(SchedulerConfig, str(path)).metrics_token == "3f9c1e0b7a5d4c2e8f6a1b0c"
    assert load_config(SchedulerConfig, None).metrics_token == ""
