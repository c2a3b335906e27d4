"""Each doctor rule: the mistake it names, its message and fix, and the setups that stay silent."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from hypothesis import given
from hypothesis import strategies as st

from goscope.core.gorules.goenv import GO_VARS, GoEnv
from goscope.core.gorules.routing import checksums_looked_up, untrusted_proxies
from goscope.core.judging.doctor import diagnose
from goscope.core.judging.findings import Traffic
from goscope.core.judging.leaks import find_leaks
from goscope.core.traffic.chains import build_chains

from .factories import event

LAB_KEY = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"


def ids(
    env_vars=None, file_values=None, process=None, private="", traffic=None, expect_proxy=False
):
    env = GoEnv.from_mapping(
        env_vars or {}, file_values=file_values, env_file="/home/u/.config/go/env"
    )
    process = {**(env_vars or {}), **(process or {})}
    return {f.id: f for f in diagnose(env, process, private, traffic, expect_proxy)}


def test_a_sound_setup_is_silent():
    assert (
        ids(
            {
                "GOPROXY": "https://proxy.golang.org,direct",
                "GOPRIVATE": "git.corp.example.com",
                "GOTOOLCHAIN": "local",
            }
        )
        == {}
    )


def test_rule1_no_direct_is_a_note():
    info = ids({"GOPROXY": "https://proxy.golang.org", "GOTOOLCHAIN": "local"})["no-direct"]
    assert info.severity == "info" and info.fix == "export GOPROXY=https://proxy.golang.org,direct"
    # Private modules do not need `direct`: GONOPROXY's implicit noproxy entry fetches them.
    private = ids(
        {"GOPROXY": "https://proxy.golang.org", "GOPRIVATE": "corp.example", "GOTOOLCHAIN": "local"}
    )
    assert private["no-direct"].severity == "info"
    assert "no-direct" not in ids({"GOPROXY": "off"})


def test_rule1_evidence_is_a_fetch_every_proxy_answered_404():
    env = GoEnv.from_mapping({"GOPROXY": "https://a.example,https://b.example"})
    events = [
        event(f"https://{h}/example.com/x/@v/v1.0.0.info", 404, env=env)
        for h in ("a.example", "b.example")
    ]
    traffic = Traffic(build_chains(events, env), [])
    (finding,) = [f for f in diagnose(env, {}, traffic=traffic) if f.id == "no-direct"]
    assert finding.evidence == [events[1].seq]


def test_rule2_unused_entries_and_off():
    found = ids({"GOPROXY": "https://a.example,direct,https://b.example", "GOTOOLCHAIN": "local"})
    assert found["unused-entries"].message.startswith(
        "entries after `direct` are never used (https://b.example)"
    )
    assert found["unused-entries"].fix == "export GOPROXY=https://a.example,direct"
    tricky = ids(
        {"GOPROXY": "https://direct.corp.example,direct,https://b.example", "GOTOOLCHAIN": "local"}
    )
    assert tricky["unused-entries"].fix == "export GOPROXY=https://direct.corp.example,direct"
    off = ids({"GOPROXY": "off", "GOTOOLCHAIN": "local"})
    assert set(off) == {"goproxy-off"} and "downloads are disabled" in off["goproxy-off"].message


def test_rule3_comma_after_a_private_first_proxy_and_pipe_to_public():
    found = ids(
        {
            "GOPROXY": "https://athens.corp.example,https://proxy.golang.org,direct",
            "GOTOOLCHAIN": "local",
        }
    )
    assert (
        found["comma-stops-on-error"].fix
        == "export GOPROXY='https://athens.corp.example|https://proxy.golang.org,direct'"
    )
    pipe = ids(
        {
            "GOPROXY": "https://athens.corp.example|https://proxy.golang.org,direct",
            "GOTOOLCHAIN": "local",
        }
    )
    assert set(pipe) == {"pipe-to-public"} and "would leak" in pipe["pipe-to-public"].message
    # Silent: a public first entry, or a private proxy followed by direct.
    assert (
        ids(
            {
                "GOPROXY": "https://proxy.golang.org,https://goproxy.io,direct",
                "GOTOOLCHAIN": "local",
            }
        )
        == {}
    )
    assert ids({"GOPROXY": "https://athens.corp.example,direct", "GOTOOLCHAIN": "local"}) == {}


def test_rule4_checksums_weakened():
    found = ids(
        {
            "GOSUMDB": "off",
            "GONOSUMDB": "github.com",
            "GOINSECURE": "*",
            "GOFLAGS": "-mod=mod -insecure",
            "GOTOOLCHAIN": "local",
        },
        process={"GONOSUMCHECK": "1"},
    )
    assert found["gosumdb-off"].severity == "warning"
    wide = [
        f
        for f in diagnose(GoEnv.from_mapping({"GONOSUMDB": "github.com", "GOINSECURE": "*"}), {})
        if f.id == "patterns-too-wide"
    ]
    assert {(f.variable, f.severity) for f in wide} == {
        ("GONOSUMDB", "warning"),
        ("GOINSECURE", "error"),
    }
    assert found["goflags-insecure"].fix == "export GOFLAGS=-mod=mod"
    assert found["not-a-go-variable"].variable == "GONOSUMCHECK"
    assert "patterns-too-wide" not in ids({"GONOSUMDB": "github.com/acme", "GOTOOLCHAIN": "local"})


def test_findings_never_show_a_goproxy_password():
    found = ids(
        {
            "GOPROXY": "https://alice:s3cr3t-pw@athens.corp.example,https://proxy.golang.org",
            "GOTOOLCHAIN": "local",
        }
    )
    text = " ".join(f"{f.value} {f.message} {f.fix}" for f in found.values())
    assert found and "s3cr3t-pw" not in text and "alice:xxxxx@" in text


def test_wide_patterns_are_not_spread_by_other_fixes():
    found = ids({"GONOSUMDB": "*", "GOTOOLCHAIN": "local"})
    assert found["patterns-too-wide"].fix == "export GONOSUMDB="
    assert "proxy-not-private" not in found


def test_rule5_gonoproxy_without_gonosumdb_suggests_goprivate():
    found = ids(
        file_values={"GONOPROXY": "git.corp.example.com"}, env_vars={"GOTOOLCHAIN": "local"}
    )
    finding = found["sumdb-not-private"]
    assert finding.fix == "go env -w GOPRIVATE=git.corp.example.com"
    assert "public checksum database" in finding.message
    assert (
        ids(
            {
                "GONOPROXY": "*.corp.example.com",
                "GONOSUMDB": "*.corp.example.com",
                "GOTOOLCHAIN": "local",
            }
        )
        == {}
    )
    wider = ids(
        {"GONOPROXY": "git.corp.example.com", "GONOSUMDB": "*.example.com", "GOTOOLCHAIN": "local"}
    )
    assert "sumdb-not-private" not in wider and "proxy-not-private" in wider


def test_rule5_evidence_is_the_lookup_of_the_private_path():
    env = GoEnv.from_mapping({"GONOPROXY": "git.corp.example.com"})
    lookup = event("https://sum.golang.org/lookup/git.corp.example.com/x@v1.0.0", 404, env=env)
    traffic = Traffic([], find_leaks([lookup], env))
    (finding,) = [f for f in diagnose(env, {}, traffic=traffic) if f.id == "sumdb-not-private"]
    assert finding.evidence == [lookup.seq]


def test_rule6_declared_private_not_covered():
    found = ids(
        {"GONOPROXY": "corp.example", "GONOSUMDB": "corp.example", "GOTOOLCHAIN": "local"},
        private="corp.example,secret.example",
    )
    assert found["private-not-covered-proxy"].severity == "error"
    assert found["private-not-covered-proxy"].fix == "export GONOPROXY=corp.example,secret.example"
    assert ids({"GOPRIVATE": "*.example", "GOTOOLCHAIN": "local"}, private="corp.example") == {}


def test_rule7_malformed_values():
    found = ids({"GOPROXY": "proxy", "GOTOOLCHAIN": "local"})
    assert (
        found["goproxy-invalid"].message
        == "go rejects GOPROXY: invalid proxy URL missing scheme: proxy"
    )
    spaced = ids({"GOPROXY": "https://a.example , direct", "GOTOOLCHAIN": "local"})
    assert spaced["goproxy-spaces"].fix == "export GOPROXY=https://a.example,direct"
    dup = ids({"GOPROXY": "https://a.example,https://a.example,direct", "GOTOOLCHAIN": "local"})
    assert "goproxy-duplicate" in dup
    http = ids({"GOPROXY": "http://athens.corp.example,direct", "GOTOOLCHAIN": "local"})
    assert http["http-proxy"].fix == "export GOPROXY=https://athens.corp.example,direct"
    db = ids({"GOSUMDB": "sum.corp.example", "GOTOOLCHAIN": "local"})
    assert "only sum.golang.org is known by name" in db["gosumdb-invalid"].message
    assert ids({"GOSUMDB": LAB_KEY, "GOTOOLCHAIN": "local"}) == {}
    bad = ids({"GOPRIVATE": "corp.example,[a-", "GOTOOLCHAIN": "local"})
    assert bad["bad-pattern"].message.startswith("GOPRIVATE pattern '[a-' is malformed")


def test_rule8_environment_shadows_go_env_w():
    found = ids(
        {"GOPROXY": "https://a.example,direct", "GOTOOLCHAIN": "local"},
        file_values={"GOPROXY": "https://b.example,direct"},
    )
    finding = found["env-shadows-go-env"]
    assert (
        "the environment wins here" in finding.message
        and "/home/u/.config/go/env" in finding.message
    )
    same = ids(
        {"GOPROXY": "https://a.example,direct", "GOTOOLCHAIN": "local"},
        file_values={"GOPROXY": "https://a.example,direct"},
    )
    assert "env-shadows-go-env" not in same


def test_rule9_transport():
    found = ids(
        {"GOPROXY": "https://goproxy.corp.example,direct"},
        process={"NO_PROXY": "corp.example"},
        expect_proxy=True,
    )
    assert found["no-https-proxy"].fix == 'eval "$(goscope env)"'
    assert found["no-proxy-hides"].message.startswith("NO_PROXY covers goproxy.corp.example")
    assert found["toolchain-auto"].severity == "info"
    quiet = ids(
        {"GOTOOLCHAIN": "local"},
        process={"HTTPS_PROXY": "http://127.0.0.1:8080"},
        expect_proxy=True,
    )
    assert quiet == {}


@given(
    st.dictionaries(
        st.sampled_from(GO_VARS),
        st.text(max_size=40),
    ),
    st.text(max_size=20),
)
def test_never_raises_and_never_hides_a_crash(values, private):
    findings = diagnose(GoEnv.from_mapping(values), values, private)
    assert all(f.id != "doctor-error" for f in findings)


def test_doctor_command_on_a_broken_configuration(tmp_path):
    goenv = tmp_path / "env"
    goenv.write_text("GONOPROXY=git.corp.example.com\n")
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "GOTOOLCHAIN": "local",
        "HTTPS_PROXY": "http://127.0.0.1:8080",
    }
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "goscope",
            "doctor",
            "--env-file",
            str(goenv),
            "--private",
            "corp.example.com",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 1  # an error was found
    assert "private-not-covered-proxy" in out.stdout and "fix: go env -w" in out.stdout
    js = subprocess.run(
        [sys.executable, "-m", "goscope", "doctor", "--json", "--env-file", str(goenv)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    data = json.loads(js.stdout)
    assert js.returncode == 0
    assert [f["id"] for f in data["findings"]] == ["sumdb-not-private"]
    assert data["findings"][0]["fix"] == "go env -w GOPRIVATE=git.corp.example.com"
    assert data["environment"]["GONOPROXY"] == {
        "value": "git.corp.example.com",
        "origin": "go env -w",
    }


PROXIES = ["https://proxy.golang.org", "https://athens.corp.example", "direct", "off"]
PATTERNS = ["git.corp.example.com", "*.corp.example", "github.com/acme", "none", ""]
SUMDB_FINDINGS = {"sumdb-not-private", "private-not-covered-sumdb"}
PROXY_FINDINGS = {"proxy-not-private", "private-not-covered-proxy"}


@given(
    st.lists(st.sampled_from(PROXIES), min_size=1, max_size=3),
    st.lists(st.sampled_from(",|"), min_size=2, max_size=2),
    st.sampled_from(["off", "sum.golang.org", ""]),
    st.sampled_from(PATTERNS),
    st.sampled_from(PATTERNS),
    st.sampled_from(PATTERNS),
    st.sampled_from(PATTERNS[:3]),
    st.booleans(),
)
def test_no_finding_names_a_destination_go_would_never_contact(
    entries, seps, gosumdb, goprivate, gonoproxy, gonosumdb, private, trust_athens
):
    goproxy = entries[0] + "".join(s + e for s, e in zip(seps, entries[1:], strict=False))
    values = {"GOPROXY": goproxy, "GOSUMDB": gosumdb, "GOPRIVATE": goprivate}
    if gonoproxy:
        values["GONOPROXY"] = gonoproxy
    if gonosumdb:
        values["GONOSUMDB"] = gonosumdb
    values = {k: v for k, v in values.items() if v}
    env = GoEnv.from_mapping(values)
    trusted = {"athens.corp.example"} if trust_athens else set()
    found = {f.id for f in diagnose(env, values, private, trusted=trusted)}
    # The model of go's routing the doctor must agree with (core/gorules/routing.py).
    if found & SUMDB_FINDINGS:
        assert checksums_looked_up(env), (values, found)
    if found & PROXY_FINDINGS:
        assert untrusted_proxies(env, frozenset(trusted)), (values, found)


def test_gosumdb_off_and_trusted_proxies_raise_no_false_alarm():
    off = ids(
        {"GONOPROXY": "git.corp.example.com", "GOSUMDB": "off"}, private="git.corp.example.com"
    )
    assert "sumdb-not-private" not in off and "private-not-covered-sumdb" not in off
    assert "gosumdb-off" in off
    env = GoEnv.from_mapping({"GOPROXY": "https://athens.corp.example"})
    trusted = {
        f.id for f in diagnose(env, {}, "git.corp.example.com", trusted=["athens.corp.example"])
    }
    assert "private-not-covered-proxy" not in trusted and "no-direct" not in trusted
    untrusted = {f.id for f in diagnose(env, {}, "git.corp.example.com")}
    assert "private-not-covered-proxy" in untrusted
    direct_only = ids({"GOPROXY": "direct"}, private="git.corp.example.com")
    assert "private-not-covered-proxy" not in direct_only


def test_pipe_without_direct_warns_when_a_supported_probe_error_failed_verifying():
    env_vars = {"GOPROXY": "https://a.example|https://b.example"}
    static = ids(env_vars)
    assert static["sumdb-probe-errors-fail"].severity == "info"
    probe = [
        event("https://a.example/sumdb/sum.golang.org/supported", 502, seq=1),
        event("https://b.example/sumdb/sum.golang.org/supported", 404, seq=2),
    ]
    env = GoEnv.from_mapping(env_vars)
    chains = build_chains(probe, env)
    seen = ids(env_vars, traffic=Traffic(chains, []))
    assert seen["sumdb-probe-errors-fail"].severity == "warning"
    assert seen["sumdb-probe-errors-fail"].evidence == [1]
    assert (
        seen["sumdb-probe-errors-fail"].fix
        == "export GOPROXY='https://a.example|https://b.example,direct'"
    )
    fine = build_chains([event("https://a.example/sumdb/sum.golang.org/supported", 200)], env)
    assert "sumdb-probe-errors-fail" not in ids(env_vars, traffic=Traffic(fine, []))
