"""The files a command was asked for, each written on its own: one that fails (a full disk)
is one line on stderr and never keeps the others from being written (docs/security.md).
`report` and `audit` wrote theirs in turn and stopped at the first failure, exit 2: the
SARIF and the report were never written, and audit's leak (exit 3) read as bad input. The
JSON report goes first: the SARIF and the Markdown after it say which files were not."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from rich.console import Console
from rich.text import Text

from goscope import __version__
from goscope.core.outputs.ci import write_ci_outputs
from goscope.core.outputs.export import OutputError, write_report
from goscope.core.outputs.report import Report
from goscope.core.safe.redact import redact_value
from goscope.core.safe.visible import visible
from goscope.term.styles import BAD

__all__ = ["report_outputs", "write_each"]


def write_each(
    steps: list[tuple[str, Callable[[], object]]],
    console: Console,
    said: list[str] | None = None,
) -> list[str]:
    """Run every (option, write) step; the options whose file was not written (and, in
    `said`, why, for the files written after them)."""
    failures = []
    for name, step in steps:
        try:
            step()
        except (OutputError, OSError) as exc:
            failures.append(name)
            line = redact_value(f"{name} not written: {exc}")  # a path may hold a token
            if said is not None:
                said.append(line)
            with contextlib.suppress(OSError):
                console.print(Text(visible(f"goscope: {line}"), style=BAD))
    return failures


def report_outputs(
    report: Report,
    console: Console,
    markdown: str | None,
    sarif: str | None,
    json_report: str | None,
    cwd: str | None,
) -> list[str]:
    """A run's annotations (under GitHub Actions), JSON report, SARIF and Markdown, in that
    order: the last two say which files before them were not written (report.unwritten).
    `cwd`: where the command ran (its go.mod places annotations and SARIF results)."""
    steps: list[tuple[str, Callable[[], object]]] = [
        ("annotations", lambda: write_ci_outputs(report, None, None, __version__, workdir=cwd))
    ]
    if json_report:
        steps.append(("--json", lambda: write_report(json_report, report)))
    if sarif:
        steps.append(
            ("--sarif", lambda: write_ci_outputs(report, None, sarif, __version__, False, cwd))
        )
    if markdown:
        steps.append(
            (
                "--markdown",
                lambda: write_ci_outputs(report, markdown, None, __version__, False, cwd),
            )
        )
    return write_each(steps, console, report.unwritten)
