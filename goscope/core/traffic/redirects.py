"""Redirects: the request go's HTTP client makes when a proxy answers 3xx.

Real module proxies answer `.zip` (sometimes `.mod`/`.info`) with a 302 or 307
to a signed blob URL: proxy.golang.org to storage.googleapis.com, Athens in
redirect mode to S3 or GCS. go's client follows it by itself (net/http, as
used by `fetch` in src/cmd/go/internal/web/http.go), and `go -x` prints only
the URL go asked, with the final status. On the wire these are two exchanges,
the second to a host that says nothing of modules. `RedirectLinker` remembers
each 3xx's target (the raw URL, signature and all: in memory only) and hands
the request that follows it the meaning of the request that redirected:
kind, endpoint, module, version, GOPROXY entry, and `redirected_from`.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import msgspec

from ..urls import origin
from ..vocab import BASE_GUESSED_FLAG
from .events import Event

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
REDIRECT_FLAG = "redirect"  # an event whose answer sent go elsewhere
WINDOW_S = 120.0  # go follows at once; a target asked much later is a new request


@dataclass(frozen=True, slots=True)
class Origin:
    seq: int
    url: str  # the URL that redirected, raw (go's auth retry asks it again)
    method: str
    event: Event
    at: float


def is_redirect(status: int | None, location: str | None) -> bool:
    return status in REDIRECT_STATUSES and bool(location)


def normal_url(url: str) -> str:
    """One spelling per URL: host lowercased, default port dropped, no fragment."""
    try:
        parts = urlsplit(url)
        base = origin(parts)
    except ValueError:
        return url
    return base + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


class RedirectLinker:
    """Ties each request that follows a redirect to the request that redirected."""

    def __init__(self, size: int = 4096, window_s: float = WINDOW_S):
        self.size = size
        self.window_s = window_s
        self._targets: OrderedDict[str, Origin] = OrderedDict()

    def note(
        self, event: Event, raw_url: str, location: str | None, now: float | None = None
    ) -> None:
        """After an answer: remember where a 3xx sends go (`raw_url`: as go asked it)."""
        if not is_redirect(event.status, location) or event.error is not None:
            return
        assert location is not None
        if REDIRECT_FLAG not in event.flags:
            event.flags.append(REDIRECT_FLAG)
        target = normal_url(urljoin(raw_url, location.strip()))
        at = time.monotonic() if now is None else now
        # A hop of a longer redirect chain already carries the meaning of the first.
        self._targets[target] = Origin(event.seq, raw_url, event.method, event, at)
        while len(self._targets) > self.size:
            self._targets.popitem(last=False)

    def link(self, event: Event, raw_url: str, now: float | None = None) -> Origin | None:
        """Before judging a new request: if a redirect sent go here, take its meaning."""
        origin = self.take(raw_url, now)
        if origin is not None:
            apply_origin(event, origin)
        return origin

    def take(
        self, raw_url: str, now: float | None = None, sender: int | None = None
    ) -> Origin | None:
        """The redirect that sent go to `raw_url`, if one did (once: it is taken).

        Only the process that was redirected follows its redirect: another that asks the
        same URL asks it of its own accord, and is judged by what it asked."""
        if not self._targets:
            return None  # no redirect pending (the common case): nothing to parse
        key = normal_url(raw_url)
        origin = self._targets.get(key)
        if origin is None or origin.event.sender != sender:
            return None
        del self._targets[key]
        at = time.monotonic() if now is None else now
        if at - origin.at > self.window_s:
            return None
        return origin


# The kinds that send a module path to a proxy or a checksum database (judging/leaks.py).
_SENDS_A_PATH = ("proxy", "sumdb")


def apply_origin(event: Event, origin: Origin) -> None:
    """A redirect target means what the request that redirected meant, unless the target
    is itself a proxy's or a checksum database's request for another module than the
    origin's (or the origin was no such request): then it is judged as what it asks. A
    private host's `?go-get=1` page redirected go to a public proxy's `…/secret/@v/list`;
    taken as the page's meaning it was never judged, and the guard let the path out (an
    outside attack). Its fetch still reads the answer as the page's (chains.py, as_asked)."""
    root = origin.event
    event.redirected_from = origin.seq
    if (
        event.kind in _SENDS_A_PATH
        and event.module
        and (root.kind not in _SENDS_A_PATH or event.module != root.module)
    ):
        # (A proxy's redirect to its storage asks no module: it keeps the meaning.) Its base
        # is where the redirect led, none that go chose: the leak rules judge every place
        # its module could start (judging/leaks.py).
        if event.kind != "sumdb" and BASE_GUESSED_FLAG not in event.flags:
            event.flags.append(BASE_GUESSED_FLAG)
        return
    event.kind, event.endpoint = root.kind, root.endpoint
    event.module, event.version, event.proxy = root.module, root.version, root.proxy
    event.sumdb = root.sumdb
    if event.client == "other":
        event.client = root.client


def as_asked(event: Event, asked: Event) -> Event:
    """`event`'s answer to what `asked` asked: a copy (the event keeps its own meaning).
    A `?go-get=1` page's redirect to a proxy's request for a module is judged as what it
    asks (apply_origin), but web.Get reads its answer as the page go asked for."""
    return msgspec.structs.replace(
        event,
        kind=asked.kind,
        endpoint=asked.endpoint,
        module=asked.module,
        version=asked.version,
        proxy=asked.proxy,
        sumdb=asked.sumdb,
    )
