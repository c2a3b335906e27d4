"""An audit from start to answer: each file judged (in worker processes), rows to DuckDB.

Runs are judged in parallel, one file per task, in the order given (so the answer does not
depend on which worker finished first); each worker holds one run. A file that cannot be
read stops the audit with its one line, or, with `skip_bad`, is named, counted and makes the
audit incomplete. Nothing here prints: `on_file` reports progress.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from ..safe.redact import redact_quoted
from .engine import Audit, AuditStore, engine_errors
from .facts import AuditInputError, RunFacts, facts_of
from .inputs import Inputs

ParallelFrom = 2  # files: below this, judging in process beats starting workers


def _judge(task: tuple[str, bool]) -> tuple[str, RunFacts | None, str | None]:
    path, skip_bad_lines = task
    try:
        return path, facts_of(path, skip_bad_lines), None
    except AuditInputError as exc:
        return path, None, str(exc)
    except RecursionError:
        return path, None, f"{path}: nested too deeply to be a goscope file"
    except (MemoryError, OSError, ValueError, TypeError, KeyError) as exc:
        # Hostile input must end in one line, never a traceback; the audit says it is
        # incomplete for it.
        return path, None, f"{path}: cannot be read ({type(exc).__name__}: {exc})"


def judged(
    files: list[str], jobs: int, skip_bad_lines: bool
) -> Iterator[tuple[str, RunFacts | None, str | None]]:
    """(path, facts, None) or (path, None, why) per file, in the order given."""
    tasks = [(path, skip_bad_lines) for path in files]
    workers = max(1, min(jobs, len(files)))
    if workers == 1 or len(files) < ParallelFrom:
        yield from map(_judge, tasks)
        return
    method = "forkserver" if sys.platform.startswith("linux") else "spawn"
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method)) as pool:
            yield from pool.map(_judge, tasks, chunksize=1)
    except BrokenProcessPool:
        # A worker was killed (out of memory, a signal): which file it held is unknown.
        raise AuditInputError(
            "a worker process judging the runs died (out of memory? killed?): try --jobs 1"
        ) from None


def run_audit(
    inputs: Inputs,
    *,
    since: str | None = None,
    until: str | None = None,
    skip_bad: bool = False,
    jobs: int | None = None,
    memory_limit: str = "1GB",
    scratch_parent: str | None = None,
    on_file: Callable[[str, str | None], None] | None = None,
) -> Audit:
    """The audit of these inputs (AuditInputError for the first bad file without
    `skip_bad`; EngineMissing without DuckDB)."""
    if inputs.unreadable and not skip_bad:
        raise AuditInputError(inputs.unreadable[0])
    scratch = Path(tempfile.mkdtemp(prefix="goscope-audit-", dir=scratch_parent)).absolute()
    try:
        store = AuditStore(scratch, memory_limit)
        try:
            skipped: list[str] = list(inputs.unreadable)
            for export in inputs.exports:
                store.add_export(export)
            for path, facts, why in judged(inputs.files, jobs or os.cpu_count() or 1, skip_bad):
                # Why a file is bad may quote its bytes (a token where a number belongs):
                # redacted before it reaches stderr, the JSON, Markdown or SARIF.
                why = redact_quoted(why) if why else why
                if on_file is not None:
                    on_file(path, why)
                if facts is None:
                    assert why is not None
                    if not skip_bad:
                        raise AuditInputError(why)
                    skipped.append(why)
                    continue
                store.add(facts)
            try:
                audit = store.answer(since, until)
            except engine_errors() as exc:
                # A damaged export file, a memory limit DuckDB refuses: one line, never a
                # traceback (the first line of DuckDB's message says what).
                raise AuditInputError(f"DuckDB: {str(exc).splitlines()[0]}") from None
            if audit.skipped_files and not skip_bad:
                raise AuditInputError(audit.skipped_files[0])
            audit.files = len(inputs.files)
            audit.skipped_files = [redact_quoted(w) for w in skipped + audit.skipped_files]
            return audit
        finally:
            store.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
