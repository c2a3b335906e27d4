"""docs/commands.md names every option each command takes (`--help` and the docs agree)."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from goscope.cli import cli

DOCS = Path(__file__).resolve().parent.parent / "docs" / "commands.md"


def rows() -> dict[str, str]:
    """The 'All commands' table: `goscope NAME …` → the row's text."""
    out = {}
    for line in DOCS.read_text().splitlines():
        match = re.match(r"\| `goscope ((?:lab )?[a-z-]+)\b", line)
        if match:
            out[match.group(1)] = line
    return out


def commands() -> list[tuple[str, click.Command]]:
    found = []
    for name, command in cli.commands.items():
        if isinstance(command, click.Group):
            found += [(f"{name} {sub}", c) for sub, c in command.commands.items()]
        else:
            found.append((name, command))
    return sorted(found, key=lambda pair: pair[0])


@pytest.mark.parametrize(("name", "command"), commands(), ids=[n for n, _ in commands()])
def test_every_option_of_a_command_is_in_its_row(name, command):
    row = rows().get(name)
    assert row is not None, f"goscope {name} has no row in docs/commands.md"
    missing = [
        opt
        for param in command.params
        if isinstance(param, click.Option) and not param.hidden
        for opt in [*param.opts, *param.secondary_opts]
        if opt.startswith("--") and opt != "--help" and not re.search(re.escape(opt) + r"\b", row)
    ]
    assert not missing, f"goscope {name}: {missing} are not in its row of docs/commands.md"
