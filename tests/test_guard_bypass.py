"""The guard through the real proxy against clients that try to get past it.

Whatever a wired client sends, a request the report calls a leak never reaches the upstream
with the guard on, and every request is an event.
"""

from __future__ import annotations

import base64
import socket
import time

from goscope.core.traffic.recording import read_recording
from goscope.core.vocab import BLOCKED_FLAG
from goscope.proxy.launcher import ProxyConfig, ProxyProcess

from .modserver import HostBehaviour, ModServer, Module

SECRET = "s3cret-of-this-run-0123456789"
PRIVATE = Module("corp.example/secret", "v1.0.0")


def test_a_request_whose_first_bytes_come_alone_is_still_http_and_still_guarded(tmp_path):
    # mitmproxy's rawtcp (on by default) passed a connection through as raw TCP when its
    # first segment held fewer than three bytes: no event, no guard, and a complete, clean
    # verdict for a private path that reached the proxy.
    auth = base64.b64encode(f"goscope:{SECRET}".encode()).decode()
    with ModServer({"proxy.golang.org": HostBehaviour([PRIVATE])}) as server:
        proxy = ProxyProcess(
            ProxyConfig(
                home=tmp_path / "home",
                port=0,
                routes=server.routes(),
                recording=str(tmp_path / "r.jsonl"),
                secret=SECRET,
                guard=True,
                judging={"private": "corp.example", "trusted": [], "guard": True},
            )
        ).start()
        try:
            with socket.create_connection((proxy.host, proxy.port), timeout=10) as raw:
                raw.sendall(
                    f"CONNECT 127.0.0.1:{server.port} HTTP/1.1\r\n"
                    f"Proxy-Authorization: Basic {auth}\r\n\r\n".encode()
                )
                assert raw.recv(4096).startswith(b"HTTP/1.1 200")
                request = (
                    b"GET /corp.example/secret/@v/list HTTP/1.1\r\n"
                    b"Host: proxy.golang.org\r\nConnection: close\r\n\r\n"
                )
                raw.sendall(request[:2])
                time.sleep(0.5)  # mitmproxy picks the layer on what has come so far
                raw.sendall(request[2:])
                answer = raw.recv(4096)
        finally:
            stats = proxy.stop()
    assert not server.requests, "the private path reached the proxy"
    assert answer.startswith(b"HTTP/1.1 404"), answer[:200]
    recording = read_recording(str(tmp_path / "r.jsonl"))
    assert stats["events"] == len(recording.events) == 1
    (event,) = recording.events
    assert event.module == "corp.example/secret" and BLOCKED_FLAG in event.flags
