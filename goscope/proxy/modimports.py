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
"""

from __future__ import annotations

import msgspec

from goscope.core.gorules.escaping import decode_wire, escape
from goscope.core.traffic.classify import Classification

__all__ = ["ModImports"]
LIMIT = 4096  # paths remembered: a `go get` probes a few per path; the oldest go first


class ModImports:
    def __init__(self) -> None:
        self._paths: dict[str, None] = {}  # escaped import paths go looked up (?go-get=1)

    def looked_up(self, found: Classification) -> None:
        """Remember the path of a `?go-get=1` request, escaped as go will ask a proxy."""
        if found.endpoint != "go-get" or not found.module:
            return
        escaped = escape(found.module)
        if escaped is None or escaped in self._paths:
            return
        if len(self._paths) >= LIMIT:
            self._paths.pop(next(iter(self._paths)))
        self._paths[escaped] = None

    def resplit(self, found: Classification, url: str) -> Classification:
        """A proxy request for a path go looked up directly: that path is its module, the
        rest of the URL before it its base (flagged, unless the classifier read it so)."""
        if not self._paths or found.kind not in ("proxy", "toolchain") or not found.proxy:
            return found
        path = url.partition("://")[2].partition("/")[2].partition("?")[0]
        head = path.rpartition("/@v/")[0] if "/@v/" in path else path.removesuffix("/@latest")
        elements = head.split("/")
        for i in range(len(elements)):
            candidate = "/".join(elements[i:])
            if candidate in self._paths:
                module = decode_wire(candidate)[0]
                if module == found.module:
                    return found  # read as the classifier read it
                origin = "/".join(found.proxy.split("/")[:3])
                base = "/".join([origin, *elements[:i]])
                return msgspec.structs.replace(found, module=module, proxy=base, base_guessed=True)
        return found
