"""Module proxies that go-import tags name: go asks them as it asks a GOPROXY entry.

A `?go-get=1` page's `<meta name="go-import" content="PREFIX mod URL">` makes go fetch the
module from URL with the proxy protocol (modfetch/repo.go `lookupDirect`: `newProxyRepo(
rr.Repo, path)`), a base no GOPROXY names. Read with the sender's entries alone, the module
was guessed to start at the path's first element with a dot: `https://proxy.golang.org/v1.0`
made `v1.0/corp.example/x` of a private module (no leak, exit 0; an outside attack). The
bases seen in go-import answers are added to the entries the classifier splits by, and a
request split by one is still flagged: a page's own words say where its base ends, so the
leak rules also judge every other place the module could start (judging/leaks.py).
"""

from __future__ import annotations

from dataclasses import replace

from goscope.core.gorules.goenv import GoEnv, norm_base
from goscope.core.traffic.classify import Classification

__all__ = ["ModImports"]
LIMIT = 64  # bases kept: a run names a few; a hostile page naming thousands costs nothing


class ModImports:
    def __init__(self) -> None:
        self._bases: dict[str, str] = {}  # normalised base -> the URL as the tag gave it
        self._envs: dict[int, tuple[GoEnv | None, int, GoEnv]] = {}

    def learn(self, vcs: str, url: str) -> None:
        if vcs != "mod" or not url.startswith(("https://", "http://")):
            return
        base = norm_base(url)
        if base in self._bases:
            return
        if len(self._bases) >= LIMIT:
            self._bases.pop(next(iter(self._bases)))
        self._bases[base] = url.rstrip("/")
        self._envs.clear()

    def env_for(self, env: GoEnv | None) -> GoEnv | None:
        """`env` with the learned bases among its GOPROXY entries (the longest base wins;
        first, as the entries after `direct` or `off` are none go would ask)."""
        if not self._bases:
            return env
        known = self._envs.get(id(env))
        if known is not None and known[0] is env and known[1] == len(self._bases):
            return known[2]
        values = dict(env.values) if env is not None else {}
        listed = values.get("GOPROXY") or "https://proxy.golang.org,direct"
        values["GOPROXY"] = ",".join([*self._bases.values(), listed])
        extended = replace(env, values=values) if env is not None else GoEnv.from_mapping(values)
        if len(self._envs) > 256:
            self._envs.clear()
        self._envs[id(env)] = (env, len(self._bases), extended)
        return extended

    def split_by_one(self, found: Classification) -> bool:
        """Whether this request's base is a learned one (its module's start guessed)."""
        return (
            bool(self._bases)
            and found.proxy is not None
            and norm_base(found.proxy) in (self._bases)
        )
