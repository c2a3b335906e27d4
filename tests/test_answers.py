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


@pytest.mark.parametrize("encoding", ["gzip", "GZIP ", "Gzip"])
def test_a_meta_tag_is_read_from_the_body_go_reads(encoding):
    # go's HTTP client asks for gzip and decodes it: a forge's gzipped ?go-get=1 page held
    # its tag out of goscope's sight, and the path read as no module.
    body = body_head(answer(gzip.compress(PAGE), encoding))
    assert (
        go_import_repo(body, "vcs.example/team/tools/lint") == "https://vcs.example/team/tools.git"
    )


@pytest.mark.parametrize("encoding", ["x-gzip", "deflate", "br"])
def test_an_encoding_go_does_not_decode_stays_as_sent(encoding):
    # net/http decodes Content-Encoding gzip alone (transport.go): a tag go never sees is
    # not one goscope may see.
    sent = zlib.compress(PAGE) if encoding == "deflate" else gzip.compress(PAGE)
    assert body_head(answer(sent, encoding)) == sent


@pytest.mark.parametrize(
    ("page", "repo"),
    [
        # parseMetaGoImports: four fields (a subdirectory), attributes in any order, quoted
        # or not, others between them, entities decoded; none after <body> or </head>.
        (
            b'<meta name="go-import" content="c.example/x git https://c.example/m.git x">',
            "https://c.example/m.git",
        ),
        (b'<META content="c.example/x git https://r.git" name="go-import">', "https://r.git"),
        (b'<meta name=go-import content="c.example/x git https://r.git">', "https://r.git"),
        (
            b'<meta name="go-import" id="a" content="c.example/x git https://r.git">',
            "https://r.git",
        ),
        (
            b"<meta name='go-import' content='c.example/x git https://r/x?a=1&amp;b=2'/>",
            "https://r/x?a=1&b=2",
        ),
        (b'<head></head><meta name="go-import" content="c.example/x git https://r.git">', None),
        (b'<body><meta name="go-import" content="c.example/x git https://r.git">', None),
        (b'<meta name="go-import" content="c.example/y git https://r.git">', None),  # no cover
        (b'<meta name="Go-Import" content="c.example/x git https://r.git">', None),  # go: exact
        (b'<meta name="go-import" content="c.example/x git">', None),  # two fields
    ],
)
def test_go_import_tags_are_read_as_go_reads_them(page, repo):
    assert go_import_repo(page, "c.example/x/pkg") == repo


def test_a_bomb_inflates_only_so_far():
    bomb = gzip.compress(b"\0" * (64 << 20))  # 64 MiB of zeros in about 64 KiB
    assert len(bomb) < 100_000
    assert len(body_head(answer(bomb, "gzip"))) == BODY_HEAD


def test_a_gzip_body_that_does_not_decode_is_never_shown_as_text():
    assert body_head(answer(b"\x1f\x8b not gzip at all", "gzip")) == b""
