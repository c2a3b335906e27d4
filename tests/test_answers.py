"""What goscope reads of an answer's body: the body as go reads it, bounded."""

from __future__ import annotations

import gzip
import zlib

import pytest
from mitmproxy import http

from goscope.proxy.answers import BODY_HEAD, body_head, go_import_repo

PAGE = (
    b'<html><head><meta name="go-import" content="vcs.example/team/tools git '
    b'https://vcs.example/team/tools.git"></head><body>go get</body></html>'
)


def answer(body: bytes, encoding: str | None) -> http.Response:
    response = http.Response.make(200, b"", {"content-type": "text/html"})
    if encoding:
        response.headers["content-encoding"] = encoding
    response.raw_content = body  # as the server sent it: still encoded
    return response


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        (None, lambda b: b),
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda b: zlib.compress(b, wbits=-zlib.MAX_WBITS)),  # raw deflate
        ("GZIP ", gzip.compress),
    ],
)
def test_a_meta_tag_is_read_from_the_body_go_reads(encoding, encode):
    # go's HTTP client asks for gzip and decodes it: a forge's gzipped ?go-get=1 page held
    # its tag out of goscope's sight, and the path read as no module.
    body = body_head(answer(encode(PAGE), encoding))
    assert (
        go_import_repo(body, "vcs.example/team/tools/lint") == "https://vcs.example/team/tools.git"
    )


def test_a_bomb_inflates_only_so_far():
    bomb = gzip.compress(b"\0" * (64 << 20))  # 64 MiB of zeros in about 64 KiB
    assert len(bomb) < 100_000
    assert len(body_head(answer(bomb, "gzip"))) == BODY_HEAD


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_a_body_that_does_not_decode_is_never_shown_as_text(encoding):
    body = body_head(answer(b"\x1f\x8b not gzip at all", encoding))
    # br: an encoding go never asks for, kept as sent; the others: nothing.
    assert body == (b"\x1f\x8b not gzip at all" if encoding == "br" else b"")
