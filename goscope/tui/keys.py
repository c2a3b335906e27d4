"""The app's keys: its bindings, and the help table `?` shows and the README copies.

Number keys come from the tab list (goscope.tui.tabs.TABS); a test keeps the
README's table equal to `key_table()` and checks that every key is bound.
"""

from __future__ import annotations

from textual.binding import Binding, BindingType

from goscope.tui.tabs import TABS, tab_key

BINDINGS: list[BindingType] = [
    Binding("q", "quit_app", "Quit"),
    Binding("question_mark", "help", "Help"),
    Binding("slash", "filter", "Filter"),
    Binding("escape", "clear_filter", "Clear filter", show=False),
    Binding("f", "toggle_follow", "Follow"),
    Binding("c", "copy", "Copy"),
    Binding("s", "sort", "Sort"),
    Binding("e", "export", "Export"),
    Binding("o", "open_recording", "Open"),
    Binding("colon", "command_bar", "Run"),
    Binding("g", "toggle_guard", "Guard"),
    Binding("enter", "jump_to_proof", "Go to request", show=False),
    # Number keys switch tabs from anywhere (a focused table included), except while
    # typing in an input (check_action).
    *[
        Binding(tab_key(tab.TAB_ID), f"tab('{tab.TAB_ID}')", tab.TITLE, show=False, priority=True)
        for tab in TABS
    ],
]
KEY_HELP: list[tuple[str, str]] = [
    (f"1-{len(TABS)}", ", ".join(tab.TITLE for tab in TABS)),
    (
        "↑↓ PgUp PgDn Home End",
        "move in the request list and every table: Home, End the first, last row (moving up stops following)",
    ),
    ("f", "follow new traffic on/off"),
    (
        "s",
        "sort the requests: # (arrival), started, finished, status, duration, size, host; or click a column's name (twice: reverse)",
    ),
    ("/", "filter the request list; Esc clears the filter"),
    ("c", "copy: the request as curl; in Leaks and Config, the fix"),
    ("e", "export the session: recording (.jsonl), report (.json), HAR (asks where)"),
    ("o", "open a recording (not in a live session: use goscope open FILE)"),
    (":", "run a command through goscope (e.g. go mod download)"),
    ("g", "the guard on/off in a live session: would-be leaks answered here, never sent"),
    ("Enter", "in Modules, Leaks, Config or Output: show the request that proves it"),
    ("Ctrl+P", "command palette (filters, tabs, themes: Textual's light and dark)"),
    ("?", "this help"),
    ("q", "quit (asks first while a command runs)"),
]


def key_table() -> str:
    """The keys as a Markdown table: the README's copy is tested against it."""
    rows = ["| key | what it does |", "| --- | --- |"]
    pipe = "\\|"
    rows += [f"| `{key}` | {what.replace('|', pipe)} |" for key, what in KEY_HELP]
    return "\n".join(rows)
