"""`goscope run --headless`: run a command through the proxy, then print the summary."""

from __future__ import annotations

import json
import os
from pathlib import Path

from rich.console import Console
from rich.text import Text

from goscope import __version__
from goscope.core.gorules.netrc import netrc_path
from goscope.core.outputs.ci import github_annotations, sarif_document, summary_markdown
from goscope.core.outputs.export import write_private, write_report
from goscope.core.outputs.report import Report, report_from_recording
from goscope.run.engine import RunEngine
from goscope.run.options import EXIT_LEAK, RunOptions
from goscope.run.wiring import no_proxy_warnings

from .styles import WARNING
from .summary import render_summary, stderr_console


def ci_outputs(report: Report, markdown: str | None, sarif: str | None = None) -> None:
    """GitHub Actions annotations (when GITHUB_ACTIONS is set) on stdout, and the Markdown
    summary and SARIF when asked for."""
    if os.environ.get("GITHUB_ACTIONS") == "true":
        for line in github_annotations(report):
            print(line, flush=True)
    if markdown:
        write_private(Path(markdown), summary_markdown(report))
    if sarif:
        document = sarif_document(report, __version__)
        write_private(Path(sarif), json.dumps(document, indent=2) + "\n")


def read_netrc(env: dict[str, str]) -> str | None:
    """The .netrc go reads (to say why credentials were not sent); never printed."""
    path = netrc_path(env)
    try:
        with open(path or "", encoding="utf-8", errors="replace") as fh:
            return fh.read(1 << 20)
    except OSError:
        return None


def run_headless(opts: RunOptions, console: Console | None = None) -> int:
    console = console or stderr_console()
    with RunEngine(opts) as engine:
        for warning in no_proxy_warnings(engine.base_env):
            console.print(Text(f"goscope: {warning}", style=WARNING))
        with engine.forward_signals():  # a signal ends the command, never goscope's report
            engine.start()
            exit_code = engine.run_command()
        stats = engine.stop()
        report = report_from_recording(
            engine.recording,
            opts.private,
            opts.trusted,
            opts.command,
            exit_code,
            netrc_text=read_netrc(engine.base_env),
        )
    render_summary(report, console, dropped=int(stats.get("dropped_live", 0)))
    ci_outputs(report, opts.markdown, opts.sarif)
    if opts.json_report:
        write_report(opts.json_report, report)
    if opts.fail_on_leak and report.leaks:
        return EXIT_LEAK
    return exit_code
