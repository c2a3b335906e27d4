"""What an event says of a flow's answer, read off mitmproxy's objects: the HTTP version,
the upstream certificate's issuer, the headers as pairs, mitmproxy's error in plain words,
the body's preview, and the repository a go-import meta tag names (vcs.go's
`parseMetaGoImports` reads the same tag)."""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from typing import Any

from mitmproxy import http

from goscope.core.gorules.roots import is_public_root

from .flowfacts import header

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


BODY_HEAD = 65536  # bytes of a decoded body a preview and a go-import tag are read from
_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


def body_head(message: http.Message) -> bytes:
    """The head of the body as go reads it. go's HTTP client asks for gzip and decodes it
    (net/http's transport, which cmd/go/internal/web uses), so a server's gzipped
    `?go-get=1` page holds its meta tag, and a proxy's "not found" its words, only after
    decoding: read raw, neither was seen. Bounded: a body that inflates to gigabytes
    inflates only BODY_HEAD bytes here. An encoding go never asks for stays as sent; one
    that does not decode gives nothing (never the compressed bytes as text)."""
    raw = message.raw_content or b""
    encoding = (header(message.headers, b"content-encoding") or "").strip().lower()
    wbits = _WBITS.get(encoding)
    if wbits is None:
        return raw[:BODY_HEAD]
    for bits in (wbits, -zlib.MAX_WBITS) if encoding == "deflate" else (wbits,):
        try:  # deflate is zlib-wrapped by the RFC, raw by some servers: both, as browsers do
            return zlib.decompressobj(bits).decompress(raw, BODY_HEAD)
        except zlib.error:
            continue
    return b""


def preview(raw: bytes) -> str:
    return raw[:PREVIEW_BYTES].decode("utf-8", errors="replace")


def go_import_repo(body: bytes, module: str | None) -> str | None:
    """The repository URL of the go-import meta tag that covers the module."""
    for match in _GO_IMPORT.finditer(body[:65536]):
        fields = match.group(1).decode("utf-8", errors="replace").split()
        if len(fields) == 3 and (module is None or (module + "/").startswith(fields[0] + "/")):
            return fields[2]
    return None
