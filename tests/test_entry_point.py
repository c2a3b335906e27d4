"""The `goscope` console entry point: the proxy spawned first, and an exit without the
interpreter's teardown that still does what a normal exit must."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points

# A stand-in for the console script: an object that says when the interpreter's teardown
# collects it, an atexit handler, and optionally a thread that is not a daemon.
_SCRIPT = """
import atexit, sys, threading, time
class Collected:
    def __del__(self):
        sys.stderr.write("teardown\\n")
kept = Collected()
atexit.register(lambda: sys.stderr.write("atexit\\n"))
if sys.argv[1] == "thread":
    threading.Thread(target=time.sleep, args=(0.2,)).start()
sys.argv = ["goscope", *sys.argv[2:]]
from goscope.__main__ import main
main()
"""


def _goscope(mode: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _SCRIPT, mode, *args], capture_output=True, text=True, timeout=60
    )


def test_the_console_script_is_the_entry_point_that_spawns_the_proxy_first():
    # `goscope` as installed (uv tool install, pipx) must take the path `python -m goscope`
    # takes, where a run's proxy starts importing mitmproxy before the CLI is imported.
    (script,) = entry_points(group="console_scripts", name="goscope")
    assert script.value == "goscope.__main__:main"


def test_goscope_exits_without_the_teardown_but_with_atexit_and_its_output():
    out = _goscope("plain", "--version")
    assert out.returncode == 0
    assert "goscope" in out.stdout and "0." in out.stdout  # flushed into the pipe
    assert out.stderr.splitlines() == ["atexit"]  # the handlers ran; nothing was collected


def test_an_exit_status_and_a_usage_error_survive_the_fast_exit(tmp_path):
    out = _goscope("plain", "report", str(tmp_path / "missing.jsonl"))
    assert out.returncode == 2
    lines = out.stderr.splitlines()
    assert lines[-1] == "atexit" and "teardown" not in lines
    assert len(lines) == 2 and lines[0].startswith("goscope:")  # one clear line


def test_a_thread_that_is_not_a_daemon_gets_the_normal_exit():
    # A normal exit waits for it; the fast exit would cut it off.
    out = _goscope("thread", "--version")
    assert out.returncode == 0
    assert out.stderr.splitlines() == ["atexit", "teardown"]
