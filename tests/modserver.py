"""A minimal module proxy on 127.0.0.1 for the proxy-engine tests.

One server answers for many virtual hosts (goscope's --route keeps the Host
header): each host either serves the modules it holds, or answers every
request with a fixed status, or resets the connection.
"""

from __future__ import annotations

import io
import json
import socket
import struct
import threading
import time
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

from goscope.core.gorules.escaping import escape


@dataclass
class Module:
    path: str
    version: str
    files: dict[str, str] = field(default_factory=dict)

    @property
    def gomod(self) -> str:
        return self.files.get("go.mod", f"module {self.path}\n\ngo 1.21\n")

    def zip_bytes(self) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            prefix = f"{self.path}@{self.version}/"
            zf.writestr(prefix + "go.mod", self.gomod)
            for name, text in self.files.items():
                if name != "go.mod":
                    zf.writestr(prefix + name, text)
        return buf.getvalue()


@dataclass
class HostBehaviour:
    modules: list[Module] = field(default_factory=list)
    status: int | None = None  # answer everything with this status
    reset: bool = False  # reset every connection
    hang: float = 0.0  # wait this long before answering
    truncate: bool = False  # promise 1000 bytes, send 10, close
    body: bytes | None = None  # with `status`: the body of every answer


class ModServer:
    def __init__(self, hosts: dict[str, HostBehaviour]):
        self.hosts = hosts
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        handler = self._handler()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> ModServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def routes(self) -> list[str]:
        return [f"{host}=http://127.0.0.1:{self.port}" for host in self.hosts]

    def answer(self, host: str, path: str) -> tuple[int, bytes]:
        behaviour = self.hosts.get(host)
        if behaviour is None:
            return 404, b"unknown host"
        if behaviour.status is not None:
            return behaviour.status, behaviour.body or f"{behaviour.status} from {host}".encode()
        for mod in behaviour.modules:
            base = f"/{escape(mod.path)}/@v/"
            version = escape(mod.version)
            files = {
                base + "list": mod.version.encode() + b"\n",
                base + f"{version}.info": json.dumps(
                    {"Version": mod.version, "Time": "2024-01-01T00:00:00Z"}
                ).encode(),
                base + f"{version}.mod": mod.gomod.encode(),
                base + f"{version}.zip": mod.zip_bytes(),
            }
            if path in files:
                return 200, files[path]
        return 404, f"not found: {path}".encode()

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out as separate writes: without this, Nagle and the
            # client's delayed ACK add 40 ms to every keep-alive request.
            disable_nagle_algorithm = True

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                host = (self.headers.get("Host") or "").split(":")[0]
                server.requests.append((host, self.path, dict(self.headers)))
                behaviour = server.hosts.get(host)
                if behaviour is not None and behaviour.reset:
                    # SO_LINGER 0: close sends RST, the client sees a reset.
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
                    self.connection.close()
                    self.close_connection = True
                    return
                if behaviour is not None and behaviour.hang:
                    time.sleep(behaviour.hang)
                if behaviour is not None and behaviour.truncate:
                    self.send_response(200)
                    self.send_header("Content-Length", "1000")
                    self.end_headers()
                    self.wfile.write(b"v1.0.0\ntru")
                    self.wfile.flush()
                    self.close_connection = True
                    return
                status, body = server.answer(host, unquote(self.path))
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler
