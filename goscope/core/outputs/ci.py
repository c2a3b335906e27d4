"""CI outputs: GitHub Actions annotations and a Markdown job summary of a report.

Annotations (`::error title=…::message`) follow GitHub's workflow-command escaping:
`%`, CR and LF in the message; also `:` and `,` in properties. Every text from the
wire is escaped for display first, so a hostile module path cannot forge a command.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from ..gorules.goerrors import TITLES
from ..safe.visible import markdown_cell, visible
from ..traffic.explain import chain_line
from .export import write_private

if TYPE_CHECKING:
    from ..judging.leaks import LeakGroup
    from .report import Report


def _data(text: str) -> str:
    return visible(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def leak_sentence(leak: LeakGroup) -> str:
    where = "checksum database" if leak.kind == "sumdb" else "proxy"
    endpoints = f" ({', '.join(leak.endpoints)})" if leak.endpoints else ""
    if leak.blocked:
        return (
            f"{leak.module} was about to be sent to the {where} {leak.host}{endpoints}: "
            "goscope's guard stopped it, but the configuration still sends it there"
        )
    return f"{leak.module} was sent to the {where} {leak.host}{endpoints}"


def github_annotations(report: Report) -> list[str]:
    """One workflow command per leak, go error and doctor error or warning; an incomplete
    verdict first."""
    out = []
    if report.incomplete:
        text = "the verdict does not cover the whole run: " + "; ".join(report.incomplete)
        out.append(f"::error title={_prop('goscope: incomplete verdict')}::{_data(text)}")
    for leak in report.leak_groups:
        level = "error" if leak.severity in ("high", "medium") else "warning"
        message = leak_sentence(leak)
        if leak.fix:
            message += f". Fix: {leak.fix}"
        title = "prevented private module leak" if leak.blocked else "private module leak"
        out.append(
            f"::{level} title={_prop(f'goscope: {title} ({leak.severity})')}::{_data(message)}"
        )
    failed_lines = {line for chain in report.failed for line in chain.go_errors}
    for error in report.go_errors:
        if error.line in failed_lines or error in report.loose_errors:
            text = f"{error.line} — {error.explanation}"
            title = f"goscope: go: {TITLES.get(error.kind, error.kind)}"
            out.append(f"::error title={_prop(title)}::{_data(text)}")
    for finding in report.findings:
        if finding["severity"] in ("error", "warning"):
            text = finding["message"] + (f". Fix: {finding['fix']}" if finding.get("fix") else "")
            title = _prop(f"goscope doctor: {finding['id']}")
            out.append(f"::{finding['severity']} title={title}::{_data(text)}")
    return out


def summary_markdown(report: Report) -> str:
    """The headless summary as Markdown, for $GITHUB_STEP_SUMMARY or a PR comment."""
    failed = report.failure_count
    # As the summary: a failed command never reads "0 failed".
    failures = f"{failed} failed" if failed or not report.exit_code else "go failed"
    groups = report.leak_groups
    blocked = sum(g.blocked for g in groups)
    leaks = f"{len(groups)} leaks" + (f" ({blocked} blocked)" if blocked else "")
    lines = [
        "### goscope",
        "",
        f"{len(report.events)} requests · {failures} · {leaks}"
        + (f" · exit {report.exit_code}" if report.exit_code is not None else "")
        + (f" · {markdown_cell(report.go_version)}" if report.go_version else "")
        + (" · **INCOMPLETE**" if report.incomplete else ""),
    ]
    if report.incomplete:
        lines += ["", "**Incomplete: the counts above do not cover the whole run.**", ""]
        lines += [f"- {markdown_cell(reason)}" for reason in report.incomplete]
    if report.foreign:
        lines += [
            "",
            f"Refused {len(report.foreign)} connection(s) from processes goscope did not wire "
            "(407, not judged).",
        ]
    if report.failed or report.loose_errors:
        lines += ["", "| failed | endpoint | chain | go said |", "| --- | --- | --- | --- |"]
        for chain in report.failed:
            name = f"{chain.module}@{chain.version}" if chain.version else chain.module
            hops = chain_line(chain)
            said = "; ".join(chain.go_errors) or chain.rejected or ""
            lines.append(
                f"| `{markdown_cell(name)}` | {markdown_cell(chain.endpoint)} | {markdown_cell(hops)} | `{markdown_cell(said)}` |"
            )
        for error in report.loose_errors:
            lines.append(
                f"| `{markdown_cell(error.subject or 'go')}` | | | `{markdown_cell(error.line)}` |"
            )
    if groups:
        lines += [
            "",
            "| leak | sent to | endpoints | severity | blocked | fix |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for leak in groups:
            lines.append(
                f"| `{markdown_cell(leak.module)}` | {markdown_cell(leak.host)} ({markdown_cell(leak.kind)}) | "
                f"{markdown_cell(', '.join(leak.endpoints) or '-')} | {markdown_cell(leak.severity)} | "
                f"{'yes: prevented' if leak.blocked else 'no'} | "
                + (f"`{markdown_cell(leak.fix)}` |" if leak.fix else "- |")
            )
    shown = [f for f in report.findings if f["severity"] in ("error", "warning")]
    if shown:
        lines += ["", "| doctor | severity | message |", "| --- | --- | --- |"]
        for f in shown:
            lines.append(
                f"| {markdown_cell(f['id'])} | {markdown_cell(f['severity'])} | {markdown_cell(f['message'])} |"
            )
    return "\n".join(lines) + "\n"


SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def sarif_document(report: Report, version: str) -> dict[str, object]:
    """Leaks, go's errors and the doctor's errors and warnings as SARIF 2.1.0 results (for
    code scanning); each result points at go.mod, the file that selects the modules."""
    rules: dict[str, dict[str, object]] = {}
    results: list[dict[str, object]] = []

    def add(rule: str, level: str, text: str, description: str) -> None:
        rules.setdefault(rule, {"id": rule, "shortDescription": {"text": description}})
        results.append(
            {
                "ruleId": rule,
                "level": level,
                "message": {"text": visible(text)},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": "go.mod"}}}],
            }
        )

    for reason in report.incomplete:
        add(
            "incomplete-verdict",
            "error",
            f"the verdict does not cover the whole run: {reason}",
            "goscope could not see or record the whole run",
        )
    for leak in report.leak_groups:
        text = f"{leak_sentence(leak)} ({leak.severity})"
        add(
            "private-module-leak",
            "error" if leak.severity in ("high", "medium") else "warning",
            text + (f". Fix: {leak.fix}" if leak.fix else ""),
            "A private module path reached a proxy or checksum database",
        )
    for error in report.go_errors:
        add(
            f"go-{error.kind}",
            "error",
            f"{error.line} — {error.explanation}",
            f"go: {TITLES.get(error.kind, error.kind.replace('-', ' '))}",
        )
    for finding in report.findings:
        if finding["severity"] in ("error", "warning"):
            fix = f". Fix: {finding['fix']}" if finding.get("fix") else ""
            add(
                f"doctor-{finding['id']}",
                _LEVELS[finding["severity"]],
                finding["message"] + fix,
                f"goscope doctor: {finding['id']}",
            )
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {"name": "goscope", "version": version, "rules": list(rules.values())}
                },
                "results": results,
                "invocations": [
                    {
                        "executionSuccessful": not report.incomplete,
                        "toolExecutionNotifications": [
                            {"level": "error", "message": {"text": visible(reason)}}
                            for reason in report.incomplete
                        ],
                    }
                ],
            }
        ],
    }


def write_ci_outputs(
    report: Report,
    markdown: str | None,
    sarif: str | None,
    version: str,
    annotations: bool = True,
) -> None:
    """GitHub Actions annotations (when GITHUB_ACTIONS is set) on stdout, and the Markdown
    summary and SARIF when asked for."""
    if annotations and os.environ.get("GITHUB_ACTIONS") == "true":
        for line in github_annotations(report):
            print(line, flush=True)
    if markdown:
        write_private(Path(markdown), summary_markdown(report))
    if sarif:
        document = sarif_document(report, version)
        write_private(Path(sarif), json.dumps(document, indent=2) + "\n")
