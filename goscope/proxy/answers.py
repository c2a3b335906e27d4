"""What an event says of a flow's answer, read off mitmproxy's objects: the HTTP version,
the upstream certificate's issuer, the headers as pairs, mitmproxy's error in plain words,
the body's preview, and the repository a go-import meta tag names (vcs.go's
`parseMetaGoImports` reads the same tag)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from mitmproxy import http

from goscope.core.gorules.roots import is_public_root

PREVIEW_BYTES = 4096
_GO_IMPORT = re.compile(
    rb"""<meta\s+name=["']go-import["']\s+content=["']([^"']+)["']""", re.IGNORECASE
)


def http_version(message: http.Message) -> str | None:
    raw = message.data.http_version  # bytes: the property would decode and copy it
    return raw.decode("ascii", "replace") if raw else None


def issuer(chain: Sequence[Any]) -> tuple[str, bool]:
    """Who issued the top of the chain the server sent, and whether that is a public root."""
    top = chain[-1]._cert  # mitmproxy's Cert wraps a cryptography certificate
    issuer = top.issuer
    return issuer.rfc4514_string(), is_public_root(issuer.public_bytes())


def fields(headers: http.Headers) -> list[tuple[str, str]]:
    """Header pairs straight from mitmproxy's raw fields (faster than items(multi=True))."""
    return [(k.decode("latin-1"), v.decode("latin-1", errors="replace")) for k, v in headers.fields]


_ERRNO_WORDS = {
    "[Errno 111]": "connection refused",
    "[Errno 104]": "connection reset by peer",
    "[Errno 110]": "connection timed out",
    "[Errno -2]": "no such host",
    "[Errno -3]": "name resolution failed",
}


def error_text(msg: str) -> str:
    """mitmproxy's error, with the plain words for errno-style messages first."""
    msg = msg.strip() or "error"
    for errno, words in _ERRNO_WORDS.items():
        if errno in msg:
            return f"{words}: {msg}"
    return msg


def preview(raw: bytes) -> str:
    return raw[:PREVIEW_BYTES].decode("utf-8", errors="replace")


def go_import_repo(body: bytes, module: str | None) -> str | None:
    """The repository URL of the go-import meta tag that covers the module."""
    for match in _GO_IMPORT.finditer(body[:65536]):
        fields = match.group(1).decode("utf-8", errors="replace").split()
        if len(fields) == 3 and (module is None or (module + "/").startswith(fields[0] + "/")):
            return fields[2]
    return None
