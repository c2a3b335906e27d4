"""Why a recording does not hold the whole run: its end line and the proxy's own count against
what was read, in words for the user (empty: it is whole). Every reader's verdict of
completeness comes from here (recording.py's readers, the run engine's stats)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .seqcheck import SeqCheck


def missing_from(
    end: Mapping[str, Any] | None,
    events_read: int,
    skipped: int = 0,
    cut: int | None = None,
    stats: Mapping[str, Any] | None = None,
    seqs: SeqCheck | None = None,
) -> list[str]:
    """Why a recording does not hold the whole run, in words for the user (empty: it does).

    `end` is the end line (None: none was written); `stats`, when given, stands for the
    end line's own (the run engine has them from the proxy even when the end line could
    not be written). `seqs`: what the event lines' sequence numbers showed.
    """
    reasons: list[str] = []
    if cut is not None:
        reasons.append(f"the recording ends in the middle of line {cut}: it was cut off")
    if end is None and stats is None:
        reasons.append(
            "the recording has no end line: goscope was stopped before the run ended "
            "(killed), or the file was cut"
        )
    if end is not None:
        said = end.get("incomplete")
        if isinstance(said, list):  # what the run engine knew (the proxy died mid-run…)
            reasons += [str(r) for r in said if isinstance(r, str)]
        elif said is not None:
            reasons.append("the end line says the run was incomplete")
    stats = stats if stats is not None else (end or {}).get("stats")
    if end is not None or stats is not None:
        reasons += _from_stats(stats, events_read, skipped)
    if seqs is not None:
        reasons += seqs.reasons()
    if skipped:
        reasons.append(f"{skipped} unreadable line(s) skipped: their requests are not judged")
    return reasons


def _count(stats: Mapping[str, Any], name: str) -> int | None:
    value = stats.get(name, 0)
    return value if type(value) is int and value >= 0 else None


def _from_stats(stats: Any, events_read: int, skipped: int) -> list[str]:
    """The proxy's own count against what the recording holds."""
    if not isinstance(stats, Mapping) or not stats:
        return [
            "the proxy never reported its count: it was killed or crashed, and requests "
            "after that never reached goscope"
        ]
    reasons = []
    names = ("events", "recording_lost", "internal_errors", "sender_timeouts", "tls_failed")
    counts = {name: _count(stats, name) for name in names}
    if "events" not in stats or any(v is None for v in counts.values()):
        return ["the proxy's count is missing or malformed: nothing says the recording is whole"]
    if counts["recording_lost"]:
        why = stats.get("recording_error") or "a write failed"
        reasons.append(f"{counts['recording_lost']} request(s) were not recorded: {why}")
    elif counts["events"] != events_read + skipped:
        reasons.append(
            f"the proxy saw {counts['events']} request(s), the recording holds {events_read}"
        )
    trouble = {name: counts[name] for name in TROUBLE if name in counts}
    reasons += trouble_reasons(trouble | {"sender_unknown": _count(stats, "sender_unknown")})
    at_stop = _count(stats, "handshaking_at_stop")
    if at_stop is None or at_stop:
        reasons.append(
            f"{at_stop if at_stop is not None else 'some'} connection(s) were still in their TLS "
            "handshake when goscope stopped: whether they would have asked something is unknown"
        )
    return reasons


# What the proxy counts as it goes that leaves the verdict incomplete: the live stream carries
# these to the TUI as they happen (a screen said clean what the report then called incomplete).
TROUBLE = ("internal_errors", "sender_unknown", "sender_timeouts", "tls_failed")


def trouble_reasons(counts: Mapping[str, int | None]) -> list[str]:
    """The proxy's trouble counts in words (None: the count is malformed, 'some')."""
    reasons = []
    errors, unknown = counts.get("internal_errors", 0), counts.get("sender_unknown", 0)
    timeouts, tls = counts.get("sender_timeouts", 0), counts.get("tls_failed", 0)
    if errors:
        reasons.append(
            f"{errors} request(s) could not be classified (goscope's own error): they are not "
            "judged"
        )
    if unknown is None or unknown:
        reasons.append(
            f"{unknown if unknown is not None else 'some'} connection(s) came from a process of "
            "this machine goscope could not find (one holding thousands of files?): their "
            "requests were judged without their sender's Go environment"
        )
    if timeouts:
        reasons.append(
            f"{timeouts} connection(s) could not be tied to their process in time: their "
            "requests were judged without their sender's Go environment"
        )
    if tls:
        reasons.append(
            f"{tls} connection(s) failed TLS with goscope before asking anything (a client that "
            "does not trust goscope's CA?): goscope saw no request"
        )
    return reasons
