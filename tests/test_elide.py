"""module@version in a narrow column: the version whole, the path cut in its middle."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from goscope.core.view.elide import ELLIPSIS, elide_middle, elide_module

ELEMENT = st.text("abcdefghijklmnopqrstuvwxyz0123456789.-_~", min_size=1, max_size=24)
PATHS = st.lists(ELEMENT, min_size=1, max_size=9).map("/".join)
VERSIONS = st.one_of(
    st.just(""),
    st.from_regex(r"v[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}(-[a-z0-9.]{1,30})?", fullmatch=True),
)


@given(PATHS, VERSIONS, st.integers(min_value=1, max_value=140))
def test_elided_fits_and_keeps_the_version(path, version, width):
    at = f"@{version}" if version else ""
    out = elide_module(path, version, width)
    if len(path + at) <= width:
        assert out == path + at  # nothing cut that fits
        return
    assert len(out) <= width and out.count(ELLIPSIS) == 1
    if width >= len(at) + 3:
        # The version whole; what is left of the path is its start and its end.
        assert out.endswith(at)
        start, end = out[: len(out) - len(at)].split(ELLIPSIS)
        assert path.startswith(start) and path.endswith(end)
        assert len(start) + len(end) < len(path)
    else:
        assert (path + at).endswith(out[1:])  # the version's end, marked as cut


def test_the_shapes_a_reader_sees():
    otlp = "go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
    assert elide_module(otlp, "v1.28.0", 44) == "go.opentelemetry.io/…/otlptracegrpc@v1.28.0"
    assert elide_module(otlp, "v1.28.0", 40) == "go.opentelemetry.…/otlptracegrpc@v1.28.0"
    assert elide_module("google.golang.org/protobuf", "v1.34.2", 30) == (
        "google.golan…/protobuf@v1.34.2"
    )
    assert elide_module("git.corp.example.com/team/secret", "v1.2.3", 60) == (
        "git.corp.example.com/team/secret@v1.2.3"
    )


@given(st.text(max_size=200), st.integers(min_value=0, max_value=120))
def test_free_text_keeps_its_start_and_end(text, width):
    out = elide_middle(text, width)
    assert len(out) <= width
    if len(text) <= width:
        assert out == text
    elif width > 1:
        front, back = (width - 1) // 2, width - 1 - (width - 1) // 2
        assert out == text[:front] + ELLIPSIS + text[len(text) - back :]
        assert back >= front  # the end says what a path asks for
