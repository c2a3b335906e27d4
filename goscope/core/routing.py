"""Where go's routing can send a module path: the model the doctor checks itself against.

From src/cmd/go/internal/modfetch/proxy.go (`proxyList`: GONOPROXY puts a
"noproxy" entry first; `direct` and `off` end the walk) and modfetch/sumdb.go
(`useSumDB`: GOSUMDB=off, or a GONOSUMDB match, means no lookup). The
questions here are the ones no finding may contradict: can this path reach a
proxy goscope is not told to trust, and is its checksum looked up at all?
"""

from __future__ import annotations

from .goenv import GoEnv, ProxyEntry


def proxies_asked(env: GoEnv, path: str | None = None) -> list[ProxyEntry]:
    """The proxy entries go may ask for `path` (any path when None), in order."""
    plist = env.proxy_list
    if plist.error or (path is not None and env.is_noproxy(path)):
        return []
    out = []
    for entry in plist.entries:
        if entry.url == "noproxy":
            continue
        if entry.is_keyword:  # direct or off: the walk ends there
            break
        out.append(entry)
    return out


def untrusted_proxies(
    env: GoEnv, trusted: frozenset[str], path: str | None = None
) -> list[ProxyEntry]:
    """The proxies go may ask that the user has not said to trust with private paths."""
    return [e for e in proxies_asked(env, path) if e.host not in trusted]


def checksums_looked_up(env: GoEnv, path: str | None = None) -> bool:
    """Whether go asks a checksum database about `path` (any path when None)."""
    db = env.sumdb
    if db.off or db.error:
        return False
    return path is None or not env.is_nosumdb(path)
