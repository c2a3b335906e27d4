"""From the command line to the app: live sessions, recordings, lab demos."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from goscope.headless import RunOptions, go_environment
from goscope.home import ensure_private_dir, home_dir
from goscope.proxy.launcher import ProxyConfig
from goscope.tui.app import GoscopeApp, Launch


def live_launch(opts: RunOptions, title: str = "goscope") -> tuple[Launch, Path | None]:
    """A live session; returns the launch and a temporary run dir to remove afterwards."""
    home = ensure_private_dir(home_dir())
    rundir = None
    recording = opts.jsonl
    if recording is None:
        rundir = Path(tempfile.mkdtemp(prefix="tui-", dir=ensure_private_dir(home / "runs")))
        recording = str(rundir / "recording.jsonl")
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
        log=str((rundir or home) / "proxy.log"),
        ssl_insecure=opts.ssl_insecure,
    )
    launch = Launch(
        recording=recording,
        command=opts.command or None,
        command_env=base_env,
        cwd=opts.cwd,
        proxy_config=config,
        title=title,
        private=opts.private,
        trusted=opts.trusted,
        env=goenv,
    )
    return launch, rundir


def run_app(launch: Launch, rundir: Path | None = None) -> int:
    app = GoscopeApp(launch)
    try:
        code = app.run()
    finally:
        if rundir is not None:
            shutil.rmtree(rundir, ignore_errors=True)
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
