"""go's GOAUTH retry, spotted as events arrive (src/cmd/go/internal/web/http.go).

The proxy marks each retry on the wire (`auth_retry`); chains.py folds the
pair into one attempt.
"""

from __future__ import annotations

import time

from .events import Event


class AuthRetryMarker:
    """Spots go's GOAUTH retry as events arrive (src/cmd/go/internal/web/http.go).

    After a 4xx on an https URL go asks the same URL once more, at once, with
    credentials. The second event is that retry; a third would be a new fetch.
    """

    def __init__(self, window_s: float = 10.0, size: int = 1024):
        self.window_s = window_s
        self.size = size
        self._recent: dict[tuple[str, str], float] = {}

    def remember(self, method: str, url: str, now: float | None = None) -> None:
        """A 4xx answered `url` at the end of a redirect: go asks `url` again."""
        if url.startswith("https:"):
            self._recent[(method, url)] = time.monotonic() if now is None else now

    def mark(self, event: Event, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        key = (event.method, event.url)
        asked = self._recent.pop(key, None)
        is_retry = asked is not None and now - asked <= self.window_s
        if (
            not is_retry
            and event.status is not None
            and 400 <= event.status < 500
            and event.error is None
            and event.url.startswith("https:")
        ):
            self._recent[key] = now
            if len(self._recent) > self.size:
                self._recent.pop(next(iter(self._recent)))
        return is_retry
