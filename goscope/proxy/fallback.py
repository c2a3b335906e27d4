"""The least goscope can say of a request it failed to describe: built so that it cannot
fail again (the addon counts the failure; the verdict is incomplete)."""

from __future__ import annotations

import contextlib
import time

from mitmproxy import http

from goscope.core.safe.redact import redact_url
from goscope.core.traffic.events import Event, visible_event

from .stamps import iso_ms

__all__ = ["fallback_event"]


def fallback_event(flow: http.HTTPFlow, seq: int) -> Event:
    try:
        url = redact_url(flow.metadata.get("goscope_url") or flow.request.pretty_url)
        host = flow.request.pretty_host
        method = flow.request.method
    except Exception:
        url, host, method = "", "", ""
    status = None
    with contextlib.suppress(Exception):
        status = flow.response.status_code if flow.response else None
    event = Event(
        seq=seq,
        started=iso_ms(time.time()),
        method=method,
        url=url,
        host=host,
        status=status,
        flags=["goscope-error"],
        error=None,
    )
    with contextlib.suppress(Exception):
        visible_event(event)
    return event
