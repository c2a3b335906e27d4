"""What an event says of a flow's answer, read off mitmproxy's objects: the HTTP version,
the upstream certificate's issuer, the headers as pairs, mitmproxy's error in plain words,
the body's preview, and the repository a go-import meta tag names (vcs.go's
`parseMetaGoImports` reads the same tag)."""

from __future__ import annotations

import html
import re
import zlib
from collections.abc import Sequence
from typing import Any

from mitmproxy import connection, http

from goscope.core.gorules.roots import is_public_root

from .flowfacts import header

PREVIEW_BYTES = 4096
# vcs/discovery.go parseMetaGoImports reads tags with a lenient XML decoder (d.Strict is
# false): <meta> in any case, attributes in any order, quoted either way or not at all,
# until <body> or </head>.
_TAG = re.compile(rb"<(/?)(meta|body|head)\b([^>]*)>", re.IGNORECASE)
_ATTR = re.compile(rb"""([^\s=/>]+)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?""")


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


# Bytes go refuses in a header value: a control character but tab (net/textproto reader.go
# validHeaderValueByte over HTTP/1, httpguts.ValidHeaderFieldValue in http2 frame.go
# readMetaFrame), and a name that is no token (validHeaderFieldByte; over HTTP/1 a space is
# let through, go issue 34540; over HTTP/2 validWireHeaderFieldName is strict).
_BAD_VALUE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_FOLD = re.compile(rb"\r?\n[ \t]")  # HTTP/1 obs-fold: textproto joins the lines
_BAD_NAME = re.compile(rb"[^!#$%&'*+\-.^_`|~0-9A-Za-z]")
_BAD_NAME_H1 = re.compile(rb"[^!#$%&'*+\-.^_`|~0-9A-Za-z ]")
# What mitmproxy never sends go over HTTP/2 (h2's CONNECTION_HEADERS, stripped by
# normalize_outbound_headers): go never sees these, so they never make it refuse.
_H2_STRIPPED = frozenset(
    {b"connection", b"proxy-connection", b"keep-alive", b"transfer-encoding", b"upgrade"}
)


def refused_header(fields: Sequence[tuple[bytes, bytes]], http2: bool) -> str | None:
    """go's error for an answer whose header it will not read, or None. It gets no status
    then, only this error (HTTP/1 "malformed MIME header line", HTTP/2 a stream error): a
    404 recorded as received read as a fall-through where go had stopped. Over HTTP/1 a
    folded value (mitmproxy keeps `\\r\\n ` in it) is one go reads (readContinuedLineSlice)."""
    bad_name = _BAD_NAME if http2 else _BAD_NAME_H1
    for name, value in fields:
        if http2 and name.lower() in _H2_STRIPPED:
            continue
        if not name or bad_name.search(name):
            return f"malformed header field name {name.decode('latin-1')[:40]!r}"
        if not http2 and b"\n" in value:
            value = _FOLD.sub(b" ", value)
        if _BAD_VALUE.search(value):
            return f"invalid header field value for {name.decode('latin-1')[:40]!r}"
    return None


def error_text(msg: str) -> str:
    """mitmproxy's error, with the plain words for errno-style messages first."""
    msg = msg.strip() or "error"
    for errno, words in _ERRNO_WORDS.items():
        if errno in msg:
            return f"{words}: {msg}"
    return msg


BODY_HEAD = 65536  # bytes of a decoded body a preview and a go-import tag are read from
GZIP_WBITS = 16 + zlib.MAX_WBITS


def body_head(message: http.Message) -> bytes:
    """The head of the body as go reads it. go's HTTP client asks for gzip and decodes a
    body whose Content-Encoding is gzip (net/http/transport.go, only when it asked itself,
    as cmd/go/internal/web lets it), so a server's gzipped `?go-get=1` page holds its meta
    tag, and a proxy's "not found" its words, only after decoding: read raw, neither was
    seen. Bounded: a body that inflates to gigabytes inflates only BODY_HEAD bytes here.
    Any other encoding go leaves as sent, and so does goscope; a gzip body that does not
    decode gives nothing (never the compressed bytes as text)."""
    raw = message.raw_content or b""
    encoding = (header(message.headers, b"content-encoding") or "").strip()
    if encoding.lower() != "gzip":
        return raw[:BODY_HEAD]
    try:
        return zlib.decompressobj(GZIP_WBITS).decompress(raw, BODY_HEAD)
    except zlib.error:
        return b""


def preview(raw: bytes) -> str:
    return raw[:PREVIEW_BYTES].decode("utf-8", errors="replace")


def go_import_repo(body: bytes, module: str | None) -> str | None:
    """The repository URL of the go-import meta tag that covers the module."""
    found = go_import(body, module)
    return found[1] if found else None


def go_import(body: bytes, module: str | None) -> tuple[str, str] | None:
    """(vcs, repository URL) of the go-import meta tag that covers the module, read as
    parseMetaGoImports reads tags: `prefix vcs repo` or, with a subdirectory, four fields;
    the first tag whose prefix covers the path (matchGoImport)."""
    for tag in _TAG.finditer(body[:65536]):
        closing, name = tag.group(1), tag.group(2).lower()
        if (name == b"body" and not closing) or (name == b"head" and closing):
            break
        if name != b"meta" or closing:
            continue
        attrs: dict[bytes, bytes] = {}
        for attr in _ATTR.finditer(tag.group(3)):
            value = attr.group(2) if attr.group(2) is not None else attr.group(3)
            value = value if value is not None else attr.group(4) or b""
            attrs.setdefault(attr.group(1).lower(), value)
        if html.unescape(attrs.get(b"name", b"").decode("utf-8", "replace")) != "go-import":
            continue
        fields = html.unescape(attrs.get(b"content", b"").decode("utf-8", "replace")).split()
        if len(fields) in (3, 4) and (module is None or (module + "/").startswith(fields[0] + "/")):
            return fields[1], fields[2]
    return None


def client_went_away(flow: http.HTTPFlow) -> bool:
    """The flow's error is its client's leaving, not its server's failure. mitmproxy says
    "Client disconnected." over HTTP/1; when go's HTTP/2 connection closes it says "peer
    closed connection", the words it uses of an upstream's closing too: the client's side
    is the one that no longer reads (proxy/server.py marks it before the layers hear of
    it). Where the words could be the upstream's, it is the upstream's: a failure hidden as
    go's leaving would read clean."""
    assert flow.error is not None
    msg = flow.error.msg
    if msg.startswith("Client disconnected"):
        return True
    if msg.startswith("stream reset by client"):
        # mitmproxy's HTTP/2 layer says "by client" of its upstream's RST_STREAM too (the
        # connection class is shared): only with no HTTP/2 upstream is it the client's.
        # (go never cancels one request: cmd/go/internal/web sets no context.)
        return flow.server_conn.alpn != b"h2"
    return msg == "peer closed connection" and not (
        flow.client_conn.state & connection.ConnectionState.CAN_READ
    )
