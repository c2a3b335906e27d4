"""The run path, top-down: options → the run engine → the headless summary or the TUI.

`goscope run`, bare `goscope` and `goscope demo` come here with their `RunOptions`;
`goscope open` with a recording. Headless, the engine runs the command and the
report is read back from the recording; in the TUI, the app wires itself to the
engine's live stream before the proxy starts.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from rich.console import Console
from rich.text import Text

from goscope import __version__
from goscope.core.gorules.netrc import read_netrc
from goscope.core.outputs.ci import write_ci_outputs
from goscope.core.outputs.export import write_report
from goscope.core.outputs.report import report_from_recording
from goscope.run.engine import RunEngine
from goscope.run.options import EXIT_LEAK, RunOptions
from goscope.run.wiring import no_proxy_warnings
from goscope.term.styles import WARNING
from goscope.term.summary import render_summary, stderr_console

if TYPE_CHECKING:
    from goscope.tui.app import GoscopeApp


def run_headless(opts: RunOptions, console: Console | None = None) -> int:
    """Run the command through the proxy, then print the summary and write the outputs."""
    console = console or stderr_console()
    with RunEngine(opts) as engine:
        for warning in no_proxy_warnings(engine.base_env):
            console.print(Text(f"goscope: {warning}", style=WARNING))
        with engine.forward_signals():  # a signal ends the command, never goscope's report
            engine.start()
            exit_code = engine.run_command()
        stats = engine.stop()
        report = report_from_recording(
            engine.recording,
            opts.private,
            opts.trusted,
            opts.command,
            exit_code,
            netrc_text=read_netrc(engine.base_env),
        )
    render_summary(report, console, dropped=int(stats.get("dropped_live", 0)))
    write_ci_outputs(report, opts.markdown, opts.sarif, __version__)
    if opts.json_report:
        write_report(opts.json_report, report)
    if opts.fail_on_leak and report.leaks:
        return EXIT_LEAK
    return exit_code


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
    """The TUI on a live session, until the user quits or the terminal closes."""
    return run_app(start_live(opts))


def open_recording(path: str, private: str, trusted: list[str], skip_bad: bool) -> int:
    """A recording in the TUI; a bad line ends it with one line and exit status 2."""
    from goscope.tui.app import GoscopeApp
    from goscope.tui.launch import Launch

    return run_app(GoscopeApp(Launch.open(path, private, trusted, skip_bad)))


def run_app(app: GoscopeApp) -> int:
    launch = app.launch
    try:
        code = app.run()
    finally:
        if launch.engine is not None:
            launch.engine.stop()
            launch.engine.cleanup()
    if app.load_error and launch.strict:
        print(f"goscope: {app.load_error}", file=sys.stderr)
        return 2
    return code or 0
