"""`--route`: send a host's requests to another address; the client and the event never know."""

from __future__ import annotations

from collections.abc import Sequence

from mitmproxy import ctx, exceptions, http
from mitmproxy.addonmanager import Loader

from goscope.core.hosts import host_key
from goscope.core.routes import Route, RouteError, parse_routes


class Router:
    """Option `goscope_route` (HOST=URL, repeatable), checked like mitmproxy's mapremote."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}

    def load(self, loader: Loader) -> None:
        loader.add_option(
            "goscope_route",
            Sequence[str],
            [],
            "Forward requests for HOST to URL (HOST=URL); events still show HOST.",
        )

    def configure(self, updated: set[str]) -> None:
        if "goscope_route" in updated:
            try:
                self.routes = parse_routes(list(ctx.options.goscope_route))
            except RouteError as exc:
                raise exceptions.OptionsError(str(exc)) from None

    def request(self, flow: http.HTTPFlow) -> None:
        # A fully qualified name (`proxy.golang.org.`) is the same host: a route keyed
        # without its dot missed it, and a lab run reached the real proxy.
        route = self.routes.get(host_key(flow.request.pretty_host))
        if route is None:
            return
        req = flow.request
        flow.metadata["goscope_routed_from"] = (req.scheme, req.host, req.port, req.path)
        host_header = req.host_header or req.pretty_host
        req.scheme, req.host, req.port = route.scheme, route.host, route.port
        req.path = route.prefix + req.path
        # Keep the Host the client asked for: the lab serves virtual hosts.
        req.host_header = host_header

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        self._restore(flow)

    def error(self, flow: http.HTTPFlow) -> None:
        self._restore(flow)

    @staticmethod
    def _restore(flow: http.HTTPFlow) -> None:
        """Once sent, show the request as the client made it (flow files, HAR)."""
        original = flow.metadata.pop("goscope_routed_from", None)
        if original is None:
            return
        req = flow.request
        host_header = req.host_header
        req.scheme, req.host, req.port, req.path = original
        req.host_header = host_header
