"""Every built-in lab scenario, run for real: go -x's trace is the oracle for goscope's report."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from urllib.parse import urlsplit

import pytest

from goscope.core.gorules.goenv import GoEnv
from goscope.core.gorules.goerrors import FINDING_FOR_KIND
from goscope.core.gorules.routing import predict_route
from goscope.core.outputs.report import report_from_recording
from goscope.core.traffic.classify import classify_request
from goscope.lab.scenario import load_scenario, scenario_names

from .e2e import TRACE_DONE, GoRun, goscope_run

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def goscope_home(tmp_path_factory):
    return tmp_path_factory.mktemp("home")


def run_scenario(
    name, tmp_path, go_binary, goscope_home, shared_gocache
) -> tuple[GoRun, object, dict]:
    scenario = load_scenario(name)
    with scenario.lab(tmp_path / "lab") as lab:
        env = scenario.go_env(lab, tmp_path, go_binary)
        env.update(
            GOSCOPE_HOME=str(goscope_home), GOCACHE=str(shared_gocache), PYTHONUNBUFFERED="1"
        )
        work = scenario.workspace(tmp_path)
        args = [a for r in lab.routes() for a in ("--route", r)]
        if scenario.private:
            args += ["--private", scenario.private]
        for host in scenario.trusted:
            args += ["--trusted", host]
        if scenario.guard:
            args.append("--guard")
        run = goscope_run(args, scenario.command, work, env, tmp_path)
        # What the lab's servers received: the guard's proof that nothing private did.
        for host, fragment in scenario.expect.never_reached:
            reached = [p for h, _, p in lab.log if h == host and fragment in p]
            assert reached == [], f"{host} received {reached}"
        if scenario.expect.never_reached:
            assert lab.log, "the lab received nothing at all: no proof"
    return run, scenario, env


def traced_hosts(run: GoRun, env: GoEnv | None = None) -> dict[tuple, list[str]]:
    """For each (module, version, endpoint) go fetched from a proxy: the hosts, in order
    (read with the run's GOPROXY: a base path go escapes is known only from it)."""
    hosts = defaultdict(list)
    for url, _ in TRACE_DONE.findall(run.stderr):
        c = classify_request("GET", url, env=env)
        if c.kind in ("proxy", "toolchain") or (c.kind, c.endpoint) == ("sumdb", "lookup"):
            hosts[(c.module, c.version, c.endpoint)].append(urlsplit(url).hostname)
        elif (c.kind, c.endpoint) == ("sumdb", "supported"):
            hosts[(c.sumdb, None, "supported")].append(urlsplit(url).hostname)
    return hosts


@pytest.mark.parametrize("name", scenario_names())
def test_scenario(name, tmp_path, go_binary, goscope_home, shared_gocache):
    run, scenario, env = run_scenario(name, tmp_path, go_binary, goscope_home, shared_gocache)
    expect = scenario.expect
    assert run.returncode == expect.exit, run.stderr[-3000:]
    for phrase in expect.stderr:
        assert phrase in run.stderr

    # Every `# get URL: STATUS` has its event, and go caused every event (git's own are
    # checked below: go -x shows the git commands, not their URLs).
    trace = sorted(run.trace())
    events = sorted((e["url"], e["status"]) for e in run.go_events() if e["client"] != "git")
    if not expect.traced:
        trace = sorted((url, status) for url, status in expect.requests)
    assert events == sorted((u, s) for u, s in trace), "events and go -x trace differ"
    if expect.no_events:
        assert run.events() == []
    # Every ?go-get=1 page of the lab carries a go-import tag: each is read, gzipped or not
    # (a gzipped page's tag went unread, and its path read as no module).
    for e in run.go_events():
        if e["endpoint"] == "go-get" and e["status"] == 200:
            assert e["repo"], e["url"]

    # Each fetch asked the same hosts, in the same order, as the trace shows.
    traced = traced_hosts(run, GoEnv.from_mapping(env))
    for fetch in run.report["fetches"]:
        if fetch["endpoint"] == "vcs":
            continue
        key = (fetch["module"], fetch["version"], fetch["endpoint"])
        asked = [a["host"] for a in fetch["attempts"] if a["proxy"] not in ("direct", "off")]
        if fetch["endpoint"] == "lookup":  # one attempt, maybe straight to the database
            asked = [a["host"] for a in fetch["attempts"]]
        if expect.traced:
            assert asked == traced[key], key

    served = defaultdict(set)
    for fetch in run.report["fetches"]:
        key = f"{fetch['module']}@{fetch['version']}" if fetch["version"] else fetch["module"]
        if fetch["kind"] != "sumdb":  # who served the module, not who knew its checksum
            served[key].add(fetch["served_by"] or fetch["result"])
        served[f"{key} {fetch['endpoint']}"].add(fetch["served_by"] or fetch["result"])
    for module, host in expect.served_by.items():
        assert served[module] == {host}, (module, served[module])

    def leak_keys(leaks):
        return {(x["module"], x["host"], x["kind"], x["severity"]) for x in leaks}

    assert leak_keys(run.report["leaks"]) == leak_keys(expect.leaks)
    blocked = {(x["module"], x["host"], x["kind"]) for x in run.report["leaks"] if x["blocked"]}
    assert blocked >= {(x["module"], x["host"], x["kind"]) for x in expect.blocked}
    if not scenario.guard:
        assert blocked == set()  # no guard, nothing blocked
    elif expect.blocked:  # the summary's count says so
        (headline,) = [line for line in run.stderr.splitlines() if line.startswith("goscope: ")]
        assert re.search(r"\d+ leaks? blocked|\(\d+ blocked\)", headline), headline
    assert [f["id"] for f in run.report["findings"]] == expect.findings

    # go's verdict is the final word: a failed command never counts 0 failures, and
    # every error go printed is tied to the requests behind it.
    report = run.report
    if run.returncode != 0:
        assert report["failed"] > 0, report["go_errors"]
    if expect.failed is not None:
        assert report["failed"] == expect.failed, report["go_errors"]
    finding_ids = {f["id"] for f in report["findings"]}
    for error in report["go_errors"]:
        tied = error["seqs"] or FINDING_FOR_KIND.get(error["kind"]) in finding_ids
        assert tied, error
    if expect.go_errors:
        assert [e["kind"] for e in report["go_errors"]] == expect.go_errors
    # A prefix probe's "no module here" is absent in the JSON, never failed (the summary
    # does not count it either).
    # (One go found and then refused, GOVCS, is rejected: the lookup's found module.)
    probes = [f["result"] for f in report["fetches"] if f["probe_of"]]
    assert all(r in ("served", "absent", "rejected") for r in probes), probes
    if expect.no_lookups:  # go did not look a module up: nothing is a probe
        assert report["lookups"] == [] and not any(f["probe_of"] for f in report["fetches"])
        assert "go looked for the module" not in run.stderr
    if expect.modules:  # a package path is no module of its own
        assert sorted({m["module"] for m in report["modules"]}) == sorted(expect.modules)
    found = {lk["path"]: lk["found"] for lk in report["lookups"]}
    assert found == expect.lookups or not expect.lookups, found
    verdicts = {f"{m['module']}@{m['version']}": m["checksum"] for m in report["modules"]}
    for module, verdict in expect.checksums.items():
        assert verdicts[module] == verdict, verdicts

    # `goscope route` predicted what go asked: each observed fetch asked the GOPROXY entries
    # the prediction names, in its order, up to where the fetch ended.
    # (For `go get`, only the probes: once a proxy found the module, go fetches its files
    # from that proxy, as modload's TryProxies wraps the whole query.)
    goenv = GoEnv.from_mapping(env)
    lookup = scenario.command[1] == "get"
    for fetch in report["fetches"]:
        if fetch["kind"] != "proxy" or (lookup and not fetch["probe_of"]):
            continue
        named = [a["proxy"] for a in fetch["attempts"] if a["proxy"] not in ("direct", "off")]
        if not all(goenv.proxy_list.indices_of_base(base) for base in named):
            assert scenario.name == "guard-mod-import", fetch
            continue  # a proxy a go-import tag named (`mod`): no GOPROXY step foretells it
        predicted = [
            s.host
            for s in predict_route(goenv, fetch["module"], fetch["version"]).steps
            if s.variable == "GOPROXY" and s.url and "/sumdb/" not in s.url
        ]
        asked = [a["host"] for a in fetch["attempts"] if a["proxy"] not in ("direct", "off")]
        assert asked == predicted[: len(asked)], (fetch["module"], asked, predicted)

    # Credentials: never in any output; for the netrc scenarios, said where they went.
    assert "lab-secret-1" not in run.stdout + run.stderr + json.dumps(report)
    kinds = {e["kind"] for e in run.events()}
    endpoints = {e["endpoint"] for e in run.events()}
    assert set(expect.kinds) <= kinds and set(expect.endpoints) <= endpoints


def test_direct_vcs_really_runs_git_through_goscope(
    tmp_path, go_binary, goscope_home, shared_gocache
):
    run, _, env = run_scenario("direct-vcs", tmp_path, go_binary, goscope_home, shared_gocache)
    assert run.returncode == 0, run.stderr[-3000:]
    git = [e for e in run.events() if e["client"] == "git"]
    assert {e["endpoint"] for e in git} == {"git-info-refs", "git-upload-pack"}
    assert all(e["host"] == "git.corp.example.com" and e["status"] == 200 for e in git)
    cached = (
        tmp_path
        / "gopath"
        / "pkg"
        / "mod"
        / "cache"
        / "download"
        / "git.corp.example.com"
        / "team"
        / "secret"
        / "@v"
    )
    assert (cached / "v1.2.0.zip").exists()
    goget = [e for e in run.events() if e["endpoint"] == "go-get"]
    assert goget and goget[0]["repo"] == "https://git.corp.example.com/team/secret.git"


def test_checksum_mismatch_points_at_the_tampered_zip(
    tmp_path, go_binary, goscope_home, shared_gocache
):
    run, _, _ = run_scenario("checksum-mismatch", tmp_path, go_binary, goscope_home, shared_gocache)
    assert "verifying module: checksum mismatch" in run.stderr
    (zip_event,) = [e for e in run.events() if e["endpoint"] == "zip"]
    assert (zip_event["host"], zip_event["status"], zip_event["module"]) == (
        "evil.example",
        200,
        "example.com/hello",
    )
    lookups = [e for e in run.events() if e["endpoint"] == "lookup"]
    assert lookups and lookups[0]["host"] == "sum.golang.org" and lookups[0]["status"] == 200


def test_sumdb_scenarios_show_supported_lookup_and_tile(
    tmp_path, go_binary, goscope_home, shared_gocache
):
    run, _, _ = run_scenario("fallthrough", tmp_path, go_binary, goscope_home, shared_gocache)
    supported = [(e["host"], e["status"]) for e in run.go_events() if e["endpoint"] == "supported"]
    # go asks each proxy in turn whether it proxies the database, then goes direct.
    assert supported == [("old.example", 404), ("gone.example", 410), ("goproxy.example", 404)]
    assert {e["endpoint"] for e in run.events() if e["kind"] == "sumdb"} == {
        "supported",
        "lookup",
        "tile",
    }


def test_doctor_findings_point_at_the_requests_that_prove_them(
    tmp_path, go_binary, goscope_home, shared_gocache
):
    run, _, _ = run_scenario("sumdb-leak", tmp_path, go_binary, goscope_home, shared_gocache)
    (finding,) = run.report["findings"]
    assert (
        finding["id"] == "sumdb-not-private"
        and finding["fix"] == "go env -w GOPRIVATE=git.corp.example.com"
    )
    by_seq = {e["seq"]: e for e in run.events()}
    proof = [by_seq[s] for s in finding["evidence"]]
    assert proof and all(e["endpoint"] == "lookup" and e["host"] == "sum.golang.org" for e in proof)


def test_a_base_path_mirror_proxies_the_checksum_database(
    tmp_path, go_binary, goscope_home, shared_gocache
):
    run, _, _ = run_scenario("mirrors", tmp_path, go_binary, goscope_home, shared_gocache)
    assert run.returncode == 0, run.stderr[-3000:]
    sumdb = [e for e in run.go_events() if e["kind"] == "sumdb"]
    # Every probe after `|` falls through, then the mirror answers 200 and carries all lookups.
    probes = [(e["host"], e["status"]) for e in sumdb if e["endpoint"] == "supported"]
    assert probes == [
        ("reset.example", 502),
        ("forbidden.example", 403),
        ("down.example", 503),
        ("mirror.example", 200),
    ]
    lookups = [e for e in sumdb if e["endpoint"] in ("lookup", "tile")]
    assert lookups and all(e["proxy"] == "https://mirror.example/goproxy" for e in lookups)
    assert all(e["host"] == "mirror.example" for e in lookups)
    zips = [e for e in run.events() if e["endpoint"] == "zip" and e["status"] == 200]
    assert {e["proxy"] for e in zips} == {"https://mirror.example/goproxy"}


@pytest.mark.parametrize(
    ("name", "sent", "problem"),
    [
        ("netrc-ok", "sent on the first request", None),
        ("netrc-login-only", "never sent", "has no password"),
        ("netrc-port", "never sent", "go looks credentials up by host:port"),
    ],
)
def test_the_credentials_view_says_why(
    name, sent, problem, tmp_path, go_binary, goscope_home, shared_gocache
):
    run, _, _ = run_scenario(name, tmp_path, go_binary, goscope_home, shared_gocache)
    (host,) = run.report["credentials"]
    assert host["host"].startswith("goproxy.corp.example")
    if problem is None:
        assert host["sent_first"] > 0 and host["problems"] == []
        assert host["source"] == ".netrc entry for goproxy.corp.example (GOAUTH=netrc)"
    else:
        assert host["sent_first"] == host["sent_on_retry"] == 0 and host["refused"] == 2
        assert any(problem in p for p in host["problems"]), host["problems"]
        assert sent in run.stderr and problem in run.stderr


@pytest.mark.parametrize("name", ["netrc-login-only", "netrc-ok"])
def test_report_of_the_recording_says_of_credentials_what_the_run_said(
    name, tmp_path, go_binary, goscope_home, shared_gocache
):
    # The run read the .netrc; `goscope report` of its recording read none (another
    # machine, another user): "source: GOAUTH=netrc (no .netrc read)" and no problem, where
    # the run had said the entry has no password. The end line keeps what was read of it.
    scenario = load_scenario(name)
    with scenario.lab(tmp_path / "lab") as lab:
        env = scenario.go_env(lab, tmp_path, go_binary)
        env.update(GOSCOPE_HOME=str(goscope_home), GOCACHE=str(shared_gocache))
        args = [a for r in lab.routes() for a in ("--route", r)]
        args += ["--jsonl", str(tmp_path / "r.jsonl")]
        run = goscope_run(args, scenario.command, scenario.workspace(tmp_path), env, tmp_path)
    (tmp_path / "netrc").unlink()  # reopened where that file is not
    again = report_from_recording(str(tmp_path / "r.jsonl")).to_dict()
    assert again["credentials"] == run.report["credentials"] != []
    assert "lab-secret-1" not in (tmp_path / "r.jsonl").read_text()
