"""Hosts: who go talked to, in which role, how often, how fast, and how many errors."""

from __future__ import annotations

from rich.text import Text

from goscope.core.safe.visible import visible
from goscope.core.view.session import Session
from goscope.term import styles
from goscope.tui.widgets.request_list import human_size

from .base import TableTab, no_requests


def issuer_text(issuer: str | None, public_root: bool | None) -> Text:
    """The upstream certificate's issuer; one not under a public root is said in words."""
    if issuer is None:
        return Text("-", styles.MUTED)
    if public_root is False:
        return Text(visible(f"{issuer} (not a public root: TLS inspection?)"), styles.WARNING)
    return Text(visible(issuer), styles.MUTED)


class HostsTab(TableTab):
    TAB_ID = "hosts"
    TITLE = "Hosts"
    HELP = (
        "every host: role, requests, requests the guard stopped, errors, not-found answers, "
        "latency, HTTP, TLS, issuer"
    )
    COLUMNS = (
        "host",
        "role",
        "service",
        "requests",
        "blocked",
        "errors",
        "not found",
        "p50 ms",
        "p95 ms",
        "bytes",
        "http",
        "tls",
        "certificate issuer",
    )

    def on_mount(self) -> None:
        self.table.add_columns(*self.COLUMNS)

    def refresh_from(self, session: Session) -> None:
        cursor = self.keep_cursor(len(session.hosts))
        self.begin(self.table)
        for stats in sorted(session.hosts.values(), key=lambda s: -(s.requests + s.blocked)):
            p50, p95 = stats.percentile(50), stats.percentile(95)
            self.add_safe_row(
                self.table,
                stats.host,
                ", ".join(sorted(stats.roles)) or "other",
                # Known public services by name; goscope cannot know who runs the others.
                Text("public", styles.WARNING) if stats.public else Text("-", styles.MUTED),
                str(stats.requests),
                # asked of it, answered by the guard: never reached it
                Text(str(stats.blocked), style=styles.WARNING if stats.blocked else styles.MUTED),
                Text(str(stats.errors), style="red" if stats.errors else styles.MUTED),
                Text(str(stats.not_found), style=styles.MUTED),
                f"{p50:.0f}" if p50 is not None else "-",
                f"{p95:.0f}" if p95 is not None else "-",
                human_size(stats.bytes),
                ",".join(sorted(stats.http)) or "-",
                (stats.tls or "-").removeprefix("TLSv"),
                issuer_text(stats.issuer, stats.public_root),
            )
        self.commit(self.table)
        if session.hosts:
            self.table.move_cursor(row=cursor)
        else:
            self.detail.update(
                Text(no_requests(session, self.goscope.command_running), styles.MUTED)
            )
