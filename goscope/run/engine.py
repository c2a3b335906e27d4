"""The run engine: one live session, the same for the TUI, `run --headless` and the demo.

It prepares the session (goscope's home, a private run directory, the
command's Go environment), starts the proxy process and the live event
stream, runs the command in its own process group with the environment that
routes go and git through the proxy, forwards signals to that group, writes
the recording's end line, and removes the run directory on every way out.
No UI here: a UI passes `on_event` and `on_output` callbacks and draws.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

from goscope.core.events import Event
from goscope.core.goenv import GoEnv
from goscope.core.gotool import find_go
from goscope.core.home import bundle_path, ensure_private_dir, home_dir
from goscope.core.recording import end_line
from goscope.proxy.config import ProxyConfig
from goscope.proxy.launcher import ProxyProcess, ProxyStartError
from goscope.proxy.stream import EventListener, private_socket_path

from .options import RunOptions
from .wiring import child_env

__all__ = ["CommandNotFound", "Interrupted", "ProxyStartError", "RunEngine"]

OUTPUT_CHUNK = 65536
FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class CommandNotFound(Exception):
    def __init__(self, name: str, why: str = "command not found"):
        super().__init__(f"{why}: {name}")


class Interrupted(BaseException):
    """A signal arrived while no command was running: unwind, cleaning up on the way."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class RunEngine:
    def __init__(
        self,
        opts: RunOptions,
        on_event: Callable[[Event], None] | None = None,
        prefix: str = "run-",
    ):
        self.opts = opts
        self.on_event = on_event  # called on the listener's thread: hand over, don't draw
        self.home = ensure_private_dir(home_dir())
        runs = ensure_private_dir(self.home / "runs")
        self.rundir = Path(tempfile.mkdtemp(prefix=prefix, dir=runs))
        self.recording = opts.jsonl or str(self.rundir / "recording.jsonl")
        self.base_env = dict(os.environ if opts.env is None else opts.env)
        self.goenv = GoEnv.load(self.base_env, go=find_go())
        self.config = ProxyConfig(
            home=self.home,
            port=opts.port,
            listen_host=opts.listen_host,
            routes=list(opts.routes),
            upstream_proxy=opts.upstream_proxy,
            recording=self.recording,
            environment=self.goenv.to_dict(),
            command=opts.command or None,
            save_flows=opts.save_flows,
            har=opts.har,
            log=str(self.rundir / "proxy.log"),
            ssl_insecure=opts.ssl_insecure,
        )
        self.proxy: ProxyProcess | None = None
        self.listener: EventListener | None = None
        self.exit_code: int | None = None
        self.stats: dict[str, Any] = {}
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._ended = False

    # -- the proxy ------------------------------------------------------------------
    def start(self) -> RunEngine:
        """Start the live stream (when someone listens) and the proxy; ProxyStartError."""
        if self.on_event is not None:
            socket_path = private_socket_path(self.home)
            self.listener = EventListener(socket_path, self._deliver).start()
            self.config.events_socket = str(socket_path)
        proxy = ProxyProcess(self.config)
        self.proxy = proxy.start()
        return self

    def _deliver(self, event: Event) -> None:
        if self.on_event is not None:
            self.on_event(event)

    @property
    def port(self) -> int | None:
        return self.proxy.port if self.proxy is not None else None

    @property
    def url(self) -> str | None:
        return self.proxy.url if self.proxy is not None and self.proxy.port else None

    @property
    def bundle(self) -> Path:
        """The CA bundle go and git are told to trust (goscope's CA plus the system's)."""
        return bundle_path(self.home)

    def command_env(self) -> dict[str, str]:
        """The command's environment, wired through the running proxy."""
        assert self.proxy is not None and self.proxy.port is not None, "start() first"
        return child_env(self.base_env, self.proxy.port, self.home, self.proxy.host)

    # -- the command ----------------------------------------------------------------
    def run_command(
        self,
        command: list[str] | None = None,
        on_output: Callable[[str], None] | None = None,
    ) -> int:
        """Run through the proxy in its own process group; its exit status (128+N: signal N).

        With `on_output`, stdout and stderr are read (as text lines); without, the
        command shares goscope's terminal.
        """
        argv = list(command or self.opts.command)
        capture = on_output is not None
        try:
            proc = subprocess.Popen(
                argv,
                env=self.command_env(),
                cwd=self.opts.cwd,
                stdin=subprocess.DEVNULL if capture else None,
                stdout=subprocess.PIPE if capture else None,
                stderr=subprocess.STDOUT if capture else None,
                process_group=0,  # go and its git children stop together
            )
        except FileNotFoundError:
            raise CommandNotFound(argv[0]) from None
        except PermissionError:
            raise CommandNotFound(argv[0], "permission denied") from None
        self.exit_code = None
        with self._lock:
            self._proc = proc
        terminal = None if capture else _hand_terminal_to(proc.pid)
        try:
            if on_output is not None and proc.stdout is not None:
                _read_lines(proc.stdout, on_output)
            code = proc.wait()
        finally:
            if terminal is not None:
                _take_terminal_back(terminal)
            with self._lock:
                self._proc = None
        self.exit_code = 128 - code if code < 0 else code
        return self.exit_code

    @property
    def command_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def signal_command(self, signum: int) -> bool:
        """Send a signal to the command's whole process group; False if none runs."""
        with self._lock:
            proc = self._proc
        if proc is None or proc.poll() is not None:
            return False
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signum)
        return True

    def stop_command(self, grace: float = 3.0) -> None:
        """SIGTERM to the command's group, then SIGKILL if it lingers."""
        for signum in (signal.SIGTERM, signal.SIGKILL):
            if not self.signal_command(signum):
                return
            deadline = time.monotonic() + grace
            while self.command_running and time.monotonic() < deadline:
                time.sleep(0.02)

    @contextlib.contextmanager
    def forward_signals(self) -> Iterator[None]:
        """Ctrl-C, SIGTERM and SIGHUP go to the command (main thread only).

        The command runs in its own process group, so the terminal's Ctrl-C
        reaches goscope alone; goscope passes it on and waits for the command
        to finish, then reports. With no command running, the signal unwinds
        goscope (Interrupted), and the engine still cleans up.
        """
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def forward(signum: int, frame: FrameType | None) -> None:
            if not self.signal_command(signum):
                raise Interrupted(signum)

        previous = {sig: signal.signal(sig, forward) for sig in FORWARDED_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    # -- the end --------------------------------------------------------------------
    def stop(self) -> dict[str, Any]:
        """Stop the command and the proxy, write the end line, close the stream. Idempotent."""
        self.stop_command()
        proxy, self.proxy = self.proxy, None
        if proxy is not None:
            self.stats = proxy.stop()
            if not self._ended and os.path.exists(self.recording):
                self._ended = True
                with open(self.recording, "a", encoding="utf-8") as fh:
                    fh.write(end_line(exit_code=self.exit_code, stats=self.stats) + "\n")
        listener, self.listener = self.listener, None
        if listener is not None:
            listener.close()
            self.stats.setdefault("bad_lines", listener.bad_lines)
        return self.stats

    @property
    def dropped_live(self) -> int:
        listener = self.listener
        return listener.dropped_live if listener is not None else 0

    @property
    def bad_lines(self) -> int:
        listener = self.listener
        return listener.bad_lines if listener is not None else 0

    def cleanup(self) -> None:
        """Remove the run directory (the recording too, unless --jsonl put it elsewhere)."""
        if not os.environ.get("GOSCOPE_KEEP_RUNS"):
            shutil.rmtree(self.rundir, ignore_errors=True)

    def __enter__(self) -> RunEngine:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.stop()
        finally:
            self.cleanup()


def _hand_terminal_to(pgid: int) -> int | None:
    """Make the command's group the terminal's foreground, as a shell does: it can then
    read the terminal, and Ctrl-C reaches it directly. Returns the terminal's fd."""
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return None  # no terminal (CI, a pipe): nothing to hand over
    try:
        if os.tcgetpgrp(fd) != os.getpgrp():
            os.close(fd)
            return None  # goscope itself runs in the background
        with _ignoring(signal.SIGTTOU):
            os.tcsetpgrp(fd, pgid)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGCONT)  # in case it touched the terminal before the handover
    except OSError:
        os.close(fd)
        return None
    return fd


def _take_terminal_back(fd: int) -> None:
    with contextlib.suppress(OSError), _ignoring(signal.SIGTTOU):
        os.tcsetpgrp(fd, os.getpgrp())
    os.close(fd)


@contextlib.contextmanager
def _ignoring(signum: int) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signum, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signum, previous)


def _read_lines(stream: Any, on_output: Callable[[str], None]) -> None:
    """Chunks, not lines: one huge output line must not stall the session."""
    pending = b""
    while chunk := stream.read1(OUTPUT_CHUNK):
        *lines, pending = (pending + chunk).split(b"\n")
        for line in lines:
            on_output(line.decode("utf-8", errors="replace"))
        if len(pending) > OUTPUT_CHUNK:
            on_output(pending.decode("utf-8", errors="replace"))
            pending = b""
    if pending:
        on_output(pending.decode("utf-8", errors="replace"))
