"""The release and CI workflows: what they promise, checked without GitHub."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

import goscope

ROOT = Path(__file__).resolve().parent.parent


def workflow(name: str) -> dict:
    data = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads `on:` as true
    return data


def test_a_release_publishes_only_a_tested_wheel_by_trusted_publishing():
    release = workflow("release.yml")
    assert release["on"] == {"push": {"tags": ["v*"]}}
    assert release["permissions"] == {"contents": "read"}
    jobs = release["jobs"]
    assert jobs["test-wheel"]["needs"] == "build" and jobs["publish"]["needs"] == "test-wheel"
    assert set(jobs["test-wheel"]["strategy"]["matrix"]["python"]) == {"3.11", "3.12", "3.13"}
    publish = jobs["publish"]
    assert publish["permissions"] == {"id-token": "write"}  # OIDC, no stored token
    assert publish["environment"] == "pypi"
    assert [s["uses"] for s in publish["steps"]][-1].startswith("pypa/gh-action-pypi-publish@")
    assert not any("password" in str(s.get("with", {})) for s in publish["steps"])


def _version_check() -> str:
    steps = workflow("release.yml")["jobs"]["build"]["steps"]
    return next(s["run"] for s in steps if s.get("name") == "The tag is the package's version")


def test_the_release_refuses_a_tag_that_is_not_the_version():
    script = _version_check()
    version = goscope.__version__

    def run(tag: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
            cwd=ROOT,
            env={"PATH": "/usr/bin:/bin", "GITHUB_REF_NAME": tag},
            capture_output=True,
            text=True,
            timeout=60,
        )

    wrong = run("v0.0.0-not-it")
    assert wrong.returncode == 1 and "is not v" in wrong.stdout
    good = run(f"v{version}")
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert (good.returncode == 0) == (f"## [{version}]" in changelog), good.stdout


def test_ci_runs_what_the_readme_says():
    steps = workflow("ci.yml")["jobs"]["test"]["steps"]
    assert steps[-1]["run"] == ".ci/run"
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    assert workflow("ci.yml")["jobs"]["test"]["timeout-minutes"] <= 20
