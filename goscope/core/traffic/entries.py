"""Which GOPROXY entry a request went to, from the `proxy` its event names.

An event's `proxy` is the entry's base URL, redacted (a token in an entry's path never
reaches a recording), so the entries are matched redacted too (goenv.indices_of_base).
Two entries that differ only by such a token then name the same `proxy`; go walks GOPROXY
in order (modfetch/proxy.go proxyList), so the n-th attempt of a fetch through them was at
the n-th of those entries.
"""

from __future__ import annotations

from ..gorules.goenv import GoEnv


class EntryIndex:
    def __init__(self, env: GoEnv | None) -> None:
        self.env = env
        self.entries = env.proxy_list.entries if env is not None else ()
        self._first: dict[str | None, int | None] = {}  # per `proxy`: a few, asked per event
        self._all: dict[str | None, tuple[int, ...]] = {}

    def first(self, proxy: str | None) -> int | None:
        """The first entry `proxy` names (direct and off by their keyword)."""
        try:
            return self._first[proxy]
        except KeyError:
            found = self._first[proxy] = self._find_first(proxy)
            return found

    def shared(self, proxy: str | None) -> bool:
        """Several entries redact to this `proxy`."""
        return len(self._indices(proxy)) > 1

    def nth(self, proxy: str | None, n: int) -> int | None:
        """The entry of a fetch's attempt through `proxy` when n attempts of that fetch went
        through it before: the n-th of the entries it names; None past the last."""
        indices = self._indices(proxy)
        if len(indices) <= 1:
            return self.first(proxy)
        return indices[n] if 0 <= n < len(indices) else None

    def _indices(self, proxy: str | None) -> tuple[int, ...]:
        try:
            return self._all[proxy]
        except KeyError:
            pass
        found: tuple[int, ...] = ()
        if proxy and proxy not in ("direct", "off") and self.env is not None:
            found = self.env.proxy_list.indices_of_base(proxy)
        self._all[proxy] = found
        return found

    def _find_first(self, proxy: str | None) -> int | None:
        if not proxy or not self.entries:
            return None
        if proxy in ("direct", "off"):
            for i, entry in enumerate(self.entries):
                if entry.url == proxy:
                    return i
            return None
        found = self._indices(proxy)
        return found[0] if found else None
