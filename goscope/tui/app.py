"""goscope's Textual app: the requests go makes, their fallback chains, leaks and config."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

from rich.text import Text
from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.widgets import Footer, Input, RichLog, Static, TabbedContent, TabPane
from textual.worker import get_current_worker

from goscope.core.events import Event, RecordingError, end_line
from goscope.core.filters import Filter, FilterError, parse_filter
from goscope.core.goenv import GoEnv
from goscope.core.session import Session, read_events
from goscope.export import curl_command, export_session
from goscope.tui.commands import GoscopeCommands
from goscope.tui.messages import FollowChanged, JumpToSeq, RowSelected
from goscope.tui.screens.modals import ConfirmScreen, HelpScreen, PromptScreen
from goscope.tui.widgets.detail import detail_view
from goscope.tui.widgets.panes import ConfigPane, HostsPane, LeaksPane, ModulesPane
from goscope.tui.widgets.request_list import RequestList, header_text
from goscope.tui.widgets.timeline import Timeline

FLUSH_SECONDS = 0.1
PANE_REFRESH_SECONDS = 1.0
THREADED_FILTER_ROWS = 50_000
LOAD_CHUNK = 5_000
TABS = ("requests", "modules", "leaks", "hosts", "config", "timeline", "output")


@dataclass
class Launch:
    """What the app is for: a live session (proxy, maybe a command) or a recording."""

    recording: str | None = None  # live: where the proxy records; open: the file to show
    open_file: bool = False
    command: list[str] | None = None
    command_env: dict[str, str] | None = None
    cwd: str | None = None
    proxy_config: object | None = None  # goscope.proxy.launcher.ProxyConfig
    title: str = "goscope"
    private: str = ""
    trusted: list[str] = field(default_factory=list)
    env: GoEnv | None = None
    export_dir: str | None = None
    skip_bad: bool = False  # open: skip unreadable lines instead of refusing the file
    strict: bool = False  # opened from the command line: a bad file ends the app (exit 2)


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
    #filter-bar { dock: bottom; display: none; }
    #filter-bar.visible { display: block; }
    #output-log { height: 1fr; }
    .findings-title { height: 1; margin-top: 1; }
    ConfigPane DataTable { height: auto; max-height: 14; }
    """
    BINDINGS = [
        Binding("q", "quit_app", "Quit"),
        Binding("question_mark", "help", "Help"),
        Binding("slash", "filter", "Filter"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
        Binding("f", "toggle_follow", "Follow"),
        Binding("c", "copy", "Copy"),
        Binding("e", "export", "Export"),
        Binding("o", "open_recording", "Open"),
        Binding("colon", "command_bar", "Run"),
        Binding("enter", "jump_to_proof", "Go to request", show=False),
        *[Binding(str(i + 1), f"tab('{t}')", t.title(), show=False) for i, t in enumerate(TABS)],
    ]
    KEY_HELP = [
        ("1-7", "Requests, Modules, Leaks, Hosts, Config, Timeline, Output"),
        ("↑↓ PgUp PgDn Home End", "move in the request list (moving up stops following)"),
        ("f", "follow new traffic on/off"),
        ("/", "filter the request list; Esc clears the filter"),
        ("c", "copy: the request as curl; in Leaks and Config, the fix"),
        ("e", "export the session: recording (.jsonl), report (.json), HAR"),
        ("o", "open a recording"),
        (":", "run a command through goscope (e.g. go mod download)"),
        ("Enter", "in Config or Leaks: show the request that proves it"),
        ("Ctrl+P", "command palette"),
        ("?", "this help"),
        ("q", "quit (asks first while a command runs)"),
    ]

    def __init__(self, launch: Launch) -> None:
        super().__init__()
        self.launch = launch
        self.session = Session(
            launch.env,
            launch.private,
            frozenset(h.lower() for h in launch.trusted),
            recording=launch.recording,
        )
        self.filter: Filter | None = None
        self.pending: list[tuple[Event, int]] = []
        self.proxy = None
        self.listener = None
        self.command_proc: asyncio.subprocess.Process | None = None
        self.exit_status: int | None = None
        self.load_error: str | None = None
        self.closing = False
        # The live recording (the end line goes here, even if another file is opened).
        self.live_recording = None if launch.open_file else launch.recording
        self.proxy_line = ""
        self.loading = False
        self._filtered_upto = 0
        self._last_pane_refresh = 0.0
        self._dirty = True
        self.list = RequestList(self.session.store, id="request-list")

    # -- layout ------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(id="header-info")
        with TabbedContent(id="tabs", initial="requests"):
            with TabPane("Requests", id="requests"), Horizontal(id="requests-split"):
                with Vertical(id="request-side"):
                    yield Static(id="list-header")
                    yield self.list
                with VerticalScroll(id="detail-scroll"):
                    yield Static(
                        Text("Select a request to see its fallback chain.", style="dim"),
                        id="detail",
                    )
            with TabPane("Modules", id="modules"):
                yield ModulesPane(id="modules-pane")
            with TabPane("Leaks", id="leaks"):
                yield LeaksPane(id="leaks-pane")
            with TabPane("Hosts", id="hosts"):
                yield HostsPane(id="hosts-pane")
            with TabPane("Config", id="config"):
                yield ConfigPane(id="config-pane")
            with TabPane("Timeline", id="timeline"), VerticalScroll():
                yield Timeline(id="timeline-view")
            with TabPane("Output", id="output"):
                yield RichLog(id="output-log", wrap=True, markup=False, highlight=False)
        yield Input(
            placeholder="filter: kind:sumdb status:>=400 host:… module:… leak error — Enter applies, Esc clears",
            id="filter-bar",
        )
        yield Footer()

    @on(events.Resize)
    def _resized(self) -> None:
        self.call_after_refresh(self._update_list_header)

    def _update_list_header(self) -> None:
        width = self.list.size.width or 100
        self.query_one("#list-header", Static).update(header_text(width))

    async def on_mount(self) -> None:
        self.call_after_refresh(self._update_list_header)
        self.flush_timer = self.set_interval(FLUSH_SECONDS, self._flush)
        self.list.follow = not self.launch.open_file
        self.list.focus()
        if self.launch.open_file and self.launch.recording:
            self.load_recording(self.launch.recording)
        elif self.launch.proxy_config is not None:
            await self._start_live()
        self._update_header()

    # -- live sessions ---------------------------------------------------------------------
    async def _start_live(self) -> None:
        from goscope.proxy.stream import EventListener, private_socket_path

        config = self.launch.proxy_config
        path = private_socket_path(Path(config.home))
        self.listener = await EventListener(path, self._on_live_event).start()
        config.events_socket = str(path)
        self.proxy_line = "starting the proxy…"
        self.start_proxy()

    def _on_live_event(self, event: Event) -> None:
        self.pending.append((event, -1))

    @work(thread=True, exclusive=True, group="proxy")
    def start_proxy(self) -> None:
        from goscope.proxy.launcher import ProxyProcess, ProxyStartError

        try:
            proxy = ProxyProcess(self.launch.proxy_config).start()
        except ProxyStartError as exc:
            if not self.closing:
                self.call_from_thread(self._proxy_failed, str(exc))
            return
        if self.closing:  # the user quit while the proxy was starting
            proxy.stop()
            return
        self.call_from_thread(self._proxy_ready, proxy)

    def _proxy_failed(self, message: str) -> None:
        self.proxy_line = f"the proxy did not start: {message}"
        self.notify(message, title="goscope", severity="error", timeout=30)
        self._update_header()

    def _proxy_ready(self, proxy) -> None:
        self.proxy = proxy
        port_arg = f" --port {proxy.port}" if proxy.port != 8080 else ""
        self.proxy_line = (
            f'listening on {proxy.url} · in another terminal: eval "$(goscope env{port_arg})"'
        )
        self._update_header()
        if self.launch.command:
            self.run_command(self.launch.command)

    def command_environment(self) -> dict[str, str]:
        from goscope.wiring import child_env

        base = dict(self.launch.command_env if self.launch.command_env is not None else os.environ)
        return child_env(
            base, self.proxy.port, Path(self.launch.proxy_config.home), self.proxy.host
        )

    @work(exclusive=True, group="command")
    async def run_command(self, command: list[str]) -> None:
        log = self.query_one("#output-log", RichLog)
        log.write(Text(f"$ {' '.join(command)}", style="bold"))
        self.exit_status = None
        try:
            self.command_proc = await asyncio.create_subprocess_exec(
                *command,
                env=self.command_environment(),
                cwd=self.launch.cwd,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,  # go and its git children stop together on quit
            )
        except (FileNotFoundError, PermissionError) as exc:
            log.write(Text(f"goscope: cannot run {command[0]}: {exc.strerror}", style="red"))
            self.exit_status = 127
            self._update_header()
            return
        self._update_header()
        assert self.command_proc.stdout is not None
        pending = b""
        # Chunks, not lines: one huge output line must not end the session.
        while chunk := await self.command_proc.stdout.read(65536):
            *lines, pending = (pending + chunk).split(b"\n")
            for line in lines:
                log.write(line.decode("utf-8", errors="replace"))
            if len(pending) > 65536:
                log.write(pending.decode("utf-8", errors="replace"))
                pending = b""
        if pending:
            log.write(pending.decode("utf-8", errors="replace"))
        self.exit_status = await self.command_proc.wait()
        self.command_proc = None
        style = "green" if self.exit_status == 0 else "red"
        log.write(Text(f"exit status {self.exit_status}", style=f"bold {style}"))
        self._update_header()

    @staticmethod
    async def _stop_command(proc: asyncio.subprocess.Process) -> None:
        """SIGTERM to the command's whole process group (go and its git), then SIGKILL."""
        for sig, wait in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 3.0)):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, sig)
            try:
                await asyncio.wait_for(proc.wait(), wait)
                return
            except TimeoutError:
                continue

    @property
    def command_running(self) -> bool:
        return self.command_proc is not None and self.command_proc.returncode is None

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
            for header, event, offset in read_events(path, skip_bad=self.launch.skip_bad):
                if event is None:
                    env = GoEnv.from_dict(header.get("environment") or {})
                    self.call_from_thread(session.set_env, env)
                    continue
                index = session.add(event, offset)
                if index % LOAD_CHUNK == LOAD_CHUNK - 1:
                    if worker.is_cancelled:
                        return
                    # Let the UI thread have the GIL: the first screenful paints at once,
                    # and keys stay responsive while a big recording loads.
                    time.sleep(0.05 if index < LOAD_CHUNK else 0)
        except (RecordingError, OSError) as exc:
            self.load_error = str(exc)
            if self.launch.strict:
                self.call_from_thread(self.exit, 2)  # run_app prints the one line
            else:
                self.call_from_thread(
                    self.notify, str(exc), title="cannot open", severity="error", timeout=20
                )
        finally:
            gc.enable()
            gc.freeze()
            if session is self.session:
                self.loading = False
                self._dirty = True

    # -- coalesced refresh -----------------------------------------------------------------
    _ticks = 0

    def _flush(self) -> None:
        self._ticks += 1
        if self.loading and self._ticks % 5:
            return  # a big recording is loading: twice a second is plenty, the loader needs the CPU
        try:
            self._flush_now()
        except NoMatches:
            pass  # the app is closing: its widgets are gone

    def _flush_now(self) -> None:
        if self.pending:
            batch, self.pending = self.pending, []
            for event, offset in batch:
                self.session.add(event, offset)
            self._dirty = True
        if self.listener is not None:
            self.session.dropped_live = self.listener.dropped_live
        total = len(self.session)
        if self.filter is not None and not self.filter.empty and self.list.indices is not None:
            if total > self._filtered_upto and not self._filter_running:
                new = self.filter.apply(self.session.store, range(self._filtered_upto, total))
                self._filtered_upto = total
                if new:
                    self.list.indices.extend(new)
                    self.list.refresh_rows()
        elif self.list.row_count != getattr(self, "_shown_rows", -1) or self._dirty:
            self.list.refresh_rows()
        self._shown_rows = self.list.row_count
        now = time.monotonic()
        if self._dirty and now - self._last_pane_refresh >= PANE_REFRESH_SECONDS:
            self._last_pane_refresh = now
            self._dirty = False
            self._refresh_active_pane()
        self._update_header()

    _filter_running = False

    def _refresh_active_pane(self) -> None:
        active = self.query_one("#tabs", TabbedContent).active
        if active == "modules":
            self.query_one(ModulesPane).refresh_from(self.session)
        elif active == "leaks":
            self.query_one(LeaksPane).refresh_from(self.session)
        elif active == "hosts":
            self.query_one(HostsPane).refresh_from(self.session)
        elif active == "config":
            self.query_one(ConfigPane).refresh_from(self.session)
        elif active == "timeline":
            self.query_one(Timeline).refresh_from(self.session.store)

    @on(TabbedContent.TabActivated)
    def _tab_changed(self) -> None:
        self._refresh_active_pane()

    def _update_header(self) -> None:
        text = Text()
        text.append("goscope ", style="bold")
        if self.launch.open_file:
            text.append(f"· {self.launch.recording} ")
        elif self.proxy_line:
            text.append(f"· {self.proxy_line} ")
        n, fetches = len(self.session), len(self.session.chains)
        text.append(f"\n{n} request{'s' if n != 1 else ''}", style="bold")
        text.append(f" · {fetches} fetch{'es' if fetches != 1 else ''}")
        leaks = len(self.session.leaks)
        text.append(
            f" · {leaks} leak{'s' if leaks != 1 else ''}", style="bold red" if leaks else "green"
        )
        if self.loading:
            text.append(" · loading…", style="yellow")
        if self.command_running:
            text.append(" · command running", style="yellow")
        elif self.exit_status is not None:
            text.append(
                f" · exit {self.exit_status}",
                style="green" if self.exit_status == 0 else "bold red",
            )
        text.append(
            " · follow" if self.list.follow else " · follow off (f)",
            style="cyan" if self.list.follow else "dim",
        )
        if self.filter is not None and not self.filter.empty:
            text.append(
                f" · filter: {self.filter.text} ({self.list.row_count} shown, Esc clears)",
                style="bold magenta",
            )
        if self.session.dropped_live:
            text.append(
                f" · {self.session.dropped_live} events not shown live (all are recorded)",
                style="yellow",
            )
        self.query_one("#header-info", Static).update(text)

    # -- selection and detail -----------------------------------------------------------------
    @on(RowSelected)
    def _show_detail(self, message: RowSelected) -> None:
        row = self.session.store.row(message.index)
        event = self.session.event(message.index)
        chain = self.session.chain_for_seq(row.seq)
        self.query_one("#detail", Static).update(detail_view(row, event, chain))

    @on(FollowChanged)
    def _follow_changed(self, _: FollowChanged) -> None:
        self._update_header()

    @on(JumpToSeq)
    def _jump(self, message: JumpToSeq) -> None:
        self.jump_to_seq(message.seq)

    def jump_to_seq(self, seq: int) -> bool:
        index = self.session.store.index_of_seq(seq)
        if index is None:
            return False
        if self.list.indices is not None and index not in set(self.list.indices):
            self.action_clear_filter()
        self.query_one("#tabs", TabbedContent).active = "requests"
        self.list.select_store_index(index)
        self.list.focus()
        return True

    # -- actions -------------------------------------------------------------------------------
    def action_tab(self, tab: str) -> None:
        self.query_one("#tabs", TabbedContent).active = tab
        if tab == "requests":
            self.list.focus()

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.KEY_HELP))

    def action_toggle_follow(self) -> None:
        self.list.follow = not self.list.follow

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
            self.notify(str(exc), title="filter", severity="error")
            return
        bar.remove_class("visible")
        self.list.focus()
        self.apply_filter(new)

    def apply_filter(self, new: Filter | None) -> None:
        if new is None or new.empty:
            self.filter = None
            self.list.set_indices(None)
            self._update_header()
            return
        self.filter = new
        total = len(self.session)
        if total > THREADED_FILTER_ROWS:
            self._filter_running = True
            self.filter_in_thread(new, total)
        else:
            self._filtered_upto = total
            self.list.set_indices(new.apply(self.session.store, range(total)))
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
        self.list.set_indices(indices)
        self._update_header()

    def action_clear_filter(self) -> None:
        bar = self.query_one("#filter-bar", Input)
        if bar.has_class("visible"):
            bar.remove_class("visible")
            self.list.focus()
        if self.filter is not None:
            self.apply_filter(None)

    def action_copy(self) -> None:
        active = self.query_one("#tabs", TabbedContent).active
        text = None
        if active == "leaks":
            leak = self.query_one(LeaksPane).selected()
            text = leak.fix if leak else None
        elif active == "config":
            finding = self.query_one(ConfigPane).selected()
            text = finding.fix if finding else None
        else:
            index = self.list.store_index(self.list.cursor)
            event = self.session.event(index) if index is not None else None
            if event is not None:
                proxy = self.proxy.url if self.proxy else None
                bundle = (
                    str(Path(self.launch.proxy_config.home) / "ca-bundle.pem")
                    if self.proxy
                    else None
                )
                text = curl_command(event, proxy, bundle)
        if not text:
            self.notify("nothing to copy here", severity="warning")
            return
        self.copy_to_clipboard(text)
        self.last_copied = text
        self.notify(text, title="copied")

    last_copied: str | None = None

    def action_export(self) -> None:
        if not self.session.recording or not os.path.exists(self.session.recording):
            self.notify("no recording to export yet", severity="warning")
            return
        directory = Path(self.launch.export_dir or os.getcwd())
        try:
            paths = export_session(
                self.session.recording, directory, self.launch.private, self.launch.trusted
            )
        except (OSError, RecordingError) as exc:
            self.notify(str(exc), title="export failed", severity="error")
            return
        self.last_export = paths
        self.notify("\n".join(str(p) for p in paths), title="exported")

    last_export: list[Path] | None = None

    def action_open_recording(self) -> None:
        if self.launch.proxy_config is not None:
            self.notify(
                "this is a live session: open recordings in another window (goscope open FILE)",
                severity="warning",
            )
            return

        def opened(path: str | None) -> None:
            if not path:
                return
            if not os.path.isfile(path):
                self.notify(f"{path}: no such file", severity="error")
                return
            self.session = Session(
                None, self.launch.private, frozenset(self.launch.trusted), recording=path
            )
            self.launch.recording, self.launch.open_file = path, True
            self.list.store = self.session.store
            self.list.follow = False
            self.list.set_indices(None)
            self.filter = None
            self.load_recording(path)

        self.push_screen(
            PromptScreen("Open a recording (JSON lines):", "path/to/recording.jsonl"), opened
        )

    def action_command_bar(self) -> None:
        if self.proxy is None:
            self.notify("no proxy in this session (a recording is open)", severity="warning")
            return

        def submitted(line: str | None) -> None:
            if not line:
                return
            import shlex

            try:
                argv = shlex.split(line)
            except ValueError as exc:
                self.notify(str(exc), severity="error")
                return
            self.query_one("#tabs", TabbedContent).active = "output"
            self.run_command(argv)

        self.push_screen(PromptScreen("Run through goscope:", "go mod download"), submitted)

    def action_jump_to_proof(self) -> None:
        active = self.query_one("#tabs", TabbedContent).active
        seq = None
        if active == "config":
            finding = self.query_one(ConfigPane).selected()
            seq = finding.evidence[0] if finding and finding.evidence else None
        elif active == "leaks":
            leak = self.query_one(LeaksPane).selected()
            seq = leak.seq if leak else None
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
        self.flush_timer.stop()
        if self.command_running and self.command_proc is not None:
            await self._stop_command(self.command_proc)
        if self.proxy is not None:
            stats = await asyncio.to_thread(self.proxy.stop)
            if self.live_recording and os.path.exists(self.live_recording):
                with open(self.live_recording, "a", encoding="utf-8") as fh:
                    fh.write(end_line(exit_code=self.exit_status, stats=stats) + "\n")
        if self.listener is not None:
            await self.listener.close()
