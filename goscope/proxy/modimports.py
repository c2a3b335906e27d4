"""Module proxies that go-import tags name, found from what go asks of them.

A `?go-get=1` page's `<meta name="go-import" content="PREFIX mod URL">` makes go fetch the
path it looked up from URL with the proxy protocol (modfetch/repo.go `lookupDirect`:
`newProxyRepo(rr.Repo, path)`), at a base no GOPROXY names. Read with the sender's entries,
the module was guessed to start at the first element with a dot: a base
`https://proxy.golang.org/v1.0` made `v1.0/corp.example/x` of a private module (no leak,
exit 0; an outside attack). Reading the page's tags as go does would need go's whole HTML
reading (its order of `mod` over `git`, comments, namespaced attributes, pages of any size,
streamed ones); what go asks next needs none: its request ends with the escaped path it just
looked up, `…/<path>/@v/…`, and the base is whatever comes before. Such a request is flagged
`base-guessed`, and the leak rules judge every place its module could start (leaks.py).
This names the module rightly; it is not what keeps the guard closed: the leak rules judge
every dotted tail of any proxy request, since goscope need not see the lookup (NO_PROXY, a
loopback host), and only the process's own lookups count (another's could rename its
requests).
"""

from __future__ import annotations

import msgspec

from goscope.core.gorules.escaping import decode_wire, escape
from goscope.core.traffic.classify import Classification

__all__ = ["ModImports"]
LIMIT = 4096  # paths remembered: a `go get` probes a few per path; the oldest go first


class ModImports:
    def __init__(self) -> None:
        # (sender, escaped path) of each ?go-get=1 lookup (sender None: unknown), oldest
        # first. go asks the proxy from the process that asked the page: another process's
        # lookups must not rename (or unflag) its requests.
        self._paths: dict[tuple[int | None, str], None] = {}
        self._senders: dict[int | None, int] = {}  # how many paths each sender has

    def looked_up(self, found: Classification, sender: int | None) -> None:
        """Remember the path of a `?go-get=1` request, escaped as go will ask a proxy. Only
        a path that could be a module's (its first element has a dot: module.CheckPath)."""
        if found.endpoint != "go-get" or not found.module:
            return
        escaped = escape(found.module)
        if escaped is None or "." not in escaped.partition("/")[0]:
            return
        key = (sender, escaped)
        if key in self._paths:
            return
        if len(self._paths) >= LIMIT:
            gone = next(iter(self._paths))
            del self._paths[gone]
            self._senders[gone[0]] -= 1
            if not self._senders[gone[0]]:
                del self._senders[gone[0]]
        self._paths[key] = None
        self._senders[sender] = self._senders.get(sender, 0) + 1

    def resplit(self, found: Classification, url: str, sender: int | None) -> Classification:
        """A proxy request for a path its process looked up directly: that path is its
        module, the rest of the URL before it its base, and the request is flagged."""
        if not self._senders.get(sender) or found.kind not in ("proxy", "toolchain"):
            return found
        if not found.proxy:
            return found
        path = url.partition("://")[2].partition("/")[2].partition("?")[0]
        head = path.rpartition("/@v/")[0] if "/@v/" in path else path.removesuffix("/@latest")
        elements = head.split("/")
        for i in range(len(elements)):
            candidate = "/".join(elements[i:])
            if (sender, candidate) in self._paths:
                origin = "/".join(found.proxy.split("/")[:3])
                base = "/".join([origin, *elements[:i]])
                module = decode_wire(candidate)[0]
                return msgspec.structs.replace(found, module=module, proxy=base, base_guessed=True)
        return found
