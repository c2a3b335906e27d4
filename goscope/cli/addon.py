"""`goscope addon-path`: where the installed package keeps its mitmproxy script."""

from __future__ import annotations

from pathlib import Path

import click

import goscope


def script_path() -> Path:
    """goscope/proxy/mitmdump_script.py of this installation (never imported here: loading
    mitmproxy to print a path would take a second)."""
    return Path(goscope.__file__).resolve().parent / "proxy" / "mitmdump_script.py"


@click.command("addon-path")
def addon_path() -> None:
    """The path of goscope's mitmproxy script, for a mitmproxy you run yourself:

    \b
    mitmdump -s "$(goscope addon-path)" --set goscope_jsonl=events.jsonl
    """
    click.echo(str(script_path()))
