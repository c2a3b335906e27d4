"""The real go client through the real proxy to loopback upstreams (`go -x` is the oracle)."""

from __future__ import annotations

import base64
import shutil
import stat
from pathlib import Path

import pytest

from goscope.proxy.launcher import ProxyConfig, ProxyProcess

from .e2e import assert_trace_matches_events, goscope_run
from .modserver import HostBehaviour, ModServer, Module

pytestmark = pytest.mark.e2e

LIB = Module("example.com/Lib", "v0.3.0-Beta.2", {"lib.go": 'package lib\n\nconst Name = "lib"\n'})


@pytest.fixture
def workspace(go_module_workspace):
    return go_module_workspace([(LIB.path, LIB.version)])


def test_fallthrough_404_then_served(workspace, tmp_path):
    work, env = workspace
    env["GOPROXY"] = "https://proxy-a.example,https://proxy-b.example"
    hosts = {"proxy-a.example": HostBehaviour(status=404), "proxy-b.example": HostBehaviour([LIB])}
    with ModServer(hosts) as server:
        routes = [a for r in server.routes() for a in ("--route", r)]
        run = goscope_run(routes, ["go", "mod", "download", "-x"], work, env, tmp_path)
    assert run.returncode == 0, run.stderr
    assert_trace_matches_events(run)
    # Every 404 was asked twice on the wire (GOAUTH retry), once in the trace.
    retries = [e for e in run.events() if e["auth_retry"]]
    assert len(retries) == 3 and all(e["status"] == 404 for e in retries)
    fetches = {f["endpoint"]: f for f in run.report["fetches"]}
    assert set(fetches) == {"mod", "info", "zip"}
    for fetch in fetches.values():
        assert (fetch["module"], fetch["version"]) == ("example.com/Lib", "v0.3.0-Beta.2")
        assert [(a["host"], a["status"], a["outcome"]) for a in fetch["attempts"]] == [
            ("proxy-a.example", 404, "fell-through"),
            ("proxy-b.example", 200, "served"),
        ]
        assert fetch["attempts"][0]["auth_retry"] is True
        assert (fetch["result"], fetch["served_by"]) == ("served", "proxy-b.example")
    assert run.report["environment"]["GOPROXY"]["value"] == env["GOPROXY"]
    assert run.report["exit_code"] == 0
    assert (
        "served by proxy-b.example" in run.stderr
        and "proxy-a.example 404 → proxy-b.example 200" in run.stderr
    )


def test_upstream_reset_is_a_502_with_the_error(workspace, tmp_path):
    work, env = workspace
    env["GOPROXY"] = "https://flaky.example,https://proxy-b.example"
    hosts = {"flaky.example": HostBehaviour(reset=True), "proxy-b.example": HostBehaviour([LIB])}
    with ModServer(hosts) as server:
        routes = [a for r in server.routes() for a in ("--route", r)]
        run = goscope_run(routes, ["go", "mod", "download", "-x"], work, env, tmp_path)
    assert run.returncode == 1
    assert_trace_matches_events(run)
    (event,) = run.events()
    assert event["status"] == 502 and event["error"], event
    assert any(word in event["error"].lower() for word in ("reset", "closed", "disconnect"))
    (fetch,) = run.report["fetches"]
    assert [(a["host"], a["outcome"]) for a in fetch["attempts"]] == [("flaky.example", "stopped")]
    assert fetch["result"] == "failed"
    assert "after `,` go stops" in run.stderr  # the summary explains the failure


def test_goproxy_password_leaves_no_trace(workspace, tmp_path):
    work, env = workspace
    secret = "s3cr3t-pw-7781"
    env["GOPROXY"] = f"https://alice:{secret}@proxy-b.example"
    hosts = {"proxy-b.example": HostBehaviour([LIB])}
    jsonl, har = tmp_path / "rec.jsonl", tmp_path / "flows.har"
    with ModServer(hosts) as server:
        routes = [a for r in server.routes() for a in ("--route", r)]
        args = [*routes, "--jsonl", str(jsonl), "--har", str(har)]
        run = goscope_run(args, ["go", "mod", "download", "-x"], work, env, tmp_path)
        # go really sent the credentials: the upstream saw them.
        assert any("authorization" in {k.lower() for k in h} for _, _, h in server.requests)
    assert run.returncode == 0, run.stderr
    basic = base64.b64encode(f"alice:{secret}".encode()).decode()
    outputs = {
        "report": (tmp_path / "report.json").read_text(),
        "recording": jsonl.read_text(),
        "summary": run.stderr.replace(f"alice:{secret}", ""),  # go's own -x output aside
        "har": har.read_text(),
    }
    for name, text in outputs.items():
        assert secret not in text, name
        assert basic not in text, name
    assert "Basic REDACTED" in outputs["recording"]


def test_listens_on_loopback_and_keeps_the_ca_key_private(tmp_path):
    home = tmp_path / "home"
    proxy = ProxyProcess(ProxyConfig(home=home, port=0)).start()
    try:
        listening = _listening_addresses(proxy.port)
    finally:
        proxy.stop()
    assert listening == {"127.0.0.1"}
    key = home / "mitmproxy" / "mitmproxy-ca.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    bundle = (home / "ca-bundle.pem").read_text()
    assert (home / "mitmproxy" / "mitmproxy-ca-cert.pem").read_text().strip() in bundle
    assert bundle.count("BEGIN CERTIFICATE") > 1  # the system roots are kept


def _listening_addresses(port: int) -> set[str]:
    found = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            addr, hexport = local.split(":")
            if state == "0A" and int(hexport, 16) == port:
                if width == 8:
                    found.add(".".join(str(b) for b in reversed(bytes.fromhex(addr))))
                else:
                    found.add(addr)
    return found


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_in_a_wired_environment_trusts_goscope(workspace, tmp_path):
    # Checking a proxy by hand with curl, beside go. Where the user's environment names a
    # CA bundle for curl (corporate images and CI runners do), curl reads it and ignores
    # SSL_CERT_FILE: goscope sets CURL_CA_BUNDLE too.
    work, env = workspace
    env = {**env, "CURL_CA_BUNDLE": "/etc/ssl/certs/ca-certificates.crt"}
    with ModServer({"proxy-b.example": HostBehaviour([LIB])}) as server:
        routes = [a for r in server.routes() for a in ("--route", r)]
        url = "https://proxy-b.example/example.com/!lib/@v/list"
        curl = ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", url]
        run = goscope_run(routes, curl, work, env, tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().endswith("200")
