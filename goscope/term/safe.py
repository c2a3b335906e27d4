"""Terminal-safe rendering: whatever goscope prints, wire text in it cannot act.

`safe_console` gives a Rich console with a render hook that escapes every
control and invisible format character in what is printed (core/safe/visible.py);
`plain` builds a Text that is never parsed as markup. Together: traffic text
is never Rich markup and never a terminal control sequence.
"""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, ConsoleRenderable, RenderHook, RenderResult
from rich.segment import Segment
from rich.text import Text

from goscope.core.safe.visible import UNSAFE_MULTILINE, visible


def plain(text: object, style: str = "") -> Text:
    """Wire text as a Rich Text: escaped, one line, never markup."""
    return Text(visible(str(text) if text is not None else ""), style=style)


class _Escaped:
    """Renders another renderable, escaping control characters in its text segments."""

    def __init__(self, inner: ConsoleRenderable):
        self.inner = inner

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for segment in console.render(self.inner, options):
            text, style, control = segment
            if control is None and UNSAFE_MULTILINE.search(text):
                yield Segment(visible(text, multiline=True), style)
            else:
                yield segment


class EscapeHook(RenderHook):
    def process_renderables(self, renderables: list[ConsoleRenderable]) -> list[ConsoleRenderable]:
        return [_Escaped(r) for r in renderables]


def safe_console(**kwargs: object) -> Console:
    console = Console(**kwargs)  # type: ignore[arg-type]
    console.push_render_hook(EscapeHook())
    return console
