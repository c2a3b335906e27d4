"""The guard: a private module path is stopped before it leaves the machine.

With `goscope_guard` on, every request goscope would call a leak (judging/leaks.py:
high, medium, suspected, and a prefix probe above a private pattern), judged by the
Go environment of the process that sent it, exactly as leaks are, is answered by
goscope itself and never forwarded. The answers keep go's own rules:

- a module proxy (and a toolchain download): 404, so go moves on to the next GOPROXY
  entry after `,` and `|` alike (modfetch/proxy.go: 404 and 410 mean "not found"),
  typically `direct` or a trusted mirror, which is what a right GOPRIVATE would do;
- a checksum lookup (at the database, or through a proxy's /sumdb/): 403, and go stops
  with `verifying …` (modfetch/sumdb.go: any failed lookup is an error, and go never
  asks the database elsewhere), so nothing is used unverified.

Each answer has a plain-text body that go prints as `server response:` (web/api.go:
text/plain, at most 8 lines and 648 bytes, up to the first blank line): that the path
was blocked, the pattern and variable that made it private, and the fix. `--trusted`
hosts are never blocked and public modules are untouched (the detector says so); the
decision is local, so guarding costs no upstream request. SIGUSR1 turns the guard on,
SIGUSR2 off, in a running proxy (the TUI's `g`); each change is told to the sinks.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from mitmproxy import ctx, http
from mitmproxy.addonmanager import Loader

from goscope.core.gorules.goenv import ORIGIN_ENV, GoEnv
from goscope.core.gorules.patterns import matching_pattern
from goscope.core.judging.leaks import Leak, LeakDetector
from goscope.core.traffic.events import Event
from goscope.core.vocab import BLOCKED_FLAG

from .stamps import iso_ms as _iso

__all__ = ["BLOCKED_FLAG", "Guard", "block_message", "private_by"]
MAX_BODY = 600  # go shows at most 648 bytes of a server's answer


class Guard:
    """Option `goscope_guard` (bool); the judging context from `goscope_judging`."""

    def __init__(
        self,
        event_for_request: Callable[[http.HTTPFlow], tuple[Event, GoEnv]],
        on_change: Callable[[dict[str, Any]], None] | None = None,
        on_error: Callable[[Exception], None] | None = None,
    ):
        self.event_for_request = event_for_request
        self.on_change = on_change
        self.on_error = on_error  # counted as goscope's own error: the verdict is incomplete
        self.enabled = False
        self.blocked = 0
        self._private = ""
        self._trusted: frozenset[str] = frozenset()
        self._detectors: dict[int, tuple[GoEnv, LeakDetector]] = {}

    def load(self, loader: Loader) -> None:
        loader.add_option(
            "goscope_guard", bool, False, "Answer every would-be leak locally; never forward it."
        )

    def configure(self, updated: set[str]) -> None:
        if "goscope_judging" in updated:
            from .outputs import judging_option

            judging = judging_option(ctx.options.goscope_judging)
            self._private = str(judging.get("private") or "")
            self._trusted = frozenset(str(h).lower() for h in judging.get("trusted") or [])
            self._detectors.clear()
        if "goscope_guard" in updated:
            self.set(ctx.options.goscope_guard)

    def set(self, enabled: bool) -> None:
        if enabled == self.enabled:
            return
        self.enabled = enabled
        if self.on_change is not None:
            self.on_change({"on": enabled, "at": _iso(time.time())})

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        if not self.enabled or flow.response is not None or flow.metadata.get("goscope_foreign"):
            return
        try:
            self._judge(flow)
        except Exception as exc:
            # Fail closed: a request the guard could not judge is not sent. mitmproxy logs
            # a hook's exception and forwards the flow: a path with a byte that is not
            # UTF-8 failed the answer's encoding, went out, and the report said "blocked".
            flow.metadata["goscope_unjudged"] = True  # counted here, once
            flow.response = http.Response.make(
                502,
                b"goscope guard: could not judge this request, so it was not sent\n",
                {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"},
            )
            if self.on_error is not None:
                self.on_error(exc)

    def _judge(self, flow: http.HTTPFlow) -> None:
        event, env = self.event_for_request(flow)
        leak = self._detector(env).check(event)
        if leak is None:
            return
        sumdb = event.kind == "sumdb"
        # Wire text may hold lone surrogates (mitmproxy decodes bytes that are not UTF-8
        # with surrogateescape): replaced, never an exception.
        body = block_message(leak, env, self._private, event).encode("utf-8", "replace")
        flow.response = http.Response.make(
            403 if sumdb else 404,
            body,
            {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"},
        )
        flow.metadata["goscope_blocked"] = True  # counted once the answer stands
        self.blocked += 1

    def _detector(self, env: GoEnv) -> LeakDetector:
        known = self._detectors.get(id(env))
        if known is None or known[0] is not env:
            if len(self._detectors) > 256:
                self._detectors.clear()
            known = (env, LeakDetector(env, self._private, self._trusted))
            self._detectors[id(env)] = known
        return known[1]


def private_by(env: GoEnv, declared: str, module: str) -> str:
    """Which setting made `module` private: `GOPRIVATE=pattern (origin)`, or `--private`."""
    for var in ("GOPRIVATE", "GONOPROXY", "GONOSUMDB"):
        pattern = matching_pattern(env.get(var), module)
        if pattern is not None:
            origin = env.origins.get(var, "")
            where = "the environment" if origin == ORIGIN_ENV else origin or "default"
            return f"{var} pattern {pattern} ({where})"
    pattern = matching_pattern(declared, module)
    if pattern is not None:
        return f"--private pattern {pattern}"
    return "its path (it looks internal)"


def block_message(leak: Leak, env: GoEnv, declared: str, event: Event) -> str:
    """What go prints as `server response:`: the block, why, and the fix, in a few lines."""
    where = "checksum database" if event.kind == "sumdb" else "proxy"
    subject = leak.module  # (a guessed base: the private tail the rules judged, leaks.py)
    lines = [
        f"goscope guard: not sent to the {where} {event.host}:",
        f"{subject} is private by {private_by(env, declared, subject)}",
    ]
    if event.kind == "sumdb":
        lines.append("go stops here: nothing is used unverified")
    if leak.fix:
        lines.append(f"fix: {leak.fix}")
    elif leak.note:
        lines.append(leak.note)
    text = "\n".join(line.replace("\n", " ") for line in lines if line)
    return text[:MAX_BODY] + "\n"
