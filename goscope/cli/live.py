"""The live commands: `run` (and bare `goscope`), `proxy`, and `env`/`shell` wired to them."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from goscope.core.safe.visible import visible
from goscope.proxy.config import DEFAULT_LISTEN_HOST, DEFAULT_PORT, LOOPBACK_HOSTS

if TYPE_CHECKING:
    from goscope.run.rundirs import RunningGoscope

from .options import (
    distinct_outputs,
    fail,
    has_terminal,
    private_option,
    proxy_options,
    run_flags,
    run_options,
    split_list,
    trusted_option,
    validate_har,
    validate_output,
    validate_routes,
    validate_save_flows,
)


# Options end where COMMAND begins, as for env, sudo and time: `run go list -m --json all`
# gave --json to goscope (a report named "all", replacing any such file) and ran `go list -m`.
@click.command(context_settings={"allow_interspersed_args": False})
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
    from goscope.run.commands import CommandNotFound, find_command

    from . import launch

    opts = run_options(**kw)
    if kw["listen_host"] and kw["listen_host"] not in LOOPBACK_HOSTS:
        click.echo(
            f"goscope: warning: listening on {visible(kw['listen_host'])}: others on the network "
            "can use this proxy",
            err=True,
        )
    if headless and not opts.command:
        raise fail("run --headless needs a command: goscope run --headless -- go mod download")
    if not headless and opts.command and not has_terminal():
        # A TUI without a terminal (CI, a pipe, cron) would wait forever for keys nobody can
        # press: a command runs headless instead, and says so (waiting for go without a
        # terminal is refused once the proxy has started: launch.run_live).
        click.echo("goscope: no terminal: running headless (--headless)", err=True)
        headless = True
    try:
        if opts.command:
            find_command(opts.command[0], os.environ)  # before anything starts or is written
        code = launch.run_headless(opts) if headless else launch.run_live(opts)
    except (ProxyStartError, HomeError, CommandNotFound, OutputError) as exc:
        raise fail(str(exc)) from None
    sys.exit(code)


@click.command()
@click.option(
    "--port", type=click.IntRange(1, 65535), help="The goscope to wire to (default: the newest)."
)
@click.option(
    "--shell", type=click.Choice(["bash", "zsh", "fish"]), default="bash", show_default=True
)
@click.option("--json", "as_json", is_flag=True, help="Print the variables as JSON.")
def env(port: int | None, shell: str, as_json: bool) -> None:
    """Print the exports for another terminal: eval "$(goscope env)".

    They wire go, git and curl to a running goscope (the newest, or the one on --port),
    with its secret: goscope serves no process it did not wire."""
    from goscope.core.safe.visible import UNSAFE
    from goscope.run.wiring import json_exports, no_proxy_warnings, proxy_env, shell_exports

    home, running = _running(port)
    variables = proxy_env(running.port, home, running.host, running.secret)
    for name, value in variables.items():
        # A control character (an ESC in GOSCOPE_HOME, say) is taken out by whatever shows
        # or pipes the text: the shell would read back another path than the one quoted.
        if UNSAFE.search(value):
            raise fail(f"{name} would hold a control character ({visible(value)}): no shell "
                       "can be given it safely; use a GOSCOPE_HOME without one")  # fmt: skip
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
    from goscope.run.shell import run_shell

    home, running = _running(port)
    click.echo(f"goscope shell: go and git here go through {running.address}", err=True)
    try:
        code = run_shell(home, running, shell_path)
    except FileNotFoundError as exc:
        raise fail(str(exc)) from None
    sys.exit(code)


def _running(port: int | None) -> tuple[Path, RunningGoscope]:
    """goscope's home and the running goscope to wire to: alive, listening, this user's."""
    from goscope.core.home import HomeError, ensure_private_dir, home_dir
    from goscope.proxy.ca import ensure_ca
    from goscope.run.rundirs import find_running

    try:
        home = ensure_private_dir(home_dir())
        ensure_ca(home)
    except HomeError as exc:
        raise fail(str(exc)) from None
    running = find_running(home, port)
    if running is None:
        where = f" on port {port}" if port else ""
        raise fail(
            f"no goscope of yours is listening{where}: start one first "
            "(`goscope`, or `goscope proxy`), then wire this shell to it"
        )
    return home, running


@click.command()
@proxy_options
@click.option("--jsonl", type=click.Path(dir_okay=False), help="Write the recording here.")
@click.option("--har", type=click.Path(dir_okay=False), help="Write a HAR file when stopped.")
@private_option
@trusted_option
@click.option(
    "--guard/--no-guard", default=False, help="Stop every would-be leak before it leaves."
)
def proxy(
    port: int,
    listen_host: str | None,
    routes: tuple[str, ...],
    upstream_proxy: str | None,
    save_flows: str | None,
    ssl_insecure: bool,
    jsonl: str | None,
    har: str | None,
    private: str | None,
    trusted: str | None,
    guard: bool,
) -> None:
    """Run the proxy alone until Ctrl-C, for go commands in other terminals."""
    import signal
    import time

    from goscope.core.home import HomeError
    from goscope.proxy.launcher import ProxyStartError
    from goscope.run.engine import RunEngine
    from goscope.run.options import RunOptions

    if listen_host and listen_host not in LOOPBACK_HOSTS:
        click.echo(
            f"goscope: warning: listening on {visible(listen_host)}: others on the network can "
            "use this proxy",
            err=True,
        )
    distinct_outputs(("--jsonl", jsonl), ("--har", har), ("--save-flows", save_flows))
    opts = RunOptions(
        port=port,
        listen_host=listen_host or DEFAULT_LISTEN_HOST,
        routes=validate_routes(routes),
        upstream_proxy=upstream_proxy,
        jsonl=validate_output("--jsonl", jsonl),
        har=validate_har(har),
        save_flows=validate_save_flows(save_flows),
        ssl_insecure=ssl_insecure,
        private=private or "",
        trusted=split_list(trusted),
        guard=guard,
    )
    # Handlers first: a Ctrl-C (or a closed terminal) right after the banner still stops
    # cleanly, with the recording's end line written and the run directory removed. A flag
    # the loop polls, not an Event: Event.set() in a handler takes the lock Event.wait()
    # may hold in the very bytecode the signal lands on, and `goscope proxy` hung on SIGINT.
    stopping: list[int] = []
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda signum, _frame: stopping.append(signum))
    try:
        with RunEngine(opts, prefix="proxy-") as engine:  # no command: senders judge
            engine.on_trouble = lambda why: click.echo(f"goscope: {why}", err=True)
            engine.start()
            port_arg = f" --port {engine.port}" if engine.port != DEFAULT_PORT else ""
            click.echo(f"goscope proxy listening on {engine.url}", err=True)
            click.echo(f'In another terminal: eval "$(goscope env{port_arg})"', err=True)
            while not stopping and engine.proxy_alive:
                time.sleep(0.2)
            stats = engine.stop()
    except (ProxyStartError, HomeError) as exc:
        raise fail(str(exc)) from None
    click.echo(f"goscope: {stats.get('events', 0)} requests seen", err=True)
    for why in engine.incomplete:
        click.echo(f"goscope: incomplete: {why}", err=True)
    from goscope.term.summary import stderr_console

    from .launch import har_not_written

    if har_not_written(stats, stderr_console(), engine):
        sys.exit(4)
