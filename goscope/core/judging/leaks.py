"""Private-module leaks: a private module path asked of a proxy or checksum database.

go keeps a module away from proxies when GONOPROXY matches it and away from
the checksum database when GONOSUMDB matches it (both default to GOPRIVATE;
src/cmd/go/internal/modfetch/{proxy,sumdb}.go). A path that escapes either
tells its name, and with `.info`/`.zip` its existence, to whoever runs that
service.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from functools import cached_property, lru_cache
from typing import Any
from urllib.parse import urlsplit

from ..gorules.escaping import decode_wire
from ..gorules.goenv import ORIGIN_ENV, GoEnv
from ..gorules.patterns import matching_pattern
from ..hosts import host_key, is_public_code_host, is_public_service, looks_internal
from ..safe.shell import is_module_path, set_env_command
from ..traffic.events import Event
from ..vocab import BASE_GUESSED_FLAG, BLOCKED_FLAG

LEAK_KINDS = {"proxy": "proxy", "toolchain": "proxy", "sumdb": "sumdb"}
CLEAN_LIMIT = 65536  # remembered clean requests per detector (then it starts over)


@dataclass(frozen=True, slots=True)
class Leak:
    module: str
    host: str
    url: str
    kind: str  # proxy | sumdb
    matched: str | None  # the private pattern that matched (None when suspected)
    severity: str  # high | medium | suspected
    fix: str
    seq: int | None = None
    note: str = ""  # how it leaked, when not by a plain match (a prefix probe)
    # Stopped by goscope's guard before it left (the request was answered locally): a
    # prevented leak, still a configuration to fix.
    blocked: bool = False
    endpoint: str = ""  # what was asked: list, info, mod, zip, lookup…

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_SEVERITY_RANK = {"high": 0, "medium": 1, "suspected": 2}


@dataclass
class LeakGroup:
    """One private path at one host, however many requests told it: what every output lists
    and counts (a leak of `example.com/x` to proxy.golang.org is one, with its endpoints)."""

    module: str
    host: str
    kind: str
    severity: str
    matched: str | None
    fix: str
    note: str
    blocked: bool  # every request of it was stopped by the guard: prevented
    endpoints: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    seqs: list[int] = field(default_factory=list)
    blocked_requests: int = 0

    @property
    def requests(self) -> int:
        return len(self.urls)

    @property
    def seq(self) -> int | None:
        return self.seqs[0] if self.seqs else None

    @property
    def url(self) -> str:
        return self.urls[0] if self.urls else ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "module": self.module,
            "host": self.host,
            "kind": self.kind,
            "severity": self.severity,
            "matched": self.matched,
            "fix": self.fix,
            "note": self.note,
            "blocked": self.blocked,
            "endpoints": self.endpoints,
            "requests": self.requests,
            "blocked_requests": self.blocked_requests,
            "url": self.url,
            "urls": self.urls,
            "seqs": self.seqs,
        }


def group_leaks(leaks: Iterable[Leak]) -> list[LeakGroup]:
    """Leaks per (module, host, kind), most severe first, in the order first seen."""
    groups: dict[tuple[str, str, str], LeakGroup] = {}
    for leak in leaks:
        key = (leak.module, leak.host, leak.kind)
        group = groups.get(key)
        if group is None:
            group = groups[key] = LeakGroup(
                leak.module,
                leak.host,
                leak.kind,
                leak.severity,
                leak.matched,
                leak.fix,
                leak.note,
                blocked=True,
            )
        if _SEVERITY_RANK.get(leak.severity, 3) < _SEVERITY_RANK.get(group.severity, 3):
            # Two processes judged one request two ways: the graver verdict speaks, with
            # the pattern it matched and its fix (the lesser one's fix would not do).
            group.severity, group.matched, group.note = leak.severity, leak.matched, leak.note
            group.fix = leak.fix or group.fix
        group.fix = group.fix or leak.fix
        group.blocked = group.blocked and leak.blocked
        group.blocked_requests += leak.blocked
        if leak.endpoint and leak.endpoint not in group.endpoints:
            group.endpoints.append(leak.endpoint)
        group.urls.append(leak.url)
        if leak.seq is not None:
            group.seqs.append(leak.seq)
    return sorted(groups.values(), key=lambda g: _SEVERITY_RANK.get(g.severity, 3))


@dataclass(frozen=True)
class LeakDetector:
    env: GoEnv
    declared: str = ""  # private patterns the user declares (--private)
    trusted: frozenset[str] = frozenset()  # hosts the user trusts with private paths

    def __post_init__(self) -> None:
        # Compared as DNS reads a host (host_key): `goproxy.corp.` is goproxy.corp.
        object.__setattr__(self, "trusted", frozenset(host_key(h) for h in self.trusted))

    @cached_property
    def private_patterns(self) -> str:
        parts = [
            self.env.get("GOPRIVATE"),
            self.env.get("GONOPROXY"),
            self.env.get("GONOSUMDB"),
            self.declared,
        ]
        return ",".join(p for p in parts if p)

    # Requests found clean, by what decides it (the same module asked of the same host again
    # and again: .info, .mod, .zip, every run of a fallthrough): a lookup, not a pattern scan.
    _clean: dict[tuple[str, str, str, bool, str | None, bool], bool] = field(
        default_factory=dict, compare=False, repr=False
    )

    def known_clean(self, event: Event) -> bool:
        """This request was found clean before (the same module, host, kind and entry):
        `check` would say None again. A lookup, for callers that judge millions."""
        return (
            event.kind,
            event.module,
            event.host,
            event.redirected_from is None,
            event.proxy,
            bool(event.flags) and BASE_GUESSED_FLAG in event.flags,
        ) in self._clean

    def check(self, event: Event) -> Leak | None:
        kind = LEAK_KINDS.get(event.kind)
        module = event.module
        if kind is None or not module or module == "golang.org/toolchain":
            return None
        # Everything below depends on these alone (and on the detector's own settings).
        guessed = bool(event.flags) and BASE_GUESSED_FLAG in event.flags
        key = (event.kind, module, event.host, event.redirected_from is None, event.proxy, guessed)
        if key in self._clean:
            return None
        leak = self._check(event, kind, module)
        if leak is None:
            if len(self._clean) >= CLEAN_LIMIT:
                self._clean.clear()
            self._clean[key] = True
        return leak

    def _check(self, event: Event, kind: str, module: str) -> Leak | None:
        note = ""
        if kind == "proxy":
            # Every place the module could start: over the base too where it was guessed,
            # else past the first element. A go-import `mod` tag sends go to a proxy at any
            # base (`https://proxy.golang.org/v1.0`), and goscope need not have seen the
            # lookup that named it (NO_PROXY, a loopback host, another process's table).
            guessed = bool(event.flags) and BASE_GUESSED_FLAG in event.flags
            tail = self._private_tail(module, event.proxy if guessed else None)
            if tail is not None and tail != module:
                if not guessed:
                    note = (
                        f"the path names the private {tail} after {module[: -len(tail) - 1]}/, "
                        "as go asks a proxy that a go-import tag (mod) names: fix the server"
                    )
                module = tail
        host = host_key(event.host)
        if host == module.split("/", 1)[0].lower() or host in self.trusted:
            return None  # asked of the module's own host, or a host the user trusts
        if (
            event.redirected_from is not None
            and _host_of(event.proxy) in self.trusted
            and not is_public_service(host)
        ):
            return None  # a trusted proxy sent go to its own storage: trusted with it too
        matched = _matching(self.private_patterns, module)
        public = is_public_service(host)
        if matched is not None:
            severity = "high" if public else "medium"
        elif (
            public
            and not is_public_code_host(module)
            and (above := _prefix_of_pattern(self.private_patterns, module))
        ):
            # A prefix probe (`go get` of a package path, modload/query.go) asks every
            # shorter path too; one above a private pattern names what it holds (a private
            # host, an organisation). Only a pattern covering the probe itself keeps it
            # home, and whether all of it is private only the user knows: advice, no command.
            matched, severity = module, "medium"
            note = (
                f"a prefix probe of a path under {above}: go get asks every shorter path; "
                f"if all of {module} is private, add it to GOPRIVATE"
            )
        elif public and looks_internal(module):
            severity = "suspected"
        else:
            return None
        sent = event.redirected_from is not None or BASE_GUESSED_FLAG in event.flags
        if not note and sent and kind == "proxy" and self.env.is_noproxy(module):
            # go's own settings keep it home, and it was sent here all the same: by a redirect
            # or a go-import tag (`mod`), which no variable changes (vcs.go checkGOVCS always
            # allows `mod`). (Unflagged, the sender's settings were not the ones judged.)
            why = "a redirect" if event.redirected_from is not None else "a go-import tag (mod)"
            trust = "" if public else f"--trusted {host} if it may hold it, else "
            note = f"go was sent here by {why} although the path is private: {trust}fix the server"
        fix = self.fix_for(module, kind, matched) if is_module_path(module) and not note else ""
        blocked = BLOCKED_FLAG in event.flags
        return Leak(
            module,
            host,
            event.url,
            kind,
            matched,
            severity,
            fix,
            event.seq,
            note,
            blocked,
            event.endpoint,
        )

    def _private_tail(self, module: str, base: str | None) -> str | None:
        """Any other element with a dot may start the module: a go-import `mod` URL
        `https://proxy.golang.org/v1.0` made `v1.0/corp.example/x` of a request that asks
        corp.example/x. With `base` (BASE_GUESSED_FLAG: no GOPROXY entry's, or read at a
        path go looked up), the base's elements too: `team/x` at a base ending in
        `/corp.example` asks corp.example/team/x. Judged fail-closed: the first tail a
        private pattern covers."""
        # The path after scheme://host, split by hand: a crafted recording's base need not
        # parse (`https://evil[bold]host`: urlsplit raises), and is data all the same.
        base_path = decode_wire(base.partition("://")[2].partition("/")[2])[0] if base else ""
        before = [e for e in base_path.split("/") if e]
        elements = before + module.split("/")
        for i, element in enumerate(elements):
            if i != len(before) and "." in element:
                tail = "/".join(elements[i:])
                if _matching(self.private_patterns, tail) is not None:
                    return tail
        return None

    def fix_for(self, module: str, kind: str, matched: str | None) -> str:
        """The go env -w line that keeps this path away from this kind of service."""
        pattern = matched or module.split("/", 1)[0]
        var = "GONOPROXY" if kind == "proxy" else "GONOSUMDB"
        # Set explicitly, the variable no longer follows GOPRIVATE: fix it directly.
        target = var if self.env.explicit(var) else "GOPRIVATE"
        current = [p for p in self.env.get(target).split(",") if p]
        if pattern not in current:
            current.append(pattern)
        # The process environment shadows go env -w, so change it where it lives.
        return set_env_command(
            target, ",".join(current), self.env.origins.get(target) == ORIGIN_ENV
        )


def _host_of(url: str | None) -> str:
    return host_key(urlsplit(url).hostname or "") if url else ""


@lru_cache(maxsize=65536)
def _prefix_of_pattern(patterns: str, module: str) -> str | None:
    """The private pattern this path is a strict prefix of (its first elements)."""
    elements = module.split("/")
    for pattern in patterns.split(","):
        parts = pattern.strip().strip("/").split("/")
        if len(parts) > len(elements) and "." in parts[0]:
            head = "/".join(parts[: len(elements)])
            if matching_pattern(head, module) is not None:
                return pattern.strip()
    return None


@lru_cache(maxsize=65536)
def _matching(patterns: str, module: str) -> str | None:
    return matching_pattern(patterns, module)


def find_leaks(
    events: Iterable[Event],
    env: GoEnv,
    declared: str = "",
    trusted: Iterable[str] = (),
) -> list[Leak]:
    """One leak per request; go's GOAUTH retry of the same URL is not a second leak."""
    detector = LeakDetector(env, declared, frozenset(host_key(h) for h in trusted))
    leaks, seen = [], set()
    for event in events:
        leak = detector.check(event)
        if leak is not None and (leak.url, leak.kind) not in seen:
            seen.add((leak.url, leak.kind))
            leaks.append(leak)
    return leaks
