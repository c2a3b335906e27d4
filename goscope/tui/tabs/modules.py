"""Modules: each module@version, who served it, after how many attempts, and its chains."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.text import Text
from textual.widgets import DataTable

from goscope.core.session import ModuleRow, Session
from goscope.core.visible import visible
from goscope.term import styles
from goscope.tui.widgets.detail import chain_view
from goscope.tui.widgets.request_list import human_size

from .base import TableTab

NOT_SERVED = ("failed", "pending", "unknown", "rejected")


def checksum_text(verdict: str) -> Text:
    """go's checksum verdict: verified (database), go.sum, MISMATCH, or not checked: why."""
    if verdict == "MISMATCH":
        return Text(verdict, style="bold red")
    if verdict in ("verified", "go.sum"):
        return Text(verdict, style=styles.GOOD)
    if verdict.startswith("not "):
        return Text(visible(verdict), style=styles.WARNING)
    return Text(visible(verdict), style=styles.MUTED)


class ModulesTab(TableTab):
    TAB_ID = "modules"
    TITLE = "Modules"
    HELP = "each module@version: who served it, attempts, checksum, leaks"
    COLUMNS = (
        "module@version",
        "served by",
        "checksum",
        "leak",
        "attempts",
        "endpoints",
        "bytes",
        "time ms",
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rows: list[ModuleRow] = []

    def on_mount(self) -> None:
        self.table.add_columns(*self.COLUMNS)

    def refresh_from(self, session: Session) -> None:
        self.rows = session.modules()
        cursor = self.keep_cursor(len(self.rows))
        self.begin(self.table)
        for row in self.rows:
            name = f"{row.module}@{row.version}" if row.version else row.module
            served = row.served_by not in NOT_SERVED
            self.add_safe_row(
                self.table,
                name,
                Text(visible(row.served_by), style=styles.GOOD if served else "red"),
                checksum_text(row.checksum),
                Text("LEAK", style=styles.LEAK) if row.leak else "",
                str(row.attempts),
                row.endpoints,
                human_size(row.bytes),
                f"{row.time_ms:.0f}",
            )
        self.commit(self.table)
        if self.rows:
            self.table.move_cursor(row=cursor)
            self.show(cursor)

    def show(self, index: int) -> None:
        if 0 <= index < len(self.rows):
            row = self.rows[index]
            self.detail.update(Group(*[chain_view(c) for c in row.chains]))

    def proof_seq(self) -> int | None:
        index = self.table.cursor_row
        if not 0 <= index < len(self.rows):
            return None
        seqs = [s for c in self.rows[index].chains for a in c.attempts for s in a.seqs]
        return seqs[-1] if seqs else None

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show(event.cursor_row)
