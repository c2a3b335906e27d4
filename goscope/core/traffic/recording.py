"""Recordings: the one reader (and writer) of goscope's JSON-lines files.

A recording is a header line, one line per event in the order the proxy
finished them, and an end line with the command's exit status. Every reader
(`report`, `open`, export, the TUI loader) goes through `RecordingReader`:
it streams, checks each line's shape and field types against the schema in
events.py, and turns anything it cannot read into one `RecordingError`
naming the line. Files that are not regular files (a FIFO, /dev/zero),
over-long lines and JSON nested too deep are refused, not waited on.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import IO, Any

import orjson

from ..safe.jsontext import json_safe
from ..safe.redact import redact_argv, redact_free_text, redact_host, redact_value
from .events import SCHEMA_VERSION, Event, decode_event
from .gaps import missing_from
from .seqcheck import SeqCheck

RECORDING_FORMAT = "goscope-recording"
LINE_LIMIT = 4 * 2**20  # bytes in one line; an event line is a few KiB


class RecordingError(ValueError):
    """A recording that cannot be read; `line` is 1-based (0: the file itself)."""

    def __init__(self, path: str, line: int, reason: str):
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {reason}")
        self.path, self.line, self.reason = path, line, reason


def command_environment(header: Mapping[str, Any]) -> dict[str, Any] | None:
    """The header's Go environment when it is the command's (goscope ran one); None when
    it is goscope's own (it waited for go in another terminal): never go's to judge by."""
    if header.get("environment_source", "command") != "command":
        return None
    environment = header.get("environment")
    return environment if isinstance(environment, dict) else {}


def header_line(environment: Mapping[str, Any] | None = None, **extra: Any) -> str:
    header: dict[str, Any] = {"format": RECORDING_FORMAT, "schema_version": SCHEMA_VERSION}
    header["environment"] = dict(environment or {})
    header.update(extra)
    return _dumps(header)


def end_line(**extra: Any) -> str:
    return _dumps({"format": RECORDING_FORMAT, "end": True, **extra})


def _dumps(record: dict[str, Any]) -> str:
    """A recording's own line. A command line, directory or Go variable holding a byte that
    is not UTF-8 (a lone surrogate) is written with U+FFFD there (safe/jsontext.py): refused,
    the header was lost and with it every request of the run."""
    try:
        return orjson.dumps(record).decode()
    except TypeError:
        return orjson.dumps(json_safe(record)).decode()


def sender_line(sender: Mapping[str, Any]) -> str:
    """The process behind some events, written once, before the first of them."""
    return _dumps({"format": RECORDING_FORMAT, "sender": dict(sender)})


def foreign_line(foreign: Mapping[str, Any]) -> str:
    """A client the proxy refused (it lacked the run's secret): said, never judged."""
    return _dumps({"format": RECORDING_FORMAT, "foreign": dict(foreign)})


def guard_line(state: Mapping[str, Any]) -> str:
    """The guard turned on or off (`{"on": bool, "at": ISO time}`)."""
    return _dumps({"format": RECORDING_FORMAT, "guard": dict(state)})


def check_guard(obj: Any) -> dict[str, Any]:
    state = obj.get("guard")
    if type(state) is not dict or type(state.get("on")) is not bool:
        raise ValueError("guard must be an object with on: true or false")
    if type(state.get("at", "")) is not str:
        raise ValueError("a guard change's time must be a string")
    return state


def check_foreign(obj: Any) -> dict[str, Any]:
    foreign = obj.get("foreign")
    if type(foreign) is not dict:
        raise ValueError("foreign must be an object")
    attempts = foreign.get("attempts", [])
    if type(attempts) is not list or not all(
        type(a) is dict and all(type(v) in (str, bool) for v in a.values()) for a in attempts
    ):
        raise ValueError("a foreign client's attempts must be objects of strings")
    for key in ("client", "connected"):
        if type(foreign.get(key, "")) is not str:
            raise ValueError(f"a foreign client's {key} must be a string")
    if foreign.get("sender") is not None and type(foreign["sender"]) is not int:
        raise ValueError("a foreign client's sender must be a sender id")
    process = foreign.get("process")
    if process is not None and (
        type(process) is not dict
        or type(process.get("pid")) is not int
        or type(process.get("program", "")) is not str
        or type(process.get("command", [])) is not list
        or not all(type(a) is str for a in process.get("command", []))
    ):
        raise ValueError("a foreign client's process must be {pid, program, command}")
    return foreign


def check_sender(obj: Any) -> dict[str, Any]:
    sender = obj.get("sender")
    if type(sender) is not dict or type(sender.get("id")) is not int:
        raise ValueError("sender must be an object with a numeric id")
    command = sender.get("command", [])
    if type(command) is not list or not all(type(a) is str for a in command):
        raise ValueError("a sender's command must be a list of strings")
    environment = sender.get("environment")
    if environment is not None and (
        type(environment) is not dict
        or not all(
            type(v) is dict and all(type(x) is str for x in v.values())
            for v in environment.values()
        )
    ):
        raise ValueError("a sender's environment must map variables to {value, origin} strings")
    for key in ("program", "cwd", "note", "partial"):
        if sender.get(key) is not None and type(sender[key]) is not str:
            raise ValueError(f"a sender's {key} must be a string")
    # Redacted again, as events are: an older or crafted recording's sender line is read
    # into the report, its JSON and the TUI (a token in an argument or a directory name).
    sender = dict(sender, command=redact_argv(command))
    for key in ("program", "cwd", "note", "partial"):
        if sender.get(key):
            sender[key] = redact_free_text(sender[key])
    if environment:
        sender["environment"] = _redacted_environment(environment)
    variables = sender.get("variables")
    if type(variables) is dict:
        sender["variables"] = {
            k: redact_value(v) if type(v) is str else v for k, v in variables.items()
        }
    return sender


def _redacted_environment(environment: dict[str, Any]) -> dict[str, Any]:
    """Go variables as read from a recording, each value redacted again (a GOPROXY with a
    password in a crafted or older file reached the report's JSON as it was)."""
    out: dict[str, Any] = {}
    for name, entry in environment.items():
        if type(entry) is str:
            out[name] = redact_value(entry)
        elif type(entry) is dict and type(entry.get("value")) is str:
            out[name] = dict(entry, value=redact_value(entry["value"]))
        else:
            out[name] = entry
    return out


def partial_reason(sender: Mapping[str, Any]) -> str:
    """Why a sender whose environment goscope knows only in part leaves the verdict
    incomplete (its go env -w file was not read: a pattern there is unknown)."""
    who = " ".join(sender.get("command") or []) or sender.get("program") or "?"
    return (
        f"the Go environment of {who} (pid {sender.get('pid')}) is known only in part "
        f"({sender.get('partial')}): it was judged by its own variables, and a pattern in that "
        "file is unknown"
    )


def is_end_line(obj: Any) -> bool:
    return type(obj) is dict and obj.get("format") == RECORDING_FORMAT and obj.get("end") is True


def check_header(obj: Any) -> dict[str, Any]:
    """The header's shape (ValueError with the reason)."""
    if type(obj) is not dict or obj.get("format") != RECORDING_FORMAT:
        raise ValueError("not a goscope recording (no header line)")
    version = obj.get("schema_version")
    if version != SCHEMA_VERSION or type(version) is not int:
        raise ValueError(f"schema_version {version!r} is not supported (expected {SCHEMA_VERSION})")
    environment = obj.get("environment", {})
    if type(environment) is not dict or not all(
        type(v) is str or (type(v) is dict and all(type(x) is str for x in v.values()))
        for v in environment.values()
    ):
        raise ValueError("environment must map variables to {value, origin} strings")
    command = obj.get("command")
    if command is not None and (
        type(command) is not list or not all(type(a) is str for a in command)
    ):
        raise ValueError("command must be a list of strings")
    # Redacted again as it is read, as events are: what a crafted or older header holds
    # reaches the summary, every artifact and the TUI.
    obj = dict(obj, environment=_redacted_environment(environment))
    if command is not None:
        obj["command"] = redact_argv(command)
    judging = obj.get("judging")
    if type(judging) is dict:
        judging = dict(judging)
        if type(judging.get("private")) is str:
            judging["private"] = redact_free_text(judging["private"])
        if type(judging.get("trusted")) is list:
            judging["trusted"] = [
                redact_free_text(t) if type(t) is str else t for t in judging["trusted"]
            ]
        obj["judging"] = judging
    return obj


def check_end(obj: dict[str, Any]) -> dict[str, Any]:
    code = obj.get("exit_code")
    if code is not None and type(code) is not int:
        raise ValueError("exit_code must be a number or null")
    stats = obj.get("stats", {})
    if type(stats) is not dict or not all(type(v) in (int, str) for v in stats.values()):
        raise ValueError("stats must map names to numbers")
    incomplete = obj.get("incomplete")
    if incomplete is not None and (
        type(incomplete) is not list or not all(type(r) is str for r in incomplete)
    ):
        raise ValueError("incomplete must be a list of reasons")
    version = obj.get("go_version")
    if version is not None and type(version) is not str:
        raise ValueError("go_version must be a string or null")
    output = obj.get("go_output", [])
    if type(output) is not list or not all(type(line) is str for line in output):
        raise ValueError("go_output must be a list of strings")
    # Redacted again as read (the end line's reasons and go's words reach every artifact).
    obj = dict(obj, go_output=[redact_value(line) for line in output])
    if incomplete:
        obj["incomplete"] = [redact_free_text(r) for r in incomplete]
    if version:
        obj["go_version"] = redact_free_text(version)
    netrc = obj.get("netrc")
    if netrc is not None:  # machines only (gorules/netrc.py netrc_facts), never a secret
        if type(netrc) is not list or not all(
            type(e) is dict
            and type(e.get("machine")) is str
            and type(e.get("login")) is bool
            and type(e.get("password")) is bool
            for e in netrc
        ):
            raise ValueError("netrc must be a list of {machine, login, password} entries")
        obj["netrc"] = [
            {"machine": redact_host(e["machine"]), "login": e["login"], "password": e["password"]}
            for e in netrc
        ]
    return obj


class RecordingReader:
    """Stream a recording: the header when opened, then `(event, byte offset)` pairs.

    with RecordingReader(path) as reader:
        env = reader.header["environment"]
        for event, offset in reader: ...
        reader.end      # the end line, once read (None if the run was cut short)
        reader.skipped  # with skip_bad: the bad lines skipped (RecordingError each)
    """

    def __init__(
        self,
        source: str | IO[bytes],
        skip_bad: bool = False,
        name: str | None = None,
        on_sender: Callable[[dict[str, Any]], None] | None = None,
    ):
        self.source = source
        self.on_sender = on_sender  # called as each sender line is read, before its events
        self.path = name or (source if isinstance(source, str) else "<recording>")
        self.skip_bad = skip_bad
        self.header: dict[str, Any] = {}
        self.end: dict[str, Any] | None = None
        self.senders: dict[int, dict[str, Any]] = {}  # by id, as the sender lines give them
        self.skipped: list[RecordingError] = []
        self.events_read = 0
        self.seqs = SeqCheck()
        self.cut: int | None = None  # the line the file ends in the middle of, if it does
        self.foreign: list[dict[str, Any]] = []  # clients refused: not the run's, not judged
        self.guard_changes: list[dict[str, Any]] = []  # the guard turned on or off
        # What goscope never writes: a second end line, lines after the end line (two runs
        # in one file, or a file pieced together). The verdict cannot be whole.
        self.disorder: list[str] = []
        self._disorder_kinds: set[str] = set()
        self._fh: IO[bytes] | None = None
        self._line = 0
        self._offset = 0

    # -- opening -------------------------------------------------------------
    def __enter__(self) -> RecordingReader:
        self._fh = self._open() if isinstance(self.source, str) else self.source
        try:
            self._read_header()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._fh is not None and isinstance(self.source, str):
            self._fh.close()
        self._fh = None

    def _open(self) -> IO[bytes]:
        path = self.path
        try:
            # O_NONBLOCK: opening a FIFO must not wait for a writer; regular files ignore it.
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        except OSError as exc:
            raise RecordingError(path, 0, exc.strerror or str(exc)) from None
        try:
            mode = os.fstat(fd).st_mode
            if not stat.S_ISREG(mode):
                raise RecordingError(path, 0, "not a regular file")
            os.set_blocking(fd, True)
        except BaseException:
            os.close(fd)
            raise
        return os.fdopen(fd, "rb")

    def _read_header(self) -> None:
        for number, raw, _ in self._lines():
            if raw.strip() in (b"{", b"["):  # a report's pretty JSON, "invalid JSON" said
                raise RecordingError(
                    self.path, number, "a JSON document, not a recording (JSON lines: --jsonl)"
                )
            try:
                self.header = check_header(_parse(raw))
            except ValueError as exc:
                raise RecordingError(self.path, number, str(exc)) from None
            return
        raise RecordingError(self.path, 1, "empty file: not a goscope recording")

    # -- lines ---------------------------------------------------------------
    def _lines(self) -> Iterator[tuple[int, bytes, int]]:
        """(line number, bytes, offset) of each non-blank line, each at most LINE_LIMIT."""
        fh = self._fh
        assert fh is not None, "use RecordingReader in a with statement"
        try:
            while True:
                start = self._offset
                raw = fh.readline(LINE_LIMIT + 1)
                if not raw:
                    return
                self._line += 1
                self._offset += len(raw)
                if len(raw) > LINE_LIMIT and not raw.endswith(b"\n"):
                    self._skip_rest_of_line(fh)
                    why = f"line longer than {LINE_LIMIT // 2**20} MiB"
                    if not self.header:  # no header yet: not a recording, whatever skip_bad says
                        raise RecordingError(self.path, self._line, why)
                    self._bad(self._line, why)
                    continue
                if raw.strip():
                    yield self._line, raw, start
        except OSError as exc:
            raise RecordingError(self.path, self._line, exc.strerror or str(exc)) from None

    def _skip_rest_of_line(self, fh: IO[bytes]) -> None:
        while chunk := fh.readline(LINE_LIMIT):
            self._offset += len(chunk)
            if chunk.endswith(b"\n"):
                return

    def _bad(self, number: int, reason: str) -> None:
        error = RecordingError(self.path, number, reason)
        if not self.skip_bad:
            raise error
        self.skipped.append(error)

    def __iter__(self) -> Iterator[tuple[Event, int]]:
        seqs = self.seqs
        for number, raw, offset in self._lines():
            fast = decode_event(raw)  # nearly every line: decoded and checked in one C call
            if fast is not None:
                if self.end is not None:
                    self._after_end(number)
                if fast.sender is not None and fast.sender not in self.senders:
                    self._before_sender(number, fast.sender)
                self.events_read += 1
                seqs.add(fast)
                yield fast, offset
                continue
            try:
                obj = _parse(raw)
            except ValueError as exc:
                if not raw.endswith(b"\n"):
                    # The file ends in the middle of a line: the writer was stopped, or the
                    # file was cut. What came before stands; the verdict is incomplete.
                    self.cut = number
                    return
                self._bad(number, str(exc))
                continue
            try:
                if type(obj) is dict and obj.get("format") == RECORDING_FORMAT:
                    if self.end is not None:
                        self._after_end(number)
                    if is_end_line(obj):
                        # The first end line stands (a later one cannot unsay its reasons).
                        self.end = self.end or check_end(obj)
                    elif "sender" in obj:
                        sender = check_sender(obj)
                        known = self.senders.get(sender["id"])
                        if known is not None:  # goscope describes each sender once
                            if known != sender:
                                self._disorder(
                                    "sender-twice",
                                    f"line {number} describes sender {sender['id']} a second "
                                    "time, differently: which process sent what is unknown",
                                )
                            continue
                        self.senders[sender["id"]] = sender
                        if type(sender.get("partial")) is str:
                            self._disorder(f"partial-{sender['id']}", partial_reason(sender))
                        if self.on_sender is not None:
                            self.on_sender(sender)
                    elif "guard" in obj:
                        change = check_guard(obj)
                        self.guard_changes.append(change)
                        if self.on_sender is not None:
                            self.on_sender({"guard": change})
                    elif "foreign" in obj:
                        foreign = check_foreign(obj)
                        self.foreign.append(foreign)
                        if self.on_sender is not None:
                            self.on_sender({"foreign": foreign})
                    elif "schema_version" in obj or "environment" in obj:
                        # A second header: the file was reopened and another run written
                        # into it. Its requests would be judged by the first run's header.
                        self._disorder(
                            "second-header",
                            f"line {number} is a second header: another run was written into "
                            "this file, and its requests were judged by the first run's",
                        )
                    continue
                event = Event.from_dict(obj)
            except ValueError as exc:
                self._bad(number, f"not an event: {exc}")
                continue
            if self.end is not None:
                self._after_end(number)
            if event.sender is not None and event.sender not in self.senders:
                self._before_sender(number, event.sender)
            self.events_read += 1
            self.seqs.add(event)
            yield event, offset

    def _after_end(self, number: int) -> None:
        self._disorder(
            "after-end",
            f"line {number} comes after the recording's end line: goscope writes nothing "
            "after it, so this file is not one run as goscope recorded it",
        )

    def _before_sender(self, number: int, sender: int) -> None:
        self._disorder(
            "before-sender",
            f"line {number} is a request of sender {sender} before that sender's line: goscope "
            "describes a process before its first request, so this one was judged without it",
        )

    def _disorder(self, kind: str, reason: str) -> None:
        """What goscope never writes: said once per kind, at the first line that shows it."""
        if kind not in self._disorder_kinds:
            self._disorder_kinds.add(kind)
            self.disorder.append(reason)

    def incomplete(self) -> list[str]:
        """Why what was read is not the whole run (empty: it is). Call after reading."""
        return missing_from(
            self.end, self.events_read, len(self.skipped), self.cut, seqs=self.seqs
        ) + list(self.disorder)


def _parse(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        if not raw.endswith(b"\n"):
            raise ValueError("truncated line") from None
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError("not UTF-8 text") from None
        raise ValueError(f"invalid JSON ({exc})") from None


@dataclass
class Recording:
    header: dict[str, Any]
    events: list[Event]
    end: dict[str, Any] | None = None
    skipped: list[RecordingError] = field(default_factory=list)
    senders: dict[int, dict[str, Any]] = field(default_factory=dict)
    cut: int | None = None
    foreign: list[dict[str, Any]] = field(default_factory=list)
    guard_changes: list[dict[str, Any]] = field(default_factory=list)
    seqs: SeqCheck | None = None
    disorder: list[str] = field(default_factory=list)  # RecordingReader.disorder

    def incomplete(self, stats: Mapping[str, Any] | None = None) -> list[str]:
        return missing_from(
            self.end, len(self.events), len(self.skipped), self.cut, stats, self.seqs
        ) + list(self.disorder)


def read_recording(
    source: str | IO[bytes], skip_bad: bool = False, name: str | None = None
) -> Recording:
    """A whole recording in memory (reports, exports); RecordingError if it is bad."""
    with RecordingReader(source, skip_bad, name) as reader:
        events = [event for event, _ in reader]
    return Recording(
        reader.header,
        events,
        reader.end,
        reader.skipped,
        reader.senders,
        reader.cut,
        reader.foreign,
        reader.guard_changes,
        reader.seqs,
        reader.disorder,
    )


def read_event_at(path: str, offset: int) -> Event | None:
    """The event on the line starting at `offset` (the TUI reads details back this way)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            raw = fh.readline(LINE_LIMIT + 1)
            return decode_event(raw) or Event.from_dict(_parse(raw))
    except (OSError, ValueError):
        return None


def write_recording(
    fh: IO[str],
    events: Iterable[Event],
    environment: Mapping[str, Any] | None = None,
    exit_code: int | None = None,
) -> None:
    """A whole recording: the header, the events, and an end line that counts them."""
    fh.write(header_line(environment) + "\n")
    count = 0
    for event in events:
        fh.write(event.to_json() + "\n")
        count += 1
    fh.write(end_line(exit_code=exit_code, stats={"events": count}) + "\n")
