"""pretty_json: the json module's indented text, from orjson (a report of 50,000 events spent
14 of its 35 seconds in json.dumps), for every value goscope writes."""

from __future__ import annotations

import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from goscope.core.safe.jsontext import json_safe, pretty_json

# Any text: lone surrogates (argv, file names), astral characters, C0 and C1 controls, bidi.
TEXT = st.text(st.characters(codec=None, blacklist_categories=()), max_size=12)
INTS = st.integers(min_value=-(2**70), max_value=2**70)  # beyond 64 bits too


def documents(scalars):
    return st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(TEXT | st.integers(-5, 5), inner, max_size=4)
        ),
        max_leaves=20,
    )


@settings(max_examples=400, deadline=None)
@given(documents(st.none() | st.booleans() | INTS | TEXT))
def test_the_text_is_the_json_modules_to_the_byte(value):
    expected = json.dumps(json_safe(value), indent=2)
    # …but a CI runner's command (`##[`, `##vso[`) is never in the text, only its escape.
    expected = re.sub(r"##(?=(?:vso)?\[)", "#\\\\u0023", expected)
    assert pretty_json(value) == expected


@settings(max_examples=200, deadline=None)
@given(documents(st.floats(allow_nan=False, allow_infinity=False) | TEXT))
def test_floats_read_back_the_same_and_nothing_beyond_ascii_is_written(value):
    text = pretty_json(value)
    assert text.isascii()  # no raw bidi or C1 control for whoever cats the file
    assert json.loads(text) == json.loads(json.dumps(json_safe(value), indent=2))


def test_not_a_number_is_null_not_the_invalid_NaN():
    assert pretty_json({"x": float("nan")}) == '{\n  "x": null\n}'


def test_a_runners_command_is_never_in_the_text_and_reads_back_the_same():
    value = {"go_version": "##vso[task.setvariable variable=GOPROXY]x", "k": "##[error]y"}
    text = pretty_json(value)
    assert "##[" not in text and "##vso[" not in text
    assert json.loads(text) == value
