"""Module path/version case-encoding must agree with x/mod."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from goscope.core.gorules.escaping import decode_wire, escape, unescape


def test_examples_from_the_proxy_protocol():
    assert unescape("github.com/!azure/azure-sdk-for-go") == "github.com/Azure/azure-sdk-for-go"
    assert unescape("v1.0.0-!r!c1") == "v1.0.0-RC1"
    assert escape("github.com/BurntSushi/toml") == "github.com/!burnt!sushi/toml"
    assert decode_wire("github.com/%21burnt%21sushi/toml") == ("github.com/BurntSushi/toml", True)
    assert decode_wire("v0.3.0-%21beta.2") == ("v0.3.0-Beta.2", True)


def test_invalid_encodings_are_reported_not_raised():
    assert unescape("github.com/Azure/x") is None  # uppercase is never on the wire
    assert unescape("trailing!") is None
    assert unescape("!1") is None
    assert decode_wire("github.com/Azure") == ("github.com/Azure", False)
    assert escape("has!bang") is None


wire = st.text(alphabet="abcXYZ!%21.-_~/0123456789", max_size=24)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(wire)
def test_unescape_agrees_with_go(goref, s):
    want = goref.ask("unescape_version", s=s)
    got = unescape(s)
    if want["ok"]:
        assert got == want["out"]
    else:
        # Go also rejects names that are not valid file names; ours only decodes.
        assert got is None or not _valid_elem(got)


def _valid_elem(s: str) -> bool:
    return bool(s) and "/" not in s and s not in (".", "..") and not s.endswith(".")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet="abcXYZ.-_~0123456789", min_size=1, max_size=12))
def test_escape_round_trips_and_agrees_with_go(goref, s):
    want = goref.ask("escape_version", s=s)
    if want["ok"]:
        assert escape(s) == want["out"]
    assert unescape(escape(s)) == s
