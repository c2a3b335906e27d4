"""One spelling per server: the origin goscope compares URLs by."""

from __future__ import annotations

from urllib.parse import SplitResult

DEFAULT_PORTS = {"https": 443, "http": 80}


def origin(parts: SplitResult) -> str:
    """`scheme://host[:port]`: the host lowercased (an IPv6 address in brackets), the
    scheme's default port dropped. ValueError for a port that is not a number."""
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    if port and port != DEFAULT_PORTS.get(parts.scheme):
        host = f"{host}:{port}"
    return f"{parts.scheme}://{host}"
