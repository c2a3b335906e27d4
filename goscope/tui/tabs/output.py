"""Output: what the command printed, and its exit status."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import RichLog

from .base import GoscopeTab


class OutputTab(GoscopeTab):
    TAB_ID = "output"
    TITLE = "Output"
    HELP = "the command's output and exit status"

    def compose(self) -> ComposeResult:
        yield RichLog(id="output-log", wrap=True, markup=False, highlight=False)

    def primary(self) -> Widget | None:
        return self.query_one(RichLog)
