"""What an answer means to go: served, "not found", a `?go-get=1` meta lookup, a direct
request that did its part. Shared by the chains (chains.py), the lookups and the verdicts."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from .events import Event

NOT_FOUND = (404, 410)  # modfetch/proxy.go: "not here", go tries the next GOPROXY entry


def is_success(status: int | None, error: str | None) -> bool:
    return error is None and status is not None and status < 400


def is_not_found(status: int | None, error: str | None) -> bool:
    return error is None and status in NOT_FOUND


def is_go_get(url: str | None) -> bool:
    """A `?go-get=1` meta lookup's URL (vcs.go `repoRootForImportDynamic`)."""
    return url is not None and parse_qs(urlsplit(url).query).get("go-get") == ["1"]


def direct_ok(event: Event) -> bool:
    """Whether a direct request did its part. A `?go-get=1` finds a repository when its
    page has a go-import meta tag for the path, whatever the status: vcs.go
    `repoRootForImportDynamic` reads the tags first (web/http.go accepts a page that is not
    200 OK) and a 200 page without one is "no go-import meta tags", which modfetch/repo.go
    `lookupDirect` calls not found. git's requests, by their status."""
    if event.endpoint == "go-get":
        return event.error is None and event.repo is not None
    return is_success(event.status, event.error)
