"""Which go commands look a module up by its package path's prefixes.

Prefix probes come only from `modload.QueryPattern` (src/cmd/go/internal/modload/
query.go: `modulePrefixesExcludingTarget`, `queryPrefixModules`), and only three
callers reach it:

- `go get` (modget/get.go `queryPath`), for every path argument;
- `go install` and `go run` of `pkg@version` (load/pkg.go, `QueryPackages`);
- a missing import, when the build may change go.mod (modload/import.go `queryImport`):
  `go mod tidy`, `go get`, and build, test, run, list, vet… with `-mod=mod` (on the
  command line or in GOFLAGS). go prints `go: finding module for package X` then.

`go mod download`, `go list -m`, `go mod graph|verify|why|vendor`, `go work sync` and a
build in the default readonly mode never probe: a set of sibling modules they fetch
(go.opentelemetry.io/otel and …/otel/trace) is no lookup.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

NEVER = frozenset({"download", "graph", "verify", "why", "vendor", "edit", "init"})
BUILDS = frozenset({"build", "test", "run", "list", "vet", "install", "generate", "doc"})
FINDING = re.compile(r"^go: finding module for package (\S+)")


def probes(argv: Iterable[str] | None, goflags: str = "") -> bool | None:
    """Whether the go command in `argv` can send prefix probes: True, False, or None when
    `argv` is not a go command goscope can read (a shell, a Makefile: judge by traffic)."""
    args = list(argv or [])
    if not args or os.path.basename(args[0]) != "go":
        return None
    words = [a for a in args[1:] if not a.startswith("-")]
    if not words:
        return False
    command, rest = words[0], words[1:]
    mod_mod = any(a == "-mod=mod" for a in args) or "-mod=mod" in goflags.split()
    if command == "get":
        return True
    if command == "mod":
        return bool(rest) and rest[0] == "tidy"
    if command == "work":
        return False
    if command in ("install", "run") and any("@" in a for a in rest):
        return True
    if command == "list" and "-m" in args:
        return False
    return command in BUILDS and mod_mod


_CHOSE = re.compile(r"^go: (?:(?:added|upgraded|downgraded) (\S+) v|found \S+ in (\S+) v)")


# vcs/vcs.go checkGOVCS: the repository root go found for the path, then refused to fetch.
_GOVCS = re.compile(r"GOVCS disallows using \S+ for (?:private|public) ([^\s;]+)")


def modules_chosen(go_output: Iterable[str]) -> frozenset[str]:
    """The modules go said it chose: added, upgraded, downgraded, or found a package in
    (modget, modload). Not `downloading`: go downloads the candidates it weighs, too. A root
    GOVCS refused is the one go chose too: it found it, then would not fetch it (without
    it a package path's ?go-get=1 page read as a second module, served)."""
    chosen = set()
    for line in go_output:
        if m := _CHOSE.match(line):
            chosen.add(m.group(1) or m.group(2))
    return frozenset(chosen) | govcs_refused(go_output)


def govcs_refused(go_output: Iterable[str]) -> frozenset[str]:
    """The repository roots GOVCS kept go from fetching: each is the module go resolved
    the path to (vcs.go checkGOVCS checks the go-import tag's root)."""
    return frozenset(
        m.group(1) for line in go_output if "GOVCS disallows" in line and (m := _GOVCS.search(line))
    )


def finding(go_output: Iterable[str]) -> set[str]:
    """The package paths go said it looked for (`go: finding module for package X`)."""
    return {m.group(1) for line in go_output if (m := FINDING.match(line))}
