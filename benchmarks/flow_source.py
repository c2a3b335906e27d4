"""A synthetic flow source for the event-pipeline benchmark (the proxy's side of the socket).

    flow_source.py SOCKET COUNT goscope|baseline

goscope: real mitmproxy flows through GoscopeAddon and its LiveStream.
baseline: the same event lines written straight to the socket.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mitmproxy.test import tflow, tutils  # noqa: E402

from benchmarks.synthetic import event_fields  # noqa: E402
from goscope.core.gorules.goenv import GoEnv  # noqa: E402
from goscope.proxy.addon import GoscopeAddon  # noqa: E402
from goscope.proxy.outputs import ListSink, LiveStream, stream_events  # noqa: E402

UA = "GoCommand/1 (+https://go.dev/cmd/go)"


def make_flow(seq: int):
    url, _, _, _, _, status, _ = event_fields(seq)
    flow = tflow.tflow(resp=True)
    flow.request.url = url
    flow.request.headers["User-Agent"] = UA
    flow.response = tutils.tresp(status_code=status, content=b"v1.0.0\n")
    return flow


async def main(path: str, count: int, mode: str) -> None:
    flows = [make_flow(i + 1) for i in range(count)]
    env = GoEnv.from_mapping(
        {"GOPROXY": "https://goproxy.corp.example,https://proxy.golang.org,direct"}
    )
    if mode == "baseline":
        sink = ListSink()
        addon = GoscopeAddon([sink], env)
        for flow in flows:
            addon.requestheaders(flow)
            addon.response(flow)
        lines = [e.to_json().encode() + b"\n" for e in sink.events]
        _, writer = await asyncio.open_unix_connection(path)
        for i, line in enumerate(lines):
            writer.write(line)
            if i % 1000 == 0:
                await writer.drain()
        await writer.drain()
        writer.close()
        return
    live = LiveStream()
    queue = live.queue = asyncio.Queue(count + 1)
    addon = GoscopeAddon([live], env)
    task = asyncio.create_task(stream_events(path, live))
    for i, flow in enumerate(flows):
        addon.requestheaders(flow)
        addon.response(flow)
        if i % 200 == 0:
            await asyncio.sleep(0)  # the proxy's event loop serves the writer too
    while not queue.empty():
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.1)
    task.cancel()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3]))
