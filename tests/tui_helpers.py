"""Helpers for driving the TUI with Textual's pilot."""

from __future__ import annotations

import io
import re

from rich.console import Console

from goscope.tui.app import GoscopeApp


def plain(renderable, width: int = 160) -> str:
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    console.print(renderable)
    return console.export_text()


async def wait_for(pilot, predicate, timeout: float = 60.0, step: float = 0.1) -> None:
    waited = 0.0
    while not predicate():
        await pilot.pause(step)
        waited += step
        if waited > timeout:
            raise AssertionError("timed out waiting for the app")


async def settled(pilot, app: GoscopeApp) -> None:
    """Every table has laid itself out and nothing waits to be drawn: a state, not a time
    (on a loaded machine `pause()` can return before Textual has caught up)."""
    from textual.widgets import DataTable

    def done() -> bool:
        tables = app.screen.query(DataTable)
        return (
            not app.pending
            and not app._dirty  # no pane refresh still due (it would rebuild a table)
            and all(not t._require_update_dimensions for t in tables)
        )

    await wait_for(pilot, done)
    # A table measured its columns after it drew some lines: draw them all again, now.
    for table in app.screen.query(DataTable):
        table._clear_caches()
        table.refresh()
    await wait_for(pilot, done)
    # Then until two screens in a row are the same: tables lay out in several passes.
    previous = None
    for _ in range(300):
        await pilot.pause(0.1)
        screen = re.sub(r"terminal-\d+", "terminal", app.export_screenshot())
        if screen == previous:
            return
        previous = screen
    raise AssertionError("the screen never settled")


async def loaded(pilot, app: GoscopeApp, rows: int) -> None:
    await wait_for(
        pilot,
        lambda: not app.loading and len(app.session) >= rows and app.request_list.row_count >= rows,
    )
    await pilot.pause(0.3)
