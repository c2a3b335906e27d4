"""Exports: the recording, the report JSON, a HAR file, and a request as curl."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import time
from pathlib import Path

from goscope.core.events import Event, read_recording
from goscope.core.goenv import GoEnv
from goscope.core.redact import REDACTED, redact_headers, redact_url
from goscope.core.report import build_report

CURL_HEADERS = {"user-agent", "accept", "git-protocol", "content-type"}


def curl_command(event: Event, proxy_url: str | None = None, ca_bundle: str | None = None) -> str:
    """The request as a curl command line, through goscope when it is running."""
    parts = ["curl", "-sS", "-i"]
    if event.method != "GET":
        parts += ["-X", event.method]
    if proxy_url:
        parts += ["--proxy", proxy_url]
    if ca_bundle:
        parts += ["--cacert", ca_bundle]
    for name, value in redact_headers(event.request_headers):
        if name.lower() in CURL_HEADERS and REDACTED not in value:
            parts += ["-H", f"{name}: {value}"]
    parts.append(redact_url(event.url))
    return " ".join(shlex.quote(p) for p in parts)


def har_entry(event: Event) -> dict:
    headers = [{"name": n, "value": v} for n, v in redact_headers(event.request_headers)]
    response_headers = [{"name": n, "value": v} for n, v in redact_headers(event.response_headers)]
    return {
        "startedDateTime": event.started,
        "time": event.duration_ms or 0,
        "request": {
            "method": event.method,
            "url": redact_url(event.url),
            "httpVersion": "HTTP/1.1",
            "headers": headers,
            "queryString": [],
            "cookies": [],
            "headersSize": -1,
            "bodySize": -1,
        },
        "response": {
            "status": event.status or 0,
            "statusText": event.error or "",
            "httpVersion": "HTTP/1.1",
            "headers": response_headers,
            "cookies": [],
            "content": {
                "size": max(event.response_bytes or 0, 0),
                "mimeType": "",
                "text": event.preview or "",
            },
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": event.response_bytes if event.response_bytes is not None else -1,
        },
        "cache": {},
        "timings": {"send": 0, "wait": event.duration_ms or 0, "receive": 0},
        "_goscope": {
            "seq": event.seq,
            "kind": event.kind,
            "endpoint": event.endpoint,
            "module": event.module,
            "version": event.version,
            "auth_retry": event.auth_retry,
        },
    }


def har_document(events: list[Event]) -> dict:
    return {
        "log": {
            "version": "1.2",
            "creator": {"name": "goscope", "version": "0.1.0"},
            "entries": [har_entry(e) for e in events],
        }
    }


def _private_write(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


def export_session(
    recording: str,
    directory: Path,
    private: str = "",
    trusted: list[str] | None = None,
    stem: str | None = None,
) -> list[Path]:
    """Write <stem>.jsonl, .json and .har; returns their paths."""
    stem = stem or time.strftime("goscope-%Y%m%d-%H%M%S")
    directory.mkdir(parents=True, exist_ok=True)
    rec = read_recording(recording, skip_bad=True)
    out_jsonl = directory / f"{stem}.jsonl"
    shutil.copyfile(recording, out_jsonl)
    os.chmod(out_jsonl, 0o600)
    env = GoEnv.from_dict(rec.header.get("environment") or {})
    report = build_report(
        rec.events, env, private=private, trusted=trusted or [], command=rec.header.get("command")
    )
    out_json = directory / f"{stem}.json"
    _private_write(out_json, json.dumps(report.to_dict(), indent=2) + "\n")
    out_har = directory / f"{stem}.har"
    _private_write(out_har, json.dumps(har_document(rec.events), indent=2) + "\n")
    return [out_jsonl, out_json, out_har]
