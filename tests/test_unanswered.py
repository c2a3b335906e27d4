"""Requests no server answered, told apart from a server's answer.

A request go left before its answer (Ctrl-C, a CI timeout, go killed) is go's leaving, not
the server's failure. Over HTTP/2, as go talks to goscope, mitmproxy says "peer closed
connection" and answers 502 to a connection nobody reads: every artifact said the proxy
failed with 502 and advised `|`, while the server was still thinking. And a server goscope
could not reach is answered 502 by goscope: go's error said the server answered it."""

from __future__ import annotations

import json
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from goscope.lab.scenario import parse_scenario

from .e2e import goscope_run

pytestmark = pytest.mark.e2e

SLOW = """
description = "a proxy that takes its time"
modules = ["example.com/hello@v1.0.0"]
require = ["example.com/hello@v1.0.0"]
[env]
GOPROXY = "https://slow.example,direct"
GOSUMDB = "off"
[hosts."slow.example"]
delay_ms = 6000
"""


def test_a_request_go_left_is_abandoned_never_a_502_from_the_server(
    tmp_path, go_binary, shared_gocache
):
    scenario = parse_scenario(SLOW, "slow")
    pidfile = tmp_path / "go.pid"
    with scenario.lab(tmp_path / "lab") as lab:
        env = scenario.go_env(lab, tmp_path, go_binary)
        env.update(GOSCOPE_HOME=str(tmp_path / "home"), GOCACHE=str(shared_gocache))
        args = [a for r in lab.routes() for a in ("--route", r)]
        args += ["--markdown", str(tmp_path / "s.md"), "--har", str(tmp_path / "r.har")]
        command = ["sh", "-c", f"go mod download & echo $! > {pidfile}; wait $!"]
        with ThreadPoolExecutor(1) as pool:
            running = pool.submit(
                goscope_run, args, command, scenario.workspace(tmp_path), env, tmp_path
            )
            # go killed while slow.example thinks: as Ctrl-C, a CI timeout or the OOM killer.
            deadline = time.monotonic() + 120
            while not any(host == "slow.example" for host, _, _ in lab.log):
                assert time.monotonic() < deadline and not running.done(), "go never asked"
                time.sleep(0.05)
            os.kill(int(pidfile.read_text()), signal.SIGKILL)
            run = running.result(timeout=180)
    assert run.returncode == 137, run.stdout + run.stderr  # go's verdict, as sh passed it on
    (asked,) = [e for e in run.events() if e["host"] == "slow.example"]
    assert asked["status"] is None and "abandoned" in asked["flags"], asked
    (fetch,) = [f for f in run.report["fetches"] if f["attempts"][0]["host"] == "slow.example"]
    assert fetch["attempts"][0]["outcome"] == "abandoned" and fetch["result"] == "unknown"
    har = json.loads((tmp_path / "r.har").read_text())
    assert [e["response"]["status"] for e in har["log"]["entries"]] == [0]
    for text in (run.stderr, (tmp_path / "s.md").read_text()):
        assert "502" not in text and "use `|`" not in text, text
        assert "0 failed" not in text  # go failed: never a clean count
    assert "go stopped waiting" in run.stderr, run.stderr
    # What it would have got is unknown: never a whole verdict, even had the command exited
    # 0 (`go mod download & …` ends when its shell does).
    assert run.report["complete"] is False and "INCOMPLETE" in run.stderr
    assert any("left by their client" in why for why in run.report["incomplete"])


def test_a_server_goscope_could_not_reach_is_never_said_to_have_answered_502(
    tmp_path, go_binary, shared_gocache
):
    scenario = parse_scenario(SLOW.replace("delay_ms = 6000", ""), "closed")
    with scenario.lab(tmp_path / "lab") as lab:
        env = scenario.go_env(lab, tmp_path, go_binary)
        env.update(GOSCOPE_HOME=str(tmp_path / "home"), GOCACHE=str(shared_gocache))
        env["GOPROXY"] = "https://slow.example|off"
        # Nothing listens on port 1: goscope's connection is refused, and it answers 502.
        args = ["--route", "slow.example=http://127.0.0.1:1"]
        run = goscope_run(
            args, ["go", "mod", "download"], scenario.workspace(tmp_path), env, tmp_path
        )
    assert run.returncode == 1, run.stderr
    (error,) = run.report["go_errors"]
    assert error["status"] == 502 and "the 502 is goscope's" in error["explanation"], error
    assert "a server error" not in run.stderr


def test_a_request_go_left_is_no_failure_of_its_server_in_any_view():
    # The report said "no answer … go stopped waiting", while the request list said ERR, the
    # Hosts tab "errors 1", the timeline drew it failed and audit said "failed 100%".
    from goscope.core.audit.facts import HostTally
    from goscope.core.view.session import Session
    from goscope.core.view.store import FLAG_ERROR
    from goscope.core.vocab import ABANDONED_ERROR
    from goscope.tui.widgets.request_list import row_text

    from .factories import event

    left = event("https://slow.example/example.com/hello/@v/v1.0.0.mod", None)
    left.error, left.flags = f"{ABANDONED_ERROR} (peer closed connection)", ["abandoned"]
    failed = event("https://slow.example/example.com/hello/@v/v1.0.0.info", 502, seq=2)
    failed.error = "connection refused"
    assert not left.failed and failed.failed
    # go left after the server had answered 503: that answer is the server's failure.
    late = event("https://slow.example/example.com/hello/@v/v1.0.0.zip", 503, seq=3)
    late.error, late.flags = left.error, ["abandoned"]
    assert late.failed
    session = Session()
    session.add(left)
    session.add(failed)
    assert session.hosts["slow.example"].errors == 1 and session.abandoned == 1
    store = session.store
    assert not store.flags[0] & FLAG_ERROR and store.flags[1] & FLAG_ERROR
    text = row_text(store.row(0), 120).plain
    assert "ERR" not in text and " — " in text
    tally = HostTally()
    tally.add(left.status, left.error, left.flags, 10.0)
    tally.add(failed.status, failed.error, failed.flags, 10.0)
    assert tally.failed == 1
