"""Text every JSON writer can write, and every JSON reader read back: no lone surrogate.

Python decodes argv, the environment and file names with surrogateescape: a byte that is not
UTF-8 becomes a lone surrogate (0xff is U+DCFF). orjson refuses to write such a string; the
standard json module writes `"\\udcff"`, which orjson, goscope's reader of its own files, then
refuses to read. Recorded or reported (a command line, a directory, a GOPRIVATE value), such
text keeps U+FFFD where the byte was. What goscope executes or opens keeps the bytes.
"""

from __future__ import annotations

import re
from typing import Any

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
