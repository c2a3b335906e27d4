"""Config: the Go environment as the command saw it, and the doctor's findings with proof."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import DataTable, Input, Static

from goscope.core.gorules.goenv import GO_VARS, GoEnv
from goscope.core.gorules.routing import predict_route
from goscope.core.judging.findings import Finding
from goscope.core.judging.judge import UNKNOWN_SENDER
from goscope.core.safe.redact import redact_value
from goscope.core.safe.visible import visible
from goscope.core.view.session import Session
from goscope.core.vocab import counted
from goscope.term import styles
from goscope.term.route import route_lines
from goscope.term.safe import plain
from goscope.tui.widgets.table import GoscopeTable

from .base import TableTab


def senders_key() -> str:
    from . import tab_key  # the tabs package imports this module: asked when drawn

    return tab_key("senders")


class ConfigTab(TableTab):
    TAB_ID = "config"
    TITLE = "Config"
    HELP = "the Go environment with origins, the doctor's findings, and a live route for any path"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.findings_table: DataTable[Any] = GoscopeTable(zebra_stripes=True)
        self.findings: list[Finding] = []
        self.route_text = ""

    def compose(self) -> ComposeResult:
        yield Static(id="config-sender", classes="findings-title")
        yield self.table
        yield Static(
            Text("Doctor findings (enter jumps to the proof)", style="bold"),
            classes="findings-title",
        )
        yield self.findings_table
        yield Input(
            placeholder="route: a module or package path[@version] — where go will send it",
            id="route-input",
        )
        with VerticalScroll(classes="pane-detail-box"):
            yield self.detail

    def on_mount(self) -> None:
        self.table.add_columns("variable", "value", "origin")
        self.findings_table.add_columns("severity", "finding", "variable", "message", "proof")

    def primary(self) -> Widget | None:
        return self.findings_table

    def refresh_from(self, session: Session) -> None:
        sender = session.sender
        title = Text("Go environment of ", style="bold")
        title.append(visible(sender.label), style="bold")
        if not sender.known:
            title.append(f" · {UNKNOWN_SENDER}", style=styles.WARNING)
        views = session.judge.senders()
        others = [view for view in views if view is not sender]
        if others:
            # Each process is judged by its own environment; Config shows one at a time.
            title.append(
                f" · 1 of {len(views)} processes (Senders, {senders_key()})", style=styles.MUTED
            )
        self.query_one("#config-sender", Static).update(title)
        self.begin(self.table)
        env = session.env
        seen = sender.inferred() if env is None else {}
        for var in GO_VARS:
            if env is None:
                if var in seen:
                    self.add_safe_row(self.table, var, redact_value(seen[var]), "seen in traffic")
                else:
                    self.add_safe_row(self.table, var, Text("(unknown)", styles.MUTED), "")
                continue
            self.add_safe_row(
                self.table,
                var,
                redact_value(env.get(var)) or Text("(unset)", style=styles.MUTED),
                plain(env.origins.get(var, ""), styles.MUTED),
            )
        self.commit(self.table)
        self.findings = session.findings()
        cursor = min(self.findings_table.cursor_row, max(0, len(self.findings) - 1))
        self.begin(self.findings_table)
        for f in self.findings:
            proof = ", ".join(f"#{s}" for s in f.evidence[:3]) + (
                "…" if len(f.evidence) > 3 else ""
            )
            self.add_safe_row(
                self.findings_table,
                Text(f.severity, style=styles.severity(f.severity)),
                f.id,
                f.variable,
                f.message,
                proof or "-",
            )
        self.commit(self.findings_table)
        if self.route_text:
            return  # the Route panel holds the detail box while a path is typed
        if self.findings:
            self.findings_table.move_cursor(row=cursor)
            self.show(cursor)
            return
        # Worked out only here, when this process's list is empty: a clean word must not
        # stand for processes it does not cover.
        flagged = sum(1 for view in others if view.findings(session.private))
        elsewhere = (
            f" {counted(flagged, 'other process')} {'has' if flagged == 1 else 'have'} "
            f"findings of {'its' if flagged == 1 else 'their'} own (Senders, {senders_key()})."
            if flagged
            else ""
        )
        if session.incomplete:
            self.detail.update(
                Text(
                    "The doctor found nothing to fix in what was seen; the verdict is "
                    "incomplete: " + visible("; ".join(session.incomplete)) + "." + elsewhere,
                    style=styles.WARNING,
                )
            )
        elif flagged:
            self.detail.update(
                Text(
                    "The doctor found nothing to fix for this process." + elsewhere,
                    style=styles.WARNING,
                )
            )
        else:
            self.detail.update(Text("The doctor found nothing to fix.", style=styles.GOOD))

    def selected(self) -> Finding | None:
        index = self.findings_table.cursor_row
        return self.findings[index] if 0 <= index < len(self.findings) else None

    def copy_text(self) -> str | None:
        finding = self.selected()
        return finding.fix if finding else None

    def proof_seq(self) -> int | None:
        finding = self.selected()
        return finding.evidence[0] if finding and finding.evidence else None

    def show(self, index: int) -> None:
        if 0 <= index < len(self.findings):
            f = self.findings[index]
            parts = [
                Text(visible(f"{f.severity} {f.id}"), style=styles.severity(f.severity)),
                Text(visible(f.message)),
            ]
            if f.fix:
                parts.append(
                    Text.assemble(("fix (c copies it): ", styles.MUTED), (visible(f.fix), "bold"))
                )
            if f.evidence:
                seqs = ", ".join("#" + str(s) for s in f.evidence)
                parts.append(Text(visible(f"proof: requests {seqs}"), style=styles.MUTED))
            self.detail.update(Group(*parts))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table is self.findings_table and not self.route_text:
            self.show(event.cursor_row)

    def on_key(self, event: events.Key) -> None:
        """Esc leaves the route box, as it leaves the filter bar: cleared, back to the
        findings (it stayed in the box, and only Shift+Tab got out)."""
        box = self.query_one("#route-input", Input)
        if event.key == "escape" and box.has_focus:
            event.stop()
            box.value = ""
            self.findings_table.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        """The Route panel, live as you type: the selected sender's environment decides."""
        if event.input.id != "route-input":
            return
        self.route_text = event.value.strip()
        if not self.route_text:
            if self.findings:
                self.show(self.findings_table.cursor_row)
            return
        path, _, version = self.route_text.partition("@")
        session = self.goscope.session
        env = session.env or GoEnv.from_mapping({})
        route = predict_route(
            env,
            path,
            version or None,
            package=True,
            private=session.private,
            trusted=session.judge.default.detector.trusted,
        )
        lines = route_lines(route)
        if session.env is None:
            lines.insert(1, Text(UNKNOWN_SENDER, style=styles.WARNING))
        self.detail.update(Group(*lines))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table is self.findings_table:  # the variables table proves nothing
            super().on_data_table_row_selected(event)
