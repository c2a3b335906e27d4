"""Where events go: the recording (every event), the live stream (bounded), the HAR (redacted).

One mitmproxy addon per output, each with its own options. `GoscopeAddon`
hands every event to its sinks: anything with `emit(event, line)`.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import json
import logging
import os
from collections.abc import Sequence
from typing import Any, Protocol

from mitmproxy import ctx, exceptions
from mitmproxy.addonmanager import Loader

from goscope.core.gorules.goenv import GoEnv
from goscope.core.outputs.export import OutputError, write_private
from goscope.core.safe.files import write_all
from goscope.core.safe.har import redact_har
from goscope.core.safe.jsontext import pretty_json
from goscope.core.safe.redact import redact_argv
from goscope.core.traffic.context import check_context
from goscope.core.traffic.events import Event
from goscope.core.traffic.recording import header_line

from .access import REALM
from .config import DEFAULT_QUEUE_SIZE

log = logging.getLogger("goscope")


_END_OF_STREAM = ""  # put by done(): send the last stats line, then close
_TROUBLE = "\0"  # put by emit_trouble(): send a stats line with the trouble counts


class EventSink(Protocol):
    def emit(self, event: Event, line: str) -> None: ...


class ListSink:
    """Keeps the events in memory (tests and benchmarks inject it)."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.senders: list[dict[str, Any]] = []
        self.foreign: list[dict[str, Any]] = []

    def emit(self, event: Event, line: str) -> None:
        self.events.append(event)

    def emit_sender(self, sender: dict[str, Any], line: str) -> None:
        self.senders.append(sender)

    def emit_foreign(self, foreign: dict[str, Any], line: str) -> None:
        self.foreign.append(foreign)


def environment_option(text: str) -> GoEnv:
    """`goscope_environment`: the Go environment as JSON; empty means this process's own."""
    if not text:
        return GoEnv.load(dict(os.environ))
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise exceptions.OptionsError(f"goscope_environment is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise exceptions.OptionsError("goscope_environment must be a JSON object")
    return GoEnv.from_dict(data)


class Recorder:
    """Option `goscope_jsonl`: every event, in order, in a 0600 JSON-lines file.

    The header carries the Go environment (`goscope_environment`, declared by
    GoscopeAddon), the command (`goscope_command`) and the judging context
    (`goscope_judging`). Each line goes out in one write, so the file only ever ends
    with whole lines: when a write fails (a full disk, a file-size limit), the file is
    cut back to its last whole line, nothing more is written, and every event from
    then on is counted as lost (`lost`, `error`): the verdict says it is incomplete.
    """

    def __init__(self) -> None:
        self.fd: int | None = None
        self.written = 0
        self.lost = 0  # events that could not be written
        self.error: str | None = None  # why the recording stopped
        self._good = 0  # bytes of whole lines in the file

    def load(self, loader: Loader) -> None:
        loader.add_option("goscope_jsonl", str, "", "Write goscope's recording here.")
        loader.add_option(
            "goscope_command", Sequence[str], [], "The command being watched (for the header)."
        )
        loader.add_option(
            "goscope_environment_source",
            str,
            "command",
            "Whose Go environment goscope_environment is: the command's, or goscope's own.",
        )
        loader.add_option(
            "goscope_judging",
            str,
            "",
            "The judging context for the header, as JSON: private, trusted, guard.",
        )
        loader.add_option(
            "goscope_context",
            str,
            "",
            "Where the run was made, for the header, as JSON: id, started, cwd, module, ci.",
        )

    def configure(self, updated: set[str]) -> None:
        if ctx.options.goscope_environment_source not in ("command", "goscope"):
            raise exceptions.OptionsError("goscope_environment_source is command or goscope")
        judging = judging_option(ctx.options.goscope_judging)
        context = json_object_option("goscope_context", ctx.options.goscope_context)
        if "goscope_jsonl" in updated:
            self.close()
            path = ctx.options.goscope_jsonl
            if path:
                env = environment_option(ctx.options.goscope_environment)
                command = redact_argv(ctx.options.goscope_command) or None
                header = {
                    "command": command,
                    "environment_source": ctx.options.goscope_environment_source,
                }
                if judging:
                    header["judging"] = judging
                if context:
                    header["context"] = check_context(context)
                try:
                    self.fd = open_recording(path)
                except OSError as exc:
                    raise exceptions.OptionsError(
                        f"cannot write the recording {path}: {exc.strerror or exc}"
                    ) from None
                try:
                    line = header_line(env.to_dict(), **header)
                except (TypeError, ValueError) as exc:  # never events without their header
                    raise exceptions.OptionsError(
                        f"cannot write the recording's header: {exc}"
                    ) from None
                self._write(line)
                if self.error is not None:
                    raise exceptions.OptionsError(
                        f"cannot write the recording {path}: {self.error}"
                    )

    def emit(self, event: Event, line: str) -> None:
        if self.fd is not None or self.error is not None:
            if self._write(line):
                self.written += 1
            else:
                self.lost += 1

    def emit_sender(self, sender: dict[str, Any], line: str) -> None:
        self._write(line)

    def emit_foreign(self, foreign: dict[str, Any], line: str) -> None:
        self._write(line)

    def emit_guard(self, state: dict[str, Any], line: str) -> None:
        self._write(line)

    def _write(self, line: str) -> bool:
        """One whole line, in one write; False (and the recording stopped) if it fails."""
        fd = self.fd
        if fd is None:
            return False
        data = (line + "\n").encode()
        try:
            write_all(fd, data)  # the disk's reason when it fails (ENOSPC, EFBIG)
        except OSError as exc:
            self.error = exc.strerror or str(exc)
            log.error("goscope: the recording stopped: %s", self.error)
            with contextlib.suppress(OSError):
                os.ftruncate(fd, self._good)  # no half line left at the end
            self.close()
            return False
        self._good += len(data)
        return True

    def done(self) -> None:
        self.close()

    def close(self) -> None:
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = None


def open_recording(path: str) -> int:
    """A new recording file: never through a symlink, no wider mode than 0600, ours alone.

    Emptied only once this run holds its lock (flock, for the life of the proxy): a second
    run given the same --jsonl emptied the first one's file in place, and the first was then
    judged on the second's traffic (same inode, counts that agreed: complete, 0 leaks)."""
    flags = os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC
    try:  # a new file is ours, whoever the file system says owns it (NFS root_squash, vfat)
        fd, made = os.open(path, flags | os.O_CREAT | os.O_EXCL, 0o600), True
    except FileExistsError:
        fd, made = os.open(path, flags), False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OSError(errno.EBUSY, "another goscope run is writing it") from None
        except OSError as exc:  # a file system without locks (NFS without lockd): said
            log.warning("goscope: %s takes no lock (%s): a second run given it would "
                        "write over this one", path, exc.strerror or exc)  # fmt: skip
        if not made and os.fstat(fd).st_uid != os.geteuid():
            # root in a shared directory: the file's owner could read and rewrite it
            raise OSError(errno.EPERM, "it belongs to another user")
        os.ftruncate(fd, 0)
        os.fchmod(fd, 0o600)
    except OSError:
        os.close(fd)
        raise
    return fd


def judging_option(text: str) -> dict[str, Any]:
    """`goscope_judging`: {"private": …, "trusted": […], "guard": …} as JSON, or empty."""
    return json_object_option("goscope_judging", text)


def json_object_option(name: str, text: str) -> dict[str, Any]:
    """An option holding a JSON object, or empty (OptionsError naming it when it is not)."""
    if not text:
        return {}
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise exceptions.OptionsError(f"{name} is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise exceptions.OptionsError(f"{name} must be a JSON object")
    return data


class LiveStream:
    """Options `goscope_events_socket` and `goscope_queue_size`: events to the app, bounded.

    The proxy never waits for the app: when the queue is full an event is
    dropped from the live stream (the recording has it) and counted, and a
    stats line tells the app how many.
    """

    def __init__(self) -> None:
        self.queue: asyncio.Queue[str] | None = None
        self.dropped = 0
        self.trouble: dict[str, int] = {}  # what leaves the verdict incomplete, so far
        self.nudged = False  # a wake-up for the writer is in the queue
        self.unconfirmed = 0  # lines written since the socket last took everything
        self.task: asyncio.Task[None] | None = None

    def load(self, loader: Loader) -> None:
        loader.add_option("goscope_events_socket", str, "", "Stream events to this Unix socket.")
        loader.add_option(
            "goscope_queue_size", int, DEFAULT_QUEUE_SIZE, "Events the live stream may hold."
        )

    def configure(self, updated: set[str]) -> None:
        if "goscope_queue_size" in updated and ctx.options.goscope_queue_size < 1:
            raise exceptions.OptionsError("goscope_queue_size must be at least 1")

    def running(self) -> None:
        path = ctx.options.goscope_events_socket
        if path and self.task is None:
            self.queue = asyncio.Queue(ctx.options.goscope_queue_size)
            self.task = asyncio.get_running_loop().create_task(stream_events(path, self))

    def emit(self, event: Event, line: str) -> None:
        self._put(line)

    def emit_sender(self, sender: dict[str, Any], line: str) -> None:
        self._put(line)  # the same stream, in order with the events it sent

    def emit_foreign(self, foreign: dict[str, Any], line: str) -> None:
        self._put(line)

    def emit_guard(self, state: dict[str, Any], line: str) -> None:
        self._put(line)

    def emit_trouble(self, counts: dict[str, int]) -> None:
        """The proxy's trouble counts (gaps.py TROUBLE), for the next stats line: the TUI
        says INCOMPLETE as it happens. A nudge wakes the writer; a full queue will anyway."""
        self.trouble = dict(counts)
        if self.queue is not None and not self.nudged and not self.queue.full():
            self.nudged = True  # one at a time: it never takes an event's place
            self.queue.put_nowait(_TROUBLE)

    def _put(self, line: str) -> None:
        if self.queue is None:
            return
        if self.task is not None and self.task.done():
            self.dropped += 1  # the stream has ended (shutdown): counted, never silently lost
            return
        try:
            self.queue.put_nowait(line)
        except asyncio.QueueFull:
            self.dropped += 1

    async def done(self) -> None:
        if self.task is None or self.queue is None:
            return
        for _ in range(200):  # a moment to drain (the app may be slow), then stop
            if self.queue.empty() or self.task.done():
                break
            await asyncio.sleep(0.01)
        # What could not be streamed in time is counted, like any other drop, and a last
        # stats line says so: every event is either shown live or counted as not shown.
        while not self.queue.empty():
            if self.queue.get_nowait() is not _TROUBLE:  # a wake-up is no event
                self.dropped += 1
        self.queue.put_nowait(_END_OF_STREAM)
        try:
            await asyncio.wait_for(self.task, 10.0)
        except (TimeoutError, asyncio.CancelledError, Exception):
            self.task.cancel()
            # Lines handed to the socket but not yet taken by the app are lost with it:
            # counted, so that shown + not shown is every event.
            self.dropped += self.unconfirmed
            self.unconfirmed = 0


async def stream_events(path: str, live: LiveStream) -> None:
    """Drain the live queue into the app's socket; never slows the proxy down."""
    assert live.queue is not None
    try:
        _, writer = await asyncio.open_unix_connection(path)
    except OSError as exc:
        log.warning("goscope: cannot stream events to %s: %s", path, exc)
        return
    # No buffering in the process: once drain() returns, every line is the app's to read,
    # whatever happens to goscope next.
    writer.transport.set_write_buffer_limits(0)
    reported = 0
    told: dict[str, int] = {}
    try:
        while True:
            line = await live.queue.get()
            if line is _TROUBLE:
                live.nudged = False
            elif line is not _END_OF_STREAM:
                writer.write(line.encode() + b"\n")
                live.unconfirmed += 1
            if live.dropped != reported or live.trouble != told or line is _END_OF_STREAM:
                reported, told = live.dropped, dict(live.trouble)
                stats: dict[str, Any] = {"type": "stats", "dropped_live": reported}
                if told:
                    stats["trouble"] = told
                if line is _END_OF_STREAM:
                    stats["end"] = True  # the stream ends here: anything short of it was cut
                writer.write(json.dumps(stats).encode() + b"\n")
            await writer.drain()
            live.unconfirmed = 0
            if line is _END_OF_STREAM:
                return
    except (ConnectionError, OSError):
        return
    finally:
        with contextlib.suppress(Exception):
            writer.close()


class HarRedactor:
    """Option `goscope_har`: where the redacted HAR goes.

    mitmproxy's savehar writes its HAR (`hardump`) into a private directory of
    goscope's; once it has (this addon comes after mitmproxy's own, so its `done`
    runs after savehar's), the HAR is redacted and written to `goscope_har` with a
    rename: the user's path never holds an unredacted byte, even if someone puts a
    symlink there during the run.
    """

    # Why the HAR asked for was not written: said in the proxy's final stats (server.py
    # Lifecycle, whose `done` runs after this one), so the run says it and exits 4. Only
    # logged before: a full disk gave no HAR, no word, a complete verdict and exit 0.
    error: str | None = None

    def load(self, loader: Loader) -> None:
        loader.add_option("goscope_har", str, "", "Write mitmproxy's HAR here, redacted.")

    def done(self) -> None:
        raw, final = getattr(ctx.options, "hardump", ""), ctx.options.goscope_har
        if raw and final and raw != "-":
            self.error = redact_har_file(raw, final)


def without_refused(har: Any) -> Any:
    """The HAR without the clients goscope refused for lacking the run's secret (its own 407,
    access.py): never the run's traffic, as in every other output (mitmproxy's savehar
    writes every flow it saw)."""
    log_ = har.get("log") if isinstance(har, dict) else None
    if isinstance(log_, dict) and isinstance(log_.get("entries"), list):
        log_["entries"] = [e for e in log_["entries"] if not _refused_entry(e)]
    return har


def _refused_entry(entry: Any) -> bool:
    response = entry.get("response") if isinstance(entry, dict) else None
    if not isinstance(response, dict) or response.get("status") != 407:
        return False
    headers = response.get("headers")
    return isinstance(headers, list) and any(
        isinstance(h, dict)
        and str(h.get("name", "")).lower() == "proxy-authenticate"
        and f'realm="{REALM}"' in str(h.get("value", ""))
        for h in headers
    )


def redact_har_file(raw: str, final: str) -> str | None:
    """Redact the HAR at `raw` into `final`; the unredacted one is removed either way.
    Returns why `final` was not written (None: it was)."""
    try:
        with open(raw, encoding="utf-8") as fh:
            har = json.load(fh)
        write_private(final, pretty_json(redact_har(without_refused(har))))
        return None
    except FileNotFoundError:
        # savehar wrote nothing: its own write failed (a full disk), which it only logs.
        return "mitmproxy's HAR was never written (a full disk?)"
    except (OSError, ValueError, OutputError) as exc:
        log.error("goscope: cannot redact the HAR for %s (%s): none written", final, exc)
        return str(exc) if isinstance(exc, OutputError) else f"cannot read it back ({exc})"
    finally:
        with contextlib.suppress(OSError):
            os.unlink(raw)
            os.rmdir(os.path.dirname(raw))
