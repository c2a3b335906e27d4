"""The GitHub Action (action.yml), its shell steps run here as a runner would run them.

Each `run:` step gets what the runner gives it: its `env:` with `${{ inputs.* }}` and
`${{ steps.<id>.outputs.* }}` substituted, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY,
RUNNER_TEMP and GITHUB_ACTION_PATH (this checkout). goscope is installed from this
checkout into a fresh venv, offline (the wheelhouse `make test` fills); the command is a
lab scenario where two private modules leak, with the lab's routes from GOSCOPE_ROUTE.
The SARIF upload step is GitHub's own action: checked for its condition and inputs only.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from goscope.lab.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
WHEELHOUSE = Path(sys.prefix) / "wheelhouse"
EXPR = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")


def action() -> dict:
    return yaml.safe_load((ROOT / "action.yml").read_text())


def substitute(text: str, inputs: dict[str, str], outputs: dict[str, dict[str, str]]) -> str:
    def value(match: re.Match[str]) -> str:
        expr = match.group(1)
        if expr.startswith("inputs."):
            return inputs[expr.removeprefix("inputs.")]
        if expr.startswith("steps."):
            _, step, _, name = expr.split(".", 3)
            return outputs.get(step, {}).get(name, "")
        raise AssertionError(f"an expression this test does not know: {expr}")

    return EXPR.sub(value, text)


def read_outputs(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return dict(pairs)


def test_the_action_declares_what_it_uses():
    spec = action()
    assert spec["runs"]["using"] == "composite"
    declared = set(spec["inputs"])
    text = (ROOT / "action.yml").read_text()
    used = {name for expr in EXPR.findall(text) for name in re.findall(r"inputs\.([\w-]+)", expr)}
    assert used <= declared and declared <= used  # no undeclared input, none unused
    for step in spec["runs"]["steps"]:
        if "run" in step:
            assert step["shell"] == "bash"
            # Inputs only through env: never pasted into the script (no injection).
            assert "${{" not in step["run"], step["name"]
    upload = next(s for s in spec["runs"]["steps"] if "uses" in s)
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert upload["with"]["sarif_file"] == "${{ steps.run.outputs.sarif }}"


@pytest.mark.e2e
def test_the_action_runs_goscope_and_fails_the_step_on_a_leak(tmp_path, go_binary, shared_gocache):
    if not any(WHEELHOUSE.glob("hatchling-*.whl")):
        pytest.fail(f"no wheelhouse at {WHEELHOUSE}: `make test` fills it when it installs")
    scenario = load_scenario("leak-served")
    work = scenario.workspace(tmp_path)
    runner_temp = tmp_path / "runner"
    runner_temp.mkdir()
    summary = tmp_path / "summary.md"
    inputs = {name: str(spec.get("default", "")) for name, spec in action()["inputs"].items()}
    inputs |= {
        "command": "go mod download -x",
        "private": scenario.private,
        "working-directory": str(work),
    }
    outputs: dict[str, dict[str, str]] = {}
    results: dict[str, subprocess.CompletedProcess] = {}
    with scenario.lab(tmp_path / "lab") as lab:
        base = scenario.go_env(lab, tmp_path, go_binary)
        base |= {
            "GOCACHE": str(shared_gocache),
            "GOSCOPE_HOME": str(tmp_path / "home"),
            "GOSCOPE_ROUTE": " ".join(lab.routes()),  # a setting from the environment
            "GITHUB_ACTIONS": "true",
            "GITHUB_ACTION_PATH": str(ROOT),
            "RUNNER_TEMP": str(runner_temp),
            "GITHUB_STEP_SUMMARY": str(summary),
            "PIP_NO_INDEX": "1",  # offline: goscope's dependencies from the wheelhouse
            "PIP_FIND_LINKS": str(WHEELHOUSE),
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        }
        base["PATH"] = f"{Path(go_binary).parent}{os.pathsep}{base['PATH']}"
        for step in action()["runs"]["steps"]:
            if "run" not in step:
                continue
            output_file = tmp_path / f"output-{step.get('id', 'verdict')}"
            output_file.write_text("")
            env = base | {
                k: substitute(str(v), inputs, outputs) for k, v in step.get("env", {}).items()
            }
            env["GITHUB_OUTPUT"] = str(output_file)
            cwd = substitute(step.get("working-directory", "."), inputs, outputs)
            results[step.get("id", "verdict")] = run = subprocess.run(
                # As GitHub runs `shell: bash` (its docs: bash --noprofile --norc -eo pipefail).
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                cwd=cwd if os.path.isabs(cwd) else tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
            )
            if step.get("id"):
                outputs[step["id"]] = read_outputs(output_file)
            if step.get("id") == "install":
                assert run.returncode == 0, run.stderr[-3000:]
    run = results["run"]
    assert run.returncode == 0, (
        run.stdout[-2000:] + run.stderr[-1500:]
    )  # the verdict waits for the upload
    assert outputs["run"]["exit-code"] == "3"  # fail-on-leak (default true): a leak
    annotations = [line for line in run.stdout.splitlines() if line.startswith("::error")]
    assert len([a for a in annotations if "private module leak" in a]) == 2
    sarif = json.loads(Path(outputs["run"]["sarif"]).read_text())
    assert (
        len([r for r in sarif["runs"][0]["results"] if r["ruleId"] == "private-module-leak"]) == 2
    )
    report = json.loads(Path(outputs["run"]["report"]).read_text())
    assert report["judging"]["private"] == scenario.private
    assert summary.read_text().startswith("### goscope\n")
    verdict = results["verdict"]
    assert verdict.returncode == 3
    assert "::error title=goscope::a private module path leaked" in verdict.stdout


@pytest.mark.parametrize(("leaks", "said"), [
    (0, "goscope: no leak, nothing failed"),
    (2, "::warning title=goscope::2 private module leak(s) reported; fail-on-leak is off"),
])  # fmt: skip
def test_the_verdict_never_says_no_leak_over_leaks(tmp_path, leaks, said):
    """With fail-on-leak off, goscope exits 0 over a leak: the Verdict step said 'no leak,
    nothing failed' under the leak's own annotation."""
    (step,) = [s for s in action()["runs"]["steps"] if s.get("name") == "Verdict"]
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"leaks": [{}] * leaks}))
    outputs = {"run": {"exit-code": "0", "report": str(report)}}
    env = {k: substitute(str(v), {}, outputs) for k, v in step["env"].items()}
    run = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        env={**os.environ, **env}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 0 and run.stdout.startswith(said), run.stdout + run.stderr
