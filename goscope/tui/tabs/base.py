"""The tab contract: every tab is a `GoscopeTab`, and the app talks to tabs only through it.

As frogmouth's navigation panes share one class: a tab has an id, a title and
a line of help; it refreshes itself from the session, says what `c` copies
and which request proves its selected row, and names the widget that takes
focus when the tab is shown. Adding a tab is one file plus one entry in
`goscope.tui.tabs.TABS`: keys, help, the palette, screenshots and snapshot
tests all derive from that list.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any, ClassVar, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import DataTable, Static, TabPane

from goscope.core.view.session import Session
from goscope.term.safe import plain
from goscope.tui.host import TabHost
from goscope.tui.widgets.table import GoscopeTable


def no_requests(session: Session, running: bool) -> str:
    """Why there is no request to show, and what would bring one (every empty tab says)."""
    command = session.judge.command
    name = shlex.join(command) if command else ""
    if session.live and not command:
        return (
            "No requests yet. goscope's proxy is listening: press : to run a go command "
            'here, or wire another terminal (eval "$(goscope env)", or goscope shell) and '
            "run go there."
        )
    if session.live and running:
        return (
            f"No requests yet: {name} has sent none so far (go asks the network only for "
            "what its module cache lacks)."
        )
    if command:
        return (
            f"{name} sent no request: go found everything in its module cache "
            "(GOMODCACHE), or GOFLAGS=-mod=vendor or GOPROXY=off kept it offline."
        )
    return "This recording holds no request: nothing sent through goscope while it recorded."


class GoscopeTab(TabPane):
    TAB_ID: ClassVar[str]
    TITLE: ClassVar[str]
    HELP: ClassVar[str]  # one line, for the palette and the help screen

    @dataclass
    class JumpToSeq(Message):
        """Show this request in the Requests tab (the proof of a leak, finding or module)."""

        seq: int

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(self.TITLE, id=self.TAB_ID, **kwargs)

    @property
    def goscope(self) -> TabHost:
        """The app, as far as a tab may know it."""
        return cast(TabHost, self.app)

    def refresh_from(self, session: Session) -> None:
        """Redraw from the session (called when shown, and on a timer while shown)."""

    def copy_text(self) -> str | None:
        """What `c` copies here (None: nothing to copy)."""
        return None

    def proof_seq(self) -> int | None:
        """The request that proves the selected row (Enter jumps to it)."""
        return None

    def primary(self) -> Widget | None:
        """The widget that takes focus when the tab is shown."""
        return None


class TableTab(GoscopeTab):
    """A table of rows and, below it, the selected row in detail."""

    DEFAULT_CSS = """
    TableTab DataTable { height: auto; max-height: 60%; }
    TableTab .pane-detail-box { height: 1fr; min-height: 4; border-top: solid $panel; padding: 0 1; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.table: DataTable[Any] = GoscopeTable(zebra_stripes=True)
        self.detail = Static("")
        self._pending_rows: dict[int, list[tuple[Any, ...]]] = {}
        self._shown_rows: dict[int, list[tuple[Any, ...]]] = {}

    def compose(self) -> ComposeResult:
        yield self.table
        with VerticalScroll(classes="pane-detail-box"):
            yield self.detail

    def begin(self, table: DataTable[Any]) -> None:
        """Start collecting the rows `table` should show (see `commit`)."""
        self._pending_rows[id(table)] = []

    def add_safe_row(self, table: DataTable[Any], *cells: object) -> None:
        """A row whose text cells are wire text: escaped, never parsed as markup."""
        row = tuple(plain(c) if isinstance(c, str) else c for c in cells)
        self._pending_rows.setdefault(id(table), []).append(row)

    def commit(self, table: DataTable[Any]) -> bool:
        """Show the collected rows; a table whose rows did not change is left alone (no
        flicker, no lost layout). Returns whether it changed."""
        rows = self._pending_rows.pop(id(table), [])
        key = [tuple(_cell_key(c) for c in row) for row in rows]
        if self._shown_rows.get(id(table)) == key:
            return False
        self._shown_rows[id(table)] = key
        table.clear()
        for row in rows:
            table.add_row(*row)
        return True

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row shows the request that proves it."""
        seq = self.proof_seq()
        if seq is not None:
            self.post_message(self.JumpToSeq(seq))

    def keep_cursor(self, rows: int) -> int:
        return min(self.table.cursor_row, max(0, rows - 1)) if rows else 0

    def primary(self) -> Widget | None:
        return self.table


def _cell_key(cell: object) -> object:
    if isinstance(cell, Text):
        return (cell.plain, str(cell.style))
    return cell
