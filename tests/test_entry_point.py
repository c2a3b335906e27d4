"""The `goscope` console entry point: the proxy spawned first, and an exit without the
interpreter's teardown that still does what a normal exit must."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

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


def test_a_closed_stdout_is_no_crash_and_keeps_the_status(tmp_path):
    # Started with descriptor 1 closed (cron, `>&-`): sys.stdout is None.
    out = subprocess.run(
        [sys.executable, "-c", _SCRIPT, "plain", "report", str(tmp_path / "missing.jsonl")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
        preexec_fn=lambda: os.close(1),
    )
    assert out.returncode == 2
    assert "Traceback" not in out.stderr


def _report_into_full_disk(buffered: bool) -> subprocess.CompletedProcess[str]:
    tour = Path(__file__).parent / "fixtures" / "tour.jsonl"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    if not buffered:
        env["PYTHONUNBUFFERED"] = "1"
    with open("/dev/full", "w") as full:
        return subprocess.run(
            [sys.executable, "-c", _SCRIPT, "plain", "report", str(tour)],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            env=env,
        )


def test_a_summary_left_in_the_buffer_on_a_full_disk_is_no_success():
    # The write fails only at the exit's flush: the interpreter's exit says so with status
    # 120, and the fast exit must not turn that into 0.
    out = _report_into_full_disk(buffered=True)
    assert out.returncode == 120
    assert "No space left" in out.stderr


def test_a_summary_written_into_a_full_disk_is_no_success():
    # Unbuffered (PYTHONUNBUFFERED, as CI systems often set): the write fails in `report`,
    # which once took it for `| head` and exited 0 with nothing written.
    out = _report_into_full_disk(buffered=False)
    assert out.returncode == 2
    assert "goscope: the summary could not be written to stdout (No space left on device)" in (
        out.stderr
    )
