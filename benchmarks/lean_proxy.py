"""The benchmarks' lean proxy: mitmproxy with exactly the mitmproxy addons a goscope proxy
loads (`goscope.proxy.server.mitmproxy_addons`) and the same --route forwarding, but none of
goscope's own addons. goscope against this is what goscope's own work costs go: the
classification, the sender attribution, the recording and the app around them.

    python benchmarks/lean_proxy.py PORT CONFDIR   (routes in GOSCOPE_BENCH_ROUTES)
"""

from __future__ import annotations

import asyncio
import signal
import sys

from mitmproxy import options
from mitmproxy.master import Master
from router_addon import BenchRouter

from goscope.proxy.server import exit_now, mitmproxy_addons


async def serve(port: int, confdir: str) -> int:
    opts = options.Options(listen_host="127.0.0.1", listen_port=port, confdir=confdir)
    master = Master(opts, with_termlog=False)
    master.addons.add(BenchRouter(), *mitmproxy_addons())
    opts.update(connection_strategy="lazy", stream_large_bodies="1m")
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, master.shutdown)
    await master.run()
    return 0


if __name__ == "__main__":
    exit_now(asyncio.run(serve(int(sys.argv[1]), sys.argv[2])))
