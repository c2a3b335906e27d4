"""The live commands: `run` (and bare `goscope`), `proxy`, and `env`/`shell` wired to them."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from goscope.proxy.config import DEFAULT_LISTEN_HOST, DEFAULT_PORT, LOOPBACK_HOSTS

from .options import (
    fail,
    proxy_options,
    run_flags,
    run_options,
    validate_har,
    validate_output,
    validate_routes,
)


@click.command(context_settings={"ignore_unknown_options": True})
@run_flags
@proxy_options
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
def run(headless: bool, **kw) -> None:
    """Run COMMAND with go and git wired through goscope.

    \b
    goscope run --headless --json report.json -- go mod download -x
    """
    from goscope.proxy.launcher import spawn_early

    early = spawn_early()  # before the imports and checks below: they overlap its start-up
    try:
        _run(headless, **kw)
    finally:
        early.kill()  # never started (a bad option): no process left behind


def _run(headless: bool, **kw: Any) -> None:
    from goscope.core.home import HomeError
    from goscope.core.outputs.export import OutputError
    from goscope.proxy.launcher import ProxyStartError
    from goscope.run.engine import CommandNotFound

    from . import launch

    opts = run_options(**kw)
    if kw["listen_host"] and kw["listen_host"] not in LOOPBACK_HOSTS:
        click.echo(
            f"goscope: warning: listening on {kw['listen_host']}: others on the network can use this proxy",
            err=True,
        )
    if headless and not opts.command:
        raise fail("run --headless needs a command: goscope run --headless -- go mod download")
    try:
        code = launch.run_headless(opts) if headless else launch.run_live(opts)
    except (ProxyStartError, HomeError, CommandNotFound, OutputError) as exc:
        raise fail(str(exc)) from None
    sys.exit(code)


@click.command()
@click.option("--port", type=click.IntRange(1, 65535), default=DEFAULT_PORT, show_default=True)
@click.option(
    "--shell", type=click.Choice(["bash", "zsh", "fish"]), default="bash", show_default=True
)
@click.option("--json", "as_json", is_flag=True, help="Print the variables as JSON.")
def env(port: int, shell: str, as_json: bool) -> None:
    """Print the exports for another terminal: eval "$(goscope env)"."""
    from goscope.core.home import HomeError, ensure_private_dir, home_dir
    from goscope.core.safe.visible import visible
    from goscope.proxy.ca import ensure_ca
    from goscope.run.wiring import json_exports, no_proxy_warnings, proxy_env, shell_exports

    try:
        home = ensure_private_dir(home_dir())
        ensure_ca(home)
    except HomeError as exc:
        raise fail(str(exc)) from None
    variables = proxy_env(port, home)
    for warning in no_proxy_warnings(os.environ):
        click.echo(f"goscope: warning: {visible(warning)}", err=True)
    click.echo(json_exports(variables) if as_json else shell_exports(variables, shell))


@click.command()
@click.option(
    "--port", type=click.IntRange(1, 65535), help="The goscope to use (default: the newest)."
)
@click.option("--shell", "shell_path", metavar="PATH", help="The shell to start (default: $SHELL).")
def shell(port: int | None, shell_path: str | None) -> None:
    """Start a shell wired to the running goscope: go and git in it are watched."""
    from goscope.core.home import HomeError, ensure_private_dir, home_dir
    from goscope.run.shell import RunningGoscope, find_running, run_shell

    try:
        home = ensure_private_dir(home_dir())
    except HomeError as exc:
        raise fail(str(exc)) from None
    running = RunningGoscope(port, "127.0.0.1", 0) if port else find_running(home)
    if running is None:
        raise fail("no running goscope found: start one with `goscope` (or give --port)")
    from goscope.proxy.ca import ensure_ca

    ensure_ca(home)
    click.echo(f"goscope shell: go and git here go through {running.host}:{running.port}", err=True)
    try:
        code = run_shell(home, running, shell_path)
    except FileNotFoundError as exc:
        raise fail(str(exc)) from None
    sys.exit(code)


@click.command()
@proxy_options
@click.option("--jsonl", type=click.Path(dir_okay=False), help="Write the recording here.")
@click.option("--har", type=click.Path(dir_okay=False), help="Write a HAR file when stopped.")
def proxy(
    port: int,
    listen_host: str | None,
    route: tuple[str, ...],
    upstream_proxy: str | None,
    save_flows: str | None,
    ssl_insecure: bool,
    jsonl: str | None,
    har: str | None,
) -> None:
    """Run the proxy alone until Ctrl-C, for go commands in other terminals."""
    import signal
    import time

    from goscope.core.gorules.goenv import GoEnv
    from goscope.core.gotool import find_go
    from goscope.core.home import HomeError, ensure_private_dir, home_dir
    from goscope.proxy.config import ProxyConfig
    from goscope.proxy.launcher import ProxyProcess, ProxyStartError

    if listen_host and listen_host not in LOOPBACK_HOSTS:
        click.echo(
            f"goscope: warning: listening on {listen_host}: others on the network can use this proxy",
            err=True,
        )
    try:
        home = ensure_private_dir(home_dir())
        config = ProxyConfig(
            home=home,
            port=port,
            listen_host=listen_host or DEFAULT_LISTEN_HOST,
            routes=validate_routes(route),
            upstream_proxy=upstream_proxy,
            recording=validate_output("--jsonl", jsonl),
            environment=GoEnv.load(dict(os.environ), go=find_go()).to_dict(),
            environment_source="goscope",  # its own: go's comes with each sender
            save_flows=validate_output("--save-flows", save_flows),
            har=validate_har(har),
            ssl_insecure=ssl_insecure,
        )
        proc = ProxyProcess(config).start()
    except (ProxyStartError, HomeError) as exc:
        raise fail(str(exc)) from None
    stop = {"now": False}

    def _stop(*_: object) -> None:
        stop["now"] = True

    # Handlers first: a Ctrl-C right after the banner must still stop cleanly.
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    import shutil
    import tempfile
    from pathlib import Path

    from goscope.run.shell import announce

    rundir = Path(tempfile.mkdtemp(prefix="proxy-", dir=ensure_private_dir(home / "runs")))
    announce(rundir, int(proc.port or 0), proc.host)  # for `goscope shell`
    port_arg = f" --port {proc.port}" if proc.port != 8080 else ""
    click.echo(f"goscope proxy listening on {proc.url}", err=True)
    click.echo(f'In another terminal: eval "$(goscope env{port_arg})"', err=True)
    while not stop["now"] and proc.proc and proc.proc.poll() is None:
        time.sleep(0.1)
    stats = proc.stop()
    shutil.rmtree(rundir, ignore_errors=True)
    click.echo(f"goscope: {stats.get('events', 0)} requests seen", err=True)
