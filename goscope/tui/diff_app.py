"""`goscope diff A B --tui`: the differences between two runs, in tables you can move through."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Static

from goscope.core.outputs.diff import Diff
from goscope.core.safe.visible import visible
from goscope.term import styles
from goscope.term.safe import plain
from goscope.tui.widgets.table import GoscopeTable


class DiffApp(App[int]):
    """Fetches that changed, leaks and go errors that came or went, environment changes."""

    TITLE = "goscope diff"
    CSS = """
    #diff-head { height: 3; padding: 0 1; background: $panel; }
    .diff-title { height: 1; margin-top: 1; padding: 0 1; text-style: bold; }
    DataTable { height: auto; max-height: 45%; }
    """
    BINDINGS = [Binding("q,escape", "quit_diff", "Quit")]

    def __init__(self, diff: Diff, a_name: str, b_name: str) -> None:
        super().__init__()
        self.diff, self.a_name, self.b_name = diff, a_name, b_name

    def compose(self) -> ComposeResult:
        head = Text(visible(f"{self.a_name} → {self.b_name}: "), style="bold")
        verdict = self.diff.verdict  # incomplete is never "no regression"
        head.append(
            {
                "regressed": "B regressed",
                "incomplete": "INCOMPLETE: no verdict",
                "clean": "no regression in B",
            }[verdict],
            style=styles.GOOD if verdict == "clean" else styles.BAD,
        )
        for side, totals in zip(("A", "B"), self.diff.totals, strict=True):
            head.append(f"\n{side}: {totals.text()}", style="dim")
        yield Static(head, id="diff-head")
        groups = len(self.diff.groups())
        yield Static(
            f"Fetches: {len(self.diff.fetches)} differ ({groups} kinds of change)",
            classes="diff-title",
        )
        yield GoscopeTable(id="diff-fetches", zebra_stripes=True)
        yield Static("Leaks and go errors", classes="diff-title")
        yield GoscopeTable(id="diff-changes")
        yield Static("Environment", classes="diff-title")
        yield GoscopeTable(id="diff-env")
        yield Footer()

    def on_mount(self) -> None:
        fetches: DataTable[Any] = self.query_one("#diff-fetches", DataTable)
        fetches.add_columns("module@version", "endpoint", "A", "B", "A's chain", "B's chain")
        for c in (c for group in self.diff.groups() for c in group.changes):  # failures first
            name = f"{c.module}@{c.version}" if c.version else c.module
            style = styles.BAD if c.b == "failed" else ""
            fetches.add_row(
                plain(name),
                c.endpoint,
                plain(c.a),
                plain(c.b, style),
                plain(c.a_chain),
                plain(c.b_chain),
            )
        changes: DataTable[Any] = self.query_one("#diff-changes", DataTable)
        changes.add_columns("change", "what")
        for leak in self.diff.new_leaks:
            changes.add_row(
                Text("new leak", styles.LEAK), plain(f"{leak['module']} → {leak['host']}")
            )
        for leak in self.diff.gone_leaks:
            changes.add_row(
                Text("gone leak", styles.GOOD), plain(f"{leak['module']} → {leak['host']}")
            )
        for error in self.diff.new_errors:
            changes.add_row(Text("new go error", styles.BAD), plain(error["line"]))
        for error in self.diff.gone_errors:
            changes.add_row(Text("gone go error", styles.GOOD), plain(error["line"]))
        env: DataTable[Any] = self.query_one("#diff-env", DataTable)
        env.add_columns("variable", "A", "A's origin", "B", "B's origin")
        for e in self.diff.environment:
            env.add_row(e.variable, plain(e.a), plain(e.a_origin), plain(e.b), plain(e.b_origin))
        fetches.focus()

    def action_quit_diff(self) -> None:
        self.exit(1 if self.diff.regressed else 0)
