"""The options commands share, each validated next to where it is declared.

A bad value is one line and exit status 2 (`GoscopeError`), before anything starts.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import click

from goscope.proxy.config import DEFAULT_LISTEN_HOST, DEFAULT_PORT

if TYPE_CHECKING:
    from goscope.run.options import RunOptions

EXIT_USAGE = 2
CHECK_WHOLE_BYTES = 64 * 2**20  # `open` reads recordings up to this size whole before the TUI


class GoscopeError(click.ClickException):
    """One clear line on stderr, exit status 2."""

    exit_code = EXIT_USAGE

    def show(self, file: object = None) -> None:
        from goscope.core.safe.redact import redact_quoted
        from goscope.core.safe.visible import visible

        # A message may quote what it refuses (a recording's bad field): never a secret.
        click.echo(f"goscope: {visible(redact_quoted(self.format_message()))}", err=True)


def fail(message: str) -> GoscopeError:
    return GoscopeError(message)


def has_terminal() -> bool:
    """Both ends of a TUI are a terminal: keys come from stdin, the screen goes to stdout."""
    import sys

    return sys.stdin.isatty() and sys.stdout.isatty()


def need_terminal(what: str) -> None:
    """A TUI was asked for: one line and exit 2 without a terminal (never a screen drawn
    into a pipe, waiting for keys that cannot come)."""
    if not has_terminal():
        raise fail(f"{what} needs a terminal (stdin and stdout are not one)")


def split_list(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def patterns(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """--private as its setting reads it: `a, b` is `a,b` (go would take ` b` for a pattern
    no path matches; that a flag's space silently unmade a private path was a trap). A URL
    is no module path pattern: it would match nothing, silently."""
    if value is None:
        return None
    for pattern in split_list(value):
        if "://" in pattern:
            raise click.BadParameter(f"takes names (corp.example.com), not a URL: {pattern!r}")
    return ",".join(split_list(value))


# Every command that judges takes these two, spelled and checked alike.
private_option = click.option(
    "--private",
    metavar="PATTERNS",
    callback=patterns,
    help="Module path patterns that are private (GOPRIVATE syntax).",
)
trusted_option = click.option(
    "--trusted",
    metavar="HOSTS",
    callback=patterns,
    help="Hosts trusted with private paths (comma-separated).",
)


def check_upstream(value: str) -> str:
    """http(s)://[user:password@]HOST[:PORT]; ValueError names a bad one with its password
    redacted (mitmproxy's own error echoed it, into CI logs)."""
    from urllib.parse import urlsplit

    from goscope.core.safe.redact import redact_value

    try:  # urlsplit raises too (`http://[x`), and said only "Invalid IPv6 URL"
        parts = urlsplit(value)
        parts.port  # noqa: B018 (a port that is no number raises)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        ok = False
    if not ok:
        shown = redact_value(value if "//" in value else "//" + value).removeprefix("//")
        # Worded so that the redaction of the message (by shape) leaves the template whole.
        raise ValueError(
            f"takes http(s)://HOST[:PORT], a login before HOST if needed, not {shown!r}"
        )
    return value


def upstream_proxy(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """--upstream-proxy, checked before anything starts."""
    try:
        return check_upstream(value) if value else value
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def validate_routes(routes: tuple[str, ...]) -> list[str]:
    from goscope.core.routes import RouteError, parse_route, parse_routes

    try:
        parsed = parse_routes(routes)  # the addon parses them again with the same code
        if len(parsed) != len(routes):  # the last would silently win
            hosts = [parse_route(spec)[0] for spec in routes]
            twice = next(h for h in hosts if hosts.count(h) > 1)
            raise RouteError(f"--route names {twice} more than once: which URL is meant?")
    except RouteError as exc:
        from goscope.core.safe.redact import redact_value

        raise fail(redact_value(str(exc))) from None  # a route's URL may carry a password
    return list(routes)


def validate_har(path: str | None) -> str | None:
    # goscope redacts the HAR after mitmproxy writes it: only a plain .har file on disk.
    if path is not None and (path == "-" or path.endswith(".zhar")):
        raise fail("--har takes a path to a plain .har file (goscope redacts it after writing)")
    return validate_output("--har", path)


def _file_key(name: str) -> str:
    try:  # one file under two names (a hard link) is one file
        info = os.stat(name)
        return f"{info.st_dev}:{info.st_ino}"
    except OSError:
        return os.path.realpath(name)


def distinct_outputs(*outputs: tuple[str, str | None], inputs: Iterable[str] = ()) -> None:
    """Each output its own file: two options naming one file wrote one over the other and
    said both were written (`--json a --jsonl a` kept the report, lost the recording); nor
    one the command reads (`report r.jsonl --json r.jsonl` replaced the recording)."""
    read = {_file_key(path): path for path in inputs if os.path.isfile(path)}
    seen: dict[str, str] = {}
    for option, path in outputs:
        if not path or path == "-":
            continue
        key = _file_key(path.removeprefix("+") if option == "--save-flows" else path)
        if key in read:
            raise fail(f"{option} names {path}, which this command reads: it would be lost")
        if key in seen:
            raise fail(f"{seen[key]} and {option} both name {path}: each output needs its own file")
        seen[key] = option


def validate_save_flows(path: str | None) -> str | None:
    """mitmproxy appends to `+PATH`: the file is PATH, checked as any output is."""
    if path is not None:
        validate_output("--save-flows", path.removeprefix("+"))
    return path


def validate_output(option: str, path: str | None) -> str | None:
    """An output file goscope may write: checked before anything starts, never a symlink."""
    if path is None:
        return None
    if not path:  # `--jsonl "$UNSET"` in CI: no recording, and exit 0
        raise fail(f"{option} needs a file name (it was given an empty one)")
    if path == "-":  # stdout for diff's and audit's outputs, which check it first; not here
        raise fail(f"{option} takes a file name here (- would be a file named '-')")
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

    distinct_outputs(
        ("--json", kw["json_report"]),
        ("--jsonl", kw["jsonl"]),
        ("--markdown", kw.get("markdown")),
        ("--sarif", kw.get("sarif")),
        ("--har", kw["har"]),
        ("--save-flows", kw["save_flows"]),
    )
    return RunOptions(
        command=list(kw["command"]),
        port=kw["port"],
        listen_host=kw["listen_host"] or DEFAULT_LISTEN_HOST,
        routes=validate_routes(kw["routes"]),
        upstream_proxy=kw["upstream_proxy"],
        private=kw["private"] or "",
        trusted=split_list(kw["trusted"]),
        json_report=validate_output("--json", kw["json_report"]),
        markdown=validate_output("--markdown", kw.get("markdown")),
        sarif=validate_output("--sarif", kw.get("sarif")),
        jsonl=validate_output("--jsonl", kw["jsonl"]),
        har=validate_har(kw["har"]),
        save_flows=validate_save_flows(kw["save_flows"]),
        fail_on_leak=kw["fail_on_leak"],
        guard=kw["guard"],
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
            "routes",  # not `route`: click's defaults for the group would meet the `route` command's
            multiple=True,
            metavar="HOST=URL",
            help="Forward requests for HOST to URL (events still show HOST).",
        ),
        click.option(
            "--upstream-proxy",
            metavar="URL",
            callback=upstream_proxy,
            help="Send traffic on through this proxy.",
        ),
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
        private_option,
        trusted_option,
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
            "--headless/--tui",
            default=False,
            help="No TUI: pass output through, then print a summary (--tui: the TUI even if "
            "a setting says headless).",
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
        private_option,
        trusted_option,
        click.option(
            "--fail-on-leak/--no-fail-on-leak",
            default=False,
            help="Exit 3 when a private module leaked (or the guard stopped one).",
        ),
        click.option(
            "--guard/--no-guard",
            default=False,
            help="Stop every would-be leak before it leaves: answer it locally (404, or 403 "
            "for a checksum lookup), never forward it.",
        ),
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
