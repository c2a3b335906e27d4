"""The session report: events, fetches (fallback chains), leaks and findings."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .chains import FallbackChain
from .events import SCHEMA_VERSION, Event
from .goenv import GoEnv
from .judge import Judge
from .leaks import Leak
from .recording import RecordingReader, command_environment, read_recording
from .redact import redact_event, redact_free_text

CHECK_FIRST_BYTES = 16 * 2**20  # bigger recordings are checked in a streaming pass first
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
    env_known: bool = True  # False: goscope ran no command, the senders' own are below
    senders: list[dict[str, Any]] = field(default_factory=list)  # per process, see judge.py

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "command": [redact_free_text(a) for a in self.command] if self.command else None,
            "exit_code": self.exit_code,
            "environment": self.env.to_dict() if self.env_known else None,
            "senders": self.senders,
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
            {k: getattr(a, k) for k in REPORT_ATTEMPT_FIELDS}
            | {
                "auth_retry": a.auth_retry,
                "redirect_status": a.redirect_status,
                "redirects": [{"host": h, "status": st} for h, st in a.hops],
                "seqs": list(a.seqs),
            }
            for a in chain.attempts
        ],
        "result": chain.result,
        "served_by": chain.served_by,
    }


def build_report(
    events: Iterable[Event],
    env: GoEnv | None,
    *,
    private: str = "",
    trusted: Iterable[str] = (),
    command: list[str] | None = None,
    exit_code: int | None = None,
    senders: Iterable[dict[str, Any]] = (),
) -> Report:
    """`env`: the command's environment (None when goscope ran no command: unknown)."""
    events = list(events)
    judge = Judge(env, private, frozenset(h.lower() for h in trusted))
    for sender in senders:
        judge.add_sender(sender)
    for event in events:
        judge.add(event)
    judge.finish()
    views = judge.senders()
    findings = [
        f.to_dict() | ({"sender": view.id} if len(views) > 1 else {})
        for view in views
        for f in view.findings(private)
    ]
    report = Report(
        env or GoEnv.from_mapping({}),
        events,
        judge.chains,
        judge.leaks,
        command,
        exit_code,
        findings,
    )
    report.env_known = env is not None
    report.senders = [view.to_dict(private) for view in views]
    return report


def report_from_recording(
    path: str,
    private: str = "",
    trusted: Iterable[str] = (),
    command: list[str] | None = None,
    exit_code: int | None = None,
    skip_bad: bool = False,
) -> Report:
    """The report of a recording (RecordingError when it cannot be read)."""
    try:
        big = os.path.getsize(path) > CHECK_FIRST_BYTES
    except OSError:
        big = False  # read_recording says why, in one line
    if big:
        with RecordingReader(path, skip_bad) as reader:  # a bad line fails fast, in little memory
            for _ in reader:
                pass
    rec = read_recording(path, skip_bad=skip_bad)
    for event in rec.events:
        redact_event(event)  # an older or crafted recording is redacted like a new one
    raw = command_environment(rec.header)
    env = GoEnv.from_dict(raw) if raw is not None else None
    if rec.end is not None and exit_code is None:
        exit_code = rec.end.get("exit_code")
    report = build_report(
        rec.events,
        env,
        private=private,
        trusted=trusted,
        command=command or rec.header.get("command"),
        exit_code=exit_code,
        senders=rec.senders.values(),
    )
    report.skipped = len(rec.skipped)
    return report
