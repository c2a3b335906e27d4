"""goscope's tables: Textual's DataTable, with Home and End moving the cursor to the first
and last row (DataTable scrolls sideways on them, which in a row table is never what a
reader wants: they asked for the first or last row, as in the request list)."""

from __future__ import annotations

from typing import Any

from textual.binding import Binding
from textual.widgets import DataTable


class GoscopeTable(DataTable[Any]):
    BINDINGS = [
        Binding("home", "first_row", "First row", show=False),
        Binding("end", "last_row", "Last row", show=False),
        Binding("shift+home", "scroll_home", "Leftmost", show=False),
        Binding("shift+end", "scroll_end", "Rightmost", show=False),
    ]

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("cursor_type", "row")
        super().__init__(**kwargs)

    def action_first_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=0, scroll=True)

    def action_last_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=self.row_count - 1, scroll=True)
