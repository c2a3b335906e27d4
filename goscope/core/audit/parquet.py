"""`goscope export --parquet DIR RECORDING...`: runs as Hive-partitioned Parquet.

Layout (docs/audit.md has it with the queries of DuckDB, Spark SQL and Trino):

    DIR/goscope-export.json                       what this is (format, version, tables)
    DIR/<table>/day=YYYY-MM-DD/repo=<name>/run-<id>-<digest>.parquet

for the tables `events` (every request, redacted), `runs`, `leaks`, `hosts` and `durations`
(facts.py: the run judged alone, as `goscope report` judges it). `day` is the run's start
(UTC); `repo` is its repository (context.py) escaped as Hive escapes partition values, so
Spark, Hive and Trino decode it; the exact name is the `repository` column of `runs` (a
name outside ASCII does not survive Hive's decoding byte by byte). An unknown day or
repository is `__HIVE_DEFAULT_PARTITION__` (NULL). One file per run and table, named by the
run's id and a digest of what it says: exporting a run again replaces its files; a copy
saying something else is kept beside them (`goscope audit` names the conflict).

Each recording is read by goscope's reader (validated, redacted) and converted alone: memory
is one run. DuckDB writes into a private scratch directory inside DIR; each file is then
moved into place (0600, never through a symbolic link).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from ..safe.event_redaction import redact_event
from ..safe.redact import redact_value
from ..traffic.recording import RecordingError, RecordingReader
from .engine import COLUMNS, connect, engine_errors, facts_digest, sql_string
from .facts import AuditInputError, RunFacts, facts_from_recording, sniff, utc
from .inputs import EXPORT_FORMAT, EXPORT_MARKER, EXPORT_VERSION, is_export

PARTITIONS = ("day", "repo")
DEFAULT_PARTITION = "__HIVE_DEFAULT_PARTITION__"
# Hive's FileUtils.escapePathName set (Spark's ExternalCatalogUtils has the same): control
# characters, "#%'*/:=?\{[]^ and DEL. Anything outside printable ASCII is escaped too.
HIVE_ESCAPED = frozenset("\"#%'*/:=?\\{[]^\x7f") | frozenset(chr(c) for c in range(32))
PARTITION_LIMIT = 150  # characters of an escaped value (a path component is <= 255 bytes)
HEADER_TYPE = "STRUCT(name VARCHAR, value VARCHAR)[]"
EVENT_COLUMNS: dict[str, str] = {
    "run": "VARCHAR",
    "seq": "BIGINT",
    "started": "TIMESTAMP",
    "method": "VARCHAR",
    "url": "VARCHAR",
    "host": "VARCHAR",
    "kind": "VARCHAR",
    "endpoint": "VARCHAR",
    "module": "VARCHAR",
    "version": "VARCHAR",
    "proxy": "VARCHAR",
    "client": "VARCHAR",
    "status": "INTEGER",
    "error": "VARCHAR",
    "duration_ms": "DOUBLE",
    "response_bytes": "BIGINT",
    "auth_retry": "BOOLEAN",
    "flags": "VARCHAR[]",
    "sumdb": "VARCHAR",
    "sender": "BIGINT",
    "redirected_from": "BIGINT",
    "client_http": "VARCHAR",
    "upstream_http": "VARCHAR",
    "upstream_tls": "VARCHAR",
    "upstream_issuer": "VARCHAR",
    "upstream_public_root": "BOOLEAN",
    "request_headers": HEADER_TYPE,
    "response_headers": HEADER_TYPE,
}
TABLE_COLUMNS = {"events": EVENT_COLUMNS, **COLUMNS}


class ExportError(Exception):
    """The export directory cannot be written: one line saying why."""


def hive_escape(value: str | None) -> str:
    """A partition value as a directory name Hive, Spark and Trino decode back."""
    if not value:
        return DEFAULT_PARTITION
    out: list[str] = []
    for ch in value:
        if ch in HIVE_ESCAPED or not " " <= ch < "\x7f":
            out.extend(f"%{b:02X}" for b in ch.encode("utf-8", "surrogatepass"))
        else:
            out.append(ch)
    escaped = "".join(out)
    if escaped in (".", ".."):
        escaped = escaped.replace(".", "%2E")
    if len(escaped) > PARTITION_LIMIT:
        digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:12]
        escaped = escaped[: PARTITION_LIMIT - 13].rstrip("%0123456789ABCDEF") + "~" + digest
    return escaped


def _safe_dir(path: Path) -> None:
    """`path` made (0700) or checked: a real directory, not a link to one."""
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        raise ExportError(f"cannot create {path}: {exc.strerror or exc}") from None
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode):
        raise ExportError(f"{path} is not a directory (a symbolic link?): refused")


def _columns_sql(columns: dict[str, str]) -> str:
    return "{" + ", ".join(f"'{k}': '{v}'" for k, v in columns.items()) + "}"


class ParquetExport:
    """An export directory being written: `add(recording)` per run, then `close()`."""

    def __init__(self, root: str | Path, memory_limit: str = "512MB", skip_bad: bool = False):
        # Absolute: DuckDB expands a leading `~` in the paths it is given.
        self.root = Path(root).absolute()
        self.skip_bad = skip_bad
        try:
            self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise ExportError(f"cannot create {root}: {exc.strerror or exc}") from None
        _safe_dir(self.root)
        entries = [p.name for p in self.root.iterdir()]
        if entries and not is_export(self.root):
            raise ExportError(f"{root} is not empty and holds no goscope export: refused")
        if not entries:
            os.chmod(self.root, 0o700)  # made by someone else, empty: ours now, private
        self.scratch = Path(tempfile.mkdtemp(prefix=".goscope-export-", dir=self.root))
        (self.scratch / "spill").mkdir(mode=0o700)
        self.con = connect(self.scratch, memory_limit, threads=1)
        self.runs = 0

    def close(self) -> None:
        self.con.close()
        shutil.rmtree(self.scratch, ignore_errors=True)
        marker = {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "partitioning": list(PARTITIONS),
            "tables": {name: dict(cols) for name, cols in TABLE_COLUMNS.items()},
        }
        self._place_bytes(orjson.dumps(marker, option=orjson.OPT_INDENT_2) + b"\n", EXPORT_MARKER)

    def __enter__(self) -> ParquetExport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add(self, recording: str) -> RunFacts:
        """One recording: its events and facts (AuditInputError naming it if it is bad)."""
        if b'"goscope-recording"' not in sniff(recording):
            raise AuditInputError(f"{recording}: not a goscope recording")
        try:
            facts = facts_from_recording(recording, self.skip_bad)
        except RecordingError as exc:
            raise AuditInputError(str(exc)) from None
        run = facts.run
        where = Path(f"day={hive_escape((run['started'] or '')[:10])}") / (
            f"repo={hive_escape(run['repository'])}"
        )
        # Named by the run and what it says: the same run exported again replaces its files;
        # a run id saying something else (a crafted or re-judged copy) sits beside it, and
        # the audit names the conflict instead of one copy silently replacing the other.
        name = f"run-{hive_escape(run['run'])}-{facts_digest(facts)[:12]}.parquet"
        try:
            events = self._event_rows(recording, run["run"])
        except RecordingError as exc:
            raise AuditInputError(str(exc)) from None
        tables: dict[str, Any] = {
            "events": events,
            "runs": [run],
            "leaks": facts.leaks,
            "hosts": facts.hosts,
            "durations": facts.durations,
        }
        try:
            for table, rows in tables.items():
                self._write_table(table, rows, where, name)
        except engine_errors() as exc:
            raise AuditInputError(f"{recording}: DuckDB: {str(exc).splitlines()[0]}") from None
        self.runs += 1
        return facts

    def _event_rows(self, recording: str, run_id: str) -> Path:
        path = self.scratch / "events.jsonl"
        with open(path, "wb") as out, RecordingReader(recording, self.skip_bad) as reader:
            for event, _ in reader:
                redact_event(event)
                row = {name: getattr(event, name, None) for name in EVENT_COLUMNS}
                if event.proxy:  # a GOPROXY entry's path may hold a token (as the env's)
                    row["proxy"] = redact_value(event.proxy)
                row["run"] = run_id
                row["started"] = utc(event.started)
                for side in ("request_headers", "response_headers"):
                    row[side] = [
                        {"name": h[0], "value": h[1] if len(h) > 1 else ""}
                        for h in getattr(event, side)
                    ]
                out.write(orjson.dumps(row) + b"\n")
        return path

    def _write_table(self, table: str, rows: Any, where: Path, name: str) -> None:
        columns = TABLE_COLUMNS[table]
        if isinstance(rows, Path):
            source = rows
        else:
            source = self.scratch / f"{table}.jsonl"
            with open(source, "wb") as out:
                for row in rows:
                    out.write(orjson.dumps({k: row.get(k) for k in columns}) + b"\n")
        staged = self.scratch / f"{table}.parquet"
        names = ", ".join(f'"{c}"' for c in columns)
        # An empty table still gets its file: a reader sees the run had none (not that it
        # was lost), and every file has the full schema.
        self.con.execute(
            f"COPY (SELECT {names} FROM read_json({sql_string(str(source))}, "
            f"format = 'newline_delimited', columns = {_columns_sql(columns)})) "
            f"TO {sql_string(str(staged))} (FORMAT parquet, COMPRESSION zstd)"
        )
        self._place(staged, Path(table) / where / name)

    def _place(self, staged: Path, relative: Path) -> None:
        target = self.root
        for part in relative.parts[:-1]:
            target = target / part
            _safe_dir(target)
        os.chmod(staged, 0o600)
        os.replace(staged, target / relative.name)

    def _place_bytes(self, data: bytes, name: str) -> None:
        fd, tmp = tempfile.mkstemp(prefix=".goscope-", dir=self.root)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.root / name)


def export_parquet(
    root: str | Path,
    recordings: list[str],
    skip_bad: bool = False,
    on_file: Callable[[str, str | None], None] | None = None,
) -> tuple[int, list[str]]:
    """Export each recording; (runs written, the bad files' one-line reasons). Without
    `skip_bad` the first bad file stops the export (AuditInputError)."""
    bad: list[str] = []
    with ParquetExport(root, skip_bad=skip_bad) as export:
        for recording in recordings:
            try:
                export.add(recording)
                if on_file is not None:
                    on_file(recording, None)
            except AuditInputError as exc:
                if not skip_bad:
                    raise
                bad.append(str(exc))
                if on_file is not None:
                    on_file(recording, str(exc))
        return export.runs, bad
