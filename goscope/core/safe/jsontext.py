"""Text every JSON writer can write, and every JSON reader read back: no lone surrogate.

Python decodes argv, the environment and file names with surrogateescape: a byte that is not
UTF-8 becomes a lone surrogate (0xff is U+DCFF). orjson refuses to write such a string; the
standard json module writes `"\\udcff"`, which orjson, goscope's reader of its own files, then
refuses to read. Recorded or reported (a command line, a directory, a GOPRIVATE value), such
text keeps U+FFFD where the byte was. What goscope executes or opens keeps the bytes.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

from .visible import RUNNER_COMMAND

_SURROGATE = re.compile("[\ud800-\udfff]")


def json_text(value: str) -> str:
    """`value` with each lone surrogate replaced by U+FFFD."""
    if value.isascii():
        return value
    return _SURROGATE.sub("\ufffd", value)


def json_safe(value: Any) -> Any:
    """A JSON-able value with `json_text` applied to every string in it, keys too."""
    if type(value) is str:
        return json_text(value)
    if isinstance(value, dict):
        return {(json_text(k) if type(k) is str else k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


# What the json module escapes and orjson writes raw: DEL and all beyond ASCII (orjson's only
# raw characters below space are its own newlines between lines).
_RAW = re.compile("[^\n\x20-\x7e]")
_PRETTY = orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS


def _escape(match: re.Match[str]) -> str:
    code = ord(match[0])
    if code > 0xFFFF:  # a surrogate pair, as the json module writes it
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def pretty_json(value: Any) -> str:
    """An indented JSON document (a report, SARIF, HAR) as `json.dumps(json_safe(value),
    indent=2)` wrote it, from orjson: a 50,000-event report took 14 s in the json module.

    Every character beyond ASCII is escaped as the json module escapes it, so a report that
    someone cats shows no raw bidi or C1 control from the wire. A lone surrogate or an integer
    beyond 64 bits, which orjson refuses, takes the json module's way."""
    try:
        text = orjson.dumps(value, option=_PRETTY).decode()
    except TypeError:
        text = json.dumps(json_safe(value), indent=2)
    else:
        text = _RAW.sub(_escape, text) if not text.isascii() or "\x7f" in text else text
    # `##[` and `##vso[` are CI runners' commands anywhere in a line (`--json -` may print to
    # a log): their second `#` as its JSON escape, which every reader reads back as `#`.
    return RUNNER_COMMAND.sub("#\\\\u0023", text) if "##" in text else text
