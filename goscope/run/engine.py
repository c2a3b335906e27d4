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
import errno
import fcntl
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

from goscope.core.gorules.goenv import GoEnv
from goscope.core.gorules.goerrors import MAX_LINE, MAX_LINES, worth_keeping
from goscope.core.gorules.netrc import netrc_facts, read_netrc
from goscope.core.gorules.roots import go_roots
from goscope.core.gotool import find_go, go_version_of
from goscope.core.home import bundle_path, ensure_private_dir, home_dir
from goscope.core.safe.files import file_identity, write_all
from goscope.core.safe.redact import redact_value, token_shapes_source
from goscope.core.traffic.context import run_context
from goscope.core.traffic.events import Event
from goscope.core.traffic.recording import end_line
from goscope.proxy.config import ProxyConfig
from goscope.proxy.launcher import ProxyProcess, ProxyStartError, last_logged_error, take_spawned
from goscope.proxy.stream import EventListener, private_socket_path

from .commands import CommandNotFound
from .options import RunOptions
from .rundirs import SESSION_FILE, announce, claim, clean_stale
from .wiring import child_env, proxy_url

__all__ = ["CommandNotFound", "ProxyStartError", "RunEngine"]

OUTPUT_CHUNK = 65536
FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class RunEngine:
    def __init__(
        self,
        opts: RunOptions,
        on_event: Callable[[Event], None] | None = None,
        prefix: str = "run-",
        on_sender: Callable[[dict[str, Any]], None] | None = None,
    ):
        # First: the proxy process imports mitmproxy (most of its start-up) on the other
        # core while this one works out the environment, the roots and the config.
        self._spawned: ProxyProcess | None = take_spawned()
        try:
            self._prepare(opts, on_event, prefix, on_sender)
        except BaseException:
            self._spawned.kill()
            raise

    def _prepare(
        self,
        opts: RunOptions,
        on_event: Callable[[Event], None] | None,
        prefix: str,
        on_sender: Callable[[dict[str, Any]], None] | None,
    ) -> None:
        self.opts = opts
        self.on_event = on_event  # called on the listener's thread: hand over, don't draw
        self.on_sender = on_sender  # likewise, for each process that sends requests
        self.home = ensure_private_dir(home_dir())
        runs = ensure_private_dir(self.home / "runs")
        clean_stale(self.home)  # what goscopes killed outright left behind
        self.rundir = Path(tempfile.mkdtemp(prefix=prefix, dir=runs))
        claim(self.rundir)
        # Only the processes this run wires may use its proxy (proxy/access.py).
        self.secret = secrets.token_urlsafe(24)
        self.recording = opts.jsonl or str(self.rundir / "recording.jsonl")
        self._har_before = file_identity(opts.har)  # the proxy writes it anew as it stops
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
            environment_source="command" if opts.command else "goscope",
            command=opts.command or None,
            save_flows=opts.save_flows,
            har=opts.har,
            log=str(self.rundir / "proxy.log"),
            ssl_insecure=opts.ssl_insecure,
            command_pgid_file=str(self.rundir / "command.pgid"),
            token_shapes=token_shapes_source(),
            judging={"private": opts.private, "trusted": list(opts.trusted), "guard": opts.guard},
            context=run_context(self.base_env, opts.cwd),
            guard=opts.guard,
            guard_toggle=prefix == "tui-",  # the TUI's `g` (Launch.live), never a headless run
            secret=self.secret,
            rundir=self.rundir,
        )
        roots = go_roots(self.base_env, skip=str(bundle_path(self.home)))
        self.config.upstream_ca = roots.file
        self.config.upstream_ca_dir = roots.directories[0] if roots.directories else None
        self.proxy: ProxyProcess | None = None
        self.listener: EventListener | None = None
        self.exit_code: int | None = None
        self.stats: dict[str, Any] = {}
        self._proc: subprocess.Popen[bytes] | None = None
        self._own_group = True
        self._lock = threading.Lock()  # start/stop/run bookkeeping; never taken in a handler
        self._stopped = False
        self.interrupted: int | None = None  # a signal that came while no command ran
        # go's output (its errors are the final word on what failed): the end line keeps it.
        self.go_output: deque[str] = deque(maxlen=MAX_LINES)
        self.go_version: str | None = None  # `go version` of the go the command ran
        self._version_thread: threading.Thread | None = None
        # Why the verdict will not cover the whole run (the proxy died mid-run); the proxy's
        # own count and the recording say the rest (gaps.py `missing_from`).
        self.incomplete: list[str] = []
        self.on_trouble: Callable[[str], None] | None = None  # the UI hears of it at once
        self.end_written = False
        # The recording, held open from the proxy's start: read and ended through this
        # descriptor even if its directory is removed, or its path replaced, meanwhile.
        self._recording_fd: int | None = None
        self._watcher: threading.Thread | None = None
        self._proxy_died = False

    # -- the proxy ------------------------------------------------------------------
    def start(self) -> RunEngine:
        """Start the live stream (when someone listens: set `on_event` first) and the
        proxy; ProxyStartError."""
        if self.on_event is not None:
            socket_path = private_socket_path(self.home)
            self.listener = EventListener(socket_path, self._deliver, self._introduce).start()
            self.config.events_socket = str(socket_path)
        with self._lock:
            spawned, self._spawned = self._spawned, None
        if self._stopped:  # the user quit first: stop() ended the spawned process already
            return self
        proxy = (spawned or ProxyProcess()).start(config=self.config)
        with self._lock:
            if not self._stopped:
                self.proxy = proxy
                self._hold_recording()
                if proxy.port is not None:  # for `goscope env` and `goscope shell`
                    proxy_pid = proxy.proc.pid if proxy.proc is not None else None
                    announce(self.rundir, proxy.port, proxy.host, self.secret, proxy_pid)
                self._watcher = threading.Thread(
                    target=self._watch_proxy, args=(proxy,), daemon=True, name="goscope-watch"
                )
                self._watcher.start()
                return self
        proxy.stop()  # stopped (the user quit) while the proxy was starting
        return self

    def _hold_recording(self) -> None:
        with contextlib.suppress(OSError):
            self._recording_fd = os.open(
                self.recording, os.O_RDWR | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC
            )

    def _watch_proxy(self, proxy: ProxyProcess) -> None:
        """A proxy that dies mid-run (killed, out of memory) leaves go talking to a closed
        port: said at once, and the verdict is incomplete."""
        proc = proxy.proc
        while proc is not None and not self._stopped:
            code = proc.poll()
            if code is not None:
                if not self._stopped:
                    self._note_proxy_exit(code)
                return
            time.sleep(0.25)

    def _note_proxy_exit(self, code: int | None) -> None:
        """The proxy ended before goscope asked it to (killed, stopped by someone else): the
        verdict is incomplete, `goscope env` no longer wires shells to it, the UI is told."""
        if code is None or self._proxy_died:
            return
        self._proxy_died = True
        how = f"killed by signal {-code}" if code < 0 else f"exit status {code}"
        if code >= 0 and (said := last_logged_error(self.config.log)):
            how += f"; its last error: {said}"  # (a flow file on a full disk ends it)
        reason = (
            f"the proxy process ended at {time.strftime('%H:%M:%S')} ({how}) before goscope "
            "stopped it: requests after that never reached goscope"
        )
        self.incomplete.append(reason)
        with contextlib.suppress(OSError):
            (self.rundir / SESSION_FILE).unlink()
        if self.on_trouble is not None:
            self.on_trouble(reason)

    def _check_kept_recording(self) -> None:
        """A recording the user keeps (--jsonl) must still be this run's file at the end."""
        if not self.opts.jsonl or self._recording_fd is None:
            return
        try:
            held, there = os.fstat(self._recording_fd), os.lstat(self.recording)
            same = (held.st_dev, held.st_ino) == (there.st_dev, there.st_ino)
        except OSError:
            same = False
        if not same:
            self.incomplete.append(
                f"the recording {self.recording} was replaced or removed during the run: the "
                "file there now is not this run's"
            )

    def recording_file(self) -> Any:
        """The recording from its start, as a binary file (through the held descriptor when
        there is one; else by its path). The caller closes it."""
        if self._recording_fd is not None:
            fh = os.fdopen(os.dup(self._recording_fd), "rb")
            fh.seek(0)
            return fh
        return open(self.recording, "rb")

    def _deliver(self, event: Event) -> None:
        if self.on_event is not None:
            self.on_event(event)

    def _introduce(self, sender: dict[str, Any]) -> None:
        if self.on_sender is not None:
            self.on_sender(sender)

    def set_guard(self, on: bool) -> bool:
        """Turn the running proxy's guard on or off (it tells the sinks when it has)."""
        proxy = self.proxy
        if not self.config.guard_toggle:
            return False
        if proxy is None or proxy.proc is None or proxy.proc.poll() is not None:
            return False
        os.kill(proxy.proc.pid, signal.SIGUSR1 if on else signal.SIGUSR2)
        self.opts.guard = on
        return True

    @property
    def har_missing(self) -> bool:  # not there, or the file that was there before the run
        return bool(self.opts.har) and file_identity(self.opts.har) in (None, self._har_before)

    @property
    def proxy_alive(self) -> bool:
        proxy = self.proxy
        return proxy is not None and proxy.proc is not None and proxy.proc.poll() is None

    @property
    def port(self) -> int | None:
        return self.proxy.port if self.proxy is not None else None

    @property
    def url(self) -> str | None:
        """Where the proxy listens, to show (without the secret)."""
        return self.proxy.url if self.proxy is not None and self.proxy.port else None

    @property
    def client_url(self) -> str | None:
        """The proxy as a wired client names it: with the run's secret (never shown)."""
        proxy = self.proxy
        if proxy is None or proxy.port is None:
            return None
        return proxy_url(proxy.port, proxy.host, self.secret)

    @property
    def bundle(self) -> Path:
        """The CA bundle go and git are told to trust (goscope's CA plus the system's)."""
        return bundle_path(self.home)

    def command_env(self) -> dict[str, str]:
        """The command's environment, wired through the running proxy."""
        assert self.proxy is not None and self.proxy.port is not None, "start() first"
        return child_env(self.base_env, self.proxy.port, self.home, self.proxy.host, self.secret)

    # -- the command ----------------------------------------------------------------
    def run_command(
        self,
        command: list[str] | None = None,
        on_output: Callable[[str], None] | None = None,
    ) -> int:
        """Run through the proxy; its exit status (128+N when signal N ended it).

        With `on_output` (the TUI), stdout and stderr are read as lines and the command
        gets a session of its own: it can never stop on, or draw over, the terminal.
        Without, it shares goscope's terminal. When goscope is a foreground job there, the
        command stays in goscope's process group, so the terminal's Ctrl-C and Ctrl-Z
        reach both as the shell expects; with no terminal (CI, pipes) it gets a group of
        its own, and `forward_signals` passes signals on to the whole group.
        """
        argv = list(command or self.opts.command)
        capture = on_output is not None
        self.go_output.clear()  # the last command's output is the one that counts
        # Beside the command, not before it: `go version` must not delay go.
        self._version_thread = threading.Thread(
            target=self._learn_go_version, args=(argv,), daemon=True
        )
        self._version_thread.start()
        own_group = capture or not _foreground_terminal()
        with self._lock:
            if self._stopped:
                self.exit_code = 128 + signal.SIGTERM
                return self.exit_code
            if self.interrupted:  # a signal came before the command could start
                self.exit_code = 128 + self.interrupted
                return self.exit_code
            try:
                proc = subprocess.Popen(
                    argv,
                    env=self.command_env(),
                    cwd=self.opts.cwd,
                    stdin=subprocess.DEVNULL if capture else None,
                    stdout=subprocess.PIPE if capture else None,
                    # Without capture, stderr is copied through as it comes (tee).
                    stderr=subprocess.STDOUT if capture else subprocess.PIPE,
                    start_new_session=capture,
                    process_group=0 if own_group and not capture else None,
                )
            except FileNotFoundError:
                self.exit_code = 127  # as a shell says it: the run's status, not 0
                raise CommandNotFound(argv[0]) from None
            except PermissionError:
                self.exit_code = 126
                raise CommandNotFound(argv[0], "permission denied") from None
            self.exit_code = None
            self._proc, self._own_group = proc, own_group
            self._tell_watchdog(proc.pid if own_group else os.getpgrp())
        if self.interrupted:  # it came between Popen and here
            self.signal_command(self.interrupted)
        try:
            if on_output is not None and proc.stdout is not None:
                _read_lines(proc.stdout, self._keeper(on_output))
            elif proc.stderr is not None:
                _tee(proc.stderr, self._keeper(None))
            code = proc.wait()
            # Before it reads as stopped: whoever saw the command end sees its status.
            self.exit_code = 128 - code if code < 0 else code
        finally:
            self._proc = None
        return self.exit_code

    def _learn_go_version(self, argv: list[str]) -> None:
        self.go_version = go_version_of(argv, self.base_env) or self.go_version

    def _keeper(self, then: Callable[[str], None] | None) -> Callable[[str], None]:
        def keep(line: str) -> None:
            if worth_keeping(line):
                self.go_output.append(line[:MAX_LINE])  # go's errors are short lines
            if then is not None:
                then(line)

        return keep

    def _tell_watchdog(self, pgid: int) -> None:
        if self.config.command_pgid_file:
            with contextlib.suppress(OSError):
                Path(self.config.command_pgid_file).write_text(str(pgid))

    @property
    def command_running(self) -> bool:
        proc = self._proc  # one read: another thread may clear it
        return proc is not None and proc.poll() is None

    def signal_command(self, signum: int) -> bool:
        """Send a signal to the command (its whole group when it has one); False if none runs.
        Safe in a signal handler: it takes no lock."""
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return False
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if self._own_group:
                os.killpg(proc.pid, signum)
            else:
                os.kill(proc.pid, signum)
        return True

    def stop_command(self, grace: float = 3.0) -> None:
        """SIGTERM to the command, then SIGKILL if it lingers."""
        for signum in (signal.SIGTERM, signal.SIGKILL):
            if not self.signal_command(signum):
                return
            deadline = time.monotonic() + grace
            while self.command_running and time.monotonic() < deadline:
                time.sleep(0.02)

    @contextlib.contextmanager
    def forward_signals(self) -> Iterator[None]:
        """While the engine runs (main thread only): SIGINT, SIGTERM and SIGHUP go to the
        command, and goscope itself goes on to write the end line and its report.

        A signal with no command running is remembered (`interrupted`): the command is
        then not started, or is stopped as soon as it is.
        """
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def forward(signum: int, frame: FrameType | None) -> None:
            if signum == signal.SIGINT and self._proc is not None and not self._own_group:
                return  # the terminal sent Ctrl-C to the command's group (ours) already
            if not self.signal_command(signum):
                self.interrupted = signum

        previous = {sig: signal.signal(sig, forward) for sig in FORWARDED_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    # -- the end --------------------------------------------------------------------
    def stop(self, grace: float = 3.0) -> dict[str, Any]:
        """Stop the command and the proxy, write the end line, close the stream. Safe to call
        twice and from two threads (the TUI's quit and its start worker). `grace`: how long
        the command has between SIGTERM and SIGKILL."""
        with self._lock:
            self._stopped = True
            proxy, self.proxy = self.proxy, None
            listener, self.listener = self.listener, None
            spawned, self._spawned = self._spawned, None
        if spawned is not None:  # spawned, never started
            spawned.kill()
        if proxy is not None and proxy.proc is not None:
            self._note_proxy_exit(proxy.proc.poll())  # it ended before it was asked to
        self.stop_command(grace)
        if self._version_thread is not None:
            self._version_thread.join(timeout=5)
        if proxy is not None:
            self.stats = proxy.stop()
            if proxy.proc is not None and (proxy.proc.returncode or 0) > 0:  # failed meanwhile
                self._note_proxy_exit(proxy.proc.returncode)  # (a full --save-flows disk)
            hosts = self.stats.pop("credential_hosts", None)
            self.credential_hosts = (
                {h for h in hosts if isinstance(h, str)} if isinstance(hosts, list) else set()
            )
            if self.stats.get("shutdown") == "signal" and not self._proxy_died:
                self._proxy_died = True
                self.incomplete.append(
                    "the proxy was stopped by a signal from another process before goscope "
                    "stopped it: requests after that never reached goscope"
                )
            self._check_kept_recording()
            self._write_end_line()
        if listener is not None:
            listener.close()
            self.stats.setdefault("bad_lines", listener.bad_lines)
        return self.stats

    def _write_end_line(self) -> None:
        """The recording's end line: the command's exit status, the proxy's count, go's
        output. Through the held descriptor; a full disk here is said, not raised."""
        output = [redact_value(line) for line in self.go_output]
        extra: dict[str, Any] = {"incomplete": list(self.incomplete)} if self.incomplete else {}
        netrc = read_netrc(self.base_env)
        if netrc is not None:  # what `goscope report` says of credentials later
            extra["netrc"] = netrc_facts(netrc, self.credential_hosts)
        line = end_line(
            exit_code=self.exit_code,
            stats=self.stats,
            go_output=output,
            go_version=self.go_version,
            **extra,
        )
        data = (line + "\n").encode()
        fd = self._recording_fd
        try:
            if fd is None:
                if not os.path.exists(self.recording):
                    return
                fd = self._recording_fd = os.open(
                    self.recording, os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC
                )
            try:
                # The proxy's lock ended with it: held again here until goscope exits, so no
                # other run empties the file before this one has read it back.
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise OSError(errno.EBUSY, "another goscope run took the file") from None
            except OSError:
                pass  # a file system without locks: the proxy said so when it opened it
            write_all(fd, data, cut_back=True)
            self.end_written = True
        except OSError as exc:
            self.end_error = exc.strerror or str(exc)
            # Without its end line the recording reads incomplete; so must this run's verdict
            # (a full disk here gave a clean summary, exit 0).
            self.incomplete.append(
                f"the recording's end line could not be written ({self.end_error}): the file "
                "left behind is incomplete"
            )

    end_error: str | None = None  # why the end line could not be written
    credential_hosts: set[str] = set()  # the proxy's: hosts sent or asking for credentials

    @property
    def stream_cut(self) -> bool:
        """The live stream broke off before the proxy ended it: a screen misses requests."""
        listener = self.listener
        return listener is not None and listener.cut

    @property
    def trouble(self) -> dict[str, int]:
        """What the proxy has counted so far that leaves the verdict incomplete."""
        listener = self.listener
        return listener.trouble if listener is not None else {}

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
        fd, self._recording_fd = self._recording_fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)
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


def _foreground_terminal() -> bool:
    """Whether goscope runs as the foreground job of a terminal (so shares its signals)."""
    try:
        fd = os.open("/dev/tty", os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        return os.tcgetpgrp(fd) == os.getpgrp()
    except OSError:
        return False
    finally:
        os.close(fd)


def _tee(stream: Any, on_line: Callable[[str], None]) -> None:
    """Copy the command's stderr to ours as it comes, and hand over its lines."""
    out = sys.stderr.buffer if hasattr(sys.stderr, "buffer") else None

    def echo(chunk: bytes) -> None:
        if out is not None:
            with contextlib.suppress(OSError, ValueError):
                out.write(chunk)
                out.flush()

    _read_lines(stream, on_line, echo)


def _read_lines(
    stream: Any,
    on_output: Callable[[str], None],
    echo: Callable[[bytes], None] | None = None,
) -> None:
    """Chunks, not lines: one huge output line must not stall the session."""
    pending = b""
    while chunk := stream.read1(OUTPUT_CHUNK):
        if echo is not None:
            echo(chunk)
        *lines, pending = (pending + chunk).split(b"\n")
        for line in lines:
            on_output(line.decode("utf-8", errors="replace"))
        if len(pending) > OUTPUT_CHUNK:
            on_output(pending.decode("utf-8", errors="replace"))
            pending = b""
    if pending:
        on_output(pending.decode("utf-8", errors="replace"))
