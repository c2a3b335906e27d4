"""Leaks: private module paths that reached a proxy or checksum database, with their fix."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.text import Text
from textual.widgets import DataTable

from goscope.core.judging.leaks import LeakGroup
from goscope.core.safe.redact import redact_url
from goscope.core.safe.visible import visible
from goscope.core.view.session import Session
from goscope.term import styles
from goscope.term.safe import plain

from .base import TableTab, no_requests


def leak_target(leak: LeakGroup) -> str:
    return "checksum database" if leak.kind == "sumdb" else "proxy"


class LeaksTab(TableTab):
    TAB_ID = "leaks"
    TITLE = "Leaks"
    HELP = "private module paths sent to a proxy or checksum database, and the fix"
    COLUMNS = ("#", "severity", "module", "endpoints", "sent to", "kind", "matched", "fix")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.leaks: list[LeakGroup] = []

    def on_mount(self) -> None:
        self.table.add_columns(*self.COLUMNS)

    def refresh_from(self, session: Session) -> None:
        self.leaks = list(session.leak_groups)
        cursor = self.keep_cursor(len(self.leaks))
        self.begin(self.table)
        for leak in self.leaks:
            severity = Text(leak.severity, style=styles.severity(leak.severity))
            if leak.blocked:
                severity.append(" B", style=styles.GOOD)  # stopped by the guard
            self.add_safe_row(
                self.table,
                str(leak.seq) if leak.seq is not None else "-",
                severity,
                leak.module,
                ",".join(leak.endpoints) or "-",
                leak.host,
                "checksum db" if leak.kind == "sumdb" else "proxy",
                leak.matched or "(looks internal)",
                leak.fix,
            )
        self.commit(self.table)
        if self.leaks:
            self.table.move_cursor(row=cursor)
            self.show(cursor)
        elif not len(session.store):
            self.detail.update(
                Text(no_requests(session, self.goscope.command_running), styles.MUTED)
            )
        elif session.incomplete:  # never a clean word on a verdict that is not whole
            self.detail.update(
                Text(
                    "No leak among the requests shown, but the verdict is incomplete: "
                    + visible("; ".join(session.incomplete)),
                    styles.WARNING,
                )
            )
        else:
            self.detail.update(
                Text(
                    "No private module path left this machine (private: by each sender's "
                    "GOPRIVATE, GONOPROXY and GONOSUMDB, and goscope's --private).",
                    styles.GOOD,
                )
            )

    def selected(self) -> LeakGroup | None:
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
            what = (
                f"{leak.module} was stopped before the {leak_target(leak)} {leak.host}: "
                "goscope's guard answered in its place (the configuration still sends it)"
                if leak.blocked
                else f"{leak.module} was sent to the {leak_target(leak)} {leak.host}"
            )
            requests = [
                f"request #{seq}: {redact_url(url)}"
                for seq, url in zip(leak.seqs, leak.urls, strict=False)
            ]
            self.detail.update(
                Group(
                    plain(what, "bold"),
                    *(Text(visible(line), style=styles.MUTED) for line in requests),
                    Text.assemble(
                        ("fix (c copies it): ", styles.MUTED), (visible(leak.fix), "bold")
                    )
                    if leak.fix
                    else plain(leak.note, styles.MUTED),
                )
            )

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show(event.cursor_row)
