"""The headless summary: where each module came from, what failed and why, what leaked."""

from __future__ import annotations

from collections import defaultdict

from rich.console import Console
from rich.text import Text

from goscope.core.gorules.goerrors import GoError
from goscope.core.judging.judge import UNKNOWN_SENDER
from goscope.core.outputs.report import Report
from goscope.core.safe.visible import visible
from goscope.core.traffic.chains import FallbackChain
from goscope.core.traffic.explain import chain_line, duration_text, explain_attempt
from goscope.core.traffic.verdicts import module_fetches, module_groups
from goscope.core.vocab import counted

from . import styles
from .safe import safe_console


def stderr_console(stderr: bool = True) -> Console:
    """Wrapped for people at a terminal; one line per item in logs (CI, pipes). Whatever
    it prints has its control characters escaped (term/safe.py)."""
    console = safe_console(stderr=stderr)
    if not console.is_terminal:
        console.soft_wrap = True
    return console


def stdout_console() -> Console:
    """For commands whose output is the summary (`report`, `doctor`): `| less` works."""
    return stderr_console(stderr=False)


def render_summary(report: Report, console: Console, dropped: int = 0) -> None:
    console.print(headline(report))
    _incomplete(console, report)
    _foreign(console, report)
    _senders(console, report)
    _served(console, module_fetches(report.chains))
    _checksums(console, report)
    _checksum_database(console, report.chains)
    _lookups(console, report)
    _failures(console, report)
    _leaks(console, report)
    _credentials(console, report)
    _findings(console, report)
    if dropped:
        console.print(
            Text(
                visible(f"{dropped} events were not shown live (all are in the recording)"),
                styles.WARNING,
            )
        )


def headline(report: Report) -> Text:
    """Counts that never contradict go: a failed command never shows "0 failed"."""
    fetches = module_fetches(report.chains)
    groups = report.leak_groups
    failed, leaks, code = report.failure_count, len(groups), report.exit_code
    blocked = sum(g.blocked for g in groups)
    head = Text("goscope: ", style="bold")
    head.append(
        f"{_n(len(report.events), 'request')} · {_n(len(_modules(fetches)), 'module')} · "
        f"{_n(len(fetches), 'fetch', 'fetches')}"
    )
    if failed or not code:
        head.append(f" · {failed} failed", style=styles.BAD if failed else styles.GOOD)
    else:
        head.append(" · go failed (its output says why)", style=styles.BAD)
    head.append(f" · {leak_count(leaks, blocked)}", style=styles.LEAK if leaks else styles.GOOD)
    if code is not None:
        head.append(f" · exit {code}", style=styles.exit_status(code))
    if report.go_version:
        head.append(visible(f" · {report.go_version}"), style="dim")
    if report.incomplete:
        head.append(" · INCOMPLETE", style=styles.BAD)
    return head


def _foreign(console: Console, report: Report) -> None:
    """Processes goscope did not wire that tried its proxy: refused (407), not judged."""
    if not report.foreign:
        return
    console.print(
        Text(
            f"Refused: {_n(len(report.foreign), 'connection')} from processes goscope did not "
            "wire (407, not judged)",
            styles.WARNING,
        )
    )
    for foreign in report.foreign[:MAX_MODULE_LINES]:
        process = foreign.get("process") or {}
        who = " ".join(process.get("command") or []) or "a process goscope cannot see"
        if process.get("pid"):
            who += f" (pid {process['pid']})"
        targets = sorted({a.get("target", "?") for a in foreign.get("attempts", [])})
        line = f"  {foreign.get('client', '?')}: {who} asked for {', '.join(targets)}"
        console.print(Text(visible(line), styles.MUTED))


def _incomplete(console: Console, report: Report) -> None:
    """Why the verdict above does not cover the whole run: first, before anything clean."""
    if not report.incomplete:
        return
    console.print(Text("Incomplete: the counts above do not cover the whole run", styles.BAD))
    for reason in report.incomplete:
        console.print(Text(visible(f"  {reason}"), styles.BAD))


def _n(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


def _senders(console: Console, report: Report) -> None:
    """Which processes sent the requests, when goscope ran none itself or saw several."""
    senders = [s for s in report.senders if s["requests"] or s.get("id") is None]
    if len(senders) < 2 and report.env_known:
        return
    console.print(Text("Senders", style="bold underline"))
    for sender in senders:
        command = " ".join(sender.get("command") or []) or "(not attributed to a process)"
        line = Text(visible(f"  {command}"), style="bold")
        if sender.get("pid"):
            line.append(f" pid {sender['pid']}", style="dim")
        line.append(
            f" · {counted(sender['requests'], 'request')} · {counted(len(sender['leaks']), 'leak')}"
        )
        if not sender["known"]:
            line.append(f" · {UNKNOWN_SENDER}", style=styles.WARNING)
        console.print(line)


def _modules(chains: list[FallbackChain]) -> dict[tuple[str, str | None], list[FallbackChain]]:
    return module_groups(chains)


MAX_MODULE_LINES = 12


def _served(console: Console, chains: list[FallbackChain]) -> None:
    groups = _modules(chains)
    if not groups:
        return
    console.print(Text("Fetches", style="bold underline"))
    plain: dict[str, int] = defaultdict(int)  # served at the first try, by whom
    shown = hidden = 0
    for (module, version), group in groups.items():
        served_by = sorted({c.served_by for c in group if c.served_by})
        hops = sorted({chain_line(c) for c in group if len(c.attempts) > 1 or c.attempts[0].hops})
        interesting = hops or not served_by or any(c.rejected for c in group)
        if len(groups) > MAX_MODULE_LINES and not interesting:
            plain[", ".join(served_by)] += 1
            continue
        if shown >= MAX_MODULE_LINES:
            hidden += 1
            continue
        shown += 1
        name = f"{module}@{version}" if version else module
        line = Text(visible(f"  {name} "), style="bold")
        line.append(visible(f"[{','.join(c.endpoint for c in group)}] "), style="dim")
        rejected = [c for c in group if c.rejected]
        if served_by:
            line.append(visible("served by " + ", ".join(served_by)), style="green")
        else:
            line.append(group[-1].result, style="red")
            last = group[-1].attempts[-1] if group[-1].attempts else None
            if last is not None and last.outcome == "abandoned":  # why it is not known
                line.append(visible(f": {explain_attempt(last, group[-1])}"), style="dim")
        if rejected:
            line.append(visible(f" · {rejected[0].rejected}"), style="bold red")
        for hop in hops:
            line.append("\n      " + visible(hop), style="dim")
        console.print(line)
    _negative_caching(console, chains)
    for who, count in plain.items():
        more = " more" if shown else ""
        console.print(
            Text(
                visible(
                    f"  {_n(count, f'{more.strip()} module'.strip())} served by {who} "
                    "at the first try"
                ),
                style="green",
            )
        )
    if hidden:
        console.print(
            Text(
                f"  {hidden} more modules with fallbacks or failures: see the report",
                style="yellow",
            )
        )


CHECKSUM_STYLE = {"MISMATCH": "bold red", "verified": styles.GOOD, "go.sum": styles.GOOD}


def _checksums(console: Console, report: Report) -> None:
    """go's checksum verdicts, counted (the same verdicts as the report's and the TUI's):
    `checksums: 206 go.sum · 2 not checked: GONOSUMDB`; a mismatch is named."""
    verdicts: dict[str, list[str]] = defaultdict(list)
    for row in report.modules():
        if row["checksum"] != "-":
            name = f"{row['module']}@{row['version']}" if row["version"] else row["module"]
            verdicts[row["checksum"]].append(name)
    if not verdicts:
        return
    line = Text("  checksums: ")
    for n, (verdict, names) in enumerate(sorted(verdicts.items(), key=lambda kv: -len(kv[1]))):
        if n:
            line.append(" · ")
        line.append(visible(f"{len(names)} {verdict}"), CHECKSUM_STYLE.get(verdict, styles.WARNING))
    for name in verdicts.get("MISMATCH", [])[:MAX_MODULE_LINES]:
        line.append("\n      ")  # our own line break; the name is wire text, escaped
        line.append(visible(f"MISMATCH {name}"), "bold red")
    console.print(line)


def _negative_caching(console: Console, chains: list[FallbackChain]) -> None:
    cached = {a.host: a.not_found_for_s for c in chains for a in c.attempts if a.not_found_for_s}
    for host, seconds in cached.items():
        console.print(
            Text(
                visible(
                    f'  {host} caches its "not found" answers for {duration_text(seconds or 0)} '
                    f"(Cache-Control max-age={seconds}): a version published since stays "
                    "invisible there that long"
                ),
                style="yellow",
            )
        )


def _failures(console: Console, report: Report) -> None:
    if not report.failed and not report.loose_errors:
        return
    console.print(Text("Failures", style="bold underline red"))
    for chain in report.failed:
        name = f"{chain.module}@{chain.version}" if chain.version else chain.module
        console.print(Text(visible(f"  {name} {chain.endpoint}"), style="bold red"))
        for attempt in chain.attempts:
            console.print(
                Text(visible(f"    {attempt.outcome:<12} {explain_attempt(attempt, chain)}"))
            )
        if chain.never_asked:
            console.print(
                Text(
                    visible(f"    {'never asked':<12} {', '.join(chain.never_asked)}: go stopped"),
                    style="dim",
                )
            )
        if chain.rejected:
            console.print(Text(visible(f"    {'rejected':<12} {chain.rejected}"), style="red"))
        # Each line once: several go processes may have printed the same line.
        said: dict[str, GoError] = {}
        for error in report.go_errors:
            if error.line in chain.go_errors:
                said.setdefault(error.line, error)
        for error in said.values():
            _go_error(console, error)
    for error in report.loose_errors:
        console.print(Text(visible(f"  {error.subject or 'go'}"), style="bold red"))
        _go_error(console, error)


def _go_error(console: Console, error: GoError) -> None:
    line = Text(visible(f"    {'go said':<12} {error.line}"), style="red")
    line.append("\n    " + " " * 13 + visible(error.explanation))
    if error.fix:
        line.append("\n    " + " " * 13 + "fix: ", style="dim")
        line.append(visible(error.fix), style="bold")
    console.print(line)


def _checksum_database(console: Console, chains: list[FallbackChain]) -> None:
    """How go reached each checksum database, and how many lookups it made there."""
    walks = [c for c in chains if c.endpoint == "supported"]
    lookups = [c for c in chains if c.endpoint == "lookup"]
    if not walks and not lookups:
        return
    console.print(Text("Checksum database", style="bold underline"))
    for walk in walks:
        how = "proxied by " + walk.served_by if walk.served_by not in (None, "direct") else ""
        if walk.served_by == "direct":
            how = "asked directly"
        line = Text(visible(f"  {walk.module} "), style="bold")
        line.append(visible(how or walk.result), style="green" if how else "red")
        line.append("\n      " + visible(chain_line(walk)), style="dim")
        console.print(line)
    if lookups:
        bad = [c for c in lookups if c.result != "served"]
        text = f"  {_n(len(lookups), 'lookup')}"
        console.print(
            Text(text + (f", {len(bad)} failed" if bad else ""), style="red" if bad else "")
        )


def _lookups(console: Console, report: Report) -> None:
    if not report.lookups:
        return
    console.print(Text("Module lookups", style="bold underline"))
    for lookup in report.lookups:
        found = lookup.found
        line = Text(visible(f"  {lookup.describe()}"), style="green" if found else "red")
        unserved = [c for c in lookup.probes if c.result != "served" and c is not found]
        line.append("\n      ")
        if found is None:  # each with its own answer: a 401 or a git 403 is no 404
            why = "found nowhere"
            absent = ", ".join(dict.fromkeys(f"{c.module} ({_answer(c)})" for c in unserved))
        else:
            why = "not a module here (as expected)"
            absent = ", ".join(dict.fromkeys(c.module for c in unserved))
        line.append(visible(f"{why}: {absent or '-'}"), "dim")
        console.print(line)


def _answer(chain: FallbackChain) -> str:
    last = chain.attempts[-1] if chain.attempts else None
    if last is None or (last.status is None and last.error is None):
        return "no answer"
    return str(last.status) if last.error is None else "error"


def leak_count(leaks: int, blocked: int) -> str:
    """`2 leaks`, `2 leaks blocked`, `3 leaks (2 blocked)`: the rows listed under it."""
    text = _n(leaks, "leak")
    if blocked and blocked == leaks:
        return f"{text} blocked"
    return f"{text} ({blocked} blocked)" if blocked else text


def _leaks(console: Console, report: Report) -> None:
    groups = report.leak_groups
    if not groups:
        return
    console.print(Text("Leaks", style="bold underline red"))
    for leak in groups:
        line = Text(visible(f"  {leak.severity:<9} "), style=styles.severity(leak.severity))
        what = "checksum database" if leak.kind == "sumdb" else "proxy"
        if leak.blocked:
            line.append(visible(f"{leak.module} was stopped before the {what} {leak.host}"))
            line.append(" (blocked by goscope's guard)", style=styles.GOOD)
        else:
            line.append(visible(f"{leak.module} was sent to the {what} {leak.host}"))
        if leak.endpoints:
            line.append(visible(f" [{','.join(leak.endpoints)}]"), style="dim")
        if leak.note:
            line.append(visible(f" ({leak.note})"), style="dim")
        elif leak.matched:
            line.append(visible(f" (matches {leak.matched})"), style="dim")
        if leak.fix:
            line.append("\n            fix: ", style="dim")
            line.append(visible(leak.fix), style="bold")
        console.print(line)


def _credentials(console: Console, report: Report) -> None:
    """Hosts that asked for credentials or were sent them: when, from where, what went wrong."""
    shown = [c for c in report.credentials if c.refused or c.problems]
    if not shown:
        return
    console.print(Text("Credentials", style="bold underline"))
    for c in shown:
        sent = (
            "sent on the first request"
            if c.sent_first
            else "sent only on go's retry"
            if c.sent_on_retry
            else "never sent"
        )
        line = Text(visible(f"  {c.host}: "), style="bold")
        line.append(visible(f"{sent} · {c.refused} refused (401/403) · source: {c.source}"))
        for problem in c.problems:
            line.append("\n      ")
            line.append(visible(problem), style=styles.WARNING)
        console.print(line)


def _findings(console: Console, report: Report) -> None:
    # Errors and warnings, and notes the traffic proves: `goscope doctor` alone cannot see those.
    shown = [
        f for f in report.findings if f["severity"] in ("error", "warning") or f.get("evidence")
    ]
    infos = len(report.findings) - len(shown)
    if not shown and not infos:
        return
    console.print(Text("Doctor", style="bold underline"))
    for f in shown:
        line = Text(visible(f"  {f['severity']:<8} "), style=styles.severity(f["severity"]))
        line.append(visible(f"{f['id']}: "), style="bold")
        line.append(visible(f["message"]))
        if f.get("fix"):
            line.append("\n           fix: ", style="dim")
            line.append(visible(f["fix"]), style="bold")
        if f.get("evidence"):
            line.append(visible(f"  (proof: request #{f['evidence'][0]})"), style="dim")
        console.print(line)
    if infos:
        names = ", ".join(f["id"] for f in report.findings if f not in shown)
        console.print(
            Text(
                f"  {infos} note{'s' if infos != 1 else ''}: {names} (goscope doctor explains)",
                style="cyan",
            )
        )
