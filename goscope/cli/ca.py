"""`goscope ca`: goscope's certificate authority."""

from __future__ import annotations

import click

from goscope.core.safe.visible import visible

from .options import fail


@click.command()
@click.option("--show", is_flag=True, help="Print the certificate path and fingerprint (default).")
@click.option("--regenerate", is_flag=True, help="Replace the CA with a new one.")
def ca(show: bool, regenerate: bool) -> None:
    """goscope's certificate authority."""
    from goscope.core.home import HomeError, home_dir
    from goscope.proxy.ca import ensure_ca

    try:
        info = ensure_ca(home_dir(), regenerate=regenerate)
    except HomeError as exc:
        raise fail(str(exc)) from None
    # GOSCOPE_HOME is the user's text: an escape sequence in it is shown, never sent.
    click.echo(f"certificate: {visible(str(info.cert))}")
    click.echo(f"bundle:      {visible(str(info.bundle))}")
    click.echo(f"sha256:      {info.fingerprint}")
