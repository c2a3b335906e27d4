"""Start and stop the proxy process from the app (no mitmproxy import here)."""

from __future__ import annotations

import contextlib
import json
import os
import select
import subprocess
import time
from typing import Any

from goscope.core.safe.redact import redact_free_text
from goscope.core.safe.visible import visible

from .config import DEFAULT_LISTEN_HOST, ProxyConfig
from .spawn import popen_proxy, take


class ProxyStartError(Exception):
    """The proxy did not start; the message is one line for the user."""


def port_taken(host: str, port: int) -> str | None:
    """Why the proxy could not listen on host:port, found out by listening there a moment
    first (as asyncio's server does, with SO_REUSEADDR): a port in use is said before the
    proxy process starts the recording a --jsonl names over the file that was there. None
    for port 0, or when nothing stands in the way (the proxy may still fail; it says why)."""
    if not port:
        return None
    import errno
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except OSError:
        return None  # a name that does not resolve: the proxy's own error names it
    for family, kind, proto, _, address in infos:
        with contextlib.suppress(OSError), socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(address)
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    return f"port {port} on {host} is already in use (choose another with --port, or --port 0)"
                return None
    return None


class ProxyProcess:
    """A running `python -m goscope.proxy.server`."""

    def __init__(self, config: ProxyConfig | None = None):
        self.config = config
        self.proc: subprocess.Popen[str] | None = None
        self.port: int | None = None
        self.host: str = config.listen_host if config is not None else DEFAULT_LISTEN_HOST
        self.stats: dict[str, Any] = {}

    def spawn(self) -> ProxyProcess:
        """Start the process before its config is known: it imports mitmproxy (most of its
        start-up) while the caller works out the config; `start()` then sends it."""
        if self.proc is None:
            self.proc = popen_proxy(quiet=self.config is None or bool(self.config.log))
        return self

    def start(self, timeout: float = 30.0, config: ProxyConfig | None = None) -> ProxyProcess:
        """Send the config (given here or to the constructor) and wait until the proxy
        listens; ProxyStartError with one line for the user when it cannot."""
        self.config = config or self.config
        assert self.config is not None, "a ProxyConfig is needed to start"
        self.host = self.config.listen_host
        busy = port_taken(self.host, self.config.port)
        if busy:  # said before the proxy opens the recording, which would start it anew
            self.kill()
            raise ProxyStartError(busy)
        try:
            self.spawn()
            assert self.proc is not None and self.proc.stdin is not None
            if self.config.parent_pid is None:
                self.config.parent_pid = os.getpid()
            # One line of config; stdin stays open: closing it is how the proxy is asked to
            # stop (any signal it gets is someone else's, and its stats say so).
            self.proc.stdin.write(self.config.to_json() + "\n")
            self.proc.stdin.flush()
            message = self._read_message(timeout)
        except BrokenPipeError:
            message = {"type": "error", "error": "the proxy process exited during start-up"}
        except BaseException:  # Ctrl-C while starting: no orphan proxy
            self.kill()
            raise
        if message is None:
            self.kill()
            raise ProxyStartError(f"the proxy did not start within {timeout:.0f}s")
        if message.get("type") != "ready":
            self.kill()
            raise ProxyStartError(message.get("error") or "the proxy did not start")
        self.port, self.host = int(message["port"]), message.get("host", self.host)
        return self

    def _read_message(self, timeout: float) -> dict[str, Any] | None:
        """The first JSON line on the proxy's stdout (raw reads: no hidden buffering)."""
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        pending = b""
        while time.monotonic() < deadline:
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                try:
                    return json.loads(line)
                except ValueError:
                    continue  # not ours (a library printing); keep reading
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    return {"type": "error", "error": "the proxy process exited during start-up"}
                pending += chunk
            elif self.proc.poll() is not None:
                return {
                    "type": "error",
                    "error": f"the proxy process exited ({self.proc.returncode})",
                }
        return None

    def stop(self, timeout: float = 10.0) -> dict[str, Any]:
        """Ask the proxy to finish (it flushes the recording), and collect its stats."""
        if self.proc is None:
            return self.stats
        stdin, self.proc.stdin = self.proc.stdin, None  # communicate() must not touch it
        if stdin is not None:
            with contextlib.suppress(OSError, ValueError):
                stdin.write("stop\n")  # the proxy's cue (an end of stdin alone: we died)
                stdin.close()
        try:
            out, _ = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            try:
                out, _ = self.proc.communicate(timeout=2)
            except subprocess.TimeoutExpired:
                self.kill()
                out = ""
        for line in (out or "").splitlines():
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if message.get("type") == "stats":
                self.stats = message
        return self.stats

    def kill(self) -> None:
        """End the process now (a spawned one never configured, too)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> ProxyProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Where it listens, to show: never with the secret."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


_early: ProxyProcess | None = None


def spawn_early() -> ProxyProcess:
    """Start a proxy process for the run engine to come: `goscope run` calls this before
    its own imports and checks, so that mitmproxy's import (most of the proxy's start-up)
    overlaps them. The caller kills it at the end: a no-op once a run has stopped it."""
    global _early
    if _early is None or _early.proc is None or _early.proc.poll() is not None:
        _early = ProxyProcess()
        _early.proc = take()  # the one goscope/__main__.py started, if it did
        _early.spawn()
    return _early


def take_spawned() -> ProxyProcess:
    """The process `spawn_early` started, once; else a newly spawned one."""
    global _early
    early, _early = _early, None
    if early is not None and early.proc is not None and early.proc.poll() is None:
        return early
    return ProxyProcess().spawn()


LOG_TAIL = 16384  # bytes of the proxy's log read for its last error


def last_logged_error(path: str | None) -> str | None:
    """The last ERROR the proxy logged (server.py setup_logging's format), redacted and
    made plain: why it ended, when it ended on its own. mitmproxy's flow file on a full
    disk ends the process, and goscope said only "exit status 1"."""
    if not path:
        return None
    try:
        with open(path, "rb") as fh:
            fh.seek(max(0, os.fstat(fh.fileno()).st_size - LOG_TAIL))
            tail = fh.read(LOG_TAIL).decode("utf-8", "replace")
    except OSError:
        return None
    # "date time name LEVEL message" (setup_logging's format): ERROR as the level, never
    # inside a message that quotes an upstream's words.
    fields = (line.split(" ", 4) for line in tail.splitlines())
    errors = [f[4].strip() for f in fields if len(f) == 5 and f[3] == "ERROR"]
    # The system's own words first ("[Errno 28] No space left on device"): what follows them
    # is asyncio's noise of a loop stopped mid-callback.
    said = next((m for m in reversed(errors) if "[Errno " in m), None) or next(
        (m for m in reversed(errors) if m), None
    )
    return visible(redact_free_text(said))[:300] if said else None
