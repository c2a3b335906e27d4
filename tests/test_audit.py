"""`goscope audit` and `goscope export --parquet`, against their oracle: `goscope report` of
each run alone. Run sets are generated from data (tests/audit_runs.py): modules public and
private, environments that do and do not declare the private paths, a run's own
`--private`, senders with their own environment, several days, killed and tampered runs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from goscope.core.audit.collect import run_audit
from goscope.core.audit.inputs import expand
from goscope.core.outputs.export import write_report
from goscope.core.outputs.report import report_from_recording

from .audit_runs import DAYS, plans, write_runs

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def goscope(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "goscope", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )


@pytest.fixture(scope="module")
def run_set(tmp_path_factory) -> Path:
    """60 runs: 48 recordings, 12 of them as report JSON instead (CI kept only the report)."""
    directory = tmp_path_factory.mktemp("runs")
    paths = write_runs(directory, count=60, seed=7)
    for path in paths[::5]:
        write_report(path.with_suffix(".json"), report_from_recording(str(path)))
        path.unlink()
    return directory


def expected_from_reports(directory: Path, window=lambda day: True) -> dict:
    """What each run's own `goscope report` says, united by hand."""
    leaks: dict[tuple[str, str], dict] = defaultdict(lambda: {"runs": set(), "requests": 0})
    hosts: dict[str, int] = defaultdict(int)
    runs = incomplete = 0
    for path in sorted(directory.iterdir()):
        if path.suffix == ".jsonl":
            rep = report_from_recording(str(path)).to_dict()
        else:
            rep = json.loads(path.read_text())
        if not window(rep["context"]["started"][:10]):
            continue
        runs += 1
        incomplete += not rep["complete"]
        for group in rep["leaks"]:
            entry = leaks[(group["module"], group["host"])]
            entry["runs"].add(rep["context"]["id"])
            entry["requests"] += group["requests"]
        for event in rep["events"]:
            hosts[event["host"]] += 1
    return {
        "runs": runs,
        "incomplete": incomplete,
        "leaks": {k: (len(v["runs"]), v["requests"]) for k, v in leaks.items()},
        "hosts": dict(hosts),
    }


def answered(audit) -> dict:
    return {
        "runs": audit.runs,
        "incomplete": audit.incomplete,
        "leaks": {(g["module"], g["host"]): (g["runs"], g["requests"]) for g in audit.leaks},
        "hosts": {h["host"]: h["requests"] for h in audit.hosts},
    }


def test_audit_equals_the_union_of_per_run_reports(run_set):
    audit = run_audit(expand([str(run_set)]), jobs=2)
    expected = expected_from_reports(run_set)
    assert answered(audit) == expected
    # The set is not trivial: leaks of both kinds, several runs each, incomplete runs.
    assert len(expected["leaks"]) >= 4 and expected["incomplete"] >= 3
    assert {g["severity"] for g in audit.leaks} >= {"high", "medium"}
    assert max(g["runs"] for g in audit.leaks) >= 3
    assert audit.repositories >= 4 and audit.files == 60 and not audit.skipped_files


def test_each_run_is_judged_by_its_own_context(tmp_path):
    """The same traffic, three contexts: GOPRIVATE declared (go kept the path home: no
    leak), only --private given (a leak), and a sender whose own GOPRIVATE is empty."""
    chosen = [p for p in plans(200, 11) if any(m.startswith("corp.") for m, _ in p.modules)]
    by_kind = {
        "declared": next(p for p in chosen if "GOPRIVATE" in p.env and not p.sender_env),
        "told": next(p for p in chosen if p.private and not p.sender_env),
        "sender": next(
            p for p in chosen if p.sender_env and not p.sender_env["GOPRIVATE"] and p.private
        ),
    }
    from .audit_runs import write_run

    for plan in by_kind.values():
        plan.repository = None  # each run its own name (its module's)
        write_run(plan, tmp_path)
    audit = run_audit(expand([str(tmp_path)]), jobs=1)
    assert answered(audit) == expected_from_reports(tmp_path)
    leaked_from = {r for g in audit.leaks for r in g["repositories"]}
    assert f"example.com/{by_kind['told'].name}" in leaked_from, "--private alone finds it"
    assert f"example.com/{by_kind['sender'].name}" in leaked_from, "the sender's GOPRIVATE is empty"
    assert f"example.com/{by_kind['declared'].name}" not in leaked_from, "go kept it home"


def test_since_and_until_keep_the_runs_of_their_window(run_set):
    since, until = DAYS[1], DAYS[2]
    out = goscope("audit", str(run_set), "--since", since, "--until", until, "--json", "-")
    assert out.returncode in (3, 4), out.stderr
    found = json.loads(out.stdout)
    expected = expected_from_reports(run_set, lambda day: since <= day <= until)
    assert found["runs"] == expected["runs"] > 0
    assert {(g["module"], g["host"]): (g["runs"], g["requests"]) for g in found["leaks"]} == (
        expected["leaks"]
    )
    assert all(since <= g["first_seen"][:10] <= until for g in found["leaks"])
    # The runs left out are said: before, a window took runs away without a word.
    every = expected_from_reports(run_set)["runs"]
    assert found["outside_window"] == every - found["runs"] > 0
    text = goscope("audit", str(run_set), "--since", since, "--until", until).stdout
    assert f"{every - found['runs']} runs outside " in text and " left out" in text


def test_the_text_verdict_counts_agree_and_the_exit_says_leak(run_set):
    out = goscope("audit", str(run_set))
    assert out.returncode == 3, out.stderr
    text = out.stdout
    audit = run_audit(expand([str(run_set)]), jobs=1)
    assert f"goscope audit: {audit.runs} runs ({audit.complete} complete" in text
    assert f"Leaks: {len(audit.leaks)} (one per private path and host)" in text
    paths = len({g["module"] for g in audit.leaks})
    assert f"verdict: {paths} private paths reached" in text
    assert "INCOMPLETE" in text.splitlines()[2]
    assert text.count(" -> ") == len(audit.leaks)


def test_a_recording_whose_file_name_is_not_utf8_is_audited(run_set, tmp_path):
    # A CI artifact's name with a byte that is not UTF-8 (and a terminal control): the audit
    # crashed writing its path (a lone surrogate) and hid every leak of the set.
    odd = tmp_path / "set"
    odd.mkdir()
    for i, source in enumerate(sorted(run_set.iterdir())):
        name = os.fsdecode(b"x\xff\x1b[2J-%d" % i) + source.suffix
        (odd / name).write_bytes(source.read_bytes())
    expected = run_audit(expand([str(run_set)]), jobs=1)
    for extra in ([], ["--json", "-"], ["--jobs", "2"]):
        out = goscope("audit", *extra, str(odd))
        assert out.returncode == 3, out.stderr
        assert "\x1b" not in out.stdout and "Traceback" not in out.stderr
    audit = json.loads(goscope("audit", "--json", "-", str(odd)).stdout)
    assert audit["files"] == 60 and len(audit["leaks"]) == len(expected.leaks)
    # A bad one of such a name is named in the JSON that orjson reads back.
    (odd / os.fsdecode(b"bad-\xff.jsonl")).write_text("not a recording\n")
    out = goscope("audit", "--skip-bad", "--json", "-", str(odd))
    (skipped,) = orjson.loads(out.stdout)["skipped_files"]
    assert "bad-\ufffd.jsonl" in json.dumps(skipped, ensure_ascii=False)


def test_markdown_and_sarif_one_result_per_path_and_host(run_set, tmp_path):
    import jsonschema

    from .test_ci_outputs import sarif_schema

    md, sarif = tmp_path / "audit.md", tmp_path / "audit.sarif"
    out = goscope("audit", str(run_set), "--markdown", str(md), "--sarif", str(sarif))
    assert out.returncode == 3, out.stderr
    audit = run_audit(expand([str(run_set)]), jobs=1)
    document = json.loads(sarif.read_text())
    jsonschema.validate(document, sarif_schema())
    results = document["runs"][0]["results"]
    assert len(results) == len(audit.leaks)
    prints = {r["partialFingerprints"]["goscopeResult/v1"] for r in results}
    assert len(prints) == len(results)
    assert document["runs"][0]["invocations"][0]["executionSuccessful"] is False  # incomplete
    text = md.read_text()
    assert f"### Leaks ({len(audit.leaks)})" in text
    assert text.count("| high") + text.count("| medium") + text.count("| suspected") == len(
        audit.leaks
    )
    assert os.stat(md).st_mode & 0o777 == 0o600


def test_bad_files_are_one_line_each_and_skip_bad_counts_them(run_set, tmp_path):
    mixed = tmp_path / "mixed"
    shutil.copytree(run_set, mixed)
    (mixed / "foreign.json").write_text('{"hello": "world"}')
    (mixed / "binary.jsonl").write_bytes(b"\x00\xff" * 100)
    (mixed / "cut.jsonl").write_text('{"format":"goscope-recording","schema_ver')
    (mixed / "deep.json").write_text("[" * 100_000)
    os.mkfifo(mixed / "fifo.jsonl")
    os.symlink("/dev/zero", mixed / "zero.jsonl")  # read as if named: not a regular file
    out = goscope("audit", str(mixed))
    assert out.returncode == 2
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    assert out.stderr.startswith("goscope: ") and str(mixed) in out.stderr
    out = goscope("audit", str(mixed), "--skip-bad", "--json", "-")
    assert out.returncode == 3, out.stderr  # leaks; else 4: never 0 with files skipped
    found = json.loads(out.stdout)
    assert len(found["skipped_files"]) == 6 and found["complete"] is False
    assert found["runs"] == 60
    skipped = [line for line in out.stderr.splitlines() if line.startswith("goscope: skipped")]
    assert len(skipped) == 6 and "Traceback" not in out.stderr
    assert "fifo.jsonl: not a regular file" in out.stderr
    assert "zero.jsonl: not a regular file" in out.stderr
    # A named FIFO is refused too, not waited on.
    alone = goscope("audit", str(mixed / "fifo.jsonl"))
    assert alone.returncode == 2 and "not a regular file" in alone.stderr


def test_a_clean_whole_set_exits_0_and_an_incomplete_one_never_does(tmp_path):
    clean = [p for p in plans(60, 3) if not p.killed and not p.gap and not p.private]
    clean = [p for p in clean if "GOPRIVATE" in p.env and not p.sender_env][:3]
    from .audit_runs import write_run

    for plan in clean:
        write_run(plan, tmp_path)
    out = goscope("audit", str(tmp_path))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "verdict: no private path reached" in out.stdout
    killed = next(p for p in plans(60, 3) if p.killed)
    killed.private = ""
    killed.env["GOPRIVATE"] = "corp.example.com,git.internal.example"
    killed.sender_env = None
    write_run(killed, tmp_path)
    out = goscope("audit", str(tmp_path))
    assert out.returncode == 4 and "INCOMPLETE: 1 run incomplete" in out.stdout


def test_the_same_run_twice_is_counted_once(run_set, tmp_path):
    one = next(run_set.glob("*.jsonl"))
    shutil.copy(one, tmp_path / "copy.jsonl")
    audit = run_audit(expand([str(one), str(tmp_path / "copy.jsonl")]), jobs=1)
    assert audit.runs == 1 and audit.duplicates == 1


def test_globs_expand_here_and_an_unmatched_path_is_one_line(run_set):
    found = expand([str(run_set / "run00*.jsonl")])
    assert sorted(Path(f).name for f in found.files) == sorted(
        p.name for p in run_set.glob("run00*.jsonl")
    )
    out = goscope("audit", str(run_set / "nothing-*.jsonl"))
    assert out.returncode == 2 and "no such file, directory or matching glob" in out.stderr


@pytest.mark.parametrize(
    "args,message",
    [
        (["--since", "yesterday"], "--since 'yesterday': not a date"),
        (["--until", "2026-13-01"], "--until '2026-13-01': not a date"),
        (["--memory-limit", "lots"], "--memory-limit 'lots'"),
        (["--sarif", "-"], "--sarif takes a file"),
    ],
)
def test_bad_options_are_one_line(run_set, args, message):
    out = goscope("audit", str(run_set), *args)
    assert out.returncode == 2 and message in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_without_duckdb_one_line_says_how_to_get_it(run_set):
    code = (
        "import sys; sys.modules['duckdb'] = None\n"
        "from goscope.cli import main\n"
        f"main(['audit', {str(run_set)!r}])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 2
    assert out.stderr.strip() == (
        "goscope: audit and export need DuckDB: pip install 'goscope[audit]' "
        "(uv tool install 'goscope[audit]', pipx install 'goscope[audit]')"
    )


# -- the Parquet export ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def exported(run_set, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("export") / "lake"
    recordings = sorted(str(p) for p in run_set.glob("*.jsonl"))
    done = goscope("export", "--parquet", str(out), *recordings)
    assert done.returncode == 0, done.stderr
    return out


def test_the_export_reads_as_spark_and_trino_would(exported, run_set):
    """pyarrow.dataset with Hive partitioning: what distributed engines do with the layout."""
    import pyarrow as pa
    import pyarrow.dataset as ds

    recordings = sorted(run_set.glob("*.jsonl"))
    events = ds.dataset(exported / "events", format="parquet", partitioning="hive")
    assert events.partitioning.schema.names == ["day", "repo"]
    table = events.to_table()
    total = sum(len(report_from_recording(str(p)).events) for p in recordings)
    assert table.num_rows == total
    schema = table.schema
    assert schema.field("started").type == pa.timestamp("us")
    assert schema.field("status").type == pa.int32()
    assert schema.field("request_headers").type == pa.list_(
        pa.struct([("name", pa.string()), ("value", pa.string())])
    )
    runs = ds.dataset(exported / "runs", format="parquet", partitioning="hive").to_table()
    assert runs.num_rows == len(recordings)
    rows = runs.to_pylist()
    for row in rows:
        assert row["day"] == row["started"].date().isoformat()
        # Hive decodes the escaped directory back to the name (ASCII names; the exact name
        # is the repository column whatever it is).
        assert row["repo"] == row["repository"]
    assert any("/" in row["repository"] for row in rows)  # escaped in the path, decoded back
    marker = json.loads((exported / "goscope-export.json").read_text())
    assert marker["format"] == "goscope-parquet-export" and marker["partitioning"] == [
        "day",
        "repo",
    ]
    for root, dirs, files in os.walk(exported):
        for name in files:
            assert os.stat(os.path.join(root, name)).st_mode & 0o777 == 0o600
        assert not any(d.startswith(".goscope-export-") for d in dirs)  # scratch removed


def test_auditing_the_export_answers_as_auditing_the_recordings(exported, run_set):
    recordings = [str(p) for p in sorted(run_set.glob("*.jsonl"))]
    from_files = run_audit(expand(recordings), jobs=1).to_dict()
    from_export = run_audit(expand([str(exported)]), jobs=1).to_dict()
    for key in ("files", "incomplete"):
        from_files.pop(key), from_export.pop(key)
    assert from_export == from_files
    # An export and the recordings it came from are the same runs: counted once.
    both = run_audit(expand([str(exported), *recordings]), jobs=1)
    assert both.runs == len(recordings) and both.duplicates == len(recordings)


def test_exporting_a_run_again_replaces_it(exported, run_set):
    one = next(run_set.glob("*.jsonl"))
    before = sorted(p.relative_to(exported) for p in exported.rglob("*.parquet"))
    again = goscope("export", "--parquet", str(exported), str(one))
    assert again.returncode == 0, again.stderr
    assert sorted(p.relative_to(exported) for p in exported.rglob("*.parquet")) == before


def test_export_refuses_a_directory_that_is_something_else(tmp_path, run_set):
    (tmp_path / "notes.txt").write_text("mine")
    out = goscope("export", "--parquet", str(tmp_path), str(next(run_set.glob("*.jsonl"))))
    assert out.returncode == 2 and "holds no goscope export" in out.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


# -- Hive's escaping ------------------------------------------------------------------------


def hive_unescape(path: str) -> str:
    """Hive's FileUtils.unescapePathName: each %XX is one character (as Spark decodes)."""
    out, i = [], 0
    while i < len(path):
        if path[i] == "%" and i + 2 < len(path) + 0 and len(path[i + 1 : i + 3]) == 2:
            try:
                out.append(chr(int(path[i + 1 : i + 3], 16)))
                i += 3
                continue
            except ValueError:
                pass
        out.append(path[i])
        i += 1
    return "".join(out)


@given(st.text(alphabet=st.characters(min_codepoint=1, max_codepoint=126), max_size=140))
def test_hive_escaping_round_trips_ascii(value):
    from goscope.core.audit.parquet import DEFAULT_PARTITION, hive_escape

    escaped = hive_escape(value)
    assert "/" not in escaped and escaped not in (".", "..")
    if not value:
        assert escaped == DEFAULT_PARTITION
    elif len(escaped) <= 150 and escaped != value.replace(".", "%2E"):
        assert hive_unescape(escaped) == value


@given(st.text(max_size=600))
def test_hive_escaping_is_always_a_safe_bounded_name(value):
    from goscope.core.audit.parquet import hive_escape

    escaped = hive_escape(value)
    assert escaped.isascii() and escaped.isprintable() and "/" not in escaped
    assert 0 < len(escaped) <= 150 and escaped not in (".", "..")


# -- the TUI --------------------------------------------------------------------------------


async def test_the_audit_in_the_tui(run_set):
    from goscope.tui.audit_app import AuditApp

    audit = run_audit(expand([str(run_set)]), jobs=1)
    app = AuditApp(audit)
    async with app.run_test(size=(100, 30)) as pilot:
        leaks = app.query_one("#audit-leaks")
        assert leaks.row_count == len(audit.leaks) and app.focused is leaks
        detail = str(app.query_one("#leak-text").render())
        first = audit.leaks[0]
        assert first["module"] in detail and "repositories:" in detail
        await pilot.press("down")
        assert audit.leaks[1]["module"] in str(app.query_one("#leak-text").render())
        await pilot.press("2")
        hosts = app.query_one("#audit-hosts")
        assert app.focused is hosts and hosts.row_count == len(audit.hosts)
        await pilot.press("4")
        assert app.query_one("#audit-incomplete").row_count == audit.incomplete
        await pilot.press("q")
    assert app.return_value == 3


async def test_an_audit_tui_of_an_empty_window_says_why_it_is_incomplete(run_set):
    # The Leaks pane said "see Incomplete" over an empty Incomplete tab (no run in the
    # window), and the head read "1 runs … from 1 repositories".
    from goscope.tui.audit_app import AuditApp

    audit = run_audit(expand([str(run_set)]), jobs=1, since="2030-01-01")
    app = AuditApp(audit)
    async with app.run_test(size=(100, 30)):
        said = str(app.query_one("#leak-text").render())
        assert "nothing was judged" in said and "see Incomplete" not in said
        head = str(app.query_one("#audit-head").render())
        assert "0 runs" in head and "runs outside since 2030-01-01" in head


# -- the docs' queries ----------------------------------------------------------------------


def doc_queries(engine: str) -> list[str]:
    import re

    text = (Path(__file__).parent.parent / "docs" / "audit.md").read_text()
    blocks = re.findall(r"```sql\n-- (\w+)\n(.*?)```", text, re.S)
    return [body for name, body in blocks if name == engine]


def test_the_docs_duckdb_queries_answer_as_the_audit_does(exported, run_set):
    import duckdb

    views, leaks, hosts, versions = doc_queries("duckdb")
    assert len(doc_queries("spark")) == len(doc_queries("trino")) == 4
    con = duckdb.connect()
    con.execute(views.replace("'lake/", f"'{exported}/"))
    audit = run_audit(expand([str(exported)]), jobs=1)
    rows = con.execute(leaks).fetchall()
    assert {(m, h): (runs, req) for m, h, runs, req, *_ in rows} == {
        (g["module"], g["host"]): (g["runs"], g["requests"]) for g in audit.leaks
    }
    rows = con.execute(hosts).fetchall()
    assert {h: (n, round(nf, 4), round(f, 4)) for h, n, nf, f, *_ in rows} == {
        h["host"]: (h["requests"], h["not_found_rate"], h["failed_rate"]) for h in audit.hosts
    }
    by_version, incomplete = versions.strip().split(";\n", 1)
    rows = con.execute(by_version).fetchall()
    assert {v: n for v, n, *_ in rows} == {v["go_version"]: v["runs"] for v in audit.go_versions}
    assert len(con.execute(incomplete).fetchall()) == audit.incomplete


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
def test_the_audit_tui_snapshot(snap_compare, run_set, size):
    from goscope.tui.audit_app import AuditApp

    audit = run_audit(expand([str(run_set)]), jobs=1)
    assert snap_compare(AuditApp(audit), terminal_size=size)


# -- what an outsider's attack found (each failed before its fix) ----------------------------


def leaking_plan():
    """A run that leaks (only --private names the path) and is otherwise whole."""
    plan = next(
        p
        for p in plans(200, 11)
        if p.private
        and not p.sender_env
        and not p.killed
        and not p.gap
        and any(m.startswith("corp.") and p.statuses[m] == 200 for m, _ in p.modules)
    )
    plan.repository = "acme/leaky"
    return plan


def clean_plan():
    plan = next(
        p
        for p in plans(200, 12)
        if "GOPRIVATE" in p.env and not p.sender_env and not p.killed and not p.gap
    )
    plan.private = ""
    return plan


def rewrite(path: Path, edit) -> Path:
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    lines = edit(lines) or lines
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def test_a_run_id_saying_two_things_never_hides_a_leak(tmp_path):
    from .audit_runs import write_run

    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    leaky = write_run(leaking_plan(), tmp_path / "b")
    clean = write_run(clean_plan(), tmp_path / "a")
    same_id = json.loads(leaky.read_text().splitlines()[0])["context"]["id"]
    rewrite(clean, lambda lines: lines[0]["context"].update(id=same_id))
    out = goscope("audit", str(tmp_path), "--json", "-")
    assert out.returncode == 3, out.stderr
    found = json.loads(out.stdout)
    assert found["runs"] == 2 and found["leaks"] and found["complete"] is False
    assert len(found["conflicts"]) == 1 and "saying something else" in found["conflicts"][0]
    assert "goscope: conflict: " in out.stderr
    assert found["conflicting_runs"] == [same_id]


def test_three_copies_of_one_run_saying_three_things_are_one_run_id_in_conflict(tmp_path):
    # It read "INCOMPLETE: 2 run ids saying two things" of one id read three times.
    from .audit_runs import write_run

    (tmp_path / "0").mkdir()
    first = write_run(clean_plan(), tmp_path / "0")
    for n in (1, 2):
        copy = tmp_path / str(n) / first.name
        copy.parent.mkdir()
        copy.write_text(first.read_text())
        rewrite(copy, lambda lines, n=n: lines[2].update(duration_ms=10.0**n))
    out = goscope("audit", str(tmp_path), "--json", "-")
    assert out.returncode == 4, out.stderr
    found = json.loads(out.stdout)
    assert len(found["conflicts"]) == 2 and len(found["conflicting_runs"]) == 1
    text = goscope("audit", str(tmp_path)).stdout
    assert "1 run id in conflict" in text and "Run ids in conflict: 1" in text


def test_an_empty_export_marker_hides_nothing(tmp_path):
    from .audit_runs import write_run

    write_run(leaking_plan(), tmp_path)
    (tmp_path / "goscope-export.json").write_text("")
    out = goscope("audit", str(tmp_path))
    assert out.returncode == 3 and "1 file read" in out.stdout


def test_export_of_a_bad_recording_is_one_line_and_skip_bad_exports_the_rest(tmp_path):
    from .audit_runs import write_run

    good = write_run(leaking_plan(), tmp_path)
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        good.read_text().replace('"seq": 2', '"seq": "two"').replace('"seq":2', '"seq":"two"')
    )
    out = goscope("export", "--parquet", str(tmp_path / "lake"), str(bad))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.startswith(f"goscope: {bad}:") and len(out.stderr.splitlines()) == 1
    out = goscope("export", "--parquet", str(tmp_path / "lake2"), str(bad), str(good), "--skip-bad")
    assert out.returncode in (0, 4) and "Traceback" not in out.stderr, out.stderr
    audit = goscope("audit", str(tmp_path / "lake2"), "--json", "-")
    assert audit.returncode == 3 and json.loads(audit.stdout)["complete"] is False


def test_an_empty_audit_is_no_verdict(tmp_path):
    from .audit_runs import write_run

    write_run(clean_plan(), tmp_path)
    out = goscope("audit", str(tmp_path), "--since", "2030-01-01")
    assert out.returncode == 4 and "nothing was judged" in out.stdout


def test_a_second_sender_line_judges_as_the_report_does(tmp_path):
    from .audit_runs import write_run

    plan = leaking_plan()
    plan.private = ""
    plan.sender_env = {
        "GOPROXY": "https://proxy.golang.org,direct",
        "GOSUMDB": "sum.golang.org",
        "GOPRIVATE": "corp.example.com",
    }
    path = write_run(plan, tmp_path)

    def second_sender(lines):
        sender = json.loads(json.dumps(lines[1]))
        sender["sender"]["environment"]["GOPRIVATE"] = {"value": "", "origin": "default"}
        sender["sender"]["environment"]["GONOPROXY"] = {"value": "", "origin": "default"}
        sender["sender"]["environment"]["GONOSUMDB"] = {"value": "", "origin": "default"}
        return [lines[0], lines[1], *lines[2:-1], sender, lines[-1]]

    rewrite(path, second_sender)
    audit = run_audit(expand([str(path)]), jobs=1)
    assert answered(audit) == expected_from_reports(tmp_path)


def test_odd_times_and_exit_codes_are_data_not_crashes(tmp_path):
    from .audit_runs import write_run

    path = write_run(leaking_plan(), tmp_path)

    def odd(lines):
        lines[0]["context"]["started"] = "yesterday"
        lines[-1]["exit_code"] = 3221225786  # Windows' 0xC000013A
        lines[2]["started"] = "0001-01-01T00:00:00+05:00"

    rewrite(path, odd)
    out = goscope("audit", str(path), "--since", "2026-11-01", "--json", "-")
    assert out.returncode == 3 and "Traceback" not in out.stderr, out.stderr
    assert json.loads(out.stdout)["runs"] == 1  # dated by its requests, kept in the window
    for args in (["--until", "9999-12-31"], ["--since", "0001-01-01T00:00:00+01:00"]):
        out = goscope("audit", str(path), *args)
        assert "Traceback" not in out.stderr and out.returncode in (2, 3), out.stderr
    out = goscope("export", "--parquet", str(tmp_path / "lake"), str(path))
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize("limit", ["1KB", "99999999999999TB"])
def test_a_memory_limit_out_of_range_is_one_line(run_set, limit):
    out = goscope("audit", str(run_set), "--memory-limit", limit)
    assert out.returncode == 2 and "--memory-limit" in out.stderr and "Traceback" not in out.stderr


def test_a_hostile_export_is_one_line_never_a_hang(tmp_path, exported):
    lake = tmp_path / "lake"
    shutil.copytree(exported, lake)
    target = next((lake / "runs").rglob("*.parquet"))
    target.unlink()
    os.mkfifo(target)
    out = goscope("audit", str(lake))
    assert out.returncode == 2 and "not a regular file" in out.stderr
    target.unlink()
    target.write_bytes(b"PAR1 not really")
    out = goscope("audit", str(lake))
    assert out.returncode == 2 and out.stderr.startswith("goscope: DuckDB: ")
    assert "Traceback" not in out.stderr


def test_a_link_in_a_walked_directory_is_never_a_run_silently_left_out(tmp_path):
    # A linked recording and a linked directory of runs were skipped without a word: the
    # audit said "no private path reached", complete, exit 0, over a run that leaked.
    from .audit_runs import write_run

    runs, arts = tmp_path / "runs", tmp_path / "arts"
    runs.mkdir()
    arts.mkdir()
    leaky = write_run(leaking_plan(), runs)
    write_run(clean_plan(), arts)
    (arts / "leaky.jsonl").symlink_to(leaky)
    out = goscope("audit", str(arts), "--json", "-")
    assert out.returncode == 3, out.stdout + out.stderr
    found = json.loads(out.stdout)
    assert found["runs"] == 2 and found["leaks"], found
    (arts / "leaky.jsonl").unlink()
    (arts / "more").symlink_to(runs, target_is_directory=True)
    out = goscope("audit", str(arts))
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1
    assert "more: a link to a directory outside " in out.stderr
    out = goscope("audit", str(arts), "--skip-bad", "--json", "-")
    assert out.returncode == 4, out.stdout + out.stderr
    found = json.loads(out.stdout)
    assert found["complete"] is False and found["runs"] == 1
    assert any("more: a link to a directory" in why for why in found["skipped_files"])
    # A link back into the walk (`latest -> run-42`) hides nothing: its runs are read.
    (arts / "more").unlink()
    (arts / "sub").mkdir()
    write_run(leaking_plan(), arts / "sub")
    (arts / "latest").symlink_to(arts / "sub", target_is_directory=True)
    out = goscope("audit", str(arts), "--json", "-")
    assert out.returncode == 3 and json.loads(out.stdout)["runs"] == 2, out.stderr


def test_a_linked_export_in_a_walked_directory_is_read_as_an_export(tmp_path, exported):
    arts = tmp_path / "arts"
    arts.mkdir()
    (arts / "lake").symlink_to(exported, target_is_directory=True)
    linked = goscope("audit", str(arts), "--json", "-")
    direct = goscope("audit", str(exported), "--json", "-")
    assert linked.returncode == direct.returncode, linked.stderr
    assert json.loads(linked.stdout)["runs"] == json.loads(direct.stdout)["runs"] > 0


def test_a_symlink_loop_under_a_glob_is_not_followed(run_set, tmp_path):
    arts = tmp_path / "arts"
    arts.mkdir()
    shutil.copy(next(run_set.glob("*.jsonl")), arts / "one.jsonl")
    (arts / "a").symlink_to(".")
    (arts / "b").symlink_to(".")
    out = goscope("audit", str(tmp_path / "arts" / "**" / "*.jsonl"), "--json", "-")
    assert out.returncode in (0, 3, 4) and json.loads(out.stdout)["files"] == 1


def test_no_line_of_the_text_is_a_workflow_command(tmp_path):
    from .audit_runs import write_run

    plan = leaking_plan()
    plan.repository = "##[error]forged"
    path = write_run(plan, tmp_path)

    def forge(lines):
        lines[-1]["go_version"] = "::warning title=forged::x"
        for line in lines[2:-1]:
            if line.get("host") == "proxy.golang.org":
                line["host"] = "::error title=forged::y"

    rewrite(path, forge)
    out = goscope("audit", str(path), "--markdown", str(tmp_path / "a.md"))
    assert out.returncode == 3, out.stderr
    for line in out.stdout.splitlines():
        assert not line.lstrip().startswith("::") and "##[" not in line, line
    md = (tmp_path / "a.md").read_text()
    assert "`#\\x23[error]forged`" in md  # in a code span: no mention, link or command


def test_a_crafted_reports_secrets_are_redacted_as_it_is_read(tmp_path, run_set):
    token = "ghp_" + "A1b2C3d4" * 4 + "Zz99"
    report = json.loads(next(run_set.glob("*.json")).read_text())
    report["leaks"] = [
        {"module": f"corp.example.com/{token}", "host": "proxy.golang.org", "kind": "proxy",
         "severity": "high", "matched": "corp.example.com", "blocked": False, "requests": 1,
         "fix": f"go env -w GOPRIVATE=corp.example.com # {token}", "note": token, "seqs": []}
    ]  # fmt: skip
    (tmp_path / "crafted.json").write_text(json.dumps(report))
    out = goscope("audit", str(tmp_path / "crafted.json"), "--json", "-")
    assert out.returncode == 3, out.stderr
    assert token not in out.stdout and "REDACTED" in out.stdout


def test_a_crafted_host_never_shows_its_secret_in_any_output(tmp_path):
    # An event's `host` was read as it stood: a crafted `bob:pw@…`, `…:ghp_…` or
    # `…/?token=…` was in the Hosts table and the leaks of every output, text, JSON,
    # Markdown and SARIF, of both audit and report, while the URL beside it was redacted.
    from .audit_runs import write_run

    token, password = "ghp_" + "E5f6G7h8" * 4 + "Yy11", "pw777777"
    crafted = (
        f"bob:{password}@h.example",
        f"proxy.golang.org:{token}",
        f"x.example/?token={token}",
    )
    path = write_run(leaking_plan(), tmp_path)

    def forge(lines):
        events = [line for line in lines if "seq" in line and "url" in line]
        for n, line in enumerate(events):
            line["host"] = crafted[n % len(crafted)]

    rewrite(path, forge)
    report_json = tmp_path / "r.json"
    out = goscope("report", str(path), "--json", str(report_json), "--markdown",
                  str(tmp_path / "r.md"), "--sarif", str(tmp_path / "r.sarif"))  # fmt: skip
    assert out.returncode in (0, 4), out.stderr
    texts = {"report": out.stdout + out.stderr}
    data = json.loads(report_json.read_text())  # a crafted report too: its leak hosts and
    for group in data["leaks"]:  # endpoints as the attacker writes them
        group["host"], group["endpoints"] = crafted[0], [f"info?access_token={token}"]
    for event in data["events"]:
        event["host"] = crafted[1]
    (tmp_path / "crafted.json").write_text(json.dumps(data))
    for name in ("r.jsonl", "crafted.json"):
        source = path if name == "r.jsonl" else tmp_path / name
        out = goscope("audit", str(source), "--json", str(tmp_path / f"a-{name}.json"),
                      "--markdown", str(tmp_path / f"a-{name}.md"),
                      "--sarif", str(tmp_path / f"a-{name}.sarif"))  # fmt: skip
        assert out.returncode in (3, 4), out.stderr
        texts[f"audit {name}"] = out.stdout + out.stderr
    for written in tmp_path.glob("[ar]*.*"):
        if written.suffix in (".json", ".md", ".sarif") and written.name != "r.json":
            texts[written.name] = written.read_text()
    texts["r.json"] = report_json.read_text()
    assert len(texts) == 12
    for where, text in texts.items():
        assert token not in text and password not in text, where
    assert "h.example" in texts["audit r.jsonl"]  # the host itself is still named


@pytest.mark.parametrize("order", [(1, 2), (2, 1)])
def test_a_url_two_processes_asked_is_judged_as_the_report_judges_it(tmp_path, order):
    """One process has nothing private, the other GOPRIVATE with GONOPROXY=none: the report
    says 'high' with the fix that works; the audit kept the first request's verdict
    ('suspected', a fix that would not work) whichever it was."""
    from goscope.core.audit.facts import facts_from_recording
    from goscope.core.gorules.goenv import GoEnv
    from goscope.core.traffic.recording import end_line, header_line, sender_line

    from .factories import event

    plain = {"GOPROXY": "https://proxy.golang.org,direct"}
    envs = {1: plain, 2: plain | {"GOPRIVATE": "git.corp.internal", "GONOPROXY": "none"}}
    url = "https://proxy.golang.org/git.corp.internal/team/x/@v/v1.0.0.info"
    events = [event(url, sender=s, seq=n) for n, s in enumerate(order, 1)]
    lines = [header_line({})]
    lines += [
        sender_line({"id": i, "pid": 100 + i, "program": "go", "command": ["go"],
                     "environment": GoEnv.from_mapping(e).to_dict()})
        for i, e in envs.items()
    ]  # fmt: skip
    lines += [e.to_json() for e in events]
    lines.append(end_line(exit_code=0, stats={"events": 2}))
    path = tmp_path / "r.jsonl"
    path.write_text("\n".join(lines) + "\n")
    (report_leak,) = report_from_recording(str(path)).leak_groups
    (audit_leak,) = facts_from_recording(str(path)).leaks
    assert report_leak.severity == "high"
    assert (audit_leak["severity"], audit_leak["fix"]) == ("high", report_leak.fix)


# -- from an outside attack (each failed before its fix) -----------------------------------------
def test_a_recording_with_a_second_header_never_hides_its_leaks(tmp_path):
    """A run killed before its first request, then a whole leaking run written into the same
    file: every request was judged by the first header, the leaks gone, exit 0."""
    from .audit_runs import write_run

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    clean = write_run(clean_plan(), tmp_path / "a")
    leaking = write_run(leaking_plan(), tmp_path / "b")
    pieced = tmp_path / "pieced.jsonl"
    pieced.write_text(clean.read_text().splitlines()[0] + "\n" + leaking.read_text())
    out = goscope("audit", str(pieced))
    assert out.returncode == 3, out.stdout  # leaks seen, and the verdict said incomplete
    assert "INCOMPLETE" in out.stdout and "second header" in out.stdout


def test_an_export_missing_a_tables_files_is_no_verdict(tmp_path):
    """A partial copy of an export (its leaks directory gone) read as a clean set, exit 0."""
    from .audit_runs import write_run

    path = write_run(leaking_plan(), tmp_path)
    lake = tmp_path / "lake"
    assert goscope("export", "--parquet", str(lake), str(path)).returncode == 0
    assert goscope("audit", str(lake)).returncode == 3
    shutil.rmtree(lake / "leaks")
    out = goscope("audit", str(lake))
    assert out.returncode == 2 and "missing, so the run's leaks are unknown" in out.stderr
    out = goscope("audit", str(lake), "--skip-bad")
    assert out.returncode == 4, out.stdout


def test_a_report_that_does_not_say_it_is_complete_is_not(tmp_path):
    old = tmp_path / "old.json"
    old.write_text('{"schema_version":1,"events":[],"fetches":[],"leaks":[],"go_errors":[]}')
    out = goscope("audit", str(old))
    assert out.returncode == 4, out.stdout
    assert "does not say its verdict is complete" in out.stdout


def test_what_a_bad_file_quotes_is_redacted(tmp_path, run_set):
    token = "ghp_" + "A1b2C3d4" * 5
    report = next(
        r for p in sorted(run_set.glob("*.json")) if (r := json.loads(p.read_text()))["leaks"]
    )
    report["events"][0]["duration_ms"] = token  # refused, and quoted in the refusal
    report.pop("context", None)
    report["senders"] = [{"id": 1, "cwd": f"/w/{token}"}]
    (tmp_path / "bad.json").write_text(json.dumps(report))
    out = goscope("audit", str(tmp_path / "bad.json"))
    assert out.returncode == 2 and "duration_ms" in out.stderr and token not in out.stderr
    recording = next(run_set.glob("*.jsonl"))
    out = goscope("audit", str(tmp_path / "bad.json"), str(recording), "--skip-bad",
                  "--json", "-")  # fmt: skip
    assert out.returncode in (3, 4) and token not in out.stdout + out.stderr
    report["events"][0]["duration_ms"] = 1.0  # readable now: the directory is the repository
    (tmp_path / "bad.json").write_text(json.dumps(report))
    out = goscope("audit", str(tmp_path / "bad.json"), "--json", "-")
    assert token not in out.stdout and "REDACTED" in out.stdout, out.stdout[:2000]


def test_a_reports_leak_kind_is_one_goscope_names_and_a_huge_number_is_data(tmp_path, run_set):
    from .audit_runs import write_run

    path = write_run(leaking_plan(), tmp_path)
    (tmp_path / "r.json").write_text(json.dumps(report_from_recording(str(path)).to_dict()))
    report = json.loads((tmp_path / "r.json").read_text())
    report["leaks"][0]["kind"] = "sumdb\x1b]0;PWNED\x07"
    report["leaks"][0]["requests"] = 2**64
    (tmp_path / "r.json").write_text(json.dumps(report))
    out = goscope("audit", str(tmp_path / "r.json"))
    assert out.returncode == 3, out.stderr
    assert "\x1b" not in out.stdout and "PWNED" not in out.stdout
    big = tmp_path / "big.jsonl"
    lines = path.read_text().splitlines()
    end = json.loads(lines[-1])
    end["exit_code"] = 2**64 - 1
    big.write_text("\n".join([*lines[:-1], json.dumps(end)]) + "\n")
    out = goscope("audit", str(big))
    assert out.returncode == 3 and "Traceback" not in out.stderr, out.stderr


def test_no_line_of_any_output_is_an_azure_pipelines_command(tmp_path):
    """`##vso[task.setvariable]` in a crafted go version reached the text verdict and
    `--json -` as it was: Azure Pipelines would have set GOPROXY for every later step."""
    from .audit_runs import write_run

    path = write_run(leaking_plan(), tmp_path)

    def forge(lines):
        lines[-1]["go_version"] = "##vso[task.setvariable variable=GOPROXY]https://evil.example"

    rewrite(path, forge)
    for extra in ([], ["--json", "-"], ["--markdown", "-"]):
        out = goscope("audit", str(path), *extra)
        assert out.returncode == 3, out.stderr
        assert "##vso[" not in out.stdout + out.stderr, extra
    out = goscope("audit", str(path), "--json", "-")
    assert json.loads(out.stdout)["go_versions"][0]["go_version"].startswith("##vso[")
