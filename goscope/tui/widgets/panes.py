"""The Modules, Leaks, Hosts and Config panes: tables over the session's derived views."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Static

from goscope.core.doctor import Finding
from goscope.core.goenv import GO_VARS
from goscope.core.leaks import Leak
from goscope.core.redact import redact_userinfo
from goscope.core.session import Session
from goscope.tui.messages import JumpToSeq
from goscope.tui.widgets.detail import chain_view
from goscope.tui.widgets.request_list import human_size

SEVERITY_STYLE = {
    "high": "bold red",
    "medium": "yellow",
    "suspected": "magenta",
    "error": "bold red",
    "warning": "yellow",
    "info": "cyan",
}


class SessionPane(Vertical):
    """A table plus a detail area; `refresh_from(session)` rebuilds it."""

    DEFAULT_CSS = """
    SessionPane DataTable { height: 1fr; }
    SessionPane .pane-detail-box { height: 10; border-top: solid $panel; padding: 0 1; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.table: DataTable = DataTable(cursor_type="row", zebra_stripes=True)
        self.detail = Static("")

    def compose(self) -> ComposeResult:
        yield self.table
        with VerticalScroll(classes="pane-detail-box"):
            yield self.detail

    def keep_cursor(self, rows: int) -> int:
        return min(self.table.cursor_row, max(0, rows - 1)) if rows else 0


class ModulesPane(SessionPane):
    COLUMNS = (
        "module@version",
        "served by",
        "attempts",
        "endpoints",
        "bytes",
        "time ms",
        "checksum",
        "leak",
    )

    def on_mount(self) -> None:
        self.table.add_columns(*self.COLUMNS)
        self.rows = []

    def refresh_from(self, session: Session) -> None:
        self.rows = session.modules()
        cursor = self.keep_cursor(len(self.rows))
        self.table.clear()
        for row in self.rows:
            name = f"{row.module}@{row.version}" if row.version else row.module
            served = Text(
                row.served_by,
                style="green" if row.served_by not in ("failed", "pending", "unknown") else "red",
            )
            self.table.add_row(
                name,
                served,
                str(row.attempts),
                row.endpoints,
                human_size(row.bytes),
                f"{row.time_ms:.0f}",
                Text("verified", style="green") if row.verified else Text("-", style="dim"),
                Text("LEAK", style="bold red") if row.leak else "",
            )
        if self.rows:
            self.table.move_cursor(row=cursor)
            self.show(cursor)

    def show(self, index: int) -> None:
        if 0 <= index < len(self.rows):
            row = self.rows[index]
            self.detail.update(Group(*[chain_view(c) for c in row.chains]))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show(event.cursor_row)


class LeaksPane(SessionPane):
    COLUMNS = ("severity", "module", "sent to", "kind", "matched", "fix")

    def on_mount(self) -> None:
        self.table.add_columns(*self.COLUMNS)
        self.leaks: list[Leak] = []

    def refresh_from(self, session: Session) -> None:
        self.leaks = list(session.leaks)
        cursor = self.keep_cursor(len(self.leaks))
        self.table.clear()
        for leak in self.leaks:
            self.table.add_row(
                Text(leak.severity, style=SEVERITY_STYLE.get(leak.severity, "")),
                leak.module,
                leak.host,
                "checksum db" if leak.kind == "sumdb" else "proxy",
                leak.matched or "(looks internal)",
                leak.fix,
            )
        if self.leaks:
            self.table.move_cursor(row=cursor)
            self.show(cursor)
        else:
            self.detail.update(Text("No private module path left this machine.", style="green"))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        leak = self.selected()
        if leak is not None and leak.seq is not None:
            self.post_message(JumpToSeq(leak.seq))

    def selected(self) -> Leak | None:
        index = self.table.cursor_row
        return self.leaks[index] if 0 <= index < len(self.leaks) else None

    def show(self, index: int) -> None:
        if 0 <= index < len(self.leaks):
            leak = self.leaks[index]
            what = "checksum database" if leak.kind == "sumdb" else "proxy"
            self.detail.update(
                Group(
                    Text(f"{leak.module} was sent to the {what} {leak.host}", style="bold"),
                    Text(f"request #{leak.seq}: {leak.url}", style="dim"),
                    Text.assemble(("fix (c copies it): ", "dim"), (leak.fix, "bold")),
                )
            )

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show(event.cursor_row)


class HostsPane(SessionPane):
    COLUMNS = ("host", "role", "public", "requests", "errors", "p50 ms", "p95 ms", "bytes")

    def on_mount(self) -> None:
        self.table.add_columns(*self.COLUMNS)

    def refresh_from(self, session: Session) -> None:
        cursor = self.keep_cursor(len(session.hosts))
        self.table.clear()
        for stats in sorted(session.hosts.values(), key=lambda s: -s.requests):
            p50, p95 = stats.percentile(50), stats.percentile(95)
            self.table.add_row(
                stats.host,
                ", ".join(sorted(stats.roles)) or "other",
                Text("public", style="yellow") if stats.public else Text("private", style="dim"),
                str(stats.requests),
                Text(str(stats.errors), style="red" if stats.errors else "dim"),
                f"{p50:.0f}" if p50 is not None else "-",
                f"{p95:.0f}" if p95 is not None else "-",
                human_size(stats.bytes),
            )
        if session.hosts:
            self.table.move_cursor(row=cursor)


class ConfigPane(SessionPane):
    """The Go environment as the command saw it, and the doctor's findings with their proof."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.findings_table: DataTable = DataTable(cursor_type="row", zebra_stripes=True)
        self.findings: list[Finding] = []

    def compose(self) -> ComposeResult:
        yield self.table
        yield Static(
            Text("Doctor findings (enter jumps to the proof)", style="bold"),
            classes="findings-title",
        )
        yield self.findings_table
        with VerticalScroll(classes="pane-detail-box"):
            yield self.detail

    def on_mount(self) -> None:
        self.table.add_columns("variable", "value", "origin")
        self.findings_table.add_columns("severity", "finding", "variable", "message", "proof")

    def refresh_from(self, session: Session) -> None:
        self.table.clear()
        for var in GO_VARS:
            self.table.add_row(
                var,
                redact_userinfo(session.env.get(var)) or Text("(unset)", style="dim"),
                Text(session.env.origins.get(var, ""), style="dim"),
            )
        self.findings = session.findings()
        cursor = min(self.findings_table.cursor_row, max(0, len(self.findings) - 1))
        self.findings_table.clear()
        for f in self.findings:
            proof = ", ".join(f"#{s}" for s in f.evidence[:3]) + (
                "…" if len(f.evidence) > 3 else ""
            )
            self.findings_table.add_row(
                Text(f.severity, style=SEVERITY_STYLE.get(f.severity, "")),
                f.id,
                f.variable,
                f.message,
                proof or "-",
            )
        if self.findings:
            self.findings_table.move_cursor(row=cursor)
            self.show(cursor)
        else:
            self.detail.update(Text("The doctor found nothing to fix.", style="green"))

    def selected(self) -> Finding | None:
        index = self.findings_table.cursor_row
        return self.findings[index] if 0 <= index < len(self.findings) else None

    def show(self, index: int) -> None:
        if 0 <= index < len(self.findings):
            f = self.findings[index]
            parts = [
                Text(f"{f.severity} {f.id}", style=SEVERITY_STYLE.get(f.severity, "")),
                Text(f.message),
            ]
            if f.fix:
                parts.append(Text.assemble(("fix (c copies it): ", "dim"), (f.fix, "bold")))
            if f.evidence:
                parts.append(
                    Text(
                        f"proof: requests {', '.join('#' + str(s) for s in f.evidence)}",
                        style="dim",
                    )
                )
            self.detail.update(Group(*parts))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table is self.findings_table:
            self.show(event.cursor_row)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        finding = self.selected() if event.data_table is self.findings_table else None
        if finding is not None and finding.evidence:
            self.post_message(JumpToSeq(finding.evidence[0]))
