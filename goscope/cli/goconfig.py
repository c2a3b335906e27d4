"""`doctor` and `route`: the Go configuration judged without the network."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

import click

from .options import fail, judging_options, split_list

if TYPE_CHECKING:
    from goscope.core.gorules.goenv import GoEnv


def effective_env(env_file: str | None) -> tuple[GoEnv, dict[str, str]]:
    """The Go environment `go` would see here (with --env-file as its go env -w file), and
    the process environment it was read from."""
    from goscope.core.gorules.goenv import GoEnv
    from goscope.core.gotool import find_go

    process_env = dict(os.environ)
    if env_file and not os.path.isfile(env_file):
        why = "not a regular file" if os.path.exists(env_file) else "no such file"
        raise fail(f"--env-file {env_file}: {why}")
    if env_file:
        process_env["GOENV"] = env_file
    return GoEnv.load(process_env, go=find_go()), process_env


def recorded_env(path: str) -> tuple[GoEnv, dict[str, Any]]:
    """The Go environment a recording holds (the command's, else its first known
    sender's), and its header."""
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
    return GoEnv.from_dict(raw), rec.header


@click.command()
@click.argument("target", metavar="PATH[@VERSION]")
@click.option("--package", is_flag=True, help="A package path, as go get resolves it (probes).")
@click.option("--json", "as_json", is_flag=True, help="Print the route as JSON.")
@judging_options
@click.option(
    "--guard/--no-guard",
    default=False,
    help="Show which steps goscope's guard would answer itself (--no-guard: a setting's off).",
)
@click.option(
    "--from",
    "recording",
    metavar="RECORDING",
    help="Judge by a recording's Go environment (the command's, or its first sender's) and its --private, --trusted and guard.",
)
def route(
    target: str,
    package: bool,
    as_json: bool,
    private: str | None,
    trusted: str | None,
    env_file: str | None,
    guard: bool,
    recording: str | None,
) -> None:
    """Where go will send PATH, step by step, without touching the network."""

    from goscope.core.gorules.routing import guarded, predict_route
    from goscope.core.hosts import host_key
    from goscope.core.safe.jsontext import pretty_json
    from goscope.core.safe.shell import is_module_path
    from goscope.term.route import render_route
    from goscope.term.summary import stdout_console

    path, _, version = target.partition("@")
    if not is_module_path(path) and not (path in ("go", "toolchain") and version):
        raise fail(
            f"{target}: not a module or package path (like example.com/mod/pkg, or go@1.27.0)"
        )
    if recording and env_file:
        # Alternatives: --env-file was ignored without a word.
        raise fail("--from and --env-file each give the Go environment: give one")
    hosts = split_list(trusted)
    if recording:
        # Judged as the recording was, as report and open judge it, unless the command line
        # says otherwise (a setting is no reason: it is here, the recording's is the run's).
        # Its --private dropped, route said "no leak", exit 0, of a run report called leaking.
        from goscope.core.outputs.report import recorded_judging

        env, header = recorded_env(recording)
        ctx = click.get_current_context()
        given = {n for n in ("private", "trusted", "guard") if _on_command_line(ctx, n)}
        judging = recorded_judging(
            header, private if "private" in given else None, hosts if "trusted" in given else None
        )
        private, hosts = judging["private"], judging["trusted"]
        guard = guard if "guard" in given else judging["guard"]
        for note in judging["overridden"]:
            click.echo(f"goscope: {note} overrides the recording's", err=True)
    else:
        env = effective_env(env_file)[0]
    found = predict_route(
        env,
        path,
        version or None,
        package=package,
        private=private or "",
        trusted=frozenset(host_key(h) for h in hosts),  # as judging reads them (a dot too)
    )
    if guard:
        found = guarded(found)
    if as_json:
        click.echo(pretty_json(found.to_dict()))
    else:
        render_route(found, stdout_console())
    sys.exit(1 if found.error or any(s.leak for s in found.steps) else 0)


def _on_command_line(ctx: click.Context, name: str) -> bool:
    from click.core import ParameterSource

    return ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@judging_options
def doctor(as_json: bool, private: str | None, trusted: str | None, env_file: str | None) -> None:
    """Find Go module configuration mistakes. Exit 1 when any is an error."""

    from goscope.core.judging.doctor import diagnose
    from goscope.core.safe.jsontext import pretty_json
    from goscope.term.findings import render_findings
    from goscope.term.summary import stdout_console

    env, process_env = effective_env(env_file)
    findings = diagnose(
        env, process_env, private or "", expect_proxy=True, trusted=split_list(trusted)
    )
    if as_json:
        data = {"environment": env.to_dict(), "findings": [f.to_dict() for f in findings]}
        click.echo(pretty_json(data))
    else:
        render_findings(findings, stdout_console())
    sys.exit(1 if any(f.severity == "error" for f in findings) else 0)
