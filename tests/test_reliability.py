"""goscope never breaks a download, never loses what it saw, never shows a secret."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psutil
import pytest

from goscope.core.outputs.export import curl_command, export_session
from goscope.core.traffic.recording import read_recording
from goscope.core.view.session import Session
from goscope.proxy.launcher import ProxyConfig, ProxyProcess
from goscope.proxy.stream import private_socket_path
from goscope.tui.widgets.detail import detail_view

from .e2e import goscope_run
from .modserver import HostBehaviour, ModServer, Module
from .tui_helpers import plain

LIB = Module("example.com/lib", "v1.0.0", {"lib.go": "package lib\n"})


def proxied_get(
    proxy: ProxyProcess, bundle: Path, host: str, path: str, timeout: float = 30
) -> tuple[int, bytes]:
    conn = http.client.HTTPSConnection(
        proxy.host,
        proxy.port,
        context=ssl.create_default_context(cafile=str(bundle)),
        timeout=timeout,
    )
    conn.set_tunnel(host, 443)
    conn.request("GET", path, headers={"User-Agent": "GoCommand/1 (+https://go.dev/cmd/go)"})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, body


@pytest.fixture
def go_workspace(go_module_workspace):
    return go_module_workspace([(LIB.path, LIB.version)])


# -- traffic always flows ------------------------------------------------------------------------
def test_a_broken_classifier_never_breaks_the_download(go_workspace, tmp_path):
    work, env = go_workspace
    env["GOPROXY"] = "https://proxy-a.example,https://proxy-b.example"
    env["PYTHONPATH"] = str(Path(__file__).parent / "fault_injection")  # its sitecustomize
    hosts = {"proxy-a.example": HostBehaviour(status=404), "proxy-b.example": HostBehaviour([LIB])}
    with ModServer(hosts) as server:
        routes = [a for r in server.routes() for a in ("--route", r)]
        run = goscope_run(
            [*routes, "--jsonl", str(tmp_path / "r.jsonl")],
            ["go", "mod", "download", "-x"],
            work,
            env,
            tmp_path,
        )
    # go downloaded everything; goscope could judge nothing, and says so (fail closed).
    assert run.returncode == 4, run.stderr[-2000:]
    assert "go: " not in run.stderr.replace("go: downloading", "")
    traced = run.trace()
    assert len(run.events()) == len(traced) + 3  # every request recorded (3 GOAUTH retries)
    assert all(e["flags"] == ["goscope-error"] for e in run.events())
    rec = read_recording(str(tmp_path / "r.jsonl"))
    assert rec.end["stats"]["internal_errors"] == len(rec.events)
    assert f"{len(rec.events)} request(s) could not be classified" in run.stderr
    assert run.report["complete"] is False


def test_huge_bodies_stream_through_untouched(tmp_path):
    payload = os.urandom(64 * 1024 * 1024)

    class Big(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Big)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    home = tmp_path / "home"
    config = ProxyConfig(
        home=home,
        port=0,
        routes=[f"big.example=http://127.0.0.1:{httpd.server_address[1]}"],
        recording=str(tmp_path / "r.jsonl"),
    )
    proxy = ProxyProcess(config).start()
    try:
        status, body = proxied_get(
            proxy, home / "ca-bundle.pem", "big.example", "/blob.bin", timeout=120
        )
        rss = psutil.Process(proxy.proc.pid).memory_info().rss
    finally:
        proxy.stop()
        httpd.shutdown()
    assert status == 200 and hashlib.sha256(body).digest() == hashlib.sha256(payload).digest()
    (event,) = read_recording(str(tmp_path / "r.jsonl")).events
    assert event.response_bytes == len(payload) and event.kind == "other"
    assert rss < len(payload) * 2  # streamed, not buffered whole


# -- nothing lost under load ------------------------------------------------------------------------
def test_5000_requests_from_50_clients_all_recorded_in_order_with_a_slow_ui(tmp_path):
    home = tmp_path / "home"
    received: list[bytes] = []
    sock = private_socket_path(home)
    stop = threading.Event()

    def slow_ui():
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(sock))
        server.listen(1)
        server.settimeout(60)
        conn, _ = server.accept()
        # A UI that reads nothing while the load lasts: the socket buffer and the live
        # queue fill up, so drops are certain, not a matter of timing.
        stop.wait(120)
        reader = conn.makefile("rb")
        while line := reader.readline():  # until the proxy closes the stream
            received.append(line)

    ui = threading.Thread(target=slow_ui, daemon=True)
    ui.start()
    with ModServer({"proxy.example": HostBehaviour([LIB])}) as server:
        config = ProxyConfig(
            home=home,
            port=0,
            routes=server.routes(),
            recording=str(tmp_path / "r.jsonl"),
            events_socket=str(sock),
            queue_size=200,
        )
        proxy = ProxyProcess(config).start()
        bundle = str(home / "ca-bundle.pem")

        def client(n: int) -> list[int]:
            conn = http.client.HTTPSConnection(
                proxy.host,
                proxy.port,
                timeout=60,
                context=ssl.create_default_context(cafile=bundle),
            )
            conn.set_tunnel("proxy.example", 443)
            statuses = []
            for _ in range(100):
                conn.request("GET", "/example.com/lib/@v/list")
                response = conn.getresponse()
                response.read()
                statuses.append(response.status)
            conn.close()
            return statuses

        with ThreadPoolExecutor(50) as pool:
            statuses = [s for batch in pool.map(client, range(50)) for s in batch]
        rss = psutil.Process(proxy.proc.pid).memory_info().rss
        stop.set()
        stats = proxy.stop()
    ui.join(timeout=60)
    assert statuses == [200] * 5000
    events = read_recording(str(tmp_path / "r.jsonl")).events
    assert [e.seq for e in events] == list(range(1, 5001))  # exactly 5,000, in order
    assert stats["events"] == 5000 and stats["dropped_live"] > 0  # the slow UI missed some…
    live = [json.loads(line) for line in received]
    shown = [e for e in live if "seq" in e]
    assert len(shown) + stats["dropped_live"] == 5000  # …and was told how many
    assert any(e.get("type") == "stats" for e in live)
    assert rss < 400 * 2**20  # bounded: the live queue holds 200 events, not 5,000


# -- upstream faults -----------------------------------------------------------------------------------
def _tls_upstream(tmp_path):
    """An https server whose certificate nobody trusts."""
    from mitmproxy.certs import CertStore

    store = CertStore.from_store(str(tmp_path / "other-ca"), "other", 2048)
    entry = store.get_cert("untrusted.example", [])
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.write_bytes(entry.cert.to_pem())
    from cryptography.hazmat.primitives import serialization

    key.write_bytes(
        entry.privatekey.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )

    class Ok(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            self.send_response(200)
            self.end_headers()

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Ok)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


@pytest.mark.parametrize("fault", ["refused", "reset", "tls", "hang", "truncated"])
def test_upstream_faults_are_accurate_events(fault, tmp_path):
    home = tmp_path / "home"
    path = "/example.com/lib/@v/v1.0.0.info"
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()
    behaviours = {
        "reset": HostBehaviour(reset=True),
        "hang": HostBehaviour(hang=5.0),
        "truncated": HostBehaviour(truncate=True),
    }
    with ModServer({"up.example": behaviours.get(fault, HostBehaviour([LIB]))}) as server:
        route = server.routes()[0]
        httpd = None
        if fault == "refused":
            route = f"up.example=http://127.0.0.1:{closed_port}"
        if fault == "tls":
            httpd = _tls_upstream(tmp_path)
            route = f"up.example=https://127.0.0.1:{httpd.server_address[1]}"
        config = ProxyConfig(home=home, port=0, routes=[route], recording=str(tmp_path / "r.jsonl"))
        proxy = ProxyProcess(config).start()
        try:
            try:
                status, _ = proxied_get(
                    proxy,
                    home / "ca-bundle.pem",
                    "up.example",
                    path,
                    timeout=1.5 if fault == "hang" else 30,
                )
            except (TimeoutError, OSError, http.client.HTTPException):
                status = None  # the client gave up (hang) or the body was cut short
            if fault == "hang":
                # The proxy's own verdict on the client's leaving, before it is stopped (a
                # stop first would rightly record "interrupted" instead): a state, not a time.
                recording = tmp_path / "r.jsonl"
                deadline = time.monotonic() + 60
                while '"seq"' not in (recording.read_text() if recording.exists() else ""):
                    assert time.monotonic() < deadline, "the proxy never recorded the flow"
                    time.sleep(0.05)
        finally:
            proxy.stop()
            if httpd:
                httpd.shutdown()
    (event,) = read_recording(str(tmp_path / "r.jsonl")).events
    assert event.module == "example.com/lib" and event.endpoint == "info"
    expected = {
        "refused": (502, "refused"),
        "reset": (502, "closed"),
        "tls": (502, "certificate"),
        "hang": (None, "client disconnected"),
        "truncated": (None, ""),
    }[fault]
    if fault == "truncated":
        # The upstream promised 1000 bytes and sent 10: mitmproxy reports it, the client sees an error.
        assert event.error and status in (None, 502)
        return
    assert status == expected[0] or fault == "hang"
    assert event.status == expected[0] and expected[1] in (event.error or "").lower(), event


# -- bad input: one line, exit 2 --------------------------------------------------------------------------
def goscope(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "goscope", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=60,
    )


HEADER = '{"format":"goscope-recording","schema_version":1,"environment":{}}\n'


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (HEADER.encode() + b"{corrupt}\n", ":2: invalid JSON"),
        (b"", ":1: empty file"),
        (HEADER.encode() + b"\xff\xfe\xfd\n", ":2: "),
        (
            b'{"format":"goscope-recording","schema_version":7}\n',
            ":1: schema_version 7 is not supported",
        ),
        # A run's --json report given for its recording: "invalid JSON (unexpected end…)".
        (b'{\n  "complete": true\n}\n', ":1: a JSON document, not a recording"),
    ],
    ids=["corrupt", "empty", "not-utf8", "schema", "a-report"],
)
@pytest.mark.parametrize("command", ["report", "open"])
def test_bad_recordings_are_one_line(tmp_path, content, message, command):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(content)
    out = goscope(command, str(path))
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"goscope: {path}") and message in lines[0], (
        out.stderr
    )
    assert "Traceback" not in out.stderr


def test_unwritable_report_is_one_line(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text(HEADER)
    out = goscope("report", str(path), "--json", "/nonexistent/dir/r.json")
    assert out.returncode == 2
    assert (
        out.stderr
        == "goscope: --json /nonexistent/dir/r.json: no such directory /nonexistent/dir\n"
    )


@pytest.mark.parametrize("option", ["--json", "--jsonl", "--har"])
def test_output_paths_are_checked_before_the_command_runs(tmp_path, option):
    marker = tmp_path / "ran"
    target = tmp_path / "elsewhere.txt"
    target.write_text("keep me")
    link = tmp_path / "out.file"
    link.symlink_to(target)
    for path, why in (
        (tmp_path / "missing" / "out.file", "no such directory"),
        (link, "symbolic link"),
    ):
        out = goscope(
            "run", "--headless", "--port", "0", option, str(path), "--", "touch", str(marker)
        )
        assert out.returncode == 2 and why in out.stderr and len(out.stderr.splitlines()) == 1
        assert not marker.exists()  # refused before anything ran
    assert target.read_text() == "keep me"  # never written through the link


def test_skip_bad_says_how_many(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text(HEADER + "{bad\n" + "[1]\n")
    out = goscope("report", str(path), "--skip-bad")
    assert out.returncode == 4 and "skipped 2 bad lines" in out.stderr  # lost: incomplete


def test_a_recording_cut_off_is_reported_as_incomplete_never_clean(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_bytes(HEADER.encode() + b'{"seq": 1, "started"')
    out = goscope("report", str(path), "--json", str(tmp_path / "r.json"))
    assert out.returncode == 4, out.stderr
    assert "INCOMPLETE" in out.stdout and "ends in the middle of line 2" in out.stdout
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["complete"] is False and len(report["incomplete"]) == 2


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["run", "--port", "abc", "--", "true"], {}, "goscope: Invalid value for '--port'"),
        (["nosuch"], {}, "goscope: No such command 'nosuch'"),
        (
            ["run", "--headless", "--port", "0", "--", "true"],
            {"GOSCOPE_HOME": "/etc/hostname/x"},
            "goscope: cannot use /etc/hostname/x as goscope's home",
        ),
        (["demo", "--headless"], {"GOSCOPE_GO": "none"}, "goscope: no go binary: install Go"),
        (
            ["demo", "--headless"],
            {"GOSCOPE_GO": "/nonexistent/go"},
            "goscope: GOSCOPE_GO=/nonexistent/go is not",
        ),
        (
            ["doctor", "--env-file", "/nonexistent"],
            {},
            "goscope: --env-file /nonexistent: no such file",
        ),
        (["doctor", "--env-file", "/dev/zero"], {}, "goscope: --env-file /dev/zero: not a regular"),
    ],
)
def test_bad_invocations_are_one_line(args, env, message):
    out = goscope(*args, env=env)
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), out.stderr


# -- security --------------------------------------------------------------------------------------------
def test_ca_show_and_regenerate(tmp_path):
    env = {"GOSCOPE_HOME": str(tmp_path / "home")}
    shown = goscope("ca", "--show", env=env).stdout
    cert = tmp_path / "home" / "mitmproxy" / "mitmproxy-ca-cert.pem"
    der = ssl.PEM_cert_to_DER_cert(cert.read_text())
    fingerprint = ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())
    assert f"certificate: {cert}" in shown and f"sha256:      {fingerprint}" in shown
    again = goscope("ca", "--regenerate", env=env).stdout
    assert fingerprint not in again and "sha256:" in again
    assert (
        oct((tmp_path / "home" / "mitmproxy" / "mitmproxy-ca.pem").stat().st_mode & 0o777)
        == "0o600"
    )


def test_listening_beyond_loopback_warns(tmp_path):
    out = goscope(
        "run",
        "--headless",
        "--listen-host",
        "0.0.0.0",
        "--port",
        "0",
        "--",
        "true",
        env={"GOSCOPE_HOME": str(tmp_path / "home")},
    )
    assert out.returncode == 0
    assert (
        "goscope: warning: listening on 0.0.0.0: others on the network can use this proxy"
        in out.stderr
    )


def test_a_planted_secret_appears_in_no_output(go_workspace, tmp_path):
    work, env = go_workspace
    secret = "pl4nted-s3cret-9931"
    token = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"
    env["GOPROXY"] = f"https://alice:{secret}@proxy-b.example"
    jsonl, har, report = tmp_path / "rec.jsonl", tmp_path / "flows.har", tmp_path / "report.json"
    with ModServer({"proxy-b.example": HostBehaviour([LIB])}) as server:
        routes = [a for r in server.routes() for a in ("--route", r)]
        run = goscope_run(
            [*routes, "--jsonl", str(jsonl), "--har", str(har)],
            ["go", "mod", "download"],
            work,
            env,
            tmp_path,
        )
        assert run.returncode == 0, run.stderr
        # A second, non-go client with a bearer token and a token in the query.
        home = tmp_path / "home"
        proxy = ProxyProcess(
            ProxyConfig(
                home=home, port=0, routes=server.routes(), recording=str(tmp_path / "rec2.jsonl")
            )
        ).start()
        conn = http.client.HTTPSConnection(
            proxy.host,
            proxy.port,
            context=ssl.create_default_context(cafile=str(home / "ca-bundle.pem")),
        )
        conn.set_tunnel("proxy-b.example", 443)
        conn.request(
            "GET",
            f"/example.com/lib/@v/list?access_token={secret}",
            headers={"Authorization": f"Bearer {token}", "Cookie": f"session={secret}"},
        )
        conn.getresponse().read()
        conn.close()
        proxy.stop()
    exported = export_session(str(jsonl), tmp_path / "export")
    views = []
    for recording in (jsonl, tmp_path / "rec2.jsonl"):
        session = Session(recording=str(recording))
        for event in read_recording(str(recording)).events:
            session.add(event)
        for i in range(len(session)):
            views.append(plain(detail_view(session.store.row(i), session.event(i), None)))
            views.append(curl_command(session.event(i), "http://127.0.0.1:8080", "/ca.pem"))
    outputs = {
        "recording": jsonl.read_text(),
        "recording2": (tmp_path / "rec2.jsonl").read_text(),
        "report": report.read_text(),
        "har": har.read_text(),
        "summary": run.stderr.replace(f"alice:{secret}@", ""),
        **{p.name: p.read_text() for p in exported},
        "ui": "\n".join(views),
    }
    basic = base64.b64encode(f"alice:{secret}".encode()).decode()
    for name, text in outputs.items():
        for planted in (secret, token, basic):
            assert planted not in text, f"{planted[:6]}… leaked into {name}"
    assert (
        "Bearer REDACTED" in outputs["recording2"]
        and "access_token=REDACTED" in outputs["recording2"]
    )


def test_parsers_survive_random_input():
    import io

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from goscope.core.gorules.gosumdb import parse_gosumdb
    from goscope.core.safe.redact import redact_headers, redact_url
    from goscope.core.traffic.recording import RecordingError, read_recording
    from goscope.core.view.filters import FilterError, parse_filter

    @settings(max_examples=300, deadline=None)
    @given(
        st.binary(max_size=300),
        st.text(max_size=60),
        st.text(max_size=80),
        st.lists(st.tuples(st.text(max_size=20), st.text(max_size=40)), max_size=5),
    )
    def check(blob, filt, text, headers):
        try:
            read_recording(io.BytesIO(blob), skip_bad=True, name="x")
        except RecordingError:
            pass
        try:
            parse_filter(filt)
        except FilterError:
            pass
        parse_gosumdb(text)
        redact_url(text)
        redact_headers(headers)

    check()


def test_event_stream_socket_is_private(tmp_path):
    import stat

    from goscope.proxy.stream import EventListener

    path = private_socket_path(tmp_path / "home")
    listener = EventListener(path, lambda e: None).start()
    modes = (stat.S_IMODE(path.stat().st_mode), stat.S_IMODE(path.parent.stat().st_mode))
    listener.close()
    assert modes == (0o600, 0o700)
    assert not path.parent.exists()  # removed on close


def test_websockets_pass_through_untouched(tmp_path):
    from wsproto import ConnectionType, WSConnection
    from wsproto.events import AcceptConnection, BytesMessage, CloseConnection, Request, TextMessage

    def serve(listener: socket.socket) -> None:
        conn, _ = listener.accept()
        ws = WSConnection(ConnectionType.SERVER)
        while True:
            data = conn.recv(65536)
            if not data:
                return
            ws.receive_data(data)
            for event in ws.events():
                if isinstance(event, Request):
                    conn.sendall(ws.send(AcceptConnection()))
                elif isinstance(event, (TextMessage, BytesMessage)):
                    conn.sendall(ws.send(TextMessage(data=f"echo {event.data}")))
                elif isinstance(event, CloseConnection):
                    conn.sendall(ws.send(event.response()))
                    conn.close()
                    return

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    threading.Thread(target=serve, args=(listener,), daemon=True).start()
    home = tmp_path / "home"
    route = f"ws.example=http://127.0.0.1:{listener.getsockname()[1]}"
    proxy = ProxyProcess(
        ProxyConfig(home=home, port=0, routes=[route], recording=str(tmp_path / "r.jsonl"))
    ).start()
    try:
        raw = socket.create_connection((proxy.host, proxy.port), timeout=20)
        raw.sendall(b"CONNECT ws.example:443 HTTP/1.1\r\nHost: ws.example:443\r\n\r\n")
        assert b" 200 " in raw.recv(4096)
        tls = ssl.create_default_context(cafile=str(home / "ca-bundle.pem")).wrap_socket(
            raw, server_hostname="ws.example"
        )
        ws = WSConnection(ConnectionType.CLIENT)
        tls.sendall(ws.send(Request(host="ws.example", target="/socket")))
        replies = []
        while not any(isinstance(e, TextMessage) for e in replies):
            ws.receive_data(tls.recv(65536))
            for event in ws.events():
                replies.append(event)
                if isinstance(event, AcceptConnection):
                    tls.sendall(ws.send(TextMessage(data="hello go")))
        tls.close()
    finally:
        proxy.stop()
    assert [e.data for e in replies if isinstance(e, TextMessage)] == ["echo hello go"]
    events = read_recording(str(tmp_path / "r.jsonl")).events
    assert [(e.host, e.status, e.kind) for e in events] == [("ws.example", 101, "other")]


def test_the_proxy_stops_when_goscope_is_killed(tmp_path):
    # A parent that starts the proxy and is then killed with SIGKILL (no cleanup at all).
    code = (
        "import sys, time; from pathlib import Path\n"
        "from goscope.proxy.launcher import ProxyConfig, ProxyProcess\n"
        f"p = ProxyProcess(ProxyConfig(home=Path({str(tmp_path / 'home')!r}), port=0)).start()\n"
        "print(p.proc.pid, flush=True); time.sleep(600)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    proxy_pid = int(parent.stdout.readline())
    assert psutil.pid_exists(proxy_pid)
    parent.kill()
    parent.wait()
    assert _gone_within(proxy_pid, 15)


def _gone_within(pid: int, seconds: float) -> bool:
    """Exited: no such process, or a zombie its adoptive parent has not reaped yet."""
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.2)
    return False


def test_requests_in_flight_at_shutdown_and_client_errors_are_recorded(tmp_path):
    home = tmp_path / "home"
    hosts = {"slow.example": HostBehaviour(hang=20), "proxy.example": HostBehaviour([LIB])}
    with ModServer(hosts) as server:
        proxy = ProxyProcess(
            ProxyConfig(
                home=home, port=0, routes=server.routes(), recording=str(tmp_path / "r.jsonl")
            )
        ).start()
        waiting = threading.Thread(
            target=lambda: _suppress_all(
                lambda: proxied_get(proxy, home / "ca-bundle.pem", "slow.example", "/x/@v/list", 30)
            ),
            daemon=True,
        )
        waiting.start()
        # A client that promises 100 bytes of body and sends 5: its own request is broken.
        with socket.create_connection((proxy.host, proxy.port), timeout=10) as raw:
            raw.sendall(
                b"POST http://proxy.example/example.com/lib/@v/list HTTP/1.1\r\n"
                b"Host: proxy.example\r\nContent-Length: 100\r\n\r\nshort"
            )
            raw.shutdown(socket.SHUT_WR)
            raw.recv(65536)
        import time

        deadline = time.monotonic() + 30
        while not any(h == "slow.example" for h, _, _ in server.requests):
            assert time.monotonic() < deadline, "the slow request never reached upstream"
            time.sleep(0.02)  # until the slow request waits upstream: not a guess at timing
        stats = proxy.stop()
    events = read_recording(str(tmp_path / "r.jsonl")).events
    assert stats["events"] == len(events) == 2
    interrupted = next(e for e in events if e.host == "slow.example")
    assert "interrupted" in interrupted.flags and interrupted.status is None
    assert interrupted.error.startswith("interrupted: goscope stopped")
    broken = next(e for e in events if e.host == "proxy.example")
    assert "client-error" in broken.flags and broken.status is None  # not an upstream 502
    assert broken.error.startswith("the client's request was malformed or cut off")


def _suppress_all(call):
    try:
        call()
    except Exception:
        pass


def test_the_command_stops_when_goscope_is_killed(tmp_path):
    # goscope killed with SIGKILL runs no cleanup: the proxy's watchdog ends the command's
    # process group (go and its git children), not only itself.
    env = {**os.environ, "GOSCOPE_HOME": str(tmp_path / "home")}
    goscope_proc = subprocess.Popen(
        [sys.executable, "-m", "goscope", "run", "--headless", "--port", "0", "--", "sleep", "300"],
        env=env,
        stderr=subprocess.DEVNULL,
    )
    import time

    deadline = time.monotonic() + 30
    sleeper = None
    while sleeper is None and time.monotonic() < deadline:
        children = psutil.Process(goscope_proc.pid).children(recursive=True)
        sleeper = next((c for c in children if c.name() == "sleep"), None)
        time.sleep(0.05)
    assert sleeper is not None
    goscope_proc.kill()
    goscope_proc.wait()
    assert _gone_within(sleeper.pid, 15)


def test_an_engine_that_never_starts_leaves_no_proxy_process(tmp_path, monkeypatch):
    # The engine starts its proxy process first (mitmproxy imports while the engine works
    # out the environment): quitting before start ends it too.
    from goscope.run.engine import RunEngine
    from goscope.run.options import RunOptions

    monkeypatch.setenv("GOSCOPE_HOME", str(tmp_path / "home"))
    engine = RunEngine(RunOptions(command=["true"], port=0))
    spawned = engine._spawned.proc.pid
    assert psutil.pid_exists(spawned)
    engine.stop()
    engine.cleanup()
    assert _gone_within(spawned, 10)


def test_a_proxy_whose_app_died_during_its_start_up_stops(tmp_path):
    # goscope killed while its proxy still imported mitmproxy: the proxy was adopted before
    # it could note its parent. The config names the app, so the proxy still stops.
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # an app that no longer runs
    proxy = ProxyProcess(ProxyConfig(home=tmp_path / "home", port=0, parent_pid=gone.pid))
    proxy.start()
    try:
        assert proxy.proc.wait(timeout=15) == 0  # stopped itself, cleanly
    finally:
        proxy.kill()


def test_modules_of_a_session_with_senders_walk_the_chains_a_bounded_number_of_times(
    monkeypatch,
):
    """The Modules tab and the report's chain environments asked the judge for the
    environment of each chain; with a sender line (every real run has one) that listed every
    chain each time: quadratic, a minute for 20,000 modules. Counted here, not timed."""
    from goscope.core.gorules.goenv import GoEnv
    from goscope.core.judging.judge import Judge

    from .factories import event

    listed = 0
    original = Judge.chains.fget

    def counting(self):
        nonlocal listed
        listed += 1
        return original(self)

    monkeypatch.setattr(Judge, "chains", property(counting))
    session = Session()
    env = GoEnv.from_mapping({"GOPROXY": "https://proxy.golang.org,direct"}).to_dict()
    session.add_sender({"id": 1, "pid": 7, "program": "go", "environment": env})
    for i in range(300):
        url = f"https://proxy.golang.org/example.com/m{i}/@v/v1.0.0.mod"
        session.add(event(url, sender=1, seq=i + 1))
    listed = 0
    assert len(session.modules()) == 300
    assert listed <= 5, listed
