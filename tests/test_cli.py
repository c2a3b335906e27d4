"""The command line as a user meets it: clear one-line errors, working exports, streams."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from mitmproxy import io as mitm_io

from goscope.core.traffic.recording import end_line, header_line
from goscope.proxy.config import ProxyConfig
from goscope.proxy.launcher import ProxyProcess, ProxyStartError
from goscope.proxy.stream import EventListener, private_socket_path
from goscope.run.wiring import no_proxy_warnings

from .factories import event
from .modserver import HostBehaviour, ModServer, Module


def goscope(*args, env=None, timeout=60, **kw):
    if "stdout" in kw:
        kw.setdefault("stderr", subprocess.PIPE)
    else:
        kw["capture_output"] = True
    return subprocess.run(
        [sys.executable, "-m", "goscope", *args],
        text=True,
        env=env,
        timeout=timeout,
        **kw,
    )


@pytest.fixture
def home_env(tmp_path):
    return {**os.environ, "GOSCOPE_HOME": str(tmp_path / "home")}


@contextlib.contextmanager
def running_proxy(env: dict[str, str]):
    """`goscope proxy --port 0`, as a user starts it in another terminal: (port, process)."""
    proxy = subprocess.Popen(
        [sys.executable, "-m", "goscope", "proxy", "--port", "0"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        port = int(proxy.stderr.readline().strip().rsplit(":", 1)[1])
        yield port, proxy
    finally:
        proxy.send_signal(signal.SIGINT)
        proxy.wait(timeout=30)


def test_env_prints_exports_for_bash_fish_and_json(home_env, tmp_path):
    with running_proxy(home_env) as (port, _):
        bash = goscope("env", "--port", str(port), env=home_env)
        assert bash.returncode == 0, bash.stderr
        secret = re.search(rf"HTTPS_PROXY=http://goscope:([\w-]+)@127.0.0.1:{port}\n", bash.stdout)
        assert secret, bash.stdout  # the run's secret: goscope serves only what it wired
        bundle = tmp_path / "home" / "ca-bundle.pem"
        assert (
            f"export SSL_CERT_FILE={bundle}" in bash.stdout
            and f"export GIT_SSL_CAINFO={bundle}" in bash.stdout
            and f"export CURL_CA_BUNDLE={bundle}" in bash.stdout
            and "export GIT_HTTP_PROXY_AUTHMETHOD=basic" in bash.stdout
        )
        assert bundle.exists()
        url = f"http://goscope:{secret.group(1)}@127.0.0.1:{port}"
        fish = goscope("env", "--shell", "fish", env=home_env)  # the newest running goscope
        assert f"set -gx https_proxy {url};" in fish.stdout
        as_json = json.loads(goscope("env", "--json", env=home_env).stdout)
        assert as_json["HTTP_PROXY"] == url
    none = goscope("env", env=home_env)  # nothing listens now: said, not wired to nothing
    assert none.returncode == 2 and "no goscope of yours is listening" in none.stderr
    assert none.stdout == ""


@pytest.mark.parametrize("shell", [s for s in ("bash", "zsh", "fish") if shutil.which(s)])
def test_env_exports_read_back_exactly_in_each_shell(tmp_path, shell):
    # A GOSCOPE_HOME holding a quote, a backslash and `$(…)`: each shell reads the bundle's
    # path back exactly as written, and runs nothing (fish reads \\ and \' in quotes).
    home = tmp_path / "it's \\' $(touch pwned) `touch pwned2`"
    env = {**os.environ, "GOSCOPE_HOME": str(home)}
    with running_proxy(env):
        exports = goscope("env", "--shell", "fish" if shell == "fish" else "bash", env=env)
        assert exports.returncode == 0, exports.stderr
        script = exports.stdout + 'printf "%s" "$SSL_CERT_FILE"\n'
        out = subprocess.run(
            [shell, "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=30
        )
    assert out.stdout == str(home / "ca-bundle.pem"), out.stderr
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "pwned2").exists()


def test_report_of_a_recording_and_a_bad_one(tmp_path, home_env):
    rec = tmp_path / "r.jsonl"
    ev = event("https://proxy.golang.org/rsc.io/quote/@v/v1.5.2.info", 200, seq=1)
    whole = header_line({"GOPROXY": "https://proxy.golang.org,direct"}) + "\n" + ev.to_json()
    rec.write_text(whole + "\n" + end_line(exit_code=0, stats={"events": 1}) + "\n")
    out = goscope("report", str(rec), "--json", str(tmp_path / "r.json"), env=home_env)
    assert out.returncode == 0, out.stderr
    assert "served by proxy.golang.org" in out.stdout  # `goscope report | less` works
    assert (
        json.loads((tmp_path / "r.json").read_text())["fetches"][0]["served_by"]
        == "proxy.golang.org"
    )
    rec.write_text(whole + "\n")  # cut short: no end line, so no count to trust
    cut = goscope("report", str(rec), env=home_env)
    assert cut.returncode == 4 and "INCOMPLETE" in cut.stdout and "no end line" in cut.stdout
    rec.write_text(header_line() + "\n{not json\n")
    bad = goscope("report", str(rec), env=home_env)
    assert bad.returncode == 2
    assert (
        bad.stderr.strip()
        == f"goscope: {rec}:2: invalid JSON (unexpected character, expected a string key: line 1 column 2 (char 1))"
    )
    skipped = goscope("report", str(rec), "--skip-bad", env=home_env)
    assert skipped.returncode == 4 and "skipped 1 bad line" in skipped.stderr
    assert "1 unreadable line(s) skipped: their requests are not judged" in skipped.stdout


def _event_line(**changes) -> str:
    data = event("https://proxy.golang.org/rsc.io/quote/@v/v1.5.2.info", 200).to_dict()
    return json.dumps(data | changes)


BAD_RECORDINGS = {
    "array": ("[1,2]", 2, "not an event: not a JSON object"),
    "string": ('"hello"', 2, "not an event: not a JSON object"),
    "null": ("null", 2, "not an event: not a JSON object"),
    "status-string": (_event_line(status="200"), 2, "status is a string, not a number or null"),
    "host-null": (_event_line(host=None), 2, "host is null, not a string"),
    "module-number": (_event_line(module=7), 2, "module is a number"),
    "headers-object": (_event_line(request_headers={"a": "b"}), 2, "request_headers is an object"),
    "header-pair": (_event_line(response_headers=[["a"]]), 2, "response_headers must be"),
    "unknown-kind": (_event_line(kind="bogus"), 2, "unknown kind or endpoint"),
    "deep": ("[" * 100_000 + "]" * 100_000, 2, "invalid JSON"),
    "huge-preview": (_event_line(preview="x" * 70_000), 2, "preview longer than"),
}


@pytest.mark.parametrize("name", sorted(BAD_RECORDINGS))
def test_open_and_report_refuse_a_bad_recording_with_the_same_line(tmp_path, home_env, name):
    line, number, reason = BAD_RECORDINGS[name]
    rec = tmp_path / "r.jsonl"
    rec.write_text(header_line() + "\n" + line + "\n")
    outputs = [goscope(cmd, str(rec), env=home_env) for cmd in ("report", "open")]
    for out in outputs:
        assert out.returncode == 2 and "Traceback" not in out.stderr
        assert len(out.stderr.strip().splitlines()) == 1
        assert out.stderr.startswith(f"goscope: {rec}:{number}: ") and reason in out.stderr
    assert outputs[0].stderr == outputs[1].stderr


@pytest.mark.parametrize("what", ["environment-string", "command-number"])
def test_a_bad_header_is_refused_by_open_and_report_alike(tmp_path, home_env, what):
    header = json.loads(header_line())
    if what == "environment-string":
        header["environment"] = "GOPROXY=off"
    else:
        header["command"] = [1]
    rec = tmp_path / "r.jsonl"
    rec.write_text(json.dumps(header) + "\n")
    outputs = [goscope(cmd, str(rec), env=home_env) for cmd in ("report", "open")]
    assert {o.returncode for o in outputs} == {2}
    assert outputs[0].stderr == outputs[1].stderr and outputs[0].stderr.startswith(
        f"goscope: {rec}:1: "
    )


def test_open_and_report_refuse_files_that_are_not_regular(tmp_path, home_env):
    fifo = tmp_path / "fifo.jsonl"
    os.mkfifo(fifo)
    for path in (str(fifo), "/dev/zero"):
        for cmd in ("report", "open"):
            out = goscope(cmd, path, env=home_env, timeout=20)  # a FIFO must not hang
            assert (
                out.returncode == 2 and out.stderr.strip() == f"goscope: {path}: not a regular file"
            )


def test_port_in_use_is_one_clear_line(tmp_path, home_env):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ProxyStartError, match=f"port {port} on 127.0.0.1 is already in use"):
            ProxyProcess(ProxyConfig(home=tmp_path / "home", port=port)).start()
        kept = tmp_path / "kept.jsonl"
        kept.write_text("yesterday's recording\n")
        args = ["run", "--headless", "--port", str(port), "--jsonl", str(kept), "--", "true"]
        out = goscope(*args, env=home_env)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        f"goscope: port {port} on 127.0.0.1 is already in use (choose another with --port, or --port 0)"
    ]
    # Nothing lost: the run never started, so the file named by --jsonl is as it was (it held
    # only a new header before), and nothing is left beside it.
    assert kept.read_text() == "yesterday's recording\n"
    missing = goscope(*args[:3], "0", *args[4:-1], "/no/such/command", env=home_env)
    assert missing.returncode == 2 and "command not found: /no/such/command" in missing.stderr
    assert kept.read_text() == "yesterday's recording\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "home") == ["kept.jsonl"]
    ok = goscope(*args[:3], "0", *args[4:], env=home_env)
    assert ok.returncode == 0, ok.stderr
    assert kept.read_text().startswith('{"format":"goscope-recording"')
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "home") == ["kept.jsonl"]


def test_a_recording_on_a_bind_mount_is_written_in_place(home_env, tmp_path):
    """A single-file bind mount (docker -v ./rec.jsonl:/out/rec.jsonl) is written in place:
    a first version of the port-in-use fix wrote the recording beside it and renamed it
    there, and where the rename failed it removed the recording at cleanup."""
    source, target = tmp_path / "src.jsonl", tmp_path / "out" / "rec.jsonl"
    source.write_text("old\n")
    target.parent.mkdir()
    target.touch()
    mounted = subprocess.run(["mount", "--bind", str(source), str(target)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("no bind mounts here")
    try:
        out = goscope("run", "--headless", "--port", "0", "--jsonl", str(target), "--", "true",
                      env=home_env)  # fmt: skip
        assert out.returncode == 0, out.stderr
        assert target.read_text().startswith('{"format":"goscope-recording"')
        assert sorted(p.name for p in target.parent.iterdir()) == ["rec.jsonl"]
    finally:
        subprocess.run(["umount", str(target)], check=False)


def test_bad_route_and_missing_command_are_one_line(home_env):
    bad = goscope("run", "--route", "nourl", "--", "true", env=home_env)
    assert (
        bad.returncode == 2
        and bad.stderr.strip() == "goscope: --route takes HOST=URL with an http(s) URL, not 'nourl'"
    )
    missing = goscope("run", "--headless", "--port", "0", "--", "no-such-command-xyz", env=home_env)
    assert (
        missing.returncode == 2
        and "goscope: command not found: no-such-command-xyz" in missing.stderr
    )


def test_credentials_in_a_bad_route_or_upstream_proxy_are_never_echoed(home_env, tmp_path):
    """A bad value is named in one line with its password redacted: mitmproxy's own error
    echoed an upstream proxy without a scheme, password and all, into CI logs."""
    cases = [
        (["run", "--route", "x=ftp://bob:hunter2pass@h/p", "--", "true"], {}),
        (
            ["run", "--headless", "--upstream-proxy", "bob:hunter2pass@127.0.0.1:9", "--", "true"],
            {},
        ),
        (["config"], {"GOSCOPE_UPSTREAM_PROXY": "bob:hunter2pass@proxy:3128"}),
        (["config"], {"GOSCOPE_ROUTE": "x=ftp://bob:hunter2pass@h/p"}),
        # urlsplit's own refusal ("Invalid IPv6 URL") escaped as a traceback, exit 1.
        (["run", "--route", "a.example=http://bob:hunter2pass@[x", "--", "true"], {}),
        (["run", "--upstream-proxy", "http://bob:hunter2pass@[x", "--", "true"], {}),
    ]
    for args, extra in cases:
        out = goscope(*args, env={**home_env, **extra})
        assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1, out.stderr
        assert "hunter2pass" not in out.stderr and "bob:xxxxx@" in out.stderr, out.stderr
        assert "Traceback" not in out.stderr and "IPv6" not in out.stderr, out.stderr
    good = "proxy.golang.org=https://bob:hunter2pass@127.0.0.1:9/p?token=ghp_" + "a1" * 18
    shown = goscope("config", env={**home_env, "GOSCOPE_ROUTE": good})
    assert shown.returncode == 0 and "hunter2pass" not in shown.stdout
    assert "ghp_" not in shown.stdout and "bob:xxxxx@127.0.0.1:9" in shown.stdout


def test_save_flows_appends_through_no_link(home_env, tmp_path):
    """mitmproxy reads `+PATH` as "append to PATH": the check was of the literal `+PATH`,
    so the flows went through a link into someone else's file."""
    victim = tmp_path / "victim"
    victim.write_text("v\n")
    (tmp_path / "fl.link").symlink_to(victim)
    out = goscope(
        "run", "--headless", "--port", "0", "--save-flows", f"+{tmp_path / 'fl.link'}", "--",
        "true", env=home_env,
    )  # fmt: skip
    assert out.returncode == 2 and "symbolic link" in out.stderr
    assert victim.read_text() == "v\n"


def test_private_patterns_from_a_flag_are_read_as_from_a_setting(home_env):
    """`--private "a, b"` is a and b, as GOSCOPE_PRIVATE="a, b" is: the flag kept " b", a
    pattern no path matches, and the leak went unnamed (exit 0)."""
    out = goscope("route", "--private", "other.example, corp.example.com", "corp.example.com/x",
                  env=home_env)  # fmt: skip
    assert out.returncode == 1 and "LEAK" in out.stdout, out.stdout + out.stderr


def test_proxy_command_prints_the_env_line_and_stops_on_ctrl_c(home_env):
    proc = subprocess.Popen(
        [sys.executable, "-m", "goscope", "proxy", "--port", "0"],
        env=home_env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = proc.stderr.readline()
        second = proc.stderr.readline()
        assert first.startswith("goscope proxy listening on http://127.0.0.1:")
        port = first.strip().rsplit(":", 1)[1]
        assert second.strip() == f'In another terminal: eval "$(goscope env --port {port})"'
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0
        assert "0 requests seen" in proc.stderr.read()
    finally:
        proc.kill()


def test_events_stream_over_a_private_socket_and_flows_are_saved(tmp_path):
    lib = Module("example.com/lib", "v1.0.0")
    received = []

    async def main():
        path = private_socket_path(tmp_path / "home")
        listener = EventListener(path, received.append).start()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        with ModServer({"proxy.example": HostBehaviour([lib])}) as server:
            config = ProxyConfig(
                home=tmp_path / "home",
                port=0,
                routes=server.routes(),
                events_socket=str(path),
                save_flows=str(tmp_path / "flows.mitm"),
            )
            proxy = await asyncio.to_thread(ProxyProcess(config).start)
            env = {
                **os.environ,
                "HTTPS_PROXY": proxy.url,
                "SSL_CERT_FILE": str(tmp_path / "home" / "ca-bundle.pem"),
            }
            curl = await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                "import urllib.request as u; print(u.urlopen('https://proxy.example/example.com/lib/@v/list').read())",
                env=env,
                stdout=subprocess.PIPE,
            )
            out, _ = await curl.communicate()
            assert b"v1.0.0" in out
            for _ in range(100):
                if received:
                    break
                await asyncio.sleep(0.05)
            await asyncio.to_thread(proxy.stop)
        listener.close()

    asyncio.run(main())
    assert [(e.kind, e.endpoint, e.module) for e in received] == [
        ("proxy", "list", "example.com/lib")
    ]
    # mitmproxy's flows hold the traffic as it was, credentials and all: 0600.
    assert stat.S_IMODE((tmp_path / "flows.mitm").stat().st_mode) == 0o600
    with open(tmp_path / "flows.mitm", "rb") as fh:
        flows = list(mitm_io.FlowReader(fh).stream())
    assert [f.request.pretty_url for f in flows] == [
        "https://proxy.example/example.com/lib/@v/list"
    ]


def test_no_proxy_warnings():
    assert no_proxy_warnings({"NO_PROXY": "localhost,127.0.0.1"}) == []
    assert no_proxy_warnings({"NO_PROXY": "*"}) == [
        "NO_PROXY=* sends everything around goscope: unset it to see traffic"
    ]
    assert no_proxy_warnings({"no_proxy": "corp.example,localhost"}) == [
        "no_proxy hides corp.example from goscope (requests to them bypass the proxy)"
    ]


def test_demo_lists_scenarios_and_rejects_unknown_ones(home_env):
    listing = goscope("demo", "--list", env=home_env)
    assert listing.returncode == 0
    names = [line.split()[0] for line in listing.stdout.splitlines()]
    assert {
        "tour",
        "fallthrough",
        "comma-stops",
        "pipe-falls",
        "private-leak",
        "sumdb-leak",
        "direct-vcs",
        "checksum-mismatch",
        "offline",
        "toolchain",
        "big",
    } <= set(names)
    unknown = goscope("demo", "nosuch", env=home_env)
    assert unknown.returncode == 2
    assert (
        unknown.stderr.strip() == "goscope: no scenario 'nosuch' (goscope demo --list shows them)"
    )


def test_a_checksum_mismatch_is_named_on_its_own_line(home_env):
    """The summary's line break before the module is ours, not wire text: it was escaped
    and printed as a literal backslash-n."""
    out = goscope("demo", "checksum-mismatch", "--headless", env=home_env, timeout=120)
    assert "\n      MISMATCH example.com/hello@v1.0.0" in out.stderr, out.stderr
    assert "\\n" not in out.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["doctor"],
        ["config", "--json"],
        ["route", "example.com/m"],
        ["--version"],
        ["demo", "--list"],
    ],
)
def test_a_full_stdout_is_one_line_and_no_success(home_env, args):
    """stdout on a full disk: one line on stderr and exit 2, as `report` does (it was the
    interpreter's traceback, exit 1)."""
    with open("/dev/full", "w") as full:
        out = goscope(*args, env=home_env, stdout=full)
    assert out.returncode == 2
    assert out.stderr == "goscope: the output could not be written (No space left on device)\n"


def test_two_outputs_naming_one_file_are_refused_before_anything_is_written(home_env, tmp_path):
    """`--json a --jsonl a` kept the report and lost the recording, exit 0."""
    tour = str(Path(__file__).parent / "fixtures" / "tour.jsonl")
    same = str(tmp_path / "same")
    cases = [
        ["run", "--headless", "--port", "0", "--json", same, "--jsonl", same, "--", "true"],
        ["report", "--json", same, "--sarif", str(tmp_path / "." / "same"), tour],
        ["audit", "--json", same, "--markdown", same, tour],
    ]
    for args in cases:
        out = goscope(*args, env=home_env)
        assert out.returncode == 2, out.stderr
        assert out.stderr.strip().endswith("each output needs its own file"), out.stderr
        assert not os.path.exists(same)
    # One file under two names (a hard link) is one file too.
    (tmp_path / "a.json").write_text("{}")
    os.link(tmp_path / "a.json", tmp_path / "b.md")
    out = goscope("report", "--json", str(tmp_path / "a.json"), "--markdown",
                  str(tmp_path / "b.md"), tour, env=home_env)  # fmt: skip
    assert out.returncode == 2 and "each output needs its own file" in out.stderr


@pytest.mark.parametrize(
    ("args", "extra", "says"),
    [
        (["report", "--json", "-", "TOUR"], {}, "--json takes a file name here"),
        (["run", "--headless", "--route", "a.example=http://127.0.0.1:1", "--route",
          "A.example=http://127.0.0.1:2", "--", "true"], {}, "names a.example more than once"),
        (["route", "--private", "https://corp.example.com", "corp.example.com/x"], {}, "not a URL"),
        (["report", "--trusted", "https://proxy.golang.org", "TOUR"], {}, "not a URL"),
        (["run", "--headless", "--route", "proxy.golang.org:443=http://127.0.0.1:1", "--", "true"],
         {}, "without a port"),
        (["config"], {"GOSCOPE_PRIVATE": "https://corp.example.com"}, "not a URL"),
        (["config"], {"GOSCOPE_PORT": "\u0663"}, "must be a port number"),
        (["audit", "--since", "2027-01-01", "--until", "2026-01-01", "TOUR"], {}, "is after --until"),
    ],
)  # fmt: skip
def test_more_bad_input_is_one_line_and_exit_2(home_env, tmp_path, args, extra, says):
    """Each was taken before: a file named '-', the last of two routes, a URL that matched
    no path, an Arabic-Indic digit as port 3, an empty window judged as no run (exit 4)."""
    tour = str(Path(__file__).parent / "fixtures" / "tour.jsonl")
    args = [tour if a == "TOUR" else a for a in args]
    out = goscope(*args, env={**home_env, **extra}, cwd=tmp_path)
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert len(out.stderr.strip().splitlines()) == 1 and says in out.stderr, out.stderr
    assert not (tmp_path / "-").exists()


def test_a_working_directory_removed_under_goscope_is_one_line(home_env, tmp_path):
    script = f'mkdir gone && cd gone && rmdir ../gone && exec "{sys.executable}" -m goscope config'
    out = subprocess.run(["sh", "-c", script], cwd=tmp_path, env=home_env, capture_output=True,
                         text=True, timeout=60)  # fmt: skip
    assert out.returncode == 2, out.stderr
    assert (
        out.stderr == "goscope: the working directory is gone (removed?): cd to one that exists\n"
    )


def test_options_before_a_bare_double_dash_are_runs(home_env, tmp_path):
    """`goscope --headless --port 0 -- CMD` runs CMD (it said "No such command"), as
    `goscope -- CMD` does; a port 0 setting leaves `goscope env` to find the newest."""
    out = goscope("--headless", "--port", "0", "--json", str(tmp_path / "r.json"), "--", "true",
                  env=home_env)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert json.loads((tmp_path / "r.json").read_text())["command"] == ["true"]
    # An option's value that names a command is still a value (parsed as click parses it).
    out = goscope("--headless", "--trusted", "proxy", "--port", "0", "--json",
                  str(tmp_path / "r.json"), "--", "true", env=home_env)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert json.loads((tmp_path / "r.json").read_text())["judging"]["trusted"] == ["proxy"]
    # A value that looks like an option is still the value (it made `-- doctor` goscope's).
    out = goscope("--private", "-corp", "--headless", "--port", "0", "--json",
                  str(tmp_path / "r.json"), "--", "true", env=home_env)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert json.loads((tmp_path / "r.json").read_text())["judging"]["private"] == "-corp"
    version = goscope("--version", "--", "x", env=home_env)
    assert version.returncode == 0 and version.stdout.startswith("goscope, version")
    env = goscope("env", env={**home_env, "GOSCOPE_PORT": "0"})
    assert "Invalid value for '--port'" not in env.stderr, env.stderr


def test_demo_runs_the_default_scenario_offline(home_env):
    out = goscope("demo", "--headless", env=home_env)
    assert out.returncode == 0, out.stderr
    assert "goscope demo tour" in out.stderr and "using go version go1." in out.stderr
    assert "old-mirror.example 404 → proxy.golang.org 200" in out.stderr
    assert "fix: go env -w GOPRIVATE=git.corp.example.com" in out.stderr


def test_a_broken_scenario_file_is_one_line(tmp_path):
    from goscope.lab.scenario import ScenarioError, parse_scenario

    with pytest.raises(ScenarioError, match="^bad: "):
        parse_scenario("description = 'x'\n[hosts.'a.example']\nanswer = 'teapot'\n", "bad")
    with pytest.raises(ScenarioError, match="unknown lab module"):
        parse_scenario("description = 'x'\nmodules = ['nope@v1.0.0']\n", "bad")


def test_lab_serve_output_pasted_into_bash_gives_a_lab_session_and_spares_the_real_gopath(
    tmp_path, home_env, go_binary, shared_gocache
):
    real_home = tmp_path / "real-home"  # stands for the user's own HOME: ~/go must not appear
    real_home.mkdir()
    env = {**home_env, "COLUMNS": "80", "HOME": str(real_home)}
    lab = subprocess.Popen(
        [sys.executable, "-m", "goscope", "lab", "serve", "tour"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    proxy = None
    try:
        lines = []
        while not lines or not lines[-1].startswith("# Ctrl-C"):
            lines.append(lab.stdout.readline().rstrip("\n"))
        commands = [line for line in lines if not line.startswith("#")]
        tui = next(c for c in commands if c.startswith("goscope --route"))
        shell_line = next(c for c in commands if c.startswith("goscope shell"))
        cd_line = next(c for c in commands if c.startswith("cd "))
        script = shell_line.split("then: . ", 1)[1]
        script_lines = Path(script).read_text().splitlines()
        assert script_lines and all(line.startswith("export ") for line in script_lines)
        # The TUI's routes, in a headless proxy for the test.
        routes = tui.split()[1:]
        proxy = subprocess.Popen(
            [sys.executable, "-m", "goscope", "proxy", "--port", "0", *routes],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        port = proxy.stderr.readline().strip().rsplit(":", 1)[1]
        pasted = "\n".join(
            [f". {script}", f'eval "$(goscope env --port {port})"', re.sub(r" -x\b", "", cd_line)]
        )
        go_path = f"{Path(go_binary).parent}:{Path(sys.executable).parent}:/usr/bin:/bin"
        bash_env = {**env, "PATH": go_path, "GOSCOPE_LAB_GOCACHE": str(shared_gocache)}
        out = subprocess.run(
            ["bash", "-c", pasted], env=bash_env, capture_output=True, text=True, timeout=240
        )
        assert out.returncode == 0, out.stderr[-2000:]
        assert not (real_home / "go").exists()  # nothing in the real GOPATH
        assert Path(script).parent.joinpath("gopath", "pkg", "mod").is_dir()  # the lab's own
    finally:
        for proc in (proxy, lab):
            if proc is not None:
                proc.send_signal(signal.SIGINT)
                proc.wait(timeout=30)
    assert not Path(script).exists()  # the lab removed its files


def test_bare_goscope_takes_the_options_of_run(home_env):
    # `goscope --port N` is the TUI on port N: the port-in-use advice names a real option.
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        out = goscope("--port", str(port), "--route", "a.example=http://127.0.0.1:1", env=home_env)
    assert out.returncode == 2
    assert out.stderr.strip() == (
        f"goscope: port {port} on 127.0.0.1 is already in use (choose another with --port, or --port 0)"
    )
    bad = goscope("--route", "nourl", env=home_env)
    assert bad.returncode == 2 and "--route takes HOST=URL" in bad.stderr


@pytest.mark.parametrize(
    "shell", [s for s in ("/bin/bash", "/usr/bin/zsh", "/usr/bin/fish") if os.path.exists(s)]
)
def test_goscope_shell_is_wired_to_the_running_goscope(tmp_path, home_env, shell):
    # The user's start-up files set a corporate proxy: the shell said it went through goscope
    # while go went around it (nothing recorded, a clean verdict, no guard).
    corp = "http://corp-proxy.example:3128"
    (tmp_path / ".bashrc").write_text(f"export HTTPS_PROXY={corp} NO_PROXY='*'\n")
    (tmp_path / ".zshrc").write_text(f"export HTTPS_PROXY={corp} NO_PROXY='*'\n")
    (tmp_path / ".config" / "fish").mkdir(parents=True)
    (tmp_path / ".config" / "fish" / "config.fish").write_text(
        f"set -gx HTTPS_PROXY {corp}; set -gx NO_PROXY '*'\n"
    )
    with running_proxy(home_env) as (port, _):
        env = {**home_env, "HOME": str(tmp_path), "SHELL": shell}
        for name in ("XDG_CONFIG_HOME", "NO_PROXY", "no_proxy"):  # none at launch
            env.pop(name, None)
        out = subprocess.run(
            [sys.executable, "-m", "goscope", "shell"],
            input='echo "proxy=$HTTPS_PROXY bundle=$SSL_CERT_FILE git=$GIT_SSL_CAINFO"\n'
            'echo "copies=[$GOSCOPE_WIRE_HTTPS_PROXY] no_proxy=[$NO_PROXY]"\nexit 7\n',
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    bundle = Path(home_env["GOSCOPE_HOME"]) / "ca-bundle.pem"
    assert out.returncode == 7  # the shell's own exit status
    assert re.search(
        rf"proxy=http://goscope:[\w-]+@127.0.0.1:{port} bundle={bundle} git={bundle}", out.stdout
    ), out.stdout
    assert "copies=[] no_proxy=[]" in out.stdout  # copies gone; no bypass of the user's
    if not shell.endswith("fish"):  # fish draws no prompt without a terminal
        assert "(goscope) " in out.stderr + out.stdout  # the prompt says where you are
    gone = subprocess.run(
        [sys.executable, "-m", "goscope", "shell"], env=home_env, capture_output=True, text=True
    )
    assert gone.returncode == 2 and "no goscope of yours is listening" in gone.stderr


def test_upstream_proxy_chains_through_another_proxy(tmp_path):
    lib = Module("example.com/lib", "v1.0.0")
    with ModServer({"proxy.example": HostBehaviour([lib])}) as server:
        corporate = ProxyProcess(
            ProxyConfig(home=tmp_path / "corp", port=0, routes=server.routes())
        ).start()
        ours = ProxyProcess(
            ProxyConfig(
                home=tmp_path / "home",
                port=0,
                upstream_proxy=corporate.url,
                recording=str(tmp_path / "r.jsonl"),
                ssl_insecure=True,
            )
        ).start()
        try:
            env = {
                **os.environ,
                "HTTPS_PROXY": ours.url,
                "SSL_CERT_FILE": str(tmp_path / "home" / "ca-bundle.pem"),
            }
            out = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    "import urllib.request as u; print(u.urlopen('https://proxy.example/example.com/lib/@v/list').read())",
                ],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
        finally:
            ours.stop()
            corporate.stop()
    assert "v1.0.0" in out.stdout, out.stderr
    from goscope.core.traffic.recording import read_recording

    (event,) = read_recording(str(tmp_path / "r.jsonl")).events
    assert (event.host, event.status, event.endpoint) == ("proxy.example", 200, "list")


def test_proxy_start_reads_its_ready_line_even_after_noise(tmp_path):
    # A library printing before goscope's ready line, both in one chunk.
    proxy = ProxyProcess(ProxyConfig(home=tmp_path / "home", port=0))
    proxy.proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            'import sys; sys.stdout.write(\'noise\\n{"type": "ready", "port": 4242}\\n\'); sys.stdout.flush()',
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proxy._read_message(5) == {"type": "ready", "port": 4242}
    proxy.proc.wait()


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGTERM, signal.SIGINT])
def test_a_signal_reaches_the_command_and_the_run_directory_goes(tmp_path, home_env, sig):
    # The command runs in its own process group; goscope forwards the signal to it, writes
    # the end line, prints the summary and removes its run directory: a closed terminal too.
    rec = tmp_path / "r.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "goscope", "run", "--headless", "--port", "0"]
        + ["--jsonl", str(rec), "--", "sleep", "30"],
        env=home_env,
        stderr=subprocess.PIPE,
        text=True,
    )
    runs = tmp_path / "home" / "runs"
    try:
        for _ in range(300):  # until the command runs: the recording's header is written
            if rec.exists() and rec.stat().st_size and _sleep_running(proc.pid):
                break
            import time

            time.sleep(0.05)
        proc.send_signal(sig)
        assert proc.wait(timeout=30) == 128 + sig
        stderr = proc.stderr.read()
        assert f"exit {128 + sig}" in stderr and "Traceback" not in stderr
        assert list(runs.iterdir()) == []
        end = json.loads(rec.read_text().splitlines()[-1])
        assert end["end"] is True and end["exit_code"] == 128 + sig
    finally:
        proc.kill()


def _sleep_running(parent: int) -> bool:
    import psutil

    return any(c.name() == "sleep" for c in psutil.Process(parent).children(recursive=True))


def test_ctrl_c_at_a_terminal_ends_the_command_and_goscope_reports(tmp_path, home_env):
    # As a terminal's foreground job, goscope and the command share its process group
    # (so Ctrl-Z and Ctrl-C work as for any job; a shell-less pty cannot show Ctrl-Z):
    # ^C ends the command, and goscope still writes the end line and its summary.
    import pty
    import time

    rec = tmp_path / "r.jsonl"
    argv = [sys.executable, "-m", "goscope", "run", "--headless", "--port", "0"]
    argv += ["--jsonl", str(rec), "--", "sleep", "30"]
    pid, fd = pty.fork()
    if pid == 0:  # the child: a session leader with the pty as its terminal
        os.execvpe(argv[0], argv, home_env)
    output = b""
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (rec.exists() and _sleep_running(pid)):
            time.sleep(0.05)
        os.write(fd, b"\x03")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
        _, status = os.waitpid(pid, 0)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        os.close(fd)
    text = output.decode(errors="replace")
    assert os.waitstatus_to_exitcode(status) == 130, text
    assert "exit 130" in text and "Traceback" not in text
    assert json.loads(rec.read_text().splitlines()[-1])["exit_code"] == 130


def test_goscope_home_must_be_the_users_own_real_directory(tmp_path):
    target = tmp_path / "real"
    target.mkdir(mode=0o755)
    link = tmp_path / "link"
    link.symlink_to(target)
    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o755)
    os.chown(theirs, 65534, 65534)
    for home, why in ((link, "it is a symbolic link"), (theirs, "another user owns it")):
        out = goscope("env", env={**os.environ, "GOSCOPE_HOME": str(home)})
        assert (
            out.returncode == 2
            and out.stderr == f"goscope: cannot use {home} as goscope's home: {why}\n"
        )
    assert stat.S_IMODE(target.stat().st_mode) == 0o755 and not any(target.iterdir())  # untouched
    assert stat.S_IMODE(theirs.stat().st_mode) == 0o755


def test_concurrent_first_runs_share_one_ca_and_a_corrupt_one_is_one_line(tmp_path):
    env = {**os.environ, "GOSCOPE_HOME": str(tmp_path / "home")}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "goscope", "ca"], env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    results = [p.communicate(timeout=60) for p in procs]
    outputs = [out for out, _ in results]
    assert [p.returncode for p in procs] == [0] * 4, [err for _, err in results]
    fingerprints = {
        line for out in outputs for line in out.splitlines() if line.startswith("sha256:")
    }
    assert len(fingerprints) == 1  # one CA, not four racing each other
    key = tmp_path / "home" / "mitmproxy" / "mitmproxy-ca.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    key.write_text("")
    out = goscope("ca", env=env)
    assert out.returncode == 2 and len(out.stderr.splitlines()) == 1
    assert "cannot be read" in out.stderr and "goscope ca --regenerate" in out.stderr
    assert goscope("ca", "--regenerate", env=env).returncode == 0


LIMITED = (
    "import resource, runpy, sys\n"
    "resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))\n"
    "sys.argv = ['goscope', *sys.argv[1:]]\n"
    "runpy.run_module('goscope', run_name='__main__')\n"
)


@pytest.mark.parametrize("command", ["report", "open"])
def test_a_100_mb_line_is_refused_fast_in_bounded_memory(tmp_path, home_env, command):
    import time

    rec = tmp_path / "huge.jsonl"
    with rec.open("w") as fh:
        fh.write(header_line() + "\n")
        fh.write('{"seq": 1, "preview": "' + "x" * (100 * 2**20) + '"}\n')
    start = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-c", LIMITED, command, str(rec)],
        capture_output=True,
        text=True,
        env=home_env,
        timeout=60,
    )
    assert time.monotonic() - start < 5
    assert out.returncode == 2 and out.stderr == f"goscope: {rec}:2: line longer than 4 MiB\n"


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_shell_completion_completes_commands_and_scenario_names(shell, tmp_path):
    """The documented setup (docs/configuration.md) works: the shell's script is made, and
    a scenario name completes, even with a broken settings file around."""
    import subprocess
    import sys

    (tmp_path / ".goscope.toml").write_text("broken = [\n")
    base = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path)}
    source = subprocess.run(
        [sys.executable, "-m", "goscope"],
        env={**base, "_GOSCOPE_COMPLETE": f"{shell}_source"},
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert source.returncode == 0 and "_GOSCOPE_COMPLETE" in source.stdout
    words = {"COMP_WORDS": "goscope demo guard-p", "COMP_CWORD": "2"}
    done = subprocess.run(
        [sys.executable, "-m", "goscope"],
        env={**base, **words, "_GOSCOPE_COMPLETE": "bash_complete"},
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert done.stdout.split() == ["plain,guard-pipe", "plain,guard-public"], done.stderr


def test_without_a_terminal_a_run_goes_headless_and_a_tui_is_refused(tmp_path, home_env):
    """CI without --headless: never a screen drawn into a pipe, waiting for keys forever."""
    run = goscope("run", "--port", "0", "--", "true", env=home_env, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "goscope: no terminal: running headless (--headless)" in run.stderr
    assert "\x1b[?1049h" not in run.stdout + run.stderr  # no alternate screen was opened
    waiting = goscope("run", "--port", "0", env=home_env, timeout=60)
    assert waiting.returncode == 2
    assert waiting.stderr == "goscope: the TUI needs a terminal (stdin and stdout are not one)\n"
    rec = tmp_path / "r.jsonl"
    rec.write_text(header_line() + "\n")
    opened = goscope("open", str(rec), env=home_env, timeout=60)
    assert opened.returncode == 2 and "needs a terminal" in opened.stderr


def test_an_output_naming_the_file_a_command_reads_is_refused(tmp_path, home_env):
    """`report r.jsonl --json r.jsonl` replaced the recording with its report (audit too)."""
    rec = tmp_path / "r.jsonl"
    ev = event("https://proxy.golang.org/rsc.io/quote/@v/v1.5.2.info", 200, seq=1)
    whole = (
        header_line({}) + "\n" + ev.to_json() + "\n" + end_line(exit_code=0, stats={"events": 1})
    )
    rec.write_text(whole + "\n")
    os.link(rec, tmp_path / "same.jsonl")
    for args in (
        ["report", str(rec), "--json", str(rec)],
        ["report", str(rec), "--markdown", str(tmp_path / "same.jsonl")],
        ["audit", str(rec), "--sarif", str(rec)],
        # diff's B, and a file a directory or a glob gives the audit (each was replaced).
        ["diff", str(tmp_path / "same.jsonl"), str(rec), "--markdown", str(rec)],
        ["audit", str(tmp_path), "--markdown", str(rec)],
        ["audit", str(tmp_path / "*.jsonl"), "--json", str(rec)],
    ):
        out = goscope(*args, env=home_env)
        assert out.returncode == 2 and "which this command reads" in out.stderr, (args, out.stderr)
        assert rec.read_text() == whole + "\n"
    # Nor into a directory the audit reads: the next audit read the output as a run.
    out = goscope("audit", str(tmp_path), "--json", str(tmp_path / "audit.json"), env=home_env)
    assert out.returncode == 2 and "inside" in out.stderr and len(out.stderr.splitlines()) == 1
    assert not (tmp_path / "audit.json").exists()
    # What a walk never reads back may go there (`audit . --markdown audit.md`).
    out = goscope(
        "audit", ".", "--markdown", "audit.md", "--sarif", "a.sarif", env=home_env, cwd=tmp_path
    )
    assert out.returncode != 2 and (tmp_path / "audit.md").exists(), out.stderr


def test_route_never_prints_a_goproxy_or_gosumdb_secret(home_env):
    env = {
        **home_env,
        "GOPROXY": "https://user:hunter2pw@goproxy.corp.example/ghp_" + "a" * 36 + ",direct",
        "GOSUMDB": "sum.golang.org https://u:sumpw@sumproxy.example",
    }
    for args in (["route", "example.com/x"], ["route", "example.com/x", "--json"]):
        out = goscope(*args, env=env)
        assert out.returncode == 0, out.stderr
        assert "goproxy.corp.example" in out.stdout and "sumproxy.example" in out.stdout
        for secret in ("hunter2pw", "sumpw", "ghp_aaaa"):
            assert secret not in out.stdout, (args, out.stdout)


def test_env_refuses_a_value_a_shell_could_not_be_given_safely(tmp_path):
    """A GOSCOPE_HOME holding ESC[0m: click took the sequence out of what it printed to a pipe
    (`eval "$(goscope env)"`), so the shell trusted the CA bundle of another directory, one
    anyone may create under /tmp."""
    home = str(tmp_path / "home\x1b[0mx")
    env = {**os.environ, "GOSCOPE_HOME": home}
    proxy = subprocess.Popen(
        [sys.executable, "-m", "goscope", "proxy", "--port", "0"],
        env=env, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proxy.stderr is not None
        assert proxy.stderr.readline().startswith("goscope proxy listening on")
        out = goscope("env", env=env)
    finally:
        proxy.send_signal(signal.SIGINT)
        proxy.wait(timeout=60)
    assert out.returncode == 2 and out.stdout == "", out.stdout
    assert "would hold a control character" in out.stderr and "\x1b" not in out.stderr


# -- the command line as a demanding user meets it (from an outside attack; each failed) --
def test_run_leaves_every_word_after_the_command_to_it(home_env, tmp_path):
    # `run go list -m --json all` gave --json to goscope: a report in a file named "all"
    # (replacing any), and go ran `go list -m`.
    script = tmp_path / "args.py"
    script.write_text("import sys; print(sys.argv[1:])\n")
    out = goscope(
        "run",
        "--headless",
        "--port",
        "0",
        sys.executable,
        str(script),
        "--json",
        "all",
        env=home_env,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    assert "['--json', 'all']" in out.stdout and not (tmp_path / "all").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["--private", "corp.example.com", "route", "corp.example.com/x"],
        ["--fail-on-leak", "--jsonl", "zz.jsonl", "report", "tests/fixtures/tour.jsonl"],
    ],
)
def test_an_option_of_run_before_another_command_is_refused_not_dropped(home_env, args):
    out = goscope(*args, env=home_env, cwd=Path(__file__).parent.parent)
    assert out.returncode == 2 and len(out.stderr.splitlines()) == 1, out.stderr
    assert "goes after the command it is for" in out.stderr


@pytest.mark.parametrize(
    ("args", "extra"),
    [
        (
            ["run", "--listen-host", "\x1b]0;PWNED\x07", "--port", "0", "--headless", "--", "true"],
            {},
        ),
        (["ca"], {"GOSCOPE_HOME": "/tmp/goscope-test-\x1b]0;X\x07-home"}),
    ],
)
def test_the_users_own_text_never_reaches_the_terminal_as_control(home_env, args, extra):
    out = goscope(*args, env={**home_env, **extra})
    assert "\x1b" not in out.stdout + out.stderr and "\x07" not in out.stdout + out.stderr
    shutil.rmtree("/tmp/goscope-test-\x1b]0;X\x07-home", ignore_errors=True)


def test_config_redacts_token_shapes_in_every_value(home_env):
    token = "ghp_" + "a1" * 18
    env = {**home_env, "GOSCOPE_TRUSTED": token, "GOSCOPE_PRIVATE": "glpat-" + "b" * 20}
    for args in (["config"], ["config", "--json"]):
        out = goscope(*args, env=env)
        assert out.returncode == 0 and token not in out.stdout and "glpat-" not in out.stdout


def test_settings_apply_unless_the_shell_is_really_completing(home_env, tmp_path):
    # An empty _GOSCOPE_COMPLETE dropped the user's file: its private patterns, guard and
    # fail-on-leak with them.
    user = tmp_path / "xdg" / "goscope"
    user.mkdir(parents=True)
    (user / "config.toml").write_text('private = "corp.example.com"\n')
    env = {**home_env, "XDG_CONFIG_HOME": str(tmp_path / "xdg"), "_GOSCOPE_COMPLETE": ""}
    out = goscope("route", "corp.example.com/x", env=env, cwd=tmp_path)
    assert out.returncode == 1 and "LEAK" in out.stdout, out.stdout + out.stderr


def test_route_takes_no_guard_and_refuses_two_environments(home_env, tmp_path):
    env = {**home_env, "GOSCOPE_GUARD": "1"}
    on = goscope("route", "corp.example.com/x", "--private", "corp.example.com", env=env)
    off = goscope(
        "route", "corp.example.com/x", "--private", "corp.example.com", "--no-guard", env=env
    )
    assert "BLOCKED" in on.stdout and off.returncode == 1 and "BLOCKED" not in off.stdout
    (tmp_path / "goenv").write_text("GOPROXY=off\n")
    tour = str(Path(__file__).parent / "fixtures" / "tour.jsonl")
    both = goscope("route", "x.example/m", "--from", tour, "--env-file", str(tmp_path / "goenv"))
    assert both.returncode == 2 and "give one" in both.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--headless", "--port", "0", "--jsonl=", "--", "true"],
        ["run", "--headless", "--port", "0", "--save-flows", "+", "--", "true"],
        ["report", "tests/fixtures/tour.jsonl", "--json="],
        ["diff", "tests/fixtures/tour.jsonl", "tests/fixtures/tour.jsonl", "--markdown="],
        ["audit", "tests/fixtures/tour.jsonl", "--sarif="],
    ],
)
def test_an_empty_output_name_is_refused(home_env, args):
    # `--jsonl "$UNSET"` in CI: no recording, exit 0 (and --save-flows + a traceback).
    out = goscope(*args, env=home_env, cwd=Path(__file__).parent.parent)
    assert out.returncode == 2 and out.stderr.strip().endswith("(it was given an empty one)")


def test_a_bad_project_file_leaves_help_and_version(home_env, tmp_path):
    (tmp_path / ".goscope.toml").write_text('trusted = "x"\n')
    for args in (["--version"], ["report", "--help"]):
        assert goscope(*args, env=home_env, cwd=tmp_path).returncode == 0, args
    assert goscope("config", env=home_env, cwd=tmp_path).returncode == 2


def test_messages_are_lines_not_escapes_or_errnos(home_env):
    lab = goscope("lab", env=home_env)
    assert lab.returncode == 2 and "\\n" not in lab.stderr and "Usage:" in lab.stderr
    missing = goscope(
        "diff",
        "tests/fixtures/tour.jsonl",
        "/nonexist",
        env=home_env,
        cwd=Path(__file__).parent.parent,
    )
    assert missing.returncode == 2
    assert missing.stderr.strip() == "goscope: /nonexist: No such file or directory"


def test_the_job_summary_is_appended_to_as_github_says(home_env, tmp_path):
    # A heading echoed into $GITHUB_STEP_SUMMARY, or a first goscope's summary, was replaced.
    summary = tmp_path / "step_summary"
    summary.write_text("## before\n")
    env = {**home_env, "GITHUB_STEP_SUMMARY": str(summary)}
    tour = str(Path(__file__).parent / "fixtures" / "tour.jsonl")
    for args in (
        ["report", tour, "--markdown", str(summary)],
        ["diff", tour, tour, "--markdown", str(summary)],
        ["audit", tour, "--markdown", str(summary)],
    ):
        goscope(*args, env=env)
    text = summary.read_text()
    assert text.startswith("## before\n") and text.count("goscope") >= 3, text[:300]
    other = tmp_path / "other.md"  # any other file is written whole
    other.write_text("old\n")
    goscope("report", tour, "--markdown", str(other), env=env)
    assert not other.read_text().startswith("old")


def test_a_help_flag_of_the_command_run_never_drops_the_settings(home_env, tmp_path):
    # With a bad project file, `-h` anywhere (here sort's) dropped every setting, the
    # guard from GOSCOPE_GUARD with them, and the command ran unguarded.
    (tmp_path / ".goscope.toml").write_text('trusted = "x"\n')
    env = {**home_env, "GOSCOPE_GUARD": "1"}
    out = goscope("run", "--headless", "--port", "0", "--", "sort", "-h", env=env, cwd=tmp_path)
    assert out.returncode == 2 and ".goscope.toml" in out.stderr, out.stderr
