"""An audit as people keep it: text for the terminal, Markdown for a job summary or an issue,
SARIF for code scanning (one result per private path and host).

Every value that came from a run (module paths, hosts, commands, directories) is wire text:
escaped with `visible` (text, SARIF) or `markdown_cell` (Markdown) before it is written.
The counts in each heading are the lengths of the lists below them.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ..outputs.ci import CiResult, sarif_log, sarif_rule
from ..safe.visible import defuse_commands, markdown_cell, markdown_code, visible
from .engine import Audit

HOSTS_SHOWN = 20
INCOMPLETE_SHOWN = 10


def counted(count: int, one: str, many: str | None = None) -> str:
    """`1 run`, `2 runs`, `1 repository`, `2 repositories`."""
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


_n = counted


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.0f} ms" if value >= 10 else f"{value:.1f} ms"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def wire(text: object) -> str:
    """Text from a run, for a line a CI log may show: escaped (`visible`), and never a
    workflow command. GitHub's runner (ActionCommand.cs) takes a line whose first non-space
    characters are `::` as a command, and `##[` anywhere in a line too."""
    return defuse_commands(visible(str(text)))  # `##vso[` (Azure Pipelines) too


def _names(names: list[str], total: int) -> str:
    shown = ", ".join(wire(n) for n in names)
    more = total - len(names)
    return f"{shown} (+{more} more)" if more > 0 else shown


def verdict_line(audit: Audit) -> str:
    if not audit.runs and not audit.skipped_files:
        return "INCOMPLETE: no runs in the window: nothing was judged"
    leaked = [g for g in audit.leaks if not g["blocked"]]
    stopped = len(audit.leaks) - len(leaked)
    parts = []
    if audit.leaks:
        paths = len({g["module"] for g in leaked})
        hosts = len({g["host"] for g in leaked})
        said = (
            f"{_n(paths, 'private path')} reached {_n(hosts, 'public host')} "
            f"({_n(len(leaked), 'leak')})"
            if leaked
            else "no private path left"
        )
        parts.append(said + (f", {stopped} stopped by the guard" if stopped else ""))
    else:
        parts.append("no private path reached a proxy or checksum database")
    if not audit.whole:
        why = []
        if audit.incomplete:
            why.append(_n(audit.incomplete, "run") + " incomplete")
        if audit.skipped_files:
            why.append(_n(len(audit.skipped_files), "file") + " unreadable, skipped")
        if audit.conflicts:
            why.append(_n(len(audit.conflicting_runs), "run id") + " in conflict")
        if not audit.runs:
            why.append("no run judged")
        parts.append("INCOMPLETE: " + ", ".join(why) + " (their requests may hide more)")
    return "; ".join(parts)


def window_text(audit: Audit) -> str:
    """--since/--until as given: the runs outside it were read and left out."""
    if audit.since and audit.until:
        return f"{audit.since} to {audit.until}"
    return f"since {audit.since}" if audit.since else f"until {audit.until}"


def audit_text(audit: Audit) -> str:
    lines = [
        f"goscope audit: {_n(audit.runs, 'run')} ({audit.complete:,} complete, "
        f"{audit.incomplete:,} incomplete) from {_n(audit.repositories, 'repository', 'repositories')}"
        + (f", {audit.first[:10]} to {audit.last[:10]}" if audit.first and audit.last else ""),
        f"  {_n(audit.files, 'file')} read"
        + (f", {_n(len(audit.skipped_files), 'bad file')} skipped" if audit.skipped_files else "")
        + (f", {_n(audit.duplicates, 'duplicate run')} counted once" if audit.duplicates else "")
        + f", {_n(audit.events, 'request')}"
        + (
            f"; {_n(audit.outside, 'run')} outside {window_text(audit)} left out"
            if audit.outside
            else ""
        ),
        f"verdict: {verdict_line(audit)}",
        "",
        f"Leaks: {len(audit.leaks):,} (one per private path and host)",
    ]
    for g in audit.leaks:
        state = "stopped by the guard" if g["blocked"] else "sent"
        lines.append(
            f"  {g['severity'].upper():<9} {wire(g['module'])} -> {wire(g['host'])} "
            f"({wire('/'.join(g['kinds']))}, {state}): {_n(g['runs'], 'run')}, "
            f"{_n(g['requests'], 'request')}, first {g['first_seen'] or '?'}, "
            f"last {g['last_seen'] or '?'}"
        )
        lines.append(
            f"            repositories: {_names(g['repositories'], g['repository_count'])}"
        )
        lines.append(f"            commands: {_names(g['commands'], g['command_count'])}")
        if g["note"]:
            lines.append(f"            note: {wire(g['note'])}")
        if g["fix"]:
            lines.append(f"            fix: {wire(g['fix'])}")
    lines += ["", f"Hosts: {_n(len(audit.hosts), 'host')}"]
    if audit.hosts:
        lines.append(
            f"  {'host':<34} {'runs':>6} {'requests':>9} {'failed':>7} {'not found':>9} "
            f"{'p50':>9} {'p95':>9}"
        )
    for h in audit.hosts[:HOSTS_SHOWN]:
        lines.append(
            f"  {wire(h['host']):<34} {h['runs']:>6,} {h['requests']:>9,} "
            f"{_pct(h['failed_rate']):>7} {_pct(h['not_found_rate']):>9} "
            f"{_ms(h['p50_ms']):>9} {_ms(h['p95_ms']):>9}"
        )
    if len(audit.hosts) > HOSTS_SHOWN:
        lines.append(f"  … {len(audit.hosts) - HOSTS_SHOWN:,} more (--json has all)")
    lines += ["", f"Go versions: {_n(len(audit.go_versions), 'version')}"]
    for v in audit.go_versions:
        lines.append(
            f"  {wire(v['go_version'] or 'unknown'):<16} {_n(v['runs'], 'run')}, "
            f"{(v['first'] or '?')[:10]} to {(v['last'] or '?')[:10]}"
        )
    lines += ["", f"Incomplete runs: {audit.incomplete:,}"]
    for r in audit.incomplete_runs[:INCOMPLETE_SHOWN]:
        reasons = "; ".join(r["reasons"]) or "incomplete"
        lines.append(
            f"  {wire(r['path'])} ({wire(r['repository'] or 'unknown repository')}, "
            f"{(r['started'] or '?')[:10]}): {wire(reasons)}"
        )
    if audit.incomplete > INCOMPLETE_SHOWN:
        lines.append(f"  … {audit.incomplete - INCOMPLETE_SHOWN:,} more (--json has all)")
    if audit.conflicts:
        lines += ["", f"Run ids in conflict: {len(audit.conflicting_runs):,}"]
        lines += [f"  {wire(why)}" for why in audit.conflicts[:INCOMPLETE_SHOWN]]
    if audit.skipped_files:
        lines += ["", f"Unreadable files: {len(audit.skipped_files):,}"]
        lines += [f"  {wire(why)}" for why in audit.skipped_files[:INCOMPLETE_SHOWN]]
        if len(audit.skipped_files) > INCOMPLETE_SHOWN:
            lines.append(f"  … {len(audit.skipped_files) - INCOMPLETE_SHOWN:,} more")
    return "\n".join(lines) + "\n"


def _code_list(names_total: tuple[list[str], int]) -> str:
    """Names from runs as code spans: no mention, link or emphasis can come of them."""
    names, total = names_total
    shown = ", ".join(f"{markdown_code(n)}" for n in names)
    return shown + (f" (+{total - len(names)} more)" if total > len(names) else "")


def audit_markdown(audit: Audit) -> str:
    out = [
        "## goscope audit",
        "",
        f"**{markdown_cell(verdict_line(audit))}**",
        "",
        *[f"- Not written: {markdown_cell(line)}" for line in audit.unwritten],
        *([""] if audit.unwritten else []),
        f"{_n(audit.runs, 'run')} ({audit.complete:,} complete, {audit.incomplete:,} incomplete) "
        f"from {_n(audit.repositories, 'repository', 'repositories')}"
        + (f", {audit.first[:10]} to {audit.last[:10]}" if audit.first and audit.last else "")
        + f"; {_n(audit.files, 'file')} read"
        + (f", {len(audit.skipped_files):,} unreadable" if audit.skipped_files else "")
        + (
            f"; {_n(audit.outside, 'run')} outside {window_text(audit)} left out"
            if audit.outside
            else ""
        ),
        "",
        f"### Leaks ({len(audit.leaks):,})",
        "",
    ]
    if audit.leaks:
        out += [
            "| severity | private path | host | runs | requests | first seen | last seen "
            "| repositories | fix |",
            "| --- | --- | --- | ---: | ---: | --- | --- | --- | --- |",
        ]
        for g in audit.leaks:
            state = " (stopped by the guard)" if g["blocked"] else ""
            repos = g["repositories"], g["repository_count"]
            out.append(
                f"| {g['severity']}{state} | {markdown_code(g['module'])} | "
                f"{markdown_code(g['host'])} | {g['runs']:,} | {g['requests']:,} | "
                f"{g['first_seen'] or ''} | {g['last_seen'] or ''} | {_code_list(repos)} | "
                f"{markdown_code(g['fix']) if g['fix'] else ''} |"
            )
    else:
        out.append("No private path reached a public proxy or checksum database.")
    out += ["", f"### Hosts ({len(audit.hosts):,})", ""]
    if audit.hosts:
        out += [
            "| host | runs | requests | failed | not found | p50 | p95 |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        out += [
            f"| {markdown_code(h['host'])} | {h['runs']:,} | {h['requests']:,} | "
            f"{_pct(h['failed_rate'])} | {_pct(h['not_found_rate'])} | {_ms(h['p50_ms'])} | "
            f"{_ms(h['p95_ms'])} |"
            for h in audit.hosts
        ]
    out += ["", f"### Go versions ({len(audit.go_versions):,})", ""]
    out += [
        f"- {markdown_code(v['go_version'] or 'unknown', table=False)}: {_n(v['runs'], 'run')}"
        for v in audit.go_versions
    ]
    out += ["", f"### Incomplete runs ({audit.incomplete:,})", ""]
    out += [
        f"- {markdown_code(r['path'], table=False)} "
        f"({markdown_code(r['repository'] or 'unknown', table=False)}): "
        f"{markdown_code('; '.join(r['reasons']), table=False)}"
        for r in audit.incomplete_runs
    ]
    if audit.skipped_files:
        out += ["", f"### Unreadable files ({len(audit.skipped_files):,})", ""]
        out += [f"- {markdown_code(why, table=False)}" for why in audit.skipped_files]
    if audit.conflicts:
        out += ["", f"### Run ids in conflict ({len(audit.conflicting_runs):,})", ""]
        out += [f"- {markdown_code(why, table=False)}" for why in audit.conflicts]
    return "\n".join(out) + "\n"


def audit_sarif(audit: Audit, version: str) -> dict[str, Any]:
    """One result per private path and host, its fingerprint the pair's: uploaded run after
    run, code scanning keeps one alert per leak and closes it when audits stop finding it."""
    results = []
    rule: dict[str, Any] | None = None
    for g in audit.leaks:
        state = "was about to be sent" if g["blocked"] else "was sent"
        message = (
            f"{g['module']} {state} to {g['host']} ({'/'.join(g['kinds'])}) in "
            f"{_n(g['runs'], 'run')} from {_n(g['repository_count'], 'repository', 'repositories')}"
            f" ({', '.join(g['repositories'])}), {g['first_seen'] or '?'} to "
            f"{g['last_seen'] or '?'}" + (f". Fix: {g['fix']}" if g["fix"] else "")
        )
        result = CiResult(
            "private-module-leak",
            "error" if g["severity"] in ("high", "medium") else "warning",
            f"goscope: private module leak ({g['severity']})",
            message,
            f"{g['module']} {g['host']}",
            g["module"],
        )
        rule = rule or sarif_rule(result)
        fingerprint = hashlib.sha256(f"{result.rule}\0{result.key}".encode()).hexdigest()
        results.append(
            {
                "ruleId": result.rule,
                "ruleIndex": 0,
                "level": result.level,
                "message": {"text": visible(message)},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": "go.mod", "uriBaseId": "%SRCROOT%"},
                            "region": {"startLine": 1},
                        },
                        "logicalLocations": [
                            {"name": visible(g["module"]), "kind": "module"},
                        ],
                    }
                ],
                "partialFingerprints": {"goscopeResult/v1": fingerprint[:32]},
                "properties": {
                    "host": visible(g["host"]),
                    "runs": g["runs"],
                    "repositories": [visible(r) for r in g["repositories"]],
                },
            }
        )
    notes = [f"{r['path']}: {'; '.join(r['reasons'])}" for r in audit.incomplete_runs]
    notes += [*audit.skipped_files, *audit.conflicts]
    if not audit.runs:
        notes.append("no run was judged: nothing says no private path left")
    notes += audit.unwritten
    whole = audit.whole and not audit.unwritten
    return sarif_log(version, [rule] if rule else [], "goscope-audit/", results, whole, notes)
