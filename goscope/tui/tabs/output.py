"""Output: what the command printed, its exit status, and go's errors tied to requests."""

from __future__ import annotations

import shlex
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import DataTable, RichLog, Static

from goscope.core.gorules.goerrors import GoError
from goscope.core.safe.visible import visible
from goscope.core.view.session import Session
from goscope.term import styles
from goscope.term.safe import plain
from goscope.tui.widgets.table import GoscopeTable

from .base import GoscopeTab


def empty_reason(session: Session, has_lines: bool, running: bool) -> str | None:
    """Why the log is empty, and what would fill it (None: it is not empty)."""
    if has_lines:
        return None
    command = session.judge.command
    name = shlex.join(command) if command else None
    if session.live:
        if not command:
            return (
                "No command runs in this goscope: go in another terminal prints there, not "
                "here (its requests are in Requests). Press : to run a command here and see "
                "its output."
            )
        if running:
            return f"{visible(name or '')} has printed nothing yet."
        return f"{visible(name or '')} printed nothing."
    if not command:
        return (
            "This recording holds no command's output: goscope ran no command (go ran in "
            "other terminals, and printed there). A recording of `goscope run -- go …` "
            "keeps go's output."
        )
    if not session.finished:
        return (
            f"The recording ends before {visible(name or '')} did (cut short, or still "
            "being written): go's output is kept in its last line."
        )
    return f"{visible(name or '')} printed nothing."


class OutputTab(GoscopeTab):
    TAB_ID = "output"
    TITLE = "Output"
    HELP = "the command's output, its exit status, and go's errors (Enter: the request)"

    DEFAULT_CSS = """
    OutputTab #go-errors { height: auto; max-height: 8; display: none; }
    OutputTab #go-errors.has-errors { display: block; }
    OutputTab RichLog { height: 1fr; }
    OutputTab #output-note { padding: 1 2; color: $text-muted; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.errors: list[GoError] = []
        self._shown: list[str] = []
        self._session = 0  # id of the session the log shows (another recording: a new log)
        self._replayed = False  # a recording's go output is in the log
        self._exit_shown = False  # and its exit status after it
        self.note = Static("", id="output-note")

    def compose(self) -> ComposeResult:
        table: DataTable[Any] = GoscopeTable(id="go-errors")
        table.add_columns("go error", "module", "what it means")
        yield table
        yield self.note
        yield RichLog(id="output-log", wrap=True, markup=False, highlight=False)

    def refresh_from(self, session: Session) -> None:
        log = self.query_one(RichLog)
        if id(session) != self._session:
            if self._session:  # another recording was opened: its own output only
                log.clear()
            self._session, self._replayed, self._exit_shown = id(session), False, False
        if not session.live and session.finished and not self._replayed:
            # A recording's end line carries go's output (redacted when recorded).
            for line in session.judge.go_output:
                log.write(visible(line, multiline=True))
            self._replayed = True
        code = self.goscope.exit_status
        if self._replayed and code is not None and not self._exit_shown:
            # And its exit status, as a live run's log ends (a recording's was nowhere).
            log.write(Text(f"exit status {code}", style=f"bold {styles.exit_status(code)}"))
            self._exit_shown = True
        # (RichLog keeps writes until it has a size: its lines may not be there yet, and
        # the note said "printed nothing" above what the command printed.)
        # (A recording's log ends with its exit status: that line is goscope's, not go's.)
        written = (
            (session.live and bool(log.lines))
            or self.goscope.command_printed
            or (self._replayed and bool(session.judge.go_output))
        )
        why = empty_reason(session, written, self.goscope.command_running)
        self.note.update(Text(why, style="italic") if why else "")
        self.note.display = bool(why)
        self._refresh_errors(session)

    def _refresh_errors(self, session: Session) -> None:
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
