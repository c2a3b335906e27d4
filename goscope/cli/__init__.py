"""The goscope command line (click). Errors are one line and exit status 2."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from goscope import __version__
from goscope.proxy.config import DEFAULT_LISTEN_HOST, DEFAULT_PORT, LOOPBACK_HOSTS

if TYPE_CHECKING:
    from goscope.core.gorules.goenv import GoEnv
    from goscope.run.options import RunOptions

EXIT_USAGE = 2
CHECK_WHOLE_BYTES = 64 * 2**20  # `open` reads recordings up to this size whole before the TUI


class GoscopeError(click.ClickException):
    """One clear line on stderr, exit status 2."""

    exit_code = EXIT_USAGE

    def show(self, file: object = None) -> None:
        from goscope.core.safe.visible import visible

        click.echo(f"goscope: {visible(self.format_message())}", err=True)


def fail(message: str) -> GoscopeError:
    return GoscopeError(message)


def split_list(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def validate_routes(routes: tuple[str, ...]) -> list[str]:
    from goscope.core.routes import RouteError, parse_routes

    try:
        parse_routes(routes)  # the addon parses them again with the same code
    except RouteError as exc:
        raise fail(str(exc)) from None
    return list(routes)


def validate_har(path: str | None) -> str | None:
    # goscope redacts the HAR after mitmproxy writes it: only a plain .har file on disk.
    if path is not None and (path == "-" or path.endswith(".zhar")):
        raise fail("--har takes a path to a plain .har file (goscope redacts it after writing)")
    return validate_output("--har", path)


def validate_output(option: str, path: str | None) -> str | None:
    """An output file goscope may write: checked before anything starts, never a symlink."""
    if path is None:
        return None
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise fail(f"{option} {path}: no such directory {parent}")
    if os.path.islink(path):
        raise fail(f"{option} {path} is a symbolic link: goscope never writes through one")
    if os.path.exists(path) and not os.path.isfile(path):
        raise fail(f"{option} {path} is not a regular file")
    if not os.access(parent, os.W_OK):
        raise fail(f"{option} {path}: cannot write in {parent}")
    return path


def run_options(**kw: Any) -> RunOptions:
    """The options shared by `run` and the bare `goscope -- CMD`."""
    from goscope.run.options import RunOptions

    return RunOptions(
        command=list(kw["command"]),
        port=kw["port"],
        listen_host=kw["listen_host"] or DEFAULT_LISTEN_HOST,
        routes=validate_routes(kw["route"]),
        upstream_proxy=kw["upstream_proxy"],
        private=kw["private"] or "",
        trusted=split_list(kw["trusted"]),
        json_report=validate_output("--json", kw["json_report"]),
        markdown=validate_output("--markdown", kw.get("markdown")),
        sarif=validate_output("--sarif", kw.get("sarif")),
        jsonl=validate_output("--jsonl", kw["jsonl"]),
        har=validate_har(kw["har"]),
        save_flows=validate_output("--save-flows", kw["save_flows"]),
        fail_on_leak=kw["fail_on_leak"],
        ssl_insecure=kw["ssl_insecure"],
    )


def proxy_options(f):
    options = [
        click.option(
            "--port",
            type=click.IntRange(0, 65535),
            default=DEFAULT_PORT,
            show_default=True,
            help="Port to listen on (0: a free port).",
        ),
        click.option(
            "--listen-host",
            default=None,
            help="Address to listen on (default 127.0.0.1; others are reachable from the network).",
        ),
        click.option(
            "--route",
            multiple=True,
            metavar="HOST=URL",
            help="Forward requests for HOST to URL (events still show HOST).",
        ),
        click.option("--upstream-proxy", metavar="URL", help="Send traffic on through this proxy."),
        click.option(
            "--save-flows",
            type=click.Path(dir_okay=False),
            help="Also write mitmproxy's flow file.",
        ),
        click.option("--ssl-insecure", is_flag=True, hidden=True),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def judging_options(f):
    """`route` and `doctor`: what is private, who is trusted, which go env -w file."""
    options = [
        click.option("--private", metavar="PATTERNS", help="Module path patterns that are private."),
        click.option(
            "--trusted", metavar="HOSTS", help="Hosts trusted with private paths (comma-separated)."
        ),
        click.option(
            "--env-file",
            type=click.Path(dir_okay=False),
            help="Read this go env -w file instead of $(go env GOENV).",
        ),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def run_flags(f):
    options = [
        click.option(
            "--headless", is_flag=True, help="No TUI: pass output through, then print a summary."
        ),
        click.option(
            "--json",
            "json_report",
            type=click.Path(dir_okay=False),
            help="Write the report JSON here.",
        ),
        click.option(
            "--jsonl",
            type=click.Path(dir_okay=False),
            help="Write the recording (JSON lines) here.",
        ),
        click.option(
            "--har", type=click.Path(dir_okay=False), help="Write a HAR file (mitmproxy's export)."
        ),
        click.option(
            "--private",
            metavar="PATTERNS",
            help="Module path patterns that are private (GOPRIVATE syntax).",
        ),
        click.option(
            "--trusted", metavar="HOSTS", help="Hosts trusted with private paths (comma-separated)."
        ),
        click.option("--fail-on-leak", is_flag=True, help="Exit 3 when a private module leaked."),
        click.option(
            "--markdown",
            type=click.Path(dir_okay=False),
            help="Also write the summary as Markdown (e.g. $GITHUB_STEP_SUMMARY).",
        ),
        click.option(
            "--sarif",
            type=click.Path(dir_okay=False),
            help="Also write leaks, go errors and doctor errors as SARIF 2.1.0.",
        ),
    ]
    for option in reversed(options):
        f = option(f)
    return f


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="goscope")
@run_flags
@proxy_options
@click.pass_context
def cli(ctx: click.Context, **kw: Any) -> None:
    """See, live, what the go command does on the network and why.

    Alone, goscope is the proxy and the TUI, waiting for go in another terminal
    (`goscope shell` opens one wired to it); it takes the options of `run`.

    \b
    goscope run --headless -- go mod download   run a command through goscope
    goscope shell                               a shell wired to the running goscope
    goscope env                                 exports for another terminal
    goscope report RECORDING.jsonl              the summary of a recording
    """
    if ctx.invoked_subcommand is None:
        # `goscope` alone: the proxy and the TUI, waiting for go in another terminal.
        ctx.invoke(run, command=(), **kw)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: `goscope -- CMD` is `goscope run -- CMD`."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "--":
        args = ["run", *args]
    try:
        code = cli.main(args=args, prog_name="goscope", standalone_mode=False)
    except click.UsageError as exc:
        # One line, not click's three: what is wrong and where to look.
        where = exc.ctx.command_path if exc.ctx else "goscope"
        from goscope.core.safe.visible import visible

        message = visible(exc.format_message())
        click.echo(f"goscope: {message} (see {where} --help)", err=True)
        sys.exit(EXIT_USAGE)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("goscope: aborted", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


@cli.command(context_settings={"ignore_unknown_options": True})
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
    from goscope.term.headless import run_headless

    opts = run_options(**kw)
    if kw["listen_host"] and kw["listen_host"] not in LOOPBACK_HOSTS:
        click.echo(
            f"goscope: warning: listening on {kw['listen_host']}: others on the network can use this proxy",
            err=True,
        )
    if headless and not opts.command:
        raise fail("run --headless needs a command: goscope run --headless -- go mod download")
    try:
        if headless:
            code = run_headless(opts)
        else:
            from goscope.tui.launch import run_live

            code = run_live(opts)
    except (ProxyStartError, HomeError, CommandNotFound, OutputError) as exc:
        raise fail(str(exc)) from None
    sys.exit(code)


@cli.command("open")
@click.argument("recording", type=click.Path(dir_okay=False))
@click.option("--private", metavar="PATTERNS", help="Module path patterns that are private.")
@click.option("--trusted", metavar="HOSTS", help="Hosts trusted with private paths.")
@click.option(
    "--skip-bad", is_flag=True, help="Skip unreadable lines instead of refusing the file."
)
def open_(recording: str, private: str | None, trusted: str | None, skip_bad: bool) -> None:
    """Open a recording in the TUI."""
    from goscope.core.traffic.recording import RecordingError, RecordingReader
    from goscope.tui.launch import open_launch, run_app

    try:
        # A bad file is one line here, not a broken screen. The first 64 MiB (~100,000
        # events: all of most recordings) are checked before the TUI starts; the rest as it
        # loads, and a bad line there closes the TUI with the same one line.
        with RecordingReader(recording, skip_bad) as reader:
            for _, offset in reader:
                if offset > CHECK_WHOLE_BYTES:
                    break
    except RecordingError as exc:
        raise fail(str(exc)) from None
    launch = open_launch(recording, private or "", split_list(trusted), skip_bad)
    sys.exit(run_app(launch))


@cli.command()
@click.argument("recording", type=click.Path(dir_okay=False))
@click.option(
    "--json", "json_report", type=click.Path(dir_okay=False), help="Write the report JSON here."
)
@click.option("--private", metavar="PATTERNS", help="Module path patterns that are private.")
@click.option("--trusted", metavar="HOSTS", help="Hosts trusted with private paths.")
@click.option("--skip-bad", is_flag=True, help="Skip unreadable lines (and say how many).")
@click.option(
    "--markdown",
    type=click.Path(dir_okay=False),
    help="Also write the summary as Markdown (e.g. $GITHUB_STEP_SUMMARY).",
)
@click.option(
    "--sarif",
    type=click.Path(dir_okay=False),
    help="Also write leaks, go errors and doctor errors as SARIF 2.1.0.",
)
def report(
    recording: str,
    json_report: str | None,
    private: str | None,
    trusted: str | None,
    skip_bad: bool,
    markdown: str | None,
    sarif: str | None,
) -> None:
    """Summarise a recording (JSON lines) as `run` does."""
    from rich.text import Text

    from goscope.core.outputs.export import OutputError, write_report
    from goscope.core.outputs.report import report_from_recording
    from goscope.core.traffic.recording import RecordingError
    from goscope.term import styles
    from goscope.term.headless import ci_outputs
    from goscope.term.summary import render_summary, stderr_console, stdout_console

    validate_output("--json", json_report)
    validate_output("--markdown", markdown)
    validate_output("--sarif", sarif)
    try:
        rep = report_from_recording(
            recording, private or "", split_list(trusted), skip_bad=skip_bad
        )
    except RecordingError as exc:
        raise fail(str(exc)) from None
    if rep.skipped:  # a warning: on stderr, apart from the summary
        plural = "s" if rep.skipped != 1 else ""
        stderr_console().print(
            Text(f"goscope: skipped {rep.skipped} bad line{plural}", styles.WARNING)
        )
    render_summary(rep, stdout_console())
    try:
        ci_outputs(rep, markdown, sarif)
    except OutputError as exc:
        raise fail(str(exc)) from None
    if json_report:
        try:
            write_report(json_report, rep)
        except OutputError as exc:
            raise fail(str(exc)) from None


@cli.command()
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


@cli.command()
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


@cli.command()
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


@cli.command()
@click.argument("a", metavar="A")
@click.argument("b", metavar="B")
@click.option("--json", "as_json", is_flag=True, help="Print the differences as JSON.")
@click.option("--markdown", metavar="FILE", help="Write them as Markdown (- for stdout).")
@click.option("--tui", is_flag=True, help="Show them in the terminal UI.")
@click.option("--private", metavar="PATTERNS", help="Module path patterns that are private.")
@click.option("--trusted", metavar="HOSTS", help="Hosts trusted with private paths.")
def diff(
    a: str,
    b: str,
    as_json: bool,
    markdown: str | None,
    tui: bool,
    private: str | None,
    trusted: str | None,
) -> None:
    """What changed from run A to run B (recordings or reports). Exit 1 when B regressed:
    a leak, a failed fetch or a go error that A did not have."""
    import json

    from goscope.core.outputs.diff import diff_markdown, diff_reports
    from goscope.core.outputs.export import OutputError, write_private
    from goscope.term.diff import render_diff
    from goscope.term.summary import stdout_console

    if markdown and markdown != "-":
        validate_output("--markdown", markdown)
    sides = [load_run(path, private or "", split_list(trusted)) for path in (a, b)]
    try:
        found = diff_reports(*sides)
    except (TypeError, KeyError, AttributeError, ValueError) as exc:
        raise fail(f"{a} or {b} is not a goscope report: {type(exc).__name__} {exc}") from None
    if tui:
        from goscope.tui.diff_app import DiffApp

        DiffApp(found, a, b).run()
    elif as_json:
        click.echo(json.dumps(found.to_dict(), indent=2))
    elif markdown == "-":
        click.echo(diff_markdown(found, a, b), nl=False)
    else:
        render_diff(found, stdout_console(), a, b)
    if markdown and markdown != "-":
        try:
            write_private(Path(markdown), diff_markdown(found, a, b))
        except OutputError as exc:
            raise fail(str(exc)) from None
    sys.exit(1 if found.regressed else 0)


def effective_env(env_file: str | None) -> tuple[GoEnv, dict[str, str]]:
    """The Go environment `go` would see here (with --env-file as its go env -w file), and
    the process environment it was read from."""
    from goscope.core.gorules.goenv import GoEnv
    from goscope.core.gotool import find_go

    process_env = dict(os.environ)
    if env_file and not os.path.isfile(env_file):
        raise fail(f"--env-file {env_file}: no such file")
    if env_file:
        process_env["GOENV"] = env_file
    return GoEnv.load(process_env, go=find_go()), process_env


def recorded_env(path: str) -> GoEnv:
    """The Go environment a recording holds: the command's, else its first known sender's."""
    from goscope.core.gorules.goenv import GoEnv
    from goscope.core.traffic.recording import RecordingError, command_environment, read_recording

    try:
        rec = read_recording(path)
    except RecordingError as exc:
        raise fail(str(exc)) from None
    raw = command_environment(rec.header)
    if raw is None:
        raw = next((s["environment"] for s in rec.senders.values() if s.get("environment")), None)
    if not raw:
        raise fail(f"{path}: the recording holds no Go environment (its senders are unknown)")
    return GoEnv.from_dict(raw)


def load_run(path: str, private: str, trusted: list[str]) -> dict[str, Any]:
    """A report's JSON form, from a report file or a recording (reported first)."""
    import json

    from goscope.core.outputs.report import report_from_recording
    from goscope.core.traffic.recording import RecordingError

    if not os.path.isfile(path):  # a FIFO or a device would hang or never end
        raise fail(f"{path}: not a regular file")
    try:
        with open(path, "rb") as fh:
            head = fh.read(64)
    except OSError as exc:
        raise fail(f"{path}: {exc.strerror or exc}") from None
    if b'"goscope-recording"' in head or not head.lstrip().startswith(b"{"):
        try:
            return report_from_recording(path, private, trusted).to_dict()
        except RecordingError as exc:
            raise fail(str(exc)) from None
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError) as exc:
        raise fail(f"{path}: not a goscope report or recording ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("fetches"), list):
        raise fail(f"{path}: not a goscope report (no fetches)")
    return data


@cli.command()
@click.argument("target", metavar="PATH[@VERSION]")
@click.option("--package", is_flag=True, help="A package path, as go get resolves it (probes).")
@click.option("--json", "as_json", is_flag=True, help="Print the route as JSON.")
@judging_options
@click.option(
    "--from",
    "recording",
    metavar="RECORDING",
    help="Judge by a recording's Go environment: the command's, or its first sender's.",
)
def route(
    target: str,
    package: bool,
    as_json: bool,
    private: str | None,
    trusted: str | None,
    env_file: str | None,
    recording: str | None,
) -> None:
    """Where go will send PATH, step by step, without touching the network."""
    import json

    from goscope.core.gorules.routing import predict_route
    from goscope.core.safe.shell import is_module_path
    from goscope.term.route import render_route
    from goscope.term.summary import stdout_console

    path, _, version = target.partition("@")
    if not is_module_path(path) and not (path in ("go", "toolchain") and version):
        raise fail(
            f"{target}: not a module or package path (like example.com/mod/pkg, or go@1.27.0)"
        )
    env = recorded_env(recording) if recording else effective_env(env_file)[0]
    found = predict_route(
        env,
        path,
        version or None,
        package=package,
        private=private or "",
        trusted=frozenset(h.lower() for h in split_list(trusted)),
    )
    if as_json:
        click.echo(json.dumps(found.to_dict(), indent=2))
    else:
        render_route(found, stdout_console())
    sys.exit(1 if found.error or any(s.leak for s in found.steps) else 0)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@judging_options
def doctor(as_json: bool, private: str | None, trusted: str | None, env_file: str | None) -> None:
    """Find Go module configuration mistakes. Exit 1 when any is an error."""
    import json

    from goscope.core.judging.doctor import diagnose
    from goscope.term.findings import render_findings
    from goscope.term.summary import stdout_console

    env, process_env = effective_env(env_file)
    findings = diagnose(
        env, process_env, private or "", expect_proxy=True, trusted=split_list(trusted)
    )
    if as_json:
        data = {"environment": env.to_dict(), "findings": [f.to_dict() for f in findings]}
        click.echo(json.dumps(data, indent=2))
    else:
        render_findings(findings, stdout_console())
    sys.exit(1 if any(f.severity == "error" for f in findings) else 0)


@cli.command()
@click.argument("scenario", required=False)
@click.option("--list", "list_", is_flag=True, help="List the built-in scenarios.")
@click.option("--verbose", "-v", is_flag=True, help="Show go's -x trace too.")
@click.option("--headless", is_flag=True, help="No TUI: print the summary.")
def demo(scenario: str | None, list_: bool, verbose: bool, headless: bool) -> None:
    """Run a lab scenario offline: simulated proxies, checksum database and git host."""
    from rich.text import Text

    from goscope.core.home import HomeError
    from goscope.lab.runner import DEFAULT_SCENARIO, NoGo, demo_session, describe_scenarios
    from goscope.lab.scenario import ScenarioError
    from goscope.proxy.launcher import ProxyStartError
    from goscope.run.engine import CommandNotFound
    from goscope.term import styles
    from goscope.term.headless import run_headless
    from goscope.term.summary import stderr_console

    if list_:
        for name, description in describe_scenarios():
            click.echo(f"{name:<18} {description}")
        return
    console = stderr_console()
    try:
        with demo_session(scenario or DEFAULT_SCENARIO, verbose) as session:
            first, *rest = session.intro()
            console.print(Text(first, style="bold"))
            for line in rest:
                console.print(Text(line, style=styles.MUTED))
            if headless:
                code = run_headless(session.opts, console)
            else:
                from goscope.tui.launch import run_live

                code = run_live(session.opts)
    except (ScenarioError, NoGo, ProxyStartError, HomeError, CommandNotFound) as exc:
        raise fail(str(exc)) from None
    sys.exit(code)


@cli.group()
def lab() -> None:
    """The offline lab on its own."""


@lab.command("serve")
@click.argument("scenario")
def lab_serve(scenario: str) -> None:
    """Run only the lab for SCENARIO, and print how to watch go use it (lines to paste)."""
    from goscope.lab.runner import serve_lab
    from goscope.lab.scenario import ScenarioError, load_scenario

    try:
        loaded = load_scenario(scenario)
    except ScenarioError as exc:
        raise fail(str(exc)) from None
    serve_lab(loaded, click.echo)  # stdout, unwrapped: every line works pasted


@cli.command()
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
    click.echo(f"certificate: {info.cert}")
    click.echo(f"bundle:      {info.bundle}")
    click.echo(f"sha256:      {info.fingerprint}")


if __name__ == "__main__":  # pragma: no cover
    main()
