"""Fix commands that are safe to paste: every value quoted for bash, zsh and fish alike.

A fix goscope suggests is built from values it saw (a GOPROXY with `|`, a module
path from the wire), so it is quoted, never trusted: pasted, it sets exactly
the value shown and runs nothing else. Single quotes mean the same in the three
shells except for backslashes (fish reads `\\\\` and `\\'` inside them), so a
backslash is written outside the quotes, where all three read `\\\\` as one.
"""

from __future__ import annotations

import re

_SAFE = re.compile(r"[A-Za-z0-9_./,:@%+=^-]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# A byte that is not UTF-8: a lone surrogate (Python's surrogateescape), or U+FFFD where one
# was replaced. No quoting that bash, zsh and fish share writes such a byte back.
NOT_TEXT = re.compile("[\ud800-\udfff\ufffd]")


def quote(value: str) -> str:
    """One shell word that bash, zsh and fish all read back as `value`."""
    if value and _SAFE.fullmatch(value):
        return value
    out = []
    for piece in re.split(r"([\\'])", value):
        if piece == "\\":
            out.append("\\\\")
        elif piece == "'":
            out.append('"\'"')
        elif piece:
            out.append(f"'{piece}'")
    return "".join(out) or "''"


def set_env_command(var: str, value: str, in_environment: bool) -> str:
    """Set a Go variable where it takes effect: the process environment shadows go env -w.

    "" (no fix) for a value with a control character: go env -w cannot store it, and
    no such value is worth suggesting; nor for one with a byte that is not UTF-8 (`NOT_TEXT`):
    pasted, the fix would set other bytes than the value holds."""
    if _CONTROL.search(value) or NOT_TEXT.search(value):
        return ""
    if in_environment:
        return f"export {var}={quote(value)}"
    return f"go env -w {quote(f'{var}={value}')}"


def unset_env_command(var: str, in_environment: bool) -> str:
    """Take a variable out of go's way. In the process environment, `export VAR=`: fish has
    no `unset` (pasted there, the fix failed and the variable stayed), and go reads an empty
    variable as an unset one (cfg.go `Getenv`: the go env -w file, then the default)."""
    return f"export {var}=" if in_environment else f"go env -u {var}"


# module.CheckPath (golang.org/x/mod/module/module.go): what a module path may be.
_ELEM_OK = re.compile(r"^[A-Za-z0-9._~-]+$")
_FIRST_OK = re.compile(r"^[a-z0-9.-]+$")


def is_module_path(path: str) -> bool:
    """module.CheckPath's rules, enough to refuse anything a fix must not carry.

    Elements are non-empty, made of ASCII letters, digits and `-._~`, neither `.`
    nor `..`, not starting or ending with a dot; the first element is a lower-case
    host name with a dot that does not start with a dash.
    """
    if not path or path.startswith("/") or path.endswith("/") or "//" in path:
        return False
    elements = path.split("/")
    for elem in elements:
        if not _ELEM_OK.match(elem) or elem[0] == "." or elem[-1] == ".":
            return False
    first = elements[0]
    return bool(_FIRST_OK.match(first)) and "." in first and not first.startswith("-")
