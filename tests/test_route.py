"""`goscope route`: go's routing, predicted without the network (checked against the lab's
observed chains in test_lab_scenarios.py, and against go's own prefix rules here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from hypothesis import given
from hypothesis import strategies as st

from goscope.core.gorules.goenv import GoEnv
from goscope.core.gorules.routing import govcs_allows, predict_route, prefix_probes


def hosts(route, variable="GOPROXY"):
    return [s.host for s in route.steps if s.variable == variable and s.url]


def test_the_goproxy_list_in_order_and_where_go_moves_on():
    env = GoEnv.from_mapping({"GOPROXY": "https://a.example|https://b.example,direct"})
    route = predict_route(env, "example.com/Lib", "v1.0.0")
    proxies = [s for s in route.steps if s.variable == "GOPROXY" and "/sumdb/" not in (s.url or "")]
    assert [s.host for s in proxies] == ["a.example", "b.example"]
    assert proxies[0].url == "https://a.example/example.com/%21lib/@v/v1.0.0.info"
    assert [s.moves_on for s in proxies] == ["any error", "404 or 410 only"]
    assert any(
        s.variable == "GOVCS" and s.url == "https://example.com/Lib?go-get=1" for s in route.steps
    )


def test_gonoproxy_goes_direct_and_govcs_decides():
    env = GoEnv.from_mapping({"GOPRIVATE": "git.corp.example.com", "GOVCS": "private:hg"})
    route = predict_route(env, "git.corp.example.com/team/x")
    assert hosts(route) == []
    direct = next(s for s in route.steps if s.variable == "GOVCS")
    assert "refused: GOVCS (private:hg)" in direct.what
    assert govcs_allows(GoEnv.from_mapping({}), "github.com/a/b") == (True, "public:git|hg")


def test_checksum_route_and_private_paths_flagged():
    env = GoEnv.from_mapping({"GOPROXY": "https://proxy.golang.org,direct"})
    route = predict_route(env, "git.corp.example.com/x", "v1.0.0", private="git.corp.example.com")
    leaks = [s for s in route.steps if s.leak]
    assert {s.host for s in leaks} == {"proxy.golang.org", "sum.golang.org"}
    trusted = predict_route(
        GoEnv.from_mapping({"GOPROXY": "https://athens.corp.example", "GOSUMDB": "off"}),
        "git.corp.example.com/x",
        private="git.corp.example.com",
        trusted=frozenset({"athens.corp.example"}),
    )
    assert not [s for s in trusted.steps if s.leak]
    assert trusted.steps[-1].what == "its checksum is not looked up: GOSUMDB=off"


def test_prefix_probes_follow_modload():
    assert prefix_probes("example.com/Mod/sub/pkg") == [
        "example.com/Mod/sub/pkg",
        "example.com/Mod/sub",
        "example.com/Mod",
        "example.com",
    ]
    # module.SplitPathVersion refuses /v0, /v1 and /v01 as module paths: never probed.
    assert prefix_probes("example.com/x/v1/pkg") == [
        "example.com/x/v1/pkg",
        "example.com/x",
        "example.com",
    ]
    assert "example.com/x/v2" in prefix_probes("example.com/x/v2/pkg")


@given(st.lists(st.sampled_from(["a", "B", "v1", "v2", "v01", "x.y"]), min_size=1, max_size=5))
def test_probes_are_prefixes_longest_first(parts):
    path = "example.com/" + "/".join(parts)
    probes = prefix_probes(path)
    assert probes[0] == path or path.endswith(("/v1", "/v0", "/v01"))
    assert all(path == p or path.startswith(p + "/") for p in probes)
    assert probes == sorted(probes, key=len, reverse=True) and probes[-1] == "example.com"


def test_route_command_json_and_exit_status(tmp_path):
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "GOENV": str(tmp_path / "goenv"),
        "GOPROXY": "https://proxy.golang.org,direct",
        "GOPRIVATE": "git.corp.example.com/team",
        "GOSCOPE_GO": "none",
    }
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "goscope",
            "route",
            "--package",
            "--json",
            "--private",
            "git.corp.example.com",
            "git.corp.example.com/team/repo/pkg",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1  # a private path reaches a public host: the bare host probe
    data = json.loads(run.stdout)
    leaks = [s for s in data["steps"] if s["leak"]]
    assert [(s["host"], s["probe_of"]) for s in leaks] == [
        ("proxy.golang.org", "git.corp.example.com/team/repo/pkg")
    ]
    bad = subprocess.run(
        [sys.executable, "-m", "goscope", "route", "not a path"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and len(bad.stderr.splitlines()) == 1


def test_route_from_a_recordings_environment():
    from pathlib import Path

    tour = Path(__file__).parent / "fixtures" / "tour.jsonl"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "goscope",
            "route",
            "--json",
            "--from",
            str(tour),
            "--private",
            "git.corp.example.com",
            "git.corp.example.com/team/secret@v1.2.0",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    data = json.loads(run.stdout)
    # The recorded GOPROXY (old-mirror, then proxy.golang.org), as the tour's traffic shows it.
    asked = [s["host"] for s in data["steps"] if s["variable"] == "GOPROXY" and s["url"]]
    assert asked[:2] == ["old-mirror.example", "proxy.golang.org"]
    assert {s["host"] for s in data["steps"] if s["leak"]} == {
        "old-mirror.example",
        "proxy.golang.org",
    }
    assert run.returncode == 1


def test_the_toolchain_route_of_a_go_line():
    env = GoEnv.from_mapping({"GOPROXY": "https://goproxy.example", "GOTOOLCHAIN": "auto"})
    route = predict_route(env, "go", "1.99.0")
    assert route.steps[0].variable == "GOTOOLCHAIN"
    (ask,) = [s for s in route.steps if s.variable == "GOPROXY" and "/sumdb/" not in (s.url or "")]
    # The toolchain scenario's observed request asks the same module of the same proxy.
    assert (
        ask.url == "https://goproxy.example/golang.org/toolchain/@v/v0.0.1-go1.99.0.linux-amd64.zip"
    )


def test_toolchain_versions_govcs_errors_and_gotoolchain_local():
    env = GoEnv.from_mapping({"GOTOOLCHAIN": "auto"})
    ask = [s.url for s in predict_route(env, "go", "1.22").steps if s.url and "toolchain" in s.url]
    assert ask[0].endswith("/golang.org/toolchain/@v/v0.0.1-go1.22.0.linux-amd64.zip")
    local = predict_route(GoEnv.from_mapping({"GOTOOLCHAIN": "local"}), "go", "1.99.0")
    assert [s.url for s in local.steps if s.url] == [] and "does not switch" in local.steps[-1].what
    allowed, why = govcs_allows(GoEnv.from_mapping({"GOVCS": "nocolon"}), "github.com/a/b")
    assert not allowed and "malformed GOVCS" in why


def test_hosts_go_knows_are_fetched_with_git_at_once_never_go_get():
    # vcs.go's vcsPaths: github.com and the like need no ?go-get=1 (the lab's github-direct
    # scenario shows the real go sending only git's requests).
    from goscope.core.gorules.routing import static_repo

    env = GoEnv.from_mapping({"GOPROXY": "direct", "GOSUMDB": "off"})
    route = predict_route(env, "github.com/google/go-cmp/cmp", "v0.6.0", package=True)
    urls = [s.url for s in route.steps if s.url]
    assert not any("go-get=1" in u for u in urls)
    assert "https://github.com/google/go-cmp/info/refs?service=git-upload-pack" in urls
    rejected = [s.what for s in route.steps if "go rejects it" in s.what]
    assert rejected == [
        "invalid github.com import path 'github.com/google': go rejects it",
        "invalid github.com import path 'github.com': go rejects it",
    ]
    assert static_repo("github.com/a/b.git") == (
        "",
        "",
        "invalid version control suffix in github.com path 'github.com/a/b.git'",
    )
    assert static_repo("git.corp.example.com/team/repo.git/sub") == (
        "git",
        "https://git.corp.example.com/team/repo",
        "git.corp.example.com/team/repo.git",
    )
    assert static_repo("example.com/mod/sub") is None  # asked ?go-get=1


def test_route_says_why_a_gonoproxy_paths_checksum_is_still_looked_up():
    env = GoEnv.from_mapping(
        {"GOPROXY": "https://proxy.golang.org,direct", "GONOPROXY": "c.example"}
    )
    route = predict_route(env, "c.example/x", "v1.0.0", private="c.example")
    note = next(s for s in route.steps if s.variable == "GONOSUMDB")
    assert (
        "GONOPROXY keeps c.example/x from the proxies, not from the checksum database" in note.what
    )
    assert any(s.leak and "sum.golang.org" in s.leak for s in route.steps)


def test_route_from_a_recording_judges_by_its_private_unless_the_command_line_says(tmp_path):
    # route --from took the recording's Go environment and dropped its --private: "no leak",
    # exit 0, for a run that report (and open, and diff) judge leaking.
    from .factories import tour_judged_by

    recording = tour_judged_by(tmp_path / "r.jsonl", "git.corp.example.com")

    def route(*flags: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "goscope", "route", "--json", "--from", str(recording),
             *flags, "git.corp.example.com/team/secret@v1.2.0"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    recorded = route()
    assert recorded.returncode == 1 and any(s["leak"] for s in json.loads(recorded.stdout)["steps"])
    assert recorded.stderr == ""
    # A recorded trusted host is read as judging reads it (`Old-Mirror.example.` is
    # old-mirror.example): route said LEAK where report said none.
    tour_judged_by(recording, "git.corp.example.com", ["OLD-MIRROR.example.", "Proxy.Golang.Org."])
    trusted = route()
    assert trusted.returncode == 0, trusted.stdout
    tour_judged_by(recording, "git.corp.example.com")
    other = route("--private", "other.example")  # the command line's word, said
    assert other.returncode == 0 and not any(s["leak"] for s in json.loads(other.stdout)["steps"])
    assert "--private 'other.example' (recorded: 'git.corp.example.com')" in other.stderr
