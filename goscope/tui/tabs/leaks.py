"""Leaks: private module paths that reached a proxy or checksum database, with their fix."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.text import Text
from textual.widgets import DataTable

from goscope.core.judging.leaks import Leak
from goscope.core.safe.redact import redact_url
from goscope.core.safe.visible import visible
from goscope.core.view.session import Session
from goscope.term import styles
from goscope.term.safe import plain

from .base import TableTab


def leak_target(leak: Leak) -> str:
    return "checksum database" if leak.kind == "sumdb" else "proxy"


class LeaksTab(TableTab):
    TAB_ID = "leaks"
    TITLE = "Leaks"
    HELP = "private module paths sent to a proxy or checksum database, and the fix"
    COLUMNS = ("#", "severity", "module", "endpoint", "sent to", "kind", "matched", "fix")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.leaks: list[Leak] = []

    def on_mount(self) -> None:
        self.table.add_columns(*self.COLUMNS)

    def refresh_from(self, session: Session) -> None:
        self.leaks = list(session.leaks)
        cursor = self.keep_cursor(len(self.leaks))
        self.begin(self.table)
        store = session.store
        for leak in self.leaks:
            index = store.index_of_seq(leak.seq) if leak.seq is not None else None
            endpoint = store.row(index).endpoint if index is not None else "-"
            self.add_safe_row(
                self.table,
                str(leak.seq) if leak.seq is not None else "-",
                Text(leak.severity, style=styles.severity(leak.severity)),
                leak.module,
                endpoint,
                leak.host,
                "checksum db" if leak.kind == "sumdb" else "proxy",
                leak.matched or "(looks internal)",
                leak.fix,
            )
        self.commit(self.table)
        if self.leaks:
            self.table.move_cursor(row=cursor)
            self.show(cursor)
        else:
            self.detail.update(Text("No private module path left this machine.", styles.GOOD))

    def selected(self) -> Leak | None:
        index = self.table.cursor_row
        return self.leaks[index] if 0 <= index < len(self.leaks) else None

    def copy_text(self) -> str | None:
        leak = self.selected()
        return leak.fix if leak else None

    def proof_seq(self) -> int | None:
        leak = self.selected()
        return leak.seq if leak else None

    def show(self, index: int) -> None:
        if 0 <= index < len(self.leaks):
            leak = self.leaks[index]
            self.detail.update(
                Group(
                    plain(f"{leak.module} was sent to the {leak_target(leak)} {leak.host}", "bold"),
                    Text(
                        visible(f"request #{leak.seq}: {redact_url(leak.url)}"), style=styles.MUTED
                    ),
                    Text.assemble(
                        ("fix (c copies it): ", styles.MUTED), (visible(leak.fix), "bold")
                    )
                    if leak.fix
                    else plain(leak.note, styles.MUTED),
                )
            )

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show(event.cursor_row)
