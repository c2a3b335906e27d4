"""Go's module path and version case-encoding (`!a` <-> `A`).

Ported from `unescapeString`/`escapeString` in
src/cmd/vendor/golang.org/x/mod/module/module.go. The proxy protocol carries
escaped paths so that case-insensitive file systems can serve them; on the wire
go also percent-encodes the `!` (`%21`), so URL-decoding comes first.
"""

from __future__ import annotations

from urllib.parse import unquote


def unescape(escaped: str) -> str | None:
    """Decode `!a` to `A`; None where Go's unescapeString fails."""
    if "!" not in escaped and escaped.isascii():
        # Nothing to decode (the common case): valid unless it has an uppercase letter.
        return escaped if escaped == escaped.lower() else None
    out = []
    bang = False
    for ch in escaped:
        if ord(ch) >= 0x80:
            return None
        if bang:
            bang = False
            if not "a" <= ch <= "z":
                return None
            out.append(ch.upper())
            continue
        if ch == "!":
            bang = True
            continue
        if "A" <= ch <= "Z":
            return None
        out.append(ch)
    if bang:
        return None
    return "".join(out)


def escape(s: str) -> str | None:
    """Encode `A` to `!a`; None where Go's escapeString refuses (`!`, non-ASCII)."""
    if any(ch == "!" or ord(ch) >= 0x80 for ch in s):
        return None
    return "".join("!" + ch.lower() if "A" <= ch <= "Z" else ch for ch in s)


def decode_wire(segment: str) -> tuple[str, bool]:
    """Percent-decode then case-decode a path or version as go sent it.

    Returns (decoded, ok). When the case-encoding is invalid the
    percent-decoded text is returned with ok=False, so callers still show
    what was asked.
    """
    if "%" not in segment and "!" not in segment and segment.isascii():
        # unescape's common case, inlined: the classifier decodes two of these per request.
        return segment, segment == segment.lower()
    text = unquote(segment, errors="replace") if "%" in segment else segment
    decoded = unescape(text)
    if decoded is None:
        return text, False
    return decoded, True
