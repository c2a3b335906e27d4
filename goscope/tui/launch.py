"""From the command line to the app: a live session (with its engine) or a recording."""

from __future__ import annotations

import sys

from goscope.run.engine import RunEngine
from goscope.run.options import RunOptions
from goscope.tui.app import GoscopeApp, Launch


def live_launch(opts: RunOptions) -> Launch:
    """A live session; the engine is started by the app and cleaned up by run_app."""
    return Launch(engine=RunEngine(opts, prefix="tui-"))


def run_app(launch: Launch, app: GoscopeApp | None = None) -> int:
    app = app or GoscopeApp(launch)
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


def start_live(opts: RunOptions) -> GoscopeApp:
    """The app (which wires itself to the engine's events), then the proxy, then the TUI:
    a port in use is one line, not a screen."""
    launch = live_launch(opts)
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
    app = start_live(opts)
    return run_app(app.launch, app)


def open_launch(
    path: str, private: str = "", trusted: list[str] | None = None, skip_bad: bool = False
) -> Launch:
    return Launch(
        recording=path,
        private=private,
        trusted=trusted or [],
        skip_bad=skip_bad,
        strict=True,
    )
