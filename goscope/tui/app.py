"""goscope's Textual app: the requests go makes, their fallback chains, leaks and config.

The app only draws. A live session's proxy and command belong to the run
engine (goscope.run.engine), started from a worker thread; a recording is
read by the one reader (goscope.core.traffic.recording). Each tab is a `GoscopeTab`
(goscope.tui.tabs), and the app reaches them only through that contract.
"""

from __future__ import annotations

import asyncio
import gc
import shlex
import threading
import time
from collections import deque
from typing import Any

from rich.text import Text
from textual import events, on, work
from textual.app import App, ComposeResult
from textual.css.query import NoMatches
from textual.widgets import Footer, Input, RichLog, TabbedContent
from textual.worker import get_current_worker

from goscope.core.gorules.goenv import GoEnv
from goscope.core.outputs.report import recorded_judging
from goscope.core.safe.event_redaction import redact_listed
from goscope.core.safe.redact import redact_argv, redact_value
from goscope.core.safe.visible import visible
from goscope.core.traffic.events import Event
from goscope.core.traffic.gaps import trouble_reasons
from goscope.core.traffic.recording import RecordingError, RecordingReader, command_environment
from goscope.core.traffic.seqcheck import abandoned_reason
from goscope.core.view.filters import Filter, FilterError, parse_filter
from goscope.core.view.session import Session
from goscope.run.engine import CommandNotFound, ProxyStartError
from goscope.term import styles
from goscope.term.safe import plain
from goscope.tui import keys
from goscope.tui.commands import GoscopeCommands
from goscope.tui.files import FileActions
from goscope.tui.hangup import HangupGuard
from goscope.tui.launch import Launch
from goscope.tui.screens.modals import ConfirmScreen, HelpScreen, PromptScreen
from goscope.tui.tabs import TABS, GoscopeTab
from goscope.tui.tabs.requests import RequestsTab
from goscope.tui.widgets.header import FailureCount, HeaderFacts, SessionHeader
from goscope.tui.widgets.request_list import RequestList

TICK_SECONDS = 0.1
# Below this the detail moves under the list (CSS: .-narrow), so the list keeps its full
# width: #, endpoint, module@version (40), host, status and flags fit down to 100
# columns. Beside the list the detail takes 36% (at most 72 columns), which at 150
# leaves the list the same ~96.
NARROW_COLUMNS = 150
SHORT_ROWS = 35  # below it, Config's tables shrink so the Route panel and detail keep room
PANE_REFRESH_SECONDS = 1.0
THREADED_FILTER_ROWS = 50_000
LOAD_CHUNK = 5_000
FIRST_PAINT_WAIT_SECONDS = 0.5  # the loader waits at most this for the first screenful


class GoscopeApp(FileActions):
    TITLE = "goscope"
    COMMANDS = App.COMMANDS | {GoscopeCommands}
    CSS_PATH = "app.tcss"
    BINDINGS = keys.BINDINGS
    KEY_HELP = keys.KEY_HELP

    @classmethod
    def key_table(cls) -> str:
        """The keys as a Markdown table: the README's copy is tested against it."""
        return keys.key_table()

    def __init__(self, launch: Launch) -> None:
        super().__init__()
        self.launch = launch
        self.engine = launch.engine
        # goscope's own environment is go's only when goscope runs the command itself.
        engine = self.engine
        env = engine.goenv if engine is not None and engine.opts.command else None
        private = self.engine.opts.private if self.engine is not None else launch.private or ""
        trusted = self.engine.opts.trusted if self.engine is not None else launch.trusted or []
        self.private, self.trusted = private, list(trusted)
        recording = self.engine.recording if self.engine is not None else launch.recording
        self.session = Session(env, private, frozenset(h.lower() for h in trusted), recording)
        self.session.guard = bool(engine is not None and engine.opts.guard)
        self.session.live = engine is not None
        # Filled on other threads (the event stream, the command's output), drained by _tick.
        self.pending: deque[tuple[Event | dict[str, Any], int]] = deque()  # events, senders
        self.pending_output: deque[Text | str] = deque()
        self.exit_status: int | None = None
        self.load_error: str | None = None
        self.closing = False
        self.proxy_line = ""
        self.loading = False
        self._last_pane_refresh = 0.0
        self._dirty = True
        self._ticks = 0
        self._first_rows_painted = threading.Event()  # a load's first screenful is drawn
        self.counts = FailureCount()
        self._command_running = False
        self._command_printed = False  # a line of the command's own (the Output tab's note)
        self._request_list: RequestList | None = None
        self.hangup: HangupGuard | None = None
        self.refreshed_tab: str | None = None
        if self.engine is not None:
            self.engine.on_event = self._on_live_event
            self.engine.on_sender = self._on_live_sender

    def curl_proxy(self) -> tuple[str | None, str | None]:
        engine = self.engine
        proxy = engine.client_url if engine is not None else None
        bundle = str(engine.bundle) if engine is not None and proxy else None
        return proxy, bundle

    @property
    def live(self) -> bool:
        return self.engine is not None

    @property
    def request_list(self) -> RequestList:
        if self._request_list is None:  # kept: the list outlives the screen in tests and probes
            self._request_list = self.query_one("#request-list", RequestList)
        return self._request_list

    @property
    def requests(self) -> RequestsTab:
        """The request list's tab: its filter, its order, its detail."""
        return self.query_one(RequestsTab)

    def tab(self, tab_id: str) -> GoscopeTab:
        return self.query_one(f"#{tab_id}", GoscopeTab)

    def active_tab(self) -> GoscopeTab:
        return self.tab(self.query_one("#tabs", TabbedContent).active)

    # -- layout ------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield SessionHeader(id="header-info")
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
        self.set_class(event.size.width < NARROW_COLUMNS, "-narrow")
        self.set_class(event.size.height < SHORT_ROWS, "-short")
        self.call_after_refresh(self.requests.update_list_header)
        self.call_after_refresh(self._update_header)

    def on_mount(self) -> None:
        self._catch_signals()
        self.call_after_refresh(self.requests.update_list_header)
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
        """A closed terminal (SIGHUP, a hung-up tty) or a kill (SIGTERM) ends the app, the
        command, the proxy and the run directory within a second (tui/hangup.py)."""
        self.hangup = HangupGuard(self.engine, lambda: self.exit(self.exit_status or 0))
        self.hangup.install(asyncio.get_running_loop())

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
        shown = redact_argv(command)  # `env GOPROXY=https://bob:…@…` was shown as typed
        self._command_printed = False
        self.session.set_command(shown)
        self.pending_output.append(plain(f"$ {shlex.join(shown)}", "bold"))
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
        # The command's thread: go echoes servers' answers, so this is wire text too; and
        # URLs with their passwords, as the recorded output is redacted (judge.py).
        self.pending_output.append(visible(redact_value(line), multiline=True))
        self._command_printed = True

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

    @property
    def command_printed(self) -> bool:
        return self._command_printed

    # -- recordings -----------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="load")
    def load_recording(self, path: str) -> None:
        worker = get_current_worker()
        session = self.session  # this load fills this session, even if another replaces it
        self._first_rows_painted.clear()
        self.loading = True
        self.load_error = None
        # A bulk load creates millions of objects and no cycles: the cyclic GC would
        # only rescan them over and over. Off while loading, then freeze what was loaded.
        gc.disable()
        try:
            reader = RecordingReader(path, self.launch.skip_bad, on_sender=session.add_sender)
            with reader:
                # The recording's own judging context, unless the command line overrides it.
                judging = recorded_judging(reader.header, self.launch.private, self.launch.trusted)
                session.set_judging(judging["private"], judging["trusted"])
                session.guard = judging["guard"]
                if session is self.session:
                    self.private, self.trusted = judging["private"], list(judging["trusted"])
                for note in judging["overridden"]:
                    self.call_from_thread(
                        self.notify, visible(f"{note} overrides the recording's"), markup=False
                    )
                raw = command_environment(reader.header)
                session.set_env(GoEnv.from_dict(raw) if raw is not None else None)
                session.set_command(reader.header.get("command"))
                for event, offset in reader:
                    index = session.add(redact_listed(event), offset)
                    if index % LOAD_CHUNK == LOAD_CHUNK - 1:
                        if worker.is_cancelled:
                            return
                        # Let the UI thread have the GIL: keys stay responsive while a big
                        # recording loads. After the first chunk, wait for the first screenful
                        # to be painted: drawn against a loader holding the GIL, it took 1–2 s.
                        if index < LOAD_CHUNK:
                            self._first_rows_painted.wait(FIRST_PAINT_WAIT_SECONDS)
                        else:
                            time.sleep(0)
                session.bad_lines = len(reader.skipped)
                session.incomplete = reader.incomplete()
                # Nothing more will come: what still waits was never answered, as the report
                # says it ("unknown", not "pending").
                session.judge.finish()
                if reader.end is not None:
                    session.set_go_output(reader.end.get("go_output") or [])
                    code = reader.end.get("exit_code")
                    if code is not None and session is self.session:
                        self.call_from_thread(self._recorded_exit, session, code)
                if session is self.session:
                    self.counts.prime(session, self.exit_status, lambda: session is self.session)
        except RecordingError as exc:
            self.call_from_thread(self._load_failed, str(exc))
        finally:
            gc.enable()
            gc.freeze()
            if session is self.session:
                self._dirty = True  # before "loaded": whoever sees loaded sees the refresh due
                self.loading = False

    def _recorded_exit(self, session: Session, code: int) -> None:
        # Checked on the UI thread: another recording may have been opened meanwhile.
        if session is self.session:
            self.exit_status = code

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
        waiting = not self._first_rows_painted.is_set()
        if self.loading and self._ticks % 5 and not waiting:
            return  # a big recording is loading: twice a second is plenty, the loader needs the CPU
        try:
            self._tick_now()
        except NoMatches:
            return  # the app is closing: its widgets are gone
        if waiting and self.request_list.row_count:
            # The loader waits for this: set once the frame with the rows is on the screen.
            self.call_after_refresh(self._first_rows_painted.set)

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
            reasons = [
                *self.engine.incomplete,
                *self.session.partial.values(),
                *trouble_reasons(self.engine.trouble),
            ]
            if self.session.abandoned:  # as the recording's reader will say it
                reasons.append(abandoned_reason(self.session.abandoned))
            if self.engine.stream_cut:
                reasons.append(
                    "the live stream from the proxy broke off: later requests are not on this "
                    "screen (the recording has them: goscope open it)"
                )
            if reasons != self.session.incomplete:
                self.session.incomplete = reasons
        self.requests.refresh_rows(self._dirty, self.loading)
        now = time.monotonic()
        if self._dirty and now - self._last_pane_refresh >= PANE_REFRESH_SECONDS:
            self._last_pane_refresh = now
            self._dirty = False
            self._refresh_active_pane()
        self._update_header()

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

    def _update_header(self) -> None:
        self.counts.update(self.session, self.exit_status, self.loading)
        requests, unattributed = self.requests, self.session.judge.default
        facts = HeaderFacts(
            title=self.launch.title,
            where=self.proxy_line if self.live else self.session.recording or "",
            description=self.launch.description,
            requests=len(self.session),
            fetches=self.counts.fetches,
            failed=self.counts.failed,
            leaks=len(groups := self.session.leak_groups),
            blocked=sum(g.blocked for g in groups),
            guard=self.session.guard if self.live else None,
            loading=self.loading,
            running=self.command_running,
            exit_status=self.exit_status,
            follow=self.request_list.follow,
            filter_text=requests.filter.text if requests.filter and requests.filtering else None,
            shown=self.request_list.row_count,
            dropped_live=self.session.dropped_live,
            unattributed=0 if unattributed.known else unattributed.requests,
            bad_lines=self.session.bad_lines,
            incomplete=self.session.incomplete,
            foreign=len(self.session.foreign),
        )
        self.query_one(SessionHeader).show(facts, self.size.width)

    # -- selection -------------------------------------------------------------------------
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
        bar.value = self.requests.filter.text if self.requests.filter else ""
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
        self.requests.apply_filter(new)
        self._update_header()

    @on(RequestsTab.ViewChanged)
    def _view_changed(self) -> None:
        self._update_header()

    def action_sort(self) -> None:
        self.requests.next_sort()

    def action_clear_filter(self) -> None:
        bar = self.query_one("#filter-bar", Input)
        if bar.has_class("visible"):
            bar.remove_class("visible")
            self.request_list.focus()
        if self.requests.filter is not None:
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

    def action_toggle_guard(self) -> None:
        """`g`: the guard on or off in a live session; the recording notes when."""
        engine = self.engine
        if engine is None or not engine.set_guard(not self.session.guard):
            self.notify(
                "no proxy in this session: the guard acts on live traffic", severity="warning"
            )
            return
        self.notify(
            "the guard is on: would-be leaks are answered here, never sent"
            if engine.opts.guard
            else "the guard is off: goscope only watches",
            timeout=4,
        )

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
        if self.hangup is not None:
            self.hangup.uninstall(asyncio.get_running_loop())
        if self.engine is not None:
            # The command (its whole process group), the proxy, the end line, the stream.
            await asyncio.to_thread(self.engine.stop)
