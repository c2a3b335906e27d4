"""Rendering doctor findings for the terminal."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from goscope.core.judging.findings import Finding
from goscope.core.safe.visible import visible
from goscope.core.vocab import FINDING_SEVERITIES

from . import styles


def render_findings(findings: list[Finding], console: Console) -> None:
    if not findings:
        console.print(Text("goscope doctor: no problems found", style="green"))
        return
    counts = {s: sum(f.severity == s for f in findings) for s in FINDING_SEVERITIES}
    head = ", ".join(f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items() if n)
    console.print(Text(visible(f"goscope doctor: {head}"), style="bold"))
    for f in findings:
        line = Text(visible(f"{f.severity:<8}"), style=styles.severity(f.severity))
        line.append(visible(f"{f.id}"), style="bold")
        if f.variable:
            origin = f" ({f.origin})" if f.origin else ""
            line.append(visible(f"  {f.variable}={f.value!r}{origin}"), style="dim")
        line.append("\n        " + visible(f.message))
        if f.fix:
            line.append("\n        fix: ", style="dim")
            line.append(visible(f.fix), style="bold")
        if f.evidence:
            line.append(
                f"\n        proof: request #{', #'.join(map(str, f.evidence[:5]))}", style="dim"
            )
        console.print(line)
