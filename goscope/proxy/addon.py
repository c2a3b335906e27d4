"""The mitmproxy addon: a thin adapter from mitmproxy flows to goscope events.

Three concerns, one class each:
- `Router` forwards requests for a host to another address (`--route`), without
  changing what the event shows.
- `EventSink` writes every event to the recording (never dropped) and to the
  live socket (bounded; drops are counted, not waited for).
- `GoscopeAddon` turns a finished flow into an `Event`. Whatever goes wrong in
  goscope's own code is caught and counted: the traffic always flows.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any
from urllib.parse import urlsplit

from mitmproxy import http

from goscope.core.chains import AuthRetryMarker
from goscope.core.classify import classify_request
from goscope.core.events import Event, header_line
from goscope.core.goenv import GoEnv
from goscope.core.redact import redact_free_text, redact_headers, redact_url

log = logging.getLogger("goscope")

PREVIEW_ENDPOINTS = frozenset(
    {"list", "info", "mod", "latest", "lookup", "supported", "sumdb-latest", "go-get"}
)
PREVIEW_BYTES = 4096
_GO_IMPORT = re.compile(
    rb"""<meta\s+name=["']go-import["']\s+content=["']([^"']+)["']""", re.IGNORECASE
)


@dataclass(frozen=True)
class Route:
    scheme: str
    host: str
    port: int
    prefix: str

    @classmethod
    def parse(cls, target: str) -> Route:
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"route target must be an http(s) URL: {target}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return cls(parts.scheme, parts.hostname, port, parts.path.rstrip("/"))


def parse_routes(specs: list[str] | tuple[str, ...]) -> dict[str, Route]:
    """`HOST=URL` pairs, as given to --route."""
    routes = {}
    for spec in specs:
        host, eq, target = spec.partition("=")
        if not eq or not host:
            raise ValueError(f"--route takes HOST=URL, not {spec!r}")
        routes[host.lower()] = Route.parse(target)
    return routes


class Router:
    """Send requests for a host elsewhere; the client never knows."""

    def __init__(self, routes: dict[str, Route]):
        self.routes = routes

    def request(self, flow: http.HTTPFlow) -> None:
        route = self.routes.get(flow.request.pretty_host.lower())
        if route is None:
            return
        req = flow.request
        flow.metadata["goscope_routed_from"] = (req.scheme, req.host, req.port, req.path)
        host_header = flow.request.host_header or flow.request.pretty_host
        flow.request.scheme = route.scheme
        flow.request.host = route.host
        flow.request.port = route.port
        flow.request.path = route.prefix + flow.request.path
        # Keep the Host the client asked for: the lab serves virtual hosts.
        flow.request.host_header = host_header

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        self._restore(flow)

    def error(self, flow: http.HTTPFlow) -> None:
        self._restore(flow)

    @staticmethod
    def _restore(flow: http.HTTPFlow) -> None:
        """Once sent, show the request as the client made it (flow files, HAR)."""
        original = flow.metadata.pop("goscope_routed_from", None)
        if original is None:
            return
        host_header = flow.request.host_header
        req = flow.request
        req.scheme, req.host, req.port, req.path = original
        req.host_header = host_header


class EventSink:
    """Recording file (every event) plus a bounded live queue to the app."""

    def __init__(self, recording: IO[str] | None, queue_size: int = 10000):
        self.recording = recording
        self.queue: asyncio.Queue[str] | None = None
        self.queue_size = queue_size
        self.dropped = 0
        self.written = 0

    def start_stream(self) -> asyncio.Queue[str]:
        self.queue = asyncio.Queue(self.queue_size)
        return self.queue

    def emit(self, event: Event) -> None:
        line = event.to_json()
        if self.recording is not None:
            self.recording.write(line + "\n")
            self.recording.flush()
        self.written += 1
        if self.queue is not None:
            try:
                self.queue.put_nowait(line)
            except asyncio.QueueFull:
                self.dropped += 1  # the recording still has it


class GoscopeAddon:
    """Classifies every exchange and emits one event per exchange."""

    def __init__(
        self,
        env: GoEnv | None = None,
        sink: EventSink | None = None,
        classify: Callable[..., Any] = classify_request,
    ):
        self.env = env
        self.sink = sink or EventSink(None)
        self.classify = classify
        self.seq = 0
        self.internal_errors = 0
        self.retries = AuthRetryMarker()
        self.events: list[Event] = []  # kept only when keep_events is on (tests)
        self.keep_events = False

    # -- mitmproxy hooks ----------------------------------------------------
    def requestheaders(self, flow: http.HTTPFlow) -> None:
        # Before any routing: the URL exactly as the client asked for it.
        flow.metadata.setdefault("goscope_url", flow.request.pretty_url)
        flow.metadata.setdefault("goscope_host", flow.request.pretty_host)

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        if flow.response is None or flow.response.stream is False:
            return
        counter = {"n": 0}
        flow.metadata["goscope_streamed"] = counter

        def count(chunk: bytes) -> bytes:
            counter["n"] += len(chunk)
            return chunk

        flow.response.stream = count

    def response(self, flow: http.HTTPFlow) -> None:
        self._finish(flow)

    def error(self, flow: http.HTTPFlow) -> None:
        self._finish(flow)

    # -- events -------------------------------------------------------------
    def _finish(self, flow: http.HTTPFlow) -> None:
        if flow.metadata.get("goscope_done"):
            return  # error after response (e.g. a truncated body): one event only
        flow.metadata["goscope_done"] = True
        self.seq += 1
        try:
            event = self.event_for(flow, self.seq)
        except Exception as exc:  # never let goscope break or lose traffic
            self.internal_errors += 1
            log.debug("goscope: event failed: %r", exc)
            event = self._fallback_event(flow, self.seq, exc)
        self.sink.emit(event)
        if self.keep_events:
            self.events.append(event)

    def event_for(self, flow: http.HTTPFlow, seq: int) -> Event:
        req = flow.request
        url = flow.metadata.get("goscope_url") or req.pretty_url
        started = req.timestamp_start
        event = Event(
            seq=seq,
            started=_iso(started),
            method=req.method,
            url=redact_url(url),
            host=(flow.metadata.get("goscope_host") or req.pretty_host).lower(),
        )
        request_headers = _fields(req.headers)
        user_agent = {"user-agent": req.headers.get("user-agent", "")}
        event.apply(self.classify(req.method, url, user_agent, self.env))
        resp = flow.response
        if resp is not None:
            event.status = resp.status_code
            event.response_headers = redact_headers(_fields(resp.headers))
        event.request_headers = redact_headers(request_headers)
        if flow.error is not None:
            event.error = redact_free_text(_error_text(flow.error.msg))
            if resp is None and not flow.error.msg.startswith("Client disconnected"):
                # mitmproxy answers the client itself when the upstream fails.
                event.status = 502
        end = (resp.timestamp_end if resp and resp.timestamp_end else None) or time.time()
        if started:
            event.duration_ms = round((end - started) * 1000, 3)
        event.response_bytes = self._response_bytes(flow)
        if resp is not None and event.endpoint in PREVIEW_ENDPOINTS and resp.raw_content:
            event.preview = redact_free_text(_preview(resp.raw_content))
            if event.endpoint == "go-get":
                event.repo = _go_import_repo(resp.raw_content, event.module)
        if self.retries.mark(event):
            event.auth_retry = True
        return event

    @staticmethod
    def _response_bytes(flow: http.HTTPFlow) -> int | None:
        streamed = flow.metadata.get("goscope_streamed")
        if streamed is not None:
            return streamed["n"]
        if flow.response is not None and flow.response.raw_content is not None:
            return len(flow.response.raw_content)
        return None

    @staticmethod
    def _fallback_event(flow: http.HTTPFlow, seq: int, exc: Exception) -> Event:
        """The minimum we can say, built so that it cannot fail again."""
        try:
            url = redact_url(flow.metadata.get("goscope_url") or flow.request.pretty_url)
            host = flow.request.pretty_host
            method = flow.request.method
        except Exception:
            url, host, method = "", "", ""
        status = None
        with contextlib.suppress(Exception):
            status = flow.response.status_code if flow.response else None
        return Event(
            seq=seq,
            started=_iso(time.time()),
            method=method,
            url=url,
            host=host,
            status=status,
            flags=["goscope-error"],
            error=None,
        )

    # -- stats --------------------------------------------------------------
    def stats(self) -> dict[str, int]:
        return {
            "events": self.seq,
            "internal_errors": self.internal_errors,
            "dropped_live": self.sink.dropped,
        }


def _fields(headers: http.Headers) -> list[tuple[str, str]]:
    """Header pairs straight from mitmproxy's raw fields (faster than items(multi=True))."""
    return [(k.decode("latin-1"), v.decode("latin-1", errors="replace")) for k, v in headers.fields]


def _iso(ts: float | None) -> str:
    return datetime.fromtimestamp(ts or time.time(), UTC).isoformat(timespec="milliseconds")


_ERRNO_WORDS = {
    "[Errno 111]": "connection refused",
    "[Errno 104]": "connection reset by peer",
    "[Errno 110]": "connection timed out",
    "[Errno -2]": "no such host",
    "[Errno -3]": "name resolution failed",
}


def _error_text(msg: str) -> str:
    """mitmproxy's error, with the plain words for errno-style messages first."""
    msg = msg.strip() or "error"
    for errno, words in _ERRNO_WORDS.items():
        if errno in msg:
            return f"{words}: {msg}"
    return msg


def _preview(raw: bytes) -> str:
    return raw[:PREVIEW_BYTES].decode("utf-8", errors="replace")


def _go_import_repo(body: bytes, module: str | None) -> str | None:
    """The repository URL of the go-import meta tag that covers the module."""
    for match in _GO_IMPORT.finditer(body[:65536]):
        fields = match.group(1).decode("utf-8", errors="replace").split()
        if len(fields) == 3 and (module is None or (module + "/").startswith(fields[0] + "/")):
            return fields[2]
    return None


def open_recording(path: str | None, environment: dict[str, Any], **header: Any) -> IO[str] | None:
    if not path:
        return None
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    fh = os.fdopen(fd, "w", encoding="utf-8", buffering=1 << 16)
    fh.write(header_line(environment, **header) + "\n")
    fh.flush()
    return fh
