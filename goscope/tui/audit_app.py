"""`goscope audit … --tui`: the audit in tables you can move through, one tab per question.

Leaks (per private path and host, the selected one's repositories, commands and fix
below), hosts (failures, not-found, p50/p95), go versions, incomplete runs. The same
answer as the text, JSON and Markdown forms: the headline counts are the tables' lengths.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, Static, TabbedContent, TabPane

from goscope.core.audit.engine import Audit
from goscope.core.audit.render import counted, verdict_line, window_text
from goscope.core.safe.visible import visible
from goscope.core.view.elide import elide_middle
from goscope.term import styles
from goscope.term.safe import plain
from goscope.tui.widgets.table import GoscopeTable

SEVERITY_STYLE = {"high": styles.LEAK, "medium": styles.BAD, "suspected": styles.WARNING}


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _ms(value: float | None) -> str:
    return "-" if value is None else (f"{value:.0f}" if value >= 10 else f"{value:.1f}")


class AuditApp(App[int]):
    TITLE = "goscope audit"
    CSS = """
    #audit-head { height: auto; max-height: 4; padding: 0 1; background: $panel; }
    #leak-detail { height: 6; padding: 0 1; border-top: solid $panel; }
    TabbedContent, ContentSwitcher, TabPane { height: 1fr; }
    DataTable { height: 1fr; }
    """
    BINDINGS = [
        Binding("q,escape", "quit", "Quit"),
        Binding("1", "tab('leaks')", "Leaks"),
        Binding("2", "tab('hosts')", "Hosts"),
        Binding("3", "tab('versions')", "Go versions"),
        Binding("4", "tab('incomplete')", "Incomplete"),
    ]

    def __init__(self, audit: Audit) -> None:
        super().__init__()
        self.audit = audit

    def compose(self) -> ComposeResult:
        a = self.audit
        head = Text("verdict: ", style="bold")
        head.append(verdict_line(a), style=styles.GOOD if a.whole and not a.leaks else styles.BAD)
        span = f", {a.first[:10]} to {a.last[:10]}" if a.first and a.last else ""
        head.append(
            f"\n{counted(a.runs, 'run')} ({a.complete:,} complete, {a.incomplete:,} incomplete) "
            f"from {counted(a.repositories, 'repository', 'repositories')}{span}; "
            f"{counted(a.files, 'file')} read"
            + (f"; {a.outside:,} runs outside {window_text(a)} left out" if a.outside else ""),
            style="dim",
        )
        yield Static(head, id="audit-head")
        with TabbedContent(initial="leaks"):
            with TabPane(f"Leaks ({len(a.leaks):,})", id="leaks"):
                yield GoscopeTable(id="audit-leaks", cursor_type="row", zebra_stripes=True)
                with VerticalScroll(id="leak-detail"):
                    yield Static(id="leak-text")
            with TabPane(f"Hosts ({len(a.hosts):,})", id="hosts"):
                yield GoscopeTable(id="audit-hosts", cursor_type="row", zebra_stripes=True)
            with TabPane(f"Go versions ({len(a.go_versions):,})", id="versions"):
                yield GoscopeTable(id="audit-versions", cursor_type="row")
            with TabPane(f"Incomplete ({a.incomplete:,})", id="incomplete"):
                yield GoscopeTable(id="audit-incomplete", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        a = self.audit
        leaks: DataTable[Any] = self.query_one("#audit-leaks", DataTable)
        leaks.add_columns("severity", "private path", "host", "runs", "seen")
        # The path and the host share what the other columns leave (at 80 columns too);
        # the path keeps its ends (elide_middle), the detail below has them whole.
        room = max(36, self.size.width - 38)
        longest = max((len(g["module"]) for g in a.leaks), default=0)
        path_width = min(longest, room - 12)
        for g in a.leaks:
            state = " (stopped)" if g["blocked"] else ""
            first, last = (g["first_seen"] or "?")[:10], (g["last_seen"] or "?")[:10]
            leaks.add_row(
                Text(g["severity"] + state, SEVERITY_STYLE.get(g["severity"], "")),
                plain(elide_middle(g["module"], path_width)),
                plain(elide_middle(g["host"], room - path_width)),
                f"{g['runs']:,}",
                first if first == last else f"{first}…{last[5:]}",
            )
        hosts: DataTable[Any] = self.query_one("#audit-hosts", DataTable)
        hosts.add_columns("host", "runs", "requests", "failed", "not found", "p50 ms", "p95 ms")
        for h in a.hosts:
            hosts.add_row(
                plain(h["host"]),
                f"{h['runs']:,}",
                f"{h['requests']:,}",
                _rate(h["failed_rate"]),
                _rate(h["not_found_rate"]),
                _ms(h["p50_ms"]),
                _ms(h["p95_ms"]),
            )
        versions: DataTable[Any] = self.query_one("#audit-versions", DataTable)
        versions.add_columns("go version", "runs", "first", "last")
        for v in a.go_versions:
            versions.add_row(
                plain(v["go_version"] or "unknown"),
                f"{v['runs']:,}",
                (v["first"] or "?")[:10],
                (v["last"] or "?")[:10],
            )
        incomplete: DataTable[Any] = self.query_one("#audit-incomplete", DataTable)
        incomplete.add_columns("started", "repository", "why", "file")
        for r in a.incomplete_runs:
            incomplete.add_row(
                (r["started"] or "?")[:10],
                plain(r["repository"] or "unknown"),
                plain("; ".join(r["reasons"])),
                plain(r["path"]),
            )
        self._show_leak(0)
        leaks.focus()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "audit-leaks":
            self._show_leak(event.cursor_row)

    def _show_leak(self, index: int) -> None:
        text = self.query_one("#leak-text", Static)
        if not self.audit.leaks:
            text.update(
                Text(
                    "No private path reached a public proxy or checksum database in these runs."
                    if self.audit.whole
                    else "No leak in what was read, but the audit is incomplete: "
                    + verdict_line(self.audit).rpartition("INCOMPLETE: ")[2]
                )
            )
            return
        g = self.audit.leaks[min(index, len(self.audit.leaks) - 1)]
        detail = Text()
        detail.append(visible(f"{g['module']} → {g['host']}"), style="bold")
        detail.append(f"  {'/'.join(g['kinds'])}, {g['requests']:,} requests, ")
        detail.append(f"first {g['first_seen'] or '?'}, last {g['last_seen'] or '?'}\n")
        for label, names, total in (
            ("repositories", g["repositories"], g["repository_count"]),
            ("commands", g["commands"], g["command_count"]),
        ):
            more = f" (+{total - len(names)} more)" if total > len(names) else ""
            detail.append(f"{label}: " + visible(", ".join(names)) + more + "\n")
        if g["note"]:
            detail.append("note: " + visible(g["note"]) + "\n")
        if g["fix"]:
            detail.append("fix: " + visible(g["fix"]), style=styles.GOOD)
        text.update(detail)

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        table = {"leaks": "#audit-leaks", "hosts": "#audit-hosts"}.get(tab)
        self.query_one(table or f"#audit-{tab}", DataTable).focus()

    def action_quit(self) -> None:  # type: ignore[override]
        self.exit(3 if self.audit.leaks else 0 if self.audit.whole else 4)
