"""Helpers for driving the TUI with Textual's pilot."""

from __future__ import annotations

import io

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


async def loaded(pilot, app: GoscopeApp, rows: int) -> None:
    await wait_for(
        pilot, lambda: not app.loading and len(app.session) >= rows and app.request_list.row_count >= rows
    )
    await pilot.pause(0.3)
