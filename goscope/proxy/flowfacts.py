"""What the addon reads off every request, straight from mitmproxy's raw fields.

mitmproxy's `Headers.get` goes through five layers for one header: it lowers every field's name
in a Python call per field and decodes what it keeps (coretypes/multidict.py `get_all`,
http.py `Headers.get_all`). `Request.pretty_url` and `Request.pretty_host` each read the Host
header that way again (http.py `host_header`). Per flow the addon asked three times: 13 µs of
its work, the largest single share. These functions give the same answers (a property test
holds them to mitmproxy's own properties) from one scan each.
"""

from __future__ import annotations

from mitmproxy import http
from mitmproxy.net.http import url as mitm_url

_VERSIONS_WITH_AUTHORITY = (b"HTTP/2.0", b"HTTP/3")  # http.py is_http2, is_http3


def header(headers: http.Headers, name: bytes) -> str | None:
    """`headers.get(name)`: every field of that name (`name` lower-case bytes), in order,
    folded with ", " as mitmproxy folds them (RFC 7230 3.2.2), decoded as it decodes."""
    values = [value for key, value in headers.fields if key.lower() == name]
    if not values:
        return None
    if len(values) == 1:
        return values[0].decode("utf-8", "surrogateescape")
    return ", ".join(value.decode("utf-8", "surrogateescape") for value in values)


def pretty_url_and_host(req: http.Request) -> tuple[str, str]:
    """`(req.pretty_url, req.pretty_host)`, with the Host header read once (http.py)."""
    data = req.data
    if data.method.upper() == b"CONNECT":
        return req.pretty_url, req.pretty_host  # authority-form: never an event's request
    if data.http_version in _VERSIONS_WITH_AUTHORITY:
        host_header = req.authority or header(data.headers, b"host")
    else:
        host_header = header(data.headers, b"host")
    if not host_header:
        return req.url, data.host
    host, port = mitm_url.parse_authority(host_header, check=False)
    scheme = data.scheme.decode("utf-8", "surrogateescape")
    port = port or mitm_url.default_port(scheme) or 443
    path = data.path.decode("utf-8", "surrogateescape")
    return mitm_url.unparse(scheme, host, port, path), host
