"""Requests: every request go made, as it happened, and the selected one in detail.

The tab owns the request list's view of the session: which rows the `/` filter
keeps (filtered column by column, in a worker on big sessions), in which order
(`s`, or a click on a column's name), and the detail of the selected row.
"""

from __future__ import annotations

import time

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from goscope.core.outputs.export import curl_command
from goscope.core.safe.visible import visible
from goscope.core.view.filters import Filter
from goscope.core.view.session import Session
from goscope.core.view.store import SORT_ORDERS, sorted_indices
from goscope.term import styles
from goscope.tui.widgets.detail import detail_view
from goscope.tui.widgets.request_list import RequestList, column_sort_at, header_text

from .base import GoscopeTab, no_requests

THREADED_FILTER_ROWS = 50_000
NO_SELECTION = "Select a request to see its fallback chain."


class RequestsTab(GoscopeTab):
    TAB_ID = "requests"
    TITLE = "Requests"
    HELP = "every request, its fallback chain, headers and body"

    class ViewChanged(Message):
        """The rows shown changed off the UI thread (a filter finished): counts follow."""

    def __init__(self) -> None:
        super().__init__()
        self.filter: Filter | None = None
        self.sort_by: str | None = None  # a SORT_ORDERS name; None: arrival order (#)
        self.sort_reverse = False
        self.filter_running = False
        self._filtered_upto = 0
        self._filtered: list[int] | None = None  # the filter's rows, in arrival order
        self._sorted_upto = 0
        self._sorted_at = 0.0
        self._shown_rows = -1

    def compose(self) -> ComposeResult:
        with Horizontal(id="requests-split"):
            with Vertical(id="request-side"):
                yield Static(id="list-header")
                yield RequestList(self.goscope.session.store, id="request-list")
            with VerticalScroll(id="detail-scroll"):
                yield Static(Text(NO_SELECTION, style=styles.MUTED), id="detail")

    def primary(self) -> Widget | None:
        return self.query_one(RequestList)

    @property
    def request_list(self) -> RequestList:
        return self.goscope.request_list

    def copy_text(self) -> str | None:
        """The selected request as curl, through goscope while it runs."""
        app = self.goscope
        index = app.request_list.store_index(app.request_list.cursor)
        event = app.session.event(index) if index is not None else None
        if event is None:
            return None
        # Pasted into a shell: no raw control or bidi character on the clipboard (a toast
        # that showed them escaped let another command be pasted than the one seen).
        return visible(curl_command(event, *app.curl_proxy()))

    def refresh_from(self, session: Session) -> None:
        if not len(session.store):  # nothing to select: say why, and what would fill it
            self.clear_detail(no_requests(session, self.goscope.command_running))

    # -- the list header -------------------------------------------------------------------
    def update_list_header(self) -> None:
        width = self.request_list.size.width or 100
        sort = (self.sort_by, self.sort_reverse) if self.sort_by else None
        self.query_one("#list-header", Static).update(header_text(width, sort))

    @on(events.Click, "#list-header")
    def _header_clicked(self, event: events.Click) -> None:
        """A click on a column's name sorts by it; a second click reverses."""
        by = column_sort_at(self.request_list.size.width or 100, event.x)
        if by is False or by is True:
            return
        self.set_sort(by, reverse=by is not None and by == self.sort_by and not self.sort_reverse)

    # -- the detail ------------------------------------------------------------------------
    @on(RequestList.RowSelected)
    def _show_detail(self, message: RequestList.RowSelected) -> None:
        session = self.goscope.session
        row = session.store.row(message.index)
        event = session.event(message.index)
        chain = session.chain_for_seq(row.seq)
        leaks = [leak for leak in session.leaks if leak.seq == row.seq]
        self.query_one("#detail", Static).update(detail_view(row, event, chain, leaks))

    def clear_detail(self, why: str = NO_SELECTION) -> None:
        self.query_one("#detail", Static).update(Text(why, style=styles.MUTED))

    # -- filter and order ------------------------------------------------------------------
    @property
    def filtering(self) -> bool:
        return self.filter is not None and not self.filter.empty

    def reset(self) -> None:
        """Another session (a recording opened): no filter, every row."""
        self.filter = None
        self._show(None)

    def apply_filter(self, new: Filter | None) -> None:
        if new is None or new.empty:
            self.filter = None
            self._show(None)
            return
        self.filter = new
        session = self.goscope.session
        total = len(session)
        if total > THREADED_FILTER_ROWS:
            self.filter_running = True
            self.filter_in_thread(new, total)
        else:
            self._filtered_upto = total
            self._show(new.apply(session.store, range(total)))
            if not self.request_list.row_count:
                self.clear_detail("No request matches the filter.")

    @work(thread=True, exclusive=True, group="filter")
    def filter_in_thread(self, new: Filter, total: int) -> None:
        indices = new.apply(self.goscope.session.store, range(total))
        self.app.call_from_thread(self._filter_done, new, indices, total)

    def _filter_done(self, new: Filter, indices: list[int], total: int) -> None:
        self.filter_running = False
        if self.filter is not new:
            return  # replaced meanwhile
        self._filtered_upto = total
        self._show(indices)
        if not indices:
            self.clear_detail("No request matches the filter.")
        self.post_message(self.ViewChanged())

    def _show(self, filtered: list[int] | None) -> None:
        """Show these rows (a filter's, or all when None) in the chosen order."""
        session = self.goscope.session
        self._filtered = filtered
        self._sorted_upto = len(session)
        self._sorted_at = time.monotonic()
        rows = filtered
        if self.sort_by is not None:
            rows = sorted_indices(session.store, filtered, self.sort_by, self.sort_reverse)
        self.request_list.set_indices(rows)
        self.update_list_header()

    def next_sort(self) -> None:
        """Cycle the order: # (arrival), then each SORT_ORDERS."""
        orders: list[str | None] = [None, *SORT_ORDERS]
        self.set_sort(orders[(orders.index(self.sort_by) + 1) % len(orders)])

    def set_sort(self, by: str | None, reverse: bool = False) -> None:
        self.sort_by, self.sort_reverse = by, reverse
        request_list = self.request_list
        selected = request_list.store_index(request_list.cursor)
        self._show(self._filtered)
        if selected is not None and not request_list.follow:
            request_list.select_store_index(selected)  # the same request stays selected
        order = "arrival (#)" if by is None else f"{by}{' ▼' if reverse else ' ▲'}"
        self.app.notify(f"requests sorted by {order}", timeout=2)

    def refresh_rows(self, dirty: bool, loading: bool) -> None:
        """New rows since the last tick: through the filter, into their place in the order."""
        session = self.goscope.session
        total = len(session)
        request_list = self.request_list
        active = self.filter if self.filtering else None
        grew = total > self._filtered_upto and not self.filter_running
        if active is not None and self._filtered is not None and grew:
            new = active.apply(session.store, range(self._filtered_upto, total))
            self._filtered_upto = total
            if new:
                self._filtered.extend(new)
                if self.sort_by is None:
                    request_list.refresh_rows()
        if self.sort_by is not None:
            now = time.monotonic()
            if total != self._sorted_upto and not loading and now - self._sorted_at >= 0.5:
                self._show(self._filtered)  # new rows take their place in the order
            self._shown_rows = request_list.row_count
            return
        if request_list.row_count != self._shown_rows or dirty:
            request_list.refresh_rows()
        self._shown_rows = request_list.row_count
