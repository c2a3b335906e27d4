"""The event schema: one event per HTTP exchange, its field types, and its JSON form.

`Event` is what the proxy writes and every reader reads back; `EVENT_SCHEMA`
lists each field's JSON types once, and `event_from_json` is the one place a
line from a recording or the live socket becomes an Event (validated).
The recording around the events (header and end lines) is in recording.py.

`Event` is a msgspec Struct so that a recorded line becomes an Event in one C call that
also checks every field's type (`decode_event`): 0.65× the time orjson takes to build the
same line's dict, where building a dict and checking it in Python took 2.5×. Anything the
fast path does not take (older lines, odd shapes, errors) goes through `from_dict`, the
one set of rules and messages; the fast path only ever accepts what `from_dict` accepts
(tests/test_event_decode.py holds the two to that on generated lines).
"""

from __future__ import annotations

from collections.abc import Mapping
from operator import attrgetter, itemgetter
from typing import Annotated, Any

import msgspec
import orjson

from ..safe.visible import UNSAFE, UNSAFE_MULTILINE, visible
from ..vocab import (
    ABANDONED_FLAG,
    BASE_GUESSED_FLAG,
    CLIENTS,
    ENDPOINTS,
    KINDS,
    Client,
    Endpoint,
    Kind,
)
from .classify import Classification

SCHEMA_VERSION = 1
PREVIEW_LIMIT = 65536  # characters of a body preview a reader accepts (the proxy keeps 4096)


# Within orjson's range for integers (int64; orjson also takes uint64, which the fast path
# leaves to from_dict): a number orjson refuses, the fast path refuses too.
_Int = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
_Preview = Annotated[str, msgspec.Meta(max_length=PREVIEW_LIMIT)]


# gc=False: an Event holds strings, numbers and lists of strings, never itself, so it can
# take no part in a reference cycle; untracked, a million of them cost the collector nothing.
# forbid_unknown_fields: msgspec would skip an unknown field's bytes unchecked (orjson
# refuses 1e999 or bad UTF-8 there), so such a line takes the general path instead.
class Event(msgspec.Struct, gc=False, forbid_unknown_fields=True):
    seq: _Int
    started: str  # ISO-8601, UTC
    method: str
    url: str  # as the client asked, credentials redacted
    host: str
    kind: Kind = "other"
    endpoint: Endpoint = "other"
    module: str | None = None
    version: str | None = None
    proxy: str | None = None
    client: Client = "other"
    status: _Int | None = None  # what the client received (None: no response)
    error: str | None = None  # upstream failure text
    duration_ms: _Int | float | None = None
    response_bytes: _Int | None = None
    auth_retry: bool = False
    flags: list[str] = []  # msgspec copies a mutable default per event
    sumdb: str | None = None
    request_headers: list[list[str]] = []
    response_headers: list[list[str]] = []
    preview: _Preview | None = None  # start of a text response body (.info, .mod, list, lookup)
    repo: str | None = None  # for go-get: the go-import repository URL
    sender: _Int | None = None  # the process that sent it (a sender line of the recording)
    redirected_from: _Int | None = None  # the seq whose 3xx answer sent go here (redirects.py)
    # Transport facts: HTTP on each side, the upstream's TLS version and certificate issuer,
    # and whether that chain ends at a public root (else: a TLS-inspecting proxy or a
    # private CA sits between go and the host; core/gorules/roots.py).
    client_http: str | None = None
    upstream_http: str | None = None
    upstream_tls: str | None = None
    upstream_issuer: str | None = None
    upstream_public_root: bool | None = None

    def apply(self, c: Classification) -> Event:
        self.kind, self.endpoint = c.kind, c.endpoint
        self.module, self.version, self.proxy = c.module, c.version, c.proxy
        self.client, self.sumdb = c.client, c.sumdb
        if c.bad_escape and "bad-escape" not in self.flags:
            self.flags.append("bad-escape")
        if c.base_guessed and BASE_GUESSED_FLAG not in self.flags:
            self.flags.append(BASE_GUESSED_FLAG)
        return self

    @property
    def failed(self) -> bool:
        """A failure or a 4xx/5xx answer; never a request its client left before the
        answer (go killed while it waited): that says nothing of the server."""
        if self.status is None and self.flags and ABANDONED_FLAG in self.flags:
            return False  # (a status the server sent before go left is its own answer)
        return self.error is not None or self.status is None or self.status >= 400

    def to_dict(self) -> dict[str, Any]:
        # Shallow on purpose: dataclasses.asdict deep-copies and costs 50 µs an event.
        return {name: getattr(self, name) for name in _FIELD_ORDER}

    def to_json(self) -> str:
        # msgspec writes the Struct's fields in their order, in C, without the dict: the
        # same line as orjson of to_dict (a property test; only a float of 1e16 or more is
        # spelled 1e16, not 1e+16), at a third of the cost, once per request in the proxy.
        # But msgspec writes any integer, and orjson, which reads every recording, refuses
        # one beyond 64 bits (a status code a hostile server made up): refused here too,
        # as orjson refused it (the addon then writes its fallback event).
        for value in (
            self.seq,
            self.status,
            self.duration_ms,
            self.response_bytes,
            self.sender,
            self.redirected_from,
        ):
            if type(value) is int and not -(2**63) <= value < 2**64:
                raise TypeError("Integer exceeds 64-bit range")
        return _encode(self).decode()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Event:
        """An Event from its JSON object, every field's type checked (ValueError)."""
        if type(data) is dict:
            if len(data) == _FIELDS:
                # Every field, once (a JSON object's keys are unique): its values in the
                # schema's order, taken in one C call whatever order the line had them in.
                try:
                    values = _IN_ORDER(data)
                except KeyError:
                    values = None  # an unknown field instead of a known one: the slow path
                if values is not None and _valid(*values):
                    return cls(*values)  # what goscope writes, well-formed
                return cls(**_checked(data))
            keys = tuple(data)
            if len(keys) > len(_REQUIRED) and keys == _FIELD_ORDER[: len(keys)]:
                # An older goscope's line: its fields in order, the newer ones missing.
                values = [*data.values(), *(_DEFAULTS[k]() for k in _FIELD_ORDER[len(keys) :])]
                if _valid(*values):
                    return cls(*values)
        return cls(**_checked(data))


def _checked(data: Any) -> dict[str, Any]:
    """The slow path: fills defaults for missing fields and says what is wrong."""
    if type(data) is not dict:
        raise ValueError("not a JSON object")
    missing = _REQUIRED - data.keys()
    if missing:
        raise ValueError(f"event lacks {', '.join(sorted(missing))}")
    data = {k: data[k] if k in data else _DEFAULTS[k]() for k in _FIELD_ORDER}
    for name, value in data.items():
        if type(value) not in EVENT_SCHEMA[name]:
            raise ValueError(f"{name} is {_json_type(value)}, not {_type_names(name)}")
    for name in _NESTED:
        if not _string_pairs(data[name]):
            raise ValueError(f"{name} must be a list of [name, value] strings")
    if data["kind"] not in _KINDS or data["endpoint"] not in _ENDPOINTS:
        raise ValueError(f"unknown kind or endpoint: {data['kind']!r}, {data['endpoint']!r}")
    if data["client"] not in _CLIENTS:
        raise ValueError(f"unknown client {data['client']!r}")
    if not all(type(f) is str for f in data["flags"]):
        raise ValueError("flags must be a list of strings")
    preview = data["preview"]
    if preview is not None and len(preview) > PREVIEW_LIMIT:
        raise ValueError(f"preview longer than {PREVIEW_LIMIT} characters")
    return data


# The JSON types of each field, in the order goscope writes them: the one schema
# that the proxy's writer follows and every reader checks.
_STR, _INT, _NUM, _BOOL, _LIST = (str,), (int,), (int, float), (bool,), (list,)
_NONE = (type(None),)
EVENT_SCHEMA: dict[str, tuple[type, ...]] = {
    "seq": _INT,
    "started": _STR,
    "method": _STR,
    "url": _STR,
    "host": _STR,
    "kind": _STR,
    "endpoint": _STR,
    "module": _STR + _NONE,
    "version": _STR + _NONE,
    "proxy": _STR + _NONE,
    "client": _STR,
    "status": _INT + _NONE,
    "error": _STR + _NONE,
    "duration_ms": _NUM + _NONE,
    "response_bytes": _INT + _NONE,
    "auth_retry": _BOOL,
    "flags": _LIST,
    "sumdb": _STR + _NONE,
    "request_headers": _LIST,
    "response_headers": _LIST,
    "preview": _STR + _NONE,
    "repo": _STR + _NONE,
    "sender": _INT + _NONE,
    "redirected_from": _INT + _NONE,
    "client_http": _STR + _NONE,
    "upstream_http": _STR + _NONE,
    "upstream_tls": _STR + _NONE,
    "upstream_issuer": _STR + _NONE,
    "upstream_public_root": _BOOL + _NONE,
}
_FIELD_ORDER = Event.__struct_fields__
_FIELDS = len(_FIELD_ORDER)
_IN_ORDER = itemgetter(*_FIELD_ORDER)
assert tuple(EVENT_SCHEMA) == _FIELD_ORDER, "EVENT_SCHEMA must follow Event's fields"
_REQUIRED = frozenset({"seq", "started", "method", "url", "host"})
_NESTED = ("request_headers", "response_headers")
_KINDS, _ENDPOINTS, _CLIENTS = frozenset(KINDS), frozenset(ENDPOINTS), frozenset(CLIENTS)
# A fresh default each time: no two events may share one flags or headers list.
_DEFAULTS: dict[str, Any] = {
    f.name: (
        f.default_factory
        if f.default_factory is not msgspec.NODEFAULT
        else (list if isinstance(f.default, list) else (lambda v=f.default: v))
    )
    for f in msgspec.structs.fields(Event)
    if f.name not in _REQUIRED
}


def _string_pairs(items: list[Any]) -> bool:
    for pair in items:
        if type(pair) is not list or len(pair) != 2:
            return False
        name, value = pair
        if type(name) is not str or type(value) is not str:
            return False
    return True


_JSON_NAMES = {
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "true/false",
    list: "a list",
    dict: "an object",
    type(None): "null",
}


def _json_type(value: Any) -> str:
    return _JSON_NAMES.get(type(value), type(value).__name__)


def _type_names(name: str) -> str:
    names = dict.fromkeys(_JSON_NAMES[t] for t in EVENT_SCHEMA[name])
    return " or ".join(names)


def _compile_validator() -> Any:
    """One boolean expression over the fields, built from EVENT_SCHEMA: the check every
    recorded line passes on the way in costs a fraction of a microsecond per field."""
    names = {str: "str", int: "int", float: "float", bool: "bool", list: "list"}
    terms = []
    for field_name, types in EVENT_SCHEMA.items():
        alternatives = [
            f"{field_name} is None" if t is type(None) else f"type({field_name}) is {names[t]}"
            for t in types
        ]
        terms.append("(" + " or ".join(alternatives) + ")")
    terms += [
        "kind in _KINDS and endpoint in _ENDPOINTS and client in _CLIENTS",
        "_string_pairs(request_headers) and _string_pairs(response_headers)",
        "(not flags or all(type(f) is str for f in flags))",
        "(preview is None or len(preview) <= PREVIEW_LIMIT)",
    ]
    source = f"def _valid({', '.join(EVENT_SCHEMA)}):\n    return " + " and ".join(terms)
    namespace: dict[str, Any] = {
        "_KINDS": _KINDS,
        "_ENDPOINTS": _ENDPOINTS,
        "_CLIENTS": _CLIENTS,
        "_string_pairs": _string_pairs,
        "PREVIEW_LIMIT": PREVIEW_LIMIT,
    }
    exec(compile(source, "<goscope event schema>", "exec"), namespace)
    return namespace["_valid"]


_valid = _compile_validator()


_decode = msgspec.json.Decoder(Event).decode
_encode = msgspec.json.Encoder().encode


def decode_event(line: bytes) -> Event | None:
    """The fast path: an event line as goscope writes it, decoded and type-checked in C.

    None: not such a line (a header, sender or end line, an error, a shape only
    `from_dict` knows); the caller then takes the general path, which says what is wrong.
    A line naming `format` is a recording's own line in `from_dict`'s rules, never an event:
    Event has no such field and forbids unknown ones, so the decoder refuses it (a scan of
    every line for the word cost 4.5% of a million-event load).
    """
    if not line.startswith(b'{"seq":'):
        return None
    try:
        event = _decode(line)
    except (msgspec.MsgspecError, RecursionError):
        return None
    # What the types cannot say: each header is a [name, value] pair.
    for headers in (event.request_headers, event.response_headers):
        for pair in headers:
            if len(pair) != 2:
                return None
    return event


def event_from_json(line: bytes | str) -> Event:
    """One JSON line (a recording's or the live socket's) as a validated Event."""
    if type(line) is bytes and (event := decode_event(line)) is not None:
        return event
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON ({exc})") from None
    return Event.from_dict(obj)


_ONE_LINE_FIELDS = tuple(
    name
    for name in Event.__struct_fields__
    if name not in ("preview", "request_headers", "response_headers", "flags")
)


_one_line_values = attrgetter(*_ONE_LINE_FIELDS)


def visible_event(event: Event) -> Event:
    """Escape every text field of an event in place (the addon does it before writing)."""
    texts = [v for v in _one_line_values(event) if type(v) is str]
    texts += [
        part
        for headers in (event.request_headers, event.response_headers)
        for pair in headers
        for part in pair
    ]
    texts += event.flags
    joined = " ".join(texts)
    # One C-level check, the common case: printable text holds nothing UNSAFE matches.
    clean = joined.isprintable() or UNSAFE.search(joined) is None
    if clean and not (event.preview and UNSAFE_MULTILINE.search(event.preview)):
        return event
    for name in _ONE_LINE_FIELDS:
        value = getattr(event, name)
        if type(value) is str and UNSAFE.search(value):
            setattr(event, name, visible(value))
    if event.preview and UNSAFE_MULTILINE.search(event.preview):
        event.preview = visible(event.preview, multiline=True)
    for headers in (event.request_headers, event.response_headers):
        for pair in headers:
            for i in (0, 1):
                if UNSAFE.search(pair[i]):
                    pair[i] = visible(pair[i])
    event.flags = [visible(f) for f in event.flags]
    return event
