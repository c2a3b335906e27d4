"""Secrets never leave goscope: credentials in URLs and headers are redacted.

Used for every event, report, recording and export. The URL form follows Go's
`url.URL.Redacted` (the password becomes `xxxxx`), so goscope's URLs line up
with what `go -x` prints.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

REDACTED = "REDACTED"

# Headers whose value is a URL that may carry a signature (presigned redirects).
URL_HEADERS = frozenset({"location", "content-location", "link", "referer"})

SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "x-auth-token",
        "private-token",
        "job-token",
        "x-goog-api-key",
        "x-jfrog-art-api",
    }
)

_SECRET_KEY = re.compile(
    r"(token|secret|passw(or)?d|pwd|api[-_]?key|apikey|access[-_]?key|auth|credential|"
    r"session|signature|^sig$|^key$|x-amz-security|x-amz-credential)",
    re.IGNORECASE,
)
# Values that are tokens whatever their key: GitHub, GitLab, Slack, AWS, JWTs.
_SECRET_VALUE = re.compile(
    r"^(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_\w{20,}|glpat-[\w-]{20,}|xox[abpr]-[\w-]+|"
    r"AKIA[0-9A-Z]{16}|eyJ[\w-]+\.[\w-]+\.[\w-]+)$"
)


def is_secret_query(key: str, value: str) -> bool:
    return bool(_SECRET_KEY.search(key) or _SECRET_VALUE.match(value))


def redact_url(url: str) -> str:
    """Remove the password from userinfo and token-like query values."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return _redact_unparseable(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, colon, _password = userinfo.partition(":")
        netloc = f"{user}:xxxxx@{hostport}" if colon else f"{user}@{hostport}"
        if not colon and _SECRET_VALUE.match(user):
            netloc = f"{REDACTED}@{hostport}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(is_secret_query(k, v) for k, v in pairs):
            query = urlencode(
                [(k, REDACTED if is_secret_query(k, v) else v) for k, v in pairs],
                quote_via=quote,
                safe="/:",
            )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


# The password runs to the last @ before the host: Go accepts @ inside userinfo.
# (In GOPROXY, `,` and `|` separate entries before any URL is parsed.)
_USERINFO_PASSWORD = re.compile(r"(//[^/@:,|\s]*):[^/,|\s]*@")


def redact_userinfo(text: str) -> str:
    """Passwords in every URL of a free-form value (a GOPROXY list, GOSUMDB, GOFLAGS)."""
    return _USERINFO_PASSWORD.sub(r"\1:xxxxx@", text)


def _redact_unparseable(url: str) -> str:
    return re.sub(r"//[^/@]*@", "//xxxxx@", url)


def redact_headers(
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | Iterable[list[str]],
) -> list[list[str]]:
    """Headers as [name, value] pairs with credentials replaced."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    out = []
    for name, value in items:
        name, value = str(name), str(value)
        lower = name.lower()
        if lower in SECRET_HEADERS:
            scheme = value.split(" ", 1)[0] if " " in value else ""
            value = f"{scheme} {REDACTED}" if scheme.isalpha() else REDACTED
        elif lower in URL_HEADERS:
            value = redact_free_text(redact_url(value) if lower != "link" else value)
        out.append([name, value])
    return out


_TEXT_SECRETS = (
    (re.compile(r"(//[^/@:\s\"']*):[^/\s\"']*@"), r"\1:xxxxx@"),
    (re.compile(r"\b(Bearer|Basic|token)\s+[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE), r"\1 REDACTED"),
    (
        re.compile(
            r"([\w.-]*(?:token|secret|passw(?:or)?d|pwd|api[-_]?key|apikey|credential|session|"
            r"signature|sig|auth)[\w.-]*)=[^&\s\"'<>]+",
            re.IGNORECASE,
        ),
        r"\1=REDACTED",
    ),
    (
        re.compile(
            r"\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_\w{20,}|glpat-[\w-]{20,}|AKIA[0-9A-Z]{16})"
        ),
        "REDACTED",
    ),
)


def redact_free_text(text: str) -> str:
    """Credentials inside free text: an error message or a body that echoes a URL."""
    for pattern, replacement in _TEXT_SECRETS:
        text = pattern.sub(replacement, text)
    return text


def redact_har(har: dict) -> dict:
    """Redact a HAR document in place (mitmproxy's export keeps every header)."""
    for entry in har.get("log", {}).get("entries", []):
        for side in ("request", "response"):
            part = entry.get(side) or {}
            if "url" in part:
                part["url"] = redact_url(part["url"])
            if "redirectURL" in part and part["redirectURL"]:
                part["redirectURL"] = redact_url(part["redirectURL"])
            part["headers"] = [
                {"name": name, "value": value}
                for name, value in redact_headers(
                    [(h.get("name", ""), h.get("value", "")) for h in part.get("headers", [])]
                )
            ]
            for cookie in part.get("cookies", []):
                cookie["value"] = REDACTED
            for item in part.get("queryString", []):
                if is_secret_query(item.get("name", ""), item.get("value", "")):
                    item["value"] = REDACTED
    return har
