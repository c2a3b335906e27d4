"""`goscope diff`: the differences between two runs, in plain text."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from goscope.core.outputs.diff import Diff
from goscope.core.safe.visible import visible

from . import styles


def render_diff(diff: Diff, console: Console, a_name: str, b_name: str) -> None:
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
    if diff.command_failed:
        console.print(
            Text(f"  B's command failed (exit {diff.exit_codes[1]}); A's did not", styles.BAD)
        )
    for side, reasons in (("A", diff.incomplete_a), ("B", diff.incomplete_b)):
        for reason in reasons:
            console.print(Text(visible(f"  {side} is incomplete: {reason}"), styles.BAD))
    if diff.fetches:
        console.print(Text("Fetches", style="bold underline"))
        for c in diff.fetches:
            name = f"{c.module}@{c.version}" if c.version else c.module
            line = Text(visible(f"  {name} {c.endpoint}: "), style="bold")
            line.append(visible(f"{c.a} → {c.b}"), style=styles.BAD if c.b == "failed" else "")
            for side, chain in (("A", c.a_chain), ("B", c.b_chain)):
                line.append("\n      ")
                line.append(visible(f"{side}: {chain or '-'}"), "dim")
            console.print(line)
    for title, items, style in (
        ("New leaks", diff.new_leaks, styles.LEAK),
        ("Gone leaks", diff.gone_leaks, styles.GOOD),
    ):
        if items:
            console.print(Text(title, style="bold underline"))
            for leak in items:
                console.print(
                    Text(visible(f"  {leak['module']} → {leak['host']} ({leak['kind']})"), style)
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
