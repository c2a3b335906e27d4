"""One run judged alone, folded into the rows an audit counts.

The verdict is `goscope report`'s, by the same code: a recording is streamed through
`RecordingReader` (validated, each event redacted again as the report does), each request is
judged by `Judge` with the run's recorded context (its Go environment, its senders' own, the
`--private`, `--trusted` and guard it ran with; judging/judge.py), leaks only (no fallback
chains: they decide no leak), and the leaks are grouped per path and host as every output
lists them (`group_leaks`). A report's JSON form carries its verdict already: it is read as
it is. Memory is one run's leaks and per-host counts, never its events.

Rows (plain dicts: they cross process boundaries and become NDJSON or Parquet):

- run:       run, path, source, started (UTC), repository, cwd, module, ci_*, command,
             go_version, exit_code, complete, incomplete, events, private, trusted, guard
- leaks:     run, module, host, kind, severity, matched, blocked, requests, blocked_requests,
             first_seen, last_seen, endpoints, fix, note
- hosts:     run, host, requests, failed, not_found, blocked
- durations: run, host, bucket, n (1% wide logarithmic buckets of duration_ms)
"""

from __future__ import annotations

import hashlib
import math
import os
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import orjson

from ..gorules.goenv import GoEnv
from ..judging.judge import Judge
from ..judging.leaks import Leak, group_leaks
from ..outputs.diff import check_report
from ..outputs.report import recorded_judging
from ..safe.files import UnsafeFile, read_regular
from ..safe.jsontext import json_text
from ..safe.redact import redact_argv, redact_host, redact_path, redact_url, redact_value
from ..traffic.context import check_context, repository_of
from ..traffic.recording import RecordingError, RecordingReader, command_environment
from ..vocab import ABANDONED_FLAG, BLOCKED_FLAG, KINDS

REPORT_LIMIT = 1 << 30  # bytes of a report JSON an audit reads (as `diff` does)
LOG_STEP = math.log(1.01)  # duration buckets 1% wide: p50/p95 within 0.5%
MIN_MS = 0.001
NOT_FOUND = (404, 410)  # go's "not here, try the next GOPROXY entry" (modfetch/proxy.go)


class AuditInputError(ValueError):
    """A file an audit cannot read: the message names it, in one line."""


def duration_bucket(ms: float) -> int:
    return math.floor(math.log(max(ms, MIN_MS)) / LOG_STEP)


def bucket_ms(bucket: int) -> float:
    """The middle of a bucket (geometric): within 0.5% of any duration in it."""
    return math.exp((bucket + 0.5) * LOG_STEP)


@dataclass
class HostTally:
    requests: int = 0
    failed: int = 0  # no answer, or an error status other than not-found
    not_found: int = 0
    blocked: int = 0  # answered by goscope's guard, never sent
    durations: dict[int, int] = field(default_factory=dict)

    def add(self, status: int | None, error: str | None, flags: Iterable[str], ms: Any) -> None:
        self.requests += 1
        if BLOCKED_FLAG in flags:
            self.blocked += 1
            return  # the guard's answer says nothing of the host
        if status is None and ABANDONED_FLAG in flags:
            return  # nor does go's leaving before any answer (it read "failed 100%")
        if status in NOT_FOUND:
            self.not_found += 1
        elif error is not None or status is None or status >= 400:
            self.failed += 1
        if isinstance(ms, int | float) and not isinstance(ms, bool) and ms >= 0:
            bucket = duration_bucket(float(ms))
            self.durations[bucket] = self.durations.get(bucket, 0) + 1


@dataclass
class RunFacts:
    run: dict[str, Any]
    leaks: list[dict[str, Any]]
    hosts: list[dict[str, Any]]
    durations: list[dict[str, Any]]


def facts_of(path: str, skip_bad_lines: bool = False) -> RunFacts:
    """The facts of one recording or report (AuditInputError naming the file if neither)."""
    head = sniff(path)
    if b'"goscope-recording"' in head:
        try:
            return facts_from_recording(path, skip_bad_lines)
        except RecordingError as exc:
            raise AuditInputError(str(exc)) from None
    if head.lstrip().startswith(b"{"):
        return facts_from_report(path)
    raise AuditInputError(f"{path}: not a goscope recording or report")


def sniff(path: str) -> bytes:
    """The first bytes of a regular file (a FIFO or a device is refused, never waited on)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise AuditInputError(f"{path}: {exc.strerror or exc}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise AuditInputError(f"{path}: not a regular file")
        return os.read(fd, 64)
    except OSError as exc:
        raise AuditInputError(f"{path}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def facts_from_recording(path: str, skip_bad_lines: bool = False) -> RunFacts:
    facts, early = _judge_recording(path, skip_bad_lines, ())
    if early:
        # A sender line came after requests it sent (a crafted or reordered file): the
        # report knows every sender before it judges, so judge again the way it does.
        facts, _ = _judge_recording(path, skip_bad_lines, early)
    return facts


def _judge_recording(
    path: str, skip_bad_lines: bool, senders_first: Iterable[int]
) -> tuple[RunFacts, set[int]]:
    """One streamed pass; the sender ids some request named before its sender line."""
    preload: dict[int, dict[str, Any]] = {}
    if senders_first:
        with RecordingReader(path, skip_bad_lines) as reader:
            for _ in reader:
                pass
            preload = dict(reader.senders)
    with RecordingReader(path, skip_bad_lines) as reader:
        header = reader.header
        raw = command_environment(header)
        env = GoEnv.from_dict(raw) if raw is not None else None
        judging = recorded_judging(header, None, None)
        judge = Judge(
            env,
            judging["private"],
            frozenset(h.lower() for h in judging["trusted"]),
            chains=False,
        )
        for info in preload.values():
            judge.add_sender(info)
        known: set[int] = set(preload)
        early: set[int] = set()

        def on_sender(info: dict[str, Any]) -> None:
            sender = info.get("id")
            if not isinstance(sender, int) or sender in preload:
                return
            if sender in known:
                # A second line for a sender (crafted): the report judges every request by
                # the last one; so will the second pass.
                early.add(sender)
                return
            known.add(sender)
            judge.add_sender(info)

        reader.on_sender = on_sender
        views, default = judge.views.get, judge.default
        hosts: dict[str, HostTally] = {}
        modules: dict[str, str] = {}
        leak_times: dict[int, str] = {}
        first: str | None = None
        for event, _ in reader:
            # The report redacts every event before judging it (an older or crafted
            # recording). Of what judging reads, the module path is redacted here (paths
            # repeat: once each); the URL only names a leak, so only leaks' URLs are, below.
            # Headers, previews and errors decide nothing and an audit never shows them.
            module = event.module
            if module:
                clean = modules.get(module)
                if clean is None:
                    clean = modules[module] = redact_path(module)
                event.module = clean
            # The host too, as the report does (a crafted `bob:pw@…` or token shape).
            event.host = redact_host(event.host)
            sender = event.sender
            if sender is not None and sender not in known:
                early.add(sender)
            if first is None:
                first = event.started
            # Judged as the report judges it; a request its sender's detector found clean
            # before (the same module asked again) is clean again: not judged twice.
            if not views(sender, default).detector.known_clean(event) and judge.add(event):
                leak_times[event.seq] = event.started
            tally = hosts.get(event.host)
            if tally is None:
                tally = hosts[event.host] = HostTally()
            tally.add(event.status, event.error, event.flags, event.duration_ms)
        end = reader.end or {}
        incomplete = reader.incomplete()
        senders = reader.senders
        events_read = reader.events_read
    context = read_context(header.get("context"))
    command = header.get("command") or next(
        (s.get("command") for s in senders.values() if s.get("command")), None
    )
    cwd = next((s.get("cwd") for s in senders.values() if isinstance(s.get("cwd"), str)), None)
    run_id = context.get("id") or _digest([header, end, events_read, first])
    version = end.get("go_version")
    run = _run_row(
        run_id,
        path,
        "recording",
        context,
        utc(context.get("started")) or first,
        repository_of(context, cwd),
        command,
        version if isinstance(version, str) else None,
        end.get("exit_code") if reader.end is not None else None,
        incomplete,
        events_read,
        judging,
    )
    leaks = [
        _leak_row(
            run_id,
            group.to_dict(),
            [leak_times[s] for s in group.seqs if s in leak_times],
        )
        for group in group_leaks(redacted_leaks(judge))
    ]
    return _facts(run, leaks, hosts), early


def redacted_leaks(judge: Judge) -> list[Leak]:
    """The leaks with their URLs redacted, as the judge keeps them but by the redacted URL:
    the report's list exactly (it redacts, then judges). Per sender and guard verdict, as
    the judge: two processes asking one URL are each judged by their own environment, and
    a request the guard stopped is never one that left (before, audit kept the first of
    them, and so another severity, fix or 'blocked' than the report)."""
    out: list[Leak] = []
    for view in judge.views.values():
        seen: set[tuple[str, str, bool]] = set()
        for leak in view.leaks:
            url = redact_url(leak.url)
            if (url, leak.kind, leak.blocked) not in seen:
                seen.add((url, leak.kind, leak.blocked))
                out.append(leak if url == leak.url else replace(leak, url=url))
    return sorted(out, key=lambda leak: (leak.seq is None, leak.seq or 0))


def facts_from_report(path: str) -> RunFacts:
    """A `goscope report --json` (or `run --json`) file: its verdict as it stands."""
    try:
        data = read_regular(path, REPORT_LIMIT)
    except UnsafeFile as exc:
        raise AuditInputError(str(exc)) from None
    try:
        report = check_report(orjson.loads(data), path)
    except orjson.JSONDecodeError as exc:
        raise AuditInputError(f"{path}: not a goscope recording or report ({exc})") from None
    except ValueError as exc:
        raise AuditInputError(str(exc)) from None
    if "schema_version" not in report or "events" not in report:
        raise AuditInputError(f"{path}: not a goscope report (no schema_version or events)")
    events = [e for e in report["events"] if isinstance(e, dict)]
    started = {e.get("seq"): e.get("started") for e in events}
    hosts: dict[str, HostTally] = {}
    for e in events:
        status, error = e.get("status"), e.get("error")
        flags = e.get("flags")
        host = redact_host(str(e.get("host")))  # crafted or older: redacted as it is read
        tally = hosts.get(host)
        if tally is None:
            tally = hosts[host] = HostTally()
        tally.add(
            status if type(status) is int else None,
            error if isinstance(error, str) else None,
            [f for f in flags if isinstance(f, str)] if isinstance(flags, list) else [],
            e.get("duration_ms"),
        )
    context = read_context(report.get("context"))
    first = next((e.get("started") for e in events if isinstance(e.get("started"), str)), None)
    run_id = context.get("id") or _digest(
        [report.get("command"), report.get("environment"), len(events), first]
    )
    found = report.get("senders")
    senders: list[Any] = found if isinstance(found, list) else []
    cwd = next(
        (s.get("cwd") for s in senders if isinstance(s, dict) and isinstance(s.get("cwd"), str)),
        None,
    )
    cwd = redact_value(cwd) if cwd else cwd  # a crafted or older report: never read as it is
    found = report.get("judging")
    judging: dict[str, Any] = found if isinstance(found, dict) else {}
    version = report.get("go_version")
    run = _run_row(
        run_id,
        path,
        "report",
        context,
        utc(context.get("started")) or first,
        repository_of(context, cwd),
        report.get("command") if isinstance(report.get("command"), list) else None,
        version if isinstance(version, str) else None,
        report.get("exit_code"),
        _report_incomplete(report),
        len(events),
        judging,
    )
    leaks = []
    for group in report["leaks"]:
        seqs = group.get("seqs") if isinstance(group.get("seqs"), list) else []
        times = [t for t in (started.get(s) for s in seqs) if isinstance(t, str)]
        leaks.append(_leak_row(run_id, group, times))
    return _facts(run, leaks, hosts)


def _report_incomplete(report: Mapping[str, Any]) -> list[str]:
    """Why a report's verdict is incomplete. A report that does not say it is complete (an
    older goscope's, or a crafted one) is not counted as complete."""
    found = report.get("incomplete")
    reasons = [str(r) for r in found] if isinstance(found, list) else []
    if report.get("complete") is not True and not reasons:
        reasons = ["the report does not say its verdict is complete (an older goscope's?)"]
    return reasons


def _int64(value: Any) -> int | None:
    """An integer DuckDB's BIGINT holds, else None: one beyond 64 bits in one file aborted
    the whole audit, --skip-bad or not."""
    return value if type(value) is int and -(2**63) <= value < 2**63 else None


def _digest(parts: Any) -> str:
    """A run's id when its recording has none (an older goscope): the same file read
    twice, from two places, is one run."""
    return hashlib.sha256(orjson.dumps(parts, option=orjson.OPT_SORT_KEYS)).hexdigest()[:32]


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def utc(value: Any) -> str | None:
    """An ISO-8601 time as UTC `YYYY-MM-DD HH:MM:SS.ffffff` (what every engine reads as a
    timestamp); None when it is not one. A time without an offset is taken as UTC."""
    if not isinstance(value, str) or not 10 <= len(value) <= 40:
        return None
    try:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
    except (ValueError, OverflowError):  # not a time, or one outside what can be written
        return None
    return moment.isoformat(sep=" ", timespec="microseconds")


def read_context(obj: Any) -> dict[str, Any]:
    """A header's context as read back: well-typed, bounded, and redacted again (a crafted
    or foreign recording is redacted like one goscope wrote)."""
    context = check_context(obj)
    return {
        k: {n: redact_value(v) for n, v in v.items()} if isinstance(v, dict) else redact_value(v)
        for k, v in context.items()
    }


def _run_row(
    run_id: str,
    path: str,
    source: str,
    context: Mapping[str, Any],
    started: Any,
    repository: str | None,
    command: Any,
    go_version: str | None,
    exit_code: Any,
    incomplete: list[str],
    events: int,
    judging: Mapping[str, Any],
) -> dict[str, Any]:
    ci = context.get("ci") or {}
    started = utc(started)
    trusted = judging.get("trusted")
    return {
        "run": run_id,
        "path": json_text(os.path.abspath(path)),  # a name that is not UTF-8: shown with U+FFFD
        "source": source,
        "started": started,
        "repository": repository,
        "cwd": _text(context.get("cwd")),
        "module": _text(context.get("module")),
        "ci_provider": _text(ci.get("provider")),
        "ci_run_id": _text(ci.get("run_id")),
        "ci_run_attempt": _text(ci.get("run_attempt")),
        "ci_workflow": _text(ci.get("workflow")),
        "ci_job": _text(ci.get("job")),
        "ci_sha": _text(ci.get("sha")),
        "command": " ".join(redact_argv([a for a in command if isinstance(a, str)]))
        if isinstance(command, list)
        else None,
        "go_version": redact_value(go_version) if go_version else None,
        "exit_code": _int64(exit_code),
        "complete": not incomplete,
        "incomplete": [redact_value(str(r)) for r in incomplete],
        "events": events,
        "private": _text(judging.get("private")) or "",
        "trusted": [h for h in trusted if isinstance(h, str)] if isinstance(trusted, list) else [],
        "guard": bool(judging.get("guard")),
    }


def _leak_row(run_id: str, group: Mapping[str, Any], times: list[str]) -> dict[str, Any]:
    requests = group.get("requests")
    blocked_requests = group.get("blocked_requests")
    endpoints = group.get("endpoints")
    times = sorted(t for t in (utc(t) for t in times) if t is not None)
    return {
        "run": run_id,
        # A report's JSON may be crafted or from an older goscope: redacted as it is read.
        "module": redact_path(str(group.get("module"))),
        "host": redact_host(str(group.get("host"))),
        "kind": kind if (kind := str(group.get("kind"))) in KINDS else "other",
        "severity": redact_value(str(group.get("severity"))),
        "matched": redact_path(m) if (m := _text(group.get("matched"))) else None,
        "blocked": bool(group.get("blocked")),
        "requests": _int64(requests) or 0,
        "blocked_requests": _int64(blocked_requests) or 0,
        "first_seen": times[0] if times else None,
        "last_seen": times[-1] if times else None,
        "endpoints": [redact_value(str(e)) for e in endpoints]
        if isinstance(endpoints, list)
        else [],
        "fix": redact_value(_text(group.get("fix")) or ""),
        "note": redact_value(_text(group.get("note")) or ""),
    }


def _facts(
    run: dict[str, Any], leaks: list[dict[str, Any]], hosts: Mapping[str, HostTally]
) -> RunFacts:
    run_id = run["run"]
    return RunFacts(
        run,
        leaks,
        [
            {
                "run": run_id,
                "host": host,
                "requests": t.requests,
                "failed": t.failed,
                "not_found": t.not_found,
                "blocked": t.blocked,
            }
            for host, t in hosts.items()
        ],
        [
            {"run": run_id, "host": host, "bucket": bucket, "n": n}
            for host, t in hosts.items()
            for bucket, n in t.durations.items()
        ],
    )
