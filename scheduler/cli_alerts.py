"""``signage alerts list|test``: fleet alerts from the command line (text in the scheduler's language)."""

from __future__ import annotations

import click

from scheduler.cli import config_option, data_dir_option, service_for
from scheduler.i18n import translator

__all__ = ["alerts"]


@click.group()
def alerts() -> None:
    """Fleet alerts: list open (or all) alerts, send a test message."""


@alerts.command("list")
@config_option
@data_dir_option
@click.option("--all", "show_all", is_flag=True, help="Also list resolved alerts (the latest 50).")
def list_alerts(config_path: str | None, data_dir: str | None, show_all: bool) -> None:
    """Open fleet alerts, newest first."""
    from scheduler.fleet_alerts import alert_text

    service = service_for(config_path, data_dir)
    config = service.config
    t = translator(config.language)
    where = None if show_all else "resolved_at is null"
    with service.lock:
        rows = list(service.db.table("fleet_alerts").rows_where(where, order_by="opened_at desc", limit=50))
    if not rows:
        click.echo(t("No open fleet alerts.") if not show_all else t("No fleet alerts yet."))
        return
    for row in rows:
        state = t("resolved %(at)s") % {"at": row["resolved_at"]} if row["resolved_at"] else t("open")
        click.echo(f"{row['opened_at']}  {row['kind']:<12} {row['subject']:<24} {state}")
        click.echo(f"    {alert_text(row, config.timezone, config.language)}")


@alerts.command("test")
@config_option
@data_dir_option
def test(config_path: str | None, data_dir: str | None) -> None:
    """Send a test message through every configured channel (e-mail, webhook) now."""
    from scheduler.fleet_alerts import sample_message
    from scheduler.notify import DeliveryError, channels

    service = service_for(config_path, data_dir)
    config = service.config
    t = translator(config.language)
    configured = channels(config)
    if not configured:
        raise click.ClickException(
            t("no alert channel configured: set alert_smtp_host and alert_email_to, or alert_webhook_url")
        )
    message = sample_message(config.language, config.base_url)
    failures = 0
    for name, channel in sorted(configured.items()):
        try:
            channel.send(message)
        except DeliveryError as exc:
            failures += 1
            click.echo(t("%(channel)s: FAILED: %(reason)s") % {"channel": name, "reason": exc}, err=True)
        else:
            click.echo(t("%(channel)s: sent") % {"channel": name})
    if failures:
        raise click.ClickException(t("%(count)d channel(s) failed; check the settings and the receiver")
                                   % {"count": failures})  # fmt: skip
