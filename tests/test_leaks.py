"""Private module paths sent to proxies or checksum databases are caught, with a fix."""

from __future__ import annotations

import pytest

from goscope.core.gorules.goenv import GoEnv
from goscope.core.hosts import looks_internal
from goscope.core.judging.leaks import LeakDetector, find_leaks

from .factories import event

PRIVATE = "git.corp.example.com/team/secret"


def test_private_path_at_a_public_proxy_is_high_with_goprivate_fix():
    env = GoEnv.from_mapping({})
    ev = event(f"https://proxy.golang.org/{PRIVATE}/@v/list", 404)
    (leak,) = find_leaks([ev], env, declared="git.corp.example.com")
    assert (leak.kind, leak.severity, leak.matched, leak.host) == (
        "proxy",
        "high",
        "git.corp.example.com",
        "proxy.golang.org",
    )
    assert leak.fix == "go env -w GOPRIVATE=git.corp.example.com"
    assert leak.seq == ev.seq


def test_sumdb_leak_when_only_gonoproxy_is_set():
    # The module itself comes direct, but its checksum is looked up publicly.
    env = GoEnv.from_mapping({"GONOPROXY": "git.corp.example.com"})
    ev = event(f"https://sum.golang.org/lookup/{PRIVATE}@v1.2.0", 404)
    (leak,) = find_leaks([ev], env)
    assert (leak.kind, leak.severity, leak.matched) == ("sumdb", "high", "git.corp.example.com")
    assert leak.fix == "export GOPRIVATE=git.corp.example.com" or leak.fix.startswith("go env -w")


def test_fix_goes_to_gonosumdb_when_it_is_set_explicitly_and_respects_shadowing():
    file_env = GoEnv.from_mapping(
        {}, file_values={"GONOSUMDB": "other.example", "GONOPROXY": "git.corp.example.com"}
    )
    ev = event(f"https://sum.golang.org/lookup/{PRIVATE}@v1.2.0", 404)
    (leak,) = find_leaks([ev], file_env)
    assert leak.fix == "go env -w GONOSUMDB=other.example,git.corp.example.com"
    process_env = GoEnv.from_mapping(
        {"GONOSUMDB": "other.example", "GONOPROXY": "git.corp.example.com"}
    )
    (leak,) = find_leaks([ev], process_env)
    assert leak.fix == "export GONOSUMDB=other.example,git.corp.example.com"


def test_other_hosts_are_medium_unless_trusted():
    env = GoEnv.from_mapping({"GONOSUMDB": "git.corp.example.com"})
    ev = event(f"https://athens.example.net/{PRIVATE}/@v/v1.0.0.zip", 200)
    (leak,) = find_leaks([ev], env)
    assert leak.severity == "medium" and leak.fix == "go env -w GOPRIVATE=git.corp.example.com"
    assert find_leaks([ev], env, trusted=["athens.example.net"]) == []


def test_internal_looking_hosts_are_suspected_at_public_services():
    env = GoEnv.from_mapping({})
    for module in ("gitlab.internal/team/x", "git.acme.corp/x", "svn.home.arpa/x"):
        assert looks_internal(module)
        (leak,) = find_leaks([event(f"https://proxy.golang.org/{module}/@v/list", 404)], env)
        assert leak.severity == "suspected" and leak.matched is None
    assert looks_internal("intranet/x")  # go refuses such paths, but they are internal
    assert find_leaks([event("https://proxy.golang.org/github.com/x/y/@v/list", 200)], env) == []


def test_covered_or_own_host_traffic_is_not_a_leak():
    env = GoEnv.from_mapping({"GOPRIVATE": "git.corp.example.com"})
    direct = event("https://git.corp.example.com/team/secret?go-get=1", 200)
    own_proxy = event(f"https://git.corp.example.com/{PRIVATE}/@v/list", 200)
    toolchain = event(
        "https://proxy.golang.org/golang.org/toolchain/@v/v0.0.1-go1.29.0.linux-amd64.zip"
    )
    assert find_leaks([direct, own_proxy, toolchain], env) == []


def test_a_prefix_probe_above_a_private_pattern_names_the_private_host():
    env = GoEnv.from_mapping({"GOPRIVATE": "git.corp.example.com/team"})
    probe = event("https://proxy.golang.org/git.corp.example.com/@v/list", 404, env=env)
    (leak,) = find_leaks([probe], env)
    assert (leak.module, leak.severity) == ("git.corp.example.com", "medium")
    assert "prefix probe" in leak.note and "add it to GOPRIVATE" in leak.note
    assert leak.fix == ""  # whether all of the host is private only the user knows
    # A bare public code host tells nothing private, even above a private pattern.
    env = GoEnv.from_mapping({"GOPRIVATE": "github.com/corp/secret"})
    public = event("https://proxy.golang.org/github.com/@v/list", 404, env=env)
    assert find_leaks([public], env) == []
    org = event("https://proxy.golang.org/github.com/corp/@v/list", 404, env=env)
    assert [leak.module for leak in find_leaks([org], env)] == ["github.com/corp"]


def test_a_trusted_proxy_redirect_target_is_trusted_and_an_untrusted_one_leaks():
    env = GoEnv.from_mapping({"GOPRIVATE": "git.corp.example.com", "GONOPROXY": "none"})
    hop = event("https://blobs.example/secret.zip", 200, env=env, redirected_from=1)
    hop.kind, hop.endpoint, hop.module = "proxy", "zip", "git.corp.example.com/team/secret"
    hop.proxy = "https://athens.corp.example"
    assert find_leaks([hop], env, trusted=["athens.corp.example"]) == []
    (leak,) = find_leaks([hop], env)
    assert leak.host == "blobs.example" and leak.severity == "medium"
    # A trusted proxy that sends go on to a public service does not make it trusted.
    hop.host, hop.url = "proxy.golang.org", "https://proxy.golang.org/x.zip"
    (leak,) = find_leaks([hop], env, trusted=["athens.corp.example"])
    assert leak.severity == "high"


def test_credentials_view_keeps_the_complete_netrc_entry_and_never_a_token():
    from goscope.core.judging.credentials import credentials_view

    url = "https://goproxy.corp.example/example.com/x/@v/list"
    sent = event(
        url, 200, request_headers=[["Authorization", "ghp_abcdefghijklmnopqrstuvwxyz0123456789 x"]]
    )
    netrc = (
        "machine goproxy.corp.example login a\nmachine goproxy.corp.example login a password b\n"
    )
    (view,) = credentials_view([sent], "netrc", netrc)
    assert view.source.startswith(".netrc entry for goproxy.corp.example") and view.problems == []
    assert view.schemes == ["credentials"]  # the scheme word only, never a token


def test_credentials_from_a_goproxy_urls_userinfo_are_never_credited_to_netrc():
    # GOPROXY=https://bob:…@host: net/http sends the userinfo as Basic (GOAUTH=off too).
    # It read "source: GOAUTH=netrc (no .netrc read)", and with GOAUTH=off "none".
    from goscope.core.judging.credentials import credentials_view, userinfo_hosts

    url = "https://bad.corp.example/example.com/x/@v/list"
    sent = event(url, 401, request_headers=[["Authorization", "Basic REDACTED"]])
    env = GoEnv.from_mapping({"GOPROXY": "https://bob:xxxxx@bad.corp.example,off"})
    hosts = userinfo_hosts([env])
    assert hosts == {"bad.corp.example"}
    for goauth, netrc in (("netrc", None), ("off", None), ("netrc", "machine other login a")):
        (view,) = credentials_view([sent], goauth, netrc, hosts)
        assert "user:password@" in view.source and not view.problems, (goauth, view)
    # go looks GOAUTH's credentials up by the URL's text, userinfo included: a complete
    # .netrc entry never matches it (auth.go loadCredential; go got 401 with one in place).
    complete = "machine bad.corp.example login a password b"
    (view,) = credentials_view([sent], "netrc", complete, hosts)
    assert "user:password@" in view.source
    env443 = GoEnv.from_mapping({"GOPROXY": "https://bob:xxxxx@bad.corp.example:443"})
    assert userinfo_hosts([env443]) == {"bad.corp.example"}
    (view,) = credentials_view([sent], "netrc", None)
    assert view.source == "GOAUTH=netrc (no .netrc read)"


def test_a_url_asked_again_after_the_guard_was_turned_off_is_a_leak_that_left():
    # The guard stopped the first request; turned off (the TUI's g), the same URL went out.
    # A GOAUTH retry of a URL is one leak, but a blocked and a forwarded request are two:
    # kept as one, the report said "blocked" for a private path that reached the proxy.
    from goscope.core.judging.judge import Judge
    from goscope.core.judging.leaks import group_leaks
    from goscope.core.vocab import BLOCKED_FLAG

    judge = Judge(GoEnv.from_mapping({"GOPRIVATE": "corp.example"}))
    url = "https://proxy.golang.org/corp.example/x/@v/list"
    stopped = event(url, 404, seq=1)
    stopped.flags.append(BLOCKED_FLAG)
    judge.add(stopped)
    judge.add(event(url, 200, seq=2))
    (group,) = group_leaks(judge.leaks)
    assert not group.blocked
    assert (group.requests, group.blocked_requests) == (2, 1)
    # The GOAUTH retry of a forwarded request stays one leak.
    judge.add(event(url, 200, seq=3))
    (group,) = group_leaks(judge.leaks)
    assert group.requests == 2


@pytest.mark.parametrize("order", [(1, 2), (2, 1)])
def test_one_url_from_two_processes_is_judged_by_each(order):
    """Two go processes ask the public proxy for one private path: one has nothing private,
    the other GOPRIVATE with an explicit GONOPROXY=none. The leak is the graver verdict with
    its fix, and each process has its own, whichever asked first. Before, the second's
    request was dropped as a repeat: 'suspected', a fix that would not work, and the
    second process '0 leaks'."""
    from goscope.core.outputs.report import build_report

    plain = {"GOPROXY": "https://proxy.golang.org,direct"}
    envs = {1: plain, 2: plain | {"GOPRIVATE": "git.corp.internal", "GONOPROXY": "none"}}
    senders = [
        {"id": i, "pid": 100 + i, "program": "go", "environment": GoEnv.from_mapping(e).to_dict()}
        for i, e in envs.items()
    ]
    url = "https://proxy.golang.org/git.corp.internal/team/x/@v/v1.0.0.info"
    report = build_report([event(url, sender=s) for s in order], None, senders=senders)
    (group,) = report.leak_groups
    assert (group.severity, group.matched, group.requests) == ("high", "git.corp.internal", 2)
    assert group.fix == "export GONOPROXY=none,git.corp.internal"
    assert [len(s["leaks"]) for s in report.senders] == [1, 1]


def test_a_fully_qualified_public_host_is_public():
    # GOPROXY=https://proxy.golang.org./ reached the public proxy as a host that was not
    # public: a prefix probe above a private pattern was no leak, and the guard let it out.
    from goscope.core.hosts import host_key, is_public_service

    assert host_key("Proxy.Golang.Org.") == "proxy.golang.org" and is_public_service(
        "sum.golang.org."
    )
    env = GoEnv.from_mapping({"GOPRIVATE": "corp.example.com/team/tools"})
    probe = event("https://proxy.golang.org./corp.example.com/team/@v/list", 404, env=env)
    (leak,) = find_leaks([probe], env)
    assert (leak.module, leak.severity) == ("corp.example.com/team", "medium")
    trusted = event("https://goproxy.corp./corp.example.com/team/tools/@v/list", 200, env=env)
    assert find_leaks([trusted], env, trusted=["goproxy.corp"]) == []


def test_the_recording_keeps_only_the_netrc_entries_of_hosts_the_run_met_and_no_token():
    # Every machine of the user's .netrc went into the recording, token-shaped names too:
    # a CI artifact named hosts the run never met (`oauth2:ghp_…@github.com`).
    from goscope.core.gorules.netrc import entries_from_facts, netrc_facts

    token = "ghp_" + "Z1b2C3d4" * 4 + "Qq77"
    text = (
        "machine goproxy.corp.example login a password b\n"
        f"machine oauth2:{token}@github.com login x password y\n"
        "machine unrelated.corp.example login c password d\n"
        "machine git.corp.example:8443 login e\n"
    )
    facts = netrc_facts(text, {"goproxy.corp.example", "git.corp.example:8443", f"{token}.x"})
    assert [f["machine"] for f in facts] == ["goproxy.corp.example", "git.corp.example:8443"]
    assert token not in str(netrc_facts(text, {f"oauth2:{token}@github.com"}))
    (ok, login_only) = entries_from_facts(facts)
    assert (ok.has_password, login_only.has_password) == (True, False)
    assert entries_from_facts([{"machine": "h", "login": "yes", "password": True}]) is None


@pytest.mark.parametrize(
    ("proxy", "module", "flagged", "leaked"),
    [
        # A go-import `mod` URL with a dot in its path: v1.0 was taken for the module's start.
        ("https://proxy.golang.org", "v1.0/git.corp.example.com/team/x", True, True),
        # A page naming a base that holds the private host: the module read `team/x`.
        ("https://proxy.golang.org/git.corp.example.com", "team/x", True, True),
        # Split at a GOPROXY entry too, fail-closed: go may have been sent to a base there (a
        # `mod` tag) without goscope seeing the lookup; a public module that names a private
        # host inside its path is the price (none is known).
        ("https://proxy.golang.org", "github.com/a/git.corp.example.com/x", False, True),
        ("https://proxy.golang.org", "github.com/a/public.example/x", False, False),
    ],
)
def test_where_a_proxys_base_was_guessed_every_start_of_the_module_is_judged(
    proxy, module, flagged, leaked
):
    from goscope.core.vocab import BASE_GUESSED_FLAG

    env = GoEnv.from_mapping({"GOPROXY": "https://proxy.golang.org,direct"})
    ev = event(f"{proxy}/{module}/@v/list", env=env)
    ev.module, ev.proxy = module, proxy
    ev.flags = [BASE_GUESSED_FLAG] if flagged else []
    leak = LeakDetector(env, "git.corp.example.com").check(ev)
    assert (leak is not None) == leaked
    if leak is not None:
        assert leak.module.startswith("git.corp.example.com/")


def test_the_server_is_blamed_only_where_go_was_sent_there():
    # A leak of a path the judged settings already keep home said "its go-import tag sent go
    # here: fix the server" of any request, a checksum lookup included: where the sender's
    # own settings were not the ones judged, the server did nothing. Only a redirect or a
    # guessed base is the server's doing; a private host may be trusted instead.
    from goscope.core.vocab import BASE_GUESSED_FLAG

    env = GoEnv.from_mapping(
        {"GOPROXY": "https://proxy.golang.org,direct", "GOPRIVATE": "corp.example"}
    )
    detector = LeakDetector(env)
    plain = detector.check(event("https://proxy.golang.org/corp.example/x/@v/list", env=env))
    assert plain is not None and plain.fix and not plain.note
    lookup = detector.check(event("https://sum.golang.org/lookup/corp.example/x@v1.0.0", env=env))
    assert lookup is not None and lookup.fix and not lookup.note
    for host, told in (
        ("proxy.golang.org", "fix the server"),
        ("mods.internal.example", "--trusted"),
    ):
        ev = event(f"https://{host}/v1.0/corp.example/y/@v/list", env=env)
        ev.module, ev.proxy, ev.flags = (
            "corp.example/y",
            f"https://{host}/v1.0",
            [BASE_GUESSED_FLAG],
        )
        leak = LeakDetector(env).check(ev)
        assert leak is not None and not leak.fix and told in leak.note, leak


def test_a_private_path_under_any_proxy_base_is_a_leak_even_unflagged():
    # goscope need not have seen the lookup that sent go to a `mod` proxy (NO_PROXY for the
    # private host, a loopback host go never proxies): the request reads `v1.0/corp.example/x`
    # at the GOPROXY entry, unflagged, and left with "0 leaks", exit 0 (an outside attack).
    env = GoEnv.from_mapping({"GOPROXY": "https://proxy.golang.org,direct"})
    ev = event("https://proxy.golang.org/v1.0/corp.example/x/@v/v1.0.0.info", env=env)
    assert ev.module == "v1.0/corp.example/x" and not ev.flags
    leak = LeakDetector(env, "corp.example").check(ev)
    assert leak is not None and leak.module == "corp.example/x" and "fix the server" in leak.note
    # A public module whose later elements hold nothing private stays clean.
    ok = event("https://proxy.golang.org/gopkg.in/yaml.v3/@v/list", env=env)
    assert LeakDetector(env, "corp.example").check(ok) is None
