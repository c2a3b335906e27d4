"""Requests: every request go made, as it happened, and the selected one in detail."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from goscope.core.outputs.export import curl_command
from goscope.term import styles
from goscope.tui.widgets.request_list import RequestList

from .base import GoscopeTab


class RequestsTab(GoscopeTab):
    TAB_ID = "requests"
    TITLE = "Requests"
    HELP = "every request, its fallback chain, headers and body"

    def compose(self) -> ComposeResult:
        with Horizontal(id="requests-split"):
            with Vertical(id="request-side"):
                yield Static(id="list-header")
                yield RequestList(self.goscope.session.store, id="request-list")
            with VerticalScroll(id="detail-scroll"):
                yield Static(
                    Text("Select a request to see its fallback chain.", style=styles.MUTED),
                    id="detail",
                )

    def primary(self) -> Widget | None:
        return self.query_one(RequestList)

    def copy_text(self) -> str | None:
        """The selected request as curl, through goscope while it runs."""
        app = self.goscope
        index = app.request_list.store_index(app.request_list.cursor)
        event = app.session.event(index) if index is not None else None
        if event is None:
            return None
        engine = app.engine
        proxy = engine.url if engine is not None else None
        bundle = str(engine.bundle) if engine is not None and proxy else None
        return curl_command(event, proxy, bundle)
