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
