"""The session report: events, fetches (fallback chains), leaks and findings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .chains import FallbackChain, build_chains
from .doctor import Traffic, diagnose
from .events import SCHEMA_VERSION, Event
from .goenv import GoEnv
from .leaks import Leak, find_leaks
from .recording import read_recording
from .redact import redact_free_text

REPORT_ATTEMPT_FIELDS = ("host", "proxy", "url", "status", "error", "outcome")


@dataclass
class Report:
    env: GoEnv
    events: list[Event]
    chains: list[FallbackChain]
    leaks: list[Leak]
    command: list[str] | None = None
    exit_code: int | None = None
    findings: list[dict[str, Any]] = field(default_factory=list)
    skipped: int = 0  # unreadable recording lines skipped with --skip-bad

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "command": [redact_free_text(a) for a in self.command] if self.command else None,
            "exit_code": self.exit_code,
            "environment": self.env.to_dict(),
            "events": [e.to_dict() for e in self.events],
            "fetches": [fetch_dict(c) for c in self.chains],
            "leaks": [leak.to_dict() for leak in self.leaks],
            "findings": self.findings,
        }


def fetch_dict(chain: FallbackChain) -> dict[str, Any]:
    return {
        "module": chain.module,
        "version": chain.version,
        "endpoint": chain.endpoint,
        "kind": chain.kind,
        "attempts": [
            {k: getattr(a, k) for k in REPORT_ATTEMPT_FIELDS} | {"auth_retry": a.auth_retry}
            for a in chain.attempts
        ],
        "result": chain.result,
        "served_by": chain.served_by,
    }


def build_report(
    events: Iterable[Event],
    env: GoEnv,
    *,
    private: str = "",
    trusted: Iterable[str] = (),
    command: list[str] | None = None,
    exit_code: int | None = None,
) -> Report:
    events = list(events)
    chains = build_chains(events, env)
    leaks = find_leaks(events, env, private, trusted)
    findings = diagnose(env, {}, private, Traffic(chains, leaks))
    return Report(env, events, chains, leaks, command, exit_code, [f.to_dict() for f in findings])


def report_from_recording(
    path: str,
    private: str = "",
    trusted: Iterable[str] = (),
    command: list[str] | None = None,
    exit_code: int | None = None,
    skip_bad: bool = False,
) -> Report:
    """The report of a recording (RecordingError when it cannot be read)."""
    rec = read_recording(path, skip_bad=skip_bad)
    env = GoEnv.from_dict(rec.header.get("environment") or {})
    if rec.end is not None and exit_code is None:
        exit_code = rec.end.get("exit_code")
    report = build_report(
        rec.events,
        env,
        private=private,
        trusted=trusted,
        command=command or rec.header.get("command"),
        exit_code=exit_code,
    )
    report.skipped = len(rec.skipped)
    return report
