"""`goscope run --headless`: run a command through the proxy, then report."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from goscope.core.events import end_line, read_recording
from goscope.core.goenv import GoEnv
from goscope.core.gotool import find_go
from goscope.core.report import Report, build_report
from goscope.home import ensure_private_dir, home_dir
from goscope.proxy.launcher import ProxyConfig, ProxyProcess
from goscope.summary import render_summary, stderr_console
from goscope.wiring import child_env, no_proxy_warnings

EXIT_LEAK = 3


@dataclass
class RunOptions:
    command: list[str]
    port: int = 8080
    listen_host: str = "127.0.0.1"
    routes: list[str] = field(default_factory=list)
    upstream_proxy: str | None = None
    private: str = ""
    trusted: list[str] = field(default_factory=list)
    json_report: str | None = None
    jsonl: str | None = None
    har: str | None = None
    save_flows: str | None = None
    fail_on_leak: bool = False
    ssl_insecure: bool = False
    env: dict[str, str] | None = None  # the command's environment (default: ours)
    cwd: str | None = None


def go_environment(env: dict[str, str]) -> GoEnv:
    """The Go variables as the command will see them."""
    return GoEnv.load(env, go=find_go())


@dataclass
class PreparedSession:
    """What a live session needs before the proxy starts (shared by headless and TUI)."""

    home: Path
    rundir: Path  # temporary: the proxy log, and the recording unless --jsonl
    recording: str
    base_env: dict[str, str]
    goenv: GoEnv
    config: ProxyConfig

    def cleanup(self) -> None:
        if not os.environ.get("GOSCOPE_KEEP_RUNS"):
            shutil.rmtree(self.rundir, ignore_errors=True)


def prepare_session(opts: RunOptions, prefix: str = "run-") -> PreparedSession:
    home = ensure_private_dir(home_dir())
    rundir = Path(tempfile.mkdtemp(prefix=prefix, dir=ensure_private_dir(home / "runs")))
    recording = opts.jsonl or str(rundir / "recording.jsonl")
    base_env = dict(os.environ if opts.env is None else opts.env)
    goenv = go_environment(base_env)
    config = ProxyConfig(
        home=home,
        port=opts.port,
        listen_host=opts.listen_host,
        routes=opts.routes,
        upstream_proxy=opts.upstream_proxy,
        recording=recording,
        environment=goenv.to_dict(),
        command=opts.command or None,
        save_flows=opts.save_flows,
        har=opts.har,
        log=str(rundir / "proxy.log"),
        ssl_insecure=opts.ssl_insecure,
    )
    return PreparedSession(home, rundir, recording, base_env, goenv, config)


def run_headless(opts: RunOptions, console: Console | None = None) -> int:
    console = console or stderr_console()
    session = prepare_session(opts)
    home, recording, base_env, config = (
        session.home,
        session.recording,
        session.base_env,
        session.config,
    )
    for warning in no_proxy_warnings(base_env):
        console.print(f"[yellow]goscope: {warning}[/]")
    proxy = ProxyProcess(config).start()
    try:
        env = child_env(base_env, proxy.port, home, proxy.host)
        exit_code = run_command(opts.command, env, opts.cwd)
    finally:
        stats = proxy.stop()
    with open(recording, "a", encoding="utf-8") as fh:
        fh.write(end_line(exit_code=exit_code, stats=stats) + "\n")
    report = report_from_recording(recording, opts.private, opts.trusted, opts.command, exit_code)
    render_summary(report, console, dropped=int(stats.get("dropped_live", 0)))
    session.cleanup()
    if opts.json_report:
        write_json(opts.json_report, report)
    if opts.fail_on_leak and report.leaks:
        return EXIT_LEAK
    return exit_code


def run_command(command: list[str], env: dict[str, str], cwd: str | None = None) -> int:
    """Run with stdio passed through; Ctrl-C reaches the command, not us."""
    try:
        proc = subprocess.Popen(command, env=env, cwd=cwd)
    except FileNotFoundError:
        raise CommandNotFound(command[0]) from None
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        return proc.wait()
    finally:
        signal.signal(signal.SIGINT, previous)


class CommandNotFound(Exception):
    def __init__(self, name: str):
        super().__init__(f"command not found: {name}")


def report_from_recording(
    path: str,
    private: str = "",
    trusted: list[str] | None = None,
    command: list[str] | None = None,
    exit_code: int | None = None,
    skip_bad: bool = False,
) -> Report:
    rec = read_recording(path, skip_bad=skip_bad)
    env = GoEnv.from_dict(rec.header.get("environment") or {})
    if rec.end is not None and exit_code is None:
        exit_code = rec.end.get("exit_code")
    command = command or rec.header.get("command")
    report = build_report(
        rec.events,
        env,
        private=private,
        trusted=trusted or [],
        command=command,
        exit_code=exit_code,
    )
    report.skipped = len(rec.skipped)
    return report


class OutputError(Exception):
    """A report or export file that cannot be written (one line)."""


def write_json(path: str, report: Report) -> None:
    try:
        _write_json(path, report)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None


def _write_json(path: str, report: Report) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(report.to_dict(), fh, indent=2)
        fh.write("\n")
