"""The event schema: one event per HTTP exchange, and its JSON-lines recording.

A recording is a JSON-lines file: a header line, one line per event in the
order the proxy finished them, and an optional end line. Readers check
`schema_version` and report the number of any bad line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import IO, Any

from .classify import Classification

try:  # orjson is a dependency; json keeps the core importable without it
    from orjson import dumps as _dumps
except ImportError:  # pragma: no cover

    def _dumps(obj: Any) -> bytes:
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


SCHEMA_VERSION = 1
RECORDING_FORMAT = "goscope-recording"


@dataclass(slots=True)
class Event:
    seq: int
    started: str  # ISO-8601, UTC
    method: str
    url: str  # as the client asked, credentials redacted
    host: str
    kind: str = "other"
    endpoint: str = "other"
    module: str | None = None
    version: str | None = None
    proxy: str | None = None
    client: str = "other"
    status: int | None = None  # what the client received (None: no response)
    error: str | None = None  # upstream failure text
    duration_ms: float | None = None
    response_bytes: int | None = None
    auth_retry: bool = False
    flags: list[str] = field(default_factory=list)
    sumdb: str | None = None
    request_headers: list[list[str]] = field(default_factory=list)
    response_headers: list[list[str]] = field(default_factory=list)
    preview: str | None = None  # start of a text response body (.info, .mod, list, lookup)
    repo: str | None = None  # for go-get: the go-import repository URL

    def apply(self, c: Classification) -> Event:
        self.kind, self.endpoint = c.kind, c.endpoint
        self.module, self.version, self.proxy = c.module, c.version, c.proxy
        self.client, self.sumdb = c.client, c.sumdb
        if c.bad_escape and "bad-escape" not in self.flags:
            self.flags.append("bad-escape")
        return self

    @property
    def failed(self) -> bool:
        return self.error is not None or self.status is None or self.status >= 400

    def to_dict(self) -> dict[str, Any]:
        # Shallow on purpose: dataclasses.asdict deep-copies and costs 50 µs an event.
        return {name: getattr(self, name) for name in _FIELD_ORDER}

    def to_json(self) -> str:
        return _dumps(self.to_dict()).decode()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Event:
        if tuple(data) == _FIELD_ORDER:  # exactly what goscope writes: the fast path
            return cls(*data.values())
        if data.keys() == _FIELD_NAMES:
            return cls(**data)
        known = _FIELD_NAMES
        missing = {"seq", "started", "method", "url", "host"} - data.keys()
        if missing:
            raise ValueError(f"event lacks {', '.join(sorted(missing))}")
        return cls(**{k: v for k, v in data.items() if k in known})


_FIELD_ORDER = tuple(f.name for f in fields(Event))
_FIELD_NAMES = frozenset(_FIELD_ORDER)


class RecordingError(ValueError):
    """A recording line that cannot be read; `line` is 1-based."""

    def __init__(self, path: str, line: int, reason: str):
        super().__init__(f"{path}:{line}: {reason}")
        self.path, self.line, self.reason = path, line, reason


def header_line(environment: Mapping[str, Any] | None = None, **extra: Any) -> str:
    header = {"format": RECORDING_FORMAT, "schema_version": SCHEMA_VERSION}
    header["environment"] = dict(environment or {})
    header.update(extra)
    return json.dumps(header, separators=(",", ":"))


def end_line(**extra: Any) -> str:
    return json.dumps({"format": RECORDING_FORMAT, "end": True, **extra}, separators=(",", ":"))


@dataclass
class Recording:
    header: dict[str, Any]
    events: list[Event]
    end: dict[str, Any] | None = None
    skipped: list[RecordingError] = field(default_factory=list)


def read_recording(path: str, skip_bad: bool = False) -> Recording:
    """Read a recording; a bad line raises RecordingError unless skip_bad."""
    try:
        with open(path, "rb") as fh:
            return parse_recording(fh, path, skip_bad)
    except OSError as exc:
        raise RecordingError(path, 0, exc.strerror or str(exc)) from None


def parse_recording(fh: IO[bytes], path: str = "<recording>", skip_bad: bool = False) -> Recording:
    header: dict[str, Any] | None = None
    events: list[Event] = []
    end = None
    skipped: list[RecordingError] = []
    for number, obj in _json_lines(fh, path, skipped if skip_bad else None):
        if header is None:
            header = _check_header(obj, path, number)
            continue
        if obj.get("format") == RECORDING_FORMAT and obj.get("end"):
            end = obj
            continue
        try:
            events.append(Event.from_dict(obj))
        except (TypeError, ValueError) as exc:
            error = RecordingError(path, number, f"not an event: {exc}")
            if not skip_bad:
                raise error from None
            skipped.append(error)
    if header is None:
        raise RecordingError(path, 1, "empty file: not a goscope recording")
    return Recording(header, events, end, skipped)


def _json_lines(
    fh: IO[bytes], path: str, skipped: list[RecordingError] | None
) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, raw in enumerate(fh, start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw.decode("utf-8"))
            if not isinstance(obj, dict):
                raise ValueError("not a JSON object")
        except UnicodeDecodeError:
            error = RecordingError(path, number, "not UTF-8 text")
        except ValueError as exc:
            truncated = not raw.endswith(b"\n")
            why = "truncated line" if truncated else f"invalid JSON ({exc})"
            error = RecordingError(path, number, why)
        else:
            yield number, obj
            continue
        if skipped is None or number == 1:
            raise error
        skipped.append(error)


def _check_header(obj: dict[str, Any], path: str, number: int) -> dict[str, Any]:
    if obj.get("format") != RECORDING_FORMAT:
        raise RecordingError(path, number, "not a goscope recording (no header line)")
    version = obj.get("schema_version")
    if version != SCHEMA_VERSION:
        raise RecordingError(
            path, number, f"schema_version {version!r} is not supported (expected {SCHEMA_VERSION})"
        )
    return obj


def write_recording(
    fh: IO[str], events: Iterable[Event], environment: Mapping[str, Any] | None = None
) -> None:
    fh.write(header_line(environment) + "\n")
    for event in events:
        fh.write(event.to_json() + "\n")
