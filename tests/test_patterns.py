"""GOPRIVATE-style patterns must match exactly as go's MatchPrefixPatterns does."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from goscope.core.gorules.patterns import (
    BadPattern,
    glob_error,
    match_prefix_patterns,
    matching_pattern,
    path_match,
)

# The cases of x/mod's TestMatchPrefixPatterns, plus GOPRIVATE examples from `go help private`.
CASES = [
    ("", "rsc.io/quote", False),
    ("/", "rsc.io/quote", False),
    ("*/quote", "rsc.io/quote", True),
    ("*/quo", "rsc.io/quote", False),
    ("*/quo??", "rsc.io/quote", True),
    ("*/quo*", "rsc.io/quote", True),
    ("*quo*", "rsc.io/quote", False),
    ("rsc.io", "rsc.io/quote", True),
    ("*.io", "rsc.io/quote", True),
    ("rsc.io/", "rsc.io/quote", True),
    ("rsc", "rsc.io/quote", False),
    ("rsc*", "rsc.io/quote", True),
    ("rsc.io", "rsc.io/quote/v3", True),
    ("*/quote", "rsc.io/quote/v3", True),
    ("*/quote/", "rsc.io/quote/v3", True),
    ("*/quote/*", "rsc.io/quote/v3", True),
    ("*/quote/*/", "rsc.io/quote/v3", True),
    ("*/v3", "rsc.io/quote/v3", False),
    ("*/*/v3", "rsc.io/quote/v3", True),
    ("*/*/*", "rsc.io/quote/v3", True),
    ("*/*/*", "rsc.io/quote", False),
    ("*/*/*/", "rsc.io/quote", False),
    ("*/*/*,,", "rsc.io/quote", False),
    ("*/*/*,,*/quote", "rsc.io/quote", True),
    (",,*/quote", "rsc.io/quote", True),
    ("*.corp.example.com,rsc.io/private", "git.corp.example.com/team/x", True),
    ("*.corp.example.com,rsc.io/private", "corp.example.com/team/x", False),
    ("*.corp.example.com,rsc.io/private", "rsc.io/private/quux", True),
    ("*.corp.example.com,rsc.io/private", "rsc.io/privateer", False),
    ("[a-c]*.io", "bsc.io/x", True),
    ("[^a-c]*.io", "bsc.io/x", False),
    ("[", "rsc.io/x", False),  # malformed: go ignores it
    ("rsc.io\\", "rsc.io", False),
]


@pytest.mark.parametrize(("globs", "target", "want"), CASES)
def test_go_cases(globs, target, want, goref):
    assert match_prefix_patterns(globs, target) is want
    assert goref.ask("match_prefix", globs=globs, target=target)["ok"] is want


def test_matching_pattern_names_the_glob_that_matched():
    assert matching_pattern("rsc.io/private/,*.corp.example.com", "a.corp.example.com/x") == (
        "*.corp.example.com"
    )
    assert matching_pattern("rsc.io/private", "rsc.io/public") is None


def test_glob_error_explains_malformed_globs():
    assert glob_error("git.corp.example.com") is None
    assert glob_error("[a-") is not None
    assert glob_error("x\\") is not None
    with pytest.raises(BadPattern):
        path_match("[", "x")


elements = st.text(alphabet="abcXY.-_~!*?[]^\\", min_size=0, max_size=5)
globs = st.lists(elements, min_size=1, max_size=4).map("/".join)
glob_lists = st.lists(globs, min_size=0, max_size=3).map(",".join)
targets = st.lists(
    st.text(alphabet="abcXY.-_~", min_size=1, max_size=5), min_size=1, max_size=5
).map("/".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(glob_lists, targets)
def test_match_prefix_patterns_agrees_with_go(goref, globs, target):
    want = goref.ask("match_prefix", globs=globs, target=target)["ok"]
    assert match_prefix_patterns(globs, target) is want


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(globs, targets)
def test_path_match_agrees_with_go(goref, glob, name):
    want = goref.ask("path_match", globs=glob, target=name)
    try:
        got = path_match(glob, name)
    except BadPattern:
        assert want.get("error") == "syntax error in pattern"
    else:
        assert "error" not in want
        assert got is want["ok"]
