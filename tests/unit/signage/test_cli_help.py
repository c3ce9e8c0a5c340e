from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from signage.cli import SUBCOMMANDS, cli


def _walk(command: click.Command, path: list[str]) -> list[list[str]]:
    out = [path]
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None, f"{' '.join([*path, name])} cannot be loaded"
            out += _walk(sub, [*path, name])
    return out


ALL = _walk(cli, [])


def test_core_subcommands_exist() -> None:
    names = {tuple(p) for p in ALL}
    for expected in [
        ("demo",),
        ("scheduler", "serve"),
        ("player", "run"),
        ("displays", "approve"),
        ("users", "create"),
    ]:
        assert expected in names
    assert set(SUBCOMMANDS) <= {p[0] for p in ALL if p}


@pytest.mark.parametrize("path", ALL, ids=lambda p: " ".join(p) or "signage")
def test_every_command_has_help(path: list[str]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) >= 3
