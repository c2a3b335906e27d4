"""Text from the wire or a recording is data: shown visibly, never obeyed by a terminal.

A URL path, a module decoded from it, a header, a body preview or an error may
carry ESC/CSI sequences, OSC 52 (clipboard), OSC 0 (title) or OSC 8 (links),
C1 controls, or bidi overrides (U+202E) that reorder what the reader sees, or bytes that
are not UTF-8 at all.
`visible` turns each such character into its escape (`\\x1b`, `\\u202e`), so the
text stays readable and nothing in it acts. The addon applies it to every
event it writes; every display applies it again to whatever it prints, since
a recording can be crafted.
"""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, C1 controls; and every invisible format
# character (Unicode categories Cf, Zl, Zp: bidi marks, embeddings, overrides and
# isolates, zero-width characters, the soft hyphen, interlinear annotations, tag
# characters, the BOM), which reorder or hide text. Generated from unicodedata. And lone
# surrogates (category Cs): mitmproxy decodes a header's bytes that are not UTF-8 with
# `surrogateescape` (0xff becomes U+DCFF), which no JSON encoder writes and no terminal shows.
_CONTROLS = "\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff"
_FORMAT = (
    "\xad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e\u200b-\u200f"
    "\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    "\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001"
    "\U000e0020-\U000e007f"
)
UNSAFE_MULTILINE = re.compile(f"[{_CONTROLS}{_FORMAT}]")
UNSAFE = re.compile(f"[\t\n{_CONTROLS}{_FORMAT}]")  # one-line fields: tab and newline too

_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    named = _NAMED.get(ch)
    if named:
        return named
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def visible(text: str | None, multiline: bool = False) -> str:
    """`text` with every control and invisible format character escaped visibly."""
    if not text:
        return text or ""
    if text.isprintable():
        # Printable text has no control, format or line-separator character: nothing of
        # UNSAFE's (tab and newline are not printable, so they take the scan below).
        return text
    pattern = UNSAFE_MULTILINE if multiline else UNSAFE
    if pattern.search(text) is None:
        return text  # the common case: one C-level scan, no copy
    return pattern.sub(_escape, text)


def markdown_code(text: object, table: bool = True) -> str:
    """Wire text as a Markdown code span, backticks included: shown as it is (a fix pasted
    from it works: `\\[` in `markdown_cell` showed as typed there, and set a pattern that never
    matched), never markup, a link or an autolinked host. Only its own quote is replaced,
    and, in a table, its pipe escaped (GFM unescapes it inside the span)."""
    # `##[` stays defused: `--markdown -` writes to stdout, maybe a CI log.
    body = defuse_anywhere(visible(str(text)).replace("`", "'"))
    if not body:
        return "-"  # an empty span (two backticks) renders as the backticks themselves
    if table:
        body = body.replace("|", "\\|")
    return f"`{body}`"


def markdown_cell(text: object) -> str:
    """Wire text inside Markdown (a table cell, a code span): one line, no table break-out,
    no code-span escape, no HTML, links or images."""
    return (
        visible(str(text))
        .replace("|", "\\|")
        .replace("`", "'")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("[", "\\[")
        .replace("]", "\\]")
    )


# The runner trims a line before it looks for `::` (ActionCommand.TryParseV2), and finds
# `##[` and `##vso[` anywhere in it.
RUNNER_COMMAND = re.compile(r"##(?=(?:vso)?\[)")


def defuse_commands(line: str) -> str:
    """A printed line that a CI runner would take for a command, with the escape that makes
    it text: the first `:` of a leading `::`, the second `#` of `##[` (as `\\x3a`, `\\x23`,
    the way `visible` shows a control character)."""
    body = line.lstrip()
    if body.startswith("::"):
        line = line[: len(line) - len(body)] + "\\x3a" + body[1:]
    return defuse_anywhere(line)


def defuse_anywhere(text: str) -> str:
    """`##[` and `##vso[`, which a runner obeys anywhere in a line, as text."""
    return RUNNER_COMMAND.sub("#\\\\x23", text) if "##" in text else text


def needs_defusing(line: str) -> bool:
    return line.lstrip().startswith("::") or RUNNER_COMMAND.search(line) is not None
