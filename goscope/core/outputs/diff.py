"""`goscope diff A B`: what changed between two runs ("works on my laptop, fails in CI").

Both sides are reports in their JSON form (a recording is reported first). Per
module@version and endpoint: who served it in A and in B, the chain, the
result; then leaks and go errors that appeared or went, the time and bytes per
module, and the Go environment's differences with their origins. B regressed
when it has a leak, a failed fetch or a go error that A did not, or when its
command failed where A's did not (go's verdict is the final word, placed or not).
A side that is incomplete (its proxy died, its recording was cut) never yields
"no regression": the verdict is then "incomplete".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from ..hosts import host_key
from ..safe.redact import redact_host, redact_value
from ..safe.visible import markdown_cell, markdown_code

Key = tuple[str, str | None, str]


@dataclass
class FetchChange:
    module: str
    version: str | None
    endpoint: str
    a: str  # "served by X" / "failed" / "not fetched"
    b: str
    a_chain: str
    b_chain: str


@dataclass
class EnvChange:
    variable: str
    a: str
    a_origin: str
    b: str
    b_origin: str


@dataclass
class ChangeGroup:
    """Fetches that changed the same way (same results, same chains), whatever module."""

    a: str
    b: str
    a_chain: str
    b_chain: str
    why: str  # the change in words: `not made in B: …`
    changes: list[FetchChange] = field(default_factory=list)


@dataclass
class Totals:
    """One side at a glance, counted as its report lists them."""

    requests: int = 0
    modules: int = 0
    fetches: int = 0
    lookups: int = 0  # checksum database lookups, which the report counts apart
    failed: int = 0
    leaks: int = 0
    exit_code: int | None = None

    @property
    def failures(self) -> str:
        """As the report's summary says it: a failed command never reads "0 failed"."""
        return f"{self.failed} failed" if self.failed or not self.exit_code else "go failed"

    def text(self) -> str:
        exit_text = "exit -" if self.exit_code is None else f"exit {self.exit_code}"

        def n(count: int, word: str, plural: str) -> str:
            return f"{count} {word if count == 1 else plural}"

        return (
            f"{n(self.requests, 'request', 'requests')} · {n(self.modules, 'module', 'modules')}"
            f" · {n(self.fetches, 'fetch', 'fetches')} · {n(self.lookups, 'lookup', 'lookups')}"
            f" · {self.failures} · "
            f"{n(self.leaks, 'leak', 'leaks')} · {exit_text}"
        )


@dataclass
class Diff:
    fetches: list[FetchChange] = field(default_factory=list)
    totals: tuple[Totals, Totals] = (Totals(), Totals())
    new_leaks: list[dict[str, Any]] = field(default_factory=list)
    gone_leaks: list[dict[str, Any]] = field(default_factory=list)
    new_errors: list[dict[str, Any]] = field(default_factory=list)
    gone_errors: list[dict[str, Any]] = field(default_factory=list)
    environment: list[EnvChange] = field(default_factory=list)
    timing: list[dict[str, Any]] = field(default_factory=list)  # per module: ms and bytes
    exit_codes: tuple[int | None, int | None] = (None, None)
    incomplete_a: list[str] = field(default_factory=list)
    incomplete_b: list[str] = field(default_factory=list)
    # What each side's leaks were judged by (--private, --trusted): leaks compared under two
    # patterns are no change in the traffic, and said so.
    judging: tuple[dict[str, Any], dict[str, Any]] = ({}, {})

    @property
    def judged_apart(self) -> str:
        """How A's and B's judging differ, in words; "" when they do not."""
        parts = []
        for key in ("private", "trusted"):
            a, b = (_judged_by(side, key) for side in self.judging)
            if a != b:
                parts.append(f"--{key} {a or '(none)'} in A, {b or '(none)'} in B")
        return "; ".join(parts)

    @property
    def command_failed(self) -> bool:
        """B's command failed where A's did not: a regression whatever goscope placed."""
        a, b = self.exit_codes
        return bool(b) and not a

    @property
    def regressed(self) -> bool:
        failed = any(c.b == "failed" and c.a != "failed" for c in self.fetches)
        return bool(self.new_leaks or self.new_errors or failed or self.command_failed)

    @property
    def incomplete(self) -> bool:
        return bool(self.incomplete_a or self.incomplete_b)

    @property
    def verdict(self) -> str:
        """`regressed`, `incomplete` (no verdict: a side is not the whole run), or `clean`."""
        if self.regressed:
            return "regressed"
        return "incomplete" if self.incomplete else "clean"

    def groups(self) -> list[ChangeGroup]:
        """The fetch changes grouped by what changed, biggest group first: 312 fetches
        not made in B are one line, not 312."""
        groups: dict[tuple[str, str, str, str], ChangeGroup] = {}
        stopped = bool(self.exit_codes[1])  # B's go failed: it may have stopped before
        for c in self.fetches:
            key = (c.a, c.b, c.a_chain, c.b_chain)
            if key not in groups:
                groups[key] = ChangeGroup(c.a, c.b, c.a_chain, c.b_chain, _why(c, stopped))
            groups[key].changes.append(c)
        # Failures in B first (what a reader came for), then by size.
        return sorted(groups.values(), key=lambda g: (g.b != "failed", -len(g.changes)))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {
            "regressed": self.regressed,
            "verdict": self.verdict,
            "command_failed": self.command_failed,
            "judging": {"a": self.judging[0], "b": self.judging[1]},
            "judged_apart": self.judged_apart,
            "totals": {"a": asdict(self.totals[0]), "b": asdict(self.totals[1])},
            "groups": [
                {k: v for k, v in asdict(g).items() if k != "changes"} | {"count": len(g.changes)}
                for g in self.groups()
            ],
        }


def _judged_by(judging: dict[str, Any], key: str) -> str:
    """As judging reads it, redacted (a report's JSON is anyone's file: a token in it)."""
    value = judging.get(key) or ""
    if isinstance(value, list):  # hosts: compared as judging compares them
        return ",".join(sorted({redact_host(host_key(str(v))) for v in value}))
    return redact_value(str(value))


JUDGED_APART = "A and B were judged by different patterns"
JUDGED_APART_WHY = (
    "a leak in one may be none in the other: give --private and --trusted to judge both alike"
)


def _why(c: FetchChange, b_stopped: bool) -> str:
    """A fetch change in words, as a reader of two CI runs would put it."""
    if c.b == "not fetched" and b_stopped:
        return f"not made in B ({c.a} in A): B's go failed, maybe before it got there"
    if c.b == "not fetched":
        return f"not made in B ({c.a} in A): B's module cache had it (warm), or B needed less"
    if c.a == "not fetched":
        return f"made only in B ({c.b}): A's module cache had it, or B needed more"
    if c.b == "failed" and c.a != "failed":
        return f"failed in B ({c.a} in A)"
    if c.a == "failed" and c.b != "failed":
        return f"fixed in B ({c.b}; failed in A)"
    if c.a != c.b:
        return f"{c.b} in B ({c.a} in A)"
    return f"{c.b} in both, by another path in B"


def _totals(report: dict[str, Any]) -> Totals:
    # Counted as the report's summary counts them (term/summary.py: module_fetches, and the
    # checksum database's lookups apart), so one recording reads the same in both: diff
    # said 12 fetches where the report said 9 and 2 lookups.
    listed_fetches = report.get("fetches", [])
    fetches = list(_fetches(report).values())
    modules = {(f["module"], f["version"]) for f in fetches if f.get("kind") != "sumdb"}
    # The report's own count where it has one: it joins a version-less ask (@v/list) to the
    # version go chose, so diff's line and the report's summary say the same number.
    listed = report.get("modules")
    return Totals(
        requests=len(report.get("events", [])),
        modules=len(listed) if isinstance(listed, list) else len(modules),
        fetches=sum(
            1 for f in listed_fetches if f.get("kind") != "sumdb" and f["result"] != "absent"
        ),
        lookups=sum(
            1 for f in listed_fetches if f.get("kind") == "sumdb" and f["endpoint"] == "lookup"
        ),
        failed=failed if type(failed := report.get("failed")) is int else 0,
        leaks=len(report.get("leaks", [])),
        exit_code=report.get("exit_code"),
    )


_STR, _OPT_STR, _OPT_INT = (str,), (str, type(None)), (int, type(None))
_OPT_NUM = (int, float, type(None))
# What diff reads of each entry, and the JSON types it must have.
_SHAPES: dict[str, dict[str, tuple[type, ...]]] = {
    "fetches": {
        "module": _STR,
        "version": _OPT_STR,
        "endpoint": _STR,
        "result": _STR,
        "served_by": _OPT_STR,
    },
    "attempts": {"host": _STR, "proxy": _OPT_STR, "status": _OPT_INT, "error": _OPT_STR},
    "leaks": {"module": _STR, "host": _STR, "kind": _STR, "severity": _STR},
    "go_errors": {"kind": _STR, "line": _STR, "module": _OPT_STR, "version": _OPT_STR},
    "events": {
        "module": _OPT_STR,
        "version": _OPT_STR,
        "duration_ms": _OPT_NUM,
        "response_bytes": _OPT_INT,
    },
}


def _check_entries(entries: Any, what: str, name: str) -> None:
    if not isinstance(entries, list):
        raise ValueError(f"{name}: not a goscope report (no {what} list)")
    shape = _SHAPES[what]
    for entry in entries:
        if not isinstance(entry, dict):
            raise ValueError(f"{name}: not a goscope report (an entry of {what} is not an object)")
        for key, types in shape.items():
            value = entry.get(key, KeyError)
            if type(value) not in types:
                raise ValueError(f"{name}: not a goscope report ({what}: {key} is {value!r})")


def check_report(data: Any, name: str) -> dict[str, Any]:
    """A goscope report's JSON form, or ValueError saying why it is not one: every field
    diff reads has its type, so nothing crafted ends in a traceback (exit 1, 'regressed')."""
    if not isinstance(data, dict):
        raise ValueError(f"{name}: not a goscope report (not a JSON object)")
    for key in ("fetches", "leaks", "go_errors"):
        _check_entries(data.get(key), key, name)
    for fetch in data["fetches"]:
        _check_entries(fetch.get("attempts"), "attempts", name)
    _check_entries(data.get("events", []), "events", name)
    code = data.get("exit_code")
    if code is not None and type(code) is not int:
        raise ValueError(f"{name}: not a goscope report (exit_code is not a number)")
    environment = data.get("environment")
    if environment is not None and not (
        isinstance(environment, dict)
        and all(
            isinstance(v, dict) and all(isinstance(x, str) for x in v.values())
            for v in environment.values()
        )
    ):
        raise ValueError(f"{name}: not a goscope report (environment is not variables)")
    incomplete = data.get("incomplete", [])
    if not isinstance(incomplete, list) or not all(isinstance(x, str) for x in incomplete):
        raise ValueError(f"{name}: not a goscope report (incomplete is not a list of reasons)")
    if data.get("complete") is False and not incomplete:
        data["incomplete"] = ["the report says it is incomplete"]
    return data


def _chain(fetch: dict[str, Any]) -> str:
    """`proxy-a 404 → proxy-b 200`; each GOPROXY entry named when two share a host."""
    attempts = fetch["attempts"]
    hosts = [a["host"] for a in attempts if a["proxy"] not in ("off", "direct")]
    repeated = len(hosts) != len(set(hosts))

    def name(a: dict[str, Any]) -> str:
        if repeated and a["proxy"] not in (None, "off", "direct"):
            return a["proxy"].split("://", 1)[-1].rstrip("/") or a["host"]
        return a["host"]

    return " → ".join(
        "off"
        if a["proxy"] == "off"
        else f"{name(a)} {a['status'] if a['status'] is not None else a['error'] or '-'}"
        for a in attempts
    )


def _verdict(fetch: dict[str, Any] | None) -> str:
    if fetch is None:
        return "not fetched"
    if fetch["result"] == "served":
        return f"served by {fetch['served_by']}"
    return fetch.get("rejected") or fetch["result"]


_FAILED = ("failed", "rejected")  # go refused it: a fetch that failed, or a checksum it rejected


def _fetches(report: dict[str, Any]) -> dict[Key, dict[str, Any]]:
    out: dict[Key, dict[str, Any]] = {}
    for fetch in report.get("fetches", []):
        if fetch.get("probe_of") and fetch["result"] != "served":
            continue  # a prefix probe's "no module here"
        key = (fetch["module"], fetch["version"], fetch["endpoint"])
        # Two processes may fetch one file: a failure of either is the run's, whichever
        # came last (before, the order of the lines decided whether B regressed).
        if key not in out or fetch["result"] in _FAILED or out[key]["result"] not in _FAILED:
            out[key] = fetch
    return out


def _leak_key(leak: dict[str, Any]) -> tuple[str, str, str, bool]:
    # Whether it left: a leak the guard stopped in A that reached the host in B is B's
    # regression (both read "1 leak", and diff said no regression, exit 0).
    return (leak["module"], leak["host"], leak["kind"], leak.get("blocked") is True)


def leak_state(leak: dict[str, Any]) -> str:
    """`proxy, sent` or `sumdb, stopped by the guard`: whether it left is the point."""
    return f"{leak['kind']}, {'stopped by the guard' if leak.get('blocked') is True else 'sent'}"


def _changed_leaks(
    la: dict[tuple[str, str, str, bool], Any], lb: dict[tuple[str, str, str, bool], Any]
) -> list[Any]:
    """B's leaks A did not have, but not one the guard stopped in B that A let out."""
    return [leak for k, leak in lb.items() if k not in la and not (k[3] and (*k[:3], False) in la)]


def _error_key(error: dict[str, Any]) -> tuple[str, str]:
    subject = error.get("module") or error.get("query") or ""
    version = error.get("version")
    return (error["kind"], f"{subject}@{version}" if version else subject)


def _per_module(report: dict[str, Any]) -> dict[str, tuple[float, int]]:
    """Time and bytes per module@version, for the modules the report lists: each fetch's
    requests (its attempts' seqs), a version-less ask (@v/list) joined to the one version
    go chose (its newest, as the report joins it), prefix probes and checksum lookups left out. Per event, a `go get` of one
    package read as five modules where the report has one."""
    events = {e.get("seq"): e for e in report.get("events", []) if isinstance(e, dict)}
    fetches = report.get("fetches", [])
    # As the report groups them (verdicts.py `module_groups`): a version-less ask joins the
    # module's newest version.
    newest = {f["module"]: f["version"] for f in fetches if f["version"]}
    totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
    for fetch in fetches:
        if fetch.get("kind") == "sumdb" or fetch.get("result") == "absent":
            continue
        module = fetch["module"]
        version = fetch["version"] or newest.get(module)
        name = f"{module}@{version}" if version else module
        for attempt in fetch.get("attempts") or []:
            for seq in attempt.get("seqs") or [] if isinstance(attempt, dict) else []:
                event = events.get(seq)
                if event is not None:
                    totals[name][0] += event.get("duration_ms") or 0.0
                    totals[name][1] += max(event.get("response_bytes") or 0, 0)
    return {k: (v[0], int(v[1])) for k, v in totals.items()}


def diff_reports(a: dict[str, Any], b: dict[str, Any]) -> Diff:
    diff = Diff()
    diff.totals = (_totals(a), _totals(b))
    diff.exit_codes = (a.get("exit_code"), b.get("exit_code"))
    diff.incomplete_a = list(a.get("incomplete") or [])
    diff.incomplete_b = list(b.get("incomplete") or [])
    judged = [side.get("judging") for side in (a, b)]
    diff.judging = tuple(j if isinstance(j, dict) else {} for j in judged)  # type: ignore[assignment]
    fa, fb = _fetches(a), _fetches(b)
    for key in sorted(fa.keys() | fb.keys(), key=lambda k: (k[0], k[1] or "", k[2])):
        x, y = fa.get(key), fb.get(key)
        va, vb = _verdict(x), _verdict(y)
        ca, cb = (_chain(x) if x else ""), (_chain(y) if y else "")
        if va != vb or ca != cb:
            diff.fetches.append(FetchChange(key[0], key[1], key[2], va, vb, ca, cb))
    la = {_leak_key(leak): leak for leak in a.get("leaks", [])}
    lb = {_leak_key(leak): leak for leak in b.get("leaks", [])}
    diff.new_leaks = _changed_leaks(la, lb)
    diff.gone_leaks = _changed_leaks(lb, la)
    ea = {_error_key(e): e for e in a.get("go_errors", [])}
    eb = {_error_key(e): e for e in b.get("go_errors", [])}
    diff.new_errors = [eb[k] for k in eb.keys() - ea.keys()]
    diff.gone_errors = [ea[k] for k in ea.keys() - eb.keys()]
    env_a, env_b = a.get("environment") or {}, b.get("environment") or {}
    for var in sorted(env_a.keys() | env_b.keys()):
        x, y = env_a.get(var, {}), env_b.get(var, {})
        if x.get("value", "") != y.get("value", ""):
            diff.environment.append(
                EnvChange(
                    var,
                    x.get("value", ""),
                    x.get("origin", ""),
                    y.get("value", ""),
                    y.get("origin", ""),
                )
            )
    ta, tb = _per_module(a), _per_module(b)
    for module in sorted(ta.keys() | tb.keys()):
        (ms_a, bytes_a), (ms_b, bytes_b) = ta.get(module, (0.0, 0)), tb.get(module, (0.0, 0))
        diff.timing.append(
            {
                "module": module,
                "a_ms": round(ms_a, 1),
                "b_ms": round(ms_b, 1),
                "a_bytes": bytes_a,
                "b_bytes": bytes_b,
            }
        )
    return diff


MARKDOWN_EXAMPLES = 10  # fetches named per group without --full


def diff_markdown(diff: Diff, a_name: str, b_name: str, full: bool = False) -> str:
    """For a pull request comment or a job summary; every value from the wire escaped."""
    lines = [
        f"### goscope diff: {markdown_code(a_name, table=False)} → "
        f"{markdown_code(b_name, table=False)}",
        "",
    ]
    lines.append(
        {
            "regressed": "**B regressed.**",
            "incomplete": "**Incomplete: no verdict.**",
            "clean": "No regression in B.",
        }[diff.verdict]
    )
    if diff.command_failed:
        lines += ["", f"B's command failed (exit {diff.exit_codes[1]}); A's did not."]
    if diff.judged_apart:
        lines += ["", f"{JUDGED_APART} ({markdown_cell(diff.judged_apart)}): {JUDGED_APART_WHY}."]
    for side, reasons in (("A", diff.incomplete_a), ("B", diff.incomplete_b)):
        if reasons:
            lines += ["", f"**{side} is incomplete:**", ""]
            lines += [f"- {markdown_cell(r)}" for r in reasons]
    a_totals, b_totals = diff.totals
    lines += [
        "",
        "| | requests | modules | fetches | lookups | failed | leaks | exit |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for side, t in (("A", a_totals), ("B", b_totals)):
        code = "-" if t.exit_code is None else str(t.exit_code)
        lines.append(
            f"| {side} | {t.requests} | {t.modules} | {t.fetches} | {t.lookups} | "
            f"{t.failed if t.failed or not t.exit_code else 'go failed'} "
            f"| {t.leaks} | {code} |"
        )
    groups = diff.groups()
    if groups:
        lines += ["", f"**{len(diff.fetches)} fetches differ**", ""]
        lines += ["| fetches | what changed | A | B |", "| --- | --- | --- | --- |"]
        for g in groups:
            lines.append(
                f"| {len(g.changes)} | {markdown_cell(g.why)} | {markdown_code(g.a_chain or '-')} | "
                f"{markdown_code(g.b_chain or '-')} |"
            )
        for g in groups:
            shown = g.changes if full else g.changes[:MARKDOWN_EXAMPLES]
            names = [
                f"{markdown_code(f'{c.module}@{c.version}' if c.version else c.module)} "
                f"{markdown_cell(c.endpoint)}"
                for c in shown
            ]
            more = len(g.changes) - len(shown)
            if more:
                names.append(f"and {more} more (`goscope diff --full`)")
            lines += [
                "",
                f"<details><summary>{len(g.changes)} {markdown_cell(g.why)}</summary>",
                "",
                *(f"- {n}" for n in names),
                "",
                "</details>",
            ]
    for title, items in (("New leaks", diff.new_leaks), ("Gone leaks", diff.gone_leaks)):
        if items:
            lines += ["", f"**{title}**", ""]
            lines += [
                f"- {markdown_code(x['module'], table=False)} → {markdown_code(x['host'], table=False)} "
                f"({markdown_cell(leak_state(x))}, {markdown_cell(x['severity'])})"
                for x in items
            ]
    for title, items in (("New go errors", diff.new_errors), ("Gone go errors", diff.gone_errors)):
        if items:
            lines += ["", f"**{title}**", ""]
            lines += [
                f"- {markdown_cell(x['kind'])}: {markdown_code(x['line'], table=False)}"
                for x in items
            ]
    if diff.environment:
        lines += ["", "| variable | A | B |", "| --- | --- | --- |"]
        for e in diff.environment:
            lines.append(
                f"| {markdown_cell(e.variable)} | {markdown_code(e.a)} ({markdown_cell(e.a_origin)}) | "
                f"{markdown_code(e.b)} ({markdown_cell(e.b_origin)}) |"
            )
    return "\n".join(lines) + "\n"
