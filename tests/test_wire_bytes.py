"""Bytes that are not UTF-8, from a client on the wire, through the real proxy.

mitmproxy decodes a request's Host header and header values (an HTTP/1 request line must be
ASCII: it answers 400 itself) with `surrogateescape`:
a byte such as 0xff becomes the lone surrogate U+DCFF, which no JSON encoder writes. Such a
request must still be an event (its text shown visibly), and a refused client that sends such
bytes must still be told, never lost with the recording saying less than the wire did.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from goscope.core.gotool import go_version_of
from goscope.core.traffic.recording import read_recording
from goscope.proxy.launcher import ProxyConfig, ProxyProcess
from goscope.proxy.outputs import redact_har_file

from .modserver import HostBehaviour, ModServer, Module

LIB = Module("example.com/lib", "v1.0.0")
SECRET = "s3cret-of-this-run-0123456789"


SECRET_MODULE = Module("corp.example/secret", "v1.0.0")


@contextlib.contextmanager
def _proxy(tmp_path: Path, module: Module = LIB) -> Iterator[tuple[ProxyProcess, dict, ModServer]]:
    """The real proxy, recording to tmp_path/r.jsonl, in front of a lab server for
    proxy.example; its stats fill the dict once it has stopped."""
    stats: dict = {}
    with ModServer({"proxy.example": HostBehaviour([module])}) as server:
        proxy = ProxyProcess(
            ProxyConfig(
                home=tmp_path / "goscope-home",
                port=0,
                routes=server.routes(),
                recording=str(tmp_path / "r.jsonl"),
                secret=SECRET,
            )
        ).start()
        try:
            yield proxy, stats, server
        finally:
            stats.update(proxy.stop())


def _ask(proxy: ProxyProcess, request: bytes) -> bytes:
    with socket.create_connection((proxy.host, proxy.port), timeout=10) as raw:
        raw.sendall(request)  # Connection: close: the proxy closes once it has answered
        answer = b""
        while chunk := raw.recv(65536):
            answer += chunk
    return answer


def test_a_request_with_raw_bytes_in_its_path_and_host_is_an_event_shown_visibly(tmp_path):
    auth = base64.b64encode(f"goscope:{SECRET}".encode())
    with _proxy(tmp_path, LIB) as (proxy, stats, server):
        answer = _ask(
            proxy,
            b"GET http://proxy.example/example.com/lib/@v/list HTTP/1.1\r\n"
            b"Host: proxy.ex\xffample\r\nProxy-Authorization: Basic " + auth + b"\r\n"
            b"User-Agent: GoCommand/1 \xfe\r\nConnection: close\r\n\r\n",
        )
    assert answer.startswith(b"HTTP/1.1 "), answer[:200]
    recording = read_recording(str(tmp_path / "r.jsonl"))
    assert stats["internal_errors"] == 0
    assert stats["events"] == len(recording.events) == 1
    (event,) = recording.events
    # The Host header names the host the client asked for (mitmproxy's pretty_host).
    assert event.url == "http://proxy.ex\\udcffample/example.com/lib/@v/list"
    assert event.host == "proxy.ex\\udcffample"


def test_a_refused_client_with_raw_bytes_in_its_user_agent_is_still_told(tmp_path):
    with _proxy(tmp_path, LIB) as (proxy, stats, server):
        answer = _ask(
            proxy,
            b"GET http://proxy.example/example.com/lib/@v/list HTTP/1.1\r\n"
            b"Host: proxy.example\r\nUser-Agent: stranger \xff\x1b[31m\r\n"
            b"Connection: close\r\n\r\n",
        )
    assert answer.startswith(b"HTTP/1.1 407"), answer[:200]
    recording = read_recording(str(tmp_path / "r.jsonl"))
    assert stats["foreign"] == len(recording.foreign) == 1
    (attempt,) = recording.foreign[0]["attempts"]
    assert attempt["user_agent"] == "stranger \\udcff\\x1b[31m"
    assert not server.requests, "the refused request never went upstream"


def _client(proxy: ProxyProcess, cwd: bytes | None = None, env: dict | None = None) -> bytes:
    """A process of its own asks through the proxy (the sender goscope looks up)."""
    auth = base64.b64encode(f"goscope:{SECRET}".encode()).decode()
    client = (
        "import socket, sys\n"
        f"s = socket.create_connection(({proxy.host!r}, {proxy.port}), timeout=10)\n"
        "s.sendall(b'GET http://proxy.example/corp.example/secret/@v/list HTTP/1.1\\r\\n'\n"
        f"          b'Host: proxy.example\\r\\nProxy-Authorization: Basic {auth}\\r\\n'\n"
        "          b'Connection: close\\r\\n\\r\\n')\n"
        "sys.stdout.buffer.write(s.recv(65536)[:12])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", client], cwd=cwd, env=env, capture_output=True, timeout=60
    )
    return done.stdout


def test_a_sender_whose_home_is_not_utf8_is_judged_by_its_go_env_file(tmp_path):
    # go finds its `go env -w` file under $HOME/.config/go/env, whatever bytes HOME holds;
    # read as text with replacement, the path led nowhere and the file's GOPRIVATE was lost:
    # a leak of a private module passed as a clean run.
    home = os.fsencode(tmp_path) + b"/home-\xff"
    os.makedirs(home + b"/.config/go")
    with open(home + b"/.config/go/env", "w") as fh:
        fh.write("GOPRIVATE=corp.example\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GO", "XDG_"))}
    env_bytes = {os.fsencode(k): os.fsencode(v) for k, v in env.items()}
    env_bytes[b"HOME"] = home
    with _proxy(tmp_path, SECRET_MODULE) as (proxy, stats, server):
        answer = _client(proxy, env=env_bytes)
    assert answer == b"HTTP/1.1 200", answer
    recording = read_recording(str(tmp_path / "r.jsonl"))
    assert stats["internal_errors"] == 0
    (event,) = recording.events
    sender = recording.senders[event.sender]
    assert sender["environment"]["GOPRIVATE"] == {"value": "corp.example", "origin": "go env -w"}


def test_a_client_in_a_directory_whose_name_is_not_utf8_is_still_a_sender(tmp_path):
    # The sender line (its process) is written before its first event; a cwd read as a lone
    # surrogate could not be written, and its events would be judged without it.
    odd = os.fsencode(tmp_path) + b"/dir-\xff"
    os.mkdir(odd)
    with _proxy(tmp_path, SECRET_MODULE) as (proxy, stats, server):
        answer = _client(proxy, cwd=odd)
    assert answer == b"HTTP/1.1 200", answer
    recording = read_recording(str(tmp_path / "r.jsonl"))
    assert stats["internal_errors"] == 0
    (event,) = recording.events
    assert event.status == 200 and event.sender is not None
    sender = recording.senders[event.sender]
    assert sender["cwd"] == os.fsdecode(os.fsencode(tmp_path)) + "/dir-\ufffd"


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_a_run_from_a_directory_and_with_an_argument_that_are_not_utf8_still_finds_its_leak(
    tmp_path,
):
    # The recording's header keeps the command line, the directory and the Go environment;
    # a byte that is not UTF-8 in any of them made the header unwritable: every request of
    # the run went unjudged ("0 leaks", the recording unreadable for ever after).
    odd = os.fsencode(tmp_path) + b"/run-\xff"
    os.mkdir(odd)
    env = {**os.environ, "GOSCOPE_HOME": str(tmp_path / "home")}
    env_bytes = {os.fsencode(k): os.fsencode(v) for k, v in env.items()}
    env_bytes[b"GONOSUMDB"] = b"corp.example,ex\xff"
    with ModServer({"proxy.golang.org": HostBehaviour([SECRET_MODULE])}) as server:
        run = subprocess.run(
            [
                os.fsencode(sys.executable),
                b"-m",
                b"goscope",
                b"run",
                b"--headless",
                b"--port",
                b"0",
                b"--fail-on-leak",
                b"--private",
                b"corp.example",
                b"--jsonl",
                os.fsencode(tmp_path / "r.jsonl"),
                b"--json",
                os.fsencode(tmp_path / "r.json"),
                *[os.fsencode(a) for r in server.routes() for a in ("--route", r)],
                b"--",
                b"sh",
                b"-c",
                b'curl -s -o /dev/null "$1"; true',
                b"arg-\xff",
                b"https://proxy.golang.org/corp.example/secret/@v/list",
            ],
            cwd=odd,
            env=env_bytes,
            capture_output=True,
            timeout=120,
        )
    assert run.returncode == 3, run.stderr.decode(errors="replace")
    recording = read_recording(str(tmp_path / "r.jsonl"))
    assert recording.incomplete() == []
    assert recording.header["command"][-2] == "arg-\ufffd"
    assert [e.module for e in recording.events] == ["corp.example/secret"]
    report = subprocess.run(
        [
            sys.executable,
            "-m",
            "goscope",
            "diff",
            str(tmp_path / "r.json"),
            str(tmp_path / "r.json"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert report.returncode == 0, report.stderr  # goscope reads back its own report


def test_a_go_that_prints_its_version_in_bytes_that_are_not_utf8(tmp_path):
    # The run asks the command's go for its version on a thread: a decode error there was
    # a traceback on the user's terminal.
    fake = tmp_path / "go"
    fake.write_bytes(b"#!/bin/sh\nprintf 'go version go1.22\\377 linux/amd64\\n'\n")
    fake.chmod(0o755)
    assert go_version_of([str(fake), "build"], dict(os.environ)) == "go1.22\ufffd"


def _answering(status_line: bytes) -> socket.socket:
    """A server on 127.0.0.1 that answers every request with `status_line`."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return  # closed
            with conn:
                conn.recv(65536)
                conn.sendall(status_line + b"\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")

    threading.Thread(target=serve, daemon=True).start()
    return server


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_a_status_code_beyond_64_bits_is_go_s_error_and_the_runs_leak_is_still_found(tmp_path):
    # mitmproxy takes any integer as a status code. msgspec wrote it; orjson, which reads
    # every recording, refused the line, and with it the whole recording: "0 leaks", exit 4.
    hostile = _answering(b"HTTP/1.1 100000000000000000000 OK")
    env = {**os.environ, "GOSCOPE_HOME": str(tmp_path / "home")}
    with hostile, ModServer({"proxy.golang.org": HostBehaviour([SECRET_MODULE])}) as server:
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "goscope",
                "run",
                "--headless",
                "--port",
                "0",
                "--fail-on-leak",
                "--private",
                "corp.example",
                "--jsonl",
                str(tmp_path / "r.jsonl"),
                *[a for r in server.routes() for a in ("--route", r)],
                "--route",
                f"vanity.example=http://127.0.0.1:{hostile.getsockname()[1]}",
                "--",
                "sh",
                "-c",
                "curl -s -o /dev/null https://proxy.golang.org/corp.example/secret/@v/list; "
                "curl -s -o /dev/null 'http://vanity.example/x?go-get=1'; true",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert run.returncode == 3, run.stderr
    recording = read_recording(str(tmp_path / "r.jsonl"))
    assert recording.incomplete() == []
    odd = next(e for e in recording.events if e.host == "vanity.example")
    assert odd.status is None  # what go says of it (net/http ReadResponse)
    assert odd.error == 'malformed HTTP status code "100000000000000000000"'


@pytest.mark.parametrize(
    "args", [["doctor", "--json"], ["route", "--json", "corp.example/secret"], ["config", "--json"]]
)
def test_json_a_command_prints_is_read_back_by_orjson_whatever_bytes_its_input_held(tmp_path, args):
    # The standard json module writes a lone surrogate as "\udcff": valid to it, refused by
    # orjson and by every reader that insists on UTF-8.
    env = {os.fsencode(k): os.fsencode(v) for k, v in os.environ.items()}
    env[b"GOSCOPE_HOME"] = os.fsencode(tmp_path / "home")
    env[b"GOPRIVATE"] = b"corp.example,x\xff"
    env[b"GOSCOPE_PRIVATE"] = b"corp.example,y\xff"
    out = subprocess.run(
        [sys.executable, "-m", "goscope", *args], env=env, capture_output=True, timeout=60
    )
    assert out.stdout, out.stderr
    text = json.dumps(orjson.loads(out.stdout))
    assert "\\ufffd" in text  # the byte is still there, as U+FFFD


def test_the_har_a_run_keeps_is_read_back_by_orjson(tmp_path):
    # mitmproxy's savehar writes a header's byte that is not UTF-8 as "\udcfe".
    raw = tmp_path / "raw.har"
    entry = {"request": {"headers": [{"name": "User-Agent", "value": "GoCommand/1 \udcfe"}]}}
    raw.write_text(json.dumps({"log": {"entries": [entry]}}))
    redact_har_file(str(raw), str(tmp_path / "out.har"))
    har = orjson.loads((tmp_path / "out.har").read_bytes())
    assert har["log"]["entries"][0]["request"]["headers"][0]["value"] == "GoCommand/1 \ufffd"
