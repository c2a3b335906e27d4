"""The benchmarks' plain mitmdump: the same --route forwarding as goscope, no goscope addon."""

import os

from goscope.core.routes import parse_routes
from goscope.proxy.router import Router


class BenchRouter(Router):
    """goscope's Router, its routes taken from the environment instead of an option."""

    def configure(self, updated: set[str]) -> None:
        self.routes = parse_routes([r for r in os.environ["GOSCOPE_BENCH_ROUTES"].split(";") if r])


addons = [BenchRouter()]
