"""Small screens: help, a yes/no question, a one-line prompt."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

FILTER_HELP = [
    ("kind:sumdb", "proxy, sumdb, direct, toolchain, other"),
    ("endpoint:zip", "list info mod zip latest supported lookup tile go-get git-…"),
    ("status:>=400", "also status:404, status:4xx, status:200..299"),
    ("host:goproxy", "part of the host name"),
    ("module:github.com/acme", "part of the module path"),
    ("leak  error  retry", "leaking requests, failures, go's GOAUTH retries"),
    ("-kind:other", "a leading - negates any term"),
    ("free text", "part of the URL"),
]


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "Close"),
        Binding("down,j", "scroll(1)", "Down", show=False),
        Binding("up,k", "scroll(-1)", "Up", show=False),
        Binding("pagedown,space", "scroll(10)", "Page down", show=False),
        Binding("pageup", "scroll(-10)", "Page up", show=False),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 104; max-width: 100%; height: auto; max-height: 100%; border: thick $accent; background: $surface; padding: 0 1; }
    """

    def __init__(self, bindings: list[tuple[str, str]]) -> None:
        super().__init__()
        self.bindings_help = bindings

    def compose(self) -> ComposeResult:
        keys = Table.grid(padding=(0, 2))
        keys.add_column(style="bold cyan", no_wrap=True)
        keys.add_column(ratio=1)
        for key, what in self.bindings_help:
            keys.add_row(key, what)
        filters = Table.grid(padding=(0, 2))
        filters.add_column(style="bold cyan", no_wrap=True)
        filters.add_column(ratio=1)
        for term, what in FILTER_HELP:
            filters.add_row(term, what)
        # Scrolls (↑↓, PgUp/PgDn, the mouse) and wraps: whole at 80×24 too.
        with VerticalScroll():
            yield Static(Text("goscope — keys (↑↓ scroll, Escape closes)", style="bold"))
            yield Static(keys)
            yield Static(Text("\nFilter (/) — terms are combined with AND", style="bold"))
            yield Static(filters)
            yield Static(Text("\nEscape closes this help.", style="dim"))

    def action_scroll(self, lines: int) -> None:
        self.query_one(VerticalScroll).scroll_relative(y=lines, animate=False)


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS = [Binding("y", "answer(True)", "Yes"), Binding("n,escape", "answer(False)", "No")]
    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical { width: 60; height: auto; border: thick $warning; background: $surface; padding: 1 2; }
    """

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question)
            yield Label(Text("y: yes   n: no", style="dim"))

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class PromptScreen(ModalScreen[str | None]):
    """One line of input (open a recording, run a command)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    PromptScreen { align: center bottom; }
    PromptScreen > Vertical { width: 100%; height: auto; background: $surface; border-top: solid $accent; padding: 0 1; }
    """

    def __init__(self, title: str, placeholder: str = "", value: str = "") -> None:
        super().__init__()
        self.title_text, self.placeholder, self.value = title, placeholder, value

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text)
            yield Input(value=self.value, placeholder=self.placeholder)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
