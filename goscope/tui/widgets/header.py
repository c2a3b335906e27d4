"""The header: what this session is, then its counts, on two lines that never wrap.

The app gathers `HeaderFacts` on each tick; the header only draws them. The
counts come first on the second line, so a narrow terminal loses the hints
after them, never a count.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static

from goscope.core.judging.judge import UNKNOWN_SENDER
from goscope.core.safe.visible import visible
from goscope.core.traffic.verdicts import module_fetches
from goscope.core.view.session import Session
from goscope.term import styles
from goscope.term.summary import leak_count


@dataclass
class HeaderFacts:
    title: str
    where: str  # the recording, or the proxy's line
    description: str
    requests: int
    fetches: int
    failed: int
    leaks: int
    loading: bool
    running: bool  # a command is running
    exit_status: int | None
    follow: bool
    filter_text: str | None  # the active filter, if any
    shown: int  # rows the filter keeps
    dropped_live: int
    unattributed: int  # requests of an unknown sender
    bad_lines: int
    incomplete: list[str]  # why the counts do not cover the whole run
    foreign: int  # connections refused: processes goscope did not wire
    blocked: int = 0  # leaks the guard stopped (of `leaks`)
    guard: bool | None = None  # the guard's state in a live session (None: not live)


def _plural(n: int, word: str, plural: str = "s") -> str:
    return f"{n} {word}{plural if n != 1 else ''}"


def header_lines(facts: HeaderFacts) -> tuple[Text, Text]:
    top = Text()
    top.append("goscope ", style="bold")
    if facts.title:
        top.append(f"{visible(facts.title)} ", style="bold")
    if facts.where:
        top.append(f"· {visible(facts.where)} ")
    if facts.description:
        top.append(f"· {visible(facts.description)} ", style=styles.MUTED)
    text = Text()
    text.append(_plural(facts.requests, "request"), style="bold")
    text.append(f" · {_plural(facts.fetches, 'fetch', 'es')}")
    if facts.failed or facts.running or not facts.exit_status:
        style = styles.BAD if facts.failed else styles.GOOD
        text.append(f" · {facts.failed} failed", style=style)
    else:  # go failed, and said nothing goscope could place: never "0 failed"
        text.append(" · go failed (see Output)", style=styles.BAD)
    text.append(
        f" · {leak_count(facts.leaks, facts.blocked)}",
        style=styles.LEAK if facts.leaks else styles.GOOD,
    )
    if facts.incomplete and facts.exit_status is not None and not facts.running:
        # go's status first: short, and a long reason after it cut it off at any width.
        text.append(f" · exit {facts.exit_status}", style=styles.exit_status(facts.exit_status))
    if facts.incomplete:  # before anything that reads as clean: never cut off by the width
        text.append(f" · INCOMPLETE: {visible(facts.incomplete[0])}", style=styles.BAD)
    if facts.guard is not None:
        text.append(
            " · guard on (g)" if facts.guard else " · guard off (g)",
            style=styles.GOOD if facts.guard else "dim",
        )
    if facts.loading:
        text.append(" · loading…", style=styles.WARNING)
    if facts.running:
        text.append(" · command running", style=styles.WARNING)
    elif facts.exit_status is not None and not facts.incomplete:
        text.append(f" · exit {facts.exit_status}", style=styles.exit_status(facts.exit_status))
    text.append(
        " · follow" if facts.follow else " · follow off (f)",
        style=styles.NOTE if facts.follow else "dim",
    )
    if facts.filter_text is not None:
        text.append(
            f" · filter: {visible(facts.filter_text)} ({facts.shown} shown, Esc clears)",
            style="bold magenta",
        )
    if facts.foreign:
        text.append(
            f" · {facts.foreign} refused (not wired by goscope)",
            style=styles.WARNING,
        )
    if facts.dropped_live:
        text.append(
            f" · {facts.dropped_live} events not shown live (all are recorded)",
            style=styles.WARNING,
        )
    if facts.unattributed:
        text.append(f" · {UNKNOWN_SENDER} ({facts.unattributed})", style=styles.WARNING)
    if facts.bad_lines:
        text.append(
            f" · {_plural(facts.bad_lines, 'unreadable line')} skipped", style=styles.WARNING
        )
    return top, text


class SessionHeader(Static):
    def show(self, facts: HeaderFacts, fallback_width: int) -> None:
        width = max(10, (self.size.width or fallback_width) - 2)
        lines = header_lines(facts)
        for line in lines:  # never wrapped: each line is cut at the width
            line.no_wrap, line.overflow = True, "ellipsis"
            line.truncate(width, overflow="ellipsis")
        self.update(Text("\n").join(lines))


class FailureCount:
    """Failures as go sees them, and fetches: a walk over every chain, so recounted only
    when the session changed, never while a recording loads, at most once a second."""

    def __init__(self) -> None:
        self._key: tuple[int, int, bool, int | None] | None = None
        self._at = 0.0
        self.failed = self.fetches = 0

    def update(self, session: Session, exit_status: int | None, loading: bool) -> None:
        key = _count_key(session, exit_status)
        now = time.monotonic()
        if key != self._key and not loading and now - self._at >= 1.0:
            self._recount(key, session, exit_status)
            self._at = now
        elif key[1:] != (self._key or (0, 0, False, None))[1:] and not loading:
            self._recount(key, session, exit_status)  # go's verdict changed: at once

    def prime(self, session: Session, exit_status: int | None, current: Callable[[], bool]) -> None:
        """Counted by the loader thread as its last step, while the UI still sees a load:
        at a million events the walk takes 0.5-1 s, and on the UI thread it froze the first
        keys pressed after the load (the bench's jump to the end took 1.1 s). Kept only if
        the session is still the one shown (another recording may have been opened)."""
        key, counted = _count_key(session, exit_status), _count(session, exit_status)
        if current():
            (self.failed, self.fetches), self._key = counted, key

    def _recount(
        self, key: tuple[int, int, bool, int | None], session: Session, exit_status: int | None
    ) -> None:
        (self.failed, self.fetches), self._key = _count(session, exit_status), key


def _count(session: Session, exit_status: int | None) -> tuple[int, int]:
    """Failures as go sees them, and fetches: a walk over every chain."""
    return len(session.failures(exit_status)), len(module_fetches(session.chains))


def _count_key(session: Session, exit_status: int | None) -> tuple[int, int, bool, int | None]:
    return (len(session), len(session.go_errors), session.finished, exit_status)
