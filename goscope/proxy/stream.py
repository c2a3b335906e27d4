"""The app's end of the live event stream: a Unix socket only the user can reach."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from goscope.core.events import Event


def private_socket_path(home: Path) -> Path:
    """A fresh 0700 directory under home/run holding the socket path."""
    run = home / "run"
    run.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(run, 0o700)
    directory = Path(tempfile.mkdtemp(prefix="sock-", dir=run))  # mkdtemp makes it 0700
    return directory / "events.sock"


LINE_LIMIT = 16 * 2**20  # one event line; a longer one is skipped, not fatal


async def _readline(reader: asyncio.StreamReader) -> bytes:
    while True:
        try:
            return await reader.readuntil(b"\n")
        except asyncio.IncompleteReadError as exc:
            return exc.partial
        except asyncio.LimitOverrunError as exc:
            await reader.readexactly(exc.consumed)  # drop the oversized part, keep streaming
            while True:
                try:
                    await reader.readuntil(b"\n")
                    break
                except asyncio.LimitOverrunError as more:
                    await reader.readexactly(more.consumed)
            return b"{}\n"  # counted as a bad line


class EventListener:
    """Accepts the proxy's connection and hands each event to `on_event`."""

    def __init__(self, path: Path, on_event: Callable[[Event], None]):
        self.path = path
        self.on_event = on_event
        self.server: asyncio.AbstractServer | None = None
        self.bad_lines = 0
        self.dropped_live = 0  # events the proxy could not stream (they are recorded)

    async def start(self) -> EventListener:
        old = os.umask(0o177)  # the socket file is created 0600
        try:
            self.server = await asyncio.start_unix_server(
                self._handle, path=str(self.path), limit=LINE_LIMIT
            )
        finally:
            os.umask(old)
        os.chmod(self.path, 0o600)
        return self

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await _readline(reader):
                try:
                    obj = json.loads(line)
                    if obj.get("type") == "stats":
                        self.dropped_live = int(obj.get("dropped_live", 0))
                        continue
                    self.on_event(Event.from_dict(obj))
                except (ValueError, TypeError, AttributeError):
                    self.bad_lines += 1
        finally:
            writer.close()

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            with contextlib.suppress(Exception):
                await self.server.wait_closed()
        with contextlib.suppress(OSError):
            self.path.unlink()
            self.path.parent.rmdir()
