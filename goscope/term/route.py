"""`goscope route`: the predicted route, one numbered step a line, leaks marked."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from goscope.core.gorules.routing import Route
from goscope.core.safe.redact import redact_value
from goscope.core.safe.visible import visible

from . import styles


def render_route(route: Route, console: Console) -> None:
    for line in route_lines(route):
        console.print(line)


def _shown(text: str) -> str:
    """Wire-free but secret-bearing: GOPROXY and GOSUMDB URLs hold passwords and tokens."""
    return visible(redact_value(text))


def route_lines(route: Route) -> list[Text]:
    """The route as lines of text (the CLI prints them, Config's Route panel shows them)."""
    name = f"{route.path}@{route.version}" if route.version else route.path
    lines = [Text(_shown(f"goscope route {name}"), style="bold")]
    if route.error:
        lines.append(Text(_shown(route.error), style=styles.BAD))
        return lines
    probe = None
    for n, step in enumerate(route.steps, 1):
        if step.probe_of and step.probe_of != probe:
            probe = step.probe_of
            lines.append(
                Text(
                    _shown(f"go get probes every prefix of {probe} at once (modload/query.go):"),
                    style="bold",
                )
            )
        line = Text(f"{n:>3}. ", style="dim")
        line.append(_shown(step.what))
        if step.moves_on:
            line.append(_shown(f"; on to the next after {step.moves_on}"), style="dim")
        if step.variable:
            origin = f", {step.origin}" if step.origin else ""
            line.append(_shown(f"  [{step.variable}={step.value}{origin}]"), style="dim")
        if step.leak:
            line.append("\n       LEAK ", style=f"bold {styles.LEAK}")
            line.append(_shown(step.leak), style=styles.LEAK)
        if step.blocked:
            line.append("\n       BLOCKED ", style=f"bold {styles.GOOD}")
            line.append(_shown(step.blocked), style=styles.GOOD)
        lines.append(line)
    return lines
