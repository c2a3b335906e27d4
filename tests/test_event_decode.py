"""The fast event decoder (msgspec, in C) against the general path (orjson + from_dict).

Every recorded line goes through `decode_event` first; whatever it returns must be what
`Event.from_dict` makes of the same line, and whatever `from_dict` refuses it must refuse
too, so that the fast path changes the speed of reading and nothing else.
"""

from __future__ import annotations

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from goscope.core.traffic.events import EVENT_SCHEMA, PREVIEW_LIMIT, Event, decode_event
from goscope.core.traffic.recording import RecordingReader
from goscope.core.vocab import CLIENTS, ENDPOINTS, KINDS

from .factories import event as _event


def event(seq: int) -> Event:
    return _event("https://proxy.golang.org/golang.org/x/mod/@v/v0.20.0.mod", seq=seq)


_TEXT = st.text(st.characters(codec="utf-8"), max_size=12)
_PAIRS = st.lists(st.lists(_TEXT, min_size=1, max_size=3), max_size=3)
_ANY = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**65), max_value=2**65),
    st.floats(allow_nan=False, allow_infinity=False),
    _TEXT,
    st.lists(_TEXT, max_size=2),
    _PAIRS,
    st.dictionaries(_TEXT, _TEXT, max_size=2),
)
_GOOD = {
    "kind": st.sampled_from(KINDS),
    "endpoint": st.sampled_from(ENDPOINTS),
    "client": st.sampled_from(CLIENTS),
    "flags": st.lists(_TEXT, max_size=2),
    "request_headers": st.lists(st.lists(_TEXT, min_size=2, max_size=2), max_size=3),
    "response_headers": st.lists(st.lists(_TEXT, min_size=2, max_size=2), max_size=3),
}


def _good_value(name: str) -> st.SearchStrategy:
    if name in _GOOD:
        return _GOOD[name]
    choices = []
    for kind in EVENT_SCHEMA[name]:
        if kind is str:
            choices.append(_TEXT)
        elif kind is int:
            choices.append(st.integers(min_value=-(2**64), max_value=2**64))
        elif kind is float:
            choices.append(st.floats(allow_nan=False, allow_infinity=False))
        elif kind is bool:
            choices.append(st.booleans())
        elif kind is type(None):
            choices.append(st.none())
    return st.one_of(choices)


@st.composite
def lines(draw: st.DrawFn) -> bytes:
    """An event line: mostly well-formed, with fields dropped, retyped, added, reordered."""
    obj = {name: draw(_good_value(name)) for name in EVENT_SCHEMA}
    for name in draw(st.lists(st.sampled_from(list(EVENT_SCHEMA)), max_size=3)):
        action = draw(st.sampled_from(["drop", "retype", "retype"]))
        if action == "drop":
            obj.pop(name, None)
        else:
            obj[name] = draw(_ANY)
    if draw(st.booleans()):
        obj[draw(st.sampled_from(["format", "extra", "end", "sender"]))] = draw(_ANY)
    if draw(st.booleans()):  # another writer's order
        keys = draw(st.permutations(list(obj)))
        obj = {k: obj[k] for k in keys}
    try:
        raw = orjson.dumps(obj)
    except TypeError:  # an integer orjson cannot write: write it as text
        raw = "{" + ",".join(f"{orjson.dumps(k).decode()}:{v!r}" for k, v in obj.items()) + "}"
        raw = raw.replace("None", "null").replace("True", "true").replace("False", "false")
        raw = raw.encode()
    cut = draw(st.integers(min_value=0, max_value=3))
    if cut == 1:  # the file ends mid-line
        raw = raw[: draw(st.integers(min_value=0, max_value=len(raw)))]
    elif cut == 2:  # a raw byte inside the line
        at = draw(st.integers(min_value=0, max_value=len(raw)))
        raw = (
            raw[:at]
            + draw(st.sampled_from([b"\t", b"\xff", b"\xed\xa0\x80", b" ", b"\\"]))
            + raw[at:]
        )
    return raw + draw(st.sampled_from([b"\n", b""]))


def _general(raw: bytes) -> bytes | str:
    """What the general path makes of a line: the event's JSON, or its complaint."""
    try:
        return orjson.dumps(Event.from_dict(orjson.loads(raw)).to_dict())
    except (ValueError, TypeError) as exc:
        return f"refused: {exc}"


@settings(max_examples=1500, deadline=None)
@given(raw=lines())
def test_the_fast_path_takes_only_what_the_general_path_takes_and_makes_the_same_event(raw):
    fast = decode_event(raw)
    general = _general(raw)
    if fast is not None:
        assert orjson.dumps(fast.to_dict()) == general
    if raw.startswith(b'{"seq":') and b'"format"' not in raw and isinstance(general, bytes):
        # What goscope writes (its own field order) takes the fast path, unless a header
        # is not a pair, a number is beyond int64 or a field is unknown: the general one.
        obj = orjson.loads(raw)
        odd = (
            bool(obj.keys() - EVENT_SCHEMA.keys())
            or any(
                len(pair) != 2
                for h in ("request_headers", "response_headers")
                for pair in obj.get(h, [])
            )
            or any(type(v) is int and not -(2**63) <= v < 2**63 for v in obj.values())
        )
        assert fast is not None or odd


@pytest.mark.parametrize(
    "change",
    [
        {"kind": "proxyy"},
        {"seq": True},
        {"seq": 1.0},
        {"status": "200"},
        {"auth_retry": 1},
        {"flags": ["a", 1]},
        {"request_headers": [["a"]]},
        {"response_headers": [["a", "b", "c"]]},
        {"preview": "x" * (PREVIEW_LIMIT + 1)},
        {"format": "goscope-recording", "end": True},
        {"unknown": 1},  # skipped unchecked by msgspec: the general path checks it
    ],
)
def test_what_the_general_path_refuses_the_fast_path_refuses(change):
    raw = orjson.dumps(event(1).to_dict() | change)
    assert decode_event(raw) is None


def test_a_line_shaped_like_an_event_but_naming_format_is_the_recordings_own(tmp_path):
    # An end line that starts like an event is an end line to the general path; the fast
    # path must not make it an event (the run would look whole with an event too many).
    path = tmp_path / "r.jsonl"
    end = {"seq": 2, "started": "x", "method": "GET", "url": "u", "host": "h"}
    end |= {"format": "goscope-recording", "end": True, "stats": {"events": 1}}
    path.write_bytes(
        b'{"format":"goscope-recording","schema_version":1,"environment":{}}\n'
        + event(1).to_json().encode()
        + b"\n"
        + orjson.dumps(end)
        + b"\n"
    )
    with RecordingReader(str(path)) as reader:
        assert [e.seq for e, _ in reader] == [1]
        assert reader.end is not None and reader.incomplete() == []


@pytest.mark.parametrize("extra", [b',"x":1e999}', b',"\xffx":1}', b',"x":"\\ud800"}'])
def test_an_unknown_field_orjson_refuses_is_refused(extra):
    raw = event(1).to_json().encode()[:-1] + extra
    assert decode_event(raw) is None and _general(raw).startswith("refused")


def test_an_unknown_field_nested_too_deep_is_refused_not_a_crash():
    raw = event(1).to_json().encode()[:-1] + b',"x":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    assert decode_event(raw) is None
    assert _general(raw).startswith("refused")


def test_events_are_fresh_objects_with_their_own_lists():
    a, b = (decode_event(event(n).to_json().encode()) for n in (1, 2))
    assert a is not None and b is not None
    before = list(b.flags)
    a.flags.append("x")
    assert b.flags == before and Event(seq=3, started="", method="", url="", host="").flags == []


@st.composite
def events(draw: st.DrawFn) -> Event:
    """Any well-typed event (every field's value of a type the schema allows)."""
    return Event(**{name: draw(_good_value(name)) for name in EVENT_SCHEMA})


@settings(max_examples=800, deadline=None)
@given(ev=events())
def test_an_events_line_is_orjsons_of_its_dict(ev):
    # to_json writes with msgspec, the readers and exports read with orjson: the same
    # line, byte for byte, except a float of 1e16 or more (1e16 for 1e+16), the same value.
    try:
        expected = orjson.dumps(ev.to_dict())
    except TypeError:  # an integer beyond 64 bits: orjson cannot write it, nor read it
        with pytest.raises(TypeError):
            ev.to_json()  # refused too, never a line no reader takes (the addon falls back)
        return
    line = ev.to_json().encode()
    assert orjson.loads(line) == orjson.loads(expected)
    if abs(ev.duration_ms or 0) < 1e16:
        assert line == expected
