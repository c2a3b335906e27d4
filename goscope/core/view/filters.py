"""The `/` filter language of the request list.

    kind:sumdb  status:>=400  status:4xx  host:goproxy  module:github.com/acme
    endpoint:zip  method:POST  leak  blocked  error  retry  -kind:other  free text

Terms are ANDed; `-` negates a term; free text matches the URL (case
insensitive). Evaluation works column by column over the compact store, so a
million rows filter in well under a second.
"""

from __future__ import annotations

import operator
import re
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..traffic.classify import ENDPOINTS, KINDS
from .store import (
    FLAG_AUTH_RETRY,
    FLAG_BLOCKED,
    FLAG_ERROR,
    FLAG_LEAK,
    METHODS,
    NO_STATUS,
    EventStore,
)

KEYS = ("kind", "status", "host", "module", "endpoint", "method", "version")
WORDS = {
    "leak": FLAG_LEAK,
    "error": FLAG_ERROR,
    "retry": FLAG_AUTH_RETRY,
    "blocked": FLAG_BLOCKED,
}
_OPS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt, "=": operator.eq}
_STATUS = re.compile(r"^(>=|<=|>|<|=)?(\d{3})$")
_STATUS_CLASS = re.compile(r"^([1-5])xx$", re.IGNORECASE)
_STATUS_RANGE = re.compile(r"^(\d{3})\.\.(\d{3})$")


class FilterError(ValueError):
    """A filter the user typed that cannot be read (one line)."""


Step = Callable[[EventStore, Sequence[int]], list[int]]


@dataclass(frozen=True)
class Filter:
    text: str
    steps: tuple[Step, ...]

    @property
    def empty(self) -> bool:
        return not self.steps

    def apply(self, store: EventStore, candidates: Sequence[int] | None = None) -> list[int]:
        indices: Sequence[int] = range(len(store)) if candidates is None else candidates
        for step in self.steps:
            indices = step(store, indices)
            if not indices:
                break
        return list(indices)


def parse_filter(text: str) -> Filter:
    try:
        tokens = shlex.split(text)
    except ValueError as exc:
        raise FilterError(f"unbalanced quotes in filter: {exc}") from None
    return Filter(text.strip(), tuple(_step(token) for token in tokens))


def _step(token: str) -> Step:
    negate = token.startswith("-") and len(token) > 1
    body = token[1:] if negate else token
    key, colon, value = body.partition(":")
    if colon and key in KEYS:
        if not value:
            raise FilterError(f"{key}: needs a value (e.g. {key}:{_example(key)})")
        test = _column_test(key.lower(), value)
    elif body.lower() in WORDS:
        bit = WORDS[body.lower()]
        test = _flag_test(bit)
    else:
        if colon and key.isalpha() and key not in KEYS and "/" not in body:
            raise FilterError(f"unknown filter key {key!r}: use one of {', '.join(KEYS)}")
        test = _text_test(body.lower())
    return _negated(test) if negate else test


def _example(key: str) -> str:
    return {
        "kind": "sumdb",
        "status": ">=400",
        "host": "goproxy",
        "module": "github.com/acme",
        "endpoint": "zip",
        "method": "GET",
        "version": "v1",
    }[key]


def _negated(test: Step) -> Step:
    def step(store: EventStore, indices: Sequence[int]) -> list[int]:
        keep = set(test(store, indices))
        return [i for i in indices if i not in keep]

    return step


def _flag_test(bit: int) -> Step:
    def step(store: EventStore, indices: Sequence[int]) -> list[int]:
        flags = store.flags
        return [i for i in indices if flags[i] & bit]

    return step


def _text_test(needle: str) -> Step:
    def step(store: EventStore, indices: Sequence[int]) -> list[int]:
        url_at = store.url_at
        return [i for i in indices if needle in url_at(i).lower()]

    return step


def _code_test(column: str, names: tuple[str, ...], value: str, key: str) -> Step:
    wanted = {i for i, name in enumerate(names) if name.lower() == value.lower()}
    if not wanted:
        wanted = {i for i, name in enumerate(names) if name.lower().startswith(value.lower())}
    if not wanted:
        raise FilterError(f"{key}:{value} — {key} is one of {', '.join(names)}")

    def step(store: EventStore, indices: Sequence[int]) -> list[int]:
        data = getattr(store, column)
        return [i for i in indices if data[i] in wanted]

    return step


def _interned_test(column: str, interner: str, value: str) -> Step:
    needle = value.lower()

    def step(store: EventStore, indices: Sequence[int]) -> list[int]:
        values = getattr(store, interner).values
        wanted = {i for i, v in enumerate(values) if v and needle in v.lower()}
        data = getattr(store, column)
        return [i for i in indices if data[i] in wanted]

    return step


def _status_test(value: str) -> Step:
    m = _STATUS.match(value)
    if m:
        op, number = _OPS[m.group(1) or "="], int(m.group(2))
        return _status_pred(lambda s: op(s, number))
    m = _STATUS_CLASS.match(value)
    if m:
        low = int(m.group(1)) * 100
        return _status_pred(lambda s: low <= s < low + 100)
    m = _STATUS_RANGE.match(value)
    if m:
        lo, hi = int(m.group(1)), int(m.group(2))
        return _status_pred(lambda s: lo <= s <= hi)
    raise FilterError(
        f"status:{value} — try status:404, status:>=400, status:4xx or status:200..299"
    )


def _status_pred(pred: Callable[[int], bool]) -> Step:
    def step(store: EventStore, indices: Sequence[int]) -> list[int]:
        status = store.status
        return [i for i in indices if status[i] != NO_STATUS and pred(status[i])]

    return step


def _column_test(key: str, value: str) -> Step:
    if key == "kind":
        return _code_test("kind", KINDS, value, key)
    if key == "endpoint":
        return _code_test("endpoint", ENDPOINTS, value, key)
    if key == "method":
        return _code_test("method", METHODS, value, key)
    if key == "status":
        return _status_test(value)
    if key == "host":
        return _interned_test("host", "hosts", value)
    if key == "module":
        return _interned_test("module", "modules", value)
    return _interned_test("version", "versions", value)
