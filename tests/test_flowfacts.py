"""flowfacts reads a request as mitmproxy's own properties do: they are the oracle."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from mitmproxy import http

from goscope.proxy.flowfacts import header, pretty_url_and_host

# Header names in any case, some of them the ones the addon asks for; values with bytes that
# are not UTF-8 and with commas (folded values).
NAMES = st.sampled_from(
    [b"Host", b"host", b"HOST", b"User-Agent", b"user-agent", b"Location", b"X-Other", b"hOsT"]
)
VALUES = st.one_of(
    st.sampled_from(
        [
            b"proxy.golang.org",
            b"proxy.golang.org:8443",
            b"[::1]:8080",
            b"[::1]",
            b"127.0.0.1:0",
            b"h:99999",
            b"h:x",
            b"",
            b"ex\xffample.com",
            b"GoCommand/1",
            b"a, b",
            b"xn--bcher-kva.example",
            b"B\xc3\xbccher.example",
        ]
    ),
    st.binary(max_size=12),
)
HEADERS = st.lists(st.tuples(NAMES, VALUES), max_size=5)


@st.composite
def requests(draw: st.DrawFn) -> http.Request:
    return http.Request(
        host=draw(st.sampled_from(["proxy.golang.org", "127.0.0.1", "::1", "h"])),
        port=draw(st.sampled_from([80, 443, 8080])),
        method=draw(st.sampled_from([b"GET", b"HEAD", b"CONNECT", b"connect", b"get"])),
        scheme=draw(st.sampled_from([b"http", b"https", b""])),
        authority=draw(st.sampled_from([b"", b"proxy.golang.org", b"auth.example:8443", b"\xff"])),
        path=draw(st.sampled_from([b"/", b"/m/@v/list", b"*", b"/%ff\xff", b""])),
        http_version=draw(st.sampled_from([b"HTTP/1.1", b"HTTP/1.0", b"HTTP/2.0", b"HTTP/3"])),
        headers=http.Headers(draw(HEADERS)),
        content=b"",
        trailers=None,
        timestamp_start=0.0,
        timestamp_end=None,
    )


def _same(fast, slow) -> None:
    """Both answers, or both the same exception."""
    try:
        expected = slow()
    except Exception as exc:
        try:
            fast()
        except type(exc):
            return
        raise AssertionError(f"mitmproxy raised {exc!r}, flowfacts did not") from None
    assert fast() == expected


@settings(max_examples=600, deadline=None)
@given(requests())
def test_pretty_url_and_host_are_mitmproxys(req):
    _same(lambda: pretty_url_and_host(req), lambda: (req.pretty_url, req.pretty_host))


@settings(max_examples=600, deadline=None)
@given(HEADERS, st.sampled_from([b"host", b"user-agent", b"location", b"x-missing"]))
def test_header_is_mitmproxys_get(fields, name):
    headers = http.Headers(fields)
    assert header(headers, name) == headers.get(name.decode())
