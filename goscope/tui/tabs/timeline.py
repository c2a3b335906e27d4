"""Timeline: a waterfall of requests over time, one lane per host."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widget import Widget

from goscope.core.view.session import Session
from goscope.tui.widgets.timeline import Timeline

from .base import GoscopeTab, no_requests


class TimelineTab(GoscopeTab):
    TAB_ID = "timeline"
    TITLE = "Timeline"
    HELP = "requests over time, one lane per host: where the time went"

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Timeline(id="timeline-view")

    def refresh_from(self, session: Session) -> None:
        self.query_one(Timeline).refresh_from(
            session.store, no_requests(session, self.goscope.command_running)
        )

    def primary(self) -> Widget | None:
        return self.query_one(VerticalScroll)
