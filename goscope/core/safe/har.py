"""A HAR export, redacted: mitmproxy's HAR keeps every header, cookie and body.

The same rules as every other output (redact.py): URLs, headers, GOAUTH's headers,
cookies, secret query and form parameters, bodies' text, and a last pass over the
whole document for known token shapes.
"""

from __future__ import annotations

import base64
from typing import Any

from goscope.core.safe.redact import (
    PATH_PARAM,
    REDACTED,
    client_of_agent,
    is_secret_query,
    path_param,
    redact_free_text,
    redact_goauth_headers,
    redact_headers,
    redact_url,
    token_shapes,
)


def redact_har(har: dict) -> dict:
    """Redact a HAR document in place (mitmproxy's export keeps every header)."""
    for entry in har.get("log", {}).get("entries", []):
        for side in ("request", "response"):
            part = entry.get(side) or {}
            if "url" in part:
                part["url"] = redact_url(part["url"])
            if "redirectURL" in part and part["redirectURL"]:
                part["redirectURL"] = redact_url(part["redirectURL"])
            pairs = redact_headers(
                [(h.get("name", ""), h.get("value", "")) for h in part.get("headers", [])]
            )
            if side == "request":
                agent = next((v for n, v in pairs if n.lower() == "user-agent"), "")
                pairs = redact_goauth_headers(pairs, client_of_agent(agent))
            part["headers"] = [{"name": name, "value": value} for name, value in pairs]
            for cookie in part.get("cookies", []):
                cookie["value"] = REDACTED
            for item in part.get("queryString", []):
                value = str(item.get("value", ""))
                if is_secret_query(str(item.get("name", "")), value):
                    item["value"] = REDACTED
                elif ";" in value:  # ?q=1;token=…
                    item["value"] = PATH_PARAM.sub(path_param, ";" + value)[1:]
            _redact_har_body(part.get("content"))  # response.content
            _redact_har_body(part.get("postData"))  # request.postData
    return _redact_token_shapes(har)


def _redact_token_shapes(node: object) -> Any:
    """The last pass: a known token shape anywhere in the document (a key-less query
    name, a header goscope did not foresee) is redacted."""
    if isinstance(node, str):
        return token_shapes().sub(REDACTED, node)
    if isinstance(node, list):
        return [_redact_token_shapes(item) for item in node]
    if isinstance(node, dict):
        return {key: _redact_token_shapes(value) for key, value in node.items()}
    return node


def _redact_har_body(body: dict | None) -> None:
    """A HAR body's text (bodies echo tokens, forms carry passwords), and its params."""
    if not isinstance(body, dict):
        return
    text = body.get("text")
    if isinstance(text, str) and text:
        if body.get("encoding") == "base64":
            try:
                decoded = base64.b64decode(text, validate=True).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                decoded = None  # binary (a module zip): nothing text-shaped to redact
            if decoded is not None:
                body["text"] = redact_free_text(decoded)
                body.pop("encoding")
        else:
            body["text"] = redact_free_text(text)
    for param in body.get("params") or []:
        if isinstance(param, dict) and is_secret_query(
            str(param.get("name", "")), str(param.get("value", ""))
        ):
            param["value"] = REDACTED
