"""goscope as a plain mitmproxy script: `mitmdump -s addons/goscope_addon.py`."""

from __future__ import annotations

import os

from mitmproxy import ctx, http

from goscope.core.goenv import GoEnv
from goscope.proxy.addon import EventSink, GoscopeAddon, open_recording


class GoscopeScript:
    """Options `goscope_jsonl` (recording path); classifies with this process's Go env."""

    def __init__(self) -> None:
        self.env = GoEnv.load(dict(os.environ))
        self.inner = GoscopeAddon(self.env, EventSink(None))

    def load(self, loader) -> None:
        loader.add_option("goscope_jsonl", str, "", "Write goscope's recording (JSON lines) here.")

    def configure(self, updated: set[str]) -> None:
        if "goscope_jsonl" in updated:
            self._close()
            path = ctx.options.goscope_jsonl
            self.inner.sink.recording = open_recording(path, self.env.to_dict()) if path else None

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        self.inner.requestheaders(flow)

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        self.inner.responseheaders(flow)

    def response(self, flow: http.HTTPFlow) -> None:
        self.inner.response(flow)

    def error(self, flow: http.HTTPFlow) -> None:
        self.inner.error(flow)

    def done(self) -> None:
        self._close()

    def _close(self) -> None:
        if self.inner.sink.recording is not None:
            self.inner.sink.recording.close()
            self.inner.sink.recording = None
