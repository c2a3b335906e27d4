"""Events as the proxy would produce them, for unit tests of the core."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

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


TOUR = Path(__file__).parent / "fixtures" / "tour.jsonl"


def tour_judged_by(path: Path, private: str, trusted: list[str] | None = None) -> Path:
    """The tour's recording at `path`, its header's judging replaced (as another run's)."""
    lines = TOUR.read_text().splitlines()
    header = json.loads(lines[0])
    header["judging"] = {"private": private, "trusted": trusted or [], "guard": False}
    path.write_text("\n".join([json.dumps(header), *lines[1:]]) + "\n")
    return path
