"""The TUI ends with its terminal: within a second, leaving no process behind.

A closed terminal (SIGHUP, or a tty that hung up without one) leaves nothing to
draw on, and Textual's own shutdown would write to it (its writer thread can block
there for good). So on a hang-up goscope does only what matters: it stops the
command and the proxy (the recording gets its end line), removes the run
directory, and exits at once. A SIGTERM first asks the app to quit as `q` does;
if that has not finished within a second, the same hard exit follows.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import signal
import sys
import termios
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from goscope.run.engine import RunEngine

BUDGET = 0.8  # seconds for the engine to stop before goscope exits anyway
WATCH_EVERY = 0.25


class HangupGuard:
    def __init__(self, engine: RunEngine | None, quit_app: Callable[[], object]) -> None:
        self.engine = engine
        self.quit_app = quit_app
        self.signals: list[int] = []
        self._done = threading.Event()

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        for sig, handler in ((signal.SIGHUP, self.hang_up), (signal.SIGTERM, self.terminate)):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, handler)
                self.signals.append(sig)
        fd = _terminal_fd()
        if fd is not None:
            threading.Thread(
                target=self._watch, args=(fd,), daemon=True, name="goscope-tty"
            ).start()

    def uninstall(self, loop: asyncio.AbstractEventLoop) -> None:
        self._done.set()
        for sig in self.signals:
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(sig)
        self.signals.clear()

    def terminate(self) -> None:
        """SIGTERM: quit as `q` does; exit hard if that takes more than a second."""
        self.quit_app()
        timer = threading.Timer(1.0, self._hard_exit, args=(128 + signal.SIGTERM,))
        timer.daemon = True
        timer.start()

    def hang_up(self) -> None:
        threading.Thread(target=self._hard_exit, args=(128 + signal.SIGHUP,), daemon=True).start()

    def _watch(self, fd: int) -> None:
        """A terminal can hang up without a SIGHUP reaching goscope (it is not goscope's
        controlling terminal, or the signal went to another process): every call on a
        hung-up terminal then fails with EIO (Linux: hung_up_tty_fops)."""
        while not self._done.wait(WATCH_EVERY):
            try:
                termios.tcgetattr(fd)
            except termios.error as exc:
                if exc.args and exc.args[0] in (errno.EIO, errno.ENXIO, errno.EBADF):
                    self._hard_exit(128 + signal.SIGHUP)
                return

    def _hard_exit(self, code: int) -> None:
        """Still here (the terminal is gone, or the quit did not finish): stop what runs,
        remove the run directory, and go; whatever else was under way is not waited for."""
        engine = self.engine
        if engine is not None:
            stopper = threading.Thread(target=_stop, args=(engine,), daemon=True)
            stopper.start()
            stopper.join(BUDGET)
            engine.cleanup()
        os._exit(code)


def _stop(engine: RunEngine) -> None:
    with contextlib.suppress(Exception):
        engine.stop(grace=0.3)


def _terminal_fd() -> int | None:
    for stream in (sys.__stdout__, sys.__stdin__):
        with contextlib.suppress(AttributeError, OSError, ValueError):
            if stream is not None and os.isatty(stream.fileno()):
                return stream.fileno()
    return None
