"""``signage backup`` and ``signage restore`` (see docs/operations.md)."""

from __future__ import annotations

from pathlib import Path

import click

from scheduler.cli import config_option, data_dir_option, load_scheduler_config


@click.command()
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False), help="Archive to write (.tar or .tar.gz)."
)
@click.option("--with-media", is_flag=True, help="Include the media files (else listed by sha256 for rsync).")
@config_option
@data_dir_option
def backup(output: str, with_media: bool, config_path: str | None, data_dir: str | None) -> None:
    """Back up the scheduler (store, signing keys, manifests, config) while it runs."""
    from scheduler.backup import create_backup

    config = load_scheduler_config(config_path, data_dir=data_dir)
    report = create_backup(
        Path(config.data_dir),
        Path(output),
        config_path=Path(config_path) if config_path else None,
        with_media=with_media,
    )
    click.echo(f"backup written: {report.path} ({report.files} files, {report.bytes_total} bytes, mode 0600)")
    click.echo(
        "WARNING: this file holds the private signing keys and display token hashes: keep it as secret as the "
        "server itself (encrypted storage, no shared folders).",
        err=True,
    )
    if report.media_listed:
        click.echo(
            f"media not included: {report.media_listed} file(s) listed by sha256; copy them with e.g. "
            f"`rsync -a {config.data_dir}/media/ BACKUP_HOST:signage-media/` (see docs/operations.md)"
        )


@click.command()
@click.argument("archive", type=click.Path(dir_okay=False))
@click.option("--data-dir", "data_dir", required=True, help="New (empty) data folder to restore into.")
@click.option("--force", is_flag=True, help="Replace the contents of a non-empty --data-dir.")
@click.option(
    "--media-dir",
    default=None,
    type=click.Path(file_okay=False),
    help="Folder holding the media the archive only lists (e.g. an rsync copy of the old media folder).",
)
def restore(archive: str, data_dir: str, force: bool, media_dir: str | None) -> None:
    """Restore a backup into a new data folder; the same players keep working."""
    from scheduler.restore import restore_backup

    report = restore_backup(
        Path(archive), Path(data_dir), force=force, media_dir=Path(media_dir) if media_dir else None
    )
    click.echo(f"restored {report.files} files from the backup of {report.created_at} into {report.data_dir}")
    click.echo(f"manifest versions continue above {report.version_floor}")
    if report.media_copied:
        click.echo(f"media copied from {media_dir}: {report.media_copied}")
    if report.media_missing:
        click.echo(
            f"WARNING: {len(report.media_missing)} media file(s) missing; copy them into {data_dir}/media/ "
            "(rsync from the old media folder or its copy) before players need them",
            err=True,
        )
    if report.config_path is not None:
        click.echo(f"config restored to {report.config_path}: check its data_dir, or start with --data-dir {data_dir}")
    click.echo(f"start: signage scheduler serve --data-dir {data_dir}")
