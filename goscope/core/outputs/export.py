"""Exports: the recording, the report JSON, a HAR file, and a request as curl.

Every file goscope writes goes through `write_private`: a temporary file in
the same directory, readable only by the user, renamed into place, so a
symlink at the destination is replaced, never written through.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import tempfile
import time
from pathlib import Path
from urllib.parse import urljoin

from goscope import __version__

from ..safe.files import write_all
from ..safe.jsontext import pretty_json
from ..safe.redact import REDACTED, redact_headers, redact_url
from ..traffic.events import Event
from .report import Report, report_from_recording

CURL_HEADERS = {"user-agent", "accept", "git-protocol", "content-type"}


def curl_command(event: Event, proxy_url: str | None = None, ca_bundle: str | None = None) -> str:
    """The request as a curl command line, through goscope when it is running.

    Through goscope it names the proxy and the CA as a wired shell holds them
    (`"$HTTPS_PROXY"`, `"$CURL_CA_BUNDLE"`, from `goscope shell` or `goscope env`): the
    proxy URL carries the run's secret, which never goes on the screen or the clipboard.
    """
    parts = ["curl", "-sS", "-i"]
    if event.method != "GET":
        parts += ["-X", event.method]
    for name, value in redact_headers(event.request_headers):
        if name.lower() in CURL_HEADERS and REDACTED not in value:
            parts += ["-H", f"{name}: {value}"]
    parts.append(redact_url(event.url))
    line = " ".join(shlex.quote(p) for p in parts)
    if proxy_url or ca_bundle:
        line = line.replace(
            "curl -sS -i", 'curl -sS -i --proxy "$HTTPS_PROXY" --cacert "$CURL_CA_BUNDLE"', 1
        )
    return line


def _header(headers: list[dict[str, str]], name: str) -> str:
    return next((h["value"] for h in headers if h["name"].lower() == name), "")


def har_entry(event: Event) -> dict:
    headers = [{"name": n, "value": v} for n, v in redact_headers(event.request_headers)]
    response_headers = [{"name": n, "value": v} for n, v in redact_headers(event.response_headers)]
    # As the recording saw them: go's request to goscope (client_http) and the server's
    # answer (upstream_http); "" where the recording does not say (never a guess).
    request_http = event.client_http or event.upstream_http or ""
    response_http = event.upstream_http or event.client_http or ""
    location = _header(response_headers, "location") if 300 <= (event.status or 0) < 400 else ""
    return {
        "startedDateTime": event.started,
        "time": event.duration_ms or 0,
        "request": {
            "method": event.method,
            "url": redact_url(event.url),
            "httpVersion": request_http,
            "headers": headers,
            "queryString": [],
            "cookies": [],
            "headersSize": -1,
            "bodySize": -1,
        },
        "response": {
            "status": event.status or 0,
            "statusText": event.error or "",
            "httpVersion": response_http,
            "headers": response_headers,
            "cookies": [],
            "content": {
                "size": max(event.response_bytes or 0, 0),
                "mimeType": _header(response_headers, "content-type"),
                "text": event.preview or "",
            },
            "redirectURL": redact_url(urljoin(event.url, location)) if location else "",
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
            "creator": {"name": "goscope", "version": __version__},
            "entries": [har_entry(e) for e in events],
        }
    }


class OutputError(Exception):
    """A report or export file that cannot be written (one line)."""


def write_private(path: str | Path, data: str | bytes) -> None:
    """Write a whole file, 0600, atomically; OutputError says why it could not be."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as fh:  # mkstemp creates it 0600
            fh.write(data.encode() if isinstance(data, str) else data)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None


def write_summary(path: str | Path, text: str) -> None:
    """Markdown for people. GitHub's job summary file ($GITHUB_STEP_SUMMARY) is appended
    to, as GitHub says to write it: a second goscope in the step, or a heading echoed into
    it first, was replaced. Any other file is written whole, as write_private writes."""
    step = os.environ.get("GITHUB_STEP_SUMMARY")
    if not step or os.path.abspath(path) != os.path.abspath(step):
        write_private(path, text)
        return
    try:  # never through a link: O_NOFOLLOW, as write_private's rename never follows one
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        # All or nothing, as a rename gives the other files: a full disk cut the summary
        # after "0 failed · 0 leaks", before the INCOMPLETE and its reasons, and what stayed
        # read clean. Cut back to what the file held before.
        write_all(fd, text.encode(), cut_back=True)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def write_report(path: str | Path, report: Report) -> None:
    # pretty_json: a byte of the command line or environment that is not UTF-8 would be
    # written as a lone surrogate's escape, which goscope's readers (diff, audit) refuse.
    write_private(path, pretty_json(report.to_dict()) + "\n")


def export_session(
    recording: str,
    directory: Path,
    private: str = "",
    trusted: list[str] | None = None,
    stem: str | None = None,
    exit_code: int | None = None,
    go_output: list[str] | None = None,
) -> list[Path]:
    """Write <stem>.jsonl, .json and .har; returns their paths.

    A live session's recording has no end line yet: the caller passes the command's exit
    status and go's output, so the report carries go's verdict all the same.
    """
    stem = stem or time.strftime("goscope-%Y%m%d-%H%M%S")
    directory.mkdir(parents=True, exist_ok=True)
    report = report_from_recording(
        recording, private, trusted or [], exit_code=exit_code, skip_bad=True, go_output=go_output
    )
    out_jsonl, out_json, out_har = (directory / f"{stem}.{ext}" for ext in ("jsonl", "json", "har"))
    with open(recording, "rb") as fh:
        write_private(out_jsonl, fh.read())
    write_report(out_json, report)
    write_private(out_har, pretty_json(har_document(report.events)) + "\n")
    return [out_jsonl, out_json, out_har]
