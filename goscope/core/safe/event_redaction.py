"""An event read from a recording, redacted again: a recording may come from an older
goscope, or be crafted; what goscope shows or reports from it is redacted all the same."""

from __future__ import annotations

from typing import Any

from .redact import (
    redact_free_text,
    redact_goauth_headers,
    redact_headers,
    redact_host,
    redact_repeated_path,
    redact_repeated_url,
    redact_url,
)


def redact_listed(event: Any) -> Any:
    """The fields a recording's event keeps in the TUI's lists, chains and verdicts (its
    URL, host, module, version, entry, repository and error), redacted again, as redact_event
    does them: an older or crafted recording showed its tokens there, while the detail pane's
    read-back (redact_event) hid them. Headers and preview are read back, not kept."""
    event.url = redact_url(event.url)
    event.host = redact_host(event.host)
    if event.proxy:
        event.proxy = redact_repeated_url(event.proxy)
    if event.repo:
        event.repo = redact_url(event.repo)
    if event.module:
        event.module = redact_repeated_path(event.module)
    if event.version:
        event.version = redact_repeated_path(event.version)
    if event.error:
        event.error = redact_free_text(event.error)
    return event


def redact_event(event: Any) -> Any:
    """Every text field of an event, redacted again: a recording may come from an older
    goscope, or be crafted; what goscope shows or reports from it is redacted all the same.
    The listed fields as redact_listed does them (the repeated ones scanned once while
    clean: the same text), then what only a read-back holds, headers and preview."""
    redact_listed(event)
    event.request_headers = redact_goauth_headers(
        redact_headers(event.request_headers), event.client
    )
    event.response_headers = redact_headers(event.response_headers)
    if event.preview:
        event.preview = redact_free_text(event.preview)
    return event
