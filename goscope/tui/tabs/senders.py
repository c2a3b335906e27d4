"""Senders: the processes whose requests goscope saw, each with its own Go environment.

Enter on a sender shows its environment and doctor findings in Config: each
request is judged by the environment of the process that sent it.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import DataTable

from goscope.core.judging.judge import UNKNOWN_SENDER, SenderView
from goscope.core.judging.leaks import group_leaks
from goscope.core.safe.visible import visible
from goscope.core.view.session import Session
from goscope.term import styles

from .base import TableTab


class SendersTab(TableTab):
    TAB_ID = "senders"
    TITLE = "Senders"
    HELP = "the processes that sent requests, each judged by its own Go environment"
    COLUMNS = ("#", "pid", "program", "command", "directory", "requests", "leaks", "environment")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.views: list[SenderView] = []

    def on_mount(self) -> None:
        self.table.add_columns(*self.COLUMNS)

    def refresh_from(self, session: Session) -> None:
        self.views = session.judge.senders()
        cursor = self.keep_cursor(len(self.views))
        self.begin(self.table)
        for view in self.views:
            info = view.info or {}
            self.add_safe_row(
                self.table,
                str(view.id) if view.id is not None else "-",
                str(info.get("pid", "-")),
                info.get("program") or ("(goscope's command)" if view.known else "(unknown)"),
                " ".join(info.get("command") or []),
                info.get("cwd") or "",
                str(view.requests),
                # Leaks as every count reads them: one per private path and host, not per request.
                Text(
                    str(len(group_leaks(view.leaks))),
                    style=styles.LEAK if view.leaks else styles.MUTED,
                ),
                Text("known", styles.GOOD) if view.known else Text("unknown", styles.WARNING),
            )
        self.commit(self.table)
        if self.views:
            self.table.move_cursor(row=cursor)
            self.show(cursor)
        else:
            self.detail.update(Text("No requests yet.", style=styles.MUTED))

    def show(self, index: int) -> None:
        if 0 <= index < len(self.views):
            view = self.views[index]
            text = Text(visible(view.label), style="bold")
            if not view.known:
                text.append(f"\n{UNKNOWN_SENDER}", style=styles.WARNING)
            else:
                text.append("\nEnter shows its Go environment and doctor findings (Config)")
            for name, value in sorted(((view.info or {}).get("variables") or {}).items()):
                text.append("\n" + visible(f"{name}={value}"), style=styles.MUTED)
            self.detail.update(text)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show(event.cursor_row)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        index = event.cursor_row
        if 0 <= index < len(self.views):
            self.goscope.session.selected_sender = self.views[index].id
            self.goscope.action_tab("config")
