"""A waterfall of requests over time, one lane per host: where did the time go?"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widget import Widget

from goscope.core.safe.visible import visible
from goscope.core.view.store import FLAG_ERROR, EventStore

MAX_SAMPLED = 200_000
LABEL = 24


def timeline_text(store: EventStore, width: int) -> Text:
    n = len(store)
    if n == 0:
        return Text("No requests yet.", style="dim")
    lane_width = max(10, width - LABEL - 2)
    stride = max(1, n // MAX_SAMPLED)
    starts = store.started
    t0 = min(starts[i] for i in range(0, n, stride))
    t1 = max(starts[i] + store.duration[i] / 1000 for i in range(0, n, stride))
    span = max(t1 - t0, 1e-3)
    lanes: dict[int, list[int]] = {}
    for i in range(0, n, stride):
        lane = lanes.setdefault(store.host[i], [0] * lane_width)
        a = int((starts[i] - t0) / span * (lane_width - 1))
        b = int((starts[i] + store.duration[i] / 1000 - t0) / span * (lane_width - 1))
        mark = 2 if store.flags[i] & FLAG_ERROR else 1
        for cell in range(a, max(a, b) + 1):
            lane[cell] = max(lane[cell], mark)
    text = Text()
    # Exactly the lanes' width: the axis never wraps (0s at the left, the span at the right).
    axis = f"{span:.2f}s"
    text.append(f"{'host':<{LABEL}}  {'0s'}{axis:>{lane_width - 2}}\n", style="bold")
    for host_id, lane in sorted(lanes.items(), key=lambda kv: store.hosts.values[kv[0]]):
        name = store.hosts.values[host_id]
        text.append(f"{visible(name)[:LABEL]:<{LABEL}}  ")
        for cell in lane:
            # Shape as well as colour: ▒ marks failures for those who cannot tell red.
            text.append("·█▒"[cell], style={0: "grey23", 1: "green", 2: "red"}[cell])
        text.append("\n")
    text.append("█ answered (green)  ▒ failed or 4xx/5xx (red)  · idle", style="dim")
    return text


class Timeline(Widget):
    """Drawn at render time, at the width it has then (not the width when data came)."""

    DEFAULT_CSS = "Timeline { height: auto; padding: 1; }"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._store: EventStore | None = None
        self._empty = "No requests yet."

    def refresh_from(self, store: EventStore, empty: str = "No requests yet.") -> None:
        """`empty`: what to say while the store has no request (why, and what fills it)."""
        self._store, self._empty = store, empty
        self.refresh(layout=True)

    def render(self) -> Text:
        if self._store is None or not len(self._store):
            return Text(self._empty, style="dim")
        return timeline_text(self._store, self.content_size.width or 100)
