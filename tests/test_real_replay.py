"""The real network, offline: recordings of `make real` replayed through the classifier,
the chains, the leak detector, the report and the TUI, against go's own trace of them."""

from __future__ import annotations

from pathlib import Path

import pytest

from goscope.core.outputs.report import report_from_recording

from .real_cases import CASES, FIXTURES, assert_clean, check_oracle, read_trace
from .tui_helpers import loaded, settled, wait_for


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_replay(case):
    exit_code, trace = read_trace(case.name)
    assert exit_code == case.exit
    report = report_from_recording(str(FIXTURES / f"{case.name}.jsonl"))
    assert report.exit_code == exit_code
    check_oracle(report.to_dict(), trace, exit_code)


def test_the_fixtures_hold_no_secret_and_no_machine_path():
    for path in FIXTURES.glob("*.jsonl"):
        assert_clean(path.read_text())


def test_what_the_real_servers_do():
    """The shapes the lab learned from them (see the lab's `missing` answers)."""
    report = report_from_recording(str(FIXTURES / "missing.jsonl"))
    (error,) = report.go_errors
    # This proxy answers a module it does not have with 403 and a text body, not 404:
    # with `,` go stops there, and says so with the body as `server response:`.
    assert (error.kind, error.status) == ("forbidden", 403)  # a refusal, not a credential ask
    assert error.detail == ["server response: This module version is not available."]
    (fetch,) = [c for c in report.chains if c.kind == "proxy"]
    assert fetch.attempts[0].outcome == "stopped" and fetch.never_asked == ("direct",)
    download = report_from_recording(str(FIXTURES / "download.jsonl"))
    events = [e for e in download.events if e.kind != "other"]
    # HTTP/2 on both sides, TLS 1.3, and (on the project's machines) a TLS-inspecting CA.
    assert {(e.client_http, e.upstream_http, e.upstream_tls) for e in events} == {
        ("HTTP/2.0", "HTTP/2.0", "TLSv1.3")
    }
    issuers = {(e.upstream_issuer, e.upstream_public_root) for e in events}
    assert len(issuers) == 1
    if issuers != {(None, None)}:
        assert "tls-inspected" in {f["id"] for f in download.findings} or all(
            public for _, public in issuers
        )
    # The checksum database through the proxy: supported 200, lookups and tiles there.
    walk = next(c for c in download.chains if c.endpoint == "supported")
    assert (walk.result, walk.served_by) == ("served", "proxy.golang.org")
    assert {e.endpoint for e in events if e.kind == "sumdb"} >= {"supported", "lookup", "tile"}


def test_a_real_recording_in_the_tui(snap_compare):
    from goscope.tui.app import GoscopeApp
    from goscope.tui.launch import Launch

    path = FIXTURES / "get-package.jsonl"
    app = GoscopeApp(Launch(recording=str(path.relative_to(Path.cwd()))))
    app.animation_level = "none"
    events = sum(1 for line in path.read_text().splitlines() if line.startswith('{"seq"'))

    async def run_before(pilot):
        await loaded(pilot, app, events)
        await pilot.press("4")
        await wait_for(pilot, lambda: app.refreshed_tab == "hosts")
        await settled(pilot, app)

    assert snap_compare(app, terminal_size=(150, 30), run_before=run_before)
