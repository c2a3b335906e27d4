"""The request list: a Line API view over the compact store, smooth at a million rows.

Only visible lines are rendered, and rendered lines are cached (LRU) by row
and width, as toolong does for huge log files.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rich.cells import cell_len, set_cell_size
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from goscope.core.safe.redact import redact_url
from goscope.core.safe.visible import visible
from goscope.core.view.elide import elide_middle, elide_module
from goscope.core.view.store import (
    FLAG_AUTH_RETRY,
    FLAG_BLOCKED,
    FLAG_INTERNAL,
    FLAG_LEAK,
    EventStore,
    Row,
)
from goscope.core.vocab import ABANDONED_ERROR
from goscope.term import styles

# (name, width, priority): the lower the priority number, the longer a column stays as
# the list narrows; module@version (width 0) takes what is left, versions visible.
COLUMNS = (
    ("#", 5, 1),
    ("time", 12, 6),
    ("kind", 9, 5),
    ("endpoint", 11, 3),
    ("module@version", 0, 0),
    ("host", 20, 2),
    ("st", 3, 1),
    ("ms", 5, 7),
    ("size", 6, 8),
    ("fl", 2, 1),
)
# Columns are dropped, least needed first, until module@version gets this much (beyond
# it, the middle of the path is elided: core/view/elide.py); # st fl never drop.
MIN_MODULE = 40
MODULE_COLUMN = 4
SHORT_ENDPOINTS = {
    "git-upload-pack": "upload-pack",
    "git-info-refs": "info-refs",
    "sumdb-latest": "latest",
}


def human_size(n: float) -> str:
    if n < 0:
        return "-"
    for unit in ("B", "K", "M", "G"):
        if n < 1024:
            return f"{n:.0f}{unit}" if unit == "B" else f"{n:.1f}{unit}"
        n /= 1024
    return f"{n:.1f}T"


def flags_text(flags: int) -> str:
    return "".join(
        ch
        for ch, bit in (
            ("L", FLAG_LEAK),
            ("B", FLAG_BLOCKED),
            ("R", FLAG_AUTH_RETRY),
            ("!", FLAG_INTERNAL),
        )
        if flags & bit
    )


@lru_cache(maxsize=64)
def column_widths(width: int) -> tuple[int, ...]:
    """Each column's width at this list width; 0 for a column dropped to make room."""
    shown = [w for _, w, _ in COLUMNS]
    by_need = sorted(range(len(COLUMNS)), key=lambda i: -COLUMNS[i][2])

    def left() -> int:
        return width - sum(w + 1 for w in shown if w) - 1

    for i in by_need:
        if left() >= MIN_MODULE or COLUMNS[i][2] <= 1:
            break
        shown[i] = 0
    shown[MODULE_COLUMN] = max(8, left())
    return tuple(shown)


# What a click on a column's name sorts by (None: arrival order).
COLUMN_SORTS: dict[str, str | None] = {
    "#": None,
    "time": "started",
    "st": "status",
    "ms": "duration",
    "size": "size",
    "host": "host",
}
SORT_COLUMNS = {v: k for k, v in COLUMN_SORTS.items() if v} | {"finished": "time"}


def header_text(width: int, sort: tuple[str, bool] | None = None) -> Text:
    """Column names; the sorted one marked ▲ (or ▼ reversed)."""
    marked = SORT_COLUMNS.get(sort[0]) if sort else None
    text = Text(style="bold", no_wrap=True)
    for (name, _, _), w in zip(COLUMNS, column_widths(width), strict=True):
        if w:
            label = name
            if name == marked and sort:
                label = ("finish" if sort[0] == "finished" else name) + ("▼" if sort[1] else "▲")
            text.append(label[:w].ljust(w) + " ", style="reverse bold" if name == marked else "")
    return text


def column_sort_at(width: int, x: int) -> str | None | bool:
    """The sort order of the column under x in the header; False: not a sortable column."""
    start = 0
    for (name, _, _), w in zip(COLUMNS, column_widths(width), strict=True):
        if not w:
            continue
        if start <= x < start + w + 1:
            return COLUMN_SORTS.get(name, False)
        start += w + 1
    return False


def url_rest(url: str) -> str:
    """A URL without its scheme and host, which the host column shows: what it asks."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    slash = rest.find("/")
    return rest[slash:] if slash >= 0 else "/"


def row_text(row: Row, width: int) -> Text:
    widths = column_widths(width)
    room = widths[MODULE_COLUMN]
    clock = (
        time.strftime("%H:%M:%S", time.localtime(row.started))
        + f".{int(row.started % 1 * 1000):03d}"
    )
    status = str(row.status) if row.status is not None else "ERR"
    status_style = styles.status(row.status, row.error)
    if row.status is None and (row.error or "").startswith(ABANDONED_ERROR):
        status, status_style = "—", "dim"  # go left before any answer: no server's error
    what = (
        elide_module(visible(row.module), visible(row.version), room)
        if row.module
        else elide_middle(visible(url_rest(redact_url(row.url))), room)
    )
    cells = (
        (str(row.seq).rjust(5), "dim"),
        (clock, "dim"),
        (row.kind, styles.KIND.get(row.kind, "")),  # type: ignore[call-overload]
        (SHORT_ENDPOINTS.get(row.endpoint, row.endpoint), ""),
        (what, "bold" if row.module else "dim"),
        (visible(row.host), ""),
        (status, status_style),
        (f"{row.duration_ms:.0f}".rjust(5), "dim"),
        (human_size(row.size).rjust(6), "dim"),
        (flags_text(row.flags), "bold magenta" if row.flags & FLAG_LEAK else "dim"),
    )
    text = Text(no_wrap=True)
    for (value, style), w in zip(cells, widths, strict=True):
        if not w:
            continue
        text.append(_fit(value, w) + " ", style=style)
    return text


def _fit(value: str, width: int) -> str:
    """`value` in exactly `width` terminal cells. Counted in cells, not characters: a wide
    or combining character in a host or path (a client that is not go) pushed the status
    and the leak flag off the row."""
    cells = cell_len(value)
    if cells <= width:
        return value + " " * (width - cells)
    return set_cell_size(value, max(0, width - 1)) + "…"


class RequestList(ScrollView, can_focus=True):
    """Rows of the store, optionally a filtered subset, with a cursor and follow mode."""

    @dataclass
    class RowSelected(Message):
        """The cursor moved to a row (an index into the store)."""

        index: int

    @dataclass
    class FollowChanged(Message):
        follow: bool

    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "First", show=False),  # g is the guard (the app's key)
        Binding("end,G", "jump(-1)", "Last", show=False),
    ]
    DEFAULT_CSS = """
    RequestList { height: 1fr; overflow-x: hidden; }
    RequestList > .request-list--cursor { background: $accent 40%; }
    """
    COMPONENT_CLASSES = {"request-list--cursor"}

    cursor: reactive[int] = reactive(0)
    follow: reactive[bool] = reactive(True)

    def __init__(self, store: EventStore, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.store = store
        self.indices: list[int] | None = None  # None: every row, else a filtered subset
        self._announced: int | None = None  # the store index last reported as selected
        self._render_cached = lru_cache(maxsize=2048)(self._render_row)

    # -- data ----------------------------------------------------------------------
    @property
    def row_count(self) -> int:
        return len(self.store) if self.indices is None else len(self.indices)

    def store_index(self, position: int) -> int | None:
        if not 0 <= position < self.row_count:
            return None
        return position if self.indices is None else self.indices[position]

    def set_indices(self, indices: list[int] | None) -> None:
        self.indices = indices
        self._render_cached.cache_clear()
        self.refresh_rows()
        self.cursor = min(self.cursor, max(0, self.row_count - 1))
        if self.follow:
            self.action_jump(-1)
        self.refresh()

    def refresh_rows(self) -> None:
        """New rows arrived (coalesced by the app's timer)."""
        # No horizontal scrolling: rows fit the width (columns drop), so no scrollbar can
        # cover the newest row.
        self.virtual_size = Size(1, self.row_count)
        if self.follow and self.row_count:
            self.cursor = self.row_count - 1
            self.scroll_to(y=max(0, self.row_count - self.size.height), animate=False)
        self._announce()
        self.refresh()

    def _announce(self) -> None:
        index = self.store_index(self.cursor)
        if index is not None and index != self._announced:
            self._announced = index
            self.post_message(self.RowSelected(index))

    # -- rendering -------------------------------------------------------------------
    def _render_row(self, store_index: int, width: int) -> Strip:
        text = row_text(self.store.row(store_index), width)
        segments = list(text.render(self.app.console))
        return Strip(segments).adjust_cell_length(width)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        position = scroll_y + y
        width = self.size.width
        index = self.store_index(position)
        if index is None:
            return Strip.blank(width, self.rich_style)
        strip = self._render_cached(index, width)
        if position == self.cursor:
            strip = strip.apply_style(self.get_component_rich_style("request-list--cursor"))
        return strip.crop(scroll_x, scroll_x + width)

    # -- cursor and follow ---------------------------------------------------------------
    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh()
        self._scroll_cursor_into_view()
        self._announce()

    def watch_follow(self, follow: bool) -> None:
        self.post_message(self.FollowChanged(follow))
        if follow:
            self.action_jump(-1)

    def _scroll_cursor_into_view(self) -> None:
        top = self.scroll_offset.y
        height = max(1, self.size.height)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False)

    def _user_moved(self) -> None:
        # Moving away from the last row stops following new traffic.
        if self.follow and self.cursor < self.row_count - 1:
            self.follow = False

    def action_cursor(self, delta: int) -> None:
        if self.row_count:
            self.cursor = max(0, min(self.row_count - 1, self.cursor + delta))
            self._user_moved()

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * max(1, self.size.height - 1))

    def action_jump(self, position: int) -> None:
        if not self.row_count:
            return
        self.cursor = self.row_count - 1 if position < 0 else position
        if position >= 0:
            self._user_moved()

    def select_store_index(self, store_index: int) -> bool:
        if self.indices is None:
            position = store_index if store_index < len(self.store) else None
        else:
            try:
                position = self.indices.index(store_index)
            except ValueError:
                position = None
        if position is None:
            return False
        self.follow = False
        self.cursor = position
        return True

    def on_click(self, event: events.Click) -> None:
        position = self.scroll_offset.y + event.y
        if 0 <= position < self.row_count:
            self.cursor = position
            self._user_moved()

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        if self.follow:
            self.follow = False

    def on_resize(self, event: events.Resize) -> None:
        self._render_cached.cache_clear()
        self.virtual_size = Size(1, self.row_count)
