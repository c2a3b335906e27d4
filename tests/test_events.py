"""Recordings round-trip, and bad ones name the line that is wrong."""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from goscope.core.safe.redact import redact_headers, redact_url
from goscope.core.traffic.events import SCHEMA_VERSION, Event
from goscope.core.traffic.recording import (
    RecordingError,
    header_line,
    read_recording,
    write_recording,
)

from .factories import event


def test_round_trip(tmp_path):
    events = [
        event("https://proxy.golang.org/rsc.io/quote/@v/v1.5.2.info", 200, duration_ms=12.5, seq=1)
    ]
    path = tmp_path / "r.jsonl"
    with path.open("w") as fh:
        write_recording(fh, events, {"GOPROXY": "https://proxy.golang.org,direct"}, exit_code=0)
    rec = read_recording(str(path))
    assert rec.header["schema_version"] == SCHEMA_VERSION
    assert rec.events == events and rec.end["exit_code"] == 0 and rec.incomplete() == []
    assert json.loads(events[0].to_json())["module"] == "rsc.io/quote"


@pytest.mark.parametrize(
    ("content", "line", "reason"),
    [
        (b"", 1, "empty file"),
        (b'{"seq": 1}\n', 1, "not a goscope recording"),
        (b'{"format": "goscope-recording", "schema_version": 99}\n', 1, "schema_version 99"),
        (header_line().encode() + b"\n\xff\xfe\n", 2, "not UTF-8"),
        (header_line().encode() + b"\n[1, 2]\n", 2, "not an event: not a JSON object"),
        (header_line().encode() + b'\n{"seq": 1}\n', 2, "not an event"),
    ],
)
def test_bad_recordings_name_the_line(content, line, reason):
    with pytest.raises(RecordingError) as info:
        read_recording(io.BytesIO(content), name="r.jsonl")
    assert info.value.line == line and reason in str(info.value)
    assert str(info.value).startswith(f"r.jsonl:{line}: ")


def test_a_recording_cut_off_mid_line_keeps_what_came_before_and_says_so():
    good = event("https://proxy.golang.org/rsc.io/quote/@latest").to_json()
    content = f"{header_line()}\n{good}\n".encode() + b'{"seq": 2, "star'
    rec = read_recording(io.BytesIO(content), name="r.jsonl")
    assert len(rec.events) == 1 and rec.cut == 3 and rec.end is None
    reasons = rec.incomplete()
    assert any("ends in the middle of line 3" in r for r in reasons)
    assert any("no end line" in r for r in reasons)
    # a corrupt line that is not the last, or has its newline, is still bad input
    with pytest.raises(RecordingError, match="r.jsonl:2: invalid JSON"):
        read_recording(io.BytesIO(f"{header_line()}\n{{oops\n{good}\n".encode()), name="r.jsonl")


def test_skip_bad_keeps_the_good_lines_and_counts_the_bad():
    good = event("https://proxy.golang.org/rsc.io/quote/@latest").to_json()
    content = f"{header_line()}\n{good}\n{{broken\n{good}\n".encode()
    rec = read_recording(io.BytesIO(content), skip_bad=True, name="r.jsonl")
    assert len(rec.events) == 2 and [e.line for e in rec.skipped] == [3]


def test_missing_file_is_a_recording_error():
    with pytest.raises(RecordingError, match="No such file"):
        read_recording("/nonexistent/r.jsonl")


def test_unknown_fields_from_newer_writers_are_ignored():
    data = event("https://proxy.golang.org/rsc.io/quote/@latest").to_dict() | {"future": 1}
    assert Event.from_dict(data).module == "rsc.io/quote"


def test_url_credentials_and_tokens_are_redacted():
    assert redact_url("https://user:hunter2@goproxy.corp.example/x/@v/list") == (
        "https://user:xxxxx@goproxy.corp.example/x/@v/list"
    )
    assert redact_url("https://ghp_abcdefghijklmnopqrstuvwxyz0123@github.com/x") == (
        "https://REDACTED@github.com/x"
    )
    redacted = redact_url("https://h.example/p?access_token=s3cr3t&go-get=1&X-Amz-Signature=abc")
    assert "s3cr3t" not in redacted and "abc" not in redacted and "go-get=1" in redacted
    assert redact_url("https://h.example/p?go-get=1") == "https://h.example/p?go-get=1"


_URL_CHARS = st.sampled_from(list("abcXYZ019-._~!$&'()*+,;=:@/?#%[] \t\u00e9") + ["ghp_", "%21"])


@settings(max_examples=400, deadline=None)
@given(
    scheme=st.sampled_from(["https://", "http://", "HTTPS://", "ftp://", ""]),
    rest=st.lists(_URL_CHARS, max_size=40).map("".join),
    token=st.sampled_from(["", "ghp_" + "A1b2C3d4E5f6G7h8I9j0" * 2, ";jsessionid=abc"]),
)
def test_the_fast_path_of_redact_url_answers_as_the_parse_does(scheme, rest, token):
    # go's plain URLs skip urlsplit; every URL gets the answer the full parse gives.
    from goscope.core.safe.redact import _redact_parsed_url

    url = scheme + rest + token + rest
    assert redact_url(url) == _redact_parsed_url(url)


def test_secret_headers_are_redacted_keeping_the_scheme():
    headers = redact_headers(
        [("Authorization", "Basic dXNlcjpodW50ZXIy"), ("Cookie", "a=b"), ("Accept", "*/*")]
    )
    assert headers == [
        ["Authorization", "Basic REDACTED"],
        ["Cookie", "REDACTED"],
        ["Accept", "*/*"],
    ]


def test_environment_in_reports_has_no_passwords():
    from goscope.core.gorules.goenv import GoEnv

    env = GoEnv.from_mapping({"GOPROXY": "https://u:pw123@a.example/p,https://b.example|direct"})
    assert (
        env.to_dict()["GOPROXY"]["value"] == "https://u:xxxxx@a.example/p,https://b.example|direct"
    )
    again = GoEnv.from_dict(env.to_dict())
    assert again.proxy_list.indices_of_base("https://a.example/p") == (
        0,
    )  # still usable for chains


def test_free_text_secrets_are_redacted():
    from goscope.core.safe.redact import redact_free_text

    text = (
        "not found: https://u:hunter22@h.example/x?access_token=abc123&go-get=1 "
        "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc ghp_abcdefghijklmnopqrstuvwxyz0123"
    )
    clean = redact_free_text(text)
    for secret in ("hunter22", "abc123", "eyJhbGciOiJIUzI1NiJ9", "ghp_abcdefghij"):
        assert secret not in clean
    assert "go-get=1" in clean and "u:xxxxx@h.example" in clean


def test_presigned_redirects_are_redacted():
    headers = redact_headers(
        [
            (
                "Location",
                "https://b.s3.example/m.zip?X-Amz-Credential=AKIAXYZ&X-Amz-Signature=abc123&v=1",
            )
        ]
    )
    assert headers == [
        [
            "Location",
            "https://b.s3.example/m.zip?X-Amz-Credential=REDACTED&X-Amz-Signature=REDACTED&v=1",
        ]
    ]
