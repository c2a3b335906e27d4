"""Where a run was made: the recording header's `context` (what `goscope audit` groups by).

A platform team audits thousands of CI runs at once; each recording says which run it is
(an id, when it started), where go ran (the working directory and its main module) and, on
CI, which repository, workflow, job and commit. Everything is read from the environment of
the command goscope ran, never guessed from traffic. Values are bounded strings: a hostile
environment cannot make the header big or put control characters into an output (they are
escaped wherever they are shown, as all recorded text is).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..gorules.gomod import find_gomod, main_module_path
from ..safe.redact import redact_value

VALUE_LIMIT = 512  # characters of one context value

# provider -> (field -> the environment variables that give it, first set wins). GitHub's
# are the default environment variables of a job, GitLab's its predefined CI/CD variables.
CI_VARIABLES: dict[str, dict[str, tuple[str, ...]]] = {
    "github": {
        "repository": ("GITHUB_REPOSITORY",),
        "run_id": ("GITHUB_RUN_ID",),
        "run_attempt": ("GITHUB_RUN_ATTEMPT",),
        "workflow": ("GITHUB_WORKFLOW",),
        "job": ("GITHUB_JOB",),
        "sha": ("GITHUB_SHA",),
        "ref": ("GITHUB_REF",),
        "server": ("GITHUB_SERVER_URL",),
    },
    "gitlab": {
        "repository": ("CI_PROJECT_PATH",),
        "run_id": ("CI_PIPELINE_ID",),
        "run_attempt": ("CI_JOB_ID",),
        "workflow": ("CI_PIPELINE_NAME", "CI_PIPELINE_SOURCE"),
        "job": ("CI_JOB_NAME",),
        "sha": ("CI_COMMIT_SHA",),
        "ref": ("CI_COMMIT_REF_NAME",),
        "server": ("CI_SERVER_URL",),
    },
}
CONTEXT_KEYS = ("id", "started", "cwd", "module", "ci")


def _bounded(value: object) -> str | None:
    """A context value as kept: a non-empty string, bounded."""
    return value[:VALUE_LIMIT] if isinstance(value, str) and value else None


def _redacted(obj: dict[str, Any]) -> dict[str, Any]:
    """Token shapes out of every value (a CI variable or a directory name is no place for
    a secret, but nothing stops one)."""
    return {
        k: _redacted(v) if isinstance(v, dict) else redact_value(v) if isinstance(v, str) else v
        for k, v in obj.items()
    }


def ci_block(env: Mapping[str, str]) -> dict[str, str] | None:
    """The CI run the command ran in (None off CI): GitHub Actions, GitLab CI, or any CI
    that sets `CI=true` (provider `ci`, nothing more known)."""
    if env.get("GITHUB_ACTIONS") == "true":
        provider = "github"
    elif env.get("GITLAB_CI") == "true":
        provider = "gitlab"
    elif env.get("CI", "").lower() in ("true", "1"):
        return {"provider": "ci"}
    else:
        return None
    out = {"provider": provider}
    for name, variables in CI_VARIABLES[provider].items():
        value = next((v for v in (_bounded(env.get(var)) for var in variables) if v), None)
        if value is not None:
            out[name] = value
    return out


def run_context(env: Mapping[str, str], cwd: str | None = None) -> dict[str, Any]:
    """The header's `context` for a run starting now in `cwd` (default: here)."""
    where = Path(cwd or ".").resolve()
    gomod = find_gomod(where)
    context: dict[str, Any] = {
        "id": uuid.uuid4().hex,
        "started": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "cwd": str(where)[:VALUE_LIMIT],
        "module": _bounded(main_module_path(gomod)) if gomod is not None else None,
    }
    ci = ci_block(env)
    if ci is not None:
        context["ci"] = ci
    return _redacted(context)


def check_context(obj: Any) -> dict[str, Any]:
    """The header's `context` with only well-typed, bounded values kept (a recording from
    an older goscope has none: {}). Never raises: the context only labels a run."""
    if not isinstance(obj, dict):
        return {}
    out: dict[str, Any] = {}
    for key in ("id", "started", "cwd", "module"):
        value = _bounded(obj.get(key))
        if value is not None:
            out[key] = value
    ci = obj.get("ci")
    if isinstance(ci, dict):
        kept = {k: v for k, v in ((k, _bounded(v)) for k, v in ci.items()) if v is not None}
        if isinstance(kept.get("provider"), str):
            out["ci"] = {k: v for k, v in kept.items() if isinstance(k, str)}
    return _redacted(out)  # again: an older or crafted header is read as a new one is written


def repository_of(context: Mapping[str, Any], cwd: str | None = None) -> str | None:
    """The repository a run belongs to, as audits group it: the CI's name for it (owner/repo),
    else the main module's path, else the directory go ran in; None when nothing says."""
    ci = context.get("ci")
    if isinstance(ci, dict) and isinstance(ci.get("repository"), str):
        return str(ci["repository"])
    for value in (context.get("module"), context.get("cwd"), cwd):
        if isinstance(value, str) and value:
            return value
    return None
