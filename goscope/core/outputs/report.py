"""The session report: events, fetches (fallback chains), leaks and findings."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from ..gorules.goenv import GoEnv
from ..gorules.goerrors import GoError
from ..gorules.netrc import NetrcEntry, entries_from_facts
from ..judging.credentials import HostCredentials, credentials_view, userinfo_hosts
from ..judging.findings import merge_senders
from ..judging.judge import Judge
from ..judging.leaks import Leak, LeakGroup, group_leaks
from ..safe.event_redaction import redact_event
from ..safe.redact import redact_argv
from ..traffic.chains import FallbackChain
from ..traffic.context import check_context
from ..traffic.events import SCHEMA_VERSION, Event
from ..traffic.lookups import ModuleLookup
from ..traffic.recording import RecordingReader, command_environment, read_recording
from ..traffic.verdicts import (
    absent_probe,
    checksum_verdict,
    mismatched_modules,
    module_groups,
)

CHECK_FIRST_BYTES = 16 * 2**20  # bigger recordings are checked in a streaming pass first
REPORT_ATTEMPT_FIELDS = (
    "host",
    "proxy",
    "url",
    "status",
    "error",
    "outcome",
    "not_found_for_s",
)


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
    go_errors: list[GoError] = field(default_factory=list)  # go's own verdicts (its output)
    lookups: list[ModuleLookup] = field(default_factory=list)  # prefix probes, grouped
    go_version: str | None = None  # which go ran the command (its behaviour differs by version)
    credentials: list[HostCredentials] = field(default_factory=list)  # per host, see credentials.py
    failed: list[FallbackChain] = field(default_factory=list)  # fetches that failed for go
    loose_errors: list[GoError] = field(default_factory=list)  # go errors no fetch explains
    # Why this verdict does not cover the whole run (the proxy died, events were lost, the
    # recording was cut): never empty-and-clean by accident; empty means complete.
    incomplete: list[str] = field(default_factory=list)
    judging: dict[str, Any] = field(default_factory=dict)  # the context it was judged in
    # Files asked for and not written ("--json not written: …"): the job summary and SARIF,
    # written after them, say why the run exits 4 (they read clean, exit 4 unexplained).
    unwritten: list[str] = field(default_factory=list)
    chain_envs: dict[int, GoEnv | None] = field(default_factory=dict)  # id(chain) -> env
    # Clients the proxy refused for lacking the run's secret: not the run's, never judged.
    foreign: list[dict[str, Any]] = field(default_factory=list)
    # Where the run was made (traffic/context.py): its id, start, directory, module, CI run.
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def failure_count(self) -> int:
        return len(self.failed) + len(self.loose_errors)

    @property
    def leak_groups(self) -> list[LeakGroup]:
        """The leaks as every output lists and counts them: one per path and host."""
        return group_leaks(self.leaks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "command": redact_argv(self.command) if self.command else None,
            "exit_code": self.exit_code,
            "complete": not self.incomplete,
            "incomplete": list(self.incomplete),
            "unwritten": list(self.unwritten),  # files the run was asked for and lacks
            "judging": self.judging,
            "context": self.context,
            "go_version": self.go_version,
            "environment": self.env.to_dict() if self.env_known else None,
            "senders": self.senders,
            "events": [e.to_dict() for e in self.events],
            "fetches": [fetch_dict(c) for c in self.chains],
            "leaks": [group.to_dict() for group in self.leak_groups],
            "findings": self.findings,
            "go_errors": [e.to_dict() for e in self.go_errors],
            "lookups": [
                {
                    "path": lk.path,
                    "version": lk.version,
                    "probes": [c.module for c in lk.probes],
                    "found": lk.found.module if lk.found else None,
                    "summary": lk.describe(),
                }
                for lk in self.lookups
            ],
            "failed": self.failure_count,
            "modules": self.modules(),
            "credentials": [c.to_dict() for c in self.credentials],
            "foreign": self.foreign,
        }

    def modules(self) -> list[dict[str, Any]]:
        """Per module@version: who served it, and go's checksum verdict (by the Go
        environment of the process that fetched it)."""
        env = self.env if self.env_known else None
        envs = self.chain_envs
        mismatched = mismatched_modules(self.go_errors)
        out = []
        for (module, version), chains in module_groups(self.chains).items():
            fetched = [c for c in chains if c.kind != "sumdb"]
            out.append(
                {
                    "module": module,
                    "version": version,
                    "served_by": sorted({c.served_by for c in fetched if c.served_by}),
                    "checksum": checksum_verdict(
                        module,
                        version,
                        chains,
                        next((envs[id(c)] for c in chains if envs.get(id(c))), env),
                        self.exit_code is not None,
                        mismatched,
                    ),
                    "failed": any(c.failed for c in chains),
                }
            )
        return out


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
        # A prefix probe's 404 is "absent" (no module here), never "failed": the summary
        # does not count it, and neither may anyone reading the JSON.
        "result": "absent" if absent_probe(chain) else chain.result,
        "served_by": chain.served_by,
        "never_asked": list(chain.never_asked),
        "rejected": chain.rejected,
        "go_errors": list(chain.go_errors),
        "probe_of": chain.probe_of,
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
    go_output: list[str] | None = None,
    netrc_text: str | None = None,
    netrc_entries: list[NetrcEntry] | None = None,
) -> Report:
    """`env`: the command's environment (None when goscope ran no command: unknown)."""
    events = list(events)
    judge = Judge(env, private, frozenset(h.lower() for h in trusted))
    judge.command = command
    for sender in senders:
        judge.add_sender(sender)
    for event in events:
        judge.add(event)
    judge.finish()
    judge.set_go_output(go_output or [])
    failed = judge.failures(exit_code)
    views = judge.senders()
    findings = merge_senders((view.id, view.findings(private)) for view in views)
    if len(views) < 2:
        for f in findings:
            del f["senders"]  # one process: every finding is its own
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
    report.go_errors, report.lookups = judge.go_errors, judge.lookups
    goauth = (env.get("GOAUTH") if env is not None else "") or "netrc"
    envs = [e for e in (env, *(view.env for view in views)) if e is not None]
    report.credentials = credentials_view(
        events, goauth, netrc_text, userinfo_hosts(envs), netrc_entries
    )
    report.failed, report.loose_errors = failed.chains, failed.errors
    report.chain_envs = {id(c): judge.env_of(c) for c in judge.chains}
    return report


def report_from_recording(
    path: str | IO[bytes],
    private: str | None = None,
    trusted: Iterable[str] | None = None,
    command: list[str] | None = None,
    exit_code: int | None = None,
    skip_bad: bool = False,
    go_output: list[str] | None = None,
    netrc_text: str | None = None,
    stats: Mapping[str, Any] | None = None,
    incomplete: Iterable[str] = (),
    name: str | None = None,
) -> Report:
    """The report of a recording (RecordingError when it cannot be read).

    `path` is a file name or an open binary file (the run engine reads the recording
    through the descriptor it kept, even if the file was removed). The judging context
    (`--private`, `--trusted`) is the recording's own unless given here. `go_output`,
    `exit_code` and `stats` stand for the end line's (a live session's recording has
    none yet, and a full disk may have kept it from being written); `incomplete` adds
    reasons the caller knows (the proxy died).
    """
    big = False
    if isinstance(path, str):
        try:
            big = os.path.getsize(path) > CHECK_FIRST_BYTES
        except OSError:
            big = False  # read_recording says why, in one line
    if big:
        with RecordingReader(path, skip_bad) as reader:  # a bad line fails fast, in little memory
            for _ in reader:
                pass
    rec = read_recording(path, skip_bad=skip_bad, name=name)
    for event in rec.events:
        redact_event(event)  # an older or crafted recording is redacted like a new one
    raw = command_environment(rec.header)
    env = GoEnv.from_dict(raw) if raw is not None else None
    if rec.end is not None and exit_code is None:
        exit_code = rec.end.get("exit_code")
    judging = recorded_judging(rec.header, private, trusted)
    report = build_report(
        rec.events,
        env,
        private=judging["private"],
        trusted=judging["trusted"],
        command=command or rec.header.get("command"),
        exit_code=exit_code,
        senders=rec.senders.values(),
        go_output=go_output if go_output is not None else (rec.end or {}).get("go_output") or [],
        netrc_text=netrc_text,
        # What the run read of its .netrc (the end line's): never the reopener's own.
        netrc_entries=entries_from_facts((rec.end or {}).get("netrc")),
    )
    report.skipped = len(rec.skipped)
    version = (rec.end or {}).get("go_version")
    report.go_version = version if isinstance(version, str) else None
    report.incomplete = list(dict.fromkeys([*incomplete, *rec.incomplete(stats)]))
    report.judging = judging
    report.context = check_context(rec.header.get("context"))
    report.foreign = [foreign_view(f, rec.senders) for f in rec.foreign]
    return report


def foreign_view(foreign: Mapping[str, Any], senders: Mapping[int, Any]) -> dict[str, Any]:
    """A refused client with what goscope knows of its process (redacted as senders are)."""
    out = {k: v for k, v in foreign.items() if k not in ("sender", "process")}
    sender_id = foreign.get("sender")
    sender = foreign.get("process")
    if sender is None and isinstance(sender_id, int):
        sender = senders.get(sender_id)  # an older recording: a sender line named it
    if isinstance(sender, Mapping):
        out["process"] = {
            "pid": sender.get("pid"),
            "program": sender.get("program"),
            "command": redact_argv(sender.get("command") or []),
        }
    return out


def recorded_judging(
    header: Mapping[str, Any], private: str | None, trusted: Iterable[str] | None
) -> dict[str, Any]:
    """The judging context: the recording's own (its header's `judging`), with what the
    caller gives in its place; `overridden` names what was replaced."""
    found = header.get("judging")
    recorded: Mapping[str, Any] = found if isinstance(found, dict) else {}
    value = recorded.get("private")
    rec_private = value if isinstance(value, str) else ""
    value = recorded.get("trusted")
    rec_trusted = [h for h in value if isinstance(h, str)] if isinstance(value, list) else []
    out: dict[str, Any] = {
        "private": rec_private,
        "trusted": rec_trusted,
        "guard": bool(recorded.get("guard")),
        "overridden": [],
    }
    if private is not None and private != rec_private:
        out["private"] = private
        out["overridden"].append(f"--private {private!r} (recorded: {rec_private!r})")
    if trusted is not None:
        given = list(trusted)
        if sorted(given) != sorted(rec_trusted):
            out["trusted"] = given
            out["overridden"].append(
                f"--trusted {','.join(given)!r} (recorded: {','.join(rec_trusted)!r})"
            )
    return out
