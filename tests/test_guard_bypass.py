"""The guard through the real proxy against clients that try to get past it.

Whatever a wired client sends, a request the report calls a leak never reaches the upstream
with the guard on, and every request is an event.
"""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys

import pytest

from goscope.core.traffic.recording import read_recording
from goscope.core.vocab import BLOCKED_FLAG
from goscope.proxy.launcher import ProxyConfig, ProxyProcess

from .modserver import HostBehaviour, ModServer, Module

SECRET = "s3cret-of-this-run-0123456789"
PRIVATE = Module("corp.example/secret", "v1.0.0")


def _guarded_proxy(
    tmp_path, server: ModServer, private: str = "corp.example", guard_toggle: bool = False
) -> ProxyProcess:
    return ProxyProcess(
        ProxyConfig(
            home=tmp_path / "home",
            port=0,
            routes=server.routes(),
            recording=str(tmp_path / "r.jsonl"),
            secret=SECRET,
            guard=True,
            guard_toggle=guard_toggle,
            judging={"private": private, "trusted": [], "guard": True},
        )
    ).start()


def _go_env(tmp_path, **variables: str) -> dict[str, str]:
    """A client process's environment: no Go variable or go env -w file of the machine's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GO") and k != "HOME"}
    return {**env, "HOME": str(tmp_path), **variables}


def test_a_request_whose_first_bytes_come_alone_is_still_http_and_still_guarded(tmp_path):
    # mitmproxy's rawtcp (on by default) passed a connection through as raw TCP when its
    # first segment held fewer than three bytes: no event, no guard, and a complete, clean
    # verdict for a private path that reached the proxy. (The lab is the client's GOPROXY,
    # so that nothing but 127.0.0.1 is dialled, even when the passthrough comes back.)
    auth = base64.b64encode(f"goscope:{SECRET}".encode()).decode()
    with ModServer({"127.0.0.1": HostBehaviour([PRIVATE])}) as server:
        lab = f"127.0.0.1:{server.port}"
        proxy = _guarded_proxy(tmp_path, server)
        client = (
            "import socket, sys, time\n"
            f"s = socket.create_connection(({proxy.host!r}, {proxy.port}), timeout=10)\n"
            f"s.sendall(b'CONNECT {lab} HTTP/1.1\\r\\nProxy-Authorization: Basic {auth}"
            "\\r\\n\\r\\n')\n"
            "assert s.recv(4096).startswith(b'HTTP/1.1 200')\n"
            "request = (b'GET /corp.example/secret/@v/list HTTP/1.1\\r\\n'\n"
            f"           b'Host: {lab}\\r\\nConnection: close\\r\\n\\r\\n')\n"
            "s.sendall(request[:2])\n"
            "time.sleep(0.5)  # mitmproxy picks the layer on what has come so far\n"
            "s.sendall(request[2:])\n"
            "sys.stdout.buffer.write(s.recv(4096)[:12])\n"
        )
        env = _go_env(tmp_path, GOPROXY=f"http://{lab}")
        try:
            done = subprocess.run(
                [sys.executable, "-c", client], env=env, capture_output=True, timeout=60
            )
        finally:
            stats = proxy.stop()
    assert not server.requests, "the private path reached the proxy"
    assert done.stdout == b"HTTP/1.1 404", done
    recording = read_recording(str(tmp_path / "r.jsonl"))
    assert stats["events"] == len(recording.events) == 1
    (event,) = recording.events
    assert event.module == "corp.example/secret" and BLOCKED_FLAG in event.flags


def test_a_lookup_at_the_senders_own_checksum_mirror_is_guarded(tmp_path):
    # A URL is a checksum database's by the GOSUMDB of the process that sent it: classified
    # by the command's environment instead, a child's mirror was "other" and was forwarded.
    auth = base64.b64encode(f"goscope:{SECRET}".encode()).decode()
    hosts = {"sumdb.mirror.example": HostBehaviour([PRIVATE])}
    with ModServer(hosts) as server:
        proxy = _guarded_proxy(tmp_path, server)
        client = (
            "import socket, sys\n"
            f"s = socket.create_connection(({proxy.host!r}, {proxy.port}), timeout=10)\n"
            "s.sendall(b'GET http://sumdb.mirror.example/base/lookup/corp.example/secret@v1.0.0"
            " HTTP/1.1\\r\\n'\n"
            f"          b'Host: sumdb.mirror.example\\r\\nProxy-Authorization: Basic {auth}\\r\\n'\n"
            "          b'User-Agent: Go-http-client/1.1\\r\\nConnection: close\\r\\n\\r\\n')\n"
            "sys.stdout.buffer.write(s.recv(65536)[:12])\n"
        )
        env = _go_env(tmp_path, GOSUMDB="sum.golang.org http://sumdb.mirror.example/base")
        try:
            done = subprocess.run(
                [sys.executable, "-c", client], env=env, capture_output=True, timeout=60
            )
        finally:
            stats = proxy.stop()
    assert not server.requests, "the private path reached the checksum mirror"
    assert done.stdout == b"HTTP/1.1 403", done
    recording = read_recording(str(tmp_path / "r.jsonl"))
    assert stats["events"] == len(recording.events) == 1
    (event,) = recording.events
    assert (event.kind, event.module) == ("sumdb", "corp.example/secret")
    assert BLOCKED_FLAG in event.flags


def test_a_request_that_names_another_host_than_it_goes_to_is_refused(tmp_path):
    # Judged by the host it names (corp.example, the module's own: no leak), but sent where
    # it connected or its URL says (here the lab at 127.0.0.1; proxy.golang.org as easily):
    # the private path went there past the guard, and the recording named corp.example.
    auth = base64.b64encode(f"goscope:{SECRET}".encode()).decode()
    ask = (
        b"GET /corp.example/secret/@v/list HTTP/1.1\r\n"
        b"Host: corp.example\r\nConnection: close\r\n\r\n"
    )
    answers = []
    with ModServer({"proxy.golang.org": HostBehaviour([PRIVATE])}) as server:
        proxy = _guarded_proxy(tmp_path, server)
        try:
            for connect, request in (
                (f"CONNECT 127.0.0.1:{server.port} HTTP/1.1\r\n", ask),
                (
                    None,
                    ask.replace(b"GET /", f"GET http://127.0.0.1:{server.port}/".encode()).replace(
                        b"\r\n\r\n", f"\r\nProxy-Authorization: Basic {auth}\r\n\r\n".encode()
                    ),
                ),
            ):
                with socket.create_connection((proxy.host, proxy.port), timeout=10) as raw:
                    if connect:
                        raw.sendall(f"{connect}Proxy-Authorization: Basic {auth}\r\n\r\n".encode())
                        assert raw.recv(4096).startswith(b"HTTP/1.1 200")
                    raw.sendall(request)
                    answers.append(raw.recv(4096))
        finally:
            stats = proxy.stop()
    assert not server.requests, "the request went where it did not say"
    assert all(a.startswith(b"HTTP/1.1 421") for a in answers), answers
    recording = read_recording(str(tmp_path / "r.jsonl"))
    assert stats["events"] == len(recording.events) == 2
    for event in recording.events:
        assert {"misdirected", BLOCKED_FLAG} <= set(event.flags)
        assert event.error.startswith("refused by goscope: the request names corp.example")


# -- senders goscope knows only in part (from an outside attack; each failed before its fix) --
MIRROR = "sumdb.mirror.example"
LOOKUP = (
    "import socket, sys\n"
    "def ask(port):\n"
    "    s = socket.create_connection(('127.0.0.1', port), timeout=10)\n"
    f"    s.sendall(b'GET http://{MIRROR}/base/lookup/corp.example/secret@v1.0.0 HTTP/1.1\\r\\n'\n"
    f"              b'Host: {MIRROR}\\r\\nProxy-Authorization: Basic {{auth}}\\r\\n'\n"
    "              b'User-Agent: Go-http-client/1.1\\r\\nConnection: close\\r\\n\\r\\n')\n"
    "    return s.recv(65536)[:12]\n"
)


def _judged_by_senders(tmp_path, server: ModServer) -> ProxyProcess:
    """Guarded, with no --private: only each sender's own environment calls a path private."""
    return _guarded_proxy(tmp_path, server, private="")


def _client(script: str, proxy: ProxyProcess, env: dict[str, str]) -> bytes:
    auth = base64.b64encode(f"goscope:{SECRET}".encode()).decode()
    code = LOOKUP.replace("{auth}", auth) + script.replace("PORT", str(proxy.port))
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _ask(tmp_path, script: str, env: dict[str, str]) -> tuple[bytes, dict, list]:
    """`script` run as a client of a guarded proxy judged by senders alone, the checksum
    mirror behind it: what the client was answered, the proxy's count, what reached it."""
    with ModServer({MIRROR: HostBehaviour([PRIVATE])}) as server:
        proxy = _judged_by_senders(tmp_path, server)
        try:
            said = _client(script, proxy, env)
        finally:
            stats = proxy.stop()
    return said, stats, server.requests


def test_a_sender_whose_go_env_file_goscope_will_not_read_keeps_its_own_variables(tmp_path):
    """A GOENV file over 1 MiB (go reads it): goscope dropped the whole environment of the
    process, its GONOPROXY too, so the guard let the private lookup out; 0 leaks, complete."""
    big = tmp_path / "goenv"
    big.write_text(("# " + "x" * 98 + "\n") * 11000)
    env = _go_env(
        tmp_path, GONOPROXY="corp.example", GOENV=str(big),
        GOSUMDB=f"sum.golang.org http://{MIRROR}/base",
    )  # fmt: skip
    said, _, reached = _ask(tmp_path, "sys.stdout.buffer.write(ask(PORT))", env)
    assert not reached, "the private path reached the checksum database"
    assert said == b"HTTP/1.1 403"
    reasons = read_recording(str(tmp_path / "r.jsonl")).incomplete()
    assert any("known only in part" in r and "go env -w file" in r for r in reasons), reasons


def test_a_process_that_execs_is_judged_by_its_new_environment(tmp_path):
    """A process asked once, then exec'd itself with GONOPROXY set: it kept its pid and start
    time, was judged by its first environment, and the private lookup left."""
    env = _go_env(tmp_path, GOSUMDB=f"sum.golang.org http://{MIRROR}/base")
    script = (
        "import os\n"
        "if 'GONOPROXY' not in os.environ:\n"
        "    ask(PORT)  # before: nothing of its is private\n"
        "    os.execve(sys.executable, sys.orig_argv, {**os.environ, 'GONOPROXY': 'corp.example'})\n"
        "sys.stdout.buffer.write(ask(PORT))\n"
    )
    said, _, reached = _ask(tmp_path, script, env)
    assert len(reached) == 1, reached  # the first ask only
    assert said == b"HTTP/1.1 403"


def test_a_connection_whose_process_is_not_found_makes_the_verdict_incomplete(tmp_path):
    """A process holding more than 1,024 files is not searched: its requests were judged by
    nobody's environment, silently, and the verdict was complete."""
    env = _go_env(tmp_path, GOSUMDB=f"sum.golang.org http://{MIRROR}/base")
    script = (
        "import os, resource\n"
        "soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))\n"
        "held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]\n"
        "sys.stdout.buffer.write(ask(PORT))\n"
    )
    _, stats, _ = _ask(tmp_path, script, env)
    assert stats["sender_unknown"] == 1, stats
    reasons = read_recording(str(tmp_path / "r.jsonl")).incomplete(stats)
    assert any("could not find" in r for r in reasons), reasons


# -- request shapes that got past the guard (from an outside attack; each failed before) --
def _ask_raw(tmp_path, host: str, path: bytes, private: str, env: dict[str, str]):
    """One absolute-form GET of `path` at `host` (routed to the lab) through a guarded
    proxy: what the client was answered, the proxy's count, the recording, what went out."""
    auth = base64.b64encode(f"goscope:{SECRET}".encode()).decode()
    with ModServer({host: HostBehaviour([PRIVATE])}) as server:
        proxy = _guarded_proxy(tmp_path, server, private=private)
        client = (  # a tunnel, as go's HTTPS requests come (here to the routed lab)
            "import socket, sys\n"
            f"s = socket.create_connection(({proxy.host!r}, {proxy.port}), timeout=10)\n"
            f"s.sendall(b'CONNECT {host}:80 HTTP/1.1\\r\\nProxy-Authorization: Basic {auth}'\n"
            "          b'\\r\\n\\r\\n')\n"
            "assert s.recv(4096).startswith(b'HTTP/1.1 200')\n"
            f"s.sendall(b'GET ' + {path!r} + b' HTTP/1.1\\r\\nHost: {host}\\r\\n'\n"
            "          b'User-Agent: Go-http-client/1.1\\r\\nConnection: close\\r\\n\\r\\n')\n"
            "sys.stdout.buffer.write(s.recv(65536)[:12])\n"
        )
        try:
            done = subprocess.run(
                [sys.executable, "-c", client],
                env=_go_env(tmp_path, **env),
                capture_output=True,
                timeout=60,
            )
        finally:
            stats = proxy.stop()
    return done.stdout, stats, read_recording(str(tmp_path / "r.jsonl")), server.requests


@pytest.mark.parametrize(
    ("host", "path", "private", "env", "module"),
    [
        # A module path may hold `sumdb` and `lookup` elements: the proxy shape is read first
        # (it was a "lookup" of api.v2/: no leak, checksums "verified", exit 0).
        (
            "proxy.golang.org",
            b"/corp.example/sumdb/x/lookup/api.v2/@v/list",
            "corp.example",
            {"GOPROXY": "https://proxy.golang.org,direct"},
            "corp.example/sumdb/x/lookup/api.v2",
        ),
        # And a direct lookup's operation follows the database's base, whatever the path
        # holds after it.
        (
            "sum.golang.org",
            b"/lookup/corp.example/sumdb/x/lookup/api.v2@v1.0.0",
            "corp.example",
            {"GONOSUMDB": "corp.example"},
            "corp.example/sumdb/x/lookup/api.v2",
        ),
        # An empty element: the server reads github.com/corp/x (nginx merge_slashes).
        (
            "proxy.golang.org",
            b"/github.com//corp/x/@v/list",
            "github.com/corp",
            {},
            "github.com/corp/x",
        ),
    ],
)
def test_a_private_path_in_an_odd_shape_is_still_stopped(
    tmp_path, host, path, private, env, module
):
    said, stats, recording, reached = _ask_raw(tmp_path, host, path, private, env)
    assert not reached, "the private path left"
    (event,) = recording.events
    assert event.module == module and BLOCKED_FLAG in event.flags
    assert said.startswith(b"HTTP/1.1 40"), said


def test_a_request_the_guard_cannot_judge_is_not_sent_and_the_verdict_is_incomplete(tmp_path):
    # A path byte that is not UTF-8 broke the guard's answer; mitmproxy logged the hook's
    # exception and forwarded the request, and the report said "blocked", complete.
    said, stats, recording, reached = _ask_raw(
        tmp_path, "proxy.golang.org", b"/github.com/corp/x\xff/@v/list", "github.com/corp", {}
    )
    assert not reached, "the request left"
    blocked = [e for e in recording.events if BLOCKED_FLAG in e.flags]
    if not blocked:  # the guard could not judge it: not sent, and counted
        assert said.startswith(b"HTTP/1.1 502"), said
        assert stats["internal_errors"] >= 1
    else:
        assert said.startswith(b"HTTP/1.1 404"), said


def test_a_sender_is_guarded_by_its_environment_not_the_redacted_copy(tmp_path):
    # A GOPRIVATE element shaped like a token was redacted in the copy the guard judged by:
    # the path matched nothing there, and went out (the report, redacted on both sides,
    # called it a leak that was sent).
    said, stats, recording, reached = _ask_raw(
        tmp_path,
        "proxy.golang.org",
        b"/github.com/xoxb-1-acme/secret/@v/list",
        "",
        {"GOPRIVATE": "github.com/xoxb-1-acme,github.com/other"},
    )
    assert not reached, "the private path left"
    assert said.startswith(b"HTTP/1.1 404"), said


@pytest.mark.parametrize("toggle", [False, True])
def test_only_the_tuis_proxy_turns_its_guard_off_by_signal(tmp_path, toggle):
    # Any process of the user's could send SIGUSR2 to a headless run's proxy: the guard went
    # off, the private path left, and the summary never said so (an outside attack). Only
    # the TUI's proxy (`g`) takes the signals; elsewhere they are ignored.
    import signal
    import time

    auth = base64.b64encode(f"goscope:{SECRET}".encode()).decode()
    with ModServer({"proxy.golang.org": HostBehaviour([PRIVATE])}) as server:
        proxy = _guarded_proxy(tmp_path, server, guard_toggle=toggle)
        client = (
            "import socket, sys\n"
            f"s = socket.create_connection(({proxy.host!r}, {proxy.port}), timeout=10)\n"
            "s.sendall(b'GET http://proxy.golang.org/corp.example/secret/@v/list HTTP/1.1\\r\\n'\n"
            f"          b'Host: proxy.golang.org\\r\\nProxy-Authorization: Basic {auth}\\r\\n'\n"
            "          b'User-Agent: Go-http-client/1.1\\r\\nConnection: close\\r\\n\\r\\n')\n"
            "sys.stdout.buffer.write(s.recv(65536)[:12])\n"
        )
        try:
            os.kill(proxy.proc.pid, signal.SIGUSR2)
            # The TUI's proxy writes the change to the recording once it has made it: waited
            # for, not timed. Elsewhere nothing comes; a late signal is ignored all the same.
            deadline = time.monotonic() + (30 if toggle else 0.5)
            recording = tmp_path / "r.jsonl"
            while time.monotonic() < deadline:
                if recording.exists() and '"guard":{"on":false' in recording.read_text():
                    break
                time.sleep(0.05)
            done = subprocess.run(
                [sys.executable, "-c", client], env=_go_env(tmp_path), capture_output=True,
                timeout=60,
            )  # fmt: skip
            alive = proxy.proc.poll() is None
        finally:
            proxy.stop()
    assert alive, "the signal ended the proxy"
    if toggle:  # the TUI turned it off: the request goes out, as the user asked
        assert server.requests and done.stdout == b"HTTP/1.1 200", done
    else:
        assert not server.requests, "the guard was turned off from outside"
        assert done.stdout == b"HTTP/1.1 404", done
