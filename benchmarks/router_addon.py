"""The benchmarks' plain mitmdump: the same --route forwarding as goscope, no goscope addon."""

import os

from goscope.proxy.addon import Router, parse_routes

addons = [Router(parse_routes(os.environ["GOSCOPE_BENCH_ROUTES"].split(";")))]
