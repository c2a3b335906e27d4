"""From the command line to the app: live sessions, recordings, lab demos."""

from __future__ import annotations

import sys

from goscope.headless import PreparedSession, RunOptions, prepare_session
from goscope.tui.app import GoscopeApp, Launch


def live_launch(opts: RunOptions, title: str = "goscope") -> tuple[Launch, PreparedSession]:
    """A live session; returns the launch and what to clean up afterwards."""
    prepared = prepare_session(opts, prefix="tui-")
    launch = Launch(
        recording=prepared.recording,
        command=opts.command or None,
        command_env=prepared.base_env,
        cwd=opts.cwd,
        proxy_config=prepared.config,
        title=title,
        private=opts.private,
        trusted=opts.trusted,
        env=prepared.goenv,
    )
    return launch, prepared


def run_app(launch: Launch, prepared: PreparedSession | None = None) -> int:
    app = GoscopeApp(launch)
    try:
        code = app.run()
    finally:
        if prepared is not None:
            prepared.cleanup()
    if app.load_error and launch.strict:
        print(f"goscope: {app.load_error}", file=sys.stderr)
        return 2
    return code or 0


def open_launch(
    path: str, private: str = "", trusted: list[str] | None = None, skip_bad: bool = False
) -> Launch:
    return Launch(
        recording=path,
        open_file=True,
        private=private,
        trusted=trusted or [],
        skip_bad=skip_bad,
        strict=True,
    )
