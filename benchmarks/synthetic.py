"""Synthetic recordings and flows for the benchmarks (realistic shapes, no network)."""

from __future__ import annotations

import json
from pathlib import Path

from goscope.core.gorules.goenv import GoEnv
from goscope.core.traffic.recording import header_line, sender_line

ENDPOINTS = ("mod", "info", "zip")


def event_fields(seq: int) -> tuple[str, str, str, str, str | None, int, bool]:
    """What request number `seq` is: the shape of a real fallthrough session.

    Per module, for .mod, .info and .zip: the corporate proxy answers 404, go
    asks again (GOAUTH retry), proxy.golang.org serves; then a sumdb lookup.
    """
    n = seq - 1
    module = f"example.com/gen/m{n // 10:06d}"
    step = n % 10
    if step == 9:
        return (
            f"https://sum.golang.org/lookup/{module}@v1.0.0",
            "sum.golang.org",
            "sumdb",
            "lookup",
            None,
            200,
            False,
        )
    endpoint = ENDPOINTS[step // 3]
    host = ("goproxy.corp.example", "goproxy.corp.example", "proxy.golang.org")[step % 3]
    url = f"https://{host}/{module}/@v/v1.0.0.{endpoint}"
    status = 200 if host == "proxy.golang.org" else 404
    return url, host, "proxy", endpoint, f"https://{host}", status, step % 3 == 1


def event_line(seq: int) -> str:
    """One event as the proxy writes it, headers and all."""
    url, host, kind, endpoint, proxy, status, retry = event_fields(seq)
    module = (
        url.split("/lookup/")[-1].split("@")[0]
        if kind == "sumdb"
        else url.split("/", 3)[3].split("/@v/")[0]
    )
    event = {
        "seq": seq,
        "started": f"2026-11-25T08:{seq // 60000 % 60:02d}:{seq // 1000 % 60:02d}.{seq % 1000:03d}+00:00",
        "method": "GET",
        "url": url,
        "host": host,
        "kind": kind,
        "endpoint": endpoint,
        "module": module,
        "version": "v1.0.0",
        "proxy": proxy,
        "client": "go",
        "status": status,
        "error": None,
        "duration_ms": 3.5 + seq % 17,
        "response_bytes": 420 + seq % 4096,
        "auth_retry": retry,
        "flags": [],
        "sumdb": "sum.golang.org" if kind == "sumdb" else None,
        "request_headers": [
            ["user-agent", "GoCommand/1 (+https://go.dev/cmd/go)"],
            ["accept-encoding", "gzip"],
        ],
        "response_headers": [
            ["Content-Type", "text/plain; charset=utf-8"],
            ["Content-Length", "420"],
            ["Date", "Wed, 25 Nov 2026 08:00:00 GMT"],
        ],
        "preview": None,
        "repo": None,
        # What the proxy records today: the sender (one go process) and the transport.
        "sender": 1,
        "redirected_from": None,
        "client_http": "HTTP/2.0",
        "upstream_http": "HTTP/1.1",
        "upstream_tls": "TLSv1.3",
        "upstream_issuer": "CN=GTS Root R1,O=Google Trust Services LLC,C=US",
        "upstream_public_root": True,
    }
    return json.dumps(event, separators=(",", ":"))


SENDER = {
    "id": 1,
    "pid": 4242,
    "program": "go",
    "command": ["go", "mod", "download"],
    "cwd": "/home/dev/project",
    "environment": None,
    "variables": {},
    "note": None,
}


def write_recording(path: Path, count: int) -> Path:
    env = GoEnv.from_mapping(
        {"GOPROXY": "https://goproxy.corp.example,https://proxy.golang.org,direct"}
    )
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(header_line(env.to_dict()) + "\n")
        fh.write(sender_line({**SENDER, "environment": env.to_dict()}) + "\n")
        chunk = []
        for seq in range(1, count + 1):
            chunk.append(event_line(seq))
            if len(chunk) == 10000:
                fh.write("\n".join(chunk) + "\n")
                chunk = []
        if chunk:
            fh.write("\n".join(chunk) + "\n")
    return path
