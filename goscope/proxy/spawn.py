"""The proxy process, spawned before anything else is imported (`goscope run`, bare `goscope`).

Nothing but the standard library's `subprocess` is imported here: the console entry point
(goscope/__main__.py) starts the proxy before click and goscope's CLI are imported, so that
mitmproxy's import (most of the proxy's start-up) overlaps all of the app's own. The
launcher adopts the process (launcher.py `take_spawned`) and sends it its config on stdin.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys

# Commands that start a proxy: `run`, `goscope -- CMD`, bare `goscope` (the TUI waiting).
STARTS_A_PROXY = ("run", "--")
NEVER = ("-h", "--help", "--version")

spawned: subprocess.Popen[str] | None = None


def proxy_argv() -> list[str]:
    profile = os.environ.get("GOSCOPE_PROFILE_PROXY")  # for benchmarks/: run it under cProfile
    return [
        sys.executable,
        *(["-m", "cProfile", "-o", profile] if profile else []),
        "-m",
        "goscope.proxy.server",
    ]


def popen_proxy(quiet: bool = True) -> subprocess.Popen[str]:
    return subprocess.Popen(
        proxy_argv(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        # A proxy with a log file keeps the terminal clean; without, its errors show.
        stderr=subprocess.DEVNULL if quiet else None,
        text=True,
        start_new_session=True,  # Ctrl-C in the terminal goes to us, not straight to it
    )


def spawn_for(args: list[str]) -> None:
    """Start the proxy now when these arguments will need one (a guess on the raw argv:
    a wrong guess costs an idle process the CLI kills, never a wrong run)."""
    global spawned
    head = args[: args.index("--")] if "--" in args else args
    if any(a in NEVER for a in head) or "_GOSCOPE_COMPLETE" in os.environ:
        return
    if not args or args[0] in STARTS_A_PROXY or args[0].startswith("-"):
        spawned = popen_proxy()
        atexit.register(_reap)


def _reap() -> None:
    """A proxy the CLI never took (a bad option, another command): gone with us."""
    proc = take()
    if proc is not None and proc.poll() is None:
        proc.kill()
        proc.wait()


def take() -> subprocess.Popen[str] | None:
    """The early process, once (None if none was started)."""
    global spawned
    proc, spawned = spawned, None
    return proc
