"""The run path, top-down: options → the run engine → the headless summary or the TUI.

`goscope run`, bare `goscope` and `goscope demo` come here with their `RunOptions`;
`goscope open` with a recording. Headless, the engine runs the command and the
report is read back from the recording; in the TUI, the app wires itself to the
engine's live stream before the proxy starts.
"""

from __future__ import annotations

import contextlib
import sys
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.text import Text

from goscope.core.gorules.netrc import read_netrc
from goscope.core.outputs.report import Report, build_report, report_from_recording
from goscope.core.safe.redact import redact_value
from goscope.core.safe.visible import visible
from goscope.core.traffic.recording import RecordingError
from goscope.run.engine import RunEngine
from goscope.run.options import RunOptions, verdict_exit
from goscope.run.wiring import no_proxy_warnings
from goscope.term.styles import BAD, WARNING
from goscope.term.summary import render_summary, stderr_console

from .outputs import report_outputs

if TYPE_CHECKING:
    from goscope.tui.app import GoscopeApp


def run_headless(opts: RunOptions, console: Console | None = None) -> int:
    """Run the command through the proxy, then print the summary and write the outputs.

    Fails closed: a proxy that died, a recording that could not be written or read, an
    output that could not be written all leave the others written, are said, and make
    the exit status non-zero (the command's own failure first, then --fail-on-leak's 3,
    then 4: incomplete).
    """
    console = console or stderr_console()
    with RunEngine(opts) as engine:
        for warning in no_proxy_warnings(engine.base_env):
            console.print(Text(f"goscope: {warning}", style=WARNING))
        engine.on_trouble = lambda why: console.print(Text(f"goscope: {why}", style=BAD))
        with engine.forward_signals():  # a signal ends the command, never goscope's report
            engine.start()
            exit_code = engine.run_command()
        stats = engine.stop()
        report = _report(engine, opts, exit_code, stats)
    try:
        render_summary(report, console, dropped=int(stats.get("dropped_live", 0)))
    except OSError:  # stderr closed (`… 2>&1 | head`): the files still get written
        pass
    har_failed = har_not_written(stats, console, engine)
    if har_failed:
        report.unwritten.append(har_failed)
    failed_outputs = write_outputs(report, opts, console)
    return verdict_exit(
        exit_code,
        bool(report.leaks),
        opts.fail_on_leak,
        bool(report.incomplete or failed_outputs or har_failed),
    )


def _report(
    engine: RunEngine, opts: RunOptions, exit_code: int | None, stats: dict[str, Any]
) -> Report:
    """The run's report, from the recording as the engine holds it; from nothing (and
    incomplete) when even that cannot be read."""
    go_output = [redact_value(line) for line in engine.go_output]
    try:
        with engine.recording_file() as source:
            report = report_from_recording(
                source,
                opts.private,
                opts.trusted,
                command=opts.command,
                exit_code=exit_code,
                go_output=go_output,
                netrc_text=read_netrc(engine.base_env),
                # The proxy's count stands in for the end line's when it was not written.
                stats=None if engine.end_written else stats,
                incomplete=list(engine.incomplete),
                name=engine.recording,
            )
    except (RecordingError, OSError) as exc:
        why = str(exc) if isinstance(exc, RecordingError) else exc.strerror or str(exc)
        report = build_report(
            [],
            engine.goenv,
            private=opts.private,
            trusted=opts.trusted,
            command=opts.command,
            exit_code=exit_code,
            go_output=go_output,
        )
        report.incomplete = [
            *engine.incomplete,
            f"the recording could not be read ({why}): no request is judged",
        ]
    report.go_version = report.go_version or engine.go_version
    return report


def write_outputs(report: Report, opts: RunOptions, console: Console) -> list[str]:
    """Every output asked for, each on its own (cli/outputs.py). Returns the failures."""
    return report_outputs(report, console, opts.markdown, opts.sarif, opts.json_report, opts.cwd)


def har_not_written(stats: dict[str, Any], console: Console, engine: RunEngine) -> str | None:
    """The proxy writes the HAR as it stops; why it could not (a full disk) comes back in its
    final stats: said in one line, and the run is no success. A proxy that never stopped
    (killed) said nothing, and left no HAR, or the last run's, without a word."""
    why = stats.get("har_error") or (
        "the proxy ended before writing it" if engine.har_missing else None
    )
    if not why:
        return None
    said = redact_value(f"--har not written: {why}")  # kept in every artifact: a path's token
    with contextlib.suppress(OSError):
        console.print(Text(visible(f"goscope: {said}"), style=BAD))
    return said


def start_live(opts: RunOptions) -> GoscopeApp:
    """The app (which wires itself to the engine's live stream), then the proxy: a port
    in use is one line, not a screen."""
    from goscope.tui.app import GoscopeApp
    from goscope.tui.launch import Launch

    launch = Launch.live(opts)
    engine = launch.engine
    assert engine is not None
    app = GoscopeApp(launch)  # before start(): the live stream exists only for a listener
    try:
        engine.start()
    except BaseException:
        engine.stop()
        engine.cleanup()
        raise
    return app


def run_live(opts: RunOptions) -> int:
    """The TUI on a live session, until the user quits or the terminal closes. Without a
    terminal, one line and exit 2 (after the proxy's own errors, such as a busy port)."""
    from .options import has_terminal, need_terminal

    app = start_live(opts)
    if not has_terminal():
        if app.launch.engine is not None:
            app.launch.engine.stop()
            app.launch.engine.cleanup()
        need_terminal("the TUI")
    return run_app(app)


def open_recording(
    path: str, private: str | None, trusted: list[str] | None, skip_bad: bool
) -> int:
    """A recording in the TUI; a bad line ends it with one line and exit status 2."""
    from goscope.tui.app import GoscopeApp
    from goscope.tui.launch import Launch

    return run_app(GoscopeApp(Launch.open(path, private, trusted, skip_bad)))


def run_app(app: GoscopeApp) -> int:
    launch = app.launch
    engine = launch.engine
    verdict: int | None = None
    try:
        code = app.run()
    finally:
        if engine is not None:
            try:
                verdict = live_outputs(engine, engine.stop())
            except Exception as exc:  # never instead of the app's own error, never 0
                with contextlib.suppress(OSError):
                    why = visible(redact_value(repr(exc)))
                    print(f"goscope: the run's files could not be written: {why}", file=sys.stderr)
                verdict = 4
            finally:
                engine.cleanup()
    if app.load_error and launch.strict:
        print(f"goscope: {app.load_error}", file=sys.stderr)
        return 2
    return verdict if verdict is not None else code or 0


def live_outputs(engine: RunEngine, stats: dict[str, Any]) -> int | None:
    """A live run's files, written when the TUI ends as `run --headless` writes them, and its
    exit status by the same rule (verdict_exit); None when it was asked for neither (goscope
    alone, watching go in other terminals). `run --tui --json R` wrote no R, and quitting
    while go waited exited 0 over an incomplete run (an outside attack)."""
    opts, console = engine.opts, stderr_console()
    har_failed = har_not_written(stats, console, engine)
    if not (opts.command or opts.json_report or opts.markdown or opts.sarif or opts.fail_on_leak):
        return 4 if har_failed else None
    exit_code = engine.exit_code
    report = _report(engine, opts, exit_code, stats)
    if har_failed:
        report.unwritten.append(har_failed)
    failed = write_outputs(report, opts, console)
    return verdict_exit(
        exit_code or 0,
        bool(report.leaks),
        opts.fail_on_leak,
        bool(report.incomplete or failed or har_failed),
    )
