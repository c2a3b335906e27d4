"""Colours, in one place, for the terminal summary, the doctor and the TUI.

Colour is never the only carrier of meaning: every styled word (a severity,
an outcome, a status) is also written out.
"""

from __future__ import annotations

from goscope.core.vocab import ChainResult, Kind, Outcome, Severity

GOOD = "green"
BAD = "bold red"
WARNING = "yellow"
NOTE = "cyan"
MUTED = "dim"
LEAK = "bold red"

SEVERITY: dict[Severity, str] = {
    "high": "bold red",
    "medium": "yellow",
    "suspected": "magenta",
    "error": "bold red",
    "warning": "yellow",
    "info": "cyan",
}

OUTCOME: dict[Outcome, str] = {
    "served": "green",
    "fell-through": "yellow",
    "stopped": "bold red",
    "failed": "red",
    "pending": "dim",
    "unknown": "dim",
    "abandoned": "dim",
}

RESULT: dict[ChainResult, str] = {
    "served": "green",
    "failed": "red",
    "pending": "yellow",
    "unknown": "dim",
}

KIND: dict[Kind, str] = {
    "proxy": "#5fafff",
    "sumdb": "#d7af5f",
    "direct": "#af87ff",
    "toolchain": "#5fd7af",
    "other": "#808080",
}


def severity(name: str) -> str:
    return SEVERITY.get(name, "")  # type: ignore[call-overload]


def status(code: int | None, error: str | None = None) -> str:
    """An HTTP status as the request list and the detail colour it."""
    if error or code is None or code >= 500:
        return BAD
    if code >= 400:
        return WARNING
    return GOOD


def exit_status(code: int | None) -> str:
    return GOOD if code == 0 else BAD
