"""Snapshots of every screen on a fixed recording (pytest-textual-snapshot)."""

from __future__ import annotations

import pytest

from goscope.tui.screens.modals import HelpScreen
from goscope.tui.tabs import tab_key

from .test_tui import EVENTS, open_app
from .tui_helpers import loaded, settled, wait_for

SIZE = (150, 40)


def _tab(tab_id: str):
    return lambda app: app.query_one("#tabs").active == tab_id and app.refreshed_tab == tab_id


SCREENS = [
    ("requests", ["down", "down"], lambda app: app.request_list.cursor == 2),
    ("modules", [tab_key("modules")], _tab("modules")),
    ("leaks", [tab_key("leaks")], _tab("leaks")),
    ("hosts", [tab_key("hosts")], _tab("hosts")),
    ("config", [tab_key("config")], _tab("config")),
    ("timeline", [tab_key("timeline")], _tab("timeline")),
    (
        "filtered",
        ["slash", *"kind:sumdb", "enter", "down"],
        lambda app: app.requests.filter is not None and app.request_list.cursor == 1,
    ),
    ("help", ["question_mark"], lambda app: isinstance(app.screen, HelpScreen)),
]


@pytest.mark.parametrize(
    ("name", "keys", "shown"),
    SCREENS,
    ids=[f"{name}-keys{i}" for i, (name, _, _) in enumerate(SCREENS)],  # the snapshots' names
)
def test_screen(snap_compare, name, keys, shown):
    app = open_app()

    async def run_before(pilot):
        await loaded(pilot, app, EVENTS)
        await pilot.press(*keys)
        # What the keys do, by state, never by a guess at time: a loaded machine is slow.
        await wait_for(pilot, lambda: shown(app))
        await settled(pilot, app)  # then every table that state filled is laid out

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


SIZES = [(80, 24), (120, 40), (200, 60)]
SIZED = [s for s in SCREENS if s[0] in ("requests", "modules", "leaks", "config", "help")]


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@pytest.mark.parametrize(("name", "keys", "shown"), SIZED, ids=[s[0] for s in SIZED])
def test_every_size(snap_compare, size, name, keys, shown):
    """At 80×24 the header still shows the counts, the list keeps status, host and flags,
    and the detail sits under the list; at 200×60 nothing is cut."""
    app = open_app()

    async def run_before(pilot):
        await loaded(pilot, app, EVENTS)
        await pilot.press(*keys)
        await wait_for(pilot, lambda: shown(app))
        await settled(pilot, app)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
