"""Commands across many runs: `audit` (did any private path leave, where, since when) and
`export --parquet` (runs as Parquet for Spark, Trino, a warehouse, or a later audit)."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import click

from .options import distinct_outputs, fail, need_terminal, validate_output

if TYPE_CHECKING:
    from goscope.core.audit.engine import Audit

MEMORY = re.compile(r"^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$", re.IGNORECASE)


def parse_moment(option: str, value: str | None, end: bool) -> str | None:
    """--since/--until as UTC `YYYY-MM-DD HH:MM:SS`: a date, or an ISO-8601 time. A date for
    --until takes in the whole day (--since 2026-11-01 --until 2026-11-30 is November)."""
    if value is None:
        return None
    from datetime import UTC

    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            day = date.fromisoformat(value)
            if end:
                day = day + timedelta(days=1) if day < date.max else day
            return f"{day.isoformat()} 00:00:00"
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
    except (ValueError, OverflowError):
        raise fail(f"{option} {value!r}: not a date (YYYY-MM-DD) or an ISO-8601 time") from None
    return moment.isoformat(sep=" ")


UNITS = {"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12, "kib": 2**10, "mib": 2**20}
UNITS |= {"gib": 2**30, "tib": 2**40}


def check_memory(value: str) -> str:
    """DuckDB's memory limit: a size between 64 MB and 1 TiB."""
    match = MEMORY.match(value.strip())
    size = (
        float(match.group(0)[: -len(match.group(2))]) * UNITS[match.group(2).lower()]
        if match
        else 0
    )
    if not match or not 64e6 <= size <= 2**40:
        raise fail(f"--memory-limit {value!r}: a size from 64MB to 1TiB, such as 512MB or 4GB")
    return value.strip().replace(" ", "")


class Progress:
    """A progress bar over the files on a terminal (stderr); nothing otherwise."""

    def __init__(self, total: int, verb: str):
        self.bar: Any = None
        if total > 1 and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn
            from rich.progress import Progress as Bar

            self.bar = Bar(
                TextColumn(f"{verb}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[bad]}"),
                console=Console(stderr=True),
                transient=True,
            )
            self.task = self.bar.add_task(verb, total=total, bad="")
            self.bad = 0
            self.bar.start()

    def step(self, path: str, why: str | None) -> None:
        if self.bar is not None:
            self.bad += why is not None
            self.bar.update(self.task, advance=1, bad=f"{self.bad} bad" if self.bad else "")

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def _inputs(paths: tuple[str, ...]) -> Any:
    from goscope.core.audit.inputs import expand

    found = expand(list(paths))
    if found.unmatched:
        raise fail(f"{found.unmatched[0]}: no such file, directory or matching glob")
    if not found.files and not found.exports:
        raise fail(f"no recordings, reports or exports in {' '.join(paths)}")
    return found


def _inside_input(output: str, paths: tuple[str, ...]) -> str | None:
    """The directory among the inputs that `output` would be written into, where a walk
    would read it back as a run (or None)."""
    from goscope.core.audit.inputs import EXTENSIONS

    if not output.endswith(EXTENSIONS):
        return None
    where = os.path.realpath(output)
    for path in paths:
        if os.path.isdir(path):
            root = os.path.realpath(path)
            if os.path.commonpath([root, where]) == root:
                return path
    return None


@click.command()
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("--json", "json_out", metavar="FILE", help="Write the audit as JSON (- for stdout).")
@click.option("--markdown", metavar="FILE", help="Write it as Markdown (- for stdout).")
@click.option(
    "--sarif", metavar="FILE", help="Write the leaks as SARIF 2.1.0, one per path and host."
)
@click.option(
    "--since", metavar="WHEN", help="Only runs started at or after (YYYY-MM-DD or ISO time, UTC)."
)
@click.option(
    "--until",
    metavar="WHEN",
    help="Only runs started before the end of (a date) or before (a time).",
)
@click.option(
    "--skip-bad",
    is_flag=True,
    help="Name, count and skip unreadable files (the audit is then incomplete).",
)
@click.option("--tui", is_flag=True, help="Show the audit in the terminal UI.")
@click.option(
    "--jobs", type=click.IntRange(1, 256), help="Worker processes (default: one per CPU)."
)
@click.option(
    "--memory-limit",
    default="1GB",
    show_default=True,
    help="DuckDB's memory; beyond it, it spills to disk.",
)
def audit(
    paths: tuple[str, ...],
    json_out: str | None,
    markdown: str | None,
    sarif: str | None,
    since: str | None,
    until: str | None,
    skip_bad: bool,
    tui: bool,
    jobs: int | None,
    memory_limit: str,
) -> None:
    """Across many runs: which private paths reached which public hosts, since when, from
    which repositories and commands; each host's failures and latency; go versions;
    incomplete runs. PATH: recordings, reports, directories of them (CI artifacts), globs,
    or a `goscope export --parquet` directory. Each run is judged as `goscope report`
    judges it alone. Exit 3 when a private path leaked (or the guard stopped one), 4 when
    the audit is incomplete (a run was, or a file was skipped), else 0."""
    from goscope.core.audit.collect import run_audit
    from goscope.core.audit.engine import EngineMissing
    from goscope.core.audit.facts import AuditInputError

    for option, value in (("--json", json_out), ("--markdown", markdown), ("--sarif", sarif)):
        if value is not None and value != "-":
            validate_output(option, value)
    if sarif == "-":
        raise fail("--sarif takes a file")
    outputs = (("--json", json_out), ("--markdown", markdown), ("--sarif", sarif))
    found = _inputs(paths)
    # The files a directory or a glob names are inputs too: `audit art --markdown
    # art/run1.jsonl` replaced that recording. And nothing a directory walk reads back
    # (.json, .jsonl) is written into a directory the audit reads: the next audit of it
    # read its own output as a run, and stopped. `audit . --markdown audit.md` is fine.
    distinct_outputs(*outputs, inputs=[*paths, *found.files])
    for option, value in outputs:
        if value and value != "-":
            inside = _inside_input(value, paths)
            if inside is not None:
                raise fail(f"{option} {value} is inside {inside}, which this audit reads")
    if sum(v == "-" for v in (json_out, markdown)) > 1:
        raise fail("only one of --json and --markdown can go to stdout")
    if tui and "-" in (json_out, markdown):
        raise fail("--tui takes the terminal: write --json or --markdown to a file")
    if tui:
        need_terminal("audit --tui")
    window = (parse_moment("--since", since, False), parse_moment("--until", until, True))
    if window[0] is not None and window[1] is not None and window[0] > window[1]:
        raise fail(f"--since {since} is after --until {until}: no run can be in between")
    memory = check_memory(memory_limit)
    progress = Progress(len(found.files), "judging runs")
    try:
        result = run_audit(
            found,
            since=window[0],
            until=window[1],
            skip_bad=skip_bad,
            jobs=jobs,
            memory_limit=memory,
            on_file=progress.step,
        )
    except (AuditInputError, EngineMissing) as exc:
        raise fail(str(exc)) from None
    finally:
        progress.stop()
    from goscope.core.audit.render import wire

    for why in result.skipped_files:
        click.echo(f"goscope: skipped {wire(why)}", err=True)
    for why in result.conflicts:
        click.echo(f"goscope: conflict: {wire(why)}", err=True)
    failed = _write(result, json_out, markdown, sarif, tui)
    sys.exit(audit_exit(result, bool(failed)))


def audit_exit(result: Audit, unwritten: bool = False) -> int:
    """3 on a leak, else 4 when the answer is not whole (a run incomplete, or a file asked
    for not written), else 0."""
    from goscope.run.options import EXIT_INCOMPLETE, EXIT_LEAK

    if result.leaks:
        return EXIT_LEAK
    return 0 if result.whole and not unwritten else EXIT_INCOMPLETE


def _write(
    result: Audit, json_out: str | None, markdown: str | None, sarif: str | None, tui: bool
) -> list[str]:
    """Every file asked for, each on its own (cli/outputs.py); then the TUI or stdout.
    Returns the options whose file was not written."""
    from goscope import __version__
    from goscope.core.audit.render import audit_markdown, audit_sarif, audit_text
    from goscope.core.outputs.export import write_private, write_summary
    from goscope.core.safe.jsontext import pretty_json
    from goscope.term.summary import stderr_console

    from .outputs import write_each

    def json_text() -> str:
        return pretty_json(result.to_dict()) + "\n"

    def markdown_text() -> str:
        return audit_markdown(result)

    def sarif_text() -> str:
        return pretty_json(audit_sarif(result, __version__)) + "\n"

    # The JSON first: the SARIF and the Markdown after it say which files were not written.
    steps: list[tuple[str, Callable[[], object]]] = []
    if json_out and json_out != "-":
        steps.append(("--json", lambda: write_private(json_out, json_text())))
    if sarif:
        steps.append(("--sarif", lambda: write_private(sarif, sarif_text())))
    if markdown and markdown != "-":
        steps.append(("--markdown", lambda: write_summary(markdown, markdown_text())))
    failed = write_each(steps, stderr_console(), result.unwritten)
    if tui:
        from goscope.tui.audit_app import AuditApp

        AuditApp(result).run()
        return failed
    if json_out == "-":
        text = json_text()
    else:
        text = markdown_text() if markdown == "-" else audit_text(result)
    try:
        click.echo(text, nl=False)
    except BrokenPipeError:  # `goscope audit … | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return failed


@click.command("export")
@click.option(
    "--parquet",
    "parquet_dir",
    required=True,
    metavar="DIR",
    help="The export directory (created; an existing export is added to).",
)
@click.argument("recordings", nargs=-1, required=True, metavar="RECORDING...")
@click.option("--skip-bad", is_flag=True, help="Name, count and skip unreadable recordings.")
def export(parquet_dir: str, recordings: tuple[str, ...], skip_bad: bool) -> None:
    """Recordings as Parquet, partitioned by day and repository (docs/audit.md): every
    request, and each run judged as `goscope report` judges it. Spark, Trino and a
    warehouse's external tables read it as it is; so does `goscope audit DIR`. Exit 4 when
    a recording was skipped."""
    from goscope.core.audit.engine import EngineMissing
    from goscope.core.audit.facts import AuditInputError
    from goscope.core.audit.parquet import ExportError, export_parquet
    from goscope.run.options import EXIT_INCOMPLETE

    found = _inputs(recordings)
    if found.exports:
        raise fail(f"{found.exports[0]} is an export: export takes recordings")
    progress = Progress(len(found.files), "exporting runs")
    try:
        runs, bad = export_parquet(parquet_dir, found.files, skip_bad, progress.step)
    except (AuditInputError, EngineMissing, ExportError) as exc:
        raise fail(str(exc)) from None
    finally:
        progress.stop()
    from goscope.core.audit.render import wire

    for why in bad:
        click.echo(f"goscope: skipped {wire(why)}", err=True)
    plural = "s" if runs != 1 else ""
    click.echo(f"goscope: exported {runs:,} run{plural} to {wire(parquet_dir)}", err=True)
    sys.exit(EXIT_INCOMPLETE if bad else 0)
