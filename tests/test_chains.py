"""Fallback chains follow TryProxies: `,` falls through on 404/410 only, `|` on any error."""

from __future__ import annotations

import pytest

from goscope.core.gorules.goenv import GoEnv
from goscope.core.traffic.chains import ChainTracker, build_chains

from .factories import event

A = "https://a.example"
B = "https://b.example"
MOD = "example.com/lib/@v/v1.0.0.info"


def env_of(goproxy, **more):
    return GoEnv.from_mapping({"GOPROXY": goproxy, **more})


def fetch(env, *answers):
    """One .info fetch answered by each proxy in turn: (base, status, error)."""
    events = [event(f"{base}/{MOD}", status, error, env=env) for base, status, error in answers]
    chains = build_chains(events, env)
    assert len(chains) == 1, [c.to_dict() for c in chains]
    return chains[0]


def outcomes(chain):
    return [(a.host, a.outcome) for a in chain.attempts]


@pytest.mark.parametrize(
    ("sep", "status", "error", "first", "result"),
    [
        (",", 404, None, "fell-through", "served"),
        (",", 410, None, "fell-through", "served"),
        (",", 500, None, "stopped", "failed"),
        (",", 502, "connection refused", "stopped", "failed"),
        (",", 403, None, "stopped", "failed"),
        ("|", 404, None, "fell-through", "served"),
        ("|", 503, None, "fell-through", "served"),
        ("|", 502, "connection reset by peer", "fell-through", "served"),
    ],
)
def test_outcome_table(sep, status, error, first, result):
    env = env_of(f"{A}{sep}{B}")
    answers = [(A, status, error)]
    if first == "fell-through":
        answers.append((B, 200, None))
    chain = fetch(env, *answers)
    assert chain.attempts[0].outcome == first
    assert chain.attempts[0].separator == sep
    assert chain.result == result
    assert chain.served_by == ("b.example" if result == "served" else None)


def test_last_entry_fails_and_the_chain_fails():
    env = env_of(f"{A},{B}")
    chain = fetch(env, (A, 404, None), (B, 410, None))
    assert outcomes(chain) == [("a.example", "fell-through"), ("b.example", "failed")]
    assert chain.result == "failed"


def test_auth_retry_is_one_attempt_not_two():
    # web/http.go asks an https URL again after any 4xx, with GOAUTH credentials.
    env = env_of(f"{A},{B}")
    url = f"{A}/{MOD}"
    events = [event(url, 404, env=env), event(url, 404, env=env), event(f"{B}/{MOD}", 200, env=env)]
    chains = build_chains(events, env)
    assert len(chains) == 1
    chain = chains[0]
    assert outcomes(chain) == [("a.example", "fell-through"), ("b.example", "served")]
    assert chain.attempts[0].auth_retry and chain.attempts[0].seqs == (events[0].seq, events[1].seq)
    assert events[1].auth_retry and not events[0].auth_retry


def test_auth_retry_that_succeeds_serves_the_fetch():
    env = env_of(f"{A},{B}")
    url = f"{A}/{MOD}"
    chain = build_chains([event(url, 401, env=env), event(url, 200, env=env)], env)[0]
    assert outcomes(chain) == [("a.example", "served")] and chain.attempts[0].auth_retry


def test_fall_through_to_direct_is_served_by_the_vcs():
    env = env_of(f"{A},direct")
    events = [
        event(f"{A}/vcs.example/team/lib/@v/v1.0.0.info", 404, env=env),
        event(f"{A}/vcs.example/team/lib/@v/v1.0.0.info", 404, env=env),
        event(
            "https://vcs.example/team/lib?go-get=1",
            200,
            env=env,
            repo="https://vcs.example/team/lib.git",
        ),
        event("https://vcs.example/team/lib.git/info/refs?service=git-upload-pack", 200, env=env),
        event("https://vcs.example/team/lib.git/git-upload-pack", 200, method="POST", env=env),
        # The .mod then falls through too; go already has the repository.
        event(f"{A}/vcs.example/team/lib/@v/v1.0.0.mod", 404, env=env),
        event(f"{A}/vcs.example/team/lib/@v/v1.0.0.mod", 404, env=env),
    ]
    info, mod = build_chains(events, env)
    assert outcomes(info) == [("a.example", "fell-through"), ("vcs.example", "served")]
    assert info.served_by == "direct" and info.attempts[1].proxy == "direct"
    assert info.attempts[1].seqs == tuple(e.seq for e in events[2:5])
    assert mod.result == "served" and mod.served_by == "direct"


def test_direct_without_traffic_is_unknown_at_the_end():
    env = env_of(f"{A},direct")
    chain = fetch(env, (A, 404, None))
    assert outcomes(chain)[-1] == ("direct", "unknown") and chain.result == "unknown"


def test_gonoproxy_modules_get_a_direct_only_chain():
    env = env_of(f"{A},direct", GOPRIVATE="vcs.example")
    events = [
        event("https://vcs.example/team/lib?go-get=1", 200, env=env),
        event("https://vcs.example/team/lib.git/info/refs?service=git-upload-pack", 200, env=env),
    ]
    (chain,) = build_chains(events, env)
    assert (chain.module, chain.endpoint, chain.result, chain.served_by) == (
        "vcs.example/team/lib",
        "vcs",
        "served",
        "direct",
    )


def test_off_after_a_404_fails_with_the_reason():
    env = env_of(f"{A},off")
    chain = fetch(env, (A, 404, None))
    assert outcomes(chain) == [("a.example", "fell-through"), ("off", "failed")]
    assert "GOPROXY=off" in chain.attempts[1].error and chain.result == "failed"


def test_a_second_fetch_of_the_same_file_is_a_new_chain():
    env = env_of(f"{A},{B}")
    events = [event(f"{A}/{MOD}", 200, env=env), event(f"{A}/{MOD}", 200, env=env)]
    assert len(build_chains(events, env)) == 2


def test_without_env_order_tells_the_story():
    chain = fetch(None, (A, 502, "connection reset by peer"), (B, 200, None))
    assert outcomes(chain) == [("a.example", "fell-through"), ("b.example", "served")]
    assert chain.attempts[0].separator == "|"  # only | falls through on an error
    lone = fetch(None, (A, 404, None))
    assert lone.result == "failed"


def test_tracker_reports_which_chain_each_event_changed():
    env = env_of(f"{A},{B}")
    tracker = ChainTracker(env)
    first = event(f"{A}/{MOD}", 404, env=env)
    (chain,) = tracker.add(first)
    assert chain.result == "pending" and tracker.chain_for(first.seq, chain.key) is chain
    assert tracker.add(event("https://example.com/", 200)) == []


def test_a_later_vcs_failure_does_not_rewrite_a_served_fetch():
    env = env_of(f"{A},direct")
    events = [
        event(f"{A}/vcs.example/team/lib/@v/v1.0.0.info", 404, env=env),
        event("https://vcs.example/team/lib.git/info/refs?service=git-upload-pack", 200, env=env),
        # Much later the repository fails for another fetch.
        event("https://vcs.example/team/lib.git/info/refs?service=git-upload-pack", 500, env=env),
    ]
    info, later = build_chains(events, env)
    assert (info.result, info.served_by, info.attempts[-1].status) == ("served", "direct", 200)
    assert (later.endpoint, later.result, later.attempts[-1].status) == ("vcs", "failed", 500)


def test_repeated_vcs_failures_do_not_duplicate_chains():
    env = env_of(f"{A},direct")
    tracker = ChainTracker(env)
    tracker.add(event(f"{A}/vcs.example/team/lib/@v/v1.0.0.info", 404, env=env))
    for _ in range(5):
        changed = tracker.add(event("https://vcs.example/team/lib?go-get=1", 401, env=env))
        assert len(changed) == 1
    assert len(tracker.chains) == 1 and tracker.chains[0].result == "failed"


def redirected(env, first_status, blob_status, retry=False):
    zip_url = f"{A}/example.com/lib/@v/v1.0.0.zip"
    blob = "https://blobs.example/lib.zip"
    events = []
    for n in range(2 if retry else 1):
        origin = event(zip_url, first_status, env=env, flags=["redirect"], auth_retry=n > 0)
        hop = event(blob, blob_status, env=env, redirected_from=origin.seq)
        hop.kind, hop.endpoint, hop.module, hop.version, hop.proxy = (
            "proxy",
            "zip",
            "example.com/lib",
            "v1.0.0",
            A,
        )
        events += [origin, hop]
    return build_chains(events, env)


def test_a_redirect_is_one_attempt_judged_by_the_final_answer():
    env = env_of(f"{A},direct")
    (served,) = redirected(env, 302, 200)
    (attempt,) = served.attempts
    assert served.result == "served" and served.served_by == "a.example"
    assert attempt.hops == (("blobs.example", 200),) and attempt.redirect_status == 302
    (blocked,) = redirected(env, 302, 403, retry=True)
    attempt = blocked.attempts[0]
    assert blocked.result == "failed" and attempt.outcome == "stopped"
    assert attempt.auth_retry and len(attempt.seqs) == 4  # go's retry walks the redirect again
    assert blocked.never_asked == ("direct",)
    from goscope.core.traffic.explain import chain_line, explain_attempt

    assert chain_line(blocked) == "a.example 302 → blobs.example 403"
    assert "go reports it as 403 from a.example's URL" in explain_attempt(attempt)


def test_a_redirect_never_followed_is_unknown():
    env = env_of(A)
    zip_url = f"{A}/example.com/lib/@v/v1.0.0.zip"
    chain = build_chains([event(zip_url, 307, env=env, flags=["redirect"])], env)[0]
    assert chain.result == "unknown"


def test_negative_caching_is_told():
    env = env_of(f"{A},{B}")
    gone = event(f"{A}/{MOD}", 404, env=env, response_headers=[["Cache-Control", "max-age=1800"]])
    chain = build_chains([gone, event(f"{B}/{MOD}", 200, env=env)], env)[0]
    from goscope.core.traffic.explain import explain_attempt

    assert chain.attempts[0].not_found_for_s == 1800
    assert "for 30 minutes" in explain_attempt(chain.attempts[0])


def test_the_checksum_database_walk_is_a_chain():
    env = env_of(f"{A},{B},direct")
    events = [
        event(f"{A}/sumdb/sum.golang.org/supported", 404, env=env),
        event(f"{B}/sumdb/sum.golang.org/supported", 410, env=env),
        event("https://sum.golang.org/lookup/example.com/lib@v1.0.0", 200, env=env),
    ]
    walk, lookup = build_chains(events, env)
    assert (walk.endpoint, walk.result, walk.served_by) == ("supported", "served", "direct")
    assert [a.outcome for a in walk.attempts] == ["fell-through", "fell-through", "served"]
    assert (lookup.module, lookup.version, lookup.result) == ("example.com/lib", "v1.0.0", "served")
    proxied = build_chains([event(f"{A}/sumdb/sum.golang.org/supported", 200, env=env)], env)[0]
    assert (proxied.result, proxied.served_by) == ("served", "a.example")


def test_prefix_probes_form_one_lookup_and_their_404s_are_no_failure():
    from goscope.core.traffic.lookups import find_lookups
    from goscope.core.traffic.verdicts import failures

    env = env_of(A)
    paths = ["example.com/!mod/sub/pkg", "example.com/!mod/sub", "example.com"]
    events = [event(f"{A}/{p}/@v/list", 404, env=env) for p in paths]
    events.append(event(f"{A}/example.com/!mod/@v/list", 200, env=env))
    chains = build_chains(events, env)
    (lookup,) = find_lookups(chains)
    assert lookup.path == "example.com/Mod/sub/pkg" and lookup.found.module == "example.com/Mod"
    assert len(failures(chains, [])) == 0
    # The same 404 for a lone module path is a failure.
    alone = build_chains([event(f"{A}/example.com/x/@v/list", 404, env=env)], env)
    assert len(failures(alone, [])) == 1


def direct_lookup(env, git_status):
    """go get vcs.example/team/tools/cmd/x direct: ?go-get=1 for each prefix; the meta tag
    is found at team/tools, whose repository git then asks for."""
    repo = "https://vcs.example/team/tools.git"
    events = [
        event("https://vcs.example/team/tools/cmd/x?go-get=1", 404, env=env),
        event("https://vcs.example/team/tools/cmd?go-get=1", 404, env=env),
        event("https://vcs.example/team/tools?go-get=1", 200, env=env, repo=repo),
        event("https://vcs.example/team?go-get=1", 404, env=env),
        event("https://vcs.example?go-get=1", 404, env=env),
        event(f"{repo}/info/refs?service=git-upload-pack", git_status, env=env),
    ]
    return build_chains(events, env)


def test_a_direct_prefix_probes_404_is_no_failure_when_go_found_the_module():
    # modfetch/repo.go lookupDirect: a failed ?go-get=1 is notExistError, as a proxy's 404
    # is to queryPrefixModules. go get of a GOPRIVATE package said "1 failed" while go got it.
    from goscope.core.traffic.lookups import find_lookups
    from goscope.core.traffic.verdicts import failures

    env = env_of(f"{A},direct", GOPRIVATE="vcs.example")
    chains = direct_lookup(env, 200)
    (lookup,) = find_lookups(chains)
    assert lookup.path == "vcs.example/team/tools/cmd/x"
    assert lookup.found is not None and lookup.found.module == "vcs.example/team/tools"
    assert len(failures(chains, [], exit_code=0)) == 0
    served = [c for c in chains if c.result == "served"]
    assert [c.module for c in served] == ["vcs.example/team/tools"]
    assert served[0].attempts[-1].url.endswith("/info/refs?service=git-upload-pack")


def test_a_git_failure_after_the_meta_tag_is_a_failure_not_a_probe():
    # The meta tag named a repository and git failed: an error queryPrefixModules fails on,
    # not "no module here". The prefixes' 404s above it stay answers.
    from goscope.core.traffic.verdicts import failures

    env = env_of(f"{A},direct", GOPRIVATE="vcs.example")
    chains = direct_lookup(env, 403)
    failed = failures(chains, [], exit_code=1).chains
    assert [(c.module, c.attempts[-1].status) for c in failed] == [("vcs.example/team/tools", 403)]


def test_a_meta_404_alone_is_the_lookups_failure():
    from goscope.core.traffic.verdicts import failures

    env = env_of(f"{A},direct", GOPRIVATE="vcs.example")
    events = [
        event("https://vcs.example/team/gone?go-get=1", 404, env=env),
        event("https://vcs.example/team?go-get=1", 404, env=env),
        event("https://vcs.example?go-get=1", 404, env=env),
    ]
    failed = failures(build_chains(events, env), [], exit_code=1).chains
    assert [c.module for c in failed] == ["vcs.example/team/gone"]


GIT_REFS = "https://vcs.example/team/tools.git/info/refs?service=git-upload-pack"


def test_a_meta_tag_for_a_package_path_is_no_module_go_found():
    # go get vcs.example/team/tools/lint: the forge answers lint's ?go-get=1 with the
    # repository's tag (prefix team/tools), go verifies the prefix and git asks the root.
    # goscope named lint the module found, served by direct ("2 modules").
    from goscope.core.traffic.lookups import find_lookups
    from goscope.core.traffic.verdicts import failures, module_fetches

    env = env_of(f"{A},direct", GOPRIVATE="vcs.example")
    repo = "https://vcs.example/team/tools.git"
    events = [
        event("https://vcs.example/team/tools/lint?go-get=1", 200, env=env, repo=repo),
        event("https://vcs.example/team/tools?go-get=1", 200, env=env, repo=repo),
        event("https://vcs.example/team?go-get=1", 404, env=env),
        event("https://vcs.example?go-get=1", 404, env=env),
        event(GIT_REFS, 200, env=env),
    ]
    chains = build_chains(events, env)
    (lookup,) = find_lookups(chains)
    assert lookup.found is not None and lookup.found.module == "vcs.example/team/tools"
    assert len(failures(chains, [], exit_code=0)) == 0
    assert "vcs.example/team/tools" in {c.module for c in module_fetches(chains)}


def test_a_go_get_page_without_a_meta_tag_finds_nothing():
    # A login page answered 200 to ?go-get=1, no go-import tag: "no go-import meta tags",
    # not found to go (vcs.go, modfetch/repo.go lookupDirect). It read "served by direct".
    from goscope.core.traffic.lookups import find_lookups

    env = env_of(f"{A},direct", GOPRIVATE="vcs.example")
    repo = "https://vcs.example/team/tools.git"
    events = [
        event("https://vcs.example/team/tools?go-get=1", 200, env=env, repo=repo),
        event("https://vcs.example/team?go-get=1", 200, env=env),
        event("https://vcs.example?go-get=1", 200, env=env),
        event(GIT_REFS, 200, env=env),
    ]
    chains = build_chains(events, env)
    served = sorted(c.module for c in chains if c.result == "served")
    assert served == ["vcs.example/team/tools"]
    (lookup,) = find_lookups(chains)
    assert lookup.found is not None and lookup.found.module == "vcs.example/team/tools"
    # And a tag on a page that is not 200 OK is found, as go accepts it (web/http.go).
    (chain,) = build_chains(
        [event("https://vcs.example/team/x?go-get=1", 404, env=env, repo=repo)], env
    )
    assert chain.result == "served"


def test_git_failing_after_the_meta_tag_is_one_fetch_failed_not_served_and_failed():
    # It read "served by direct" in Fetches and failed in Failures, as two chains.
    env = env_of(f"{A},direct", GOPRIVATE="vcs.example")
    repo = "https://vcs.example/team/tools.git"
    events = [
        event("https://vcs.example/team/tools?go-get=1", 200, env=env, repo=repo),
        event(GIT_REFS, 403, env=env),
    ]
    (chain,) = build_chains(events, env)
    assert (chain.result, chain.attempts[-1].status) == ("failed", 403)


@pytest.mark.parametrize(
    ("git_status", "line", "failed_modules"),
    [
        # git failed: go's one error is the repository's, not the prefixes' 404s ("3 failed").
        (
            403,
            "go: module vcs.example/team/tools: git ls-remote -q origin in /tmp/x: exit status"
            " 128:\n\tfatal: unable to access 'https://vcs.example/team/tools.git/': The"
            " requested URL returned error: 403",
            ["vcs.example/team/tools"],
        ),
        # An unknown version of a module git served: go's error, not the 404 probes' (it
        # read "2 failed", the probes).
        (
            200,
            "go: vcs.example/team/tools@v9.9.9: invalid version: unknown revision v9.9.9",
            [],
        ),
    ],
)
def test_gos_error_is_tied_to_the_fetch_it_is_about_not_the_prefix_probes(
    git_status, line, failed_modules
):
    from goscope.core.gorules.goerrors import parse_go_output
    from goscope.core.traffic.verdicts import failures, link_errors

    env = env_of(f"{A},direct", GOPRIVATE="vcs.example")
    repo = "https://vcs.example/team/tools.git"
    events = [
        event("https://vcs.example/team/tools?go-get=1", 200, env=env, repo=repo),
        event("https://vcs.example/team?go-get=1", 404, env=env),
        event("https://vcs.example?go-get=1", 404, env=env),
        event(GIT_REFS, git_status, env=env),
    ]
    chains = build_chains(events, env)
    errors = parse_go_output(line.split("\n"))
    assert errors
    link_errors(errors, chains, env)
    found = failures(chains, errors, exit_code=1)
    assert [c.module for c in found.chains] == failed_modules
    assert len(found) == 1  # one error, one failure


def test_a_mod_only_module_gets_the_same_checksum_verdict_live_and_reported():
    # go checks a go.mod against go.sum (or the database) as it does a zip (fetch.go
    # checkGoMod): a module whose .mod alone was fetched has a verdict, in the live TUI too
    # (with go in another terminal the session never "finishes": time decides).
    from goscope.core.outputs.report import build_report
    from goscope.core.view.session import Session

    env = GoEnv.from_mapping({"GOPROXY": "https://proxy.golang.org"})
    events = [
        event("https://proxy.golang.org/example.com/a/@v/v1.0.0.mod", 200, env=env, seq=1),
        event("https://proxy.golang.org/example.com/b/@v/v1.0.0.mod", 200, env=env, seq=2),
    ]
    report = build_report(events, env, exit_code=0)
    reported = {m["module"]: m["checksum"] for m in report.modules()}
    assert reported == {"example.com/a": "go.sum", "example.com/b": "go.sum"}
    session = Session(env)
    for e in events:  # started long ago, as a recording's or a quiet terminal's
        session.add(e)
    assert not session.finished
    assert {r.module: r.checksum for r in session.modules()} == reported


def test_fetch_records_keep_rare_fields_apart_and_say_what_they_said():
    # A million-event session holds 600,000 of each (core/traffic/fetch.py): an attempt of
    # one plain answer keeps no rare record and no tuple; readers and the JSON see the same.
    from goscope.core.traffic.fetch import Attempt, FallbackChain

    attempt = Attempt("proxy.golang.org", "https://proxy.golang.org", "u", 200, seqs=(7,))
    assert attempt._rare is None and attempt._seqs == 7
    assert attempt.seqs == (7,) and attempt.has_seq(7) and not attempt.has_seq(8)
    attempt.error, attempt.hops, attempt.blocked = None, (), False  # defaults: still none
    assert attempt._rare is None
    assert list(attempt.to_dict()) == [
        "host",
        "proxy",
        "url",
        "status",
        "error",
        "outcome",
        "auth_retry",
        "separator",
        "seqs",
        "hops",
        "redirecting",
        "redirect_status",
        "not_found_for_s",
        "blocked",
    ]
    attempt.error = "boom"
    attempt.seqs = (7, 9)
    assert attempt._rare is not None and attempt.to_dict()["error"] == "boom"
    assert attempt.seqs == (7, 9) and attempt.has_seq(9)

    chain = FallbackChain(3, "m.example/x", "v1.0.0", "zip", attempts=(attempt,))
    assert chain._rare is None and chain.key == ("m.example/x", "v1.0.0", "zip")
    assert (chain.module, chain.version, chain.endpoint) == chain.key
    chain.result = "failed"
    chain.probe_of = "m.example/x/pkg"
    assert not chain.failed  # a probe's "not found" is expected...
    chain.go_errors = ("go: m.example/x/pkg: no matching versions",)
    assert chain.failed  # ...unless go said it failed
    data = chain.to_dict()
    assert list(data) == [
        "id",
        "module",
        "version",
        "endpoint",
        "kind",
        "attempts",
        "result",
        "served_by",
        "never_asked",
        "rejected",
        "go_errors",
        "probe_of",
    ]
    assert data["go_errors"] == ["go: m.example/x/pkg: no matching versions"]
    assert data["attempts"] == [attempt.to_dict()]


# -- direct lookups, second round (from a re-attack and a second read; each failed) -----
LINT = "https://vcs.example/team/tools/lint?go-get=1"
TOOLS = "https://vcs.example/team/tools?go-get=1"
REPO = "https://vcs.example/team/tools.git"


def direct_env():
    return env_of(f"{A},direct", GOPRIVATE="vcs.example")


def test_git_refusing_the_repository_fails_every_path_whose_tag_named_it():
    # go get …/tools/lint, git 403: lint's own ?go-get=1 chain read "served by direct" and
    # the lookup "found lint", beside the 403 under Failures.
    env = direct_env()
    events = [
        event(LINT, 200, env=env, repo=REPO),
        event(TOOLS, 200, env=env, repo=REPO),
        event(GIT_REFS, 403, env=env),
    ]
    chains = build_chains(events, env)
    assert {c.module: c.result for c in chains} == {
        "vcs.example/team/tools/lint": "failed",
        "vcs.example/team/tools": "failed",
    }


def test_a_meta_tag_found_again_after_git_failed_does_not_undo_the_failure():
    # A late lint?go-get=1 (and go's check of the tag's prefix) after git's 403 read
    # "served", and go's error fell on a prefix's 404.
    from goscope.core.gorules.goerrors import parse_go_output
    from goscope.core.traffic.verdicts import failures, link_errors

    env = direct_env()
    events = [
        event(TOOLS, 200, env=env, repo=REPO),
        event("https://vcs.example/team?go-get=1", 404, env=env),
        event(GIT_REFS, 403, env=env),
        event(LINT, 200, env=env, repo=REPO),
        event(TOOLS, 200, env=env, repo=REPO),
    ]
    chains = build_chains(events, env)
    assert all(c.result == "failed" for c in chains), [(c.module, c.result) for c in chains]
    errors = parse_go_output(
        [
            "go: module vcs.example/team/tools/lint: git ls-remote -q origin in /x: exit status"
            " 128:",
            f"\tfatal: unable to access '{REPO}/': The requested URL returned error: 403",
        ]
    )
    from goscope.core.traffic.lookups import find_lookups

    find_lookups(chains, True)  # go get probes (as the judge says of its command)
    link_errors(errors, chains, env)
    found = failures(chains, errors, exit_code=1)
    assert len(found) == 1 and found.chains[0].attempts[-1].status == 403, found


def test_a_package_paths_tag_is_no_second_module_when_go_names_the_one_it_added():
    from goscope.core.traffic.lookups import find_lookups
    from goscope.core.traffic.verdicts import module_groups

    env = direct_env()
    events = [
        event(LINT, 200, env=env, repo=REPO),
        event(TOOLS, 200, env=env, repo=REPO),
        event("https://vcs.example/team?go-get=1", 404, env=env),
        event("https://vcs.example?go-get=1", 404, env=env),
        event(GIT_REFS, 200, env=env),
    ]
    chains = build_chains(events, env)
    (lookup,) = find_lookups(chains, True, modules=frozenset({"vcs.example/team/tools"}))
    assert lookup.found.module == "vcs.example/team/tools"
    assert [m for m, _ in module_groups(chains)] == ["vcs.example/team/tools"]


def test_a_nested_module_go_named_is_the_one_found_and_none_vanishes_unnamed():
    from goscope.core.traffic.lookups import find_lookups
    from goscope.core.traffic.verdicts import module_groups

    env = direct_env()
    repo = "https://vcs.example/sdk.git"
    asks = ["https://vcs.example/sdk/s3/pkg?go-get=1", "https://vcs.example/sdk/s3?go-get=1"]
    asks.append("https://vcs.example/sdk?go-get=1")
    events = [event(u, 200, env=env, repo=repo) for u in asks]
    events.append(event(f"{repo}/info/refs?service=git-upload-pack", 200, env=env))
    chains = build_chains(events, env)
    (lookup,) = find_lookups(chains, True, modules=frozenset({"vcs.example/sdk/s3"}))
    assert lookup.found.module == "vcs.example/sdk/s3"  # go said: added …/sdk/s3
    # Not named by go (go mod tidy of two nested modules): every served one stays a module.
    chains = build_chains(events, env)
    find_lookups(chains, True)
    assert {"vcs.example/sdk", "vcs.example/sdk/s3"} <= {m for m, _ in module_groups(chains)}


def test_a_git_failure_at_a_shorter_path_than_the_module_found_is_ignored_as_go_ignores_it():
    # queryPrefixModules (golang.org/issue/34094): a forge guessing grp/sub is a project,
    # git 401 there, the module found at grp/sub/mod: go exits 0; goscope said "1 failed".
    from goscope.core.traffic.lookups import find_lookups
    from goscope.core.traffic.verdicts import failures

    env = env_of(f"{A},direct", GOPRIVATE="gl.corp")
    sub = "https://gl.corp/grp/sub.git"
    mod = "https://gl.corp/grp/sub/mod.git"
    events = [
        event("https://gl.corp/grp/sub/mod/pkg?go-get=1", 200, env=env, repo=mod),
        event("https://gl.corp/grp/sub/mod?go-get=1", 200, env=env, repo=mod),
        event("https://gl.corp/grp/sub?go-get=1", 200, env=env, repo=sub),
        event("https://gl.corp/grp?go-get=1", 404, env=env),
        event("https://gl.corp?go-get=1", 404, env=env),
        event(f"{mod}/info/refs?service=git-upload-pack", 200, env=env),
        event(f"{sub}/info/refs?service=git-upload-pack", 401, env=env),
    ]
    chains = build_chains(events, env)
    find_lookups(chains, True)
    assert len(failures(chains, [], exit_code=0)) == 0


def test_a_redirected_go_get_is_answered_where_it_led():
    # A vanity host's 301 from /tools to /tools/: web.Get follows it. The 301 read
    # "failed" (no tag) and the page with the tag was dropped.
    env = env_of("direct", GOPRIVATE="go.corp.example")
    origin = event("https://go.corp.example/tools?go-get=1", 301, env=env, flags=["redirect"])
    hop = event(
        "https://go.corp.example/tools/?go-get=1",
        200,
        env=env,
        repo="https://git.corp.example/tools.git",
        redirected_from=origin.seq,
    )
    hop.kind, hop.endpoint, hop.module = origin.kind, origin.endpoint, origin.module
    git = event(
        "https://git.corp.example/tools.git/info/refs?service=git-upload-pack", 200, env=env
    )
    (chain,) = build_chains([origin, hop, git], env)
    assert (chain.module, chain.result) == ("go.corp.example/tools", "served")


def test_a_served_proxy_probe_go_did_not_name_stays_a_module():
    # go get example.com/Nest/sub/pkg with Nest's zip cached: go printed only "added
    # …/Nest/sub", and Nest (its list 200, its checksum verified) read "absent", dropped
    # from the modules while its row said served.
    from goscope.core.traffic.lookups import find_lookups
    from goscope.core.traffic.verdicts import absent_probe, module_groups

    env = env_of(A)
    paths = [
        "example.com/!nest/sub/pkg",
        "example.com/!nest/sub",
        "example.com/!nest",
        "example.com",
    ]
    status = {"example.com/!nest/sub": 200, "example.com/!nest": 200}
    events = [event(f"{A}/{p}/@v/list", status.get(p, 404), env=env) for p in paths]
    chains = build_chains(events, env)
    (lookup,) = find_lookups(chains, True, modules=frozenset({"example.com/Nest/sub"}))
    assert lookup.found.module == "example.com/Nest/sub"
    nest = next(c for c in chains if c.module == "example.com/Nest")
    assert not absent_probe(nest)
    assert {"example.com/Nest", "example.com/Nest/sub"} <= {m for m, _ in module_groups(chains)}


def test_a_repository_of_many_modules_loads_in_linear_work(monkeypatch):
    # 4,000 modules of one repository took 26 s to load: every git request walked every
    # fetch that had named the repository, and a list's `in` compared chains field by field.
    from goscope.core.traffic.chains import ChainTracker
    from goscope.core.traffic.fetch import FallbackChain

    env = env_of(f"{A},direct")
    repo = "https://vcs.example/team/mono.git"
    events = []
    for i in range(300):
        module = f"vcs.example/team/mono/m{i}"
        events.append(event(f"{A}/{module}/@v/v1.0.0.info", 404, env=env))
        events.append(event(f"https://{module}?go-get=1", 200, env=env, repo=repo))
        events.append(event(f"{repo}/info/refs?service=git-upload-pack", 200, env=env))
    copies = 0
    copy = ChainTracker._copy_direct

    def counted(attempt, state):
        nonlocal copies
        copies += 1
        copy(attempt, state)

    monkeypatch.setattr(ChainTracker, "_copy_direct", staticmethod(counted))
    monkeypatch.setattr(FallbackChain, "__eq__", lambda self, other: pytest.fail("compared"))
    chains = build_chains(events, env)
    assert all(c.result == "served" for c in chains)
    assert copies < 10 * 300, copies  # linear: it was about 300² / 2


def test_a_go_get_redirected_to_a_proxys_request_keeps_its_hop_and_its_fetch():
    # A private host's ?go-get=1 page sent go (web.Get follows it) to a public proxy's
    # `…/@v/list`. The target is judged as what it asks (a leak; redirects.py), and the
    # chains dropped it: the 302 awaited a hop that never came, so the fetch go failed
    # ("no go-import meta tags" in the proxy's text answer) was in no chain at all.
    from goscope.core.traffic.redirects import Origin, apply_origin

    env = env_of("direct", GOPRIVATE="go.corp.example")
    origin = event("https://go.corp.example/tools?go-get=1", 302, env=env, flags=["redirect"])
    hop = event("https://proxy.golang.org/go.corp.example/tools/@v/list", 200, env=env)
    apply_origin(hop, Origin(origin.seq, origin.url, "GET", origin, 0.0))
    assert (hop.kind, hop.endpoint) == ("proxy", "list")  # judged as what it asks
    tracker = ChainTracker(env).extend([origin, hop])
    tracker.finish()
    (chain,) = tracker.chains
    assert (chain.module, chain.endpoint, chain.result) == (
        "go.corp.example/tools",
        "vcs",
        "failed",
    )
    assert tracker.chain_for(hop.seq) is chain
    assert chain.attempts[-1].status == 200 and chain.attempts[-1].host == "proxy.golang.org"
