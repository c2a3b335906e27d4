"""`--upstream-proxy` end to end: go → goscope → a second proxy (mitmdump, asking for
credentials) → the lab. The credentials work and are in no output goscope writes."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from goscope.lab.scenario import load_scenario

from .e2e import assert_trace_matches_events, goscope_run

pytestmark = pytest.mark.e2e

SECRET = "s3cr3t-Upstream-pw"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def upstream(tmp_path):
    """A second mitmproxy that wants Proxy-Authorization, and logs what it forwards."""
    port = free_port()
    log = tmp_path / "upstream.flows"
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "mitmdump"),
            "-q",
            "--listen-host",
            "127.0.0.1",
            "--listen-port",
            str(port),
            "--set",
            f"confdir={tmp_path / 'upstream-conf'}",
            "--set",
            f"proxyauth=goscope:{SECRET}",
            "--set",
            "connection_strategy=lazy",
            "-w",
            str(log),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield port, log
    proc.terminate()
    proc.wait(timeout=20)


def run_through(upstream_url, tmp_path, go_binary, shared_gocache):
    scenario = load_scenario("fallthrough")
    with scenario.lab(tmp_path / "lab") as lab:
        env = scenario.go_env(lab, tmp_path, go_binary)
        env.update(GOSCOPE_HOME=str(tmp_path / "home"), GOCACHE=str(shared_gocache))
        args = [a for r in lab.routes() for a in ("--route", r)]
        args += ["--upstream-proxy", upstream_url, "--jsonl", str(tmp_path / "r.jsonl")]
        args += ["--har", str(tmp_path / "r.har")]
        return goscope_run(args, scenario.command, scenario.workspace(tmp_path), env, tmp_path)


def test_upstream_proxy_with_credentials(upstream, tmp_path, go_binary, shared_gocache):
    port, log = upstream
    run = run_through(
        f"http://goscope:{SECRET}@127.0.0.1:{port}", tmp_path, go_binary, shared_gocache
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert_trace_matches_events(run)
    # Everything went through the second proxy, with the credentials it asked for.
    time.sleep(0.5)
    assert log.exists() and log.stat().st_size > 0
    # The password is in nothing goscope wrote or printed.
    outputs = {
        "stdout": run.stdout,
        "stderr": run.stderr,
        "report": json.dumps(run.report),
        "recording": (tmp_path / "r.jsonl").read_text(),
        "har": (tmp_path / "r.har").read_text(),
    }
    for name, text in outputs.items():
        assert SECRET not in text, name
    for path in (tmp_path / "home").rglob("*"):
        if path.is_file() and path.suffix in (".json", ".jsonl", ".log", ".har"):
            assert SECRET not in path.read_text(errors="replace"), path


def test_upstream_proxy_refusing_the_credentials(upstream, tmp_path, go_binary, shared_gocache):
    port, _ = upstream
    run = run_through(
        f"http://goscope:wrong-{SECRET}@127.0.0.1:{port}", tmp_path, go_binary, shared_gocache
    )
    assert run.returncode != 0
    assert run.report["failed"] > 0  # go's failure is counted, never "0 failed"
    statuses = {e["status"] for e in run.report["events"]}
    assert 407 in statuses or 502 in statuses, statuses
    assert SECRET not in run.stderr + json.dumps(run.report)
