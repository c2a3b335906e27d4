"""Module lookups: the prefix probes go sends to find the module of a package path.

`go get example.com/Mod/sub/pkg` (and `go mod tidy`, `go build -mod=mod` for a
missing import) does not know which prefix is the module. modload/query.go
(`QueryPattern`, `modulePrefixesExcludingTarget`, `queryPrefixModules`) asks
every `/`-prefix at once, the bare host included: `@v/list` each (then `.info`
of the newest), or `@v/VERSION.info` each for `pkg@VERSION`. All go out
together, in no fixed order; 404 and 410 mean "no module here", and the longest
prefix that has the package wins. So a probe's 404 is an answer, not a failure,
unless go itself failed the lookup (its error then names the longest path).

Only commands that query prefixes send them (gorules/gocommands.py): a `go mod
download` of modules that share a repository asks sibling paths that look like a
lookup and are none. So a group is a lookup only when its command probes, or, when
the command is unknown, when it has the shape only probes have: the bare host asked
too (`modulePrefixesExcludingTarget` goes down to it), or go named the path.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .answered import is_go_get
from .chains import FallbackChain

PROBE_ENDPOINTS = ("list", "info", "latest")


def meta_not_found(chain: FallbackChain) -> bool:
    """A direct fetch that ended at a failed `?go-get=1`: go's "no module at this path".

    modfetch/repo.go `lookupDirect` wraps any error of `vcs.RepoRootForImportPath` in a
    `notExistError` ("We don't know where to find code for a module with this path"), so
    modload/query.go `queryPrefixModules` reads it as a proxy's 404, not as a failure.
    """
    attempt = chain.attempts[-1] if chain.attempts else None
    return attempt is not None and attempt.outcome != "served" and is_go_get(attempt.url)


def _inside_chosen(
    chain: FallbackChain,
    found: FallbackChain | None,
    chosen: frozenset[str],
    refused: frozenset[str] = frozenset(),
) -> bool:
    """A served path that is a package directory of the module go chose: direct, answered by
    that module's repository, longer than it, and go said it chose that module (added, or
    found the package in it). A forge's tag for `…/tools/lint` is then no second module.
    Without go's word (a cached zip, go in another terminal) a served path stays a module:
    a nested module looks the same, and a real module must never vanish."""
    if found is None or found.module not in chosen or chain.module in chosen:
        return False
    mine, theirs = chain.attempts[-1], found.attempts[-1]
    return (
        mine.proxy == "direct"
        and theirs.proxy == "direct"
        # One repository's answer (its git traffic: it grows as it goes), or a root GOVCS
        # refused before any git request: go resolved the path to it (its own words).
        and (mine.seqs[:1] == theirs.seqs[:1] or found.module in refused)
        and chain.module.startswith(found.module + "/")
    )


def git_failed(chain: FallbackChain) -> bool:
    """A direct fetch whose repository failed after its meta tag was found."""
    return chain.endpoint == "vcs" and chain.result == "failed" and not meta_not_found(chain)


def meta_only(chain: FallbackChain) -> bool:
    """A direct fetch served by its meta tag alone: no git request of its own followed.

    A forge answers `?go-get=1` for any path in a repository with the repository's tag, so
    `go get host/team/tools/lint` finds tags at lint and at team/tools; git's traffic is the
    repository root's (vcs.go verifies the tag's prefix), and that is the module go found.
    """
    return chain.kind == "direct" and bool(chain.attempts) and is_go_get(chain.attempts[-1].url)


@dataclass
class ModuleLookup:
    path: str  # the longest path asked: the package path (or the module path itself)
    version: str | None  # the version asked (`pkg@v1.2.3`), None for list/latest
    probes: list[FallbackChain] = field(default_factory=list)  # longest path first
    modules: frozenset[str] = frozenset()  # the modules go said it chose (added, found in)
    refused: frozenset[str] = frozenset()  # of those, the roots GOVCS kept go from fetching

    @property
    def found(self) -> FallbackChain | None:
        """The module go chose: the longest prefix that answered (queryPrefixModules).

        Direct, one repository answers for every path in it (a forge serves its meta tag
        for any of them), so the paths it served are one module: its root, the shortest,
        which go verified the tag's prefix at — unless go named a longer one (a nested
        module of the repository, which only the repository's contents tell)."""
        # Rejected is found too: go had it and refused it (GOVCS, a checksum mismatch).
        served = [c for c in self.probes if c.result in ("served", "rejected")]
        if not served:
            return None
        named = next((c for c in served if c.module in self.modules), None)
        if named is not None:
            return named
        first = next((c for c in served if not meta_only(c)), served[0])
        answer = first.attempts[-1]
        if answer.proxy != "direct":
            return first
        same = [
            c
            for c in served
            if c.attempts[-1].proxy == "direct" and c.attempts[-1].seqs[:1] == answer.seqs[:1]
        ]
        return same[-1]

    def describe(self) -> str:
        found = self.found
        n = len(self.probes)
        if found is None:
            return f"go looked for the module of {self.path}: {n} probes, none found"
        where = f"at {found.served_by}" if found.served_by else f"({found.rejected})"
        return f"go looked for the module of {self.path}: {n} probes, found {found.module} {where}"


def find_lookups(
    chains: list[FallbackChain],
    probing: bool | None = None,
    named: frozenset[str] | set[str] = frozenset(),
    modules: frozenset[str] = frozenset(),
    refused: frozenset[str] = frozenset(),
) -> list[ModuleLookup]:
    """Group the probe chains by the package path they look for; mark each probe.

    A group is the paths asked with the same version (or all list/latest asks)
    where one is a `/`-prefix of another. A path that no other path extends is
    a package path; each shorter path is a probe of every package path it prefixes.
    `probing`: whether the command that asked can probe (None: unknown, judge by the
    shape); `named`: the package paths go said it looked for; `modules`: the modules go
    said it added, downloaded or found a package in.
    """
    if probing is False and not named:
        return []
    by_version: dict[str | None, dict[str, list[FallbackChain]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for chain in chains:
        if chain.kind == "proxy" and chain.endpoint in PROBE_ENDPOINTS:
            version = chain.version if chain.endpoint == "info" else None
            by_version[version][chain.module].append(chain)
        elif chain.endpoint == "vcs":
            # GONOPROXY paths are probed direct: `?go-get=1` for each prefix (vcs.go). The
            # one served is the module found.
            by_version[None][chain.module].append(chain)
    lookups = []
    for version, paths in by_version.items():
        # Linear in the paths asked: every proper prefix of every path, once.
        extended = {p[:i] for p in paths for i, ch in enumerate(p) if ch == "/"}
        for path in sorted(paths, key=len, reverse=True):
            if path in extended:
                continue  # a longer path extends it: a probe, not a package path
            parts = path.split("/")
            prefixes = [
                prefix for n in range(len(parts), 0, -1) if (prefix := "/".join(parts[:n])) in paths
            ]
            if len(prefixes) < 2:
                continue  # one path asked: a plain fetch
            if path not in named and not probing and prefixes[-1] != parts[0]:
                continue  # siblings of one repository, fetched: no lookup has this shape
            lookup = ModuleLookup(path, version, modules=modules, refused=refused)
            for prefix in prefixes:  # longest first
                lookup.probes += paths[prefix]
            lookups.append(lookup)
    for lookup in lookups:
        # Found: every other prefix's "not found" is the expected answer, and the module
        # found is fetched, not probed. Found nowhere: the lookup failed, and its longest
        # path is that failure (go names it too).
        # A failure in git, after a meta tag named a repository, is no "not found":
        # queryPrefixModules fails on it (an error it cannot classify) at a path longer
        # than any module found, so it is no probe there, and where it is, the longest
        # path's "not found" is no longer the failure. At a shorter path, once a module is
        # found, go ignores it (golang.org/issue/34094): a probe's answer, no failure.
        found = lookup.found
        failing = [c for c in lookup.probes if git_failed(c)]
        real = {id(c) for c in failing}
        for chain in lookup.probes:
            if chain.probe_of is not None:
                continue
            if id(chain) in real:
                shorter = found is not None and len(chain.module) < len(found.module)
                # One repository's refusal is one failure: go names the longest path's.
                again = (
                    found is None
                    and chain is not failing[0]
                    and chain.attempts[-1].seqs[:1] == failing[0].attempts[-1].seqs[:1]
                )
                if shorter or again:
                    chain.probe_of = lookup.path
                continue
            if found is None and not real and chain.module == lookup.path:
                continue
            if found is not None and chain.module == found.module:
                continue
            inside = _inside_chosen(chain, found, lookup.modules, lookup.refused)
            if chain.result == "served" and not inside:
                continue  # served: a module of its own (never hidden on a guess)
            chain.probe_of = lookup.path
    return lookups
