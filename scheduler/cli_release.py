"""``signage release ...``: build a player release, add it to the scheduler, offer it to display groups."""

from __future__ import annotations

from pathlib import Path

import click

from scheduler.cli import config_option, data_dir_option, service_for
from signage.clock import format_utc

__all__ = ["release"]


@click.group()
def release() -> None:
    """Player updates over the air: build, add, offer (group by group), withdraw."""


@release.command("build")
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder for the wheel and release.json.")
@click.option("--source", default=None, type=click.Path(file_okay=False, exists=True),
              help="Project source tree (default: the tree this signage was installed from).")
@click.option("--min-compatible", default="0", show_default=True,
              help="Oldest running player version that may update straight to this release.")
@click.option("--max-compatible", default=None,
              help="Newest running player version that may update to it (default: the release's own version).")
@click.option("--build-isolation/--no-build-isolation", default=None,
              help="Force pip's isolated build (downloads setuptools) or this venv's build tools; "
                   "default: this venv's when it has them (no network), else isolated.")
def build(out_dir: str, source: str | None, min_compatible: str, max_compatible: str | None,
          build_isolation: bool | None) -> None:
    """Build the project's wheel (pip wheel --no-deps) and its release manifest (release.json, unsigned).

    `signage release add` on the scheduler signs it with the scheduler's key.
    """
    from datetime import UTC, datetime

    from signage.release_build import build_release, default_source

    tree = Path(source) if source else default_source()
    if tree is None:
        raise click.UsageError("this signage is not an editable install: give --source TREE")
    wheel, manifest, info = build_release(tree, Path(out_dir), min_compatible=min_compatible,
                                          max_compatible=max_compatible, created_at=format_utc(datetime.now(UTC)),
                                          build_isolation=build_isolation,
                                          note=lambda text: click.echo(f"note: {text}", err=True))
    click.echo(f"built release {info.version}: {wheel} ({info.size} bytes, sha256 {info.sha256})")
    click.echo(f"release manifest: {manifest} (compatible with players {info.min_compatible}..{info.max_compatible})")
    click.echo(f"next: signage release add {manifest}")


@release.command("add")
@click.argument("manifest", type=click.Path(dir_okay=False, exists=True))
@click.option("--wheel", default=None, type=click.Path(dir_okay=False, exists=True),
              help="The wheel (default: the file named in the manifest, beside it).")
@config_option
@data_dir_option
def add(manifest: str, wheel: str | None, config_path: str | None, data_dir: str | None) -> None:
    """Check a built release against its manifest, sign it with the active key and store it.

    MANIFEST is the release.json written by `signage release build` (or the wheel beside it).
    """
    from scheduler.releases import add_release

    path, wheel_path = Path(manifest), Path(wheel) if wheel else None
    if path.suffix == ".whl":
        path, wheel_path = path.parent / "release.json", wheel_path or path
    info = add_release(service_for(config_path, data_dir), path, wheel_path)
    click.echo(f"added release {info.version} ({info.filename}, sha256 {info.sha256[:16]}…), signed")
    click.echo(f"next: signage release offer {info.version} --group GROUP")


@release.command("list")
@config_option
@data_dir_option
def list_(config_path: str | None, data_dir: str | None) -> None:
    """Releases on the scheduler and the group each is offered to."""
    from scheduler.releases import list_offers, list_releases

    service = service_for(config_path, data_dir)
    offers = list_offers(service)
    click.echo(f"{'version':<12} {'compatible':<20} {'size':>10}  {'added':<21} offered to")
    for row in list_releases(service):
        groups = ", ".join(o["group_id"] for o in offers if o["version"] == row["version"]) or "-"
        compatible = f"{row['min_compatible']}..{row['max_compatible']}"
        click.echo(f"{row['version']:<12} {compatible:<20} {row['size']:>10}  {row['added_at']:<21} {groups}")


@release.command("offer")
@click.argument("version")
@click.option("--group", "-g", "groups", multiple=True, required=True, help="Display group (repeat for several).")
@config_option
@data_dir_option
def offer(version: str, groups: tuple[str, ...], config_path: str | None, data_dir: str | None) -> None:
    """Offer release VERSION to every display of the groups (a staged rollout goes group by group)."""
    from scheduler.releases import offer_release

    service = service_for(config_path, data_dir)
    for group in groups:
        offer_release(service, group, version)
        click.echo(f"release {version} offered to group {group}")


@release.command("withdraw")
@click.option("--group", "-g", "groups", multiple=True, required=True, help="Display group (repeat for several).")
@config_option
@data_dir_option
def withdraw(groups: tuple[str, ...], config_path: str | None, data_dir: str | None) -> None:
    """Stop offering a release to the groups; their players keep the version they run."""
    from scheduler.releases import withdraw_offer

    service = service_for(config_path, data_dir)
    for group in groups:
        withdraw_offer(service, group)
        click.echo(f"no release offered to group {group} any more")
