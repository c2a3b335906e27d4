"""CI outputs: GitHub Actions annotations and a Markdown job summary of a report.

Annotations (`::error title=…::message`) follow GitHub's workflow-command escaping:
`%`, CR and LF in the message; also `:` and `,` in properties. Every text from the
wire is escaped for display first, so a hostile module path cannot forge a command.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import Counter
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from ..gorules.goerrors import TITLES, GoError
from ..gorules.gomod import main_module_place, module_place
from ..safe.jsontext import pretty_json
from ..safe.visible import defuse_anywhere, markdown_cell, markdown_code, visible
from ..traffic.explain import chain_line
from ..vocab import counted
from .export import write_private, write_summary

if TYPE_CHECKING:
    from ..judging.leaks import LeakGroup
    from .report import Report


def _data(text: str) -> str:
    text = defuse_anywhere(visible(text))  # `##[` is obeyed anywhere in a line
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


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


@dataclass(frozen=True)
class CiResult:
    """One thing CI reports, the same in the annotations and in SARIF: a leak per module
    and host (its endpoints listed), go's errors per kind and module, a doctor finding,
    an incomplete verdict."""

    rule: str
    level: str  # error | warning | note (SARIF's; annotations say notice for note)
    title: str
    message: str
    key: str  # what makes it the same result in the next run (partialFingerprints)
    module: str | None = None  # placed at the go.mod line that names it
    version: str | None = None


LEVEL_ORDER = {"error": 0, "warning": 1, "note": 2}


def ci_results(report: Report) -> list[CiResult]:
    """Everything CI reports, most severe first (GitHub shows only the first ten of each
    level per step)."""
    out: list[CiResult] = []
    for reason in report.incomplete:
        out.append(
            CiResult(
                "incomplete-verdict",
                "error",
                "goscope: incomplete verdict",
                f"the verdict does not cover the whole run: {reason}",
                # Without its numbers ("2 connection(s)", a time): the same trouble next run
                # is the same alert, not one closed and another opened.
                _DIGITS.sub("N", reason),
            )
        )
    for leak in report.leak_groups:
        message = leak_sentence(leak) + (f". Fix: {leak.fix}" if leak.fix else "")
        title = "prevented private module leak" if leak.blocked else "private module leak"
        out.append(
            CiResult(
                "private-module-leak",
                "error" if leak.severity in ("high", "medium") else "warning",
                f"goscope: {title} ({leak.severity})",
                message,
                f"{leak.module} {leak.host} {leak.kind}",
                leak.module,
            )
        )
    failed_lines = {line for chain in report.failed for line in chain.go_errors}
    by_subject: dict[tuple[str, str], list[GoError]] = {}
    for error in report.go_errors:
        if error.line in failed_lines or error in report.loose_errors:
            by_subject.setdefault((error.kind, error.subject or ""), []).append(error)
    loose = {e.module for e in report.loose_errors if e.module}
    # Only when go failed: its verdict is the final word, and a fetch goscope calls failed
    # under a go that succeeded (a probe it could not tell for one) is no CI error.
    for chain in report.failed if report.exit_code != 0 else ():
        if chain.go_errors or chain.module in loose:
            continue  # said below, in go's own words
        # A failure go said nothing goscope could read about (`go mod download -json`
        # prints its errors as JSON): the summary counted it; CI must say it too.
        at = f"{chain.module}@{chain.version}" if chain.version else chain.module
        out.append(
            CiResult(
                "fetch-failed",
                "error",
                "goscope: a fetch failed",
                f"{at} ({chain.endpoint}) failed: {chain_line(chain)}",
                f"{chain.module} {chain.version or ''} {chain.endpoint}",
                chain.module,
                chain.version,
            )
        )
    for (kind, subject), errors in by_subject.items():
        first = errors[0]
        lines = list(dict.fromkeys(e.line for e in errors))
        out.append(
            CiResult(
                f"go-{kind}",
                "error",
                f"goscope: go: {TITLES.get(kind, kind.replace('-', ' '))}",
                "; ".join(lines) + f" — {first.explanation}",
                f"{kind} {subject}",
                first.module,
                first.version,
            )
        )
    # A finding's key is its id and variable, as in every run before: a value in it would
    # churn alerts whenever a port or a temporary path in it changes. Only where one run
    # holds two findings of one id and variable (processes that set it two ways) do their
    # values and origins tell them apart.
    shared = Counter((f["id"], f.get("variable")) for f in report.findings)
    for finding in report.findings:
        if finding["severity"] in ("error", "warning"):
            fix = f". Fix: {finding['fix']}" if finding.get("fix") else ""
            senders = len(finding.get("senders") or ())
            where = f" (so configured in {senders} go processes)" if senders > 1 else ""
            out.append(
                CiResult(
                    f"doctor-{finding['id']}",
                    _LEVELS[finding["severity"]],
                    f"goscope doctor: {finding['id']}",
                    finding["message"] + where + fix,
                    f"{finding['id']} {finding.get('variable') or ''}"
                    + (
                        f" {finding.get('value') or ''} {finding.get('origin') or ''}"
                        f" {finding.get('fix') or ''}"
                        if shared[finding["id"], finding.get("variable")] > 1
                        else ""
                    ),
                )
            )
    return sorted(_distinct_keys(out), key=lambda r: LEVEL_ORDER[r.level])


_DIGITS = re.compile(r"\d+")


def _distinct_keys(results: list[CiResult]) -> list[CiResult]:
    """Two results one run holds under one key (two bad GOPRIVATE patterns: one id, one
    variable, one value) were one alert to code scanning, the other dropped: the message
    (without its numbers, which change from run to run), then the order, tells them apart.
    Keys that are already distinct stay as they were."""
    count = Counter((r.rule, r.key) for r in results)
    if all(n == 1 for n in count.values()):
        return results
    out: list[CiResult] = []
    seen: Counter[tuple[str, str]] = Counter()
    for r in results:
        if count[r.rule, r.key] > 1:
            key = f"{r.key} {_DIGITS.sub('N', r.message)}"  # no pid or count: stable
            seen[r.rule, key] += 1
            if seen[r.rule, key] > 1:
                key += f" #{seen[r.rule, key]}"
            r = replace(r, key=key)
        out.append(r)
    return out


_LEVELS = {"error": "error", "warning": "warning", "info": "note"}

# GitHub shows at most 10 annotations of each level per step (50 per job): a run with more
# says how many it left out in the 10th, instead of losing them silently.
ANNOTATIONS_PER_LEVEL = 10


@dataclass(frozen=True)
class Placer:
    """Where results point: the go.mod line naming their module, relative to the
    repository (GITHUB_WORKSPACE, else the directory holding .git, else the go.mod's)."""

    workdir: Path

    @cached_property
    def root(self) -> Path:
        workspace = os.environ.get("GITHUB_WORKSPACE")
        here = self.workdir.resolve()
        if workspace and (
            here == Path(workspace).resolve() or Path(workspace).resolve() in here.parents
        ):
            return Path(workspace).resolve()
        for directory in (here, *here.parents):
            if (directory / ".git").exists():
                return directory
        return here

    def place(self, result: CiResult) -> tuple[str, int] | None:
        found = (
            module_place(self.workdir, result.module, result.version)
            if result.module
            else main_module_place(self.workdir)
        )
        if found is None:
            return None
        try:
            relative = found.path.resolve().relative_to(self.root)
        except ValueError:
            relative = Path(found.path.name)
        return relative.as_posix(), found.line


def github_annotations(report: Report, workdir: Path | None = None) -> list[str]:
    """One workflow command per CI result, most severe first, each at its file and line;
    within GitHub's per-step limit of each level."""
    placer = Placer(workdir or Path.cwd())
    results = ci_results(report)
    out: list[str] = []
    for level in ("error", "warning", "note"):
        of_level = [r for r in results if r.level == level]
        command = "notice" if level == "note" else level
        shown = of_level
        if len(of_level) > ANNOTATIONS_PER_LEVEL:
            shown = of_level[: ANNOTATIONS_PER_LEVEL - 1]
        for result in shown:
            where = placer.place(result)
            props = f"file={_prop(where[0])},line={where[1]}," if where else ""
            out.append(f"::{command} {props}title={_prop(result.title)}::{_data(result.message)}")
        if len(shown) < len(of_level):
            rest = len(of_level) - len(shown)
            text = (
                f"{rest} more {level}s than GitHub shows per step: every one is in the job "
                "summary and the SARIF"
            )
            out.append(f"::{command} title={_prop(f'goscope: {rest} more')}::{_data(text)}")
    return out


def summary_markdown(report: Report) -> str:
    """The headless summary as Markdown, for $GITHUB_STEP_SUMMARY or a PR comment."""
    failed = report.failure_count
    # As the summary: a failed command never reads "0 failed".
    failures = f"{failed} failed" if failed or not report.exit_code else "go failed"
    groups = report.leak_groups
    blocked = sum(g.blocked for g in groups)
    leaks = counted(len(groups), "leak") + (f" ({blocked} blocked)" if blocked else "")
    lines = [
        "### goscope",
        "",
        f"{counted(len(report.events), 'request')} · {failures} · {leaks}"
        + (f" · exit {report.exit_code}" if report.exit_code is not None else "")
        + (f" · {markdown_cell(report.go_version)}" if report.go_version else "")
        + (" · **INCOMPLETE**" if report.incomplete else ""),
    ]
    if report.incomplete:
        lines += ["", "**Incomplete: the counts above do not cover the whole run.**", ""]
        lines += [f"- {markdown_cell(reason)}" for reason in report.incomplete]
    if report.unwritten:  # why the job fails (exit 4) where the counts read clean
        lines += ["", "**Files goscope could not write (so the run is no success):**", ""]
        lines += [f"- {markdown_cell(line)}" for line in report.unwritten]
    overridden = (report.judging or {}).get("overridden") or []
    if overridden:  # judged by other patterns than the run's: the counts say so where kept
        lines += ["", "Judged by what the command line gave, not by the recording's own:", ""]
        # In a code span nothing is markup and escapes would show: only its own quote goes.
        lines += [f"- `{visible(str(note)).replace('`', chr(39))}`" for note in overridden]
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
                f"| {markdown_code(name)} | {markdown_cell(chain.endpoint)} | {markdown_code(hops)} | {markdown_code(said)} |"
            )
        for error in report.loose_errors:
            lines.append(
                f"| {markdown_code(error.subject or 'go')} | | | {markdown_code(error.line)} |"
            )
    if groups:
        lines += [
            "",
            "| leak | sent to | endpoints | severity | blocked | fix |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for leak in groups:
            lines.append(
                f"| {markdown_code(leak.module)} | {markdown_code(leak.host)} ({markdown_cell(leak.kind)}) | "
                f"{markdown_cell(', '.join(leak.endpoints) or '-')} | {markdown_cell(leak.severity)} | "
                f"{'yes: prevented' if leak.blocked else 'no'} | "
                + (f"{markdown_code(leak.fix)} |" if leak.fix else "- |")
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
DOCS = "https://github.com/goscope/goscope/blob/main/docs"  # as pyproject's project URLs

# Each rule family's help: what it means and what to do, and where the docs say more.
RULE_HELP: dict[str, tuple[str, str]] = {
    "private-module-leak": (
        "A module path that is private (GOPRIVATE, GONOPROXY or GONOSUMDB of the go command "
        "that sent it, or goscope's --private) reached a proxy or checksum database that is "
        "not trusted with it: its name is now in that server's logs. Cover it with GOPRIVATE "
        "(or GONOPROXY and GONOSUMDB): go then fetches it directly and never asks the "
        "checksum database. `goscope run --guard` stops such a request before it leaves.",
        f"{DOCS}/guard.md",
    ),
    "incomplete-verdict": (
        "goscope could not see or record the whole run (its proxy died, the recording was cut, "
        "a sender could not be attributed): no verdict is given, and the exit status is 4.",
        f"{DOCS}/security.md#fail-closed",
    ),
    "go": (
        "go's own error, tied to the requests behind it and explained in the terms of Go's "
        "module fetching (cmd/go/internal/modfetch).",
        f"{DOCS}/go.md",
    ),
    "doctor": (
        "A Go configuration mistake goscope's doctor names before go sends anything, with its fix.",
        f"{DOCS}/commands.md#doctor",
    ),
    "fetch-failed": (
        "A file go needed could not be fetched from any GOPROXY entry, and go said nothing "
        "goscope could tie to it (its -json output, say): the chain shows what each entry "
        "answered (cmd/go/internal/modfetch/proxy.go: 404 and 410 fall through, other errors "
        "stop a `,` list).",
        f"{DOCS}/go.md",
    ),
}


def rule_title(result: CiResult) -> str:
    """A rule's title for all its results: without one result's severity or state (a medium
    leak sat under "private module leak (high)", the title of the run's first leak)."""
    if result.rule == "private-module-leak":
        return "private module leak"
    return _SEVERITY_NOTE.sub("", result.title.removeprefix("goscope: "))


_SEVERITY_NOTE = re.compile(r" \([^()]*\)$")


def sarif_rule(result: CiResult) -> dict[str, object]:
    family = result.rule if result.rule in RULE_HELP else result.rule.split("-", 1)[0]
    text, uri = RULE_HELP.get(family, RULE_HELP["doctor"])
    return {
        "id": result.rule,
        "name": "".join(part.title() for part in result.rule.split("-")),
        "shortDescription": {"text": rule_title(result)},
        "fullDescription": {"text": text},
        "help": {"text": f"{text} {uri}", "markdown": f"{text}\n\n[goscope documentation]({uri})"},
        "helpUri": uri,
        "defaultConfiguration": {"level": result.level},
        "properties": {"tags": ["security"] if family == "private-module-leak" else ["go"]},
    }


def sarif_document(report: Report, version: str, workdir: Path | None = None) -> dict[str, object]:
    """The CI results as SARIF 2.1.0 for code scanning: one result per leak (module, host),
    go error (kind, module) and doctor finding; each at the go.mod line that names its
    module, with a fingerprint that stays the same across runs, so code scanning keeps
    one alert per problem."""
    placer = Placer(workdir or Path.cwd())
    rules: dict[str, dict[str, object]] = {}
    results: list[dict[str, object]] = []
    for result in ci_results(report):
        rules.setdefault(result.rule, sarif_rule(result))
        where = placer.place(result)
        location: dict[str, object] = {
            "artifactLocation": {"uri": where[0] if where else "go.mod", "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": where[1] if where else 1},
        }
        fingerprint = hashlib.sha256(f"{result.rule}\0{result.key}".encode()).hexdigest()
        results.append(
            {
                "ruleId": result.rule,
                "ruleIndex": list(rules).index(result.rule),
                "level": result.level,
                # The result's own title first where the rule's leaves out its severity or
                # state ("prevented private module leak (medium): …").
                "message": {"text": visible(_titled(result))},
                "locations": [{"physicalLocation": location}],
                "partialFingerprints": {"goscopeResult/v1": fingerprint[:32]},
            }
        )
    notes = [*report.incomplete, *report.unwritten]
    return sarif_log(version, list(rules.values()), "goscope/", results, not notes, notes)


def _titled(result: CiResult) -> str:
    title = result.title.removeprefix("goscope: ")
    return result.message if title == rule_title(result) else f"{title}: {result.message}"


def sarif_log(
    version: str,
    rules: list[dict[str, object]],
    category: str,
    results: list[dict[str, object]],
    successful: bool,
    notes: list[str],
) -> dict[str, object]:
    """One SARIF 2.1.0 log of one goscope run (a run's report, or an audit): `category` is
    the automation id code scanning keeps results apart by; `notes` say why the run did not
    cover everything (each escaped)."""
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "goscope",
                        "version": version,
                        "semanticVersion": version,
                        "informationUri": DOCS.rsplit("/blob/", 1)[0],
                        "rules": rules,
                    }
                },
                "automationDetails": {"id": category},
                "results": results,
                "invocations": [
                    {
                        "executionSuccessful": successful,
                        "toolExecutionNotifications": [
                            {"level": "error", "message": {"text": visible(note)}} for note in notes
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
    workdir: str | None = None,
) -> None:
    """GitHub Actions annotations (when GITHUB_ACTIONS is set) on stdout, and the Markdown
    summary and SARIF when asked for. `workdir`: where the command ran (its go.mod places
    the results)."""
    where = Path(workdir) if workdir else None
    if annotations and os.environ.get("GITHUB_ACTIONS") == "true":
        for line in github_annotations(report, where):
            print(line, flush=True)
    if markdown:
        write_summary(Path(markdown), summary_markdown(report))
    if sarif:
        document = sarif_document(report, version, where)
        write_private(Path(sarif), pretty_json(document) + "\n")
