"""The benchmarks' lean proxy: mitmproxy with exactly the mitmproxy addons a goscope proxy
loads (`goscope.proxy.server.mitmproxy_addons`) and the same --route forwarding, but none of
goscope's own addons. goscope against this is what goscope's own work costs go: the
classification, the sender attribution, the recording and the app around them.

    python benchmarks/lean_proxy.py PORT CONFDIR   (routes in GOSCOPE_BENCH_ROUTES)
"""

# ruff: noqa: I001 - the import order is the point (see below)
from __future__ import annotations

import asyncio
import os
import signal
import sys

# goscope's proxy module first: importing it makes mitmproxy.addons the lean package
# (goscope/proxy/mitm_patches.py), which mitmproxy.master would otherwise import whole.
from goscope.proxy.mitm_patches import cheap_data_frame_repr, fast_hook_dispatch
from goscope.proxy.server import exit_now, mitmproxy_addons
from mitmproxy import options
from mitmproxy.master import Master
from router_addon import BenchRouter


async def serve(port: int, confdir: str) -> int:
    # The floor runs mitmproxy as goscope's proxy does (the same patches), so that goscope
    # against it is goscope's own work alone.
    fast_hook_dispatch()
    cheap_data_frame_repr()
    opts = options.Options(listen_host="127.0.0.1", listen_port=port, confdir=confdir)
    master = Master(opts, with_termlog=False)
    master.addons.add(BenchRouter(), *mitmproxy_addons())
    opts.update(connection_strategy="lazy", stream_large_bodies="1m")
    if os.environ.get("GOSCOPE_BENCH_UPSTREAM_CA"):  # go's roots, as goscope verifies with
        opts.update(ssl_verify_upstream_trusted_ca=os.environ["GOSCOPE_BENCH_UPSTREAM_CA"])
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, master.shutdown)
    await master.run()
    return 0


if __name__ == "__main__":
    exit_now(asyncio.run(serve(int(sys.argv[1]), sys.argv[2])))
