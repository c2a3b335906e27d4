"""Terminal-safe rendering: whatever goscope prints, wire text in it cannot act.

`safe_console` gives a Rich console with a render hook that escapes every
control and invisible format character in what is printed (core/safe/visible.py);
`plain` builds a Text that is never parsed as markup. Together: traffic text
is never Rich markup and never a terminal control sequence.
"""

from __future__ import annotations

import os

from rich.console import Console, ConsoleOptions, ConsoleRenderable, RenderHook, RenderResult
from rich.segment import Segment
from rich.text import Text

from goscope.core.safe.visible import UNSAFE_MULTILINE, defuse_commands, needs_defusing, visible


def plain(text: object, style: str = "") -> Text:
    """Wire text as a Rich Text: escaped, one line, never markup."""
    return Text(visible(str(text) if text is not None else ""), style=style)


def in_ci_log() -> bool:
    """A log whose runner obeys commands in its lines: GitHub Actions (`::stop-commands::`,
    `##[group]`, `::add-mask::`) or Azure Pipelines (`##vso[task.setvariable]`)."""
    return os.environ.get("GITHUB_ACTIONS") == "true" or os.environ.get("TF_BUILD") == "True"


class _Escaped:
    """Renders another renderable, escaping control characters in its text segments; in a
    CI log, also what its runner would obey as a command (a line of wire text starting with
    `::stop-commands::` silenced every annotation after it)."""

    def __init__(self, inner: ConsoleRenderable, ci_log: bool):
        self.inner = inner
        self.ci_log = ci_log

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        line: list[Segment] = []
        for segment in console.render(self.inner, options):
            text, style, control = segment
            if control is None and UNSAFE_MULTILINE.search(text):
                segment = Segment(visible(text, multiline=True), style)
            if not self.ci_log:
                yield segment
                continue
            if control is not None or "\n" not in segment.text:
                line.append(segment)
                continue
            # A segment holding line ends: each line is complete at its "\n".
            *ends, rest = segment.text.split("\n")
            for piece in ends:
                line.append(Segment(piece, segment.style))
                yield from _defused(line)
                yield Segment("\n", segment.style)
                line = []
            if rest:
                line.append(Segment(rest, segment.style))
        yield from _defused(line)


def _defused(line: list[Segment]) -> list[Segment]:
    text = "".join(s.text for s in line if s.control is None)
    if not needs_defusing(text):
        return line
    # Rare (a hostile line): the line as one segment, in its first style.
    first = next((s.style for s in line if s.control is None and s.text.strip()), None)
    return [Segment(defuse_commands(text), first)]


class EscapeHook(RenderHook):
    def __init__(self) -> None:
        self.ci_log = in_ci_log()

    def process_renderables(self, renderables: list[ConsoleRenderable]) -> list[ConsoleRenderable]:
        return [_Escaped(r, self.ci_log) for r in renderables]


def safe_console(**kwargs: object) -> Console:
    console = Console(**kwargs)  # type: ignore[arg-type]
    console.push_render_hook(EscapeHook())
    return console
