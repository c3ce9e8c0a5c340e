"""The intake and fleet-alert settings: defaults, and bad values refused naming the key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from signage.config import SchedulerConfig, load_config
from signage.errors import ConfigError


def test_defaults() -> None:
    config = load_config(SchedulerConfig, None)
    assert (config.play_retention_days, config.alert_offline_min, config.alert_renotify_min) == (90, 10, 240)
    assert config.alert_smtp_host == "" and config.alert_webhook_url == ""  # no channel until configured


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("play_retention_days: 0\n", "play_retention_days: must be between 1 and 3660 days"),
        ("intake_queue_limit: 5\n", "intake_queue_limit: must be between 10 and 1000000"),
        ("alert_smtp_host: mail.mempawahkab.go.id\n", "alert_email_to: list at least one recipient"),
        ("alert_email_to: [ops]\n", "alert_email_to: 'ops' is not an e-mail address"),
        ("alert_webhook_url: gateway.local/hook\n", "alert_webhook_url: must start with http:// or https://"),
        ("alert_horizon_days: 0\n", "alert_horizon_days: must be more than 0"),
        ("alert_smtp_port: 70000\n", "alert_smtp_port: must be between 1 and 65535"),
        ("alert_email_to: ops@mempawahkab.go.id\n", "alert_email_to: expected list"),
    ],
)
def test_bad_values_name_the_key_and_the_fix(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "scheduler.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(SchedulerConfig, path)


def test_a_complete_alert_setup_loads(tmp_path: Path) -> None:
    path = tmp_path / "scheduler.yaml"
    path.write_text(
        "alert_smtp_host: mail.mempawahkab.go.id\nalert_smtp_user: signage\nalert_smtp_password: rahasia\n"
        "alert_email_to: [diskominfo@mempawahkab.go.id]\nalert_webhook_url: https://gateway.example/hook\n"
        "alert_webhook_secret: s3cret\nalert_renotify_min: 0\n"
    )
    config = load_config(SchedulerConfig, path)
    assert config.alert_email_to == ["diskominfo@mempawahkab.go.id"] and config.alert_renotify_min == 0
