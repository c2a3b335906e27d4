"""A compact, columnar store of events: a million rows in a few hundred MB.

The request list shows a handful of fields per event; the full event (headers,
preview) stays in the recording and is read back on demand by its byte
offset. Strings that repeat (hosts, modules, versions) are interned to ids.
"""

from __future__ import annotations

import sys
from array import array
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..traffic.classify import ENDPOINTS, KINDS
from ..traffic.events import Event
from ..vocab import ABANDONED_FLAG, BLOCKED_FLAG

FLAG_AUTH_RETRY = 1
FLAG_ERROR = 2
FLAG_LEAK = 4
FLAG_INTERNAL = 8
FLAG_BAD_ESCAPE = 16
FLAG_BLOCKED = 32  # answered by goscope's guard: it never left
NO_STATUS = -1

_KIND_CODE = {k: i for i, k in enumerate(KINDS)}
_ENDPOINT_CODE = {e: i for i, e in enumerate(ENDPOINTS)}
METHODS = ("GET", "POST", "HEAD", "PUT", "CONNECT", "OTHER")
_METHOD_CODE = {m: i for i, m in enumerate(METHODS)}


class Interner:
    def __init__(self) -> None:
        self.ids: dict[str, int] = {"": 0}
        self.values: list[str] = [""]

    def __call__(self, value: str | None) -> int:
        value = value or ""
        found = self.ids.get(value)
        if found is None:
            value = sys.intern(value)  # the same object the chains keep
            found = self.ids[value] = len(self.values)
            self.values.append(value)
        return found


@dataclass(frozen=True, slots=True)
class Row:
    """One event as the request list shows it."""

    index: int
    seq: int
    started: float
    method: str
    url: str
    host: str
    kind: str
    endpoint: str
    module: str
    version: str
    status: int | None
    error: str | None
    duration_ms: float
    size: int
    flags: int
    sender: int | None = None

    @property
    def module_at(self) -> str:
        if not self.module:
            return ""
        return f"{self.module}@{self.version}" if self.version else self.module


_fromisoformat = datetime.fromisoformat


class EventStore:
    def __init__(self) -> None:
        self.seq = array("q")
        self.started = array("d")
        self.status = array("h")
        self.duration = array("f")
        self.size = array("q")
        self.offset = array("q")  # byte offset in the recording, -1 when unknown
        self.kind = bytearray()
        self.endpoint = bytearray()
        self.method = bytearray()
        self.flags = bytearray()
        self.host = array("I")
        self.module = array("I")
        self.version = array("I")
        self.sender = array("i")  # the sender's id, -1 when unknown
        self.url: list[str] = []
        self.errors: dict[int, str] = {}  # index -> error text (rare)
        self.hosts = Interner()
        self.modules = Interner()
        self.versions = Interner()
        # seq -> index only where seqs are not consecutive (they almost always are).
        self._irregular: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self.seq)

    def append(self, event: Event, offset: int = -1, leak: bool = False) -> int:
        index = len(self.seq)
        self.seq.append(event.seq)
        try:
            started = _fromisoformat(event.started).timestamp()
        except (TypeError, ValueError):
            started = 0.0
        self.started.append(started)
        status = event.status
        self.status.append(status if status is not None and 0 <= status < 32768 else NO_STATUS)
        self.duration.append(event.duration_ms or 0.0)
        self.size.append(event.response_bytes if event.response_bytes is not None else -1)
        self.offset.append(offset)
        self.kind.append(_KIND_CODE.get(event.kind, _KIND_CODE["other"]))
        self.endpoint.append(_ENDPOINT_CODE.get(event.endpoint, _ENDPOINT_CODE["other"]))
        self.method.append(_METHOD_CODE.get(event.method, _METHOD_CODE["OTHER"]))
        flags = 0
        if event.auth_retry:
            flags |= FLAG_AUTH_RETRY
        if event.error is not None or status is None or status >= 400:
            flags |= FLAG_ERROR
        if leak:
            flags |= FLAG_LEAK
        if event.flags:
            if "goscope-error" in event.flags:
                flags |= FLAG_INTERNAL
            if "bad-escape" in event.flags:
                flags |= FLAG_BAD_ESCAPE
            if BLOCKED_FLAG in event.flags:
                flags |= FLAG_BLOCKED
            if status is None and ABANDONED_FLAG in event.flags:
                flags &= ~FLAG_ERROR  # the client left before any answer: no server's error
        self.flags.append(flags)
        # The interners' common case inline (a known string): three calls per event saved.
        host, module, version = event.host, event.module, event.version
        found = self.hosts.ids.get(host) if host else 0
        self.host.append(found if found is not None else self.hosts(host))
        found = self.modules.ids.get(module) if module else 0
        self.module.append(found if found is not None else self.modules(module))
        found = self.versions.ids.get(version) if version else 0
        self.version.append(found if found is not None else self.versions(version))
        self.sender.append(event.sender if event.sender is not None else -1)
        self.url.append(event.url)  # shared with the chain's attempt: no extra copy
        if event.error:
            self.errors[index] = event.error
        if index and event.seq != self.seq[0] + index:
            self._irregular[event.seq] = index
        return index

    def index_of_seq(self, seq: int) -> int | None:
        if not self.seq:
            return None
        guess = seq - self.seq[0]
        if 0 <= guess < len(self.seq) and self.seq[guess] == seq:
            return guess
        return self._irregular.get(seq)

    def url_at(self, index: int) -> str:
        return self.url[index]

    def row(self, index: int) -> Row:
        status = self.status[index]
        return Row(
            index=index,
            seq=self.seq[index],
            started=self.started[index],
            method=METHODS[self.method[index]],
            url=self.url_at(index),
            host=self.hosts.values[self.host[index]],
            kind=KINDS[self.kind[index]],
            endpoint=ENDPOINTS[self.endpoint[index]],
            module=self.modules.values[self.module[index]],
            version=self.versions.values[self.version[index]],
            status=None if status == NO_STATUS else status,
            error=self.errors.get(index),
            duration_ms=self.duration[index],
            size=self.size[index],
            flags=self.flags[index],
            sender=None if self.sender[index] < 0 else self.sender[index],
        )


# The request list's sort orders (the `s` key, or a click on a column's name).
SORT_ORDERS = ("started", "finished", "status", "duration", "size", "host")


def sort_key(store: EventStore, by: str) -> Any:
    """A key function over store indices for one of SORT_ORDERS."""
    if by == "started":
        return store.started.__getitem__
    if by == "finished":
        started, duration = store.started, store.duration
        return lambda i: started[i] + duration[i] / 1000
    if by == "status":
        return store.status.__getitem__
    if by == "duration":
        return store.duration.__getitem__
    if by == "size":
        return store.size.__getitem__
    if by == "host":
        names, hosts = store.hosts.values, store.host
        return lambda i: names[hosts[i]]
    raise ValueError(f"unknown sort order {by!r}")


def sorted_indices(
    store: EventStore, base: list[int] | None, by: str, reverse: bool = False
) -> list[int]:
    """Store indices (all, or a filter's) in this order; ties keep arrival order."""
    rows = range(len(store)) if base is None else base
    return sorted(rows, key=sort_key(store, by), reverse=reverse)
