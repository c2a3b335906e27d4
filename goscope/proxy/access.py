"""Only the processes goscope wired may use its proxy: a per-run secret, asked of each client.

`goscope run`, `env` and `shell` hand go, git and curl a proxy URL with the run's
secret as its password (`http://goscope:SECRET@127.0.0.1:PORT`); they send it as
`Proxy-Authorization: Basic …` on CONNECT (and on plain http:// requests). A client
without it, or with another, is answered 407 and never judged: anyone else on the
machine (another user's curl, a stray process) could otherwise make goscope report a
leak that is not the command's, or hide one among its own requests.

A client that asked and was refused, and never authenticated on that connection, is
told to the sinks once, when it disconnects, as a `foreign` record: where it came from,
what it asked for, its user agent (never its credentials). git asks without credentials
first unless told `GIT_HTTP_PROXY_AUTHMETHOD=basic` (the wiring sets it), then again
with them on the same connection: such a client is not foreign.

mitmproxy's own `proxyauth` addon does the same check, but it keeps the user and
password in each flow's metadata (which `--save-flows` writes out) and imports LDAP and
htpasswd libraries at start-up; this one compares in constant time and keeps nothing.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Callable
from typing import Any

from mitmproxy import connection, ctx, exceptions, http
from mitmproxy.addonmanager import Loader

from goscope.core.safe.visible import visible

from .stamps import iso_ms as _iso

USER = "goscope"
REALM = "goscope"
MAX_REFUSALS = 8  # kept per connection: enough to say what it tried


class ProxyAccess:
    """Option `goscope_secret`: the password clients must send (empty: no check)."""

    def __init__(self, on_foreign: Callable[[dict[str, Any], str], None] | None = None):
        self.on_foreign = on_foreign
        self._expected: bytes | None = None
        self._allowed: set[str] = set()  # client connections that sent the secret
        self._refused: dict[str, list[dict[str, Any]]] = {}
        self.refused = 0  # requests answered 407

    def load(self, loader: Loader) -> None:
        loader.add_option(
            "goscope_secret",
            str,
            "",
            "Clients must send this as the proxy password (user goscope); empty: no check.",
        )

    def configure(self, updated: set[str]) -> None:
        if "goscope_secret" in updated:
            secret = ctx.options.goscope_secret
            if secret and (":" in secret or len(secret) < 16):
                raise exceptions.OptionsError(
                    "goscope_secret must be at least 16 characters and hold no ':'"
                )
            self._expected = f"{USER}:{secret}".encode() if secret else None

    # -- the check -----------------------------------------------------------------------
    def http_connect(self, flow: http.HTTPFlow) -> None:
        self._check(flow, "connect")

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        if self._expected is None:
            return
        if flow.client_conn.id in self._allowed:
            flow.request.headers.pop("proxy-authorization", None)  # never sent on
            return
        self._check(flow, "http")

    def _check(self, flow: http.HTTPFlow, kind: str) -> None:
        if self._expected is None:
            return
        client = flow.client_conn.id
        sent = _credentials(flow.request.headers.get("proxy-authorization", ""))
        if sent is not None and hmac.compare_digest(sent, self._expected):
            self._allowed.add(client)
            self._refused.pop(client, None)
            flow.request.headers.pop("proxy-authorization", None)
            return
        self.refused += 1
        flow.metadata["goscope_foreign"] = True
        flow.response = http.Response.make(
            407,
            b"goscope: this proxy serves only the processes goscope wired "
            b'(goscope run, goscope shell, eval "$(goscope env)")\n',
            {
                "Proxy-Authenticate": f'Basic realm="{REALM}"',
                "Content-Type": "text/plain; charset=utf-8",
            },
        )
        tried = self._refused.setdefault(client, [])
        if len(tried) >= MAX_REFUSALS:
            flow.kill()  # a client that keeps trying without the secret is cut off
            return
        if len(tried) < MAX_REFUSALS:
            tried.append(
                {
                    "kind": kind,
                    # Wire text, kept visible: a byte that is not UTF-8 (mitmproxy's
                    # surrogateescape) could not be written at all (core/safe/visible.py).
                    "target": visible(f"{flow.request.host}:{flow.request.port}"),
                    "time": _iso(flow.request.timestamp_start),
                    "user_agent": visible(flow.request.headers.get("user-agent", "")[:200]),
                    "sent_credentials": "proxy-authorization" in flow.request.headers,
                }
            )

    def client_disconnected(self, client: connection.Client) -> None:
        self._allowed.discard(client.id)
        attempts = self._refused.pop(client.id, None)
        if attempts and self.on_foreign is not None:
            peer = client.peername
            self.on_foreign(
                {
                    "client": f"{peer[0]}:{peer[1]}" if peer else "",
                    "connected": _iso(client.timestamp_start),
                    "attempts": attempts,
                },
                client.id,
            )


def _credentials(header: str) -> bytes | None:
    """`Basic base64(user:password)` decoded; None when it is not that."""
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        return base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
