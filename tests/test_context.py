"""Where a run was made (the recording header's `context`): what audits group runs by."""

from __future__ import annotations

from goscope.core.traffic.context import (
    VALUE_LIMIT,
    check_context,
    ci_block,
    repository_of,
    run_context,
)

GITHUB = {
    "GITHUB_ACTIONS": "true",
    "GITHUB_REPOSITORY": "acme/api",
    "GITHUB_RUN_ID": "123",
    "GITHUB_RUN_ATTEMPT": "2",
    "GITHUB_WORKFLOW": "CI",
    "GITHUB_JOB": "test",
    "GITHUB_SHA": "0123abcd",
}


def test_ci_runs_are_named_as_each_ci_names_them():
    assert ci_block(GITHUB) == {
        "provider": "github",
        "repository": "acme/api",
        "run_id": "123",
        "run_attempt": "2",
        "workflow": "CI",
        "job": "test",
        "sha": "0123abcd",
    }
    gitlab = {"GITLAB_CI": "true", "CI_PROJECT_PATH": "grp/sub/app", "CI_PIPELINE_ID": "9"}
    assert ci_block(gitlab) == {"provider": "gitlab", "repository": "grp/sub/app", "run_id": "9"}
    assert ci_block({"CI": "true"}) == {"provider": "ci"}
    assert ci_block({"GITHUB_REPOSITORY": "acme/api"}) is None  # not on CI: not a CI run


def test_the_context_names_the_main_module_and_keeps_no_secret(tmp_path):
    (tmp_path / "go.mod").write_text("module example.com/svc // the service\n\ngo 1.27\n")
    (tmp_path / "cmd").mkdir()
    token = "ghp_" + "A1b2C3d4" * 4 + "Zz99"
    context = run_context({**GITHUB, "GITHUB_WORKFLOW": f"deploy {token}"}, str(tmp_path / "cmd"))
    assert context["module"] == "example.com/svc"
    assert context["cwd"] == str((tmp_path / "cmd").resolve())
    assert token not in str(context) and context["ci"]["repository"] == "acme/api"
    assert len(context["id"]) == 32 and context["started"].endswith("+00:00")
    assert repository_of(context) == "acme/api"
    assert repository_of({k: v for k, v in context.items() if k != "ci"}) == "example.com/svc"
    assert repository_of({}, "/work/x") == "/work/x" and repository_of({}) is None


def test_a_crafted_context_keeps_only_bounded_strings():
    crafted = {
        "id": 7,
        "started": ["x"],
        "cwd": "c" * 10_000,
        "module": "",
        "ci": {"provider": "github", "repository": {"nested": 1}, "job": "j"},
        "extra": "dropped",
    }
    assert check_context(crafted) == {
        "cwd": "c" * VALUE_LIMIT,
        "ci": {"provider": "github", "job": "j"},
    }
    assert check_context("not a dict") == {} and check_context({"ci": {"job": "x"}}) == {}
