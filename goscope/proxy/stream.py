"""The app's end of the live event stream: a Unix socket only the user can reach.

A plain thread reads it, so the run engine needs no event loop and any UI
(Textual, or none) can take the events: `on_event` is called on that thread
and must only hand the event over (append to a deque, say).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from goscope.core.traffic.events import Event
from goscope.core.traffic.gaps import TROUBLE
from goscope.core.traffic.recording import check_foreign, check_guard, check_sender

LINE_LIMIT = 16 * 2**20  # one event line; a longer one is skipped, not fatal


def private_socket_path(home: Path) -> Path:
    """A fresh 0700 directory under home/run holding the socket path."""
    run = home / "run"
    run.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(run, 0o700)
    directory = Path(tempfile.mkdtemp(prefix="sock-", dir=run))  # mkdtemp makes it 0700
    return directory / "events.sock"


class EventListener:
    """Accepts the proxy's connection and hands each event to `on_event`."""

    def __init__(
        self,
        path: Path,
        on_event: Callable[[Event], None],
        on_sender: Callable[[dict[str, Any]], None] | None = None,
    ):
        self.path = path
        self.on_event = on_event
        self.on_sender = on_sender
        self.bad_lines = 0  # lines that were not events (shown by the UI)
        self.dropped_live = 0  # events the proxy could not stream (they are recorded)
        self.ended = False  # the proxy said the stream ends (its last stats line)
        self.trouble: dict[str, int] = {}  # the proxy's counts that leave the verdict incomplete
        self.cut = False  # the stream broke off before that: the screen misses requests
        self._server: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._closing = False

    def start(self) -> EventListener:
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)  # the socket file is created 0600
        try:
            server.bind(str(self.path))
        finally:
            os.umask(old)
        os.chmod(self.path, 0o600)
        server.listen(4)
        self._server = server
        self._spawn(self._accept_loop)
        return self

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True, name="goscope-events")
        thread.start()
        self._threads.append(thread)

    def _accept_loop(self) -> None:
        server = self._server  # close() may clear the attribute meanwhile
        assert server is not None
        while not self._closing:
            try:
                conn, _ = server.accept()
            except OSError:
                return  # closed
            self._spawn(self._read, conn)

    def _read(self, conn: socket.socket) -> None:
        try:
            self._read_lines(conn)
        except OSError:
            pass
        if not self.ended and not self._closing:
            self.cut = True  # broken off (reset, the proxy gone) before its end

    def _read_lines(self, conn: socket.socket) -> None:
        with conn, conn.makefile("rb") as stream:
            while not self._closing:
                line = stream.readline(LINE_LIMIT + 1)
                if not line:
                    return
                if len(line) > LINE_LIMIT:
                    self.bad_lines += 1
                    while line and not line.endswith(b"\n"):
                        line = stream.readline(LINE_LIMIT)
                    continue
                self._handle(line)

    def _handle(self, line: bytes) -> None:
        try:
            if line.startswith(b'{"type":'):
                stats = json.loads(line)
                if stats.get("type") == "stats":
                    self.dropped_live = int(stats.get("dropped_live", 0))
                    trouble = stats.get("trouble")
                    if isinstance(trouble, dict):
                        self.trouble = {
                            k: v for k, v in trouble.items() if k in TROUBLE and type(v) is int
                        }
                    self.ended = self.ended or stats.get("end") is True
                    return
            if line.startswith(b'{"format":'):  # a sender line, or a client refused (foreign)
                obj = json.loads(line)
                for key, check in (("foreign", check_foreign), ("guard", check_guard)):
                    if key in obj:  # a client refused; the guard turned on or off
                        record = check(obj)
                        if self.on_sender is not None:
                            self.on_sender({key: record})
                        return
                sender = check_sender(obj)
                if self.on_sender is not None:
                    self.on_sender(sender)
                return
            self.on_event(_event(line))
        except (ValueError, TypeError, AttributeError):
            self.bad_lines += 1

    def close(self, timeout: float = 2.0) -> None:
        """Stop accepting, let the readers finish what the proxy sent (it has stopped, so
        they reach the end of the stream), and remove the socket."""
        server, self._server = self._server, None
        if server is not None:
            with contextlib.suppress(OSError):
                server.shutdown(socket.SHUT_RDWR)
            server.close()
        for thread in self._threads:
            thread.join(timeout)
        self._closing = True
        with contextlib.suppress(OSError):
            self.path.unlink()
            self.path.parent.rmdir()


def _event(line: bytes) -> Event:
    from goscope.core.traffic.events import event_from_json

    return event_from_json(line)
