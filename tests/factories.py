"""Events as the proxy would produce them, for unit tests of the core."""

from __future__ import annotations

import itertools

from goscope.core.gorules.goenv import GoEnv
from goscope.core.traffic.classify import classify_request
from goscope.core.traffic.events import Event

GO_UA = {"User-Agent": "GoCommand/1 (+https://go.dev/cmd/go)"}
GIT_UA = {"User-Agent": "git/2.39.5"}
_seq = itertools.count(1)


def event(
    url, status=200, error=None, method="GET", env: GoEnv | None = None, headers=None, **extra
):
    from urllib.parse import urlsplit

    headers = headers or (GIT_UA if "git-upload-pack" in url else GO_UA)
    extra.setdefault("seq", next(_seq))
    ev = Event(
        started="2026-11-25T00:00:00Z",
        method=method,
        url=url,
        host=urlsplit(url).hostname or "",
        status=status,
        error=error,
        **extra,
    )
    return ev.apply(classify_request(method, url, headers, env))
