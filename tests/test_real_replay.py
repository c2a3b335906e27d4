"""The real network, offline: recordings of `make real` replayed through the classifier,
the chains, the leak detector, the report and the TUI, against go's own trace of them."""

from __future__ import annotations

from pathlib import Path

import pytest

from goscope.core.gorules.goenv import GoEnv
from goscope.core.outputs.report import report_from_recording
from goscope.core.traffic.recording import RecordingReader, command_environment
from goscope.core.view.session import Session

from .real_cases import CASES, FIXTURES, PROJECTS, assert_clean, check_oracle, read_trace
from .tui_helpers import loaded, settled, wait_for


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_replay(case):
    exit_code, trace = read_trace(case.name)
    assert exit_code == case.exit
    report = report_from_recording(str(FIXTURES / f"{case.name}.jsonl"))
    assert report.exit_code == exit_code
    check_oracle(report.to_dict(), trace, exit_code)


BIG = [c for c in CASES if c.project]


@pytest.mark.parametrize("case", BIG, ids=[c.name for c in BIG])
def test_a_big_real_project_tells_one_story(case):
    """Cold downloads of real projects: go mod download probes nothing, every module gets
    go's checksum verdict (from go.sum, or looked up: `.mod`-only modules too), and the
    live view, the report and the headless summary say the same."""
    report = report_from_recording(str(FIXTURES / f"{case.name}.jsonl"))
    data = report.to_dict()
    assert len(data["events"]) >= 100
    # modload: `go mod download` with no arguments loads the build list and downloads it;
    # no QueryPattern, so no module lookup and no prefix probe.
    assert data["lookups"] == []
    assert not [f["module"] for f in data["fetches"] if f["probe_of"]]
    has_sum = (PROJECTS / case.project / "go.sum").exists()
    verdicts = {(m["module"], m["version"]): m["checksum"] for m in data["modules"]}
    assert set(verdicts.values()) == {"go.sum" if has_sum else "verified"}
    # Every module requested is listed once, and the headline counts the list.
    requested = {(e["module"], e["version"]) for e in data["events"] if e["kind"] == "proxy"}
    assert requested == set(verdicts)
    summary = summary_text(report)
    assert f" · {len(verdicts)} modules · " in summary.splitlines()[0]
    assert f"checksums: {len(verdicts)} {'go.sum' if has_sum else 'verified'}" in summary
    assert "go looked for the module" not in summary
    # The live view: the same events as they arrive, the command not (yet) over, as in
    # a second terminal. Its verdict per module is the report's.
    with RecordingReader(str(FIXTURES / f"{case.name}.jsonl")) as reader:
        raw = command_environment(reader.header)
        session = Session(GoEnv.from_dict(raw) if raw is not None else None)
        for event, offset in reader:
            session.add(event, offset)
    live = {(r.module, r.version): r.checksum for r in session.modules()}
    assert live == verdicts


def summary_text(report) -> str:
    import io

    from rich.console import Console

    from goscope.term.summary import render_summary

    console = Console(file=io.StringIO(), width=200, color_system=None)
    render_summary(report, console)
    return console.file.getvalue()


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


REAL_SIZES = [(80, 24), (100, 30), (120, 40), (160, 45)]


@pytest.mark.parametrize("size", REAL_SIZES, ids=[f"{w}x{h}" for w, h in REAL_SIZES])
@pytest.mark.parametrize("tab", ["requests", "modules"])
def test_real_module_paths_at_every_width(snap_compare, tab, size):
    """The OpenTelemetry download's long paths at every size: no module@version is cut
    through its version (the middle of the path goes), and from 100 columns up the
    request list keeps each request's endpoint and host."""
    from goscope.tui.app import GoscopeApp
    from goscope.tui.launch import Launch
    from goscope.tui.tabs import tab_key

    path = FIXTURES / "otel.jsonl"
    app = GoscopeApp(Launch(recording=str(path.relative_to(Path.cwd()))))
    app.animation_level = "none"
    report = report_from_recording(str(path))
    versions = {e.seq: e.version for e in report.events if e.module}

    def check(pilot) -> None:
        if tab == "requests":
            header = app.query_one("#list-header").render().plain  # type: ignore[union-attr]
            if size[0] >= 100:
                assert "endpoint" in header and "host" in header, header
            lines = [app.request_list.render_line(y).text for y in range(size[1] // 3)]
            rows = [line for line in lines if line.strip()]
            assert rows
            for line in rows:
                seq = int(line.split()[0])
                if versions.get(seq):
                    assert f"@{versions[seq]} " in line, line
        else:
            names = [str(app.query_one("#modules").table.get_row_at(i)[0]) for i in range(20)]
            assert all(
                f"@{m['version']}" in n for n, m in zip(names, report.modules(), strict=True)
            )

    async def run_before(pilot):
        await loaded(pilot, app, len(report.events))
        if tab == "modules":
            await pilot.press(tab_key("modules"))
            await wait_for(pilot, lambda: app.refreshed_tab == "modules")
        else:
            await pilot.press("home")
        await settled(pilot, app)
        check(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_the_har_export_says_what_the_recording_says():
    """HTTP versions as recorded (HTTP/2.0 on both sides here, never a made-up HTTP/1.1),
    the redirect target of a 3xx from its Location, and goscope's own version."""
    import goscope
    from goscope.core.outputs.export import har_document

    from .factories import event

    report = report_from_recording(str(FIXTURES / "download.jsonl"))
    log = har_document(report.events)["log"]
    assert log["creator"] == {"name": "goscope", "version": goscope.__version__}
    versions = {(e["request"]["httpVersion"], e["response"]["httpVersion"]) for e in log["entries"]}
    assert versions == {("HTTP/2.0", "HTTP/2.0")}
    assert {e["response"]["content"]["mimeType"] for e in log["entries"]} >= {"text/plain"}
    redirect = event(
        "https://proxy.example/example.com/a/@v/v1.0.0.zip",
        302,
        response_headers=[("location", "/blobs/a.zip?token=s3cr3t-abcdef0123456789")],
        client_http="HTTP/1.1",
        upstream_http="HTTP/2.0",
    )
    (entry,) = har_document([redirect])["log"]["entries"]
    assert entry["request"]["httpVersion"] == "HTTP/1.1"
    assert entry["response"]["httpVersion"] == "HTTP/2.0"
    assert entry["response"]["redirectURL"].startswith("https://proxy.example/blobs/a.zip?token=")
    assert "s3cr3t" not in entry["response"]["redirectURL"]
