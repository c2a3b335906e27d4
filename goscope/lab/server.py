"""The lab's HTTP server: one loopback port, one behaviour per virtual host.

goscope's `--route HOST=http://127.0.0.1:PORT` keeps the Host header, so a
single server plays every proxy, the checksum database and the git host.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from goscope.core.gorules.escaping import unescape

from .modules import ModuleVersion, tampered
from .sumdb import ChecksumDB
from .tls import InspectingCA
from .vcs import GitHost

ANSWERS = ("serve", "reset", "hang") + tuple(str(s) for s in (403, 404, 410, 500, 502, 503))


@dataclass
class HostSpec:
    """How one lab host behaves (a [hosts."name"] table of a scenario)."""

    name: str
    role: str = "proxy"  # proxy | sumdb | vcs
    answer: str = "serve"  # serve | reset | hang | an HTTP status
    modules: list[str] | None = None  # serve only these module paths (proxy)
    base_path: str = ""  # e.g. /goproxy like the Alibaba mirror
    delay_ms: int = 0
    sumdb_supported: bool = False  # answer /sumdb/<name>/supported with 200 and proxy it
    tamper: list[str] = field(default_factory=list)  # module@version ids with a tampered zip
    # Redirect these endpoints to a blob host (role "blob"), as real proxies do with zips.
    redirect_to: str = ""
    redirect: list[str] = field(default_factory=lambda: ["zip"])
    cache_max_age: int = 0  # Cache-Control max-age on "not found" answers (negative caching)
    # What it answers for a module it does not have. Real filtering mirrors answer 403
    # "This module version is not available." (seen by `make real`), not 404.
    missing: int = 404
    tls: bool = False  # served over TLS by the lab's inspecting CA (lab/tls.py)
    auth: str = ""  # "user:password": answers 401 without that Basic authorization
    # Pages gzipped for a client that accepts it, as forges' web servers do (go asks for gzip).
    gzip: bool = False
    # A vcs host whose ?go-get=1 pages name this module proxy (`PREFIX mod URL`), not git.
    mod_import: str = ""


@dataclass
class Answer:
    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    reset: bool = False


def _basic(userpass: str) -> str:
    return "Basic " + base64.b64encode(userpass.encode()).decode()


def not_found(what: str, status: int = 404) -> Answer:
    # The shape of proxy.golang.org's answers: "not found: <reason>".
    word = "gone" if status == 410 else "not found"
    return Answer(status, f"{word}: {what}\n".encode())


class Lab:
    def __init__(
        self, hosts: list[HostSpec], modules: list[ModuleVersion], workdir: Path, sumdb_name: str
    ):
        self.hosts = {h.name: h for h in hosts}
        self.modules = modules
        self.by_path: dict[str, list[ModuleVersion]] = {}
        for mod in modules:
            self.by_path.setdefault(mod.path, []).append(mod)
        self.files: dict[str, tuple[ModuleVersion, bytes]] = {}
        for mod in modules:
            for path, data in mod.proxy_files().items():
                self.files[path] = (mod, data)
        self.sumdb = ChecksumDB(sumdb_name, [m for m in modules if not m.private])
        self.git = {
            h.name: GitHost(workdir / h.name, h.name, modules) for h in hosts if h.role == "vcs"
        }
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        # Hosts served over TLS by a CA of the lab's own (a TLS-inspecting proxy's stand-in).
        self.inspecting: InspectingCA | None = None
        self.tls_port: int | None = None
        self._tls_hosts = {h.name for h in hosts if h.tls}
        if self._tls_hosts:
            self.inspecting = InspectingCA(workdir / "tls", sorted(self._tls_hosts))
            self.tlsd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
            self.tlsd.daemon_threads = True
            self.tlsd.socket = self.inspecting.server_context().wrap_socket(
                self.tlsd.socket, server_side=True
            )
            self.tls_port = self.tlsd.server_address[1]
        self.requests = 0
        # Every request the lab's servers received, as (host, method, path): the proof of
        # what reached them (the guard's scenarios check that private paths never did).
        self.log: list[tuple[str, str, str]] = []

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> Lab:
        self.thread.start()
        if self.tls_port is not None:
            threading.Thread(target=self.tlsd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self.tls_port is not None:
            self.tlsd.shutdown()
            self.tlsd.server_close()

    def __enter__(self) -> Lab:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def direct_url(self, host: str) -> str:
        """The base URL that reaches `host` straight, without goscope."""
        return f"http://127.0.0.1:{self.port}/_host/{host}"

    def routes(self) -> list[str]:
        return [
            f"{name}=https://127.0.0.1:{self.tls_port}"
            if name in self._tls_hosts
            else f"{name}=http://127.0.0.1:{self.port}"
            for name in self.hosts
        ]

    # -- answers -------------------------------------------------------------
    def answer(
        self, method: str, host: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> Answer:
        # http://127.0.0.1:PORT/_host/<name>/... reaches a host without goscope in
        # between (the benchmarks' baseline: go never proxies loopback addresses).
        if raw_path.startswith("/_host/"):
            host, _, rest = raw_path[len("/_host/") :].partition("/")
            raw_path = "/" + rest
        spec = self.hosts.get(host)
        if spec is None:
            return Answer(502, f"the lab has no host {host}\n".encode())
        if spec.delay_ms:
            time.sleep(spec.delay_ms / 1000)
        if spec.auth and headers.get("authorization") != _basic(spec.auth):
            return Answer(
                401,
                b"401 Unauthorized: credentials required\n",
                headers={"WWW-Authenticate": 'Basic realm="lab"'},
            )
        if spec.answer == "reset":
            return Answer(0, reset=True)
        if spec.answer == "hang":
            time.sleep(3600)
        if spec.answer.isdigit():
            if spec.answer in ("404", "410"):
                return self._negative(
                    spec, not_found(f"{host} answers {spec.answer}", int(spec.answer))
                )
            return Answer(int(spec.answer), f"{spec.answer} from {host}\n".encode())
        parts = urlsplit(raw_path)
        if spec.role == "sumdb":
            status, data, ctype = self.sumdb.answer(unquote(parts.path))
            return Answer(status, data, ctype)
        if spec.role == "vcs":
            return self._vcs(spec, method, parts.path, parts.query, headers, body)
        if spec.role == "blob":
            return self._blob(unquote(parts.path), parts.query)
        return self._negative(spec, self._proxy(spec, unquote(parts.path)))

    @staticmethod
    def _negative(spec: HostSpec, answer: Answer) -> Answer:
        """Negative caching, as proxy.golang.org does (golang/go#34141)."""
        if answer.status in (404, 410) and spec.cache_max_age:
            answer.headers["Cache-Control"] = f"public, max-age={spec.cache_max_age}"
        return answer

    def _blob(self, path: str, query: str) -> Answer:
        """A storage bucket behind a redirecting proxy: files only with a signature."""
        if "X-Goog-Signature=" not in query or not path.startswith("/blobs/"):
            return Answer(403, b"AccessDenied: missing or expired signature\n")
        found = self.files.get(path.removeprefix("/blobs"))
        if found is None:
            return Answer(404, b"NoSuchKey\n")
        return Answer(200, found[1], "application/octet-stream")

    def _redirect(self, spec: HostSpec, path: str) -> Answer | None:
        ext = path.rsplit(".", 1)[-1] if "/@v/" in path else ""
        found = self.files.get(path)
        if not spec.redirect_to or ext not in spec.redirect or found is None:
            return None
        if not self._serves(spec, found[0].path):
            return None
        # A signed URL, like a cloud bucket's: the signature is a secret for its lifetime.
        signature = hashlib.sha256(f"{spec.name}{path}".encode()).hexdigest()
        location = (
            f"https://{spec.redirect_to}/blobs{quote(path)}"
            f"?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Expires=900&X-Goog-Signature={signature}"
        )
        return Answer(302, b"", headers={"Location": location})

    def _proxy(self, spec: HostSpec, path: str) -> Answer:
        if spec.base_path:
            base = "/" + spec.base_path.strip("/")
            if not path.startswith(base + "/"):
                return not_found(path)
            path = path[len(base) :]
        sumdb_prefix = f"/sumdb/{self.sumdb.name}/"
        if path.startswith(sumdb_prefix):
            if not spec.sumdb_supported:
                return not_found(f"{spec.name} does not proxy checksum databases")
            rest = path[len(sumdb_prefix) :]
            if rest == "supported":
                return Answer(200, b"")
            status, data, ctype = self.sumdb.answer(rest)
            return Answer(status, data, ctype)
        if "/@v/" in path or path.endswith("/@latest"):
            return self._redirect(spec, path) or self._module_file(spec, path)
        return not_found(path)

    def _serves(self, spec: HostSpec, module: str) -> bool:
        return spec.modules is None or module in spec.modules

    @staticmethod
    def _missing(spec: HostSpec, what: str) -> Answer:
        if spec.missing == 403:
            return Answer(403, b"This module version is not available.\n")
        return not_found(what, spec.missing)

    def _module_file(self, spec: HostSpec, path: str) -> Answer:
        if path.endswith("/@v/list") or path.endswith("/@latest"):
            escaped = path.rsplit("/@", 1)[0].lstrip("/")
            module = unescape(escaped)
            versions = self.by_path.get(module or "", [])
            if not versions or not self._serves(spec, module or ""):
                return self._missing(spec, f"module {module}: no matching versions")
            if path.endswith("/@v/list"):
                return Answer(200, "".join(v.version + "\n" for v in versions).encode())
            return Answer(200, versions[-1].info, "application/json")
        found = self.files.get(path)
        if found is None or not self._serves(spec, found[0].path):
            return self._missing(spec, f"{path.lstrip('/')}: unknown revision")
        mod, data = found
        if path.endswith(".zip") and mod.id in spec.tamper:
            data = tampered(mod)
        ctype = {"info": "application/json", "zip": "application/zip"}.get(
            path.rsplit(".", 1)[-1], "text/plain; charset=utf-8"
        )
        return Answer(200, data, ctype)

    def _vcs(
        self,
        spec: HostSpec,
        method: str,
        path: str,
        query: str,
        headers: dict[str, str],
        body: bytes,
    ) -> Answer:
        git = self.git[spec.name]
        module = git.module_for(unquote(path))
        if "go-get=1" in query.split("&"):
            if module is None:
                return Answer(404, b"no such repository\n")
            page = git.go_get_page(module, spec.mod_import)
            if spec.gzip and "gzip" in headers.get("accept-encoding", ""):
                extra = {"Content-Encoding": "gzip"}
                return Answer(200, gzip.compress(page), "text/html; charset=utf-8", extra)
            return Answer(200, page, "text/html; charset=utf-8")
        status, extra, payload = git.http_backend(method, unquote(path), query, headers, body)
        ctype = extra.pop("Content-Type", "application/octet-stream")
        return Answer(status, payload, ctype, extra)

    def _handler(self):
        lab = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out as separate writes: without this, Nagle and the
            # client's delayed ACK add 40 ms to every keep-alive request.
            disable_nagle_algorithm = True

            def log_message(self, *args: object) -> None:
                pass

            def _serve(self) -> None:
                lab.requests += 1
                host = (self.headers.get("Host") or "").rsplit(":", 1)[0].lower()
                lab.log.append((host, self.command, self.path))
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    answer = lab.answer(self.command, host, self.path, headers, body)
                except Exception as exc:  # a lab bug must look like a server error, not a hang
                    answer = Answer(500, f"lab error: {exc!r}\n".encode())
                if answer.reset:
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
                    self.close_connection = True
                    return
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(answer.body)

            do_GET = do_POST = do_HEAD = _serve

        return Handler
