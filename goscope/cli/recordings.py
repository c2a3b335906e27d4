"""Commands on what a run left behind: `open`, `report` and `diff` of recordings and reports."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from .options import (
    distinct_outputs,
    fail,
    need_terminal,
    private_option,
    split_list,
    trusted_option,
    validate_output,
)

CHECK_WHOLE_BYTES = 64 * 2**20  # `open` reads recordings up to this size whole before the TUI


@click.command("open")
@click.argument("recording", type=click.Path(dir_okay=False))
@private_option
@trusted_option
@click.option(
    "--skip-bad", is_flag=True, help="Skip unreadable lines instead of refusing the file."
)
def open_(recording: str, private: str | None, trusted: str | None, skip_bad: bool) -> None:
    """Open a recording in the TUI."""
    from goscope.core.traffic.recording import RecordingError, RecordingReader

    from . import launch

    try:
        # A bad file is one line here, not a broken screen. The first 64 MiB (~100,000
        # events: all of most recordings) are checked before the TUI starts; the rest as it
        # loads, and a bad line there closes the TUI with the same one line.
        with RecordingReader(recording, skip_bad) as reader:
            for _, offset in reader:
                if offset > CHECK_WHOLE_BYTES:
                    break
    except RecordingError as exc:
        raise fail(str(exc)) from None
    need_terminal("goscope open")
    sys.exit(launch.open_recording(recording, private, optional_list(trusted), skip_bad))


@click.command()
@click.argument("recording", type=click.Path(dir_okay=False))
@click.option(
    "--json", "json_report", type=click.Path(dir_okay=False), help="Write the report JSON here."
)
@private_option
@trusted_option
@click.option("--skip-bad", is_flag=True, help="Skip unreadable lines (and say how many).")
@click.option(
    "--markdown",
    type=click.Path(dir_okay=False),
    help="Also write the summary as Markdown (e.g. $GITHUB_STEP_SUMMARY).",
)
@click.option(
    "--sarif",
    type=click.Path(dir_okay=False),
    help="Also write leaks, go errors and doctor errors as SARIF 2.1.0.",
)
def report(
    recording: str,
    json_report: str | None,
    private: str | None,
    trusted: str | None,
    skip_bad: bool,
    markdown: str | None,
    sarif: str | None,
) -> None:
    """Summarise a recording (JSON lines) as `run` does. Exit 4 when the recording does
    not hold the whole run (cut off, events lost, the proxy killed) or a file asked for
    could not be written (each is said, and the others are written)."""
    from rich.text import Text

    from goscope.core.outputs.report import report_from_recording
    from goscope.core.traffic.recording import RecordingError
    from goscope.run.options import EXIT_INCOMPLETE
    from goscope.term import styles
    from goscope.term.summary import render_summary, stderr_console, stdout_console

    from .outputs import report_outputs

    validate_output("--json", json_report)
    validate_output("--markdown", markdown)
    validate_output("--sarif", sarif)
    distinct_outputs(
        ("--json", json_report), ("--markdown", markdown), ("--sarif", sarif), inputs=[recording]
    )
    try:
        rep = report_from_recording(recording, private, optional_list(trusted), skip_bad=skip_bad)
    except RecordingError as exc:
        raise fail(str(exc)) from None
    warn = stderr_console()
    for note in rep.judging["overridden"]:  # warnings: on stderr, apart from the summary
        warn.print(Text(f"goscope: {note} overrides the recording's", styles.WARNING))
    if rep.skipped:
        plural = "s" if rep.skipped != 1 else ""
        warn.print(Text(f"goscope: skipped {rep.skipped} bad line{plural}", styles.WARNING))
    unwritten = None
    try:
        render_summary(rep, stdout_console())
    except BrokenPipeError:  # `goscope report … | head`: the reader has what it wanted
        pass
    except OSError as exc:  # a full disk: the summary is cut short, which is no success
        unwritten = exc.strerror or type(exc).__name__
    # Results are placed at the go.mod lines of the directory go ran in, when it is here
    # (the same checkout); else of this one, as before.
    ran_in = rep.context.get("cwd")
    here = ran_in if isinstance(ran_in, str) and os.path.isdir(ran_in) else None
    failed = report_outputs(rep, warn, markdown, sarif, json_report, here)
    if unwritten is not None:  # after the files, which may still have room
        raise fail(f"the summary could not be written to stdout ({unwritten})")
    # A file asked for and not written is no whole answer, as for `run` (exit 4).
    sys.exit(EXIT_INCOMPLETE if rep.incomplete or failed else 0)


@click.command()
@click.argument("a", metavar="A")
@click.argument("b", metavar="B")
@click.option("--json", "as_json", is_flag=True, help="Print the differences as JSON.")
@click.option("--markdown", metavar="FILE", help="Write them as Markdown (- for stdout).")
@click.option("--tui", is_flag=True, help="Show them in the terminal UI.")
@click.option(
    "--full", is_flag=True, help="Name every changed fetch (default: totals, a few per group)."
)
@private_option
@trusted_option
def diff(
    a: str,
    b: str,
    as_json: bool,
    markdown: str | None,
    tui: bool,
    full: bool,
    private: str | None,
    trusted: str | None,
) -> None:
    """What changed from run A to run B (recordings or reports). Exit 1 when B regressed:
    a leak, a failed fetch or a go error that A did not have, or its command failed;
    exit 4 when either side is incomplete and nothing regressed (no verdict)."""

    from goscope.core.outputs.diff import diff_markdown, diff_reports
    from goscope.core.outputs.export import OutputError, write_summary
    from goscope.core.safe.jsontext import pretty_json
    from goscope.run.options import EXIT_INCOMPLETE
    from goscope.term.diff import render_diff
    from goscope.term.summary import stdout_console

    if markdown is not None and markdown != "-":
        validate_output("--markdown", markdown)
    # `diff a b --markdown b` replaced recording b with the Markdown.
    distinct_outputs(("--markdown", markdown), inputs=[a, b])
    if as_json and markdown == "-":
        raise fail("only one of --json and --markdown can go to stdout")
    if tui and (as_json or markdown == "-"):
        raise fail("--tui takes the terminal: write --markdown to a file")
    if tui:
        need_terminal("diff --tui")
    sides = [load_run(path, private, optional_list(trusted)) for path in (a, b)]
    found = diff_reports(*sides)
    if tui:
        from goscope.tui.diff_app import DiffApp

        DiffApp(found, a, b).run()
    elif as_json:
        click.echo(pretty_json(found.to_dict()))
    elif markdown == "-":
        click.echo(diff_markdown(found, a, b, full), nl=False)
    else:
        render_diff(found, stdout_console(), a, b, full)
    if markdown and markdown != "-":
        try:
            write_summary(Path(markdown), diff_markdown(found, a, b, full))
        except OutputError as exc:
            raise fail(str(exc)) from None
    sys.exit({"regressed": 1, "incomplete": EXIT_INCOMPLETE, "clean": 0}[found.verdict])


REPORT_LIMIT = 1 << 30  # bytes of a report JSON `diff` reads


def load_run(path: str, private: str | None, trusted: list[str] | None) -> dict[str, Any]:
    """A report's JSON form, from a report file or a recording (reported first); bad
    input of any kind is one line (GoscopeError)."""
    import io

    import orjson

    from goscope.core.outputs.diff import check_report
    from goscope.core.outputs.report import report_from_recording
    from goscope.core.safe.files import UnsafeFile, read_regular
    from goscope.core.traffic.recording import RecordingError

    try:
        data = read_regular(path, REPORT_LIMIT)  # not a FIFO or a device: they never end
    except UnsafeFile as exc:
        raise fail(str(exc)) from None
    head = data[:64]
    if not head.lstrip().startswith(b"{"):
        raise fail(f"{path}: not a goscope report or recording")
    if b'"goscope-recording"' in head:
        try:
            return report_from_recording(io.BytesIO(data), private, trusted, name=path).to_dict()
        except RecordingError as exc:
            raise fail(str(exc)) from None
    try:
        parsed = orjson.loads(data)  # nesting past 1024 levels is a JSONDecodeError here
    except orjson.JSONDecodeError as exc:
        raise fail(f"{path}: not a goscope report or recording ({exc})") from None
    try:
        return check_report(parsed, path)
    except ValueError as exc:
        raise fail(str(exc)) from None


def optional_list(value: str | None) -> list[str] | None:
    """A comma-separated option, or None when it was not given (the recording decides)."""
    return split_list(value) if value is not None else None
