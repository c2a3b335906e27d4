"""The mitmproxy addon: a thin adapter from mitmproxy flows to goscope events.

`GoscopeAddon` turns each finished flow into an `Event` and hands it to its
sinks (outputs.py). Whatever goes wrong in goscope's own code is caught and
counted: the traffic always flows. `goscope_addons()` is the whole set, in
the order mitmproxy must run them; the proxy process and the mitmdump script
(goscope/proxy/mitmdump_script.py, `goscope addon-path`) both use it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from mitmproxy import connection, ctx, http
from mitmproxy.addonmanager import Loader

from goscope.core.gorules.goenv import GoEnv
from goscope.core.safe.redact import (
    redact_free_text,
    redact_goauth_headers,
    redact_headers,
    redact_repeated_path,
    redact_repeated_url,
    redact_url,
)
from goscope.core.safe.visible import visible
from goscope.core.traffic.classify import UNREAD, Classification, Unread, classify_request
from goscope.core.traffic.events import Event, visible_event
from goscope.core.traffic.gaps import TROUBLE
from goscope.core.traffic.recording import foreign_line, guard_line, sender_line
from goscope.core.traffic.redirects import RedirectLinker, apply_origin
from goscope.core.traffic.retries import AuthRetryMarker
from goscope.core.vocab import ABANDONED_ERROR, ABANDONED_FLAG, MISDIRECTED_FLAG, Endpoint

from .answers import (
    body_head,
    client_went_away,
    error_text,
    fields,
    go_import_repo,
    http_version,
    preview,
    refused_header,
)
from .answers import issuer as issuer_of
from .fallback import fallback_event
from .flowfacts import header, pretty_url_and_host
from .guard import BLOCKED_FLAG, Guard
from .modimports import ModImports
from .outputs import EventSink, LiveStream, Recorder, environment_option
from .router import Router
from .senders import OwnerNotFound, Sender, SenderDirectory
from .stamps import iso_ms as _iso

log = logging.getLogger("goscope")

PREVIEW_ENDPOINTS: frozenset[Endpoint] = frozenset(
    {"list", "info", "mod", "latest", "lookup", "supported", "sumdb-latest", "go-get"}
)
SENDER_LOOKUP_SECONDS = 1.0  # past it, a connection's sender is unknown
FOREIGN_RECORDS = 1000  # refused clients recorded in full per run; the rest only counted


Classifier = Callable[[str, str, dict[str, str], GoEnv | None], Classification]
_UNLINKED = object()


# mitmproxy's words for a client that closed its connection during the handshake, no alert.
ABANDONED = "The client disconnected during the handshake"


class GoscopeAddon:
    """Classifies every exchange and emits one event per exchange to each sink.

    Option `goscope_environment`: the Go environment of the command, as JSON
    (`GoEnv.to_dict()`); empty means this process's own environment.
    """

    def __init__(
        self,
        sinks: Sequence[EventSink] = (),
        env: GoEnv | None = None,
        classify: Classifier = classify_request,
    ):
        self.env = env
        self.sinks = list(sinks)
        self.classify = classify
        # Hosts sent credentials or asking for them (host[:port], as go looks them up): the
        # .netrc entries a run's end line keeps are theirs only, never a user's whole file.
        self.credential_hosts: set[str] = set()
        self.seq = 0
        self.internal_errors = 0
        self.retries = AuthRetryMarker()
        self.redirects = RedirectLinker()
        self.mod_imports = ModImports()  # paths looked up directly: a `mod` proxy's modules
        # server connection -> (TLS version, certificate issuer, issued under a public root)
        self._issuers: dict[str, tuple[str | None, str | None, bool | None]] = {}
        self.in_flight: dict[str, http.HTTPFlow] = {}  # asked, not yet answered
        self.senders = SenderDirectory()
        # Two threads: a lookup stuck on a hung file system leaves the other for the rest.
        self._lookups = ThreadPoolExecutor(2, thread_name_prefix="goscope-senders")
        self.sender_timeouts = 0
        self.sender_unknown = 0  # connections that asked, from a process never found
        # Connections not tied to a process (lookup too slow, process not found), until
        # their first request, with the count they go to then.
        self._unattributed: dict[str, str] = {}
        self.foreign = 0  # clients refused for lacking the run's secret
        self.tls_failed = 0  # clients that failed TLS with goscope: nothing seen of them
        self.tls_abandoned = 0  # connections closed mid-handshake, no alert: dials go cancelled
        # Client connections that have neither asked anything nor ended their TLS handshake
        # either way: at stop, the proxy waits a moment for them (server.py `settle`), and
        # those still open are counted (`handshaking_at_stop`): the verdict says so.
        self.handshaking: set[str] = set()
        self.handshaking_at_stop = 0
        self.tls_unwired = 0  # TLS straight to the port, with no CONNECT: not the run's
        self._sender_envs: dict[int, GoEnv | None] = {}  # each sender's, for the guard
        self._senders: dict[int, Sender] = {}  # identified, told when first served
        self._told: set[int] = set()
        self._nobody = GoEnv.from_mapping({})  # an unknown sender: judged by --private only
        self.guard: Guard | None = None  # set by goscope_addons(): its count is in the stats
        self._sender_of: dict[str, int | None] = {}  # client connection id -> sender id
        self._tunnel_to: dict[str, str] = {}  # client connection id -> its CONNECT's host

    # -- mitmproxy hooks ----------------------------------------------------
    def load(self, loader: Loader) -> None:
        loader.add_option(
            "goscope_environment",
            str,
            "",
            "The Go environment of the command, as JSON (empty: this process's).",
        )

    def configure(self, updated: set[str]) -> None:
        # An environment given to the constructor (tests, benchmarks) stands unless the
        # option names one.
        text = ctx.options.goscope_environment
        if ("goscope_environment" in updated and text) or self.env is None:
            self.env = environment_option(text)

    async def client_connected(self, client: connection.Client) -> None:
        """Which process opened this connection, once per connection, off the event loop.

        A sender is hostile until shown otherwise (a FIFO as its GOENV, thousands of open
        files): the lookup runs in a worker thread with a time limit, so no sender can hold
        up another's traffic. Past the limit it is unknown, and counted.
        """
        loop = asyncio.get_running_loop()
        try:
            sender, new = await asyncio.wait_for(
                loop.run_in_executor(
                    self._lookups, self.senders.identify, client.peername, client.sockname
                ),
                SENDER_LOOKUP_SECONDS,
            )
        except TimeoutError:
            # Counted at its first request, as the ones below: a client refused for lacking
            # the run's secret (thousands of bare connections) asks nothing here.
            self._unattributed[client.id] = "sender_timeouts"
            sender, new = None, False
        except OwnerNotFound:
            self._unattributed[client.id] = "sender_unknown"
            sender, new = None, False
        except Exception as exc:  # attribution is a nicety: never break the connection
            log.debug("goscope: sender lookup failed: %r", exc)
            sender, new = None, False
        if sender is not None and (new or sender.id not in self._senders):
            # Not new to the directory but new here: its first lookup ran past the limit and
            # finished in its worker. Its other connections were judged by nobody's
            # environment, and telling it raised KeyError (the guard let their leaks out).
            self._senders[sender.id] = sender
            self._sender_envs[sender.id] = sender.goenv or (
                GoEnv.from_dict(sender.environment) if sender.environment else None
            )
        self._sender_of[client.id] = sender.id if sender is not None else None

    def tls_failed_client(self, data: Any) -> None:
        """A client that gave up on TLS with goscope (it does not trust goscope's CA?) asked
        nothing goscope could see: counted, and the verdict says so.

        A client that only closed its connection during the handshake, without a TLS alert,
        is go cancelling a dial it no longer needs (net/http races a new connection against
        one coming free, and closes the loser): counted apart, never incomplete. A client
        that distrusts a certificate says so with an alert (crypto/tls, OpenSSL, Java), which
        mitmproxy reports in other words (layers/tls.py `on_handshake_error`)."""
        conn_id = getattr(getattr(data, "conn", None), "id", None)
        if conn_id not in self.handshaking:
            # No CONNECT the run's secret allowed: a process goscope did not wire (TLS sent
            # straight to the port) may not turn a run's verdict incomplete.
            self.tls_unwired += 1
            return
        self.handshaking.discard(conn_id)
        error = str(getattr(getattr(data, "conn", None), "error", "") or "")
        if error == "connection closed early" or error.startswith(ABANDONED):
            self.tls_abandoned += 1
        else:
            self.tls_failed += 1
            self._troubled()

    def tls_established_client(self, data: Any) -> None:
        self.handshaking.discard(data.conn.id)

    def http_connect(self, flow: http.HTTPFlow) -> None:
        if flow.metadata.get("goscope_foreign"):  # refused (407): it will ask nothing here
            self.handshaking.discard(flow.client_conn.id)
        else:  # where every request of this tunnel goes, whatever its Host header says
            self._tunnel_to[flow.client_conn.id] = flow.request.host
            # Its TLS handshake with goscope starts now: counted from here, as a wired
            # client's (a bare connection held open by anyone made the verdict incomplete).
            self.handshaking.add(flow.client_conn.id)

    def client_disconnected(self, client: connection.Client) -> None:
        self._sender_of.pop(client.id, None)
        self._unattributed.pop(client.id, None)
        self._tunnel_to.pop(client.id, None)
        self.handshaking.discard(client.id)

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        self.handshaking.discard(flow.client_conn.id)  # past any handshake: it asked
        if flow.metadata.get("goscope_foreign"):
            return  # refused (access.py): not the run's traffic, never an event
        # Before any routing: the URL exactly as the client asked for it.
        url, host = pretty_url_and_host(flow.request)
        url = flow.metadata.setdefault("goscope_url", url)
        flow.metadata.setdefault("goscope_host", host)
        sender = flow.metadata["goscope_sender"] = self._sender_of.get(flow.client_conn.id)
        if self._unattributed and flow.client_conn.id in self._unattributed:
            counter = self._unattributed.pop(flow.client_conn.id)
            setattr(self, counter, getattr(self, counter) + 1)
            self._troubled()
        if sender is not None and sender not in self._told:
            # Told at its first request the proxy serves, never before: a process refused
            # for lacking the run's secret is no sender (its environment is not judged).
            self._told.add(sender)
            self._emit_sender(self._senders[sender].to_dict())
        # A redirect that sent go here gives this request its meaning, from the start
        # (the guard judges it before it leaves).
        flow.metadata["goscope_origin"] = self.redirects.take(url, sender=sender)
        self.in_flight[flow.id] = flow
        # The request is judged by the host it names (Host, :authority), but mitmproxy sends
        # it where the client connected (its CONNECT) or to its absolute URL's host. go names
        # the same host; a request that names another is refused, never sent: judged as
        # named, it could take a private path past the guard to the host it connects to.
        going = self._tunnel_to.get(flow.client_conn.id) or flow.request.host
        if not _same_host(going, host):
            flow.metadata["goscope_misdirected"] = going
            flow.metadata["goscope_blocked"] = True  # answered here: it never left
            flow.response = http.Response.make(
                421,
                visible(f"goscope: this request names {host} but goes to {going}: refused\n"),
                {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"},
            )

    def event_for_request(self, flow: http.HTTPFlow) -> tuple[Event, GoEnv]:
        """What a request will be as an event, before it is sent, and the Go environment
        it is judged by (its sender's, exactly as the judge does: judging/judge.py)."""
        url, host = _url_and_host(flow)
        method = flow.request.method
        event = Event(seq=0, started="", method=method, url=url, host=host.lower())
        found = self._classified(flow, method, url)
        if found is UNREAD:  # the guard refuses what it cannot judge
            raise Unread("the classifier could not read this request")
        event.apply(found)
        origin = flow.metadata.get("goscope_origin")
        if origin is not None:
            apply_origin(event, origin)
        sender = flow.metadata.get("goscope_sender")
        event.sender = sender
        if sender is not None:
            return event, self._sender_envs.get(sender) or self._nobody
        known = ctx.options.goscope_environment_source == "command" and self.env is not None
        return event, self.env if known and self.env is not None else self._nobody

    def _classified(self, flow: http.HTTPFlow, method: str, url: str) -> Classification:
        """What the request is, by whose GOPROXY and GOSUMDB: its sender's, as go asked its
        own (a child's GOSUMDB mirror is a checksum database even if the command's is not);
        the command's when the sender's is unknown. And the paths go looked up directly:
        a go-import `mod` tag sends go to ask them of a proxy GOPROXY never named."""
        sender = flow.metadata.get("goscope_sender")
        env = self._sender_envs.get(sender) if sender is not None else None
        user_agent = {"user-agent": header(flow.request.headers, b"user-agent") or ""}
        found = self.classify(method, url, user_agent, env or self.env)
        self.mod_imports.looked_up(found, sender)
        return self.mod_imports.resplit(found, url, sender)

    def done(self) -> None:
        """Requests still waiting for an answer when goscope stops are recorded too."""
        for flow in list(self.in_flight.values()):
            flow.metadata["goscope_interrupted"] = True
            self._finish(flow)

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
        self.in_flight.pop(flow.id, None)
        if flow.metadata.get("goscope_done") or flow.metadata.get("goscope_foreign"):
            return  # error after response (e.g. a truncated body): one event only
        flow.metadata["goscope_done"] = True
        self.seq += 1
        try:
            event = self.event_for(flow, self.seq)
            line = event.to_json()
        except Exception as exc:  # never let goscope break or lose traffic
            self.internal_errors += 1
            self._troubled()
            log.debug("goscope: event failed: %r", exc)
            event = fallback_event(flow, self.seq)
            line = event.to_json()
        self._emit(event, line)

    def _emit_sender(self, sender: dict[str, Any]) -> None:
        self._emit_record("emit_sender", sender, sender_line)

    def emit_foreign(self, foreign: dict[str, Any], client_id: str | None = None) -> None:
        """A client refused for lacking the run's secret (access.py): said, never judged;
        with the process that sent it, when goscope could tell."""
        self.foreign += 1
        if self.foreign > FOREIGN_RECORDS:
            return  # counted (the end line's stats): a flood must not fill the disk
        sender = self._sender_of.get(client_id) if client_id is not None else None
        process = self._senders.get(sender) if sender is not None else None
        if process is not None:  # who it was, as far as goscope may say
            foreign = {
                **foreign,
                "process": {
                    "pid": process.pid,
                    "program": process.program,
                    "command": process.command,
                },
            }
        self._emit_record("emit_foreign", foreign, foreign_line)

    def emit_guard(self, state: dict[str, Any]) -> None:
        """The guard turned on or off: the recording notes when."""
        self._emit_record("emit_guard", state, guard_line)

    def _emit_record(
        self, method: str, record: dict[str, Any], to_line: Callable[[dict[str, Any]], str]
    ) -> None:
        try:
            line = to_line(record)
        except Exception as exc:  # counted: the recording then says it is incomplete
            self.internal_errors += 1
            self._troubled()
            log.error("goscope: %s record failed: %r", method, exc)
            return
        for sink in self.sinks:
            emit = getattr(sink, method, None)
            if emit is not None:
                try:
                    emit(record, line)
                except Exception as exc:
                    self.internal_errors += 1
                    self._troubled()
                    log.error("goscope: %s failed: %r", type(sink).__name__, exc)

    def _emit(self, event: Event, line: str) -> None:
        for sink in self.sinks:
            try:
                sink.emit(event, line)
            except Exception as exc:  # an output failing must not stop the others
                self.internal_errors += 1
                self._troubled()
                log.error("goscope: %s failed: %r", type(sink).__name__, exc)

    def event_for(self, flow: http.HTTPFlow, seq: int) -> Event:
        req = flow.request
        url, host = _url_and_host(flow)
        started, method = req.timestamp_start, req.method
        event = Event(
            seq=seq, started=_iso(started), method=method, url=redact_url(url), host=host.lower()
        )
        request_headers = fields(req.headers)
        found = self._classified(flow, method, url)
        if found is UNREAD:
            # Unjudged: goscope's own failure, the verdict incomplete (counted once).
            event.flags.append("goscope-error")
            if not flow.metadata.get("goscope_unjudged"):
                self.internal_error(Unread(f"could not classify {event.url}"))
        event.apply(found)
        origin = flow.metadata.get("goscope_origin", _UNLINKED)
        if origin is _UNLINKED:  # a flow that never passed requestheaders (tests)
            origin = self.redirects.take(url, sender=flow.metadata.get("goscope_sender"))
        if origin is not None:
            apply_origin(event, origin)
        if event.proxy:  # the GOPROXY entry's base, from the URL: a token in its path too
            event.proxy = redact_repeated_url(event.proxy)
        if event.module:  # decoded from the path the client sent, secrets and all
            event.module = redact_repeated_path(event.module)
        if event.version:
            event.version = redact_repeated_path(event.version)
        resp = flow.response
        if resp is not None:
            status = resp.status_code  # any integer: mitmproxy does not check its range
            if 100 <= status <= 999:
                event.status = status
            else:
                # go refuses a status that is not three digits (net/http/response.go
                # ReadResponse): it got no answer, only this error.
                event.error = f'malformed HTTP status code "{str(status)[:40]}"'
            refused = (
                refused_header(resp.headers.fields, req.http_version == "HTTP/2.0")
                if event.client == "go"
                else None
            )
            if refused is not None:  # go refuses the whole answer: its status never reached it
                event.status = None
                event.error = redact_free_text(f"{refused}: go refused the server's {status}")
            event.response_headers = redact_headers(fields(resp.headers))
        # Any header its client does not send itself came from configuration (GOAUTH, git's
        # extraHeader, curl -H): a credential, whatever its name.
        event.request_headers = redact_goauth_headers(redact_headers(request_headers), event.client)
        if (
            event.status in (401, 403) or header(req.headers, b"authorization") is not None
        ) and len(self.credential_hosts) < 1024:
            self.credential_hosts.add(event.url.partition("//")[2].partition("/")[0].lower())
        if flow.metadata.get("goscope_blocked"):
            event.flags.append(BLOCKED_FLAG)  # answered by the guard: it never left
        misdirected = flow.metadata.get("goscope_misdirected")
        if misdirected is not None:
            event.flags.append(MISDIRECTED_FLAG)
            event.error = redact_free_text(
                f"refused by goscope: the request names {host}, but would go to {misdirected}"
            )
        if flow.metadata.get("goscope_interrupted"):
            event.error = "interrupted: goscope stopped before the answer came"
            event.flags.append("interrupted")
        elif flow.error is not None:
            event.error = redact_free_text(error_text(flow.error.msg))
            if req.timestamp_end is None and resp is None:
                # The client's own request was cut off or malformed (a bad Content-Length,
                # a bad chunk): nothing went upstream, and nobody answered it 502.
                event.error = f"the client's request was malformed or cut off: {event.error}"
                event.flags.append("client-error")
            elif client_went_away(flow):
                # go stopped waiting (Ctrl-C, a CI timeout, killed): nobody answered 502.
                event.error = f"{ABANDONED_ERROR} ({event.error})"
                event.flags.append(ABANDONED_FLAG)
            elif resp is None or "goscope_streamed" not in flow.metadata:
                # mitmproxy answers the client 502 itself when the upstream fails: before any
                # answer, or while a buffered body came (go never saw the server's status).
                if resp is not None:
                    event.error += f" (after {host} began answering {resp.status_code})"
                event.status = 502
            # (Streamed: go got the server's status and a body cut short; it stays.)
        end = (resp.timestamp_end if resp and resp.timestamp_end else None) or time.time()
        if started:
            event.duration_ms = round((end - started) * 1000, 3)
        event.response_bytes = self._response_bytes(flow)
        if resp is not None and event.endpoint in PREVIEW_ENDPOINTS and resp.raw_content:
            body = body_head(resp)
            event.preview = redact_free_text(preview(body)) if body else None
            if event.endpoint == "go-get":
                repo = go_import_repo(body, event.module)
                event.repo = redact_url(repo) if repo else None
        if self.retries.mark(event):
            event.auth_retry = True
        if origin is not None and event.status is not None and 400 <= event.status < 500:
            # go's 4xx retry asks the URL that redirected, not this one (web/http.go).
            self.retries.remember(origin.method, redact_url(origin.url))
        event.sender = flow.metadata.get("goscope_sender")  # before note: only it follows
        if resp is not None and 300 <= resp.status_code < 400:
            self.redirects.note(event, url, header(resp.headers, b"location"))
        self._transport(flow, event)
        return visible_event(event)

    def _transport(self, flow: http.HTTPFlow, event: Event) -> None:
        """HTTP versions on both sides, and the upstream's TLS and certificate issuer (the
        connection facts computed once per connection: a flow only looks them up)."""
        event.client_http = http_version(flow.request)
        if flow.response is not None and not flow.metadata.get("goscope_interrupted"):
            event.upstream_http = http_version(flow.response)
        server = flow.server_conn
        if server is None:
            return
        facts = self._issuers.get(server.id)
        if facts is None:
            if not server.tls_established:
                return  # not yet, or plain HTTP: asked again by the next flow
            issuer, public = (
                issuer_of(server.certificate_list) if server.certificate_list else (None, None)
            )
            facts = self._issuers[server.id] = (server.tls_version, issuer, public)
            if len(self._issuers) > 1024:  # one entry per upstream connection, bounded
                self._issuers.pop(next(iter(self._issuers)))
        event.upstream_tls, event.upstream_issuer, event.upstream_public_root = facts

    @staticmethod
    def _response_bytes(flow: http.HTTPFlow) -> int | None:
        streamed = flow.metadata.get("goscope_streamed")
        if streamed is not None:
            return streamed["n"]
        if flow.response is not None and flow.response.raw_content is not None:
            return len(flow.response.raw_content)
        return None

    # -- stats --------------------------------------------------------------
    def internal_error(self, exc: Exception) -> None:
        """goscope's own failure (the guard's): counted, so the verdict is incomplete."""
        self.internal_errors += 1
        self._troubled()
        log.error("goscope: %r", exc)

    def _troubled(self) -> None:
        counts = {name: getattr(self, name) for name in TROUBLE}
        for sink in self.sinks:
            if (tell := getattr(sink, "emit_trouble", None)) is not None:
                tell(counts)

    def stats(self) -> dict[str, int | str]:
        """The proxy's own count, for the recording's end line: what it saw, and what it
        could not do (a reader calls the verdict incomplete from these)."""
        dropped = sum(getattr(sink, "dropped", 0) for sink in self.sinks)
        out: dict[str, int | str] = {
            "events": self.seq,
            "internal_errors": self.internal_errors,
            "dropped_live": dropped,
            "sender_timeouts": self.sender_timeouts,
            "sender_unknown": self.sender_unknown,
            "foreign": self.foreign,
            "tls_failed": self.tls_failed,
        }
        if self.tls_abandoned:
            out["tls_abandoned"] = self.tls_abandoned
        if self.tls_unwired:
            out["tls_unwired"] = self.tls_unwired
        if self.handshaking_at_stop:
            out["handshaking_at_stop"] = self.handshaking_at_stop
        if self.guard is not None and self.guard.blocked:
            out["blocked"] = self.guard.blocked
        for sink in self.sinks:
            if getattr(sink, "lost", 0):
                out["recording_lost"] = sink.lost  # type: ignore[attr-defined]
                out["recording_error"] = sink.error or "a write failed"  # type: ignore[attr-defined]
        return out


def _same_host(going: str, named: str) -> bool:
    """Whether the host a request goes to is the host it names (case and a final dot aside)."""
    return going.lower().rstrip(".") == named.lower().rstrip(".")


def _url_and_host(flow: http.HTTPFlow) -> tuple[str, str]:
    """The URL and host the client asked for (kept by requestheaders, before any routing)."""
    url, host = flow.metadata.get("goscope_url"), flow.metadata.get("goscope_host")
    if not url or not host:
        pretty_url, pretty_host = pretty_url_and_host(flow.request)
        return url or pretty_url, host or pretty_host
    return url, host


def goscope_addons() -> list[Any]:
    """Router first (flow files and HAR see requests as the client made them), then the
    classifier, the guard (after it: it judges what the classifier made of the request)
    and its outputs. The proxy process adds `ProxyAccess` before them and `HarRedactor`
    after mitmproxy's own addons, since it must run after savehar."""
    recorder, live = Recorder(), LiveStream()
    addon = GoscopeAddon([recorder, live])
    guard = addon.guard = Guard(
        addon.event_for_request, on_change=addon.emit_guard, on_error=addon.internal_error
    )
    return [Router(), addon, guard, recorder, live]
