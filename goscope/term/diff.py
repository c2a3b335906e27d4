"""`goscope diff`: the differences between two runs, in plain text: totals first, then
identical changes grouped (`--full` lists every fetch of a group)."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from goscope.core.outputs.diff import JUDGED_APART, JUDGED_APART_WHY, ChangeGroup, Diff, leak_state
from goscope.core.safe.visible import visible

from . import styles

EXAMPLES = 3  # fetches named per group without --full


def render_diff(diff: Diff, console: Console, a_name: str, b_name: str, full: bool = False) -> None:
    head = Text(visible(f"goscope diff {a_name} → {b_name}: "), style="bold")
    verdict = diff.verdict
    head.append(
        {
            "regressed": "B regressed",
            "incomplete": "INCOMPLETE: no verdict",
            "clean": "no regression in B",
        }[verdict],
        style=styles.GOOD if verdict == "clean" else styles.BAD,
    )
    console.print(head)
    for side, totals in zip(("A", "B"), diff.totals, strict=True):
        console.print(Text(f"  {side}: {totals.text()}", style="dim"))
    if diff.command_failed:
        console.print(
            Text(f"  B's command failed (exit {diff.exit_codes[1]}); A's did not", styles.BAD)
        )
    for side, reasons in (("A", diff.incomplete_a), ("B", diff.incomplete_b)):
        for reason in reasons:
            console.print(Text(visible(f"  {side} is incomplete: {reason}"), styles.BAD))
    if diff.judged_apart:
        said = f"  {JUDGED_APART} ({diff.judged_apart}): {JUDGED_APART_WHY}"
        console.print(Text(visible(said), styles.WARNING))
    groups = diff.groups()
    if groups:
        kinds = f"{len(groups)} kind{'s' if len(groups) != 1 else ''} of change"
        console.print(
            Text(f"Fetches: {len(diff.fetches)} differ ({kinds})", style="bold underline")
        )
        hidden = 0
        for group in groups:
            hidden += _group(console, group, full)
        if hidden:
            console.print(Text(f"  ({hidden} more fetches named with --full)", style="dim"))
    for title, items, style in (
        ("New leaks", diff.new_leaks, styles.LEAK),
        ("Gone leaks", diff.gone_leaks, styles.GOOD),
    ):
        if items:
            console.print(Text(title, style="bold underline"))
            for leak in items:
                console.print(
                    Text(
                        visible(f"  {leak['module']} → {leak['host']} ({leak_state(leak)})"), style
                    )
                )
    for title, items, style in (
        ("New go errors", diff.new_errors, styles.BAD),
        ("Gone go errors", diff.gone_errors, styles.GOOD),
    ):
        if items:
            console.print(Text(title, style="bold underline"))
            for error in items:
                console.print(Text(visible(f"  {error['line']}"), style))
    if diff.environment:
        console.print(Text("Environment", style="bold underline"))
        for e in diff.environment:
            console.print(
                Text(visible(f"  {e.variable}: {e.a!r} ({e.a_origin}) → {e.b!r} ({e.b_origin})"))
            )


def _group(console: Console, group: ChangeGroup, full: bool) -> int:
    """One group: its count and meaning, its chains, and its fetches (some, or all).
    Returns how many fetches it left unnamed."""
    n = len(group.changes)
    bad = group.b == "failed" and group.a != "failed"
    line = Text(f"  {n} fetch{'es' if n != 1 else ''} ", style="bold")
    line.append(visible(group.why), style=styles.BAD if bad else "")
    for side, chain in (("A", group.a_chain), ("B", group.b_chain)):
        if chain:
            line.append("\n      ")
            line.append(visible(f"{side}: {chain}"), "dim")
    console.print(line)
    shown = group.changes if full else group.changes[:EXAMPLES]
    for c in shown:
        name = f"{c.module}@{c.version}" if c.version else c.module
        console.print(Text(visible(f"      {name} {c.endpoint}")))
    return n - len(shown)
