"""module@version in a narrow column: the middle of the path goes, never the version.

`go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc@v1.28.0` in 40
columns is `go.opentelemetry.io/…/otlptracegrpc@v1.28.0`: the host says whose it is,
the last elements say which module, the version is whole. Cutting the end instead
(`google.golang.org/protobuf@v1…`) loses the one part two rows never share.
"""

from __future__ import annotations

ELLIPSIS = "…"


def elide_module(module: str, version: str | None, width: int) -> str:
    """`module@version` in at most `width` cells (one cell per character: paths are
    ASCII by module.CheckPath, and the caller makes wire text visible first).

    Whole path elements go first (keeping the first and as many of the last as fit);
    then the start of the path before the last element; then characters from the middle; the version is never cut unless it alone is
    wider than `width`, and then its end (the part that differs) is kept.
    """
    at = f"@{version}" if version else ""
    full = module + at
    if len(full) <= width:
        return full
    room = width - len(at)  # for the path
    if room < 3:  # not even `x…`: the version's end, marked as cut
        return ELLIPSIS + full[-(width - 1) :] if width > 1 else ELLIPSIS[:width]
    parts = module.split("/")
    if len(parts) > 2:
        head = parts[0]
        for keep in range(len(parts) - 2, 0, -1):
            candidate = f"{head}/{ELLIPSIS}/" + "/".join(parts[-keep:])
            if len(candidate) <= room:
                return candidate + at
    # The last element whole, after as much of the path's start as still fits.
    tail = f"{ELLIPSIS}/{parts[-1]}" if len(parts) > 1 else ""
    if tail and len(tail) <= room:
        start = room - len(tail)
        return (module[:start] if start >= 4 else "") + tail + at
    # One long element: cut characters from the middle, leaving more of the end (which
    # names the module) than of the start.
    front = (room - 1) // 3
    back = room - 1 - front
    return module[:front] + ELLIPSIS + module[len(module) - back :] + at


def elide_middle(text: str, width: int) -> str:
    """Free text (a URL's path) in at most `width` cells: its start and its end, which is
    where a path says what it asks for (`/sumdb/sum.golang.org/…/x102/475.p/97`)."""
    if len(text) <= width:
        return text
    if width <= 1:
        return ELLIPSIS[:width]
    front = (width - 1) // 2
    back = width - 1 - front
    return text[:front] + ELLIPSIS + text[len(text) - back :]
