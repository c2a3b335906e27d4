"""`--route HOST=URL`: forward a host's requests elsewhere, parsed once for the CLI and the addon."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit


class RouteError(ValueError):
    """A --route value that cannot be used; the message is one line for the user."""


@dataclass(frozen=True)
class Route:
    scheme: str
    host: str
    port: int
    prefix: str  # the target's path, prepended to the request's

    @classmethod
    def parse(cls, target: str) -> Route:
        try:  # urlsplit itself refuses some (`http://[x`: "Invalid IPv6 URL"), .port others
            parts = urlsplit(target)
            port = parts.port
        except ValueError:
            raise RouteError(
                f"--route takes HOST=URL with an http(s) URL, not {target!r}"
            ) from None
        if parts.scheme not in ("http", "https") or not parts.hostname or port == -1:
            raise RouteError(f"--route takes HOST=URL with an http(s) URL, not {target!r}")
        port = port or (443 if parts.scheme == "https" else 80)
        return cls(parts.scheme, parts.hostname, port, parts.path.rstrip("/"))


def parse_route(spec: str) -> tuple[str, Route]:
    host, eq, target = spec.partition("=")
    host = host.strip().lower().removesuffix(".")  # proxy.golang.org. is proxy.golang.org
    if not eq or not host:
        raise RouteError(f"--route takes HOST=URL with an http(s) URL, not {spec!r}")
    if ":" in host or "/" in host:  # routes match the host a request names, never a port
        raise RouteError(f"--route takes a host name before '=', without a port: not {spec!r}")
    try:
        return host, Route.parse(target)
    except RouteError:
        raise RouteError(f"--route takes HOST=URL with an http(s) URL, not {spec!r}") from None


def parse_routes(specs: list[str] | tuple[str, ...]) -> dict[str, Route]:
    """`HOST=URL` pairs, as given to --route; RouteError names the bad one."""
    return dict(parse_route(spec) for spec in specs)
