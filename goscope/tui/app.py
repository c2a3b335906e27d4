"""goscope's Textual app: the requests go makes, their fallback chains, leaks and config.

The app only draws. A live session's proxy and command belong to the run
engine (goscope.run.engine), started from a worker thread; a recording is
read by the one reader (goscope.core.traffic.recording). Each tab is a `GoscopeTab`
(goscope.tui.tabs), and the app reaches them only through that contract.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import shlex
import signal
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.widgets import Footer, Input, RichLog, Static, TabbedContent
from textual.worker import get_current_worker

from goscope.core.gorules.goenv import GoEnv
from goscope.core.judging.judge import UNKNOWN_SENDER
from goscope.core.outputs.export import OutputError, export_session
from goscope.core.safe.visible import visible
from goscope.core.traffic.events import Event
from goscope.core.traffic.recording import RecordingError, RecordingReader, command_environment
from goscope.core.traffic.verdicts import module_fetches
from goscope.core.view.filters import Filter, FilterError, parse_filter
from goscope.core.view.session import Session
from goscope.core.view.store import SORT_ORDERS, sorted_indices
from goscope.run.engine import CommandNotFound, ProxyStartError, RunEngine
from goscope.term import styles
from goscope.term.safe import plain
from goscope.tui.commands import GoscopeCommands
from goscope.tui.screens.modals import ConfirmScreen, HelpScreen, PromptScreen
from goscope.tui.tabs import TABS, GoscopeTab, tab_key
from goscope.tui.widgets.detail import detail_view
from goscope.tui.widgets.request_list import RequestList, column_sort_at, header_text

TICK_SECONDS = 0.1
NARROW_COLUMNS = 100
SHORT_ROWS = 35  # below it, Config's tables shrink so the Route panel and detail keep room
PANE_REFRESH_SECONDS = 1.0
THREADED_FILTER_ROWS = 50_000
LOAD_CHUNK = 5_000


@dataclass
class Launch:
    """What the app is for: a live session (an engine) or a recording to open."""

    recording: str | None = None  # open: the file to show
    engine: RunEngine | None = None  # live: the proxy, and maybe a command
    private: str = ""
    trusted: list[str] = field(default_factory=list)
    export_dir: str | None = None
    skip_bad: bool = False  # open: skip unreadable lines instead of refusing the file
    strict: bool = False  # opened from the command line: a bad file ends the app (exit 2)

    @property
    def title(self) -> str:
        return self.engine.opts.title if self.engine is not None else ""

    @property
    def description(self) -> str:
        return self.engine.opts.description if self.engine is not None else ""


class GoscopeApp(App[int]):
    TITLE = "goscope"
    COMMANDS = App.COMMANDS | {GoscopeCommands}
    CSS = """
    Screen { overflow: hidden; }
    #header-info { height: 2; background: $panel; padding: 0 1; }
    #tabs { height: 1fr; }
    #tabs > ContentSwitcher { height: 1fr; }
    TabPane { height: 1fr; padding: 0; }
    #list-header { height: 1; padding: 0 0; color: $text-muted; }
    #requests-split { height: 1fr; }
    #request-side { width: 1fr; }
    #detail-scroll { width: 38%; border-left: solid $panel; padding: 0 1; }
    .-narrow #requests-split { layout: vertical; }
    .-narrow #request-side { height: 1fr; }
    .-narrow #detail-scroll { width: 1fr; height: 40%; border-left: none; border-top: solid $panel; }
    #filter-bar { dock: bottom; display: none; }
    #filter-bar.visible { display: block; }
    #output-log { height: 1fr; }
    .findings-title { height: 1; margin-top: 1; }
    ConfigTab DataTable { height: auto; max-height: 14; }
    .-short ConfigTab DataTable { max-height: 5; }
    .-short ConfigTab .pane-detail-box { min-height: 5; }
    """
    BINDINGS = [
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
        Binding("enter", "jump_to_proof", "Go to request", show=False),
        # Number keys switch tabs from anywhere (a focused table included), except while
        # typing in an input (check_action).
        *[
            Binding(
                tab_key(tab.TAB_ID), f"tab('{tab.TAB_ID}')", tab.TITLE, show=False, priority=True
            )
            for tab in TABS
        ],
    ]
    KEY_HELP = [
        (f"1-{len(TABS)}", ", ".join(tab.TITLE for tab in TABS)),
        ("↑↓ PgUp PgDn Home End", "move in the request list (moving up stops following)"),
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
        ("Enter", "in Modules, Leaks, Config or Output: show the request that proves it"),
        ("Ctrl+P", "command palette (filters, tabs, themes: Textual's light and dark)"),
        ("?", "this help"),
        ("q", "quit (asks first while a command runs)"),
    ]

    @classmethod
    def key_table(cls) -> str:
        """The keys as a Markdown table: the README's copy is tested against it."""
        rows = ["| key | what it does |", "| --- | --- |"]
        pipe = "\\|"
        rows += [f"| `{key}` | {what.replace('|', pipe)} |" for key, what in cls.KEY_HELP]
        return "\n".join(rows)

    def __init__(self, launch: Launch) -> None:
        super().__init__()
        self.launch = launch
        self.engine = launch.engine
        # goscope's own environment is go's only when goscope runs the command itself.
        engine = self.engine
        env = engine.goenv if engine is not None and engine.opts.command else None
        private = self.engine.opts.private if self.engine is not None else launch.private
        trusted = self.engine.opts.trusted if self.engine is not None else launch.trusted
        self.private, self.trusted = private, list(trusted)
        recording = self.engine.recording if self.engine is not None else launch.recording
        self.session = Session(env, private, frozenset(h.lower() for h in trusted), recording)
        self.filter: Filter | None = None
        # Filled on other threads (the event stream, the command's output), drained by _tick.
        self.pending: deque[tuple[Event | dict[str, Any], int]] = deque()  # events, senders
        self.pending_output: deque[Text | str] = deque()
        self.exit_status: int | None = None
        self.load_error: str | None = None
        self.closing = False
        self.proxy_line = ""
        self.loading = False
        self._filtered_upto = 0
        self._filtered: list[int] | None = None  # the filter's rows, in arrival order
        self.sort_by: str | None = None  # a SORT_ORDERS name; None: arrival order (#)
        self.sort_reverse = False
        self._sorted_upto = 0
        self._sorted_at = 0.0
        self._last_pane_refresh = 0.0
        self._dirty = True
        self._shown_rows = -1
        self._filter_running = False
        self._ticks = 0
        self._failed_key: tuple[int, int, bool] | None = None
        self._failed = self._fetches = 0
        self._failed_at = 0.0
        self._command_running = False
        self._signals: list[int] = []
        self._request_list: RequestList | None = None
        self.refreshed_tab: str | None = None
        if self.engine is not None:
            self.engine.on_event = self._on_live_event
            self.engine.on_sender = self._on_live_sender

    @property
    def live(self) -> bool:
        return self.engine is not None

    @property
    def request_list(self) -> RequestList:
        if self._request_list is None:  # kept: the list outlives the screen in tests and probes
            self._request_list = self.query_one("#request-list", RequestList)
        return self._request_list

    def tab(self, tab_id: str) -> GoscopeTab:
        return self.query_one(f"#{tab_id}", GoscopeTab)

    def active_tab(self) -> GoscopeTab:
        return self.tab(self.query_one("#tabs", TabbedContent).active)

    # -- layout ------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(id="header-info")
        with TabbedContent(id="tabs", initial=TABS[0].TAB_ID):
            for tab in TABS:
                yield tab()
        yield Input(
            placeholder="filter: kind:sumdb status:>=400 host:… module:… leak error — Enter applies, Esc clears",
            id="filter-bar",
        )
        yield Footer()

    @on(events.Resize)
    def _resized(self, event: events.Resize) -> None:
        # Below 100 columns the detail moves under the list (CSS: .-narrow).
        self.set_class(event.size.width < NARROW_COLUMNS, "-narrow")
        self.set_class(event.size.height < SHORT_ROWS, "-short")
        self.call_after_refresh(self._update_list_header)
        self.call_after_refresh(self._update_header)

    def _update_list_header(self) -> None:
        width = self.request_list.size.width or 100
        sort = (self.sort_by, self.sort_reverse) if self.sort_by else None
        self.query_one("#list-header", Static).update(header_text(width, sort))

    def on_mount(self) -> None:
        self._catch_signals()
        self.call_after_refresh(self._update_list_header)
        self.tick_timer = self.set_interval(TICK_SECONDS, self._tick)
        self.request_list.follow = self.live
        self.request_list.focus()
        if self.engine is not None and self.engine.port is not None:
            self.call_after_refresh(self._proxy_ready)  # started before the TUI
        elif self.engine is not None:
            self.proxy_line = "starting the proxy…"
            self.start_engine()
        elif self.launch.recording:
            self.load_recording(self.launch.recording)
        self._update_header()

    def _catch_signals(self) -> None:
        """A closed terminal (SIGHUP) or a kill (SIGTERM) ends the app as `q` does, so the
        command, the proxy and the run directory are cleaned up."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGHUP, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, lambda: self.exit(self.exit_status or 0))
                self._signals.append(sig)

    # -- live sessions ---------------------------------------------------------------------
    def _on_live_event(self, event: Event) -> None:
        self.pending.append((event, -1))  # the listener's thread: hand over, nothing more

    def _on_live_sender(self, sender: dict[str, Any]) -> None:
        self.pending.append((sender, -1))  # in order with the events it sent

    @work(thread=True, exclusive=True, group="proxy")
    def start_engine(self) -> None:
        engine = self.engine
        assert engine is not None
        try:
            engine.start()
        except ProxyStartError as exc:
            if not self.closing:
                self.call_from_thread(self._proxy_failed, str(exc))
            return
        if self.closing:  # the user quit while the proxy was starting
            engine.stop()
            return
        self.call_from_thread(self._proxy_ready)

    def _proxy_failed(self, message: str) -> None:
        self.proxy_line = f"the proxy did not start: {message}"
        self.notify(visible(message), title="goscope", severity="error", timeout=30, markup=False)
        self._update_header()

    def _proxy_ready(self) -> None:
        engine = self.engine
        assert engine is not None
        port = engine.port
        port_arg = f" --port {port}" if port != 8080 else ""
        self.proxy_line = (
            f'listening on {engine.url} · in another terminal: eval "$(goscope env{port_arg})"'
        )
        self._update_header()
        if engine.opts.command:
            self.start_command(engine.opts.command)

    def start_command(self, command: list[str]) -> None:
        self.pending_output.append(plain(f"$ {shlex.join(command)}", "bold"))
        self.exit_status = None
        self._command_running = True
        self._update_header()
        self.run_command(command)

    @work(thread=True, exclusive=True, group="command")
    def run_command(self, command: list[str]) -> None:
        engine = self.engine
        assert engine is not None
        try:
            code = engine.run_command(command, on_output=self._on_output)
        except CommandNotFound as exc:
            self.pending_output.append(plain(f"goscope: {exc}", "red"))
            code = 127
        self.pending_output.append(
            Text(f"exit status {code}", style=f"bold {styles.exit_status(code)}")
        )
        self.call_from_thread(self._command_done, code)

    def _on_output(self, line: str) -> None:
        # The command's thread: go echoes servers' answers, so this is wire text too.
        self.pending_output.append(visible(line, multiline=True))

    def _command_done(self, code: int) -> None:
        self.exit_status = code
        self._command_running = False
        if self.engine is not None:
            self._tick_now()  # the events go sent before it ended, then its verdict
            self.session.set_go_output(list(self.engine.go_output))
            self._dirty = True
        self._update_header()

    @property
    def command_running(self) -> bool:
        return self._command_running

    # -- recordings -----------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="load")
    def load_recording(self, path: str) -> None:
        worker = get_current_worker()
        session = self.session  # this load fills this session, even if another replaces it
        self.loading = True
        self.load_error = None
        # A bulk load creates millions of objects and no cycles: the cyclic GC would
        # only rescan them over and over. Off while loading, then freeze what was loaded.
        gc.disable()
        try:
            reader = RecordingReader(path, self.launch.skip_bad, on_sender=session.add_sender)
            with reader:
                raw = command_environment(reader.header)
                session.set_env(GoEnv.from_dict(raw) if raw is not None else None)
                for event, offset in reader:
                    index = session.add(event, offset)
                    if index % LOAD_CHUNK == LOAD_CHUNK - 1:
                        if worker.is_cancelled:
                            return
                        # Let the UI thread have the GIL: the first screenful paints at
                        # once, and keys stay responsive while a big recording loads.
                        time.sleep(0.05 if index < LOAD_CHUNK else 0)
                session.bad_lines = len(reader.skipped)
                if reader.end is not None:
                    session.set_go_output(reader.end.get("go_output") or [])
                    code = reader.end.get("exit_code")
                    if code is not None and session is self.session:
                        self.call_from_thread(setattr, self, "exit_status", code)
        except RecordingError as exc:
            self.call_from_thread(self._load_failed, str(exc))
        finally:
            gc.enable()
            gc.freeze()
            if session is self.session:
                self._dirty = True  # before "loaded": whoever sees loaded sees the refresh due
                self.loading = False

    def _load_failed(self, message: str) -> None:
        self.load_error = message
        if self.launch.strict:
            self.exit(2)  # run_open prints the one line
        else:
            self.notify(
                visible(message), title="cannot open", severity="error", timeout=20, markup=False
            )

    # -- coalesced refresh (not named _flush: that is Textual's own) -------------------------
    def _tick(self) -> None:
        self._ticks += 1
        if self.loading and self._ticks % 5:
            return  # a big recording is loading: twice a second is plenty, the loader needs the CPU
        try:
            self._tick_now()
        except NoMatches:
            pass  # the app is closing: its widgets are gone

    def _tick_now(self) -> None:
        if self.pending_output:
            log = self.query_one("#output-log", RichLog)
            while self.pending_output:
                log.write(self.pending_output.popleft())
        if self.pending:
            while self.pending:
                item, offset = self.pending.popleft()
                if isinstance(item, Event):
                    self.session.add(item, offset)
                else:
                    self.session.add_sender(item)
            self.session.relink()
            self._dirty = True
        if self.engine is not None:
            self.session.dropped_live = self.engine.dropped_live
            self.session.bad_lines = self.engine.bad_lines
        self._refresh_list()
        now = time.monotonic()
        if self._dirty and now - self._last_pane_refresh >= PANE_REFRESH_SECONDS:
            self._last_pane_refresh = now
            self._dirty = False
            self._refresh_active_pane()
        self._update_header()

    def _refresh_list(self) -> None:
        total = len(self.session)
        request_list = self.request_list
        active = self.filter if self.filter is not None and not self.filter.empty else None
        grew = total > self._filtered_upto and not self._filter_running
        if active is not None and self._filtered is not None and grew:
            new = active.apply(self.session.store, range(self._filtered_upto, total))
            self._filtered_upto = total
            if new:
                self._filtered.extend(new)
                if self.sort_by is None:
                    request_list.refresh_rows()
        if self.sort_by is not None:
            now = time.monotonic()
            if total != self._sorted_upto and not self.loading and now - self._sorted_at >= 0.5:
                self._show(self._filtered)  # new rows take their place in the order
            self._shown_rows = request_list.row_count
            return
        if request_list.row_count != self._shown_rows or self._dirty:
            request_list.refresh_rows()
        self._shown_rows = request_list.row_count

    def _refresh_active_pane(self) -> None:
        tab = self.active_tab()
        tab.refresh_from(self.session)
        self.refreshed_tab = tab.TAB_ID  # drawn from the session (tests wait for this state)

    @on(TabbedContent.TabActivated)
    def _tab_changed(self) -> None:
        self._refresh_active_pane()
        # The tab's primary widget takes focus (a click on the tab strip included), so the
        # arrow keys work at once; not while the filter bar is being typed in.
        if not isinstance(self.focused, Input):
            primary = self.active_tab().primary()
            if primary is not None:
                primary.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # A digit typed in the filter bar is text, not a tab switch.
        return not (action == "tab" and isinstance(self.focused, Input))

    def _fetch_count(self) -> int:
        self._failed_count()  # recounts both, when due
        return self._fetches

    def _failed_count(self) -> int:
        """Failures as go sees them; recounted only when the session changed."""
        key = (len(self.session), len(self.session.go_errors), self.session.finished)
        now = time.monotonic()
        # A walk over every chain: not while a recording loads, at most once a second.
        if key != self._failed_key and not self.loading and now - self._failed_at >= 1.0:
            self._recount(key)
            self._failed_at = now
        elif key[1:] != (self._failed_key or (0, 0, False))[1:] and not self.loading:
            self._recount(key)
        return self._failed

    def _recount(self, key: tuple[int, int, bool]) -> None:
        self._failed_key, self._failed = key, len(self.session.failures(self.exit_status))
        self._fetches = len(module_fetches(self.session.chains))

    def _update_header(self) -> None:
        text = Text()
        text.append("goscope ", style="bold")
        if self.launch.title:
            text.append(f"{visible(self.launch.title)} ", style="bold")
        if not self.live:
            text.append(f"· {visible(self.session.recording)} ")
        elif self.proxy_line:
            text.append(f"· {visible(self.proxy_line)} ")
        if self.launch.description:
            text.append(f"· {visible(self.launch.description)} ", style=styles.MUTED)
        top, text = text, Text()
        n, fetches = len(self.session), self._fetch_count()
        text.append(f"{n} request{'s' if n != 1 else ''}", style="bold")
        text.append(f" · {fetches} fetch{'es' if fetches != 1 else ''}")
        failed = self._failed_count()
        if failed or self.command_running or not self.exit_status:
            text.append(f" · {failed} failed", style=styles.BAD if failed else styles.GOOD)
        else:  # go failed, and said nothing goscope could place: never "0 failed"
            text.append(" · go failed (see Output)", style=styles.BAD)
        leaks = len(self.session.leaks)
        text.append(
            f" · {leaks} leak{'s' if leaks != 1 else ''}",
            style=styles.LEAK if leaks else styles.GOOD,
        )
        if self.loading:
            text.append(" · loading…", style=styles.WARNING)
        if self.command_running:
            text.append(" · command running", style=styles.WARNING)
        elif self.exit_status is not None:
            text.append(f" · exit {self.exit_status}", style=styles.exit_status(self.exit_status))
        follow = self.request_list.follow
        text.append(
            " · follow" if follow else " · follow off (f)", style=styles.NOTE if follow else "dim"
        )
        if self.filter is not None and not self.filter.empty:
            text.append(
                f" · filter: {visible(self.filter.text)} ({self.request_list.row_count} shown, Esc clears)",
                style="bold magenta",
            )
        if self.session.dropped_live:
            text.append(
                f" · {self.session.dropped_live} events not shown live (all are recorded)",
                style=styles.WARNING,
            )
        unattributed = self.session.judge.default
        if unattributed.requests and not unattributed.known:
            text.append(f" · {UNKNOWN_SENDER} ({unattributed.requests})", style=styles.WARNING)
        if self.session.bad_lines:
            bad = self.session.bad_lines
            text.append(
                f" · {bad} unreadable line{'s' if bad != 1 else ''} skipped", style=styles.WARNING
            )
        # Never wrapped: each line is cut at the width, so the counts line always shows
        # (the counts come first in it; the hints after them are what a narrow terminal loses).
        header = self.query_one("#header-info", Static)
        width = max(10, (header.size.width or self.size.width) - 2)
        for line in (top, text):
            line.no_wrap, line.overflow = True, "ellipsis"
            line.truncate(width, overflow="ellipsis")
        header.update(Text("\n").join([top, text]))

    # -- selection and detail -----------------------------------------------------------------
    @on(RequestList.RowSelected)
    def _show_detail(self, message: RequestList.RowSelected) -> None:
        row = self.session.store.row(message.index)
        event = self.session.event(message.index)
        chain = self.session.chain_for_seq(row.seq)
        leaks = [leak for leak in self.session.leaks if leak.seq == row.seq]
        self.query_one("#detail", Static).update(detail_view(row, event, chain, leaks))

    def _clear_detail(self, why: str = "Select a request to see its fallback chain.") -> None:
        self.query_one("#detail", Static).update(Text(why, style=styles.MUTED))

    @on(RequestList.FollowChanged)
    def _follow_changed(self, _: RequestList.FollowChanged) -> None:
        self._update_header()

    @on(GoscopeTab.JumpToSeq)
    def _jump(self, message: GoscopeTab.JumpToSeq) -> None:
        self.jump_to_seq(message.seq)

    def jump_to_seq(self, seq: int) -> bool:
        index = self.session.store.index_of_seq(seq)
        if index is None:
            return False
        if self.request_list.indices is not None and index not in set(self.request_list.indices):
            self.action_clear_filter()
        self.query_one("#tabs", TabbedContent).active = "requests"
        self.request_list.select_store_index(index)
        self.request_list.focus()
        return True

    # -- actions -------------------------------------------------------------------------------
    def action_tab(self, tab: str) -> None:
        self.query_one("#tabs", TabbedContent).active = tab
        primary = self.tab(tab).primary()
        if primary is not None:
            primary.focus()

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.KEY_HELP))

    def action_toggle_follow(self) -> None:
        self.request_list.follow = not self.request_list.follow

    def action_filter(self) -> None:
        bar = self.query_one("#filter-bar", Input)
        bar.add_class("visible")
        bar.value = self.filter.text if self.filter else ""
        bar.focus()

    @on(Input.Submitted, "#filter-bar")
    def _filter_submitted(self, message: Input.Submitted) -> None:
        bar = self.query_one("#filter-bar", Input)
        try:
            new = parse_filter(message.value)
        except FilterError as exc:
            self.notify(visible(str(exc)), title="filter", severity="error", markup=False)
            return
        bar.remove_class("visible")
        self.request_list.focus()
        self.apply_filter(new)

    def apply_filter(self, new: Filter | None) -> None:
        if new is None or new.empty:
            self.filter = None
            self._show(None)
            self._update_header()
            return
        self.filter = new
        total = len(self.session)
        if total > THREADED_FILTER_ROWS:
            self._filter_running = True
            self.filter_in_thread(new, total)
        else:
            self._filtered_upto = total
            self._show(new.apply(self.session.store, range(total)))
            if not self.request_list.row_count:
                self._clear_detail("No request matches the filter.")
        self._update_header()

    @work(thread=True, exclusive=True, group="filter")
    def filter_in_thread(self, new: Filter, total: int) -> None:
        indices = new.apply(self.session.store, range(total))
        self.call_from_thread(self._filter_done, new, indices, total)

    def _filter_done(self, new: Filter, indices: list[int], total: int) -> None:
        self._filter_running = False
        if self.filter is not new:
            return  # replaced meanwhile
        self._filtered_upto = total
        self._show(indices)
        if not indices:
            self._clear_detail("No request matches the filter.")
        self._update_header()

    def _show(self, filtered: list[int] | None) -> None:
        """Show these rows (a filter's, or all when None) in the chosen order."""
        self._filtered = filtered
        self._sorted_upto = len(self.session)
        self._sorted_at = time.monotonic()
        rows = filtered
        if self.sort_by is not None:
            rows = sorted_indices(self.session.store, filtered, self.sort_by, self.sort_reverse)
        self.request_list.set_indices(rows)
        self._update_list_header()

    def action_sort(self) -> None:
        """Cycle the request list's order: # (arrival), then each SORT_ORDERS."""
        orders: list[str | None] = [None, *SORT_ORDERS]
        self.set_sort(orders[(orders.index(self.sort_by) + 1) % len(orders)])

    def set_sort(self, by: str | None, reverse: bool = False) -> None:
        self.sort_by, self.sort_reverse = by, reverse
        selected = self.request_list.store_index(self.request_list.cursor)
        self._show(self._filtered)
        if selected is not None and not self.request_list.follow:
            self.request_list.select_store_index(selected)  # the same request stays selected
        order = "arrival (#)" if by is None else f"{by}{' ▼' if reverse else ' ▲'}"
        self.notify(f"requests sorted by {order}", timeout=2)

    @on(events.Click, "#list-header")
    def _header_clicked(self, event: events.Click) -> None:
        """A click on a column's name sorts by it; a second click reverses."""
        by = column_sort_at(self.request_list.size.width or 100, event.x)
        if by is False or by is True:
            return
        self.set_sort(by, reverse=by is not None and by == self.sort_by and not self.sort_reverse)

    def action_clear_filter(self) -> None:
        bar = self.query_one("#filter-bar", Input)
        if bar.has_class("visible"):
            bar.remove_class("visible")
            self.request_list.focus()
        if self.filter is not None:
            self.apply_filter(None)

    def action_copy(self) -> None:
        text = self.active_tab().copy_text()
        if not text:
            self.notify("nothing to copy here", severity="warning")
            return
        self.copy_to_clipboard(text)
        self.last_copied = text
        self.notify(visible(text), title="copied", markup=False)

    last_copied: str | None = None

    def action_export(self) -> None:
        recording = self.session.recording
        if not recording or not os.path.exists(recording):
            self.notify("no recording to export yet", severity="warning")
            return
        if self.launch.export_dir:  # chosen up front (tests, scripted use)
            self._export_to(recording, Path(self.launch.export_dir))
            return

        def chosen(directory: str | None) -> None:
            if directory:
                self._export_to(recording, Path(directory).expanduser())

        self.push_screen(
            PromptScreen(
                "Export the recording, report and HAR to the directory (Enter confirms, Esc cancels):",
                value=os.getcwd(),
            ),
            chosen,
        )

    def _export_to(self, recording: str, directory: Path) -> None:
        try:
            paths = export_session(
                recording,
                directory,
                self.private,
                self.trusted,
                exit_code=self.exit_status,
                go_output=self.session.judge.go_output if self.session.finished else None,
            )
        except (OSError, RecordingError, OutputError) as exc:
            self.notify(visible(str(exc)), title="export failed", severity="error", markup=False)
            return
        self.last_export = paths
        self.notify("\n".join(str(p) for p in paths), title="exported", markup=False)

    last_export: list[Path] | None = None

    def action_open_recording(self) -> None:
        if self.live:
            self.notify(
                "this is a live session: open recordings in another window (goscope open FILE)",
                severity="warning",
            )
            return

        def opened(path: str | None) -> None:
            if not path:
                return
            try:  # a file that is no recording is refused before the session is replaced
                with RecordingReader(path, self.launch.skip_bad):
                    pass
            except RecordingError as exc:
                self.notify(visible(str(exc)), title="cannot open", severity="error", markup=False)
                return
            self.session = Session(None, self.private, frozenset(self.trusted), recording=path)
            self.launch.recording = path
            self.launch.strict = False  # a bad file now is a message, never the end of the app
            self.exit_status = None
            self._clear_detail()
            self.request_list.store = self.session.store
            self.request_list.follow = False
            self.filter = None
            self._show(None)
            self.load_recording(path)

        self.push_screen(
            PromptScreen("Open a recording (JSON lines):", "path/to/recording.jsonl"), opened
        )

    def action_command_bar(self) -> None:
        if self.engine is None or self.engine.port is None:
            self.notify("no proxy in this session (a recording is open)", severity="warning")
            return
        if self.command_running:
            self.notify("a command is still running: wait for it, or quit", severity="warning")
            return

        def submitted(line: str | None) -> None:
            if not line:
                return
            try:
                argv = shlex.split(line)
            except ValueError as exc:
                self.notify(visible(str(exc)), severity="error", markup=False)
                return
            if argv:
                self.query_one("#tabs", TabbedContent).active = "output"
                self.start_command(argv)

        self.push_screen(PromptScreen("Run through goscope:", "go mod download"), submitted)

    def action_jump_to_proof(self) -> None:
        seq = self.active_tab().proof_seq()
        if seq is not None:
            self.jump_to_seq(seq)

    def action_quit_app(self) -> None:
        if self.command_running:

            def answered(yes: bool | None) -> None:
                if yes:
                    self.exit(self.exit_status or 0)

            self.push_screen(
                ConfirmScreen("A command is still running. Quit and stop it?"), answered
            )
        else:
            self.exit(self.exit_status or 0)

    async def on_unmount(self) -> None:
        self.closing = True
        self.tick_timer.stop()
        loop = asyncio.get_running_loop()
        for sig in self._signals:
            loop.remove_signal_handler(sig)
        if self.engine is not None:
            # The command (its whole process group), the proxy, the end line, the stream.
            await asyncio.to_thread(self.engine.stop)
