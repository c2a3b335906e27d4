"""What the doctor finds, and what its rules read: the Go environment and the traffic.

A `Finding` is one configuration mistake in plain words, with the variable, its
value and origin, the fix, and the requests that prove it (`evidence`). Each
rule in doctor.py is a function of a `Context`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from ..gorules.goenv import ORIGIN_ENV, GoEnv
from ..gorules.routing import checksums_looked_up, untrusted_proxies
from ..safe.shell import set_env_command, unset_env_command
from ..traffic.chains import FallbackChain
from .leaks import Leak

SEVERITIES = ("error", "warning", "info")
# Paths that any pattern wide enough to cover "public modules" would match.
PUBLIC_SAMPLES = (
    "github.com/stretchr/testify",
    "golang.org/x/text",
    "google.golang.org/grpc",
    "gopkg.in/yaml.v3",
    "k8s.io/api",
    "go.uber.org/zap",
)


@dataclass
class Finding:
    id: str
    severity: str  # error | warning | info
    variable: str
    value: str
    origin: str
    message: str
    fix: str | None = None
    evidence: list[int] = field(default_factory=list)  # event seqs that prove it

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def merge_senders(per_sender: Iterable[tuple[int | None, list[Finding]]]) -> list[dict[str, Any]]:
    """Each finding once, with the senders it holds for: two go processes with the same
    configuration make one mistake, and CI shows one annotation and one SARIF result for it,
    not one per process. Findings that differ in anything but their proof stay apart; the
    proof is the union of the senders' requests."""
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for sender, findings in per_sender:
        for f in findings:
            key = (f.id, f.severity, f.variable, f.value, f.origin, f.message, f.fix)
            entry = merged.get(key)
            if entry is None:
                merged[key] = f.to_dict() | {"senders": [sender]}
            else:
                entry["senders"].append(sender)
                entry["evidence"] = sorted({*entry["evidence"], *f.evidence})
    return list(merged.values())


@dataclass
class Traffic:
    """What a session saw, for evidence."""

    chains: list[FallbackChain] = field(default_factory=list)
    leaks: list[Leak] = field(default_factory=list)
    # Hosts whose certificate chain does not end at a public root: host -> (issuer, seq).
    inspected: dict[str, tuple[str, int]] = field(default_factory=dict)


@dataclass
class Context:
    env: GoEnv
    process_env: Mapping[str, str]
    private: str = ""  # patterns the user declares (--private)
    traffic: Traffic | None = None
    expect_proxy: bool = False  # goscope should see the traffic (HTTPS_PROXY checks)
    trusted: frozenset[str] = frozenset()  # proxy hosts trusted with private paths (--trusted)

    def proxies_see(self, pattern: str) -> bool:
        """Whether a path under `pattern` can reach a proxy not trusted with it."""
        return bool(untrusted_proxies(self.env, self.trusted, _sample_path(pattern)))

    def sumdb_sees(self, pattern: str) -> bool:
        return checksums_looked_up(self.env, _sample_path(pattern))

    def finding(
        self, id: str, severity: str, var: str, message: str, fix: str | None = None
    ) -> Finding:
        return Finding(
            id, severity, var, self.env.get(var), self.env.origins.get(var, ""), message, fix
        )

    def in_environment(self, var: str) -> bool:
        return self.env.origins.get(var) == ORIGIN_ENV or var in self.process_env

    def set_cmd(self, var: str, value: str) -> str:
        """How to set var so that it takes effect, quoted for the shell."""
        return set_env_command(var, value, self.in_environment(var))

    def unset_cmd(self, var: str) -> str:
        return unset_env_command(var, self.in_environment(var))

    @property
    def private_patterns(self) -> str:
        env = self.env
        return ",".join(p for p in (env.get("GOPRIVATE"), env.get("GONOPROXY"), self.private) if p)


Rule = Callable[[Context], Iterable[Finding]]


def _sample_path(pattern: str) -> str | None:
    """A path under a pattern, for routing questions (None: any path, for globs)."""
    return None if any(c in pattern for c in "*?[\\") else pattern
