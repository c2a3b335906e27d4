"""Snapshots of every screen on a fixed recording (pytest-textual-snapshot)."""

from __future__ import annotations

import pytest

from goscope.tui.tabs import tab_key

from .test_tui import EVENTS, open_app
from .tui_helpers import loaded

SIZE = (150, 40)


@pytest.mark.parametrize(
    ("name", "keys"),
    [
        ("requests", ["down", "down"]),
        ("modules", [tab_key("modules")]),
        ("leaks", [tab_key("leaks")]),
        ("hosts", [tab_key("hosts")]),
        ("config", [tab_key("config")]),
        ("timeline", [tab_key("timeline")]),
        ("filtered", ["slash", *"kind:sumdb", "enter", "down"]),
        ("help", ["question_mark"]),
    ],
)
def test_screen(snap_compare, name, keys):
    app = open_app()

    async def run_before(pilot):
        await loaded(pilot, app, EVENTS)
        await pilot.press(*keys)
        await pilot.pause(0.5)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
