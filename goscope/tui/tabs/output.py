"""Output: what the command printed, its exit status, and go's errors tied to requests."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import DataTable, RichLog

from goscope.core.gorules.goerrors import GoError
from goscope.core.view.session import Session
from goscope.term.safe import plain

from .base import GoscopeTab


class OutputTab(GoscopeTab):
    TAB_ID = "output"
    TITLE = "Output"
    HELP = "the command's output, its exit status, and go's errors (Enter: the request)"

    DEFAULT_CSS = """
    OutputTab #go-errors { height: auto; max-height: 8; display: none; }
    OutputTab #go-errors.has-errors { display: block; }
    OutputTab RichLog { height: 1fr; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.errors: list[GoError] = []
        self._shown: list[str] = []

    def compose(self) -> ComposeResult:
        table: DataTable[Any] = DataTable(id="go-errors", cursor_type="row")
        table.add_columns("go error", "module", "what it means")
        yield table
        yield RichLog(id="output-log", wrap=True, markup=False, highlight=False)

    def refresh_from(self, session: Session) -> None:
        self.errors = list(session.go_errors)
        lines = [e.line for e in self.errors]
        if lines == self._shown:
            return
        self._shown = lines
        table = self.query_one("#go-errors", DataTable)
        table.clear()
        for error in self.errors:
            table.add_row(
                Text(error.kind, style="bold red"),
                plain(error.subject or "-"),
                plain(error.explanation),
            )
        table.set_class(bool(self.errors), "has-errors")

    def selected(self) -> GoError | None:
        table = self.query_one("#go-errors", DataTable)
        index = table.cursor_row
        return self.errors[index] if 0 <= index < len(self.errors) else None

    def proof_seq(self) -> int | None:
        error = self.selected()
        return error.seqs[0] if error is not None and error.seqs else None

    def copy_text(self) -> str | None:
        error = self.selected()
        return error.fix or error.line if error is not None else None

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        seq = self.proof_seq()
        if seq is not None:
            self.post_message(self.JumpToSeq(seq))

    def primary(self) -> Widget | None:
        if self.errors:
            return self.query_one("#go-errors", DataTable)
        return self.query_one(RichLog)
