"""`goscope diff A B` on two real lab runs: exactly their known differences, and exit 1 only
when B regressed."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys

import pytest

from goscope.lab.scenario import load_scenario

from .e2e import goscope_run

pytestmark = pytest.mark.e2e


def record(name, tmp_path, go_binary, shared_gocache):
    scenario = load_scenario(name)
    out = tmp_path / name
    out.mkdir()
    with scenario.lab(out / "lab") as lab:
        env = scenario.go_env(lab, out, go_binary)
        env.update(GOSCOPE_HOME=str(tmp_path / "home"), GOCACHE=str(shared_gocache))
        args = [a for r in lab.routes() for a in ("--route", r)]
        args += ["--jsonl", str(out / "r.jsonl")]
        goscope_run(args, scenario.command, scenario.workspace(out), env, out)
    return out / "r.jsonl", out / "report.json"


def goscope(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "goscope", *args], capture_output=True, text=True, timeout=120
    )


def test_diff_of_comma_stops_and_pipe_falls(tmp_path, go_binary, shared_gocache):
    comma, comma_report = record("comma-stops", tmp_path, go_binary, shared_gocache)
    pipe, _ = record("pipe-falls", tmp_path, go_binary, shared_gocache)
    better = goscope("diff", str(comma), str(pipe), "--json")
    assert better.returncode == 0, better.stderr  # B fixed A's failure: no regression
    diff = json.loads(better.stdout)
    changed = {(c["module"], c["endpoint"]): (c["a"], c["b"]) for c in diff["fetches"]}
    assert changed[("example.com/hello", "mod")] == ("failed", "served by goproxy.example")
    assert [e["variable"] for e in diff["environment"]] == ["GOPROXY"]
    assert [e["kind"] for e in diff["gone_errors"]] == ["http-error"] and diff["new_errors"] == []
    assert diff["new_leaks"] == diff["gone_leaks"] == []
    # The other way round B regressed: exit 1, for CI. A report works as well as a recording.
    worse = goscope("diff", str(pipe), str(comma_report), "--markdown", "-")
    assert worse.returncode == 1, worse.stderr
    assert "**B regressed.**" in worse.stdout
    assert "| 1 | failed in B (served by goproxy.example in A) |" in worse.stdout
    assert "not made in B (served by goproxy.example in A): B's go failed" in worse.stdout
    assert "- `example.com/hello@v1.0.0` mod" in worse.stdout
    assert "| GOPROXY | `https://flaky.example\\|https://goproxy.example,direct`" in worse.stdout
    text = goscope("diff", str(pipe), str(comma))
    assert text.returncode == 1 and "\\n" not in text.stdout  # lines, not escaped newlines
    assert "1 fetch failed in B (served by goproxy.example in A)" in text.stdout
    assert "      example.com/hello@v1.0.0 mod" in text.stdout


def test_diff_refuses_what_is_not_a_run(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text("[1, 2]")
    out = goscope("diff", str(bad), str(bad))
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1


async def test_the_diff_in_the_tui():
    from goscope.core.gorules.goenv import GoEnv
    from goscope.core.outputs.diff import diff_reports
    from goscope.core.outputs.report import build_report
    from goscope.tui.diff_app import DiffApp

    from .factories import event

    url = "https://proxy.example/example.com/%21lib/@v/v1.0.0.mod"
    a = build_report([event(url, 200)], GoEnv.from_mapping({"GOPROXY": "https://proxy.example"}))
    b = build_report(
        [event(url, 502)], GoEnv.from_mapping({"GOPROXY": "https://proxy.example,off"})
    )
    app = DiffApp(diff_reports(a.to_dict(), b.to_dict()), "a.jsonl", "b.jsonl")
    async with app.run_test(size=(120, 30)) as pilot:
        fetches = app.query_one("#diff-fetches")
        assert fetches.row_count == 1 and app.focused is fetches
        row = [str(c) for c in fetches.get_row_at(0)]
        assert row[:4] == ["example.com/Lib@v1.0.0", "mod", "served by proxy.example", "failed"]
        assert app.query_one("#diff-env").row_count == 1
        await pilot.press("q")
    assert app.return_value == 1  # B regressed


def test_diff_markdown_escapes_every_field_and_refuses_odd_shapes(tmp_path):
    import os

    from goscope.core.outputs.diff import diff_markdown, diff_reports

    ok = {"fetches": [], "leaks": [], "go_errors": [], "environment": {}, "events": []}
    evil_fetch = {
        "module": "example.com/x",
        "version": "v1",
        "endpoint": "info|x\n::error::forged",
        "kind": "proxy",
        "attempts": [{"host": "h<img src=x>", "proxy": "p", "status": 502, "error": None}],
        "result": "failed",
        "served_by": None,
    }
    evil = ok | {"fetches": [evil_fetch]}
    markdown = diff_markdown(diff_reports(ok, evil), "a", "b")
    assert not any(line.startswith("::") for line in markdown.splitlines())
    # In a code span HTML is text (and `&lt;` would show as typed): none outside one.
    assert "<img" not in re.sub(r"`[^`]*`", "", markdown) and "\x1b" not in markdown
    (tmp_path / "ok.json").write_text(json.dumps(ok))
    (tmp_path / "bad.json").write_text(json.dumps({"fetches": [1]}))
    out = goscope("diff", str(tmp_path / "ok.json"), str(tmp_path / "bad.json"))
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    out = goscope("diff", str(fifo), str(tmp_path / "ok.json"))
    assert out.returncode == 2 and "not a regular file" in out.stderr


def test_a_cold_and_a_warm_real_download_start_with_totals_and_group(tmp_path):
    """kubectl's cold download against a warm one (its module cache full: go sends
    nothing; the recording is its header and end line): totals first, one line for the
    380 identical changes, not 380 blocks; --full names every fetch."""
    from .real_cases import FIXTURES

    cold = FIXTURES / "kubectl.jsonl"
    lines = cold.read_text().splitlines()
    warm = tmp_path / "warm.jsonl"
    end = json.loads(lines[-1])
    end["stats"]["events"] = 0  # what a warm run's proxy counts
    warm.write_text(lines[0] + "\n" + json.dumps(end) + "\n")
    run = goscope("diff", str(cold), str(warm))
    assert run.returncode == 0, run.stderr
    out = run.stdout.splitlines()
    assert out[1].startswith("  A: 380 requests · 208 modules · 380 fetches · 0 lookups · 0 failed")
    assert out[2].startswith("  B: 0 requests · 0 modules · 0 fetches")
    assert out[3] == "Fetches: 380 differ (1 kind of change)"
    assert out[4].startswith("  380 fetches not made in B (served by proxy.golang.org in A)")
    assert len(out) < 15
    full = goscope("diff", "--full", str(cold), str(warm)).stdout.splitlines()
    named = [line for line in full if line.startswith("      ") and "@" in line]
    assert len(named) == 380
    data = json.loads(goscope("diff", "--json", str(cold), str(warm)).stdout)
    assert sum(g["count"] for g in data["groups"]) == len(data["fetches"]) == 380
    assert data["totals"]["a"]["fetches"] == 380 and data["totals"]["b"]["fetches"] == 0
    markdown = goscope("diff", "--markdown", "-", str(cold), str(warm)).stdout
    assert "| A | 380 | 208 | 380 | 0 | 0 | 0 |" in markdown
    assert "and 370 more (`goscope diff --full`)" in markdown


async def test_the_tui_diff_of_an_incomplete_side_says_no_verdict():
    """A side cut short is never "no regression in B", in the TUI as in text."""
    from goscope.core.gorules.goenv import GoEnv
    from goscope.core.outputs.diff import diff_reports
    from goscope.core.outputs.report import build_report
    from goscope.tui.diff_app import DiffApp

    from .factories import event

    env = GoEnv.from_mapping({"GOPROXY": "https://proxy.example"})
    url = "https://proxy.example/example.com/lib/@v/v1.0.0.mod"
    a = build_report([event(url, 200)], env).to_dict()
    b = a | {"incomplete": ["the proxy died"], "complete": False}
    app = DiffApp(diff_reports(a, b), "a.jsonl", "b.jsonl")
    async with app.run_test(size=(120, 30)):
        head = app.query_one("#diff-head").content
        assert "INCOMPLETE: no verdict" in str(head) and "no regression" not in str(head)


@pytest.mark.parametrize("failed_first", [True, False])
def test_a_fetch_one_process_failed_is_a_regression_whatever_the_order(failed_first):
    """B: two processes fetch one .mod, one gets a 502, the other a 200. Whichever line came
    last, B has a failed fetch A did not. Before, the last line decided: 'no regression',
    exit 0, under a totals line saying B had 1 failed."""
    from goscope.core.outputs.diff import diff_reports
    from goscope.core.outputs.report import build_report

    from .factories import event

    url = "https://proxy.golang.org/example.com/m/@v/v1.0.0.mod"
    a = build_report([event(url, sender=1)], None).to_dict()
    b_events = [event(url, status=502, sender=1), event(url, sender=2)]
    b = build_report(b_events if failed_first else b_events[::-1], None).to_dict()
    diff = diff_reports(a, b)
    assert diff.regressed
    assert [(c.a, c.b) for c in diff.fetches] == [("served by proxy.golang.org", "failed")]


def test_diff_counts_modules_as_the_report_does():
    """The totals line of `diff A A` and the report's summary name the same number of
    modules: diff counted a version-less ask (@v/list) as a module of its own. And of
    fetches and checksum lookups: diff said 12 fetches where the report said 9 and 2."""
    import re

    from rich.console import Console

    from goscope.term.summary import render_summary

    def _summary_text(report) -> str:
        console = Console(record=True, width=300, file=io.StringIO())
        render_summary(report, console)
        return console.export_text()

    from pathlib import Path

    from goscope.core.outputs.diff import diff_reports
    from goscope.core.outputs.report import report_from_recording

    fixtures = Path(__file__).parent / "fixtures"
    for path in [fixtures / "tour.jsonl", *sorted((fixtures / "real").glob("*.jsonl"))]:
        report = report_from_recording(str(path))
        data = report.to_dict()
        totals = diff_reports(data, data).totals[0]
        assert totals.modules == len(report.modules()), path.name
        summary = _summary_text(report)
        fetches = re.search(r"(\d+) fetch(?:es)? ", summary)
        assert fetches and int(fetches[1]) == totals.fetches, (path.name, summary[:200])
        lookups = re.search(r"\n  (\d+) lookups?\b", summary)
        assert (int(lookups[1]) if lookups else 0) == totals.lookups, (path.name, summary)
        assert f"{totals.fetches} fetch" in totals.text()
        # Its timing rows are the report's modules: per event, a `go get` of one package
        # read as five (every prefix probe and the version-less ask a row of its own).
        modules = {f"{m['module']}@{m['version']}" if m["version"] else m["module"]
                   for m in data["modules"]}  # fmt: skip
        assert {t["module"] for t in diff_reports(data, data).timing} == modules, path.name


def test_a_leak_the_guard_stopped_in_a_that_left_in_b_is_a_regression():
    """Both sides read '1 leak': in A the guard stopped it, in B it reached the proxy. diff
    said no regression, exit 0."""
    from goscope.core.outputs.diff import diff_reports

    def report(blocked: bool) -> dict:
        leak = {"module": "corp.example/secret", "host": "proxy.golang.org", "kind": "proxy",
                "severity": "high", "blocked": blocked}  # fmt: skip
        return {"events": [], "fetches": [], "leaks": [leak], "go_errors": [], "exit_code": 0}

    worse = diff_reports(report(True), report(False))
    assert worse.regressed and [x["blocked"] for x in worse.new_leaks] == [False]
    assert worse.gone_leaks == []  # not "gone": it got worse
    better = diff_reports(report(False), report(True))
    assert not better.regressed and better.new_leaks == []
    assert [x["blocked"] for x in better.gone_leaks] == [False]


def test_a_failed_command_never_reads_0_failed_in_diff():
    """B's go failed before any fetch failed: its totals read '0 failed … exit 1' where the
    report says 'go failed'."""
    from goscope.core.outputs.diff import diff_markdown, diff_reports

    a = {"events": [], "fetches": [], "leaks": [], "go_errors": [], "exit_code": 0, "failed": 0}
    b = a | {"exit_code": 1}
    diff = diff_reports(a, b)
    assert diff.totals[0].text().count("0 failed") == 1
    assert "go failed" in diff.totals[1].text() and "0 failed" not in diff.totals[1].text()
    assert "| B | 0 | 0 | 0 | 0 | go failed | 0 | 1 |" in diff_markdown(diff, "a", "b")


def test_two_runs_judged_by_different_patterns_say_so(tmp_path):
    # The same traffic under two --private said "New leaks … B regressed" and nothing of
    # why: a changed .goscope.toml read as a change in what go sent (an outside attack).
    from .factories import TOUR, tour_judged_by

    b = tour_judged_by(tmp_path / "b.jsonl", "example.com")
    a = str(TOUR)
    text = goscope("diff", a, str(b))
    assert (
        "A and B were judged by different patterns (--private (none) in A, example.com in B)"
        in (text.stdout)
    ), text.stdout
    data = json.loads(goscope("diff", "--json", a, str(b)).stdout)
    assert data["judged_apart"] and data["judging"]["b"]["private"] == "example.com"
    alike = goscope("diff", "--private", "example.com", a, str(b))  # both judged alike
    assert "judged by different" not in alike.stdout and alike.returncode == 0, alike.stdout


def test_trusted_hosts_spelled_apart_are_one_judging():
    # Judging lowercases trusted hosts (and drops a trailing dot): two spellings of one
    # host read as "judged by different patterns".
    from goscope.core.outputs.diff import diff_reports

    a = {"judging": {"private": "x", "trusted": ["Goproxy.Corp."]}}
    b = {"judging": {"private": "x", "trusted": ["goproxy.corp"]}}
    assert diff_reports(a, b).judged_apart == ""
    b["judging"]["trusted"] = ["other.corp"]
    assert "--trusted goproxy.corp in A, other.corp in B" in diff_reports(a, b).judged_apart
    # A report's JSON is anyone's file: what it holds is redacted as read (it was printed).
    b["judging"] = {"private": "ghp_0123456789abcdefghijABCDEFGHIJ012345", "trusted": []}
    said = diff_reports(a, b).judged_apart
    assert "ghp_" not in said and "REDACTED" in said
