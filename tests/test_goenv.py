"""The Go environment resolves and parses exactly as cmd/go does."""

from __future__ import annotations

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from goscope.core.gorules.goenv import (
    ORIGIN_DEFAULT,
    ORIGIN_ENV,
    ORIGIN_FILE,
    GoEnv,
    ProxyEntry,
    parse_goproxy,
    read_env_file,
)
from goscope.core.gorules.gosumdb import parse_gosumdb

SUM_GOLANG_KEY = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"


def urls(plist):
    return [(e.url, e.separator) for e in plist.entries]


def test_default_list_is_the_public_mirror_then_direct():
    env = GoEnv.from_mapping({})
    assert env.get("GOPROXY") == "https://proxy.golang.org,direct"
    assert urls(env.proxy_list) == [("https://proxy.golang.org", ","), ("direct", "")]
    assert env.sumdb.name == "sum.golang.org" and env.sumdb.host == "sum.golang.org"


def test_comma_and_pipe_are_kept_per_entry_with_base_paths():
    plist = parse_goproxy(
        "https://a.example,https://mirrors.aliyun.com/goproxy/|corp.example,direct"
    )
    assert urls(plist) == [
        ("https://a.example", ","),
        ("https://mirrors.aliyun.com/goproxy/", "|"),
        ("https://corp.example", ","),  # implicit https:// for host-like entries
        ("direct", ""),
    ]
    assert plist.entries[1].fall_back_on_error and not plist.entries[0].fall_back_on_error


def test_entries_after_direct_or_off_are_never_used_and_empties_are_skipped():
    assert urls(parse_goproxy(" ,https://a.example,,off,https://b.example")) == [
        ("https://a.example", ","),
        ("off", ""),
    ]
    assert urls(parse_goproxy("direct,https://b.example")) == [("direct", "")]


def test_noproxy_comes_first_when_gonoproxy_is_set():
    plist = parse_goproxy("https://a.example,direct", gonoproxy="*.corp.example")
    assert plist.entries[0] == ProxyEntry("noproxy", ",")
    assert urls(parse_goproxy("direct", gonoproxy="x")) == [("direct", "")]


def test_invalid_lists_are_errors_not_exceptions():
    assert (
        parse_goproxy(",").error == "GOPROXY list is not the empty string, but contains no entries"
    )
    assert parse_goproxy(" | ", gonoproxy="x").error is not None
    assert "missing scheme" in parse_goproxy("proxy").error
    assert "must be https, http, file" in parse_goproxy("ftp://x.example").error
    assert "non-path" in parse_goproxy("file://host/path").error
    assert parse_goproxy("file:///srv/goproxy").error is None


@given(st.text(max_size=60), st.text(max_size=20))
def test_parse_goproxy_never_raises(value, noproxy):
    result = parse_goproxy(value, noproxy)
    assert result.error is not None or result.entries


def test_private_defaults_feed_gonoproxy_and_gonosumdb():
    env = GoEnv.from_mapping({"GOPRIVATE": "*.corp.example"})
    assert env.get("GONOPROXY") == env.get("GONOSUMDB") == "*.corp.example"
    assert env.origins["GONOPROXY"] == "GOPRIVATE"
    assert env.is_noproxy("git.corp.example/x") and env.is_nosumdb("git.corp.example/x")
    explicit = GoEnv.from_mapping({"GOPRIVATE": "a.example", "GONOSUMDB": "b.example"})
    assert explicit.get("GONOSUMDB") == "b.example" and explicit.get("GONOPROXY") == "a.example"


def test_origins_environment_beats_go_env_file_beats_default(tmp_path):
    envfile = tmp_path / "env"
    envfile.write_text(
        "# comment\nGOPROXY=https://file.example\nGOPRIVATE=corp.example\nbad line\n"
    )
    assert read_env_file(str(envfile)) == {
        "GOPROXY": "https://file.example",
        "GOPRIVATE": "corp.example",
    }
    env = GoEnv.load({"GOENV": str(envfile), "GOPROXY": "https://env.example"})
    assert env.get("GOPROXY") == "https://env.example" and env.origins["GOPROXY"] == ORIGIN_ENV
    assert env.origins["GOPRIVATE"] == ORIGIN_FILE
    assert env.file_values["GOPROXY"] == "https://file.example"
    assert env.origins["GOINSECURE"] == ORIGIN_DEFAULT
    # An empty process variable is "unset" for go.
    assert (
        GoEnv.load({"GOENV": str(envfile), "GOPROXY": ""}).get("GOPROXY") == "https://file.example"
    )


def test_goroot_go_env_is_read_from_the_real_toolchain(go_binary, go_env):
    env = GoEnv.load(go_env, go=go_binary)
    assert env.get("GOSUMDB") == "sum.golang.org"
    assert env.get("GOTOOLCHAIN") == "local"


def test_gosumdb_forms():
    assert parse_gosumdb("off").off
    default = parse_gosumdb("sum.golang.org")
    assert (default.name, default.key, default.error) == ("sum.golang.org", SUM_GOLANG_KEY, None)
    china = parse_gosumdb("sum.golang.google.cn")
    assert china.name == "sum.golang.org" and china.host == "sum.golang.google.cn"
    with_url = parse_gosumdb(f"{SUM_GOLANG_KEY} https://sumdb.corp.example/db")
    assert with_url.url == "https://sumdb.corp.example/db" and with_url.host == "sumdb.corp.example"
    assert parse_gosumdb("sum.corp.example").error == "invalid GOSUMDB: malformed verifier id"
    assert parse_gosumdb("a b c").error == "invalid GOSUMDB: too many fields"
    assert parse_gosumdb(
        "sum.golang.org+033de0af+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"
    ).error == ("invalid GOSUMDB: invalid verifier hash")


def test_round_trip_through_report_dict():
    env = GoEnv.from_mapping({"GOPROXY": "https://a.example|direct", "GOPRIVATE": "x.example"})
    again = GoEnv.from_dict(env.to_dict())
    assert again.values == env.values and again.origins == env.origins
    plain = GoEnv.from_dict({"GOPROXY": "off"})
    assert plain.get("GOPROXY") == "off" and plain.get("GOSUMDB") == "sum.golang.org"


def test_goroot_found_as_go_finds_it_without_asking_it():
    import os
    import subprocess

    from goscope.core.gorules.goroot import go_root_env_file

    from .conftest import go_binaries

    for go in go_binaries():
        env = {k: v for k, v in os.environ.items() if k != "GOROOT"}
        asked = subprocess.run([go, "env", "GOROOT"], capture_output=True, text=True, env=env)
        assert go_root_env_file(go, env) == asked.stdout.strip() + "/go.env", go
    assert go_root_env_file("/usr/bin/true", {"GOROOT": "/opt/go"}) == "/opt/go/go.env"


def test_goproxy_bases_are_matched_by_origin():
    # One spelling per server (core/urls.py): host case and the default port do not
    # matter; an IPv6 address keeps its brackets, so [::1]:8080 is never the address ::1:8080.
    env = GoEnv.from_mapping(
        {"GOPROXY": "https://Proxy.Example:443/base/,http://[::1]:8080,direct"}
    )
    proxies = env.proxy_list
    assert proxies.find_base_for("https://proxy.example/base/m/@v/list").url == (
        "https://Proxy.Example:443/base/"
    )
    assert proxies.find_base_for_path("https://proxy.example", "/base/m/@v/list") is not None
    assert proxies.find_base_for("http://[::1]:8080/m/@v/list").url == "http://[::1]:8080"
    assert proxies.find_base_for("http://[::1:8080]/m/@v/list") is None


@pytest.mark.parametrize(
    ("goos", "env", "expected"),
    [
        # os.UserConfigDir (src/os/file.go), then cfg.EnvFile's filepath.Join(dir, "go/env").
        ("darwin", {"HOME": "/Users/ann"}, "/Users/ann/Library/Application Support/go/env"),
        (
            "darwin",
            {"HOME": "/Users/ann", "XDG_CONFIG_HOME": "/x"},
            "/Users/ann/Library/Application Support/go/env",
        ),
        ("ios", {"HOME": "/var/mobile"}, "/var/mobile/Library/Application Support/go/env"),
        ("darwin", {}, None),
        (
            "windows",
            {"AppData": r"C:\Users\ann\AppData\Roaming"},
            r"C:\Users\ann\AppData\Roaming\go\env",
        ),
        ("windows", {"APPDATA": r"D:\roam"}, r"D:\roam\go\env"),  # case-insensitive there
        ("windows", {"HOME": "/home/ann"}, None),
        ("plan9", {"home": "/usr/ann"}, "/usr/ann/lib/go/env"),
        ("plan9", {"HOME": "/usr/ann"}, None),
        ("linux", {"XDG_CONFIG_HOME": "/cfg", "HOME": "/home/ann"}, "/cfg/go/env"),
        ("linux", {"XDG_CONFIG_HOME": "rel", "HOME": "/home/ann"}, None),  # relative: an error
        ("freebsd", {"HOME": "/home/ann"}, "/home/ann/.config/go/env"),
        ("linux", {}, None),
        ("windows", {"GOENV": r"C:\go.env"}, r"C:\go.env"),
        ("darwin", {"GOENV": "off", "HOME": "/Users/ann"}, None),
    ],
)
def test_go_reads_its_env_file_where_each_os_puts_it(goos, env, expected):
    from goscope.core.gorules.goenv import env_file_path

    assert env_file_path(env, goos) == expected


@pytest.mark.parametrize(
    "env",
    [
        {"HOME": "/home/ann"},
        {"HOME": "/home/ann", "XDG_CONFIG_HOME": "/cfg"},
        {"HOME": "/home/ann", "XDG_CONFIG_HOME": "relative/dir"},
        {"GOENV": "/etc/go.env"},
    ],
)
def test_this_platform_agrees_with_go_env_goenv(env, go_binary, tmp_path):
    """The oracle on this machine: `go env GOENV` prints cfg.EnvFile's answer."""
    import subprocess

    from goscope.core.gorules.goenv import env_file_path

    run_env = {"PATH": os.environ["PATH"], "GOTOOLCHAIN": "local", **env}
    run_env.setdefault("GOCACHE", str(tmp_path / "cache"))
    out = subprocess.run(
        [go_binary, "env", "GOENV"], env=run_env, capture_output=True, text=True, timeout=60
    )
    assert (env_file_path(env) or "") == out.stdout.strip(), out.stderr
