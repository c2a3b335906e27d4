"""Every run's rows in DuckDB, and the audit's questions asked of them in SQL.

DuckDB runs in this process (no server). Rows of judged recordings and reports are
appended to NDJSON files in a private scratch directory as they arrive (so Python holds one
run at a time); a goscope Parquet export is read where it lies. Views put both together;
the questions only count, group and rank what goscope's judging already decided. Memory is
bounded by `memory_limit` whatever the number of runs: DuckDB spills to the scratch
directory beyond it.
"""

from __future__ import annotations

import hashlib
import math
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from ..vocab import KINDS
from .facts import LOG_STEP, RunFacts

TABLES = ("runs", "leaks", "hosts", "durations")
# Every table's columns as DuckDB types: the NDJSON is read with them, the export written with
# them (parquet.py), so both read back alike.
COLUMNS: dict[str, dict[str, str]] = {
    "runs": {
        "run": "VARCHAR",
        "path": "VARCHAR",
        "source": "VARCHAR",
        "started": "TIMESTAMP",
        "repository": "VARCHAR",
        "cwd": "VARCHAR",
        "module": "VARCHAR",
        "ci_provider": "VARCHAR",
        "ci_run_id": "VARCHAR",
        "ci_run_attempt": "VARCHAR",
        "ci_workflow": "VARCHAR",
        "ci_job": "VARCHAR",
        "ci_sha": "VARCHAR",
        "command": "VARCHAR",
        "go_version": "VARCHAR",
        "exit_code": "BIGINT",  # Windows reports 0xC000013A and the like
        "complete": "BOOLEAN",
        "incomplete": "VARCHAR[]",
        "events": "BIGINT",
        "private": "VARCHAR",
        "trusted": "VARCHAR[]",
        "guard": "BOOLEAN",
    },
    "leaks": {
        "run": "VARCHAR",
        "module": "VARCHAR",
        "host": "VARCHAR",
        "kind": "VARCHAR",
        "severity": "VARCHAR",
        "matched": "VARCHAR",
        "blocked": "BOOLEAN",
        "requests": "BIGINT",
        "blocked_requests": "BIGINT",
        "first_seen": "TIMESTAMP",
        "last_seen": "TIMESTAMP",
        "endpoints": "VARCHAR[]",
        "fix": "VARCHAR",
        "note": "VARCHAR",
    },
    "hosts": {
        "run": "VARCHAR",
        "host": "VARCHAR",
        "requests": "BIGINT",
        "failed": "BIGINT",
        "not_found": "BIGINT",
        "blocked": "BIGINT",
    },
    "durations": {"run": "VARCHAR", "host": "VARCHAR", "bucket": "INTEGER", "n": "BIGINT"},
}
LIST_LIMIT = 10  # repositories and commands named per leak (the count says how many more)
# What makes two run rows the same run saying the same thing (the path it was read from
# does not): a run id seen with different facts is a conflict, never silently one of them.
SAME_RUN = "run, started, repository, command, go_version, exit_code, complete, incomplete, events"
SEVERITY_RANK = (
    "CASE severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 WHEN 'suspected' THEN 2 ELSE 3 END"
)


class EngineMissing(RuntimeError):
    """DuckDB is not installed: the one line says how to get it."""


def connect(scratch: Path, memory_limit: str = "1GB", threads: int | None = None) -> Any:
    try:
        import duckdb
    except ImportError:
        raise EngineMissing(
            "audit and export need DuckDB: pip install 'goscope[audit]' "
            "(uv tool install 'goscope[audit]', pipx install 'goscope[audit]')"
        ) from None
    try:
        return _connect(duckdb, scratch, memory_limit, threads)
    except duckdb.Error as exc:
        raise EngineMissing(f"DuckDB: {str(exc).splitlines()[0]}") from None


def _connect(duckdb: Any, scratch: Path, memory_limit: str, threads: int | None) -> Any:
    con = duckdb.connect(
        ":memory:",
        config={
            "memory_limit": memory_limit,
            "temp_directory": str(scratch / "spill"),
            "threads": threads or max(1, min(os.cpu_count() or 1, 4)),
            "preserve_insertion_order": False,
            # Nothing leaves the process: no extension is fetched, no file outside the
            # ones goscope names is opened by a query (inputs are listed explicitly).
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        },
    )
    con.execute("SET TimeZone = 'UTC'")
    return con


def engine_errors() -> tuple[type[BaseException], ...]:
    """DuckDB's own errors (a bad file it was given, a setting it refuses)."""
    import duckdb

    return (duckdb.Error,)


def columns_sql(table: str) -> str:
    """The columns as read_json's `columns` struct literal."""
    inner = ", ".join(f"'{name}': '{kind}'" for name, kind in COLUMNS[table].items())
    return "{" + inner + "}"


def sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass
class Audit:
    """The answer: plain data (JSON as it is), each list ranked as shown."""

    runs: int = 0
    complete: int = 0
    repositories: int = 0
    events: int = 0
    first: str | None = None
    last: str | None = None
    files: int = 0  # files read
    skipped_files: list[str] = field(default_factory=list)  # bad files (--skip-bad), why
    duplicates: int = 0  # the same run (by id) in more than one file: counted once
    # The same run id saying different things in two places (a report judged with other
    # --trusted than its recording, a crafted copy): both are counted, and the audit is
    # incomplete until someone looks.
    conflicts: list[str] = field(default_factory=list)
    # Files the audit was asked for and could not write (cli/outputs.py): the SARIF and the
    # Markdown, written after the JSON, say so (they read clean while audit exited 4).
    unwritten: list[str] = field(default_factory=list)
    # The run ids in conflict: those copies share (three copies of one run saying three
    # things are one id: it read "2 run ids saying two things"), and an export's rows whose
    # run row is gone.
    conflicting_runs: list[str] = field(default_factory=list)
    since: str | None = None
    until: str | None = None
    outside: int = 0  # runs read but started outside --since/--until: left out, and said
    leaks: list[dict[str, Any]] = field(default_factory=list)
    hosts: list[dict[str, Any]] = field(default_factory=list)
    go_versions: list[dict[str, Any]] = field(default_factory=list)
    incomplete_runs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def incomplete(self) -> int:
        return self.runs - self.complete

    @property
    def whole(self) -> bool:
        """Every file read, every run complete, no run contradicting another, and at least
        one run judged: only then can 'no leak' be trusted."""
        return (
            not self.skipped_files and self.incomplete == 0 and not self.conflicts and self.runs > 0
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "complete": self.whole,
            "runs": self.runs,
            "complete_runs": self.complete,
            "incomplete_runs": self.incomplete,
            "repositories": self.repositories,
            "events": self.events,
            "first": self.first,
            "last": self.last,
            "since": self.since,
            "until": self.until,
            "outside_window": self.outside,
            "files": self.files,
            "skipped_files": self.skipped_files,
            "duplicates": self.duplicates,
            "conflicts": self.conflicts,
            "conflicting_runs": self.conflicting_runs,
            "leaks": self.leaks,
            "hosts": self.hosts,
            "go_versions": self.go_versions,
            "incomplete": self.incomplete_runs,
        }


class AuditStore:
    """Rows in, answers out. `add` each run's facts, `add_export` each export directory."""

    def __init__(self, scratch: Path, memory_limit: str = "1GB", threads: int | None = None):
        self.scratch = scratch
        (scratch / "spill").mkdir(mode=0o700, exist_ok=True)
        self.con = connect(scratch, memory_limit, threads)
        self._files: dict[str, IO[bytes]] = {}
        self._seen: dict[str, set[str]] = {}
        self.exports: list[Path] = []
        self.duplicates = 0
        self.conflicts: list[str] = []
        self.conflict_ids: set[str] = set()
        self.bad_exports: list[str] = []
        self.runs_added = 0

    def close(self) -> None:
        for fh in self._files.values():
            fh.close()
        self.con.close()

    def add(self, facts: RunFacts) -> bool:
        """False when this run (by id) was added already, saying the same: the same
        artifact twice. The same id saying something else is kept as a run of its own
        and named as a conflict."""
        run_id = facts.run["run"]
        digest = facts_digest(facts)
        known = self._seen.get(run_id)
        if known is not None:
            if digest in known:
                self.duplicates += 1
                return False
            known.add(digest)
            self.conflict_ids.add(run_id)
            self.conflicts.append(
                f"{facts.run['path']}: run {run_id} was read before, saying something else "
                "(another verdict or other requests): both are counted"
            )
            facts = _renamed(facts, f"{run_id}~{digest[:8]}")
        else:
            self._seen[run_id] = {digest}
        self._write("runs", [facts.run])
        self._write("leaks", facts.leaks)
        self._write("hosts", facts.hosts)
        self._write("durations", facts.durations)
        self.runs_added += 1
        return True

    def add_export(self, root: Path) -> None:
        self.exports.append(root)

    def _write(self, table: str, rows: Iterable[dict[str, Any]]) -> None:
        fh = self._files.get(table)
        if fh is None:
            path = self.scratch / f"{table}.jsonl"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            fh = self._files[table] = os.fdopen(fd, "wb")
        for row in rows:
            fh.write(orjson.dumps(row) + b"\n")

    # -- the views -------------------------------------------------------------------
    def _sources(self, table: str) -> list[str]:
        parts = []
        fh = self._files.get(table)
        if fh is not None:
            fh.flush()
            path = sql_string(str(self.scratch / f"{table}.jsonl"))
            parts.append(
                f"SELECT * FROM read_json({path}, format = 'newline_delimited', "
                f"columns = {columns_sql(table)})"
            )
        names = ", ".join(COLUMNS[table])
        for index, root in enumerate(self.exports):
            files = self._export_files(root, table)
            if files:
                listed = "[" + ", ".join(sql_string(f) for f in files) + "]"
                parts.append(
                    f"SELECT {names} FROM read_parquet({listed}, union_by_name = true, "
                    f"hive_partitioning = false) /* export {index} */"
                )
        if not parts:
            casts = ", ".join(f"NULL::{kind} AS {name}" for name, kind in COLUMNS[table].items())
            return [f"SELECT {casts} WHERE false"]
        return parts

    def _export_files(self, root: Path, table: str) -> list[str]:
        """The export's Parquet files of a table: regular files only, never through a link
        (a FIFO would hang DuckDB's read, /dev/zero never ends); the rest are named."""
        files = []
        for path in sorted((root / table).rglob("*.parquet")):
            try:
                info = os.lstat(path)
            except OSError as exc:
                self.bad_exports.append(f"{path}: {exc.strerror or exc}")
                continue
            if stat.S_ISREG(info.st_mode):
                files.append(str(path))
            else:
                self.bad_exports.append(f"{path}: not a regular file")
        if table == "runs":
            # Every table has a file for every run (parquet.py), so a run without leaks is
            # visibly one: a run whose leaks file is gone (a partial copy or sync) is not.
            for name in files:
                part = Path(name).relative_to(root / "runs")
                for other in ("leaks", "hosts", "durations"):
                    if not os.path.lexists(root / other / part):
                        self.bad_exports.append(
                            f"{root / other / part}: missing, so the run's {other} are "
                            "unknown (a partial copy of the export?)"
                        )
        return files

    def _views(self, since: str | None, until: str | None) -> None:
        for table in TABLES:
            union = " UNION ALL ".join(self._sources(table))
            self.con.execute(f"CREATE OR REPLACE TEMP VIEW all_{table} AS {union}")
        where = []
        if since:
            where.append(f"started >= CAST({sql_string(since)} AS TIMESTAMP)")
        if until:
            where.append(f"started < CAST({sql_string(until)} AS TIMESTAMP)")
        # A run that cannot be dated is kept in every window: never dropped unseen.
        condition = f"started IS NULL OR ({' AND '.join(where)})" if where else "true"
        # One row per run id (an export and the recording it came from are one run), in
        # the --since/--until window; the other tables keep only those runs' rows.
        # An export's run without a `complete` says nothing of it: incomplete, with why.
        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE runs AS SELECT * REPLACE ("
            "coalesce(complete, false) AS complete, CASE WHEN complete IS NULL THEN "
            "['the export does not say whether this run was complete'] ELSE incomplete END "
            f"AS incomplete) FROM all_runs WHERE {condition} "
            f"QUALIFY row_number() OVER (PARTITION BY {SAME_RUN} ORDER BY path) = 1"
        )
        for table in ("leaks", "hosts", "durations"):
            self.con.execute(
                f"CREATE OR REPLACE TEMP VIEW {table} AS SELECT DISTINCT t.* FROM all_{table} t "
                "SEMI JOIN runs USING (run)"
            )

    # -- the questions ---------------------------------------------------------------
    def answer(self, since: str | None = None, until: str | None = None) -> Audit:
        self._views(since, until)
        con = self.con
        audit = Audit(since=since, until=until, duplicates=self.duplicates)
        row = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE complete), count(DISTINCT repository), "
            "coalesce(sum(events), 0), strftime(min(started), '%Y-%m-%dT%H:%M:%SZ'), "
            "strftime(max(started), '%Y-%m-%dT%H:%M:%SZ') FROM runs"
        ).fetchone()
        assert row is not None
        (audit.runs, audit.complete, audit.repositories, audit.events, audit.first,
         audit.last) = row  # fmt: skip
        if since or until:
            row = con.execute(
                "SELECT count(DISTINCT run) FROM all_runs ANTI JOIN runs USING (run)"
            ).fetchone()
            audit.outside = row[0] if row else 0
        row = con.execute(
            f"SELECT count(*) - count(DISTINCT ({SAME_RUN})) FROM all_runs"
        ).fetchone()
        audit.duplicates += row[0] if row else 0
        repeated = [
            run_id
            for (run_id,) in con.execute(
                "SELECT run FROM runs GROUP BY run HAVING count(*) > 1 ORDER BY run"
            ).fetchall()
            if run_id not in self.conflict_ids
        ]
        orphans = [
            (table, run_id)
            for table in ("leaks", "hosts")
            for (run_id,) in con.execute(
                f"SELECT DISTINCT run FROM all_{table} ANTI JOIN all_runs USING (run) ORDER BY run"
            ).fetchall()
        ]
        audit.conflicts = (
            list(self.conflicts)
            + [
                f"run {run_id} is in the export(s) more than once, saying different things: "
                "each is counted"
                for run_id in repeated
            ]
            + [
                f"run {run_id}: rows in the export's {table} but no run row (the export was "
                "altered?): its requests are not all counted"
                for table, run_id in orphans
            ]
        )
        audit.conflicting_runs = sorted(
            self.conflict_ids | set(repeated) | {run_id for _, run_id in orphans}
        )
        audit.skipped_files = list(self.bad_exports)
        audit.leaks = self._leaks()
        audit.hosts = self._hosts()
        audit.go_versions = [
            {"go_version": v, "runs": n, "first": f, "last": la}
            for v, n, f, la in con.execute(
                "SELECT go_version, count(*) AS n, "
                "strftime(min(started), '%Y-%m-%dT%H:%M:%SZ'), "
                "strftime(max(started), '%Y-%m-%dT%H:%M:%SZ') FROM runs "
                "GROUP BY go_version ORDER BY n DESC, go_version NULLS LAST"
            ).fetchall()
        ]
        audit.incomplete_runs = [
            # An export's NULLs (a column rewritten by another tool) read as nothing said.
            {
                "run": r,
                "path": p or "?",
                "repository": repo,
                "started": s,
                "reasons": [str(x) for x in reasons or [] if x is not None],
            }
            for r, p, repo, s, reasons in con.execute(
                "SELECT run, path, repository, strftime(started, '%Y-%m-%dT%H:%M:%SZ'), "
                "incomplete FROM runs WHERE NOT complete ORDER BY started NULLS LAST, path"
            ).fetchall()
        ]
        return audit

    def _leaks(self) -> list[dict[str, Any]]:
        """One per private path and host: in how many runs, since when, from where."""
        rows = self.con.execute(
            f"""
            SELECT l.module, l.host,
                   list(DISTINCT l.kind ORDER BY l.kind) AS kinds,
                   min({SEVERITY_RANK}) AS rank,
                   count(DISTINCT l.run) AS runs,
                   sum(l.requests) AS requests,
                   sum(l.blocked_requests) AS blocked_requests,
                   bool_and(l.blocked) AS blocked,
                   strftime(min(coalesce(l.first_seen, r.started)), '%Y-%m-%dT%H:%M:%SZ'),
                   strftime(max(coalesce(l.last_seen, r.started)), '%Y-%m-%dT%H:%M:%SZ'),
                   count(DISTINCT r.repository) AS repositories,
                   list(DISTINCT r.repository ORDER BY r.repository)
                       FILTER (WHERE r.repository IS NOT NULL)[1:{LIST_LIMIT}],
                   count(DISTINCT r.command),
                   list(DISTINCT r.command ORDER BY r.command)
                       FILTER (WHERE r.command IS NOT NULL)[1:{LIST_LIMIT}],
                   min(l.matched), min(l.fix) FILTER (WHERE l.fix <> ''),
                   min(l.note) FILTER (WHERE l.note <> ''),
                   list_sort(list_distinct(flatten(list(l.endpoints))))
            FROM leaks l JOIN runs r USING (run)
            GROUP BY l.module, l.host
            ORDER BY rank, runs DESC, l.module, l.host
            """
        ).fetchall()
        names = ("high", "medium", "suspected", "unknown")
        out = []
        for row in rows:
            (module, host, kinds, rank, runs, requests, blocked_requests, blocked, first, last,
             n_repos, repos, n_cmds, cmds, matched, fix, note, endpoints) = row  # fmt: skip
            out.append(
                {
                    "module": module,
                    "host": host,
                    # an export's column may hold anything: the kinds goscope names, no more
                    "kinds": [k if k in KINDS else "other" for k in kinds or [] if k is not None],
                    "severity": names[min(rank, 3)],
                    "runs": runs,
                    "requests": requests or 0,
                    "blocked_requests": blocked_requests or 0,
                    "blocked": bool(blocked),
                    "first_seen": first,
                    "last_seen": last,
                    "repositories": repos or [],
                    "repository_count": n_repos,
                    "commands": cmds or [],
                    "command_count": n_cmds,
                    "matched": matched,
                    "fix": fix or "",
                    "note": note or "",
                    "endpoints": endpoints or [],
                }
            )
        return out

    def _hosts(self) -> list[dict[str, Any]]:
        """Per host: requests, failure and not-found rates, p50/p95 (nearest rank over the
        1% duration buckets: within 0.5% of the exact value)."""
        rows = self.con.execute(
            """
            WITH counts AS (
                SELECT host, count(DISTINCT run) AS runs, sum(requests) AS requests,
                       sum(failed) AS failed, sum(not_found) AS not_found,
                       sum(blocked) AS blocked
                FROM hosts GROUP BY host
            ), buckets AS (
                SELECT host, bucket, sum(n) AS n FROM durations GROUP BY host, bucket
            ), ranked AS (
                SELECT host, bucket,
                       sum(n) OVER (PARTITION BY host ORDER BY bucket) AS below,
                       sum(n) OVER (PARTITION BY host) AS total
                FROM buckets
            ), pct AS (
                SELECT host,
                       min(bucket) FILTER (WHERE below >= ceil(0.50 * total)) AS p50,
                       min(bucket) FILTER (WHERE below >= ceil(0.95 * total)) AS p95
                FROM ranked GROUP BY host
            )
            SELECT c.host, c.runs, c.requests, c.failed, c.not_found, c.blocked, p.p50, p.p95
            FROM counts c LEFT JOIN pct p USING (host)
            ORDER BY c.requests DESC, c.host
            """
        ).fetchall()
        out = []
        for host, runs, requests, failed, not_found, blocked, p50, p95 in rows:
            asked = requests - blocked
            out.append(
                {
                    "host": host,
                    "runs": runs,
                    "requests": requests,
                    "failed": failed,
                    "not_found": not_found,
                    "blocked": blocked,
                    "failed_rate": round(failed / asked, 4) if asked else None,
                    "not_found_rate": round(not_found / asked, 4) if asked else None,
                    "p50_ms": _ms(p50),
                    "p95_ms": _ms(p95),
                }
            )
        return out


def facts_digest(facts: RunFacts) -> str:
    """What a run says (not where it was read from)."""
    said = {k: v for k, v in facts.run.items() if k not in ("path", "source")}
    return hashlib.sha256(
        orjson.dumps([said, facts.leaks, facts.hosts, facts.durations], option=orjson.OPT_SORT_KEYS)
    ).hexdigest()


def _renamed(facts: RunFacts, run_id: str) -> RunFacts:
    return RunFacts(
        {**facts.run, "run": run_id},
        [{**row, "run": run_id} for row in facts.leaks],
        [{**row, "run": run_id} for row in facts.hosts],
        [{**row, "run": run_id} for row in facts.durations],
    )


def _ms(bucket: int | None) -> float | None:
    if bucket is None:
        return None
    value = math.exp((bucket + 0.5) * LOG_STEP)
    return round(value, 3 if value < 10 else 1)
