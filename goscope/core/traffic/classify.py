"""Classify one HTTP request of the go command (or git) by what it asks for.

The URL shapes come from the go source: the module proxy protocol in
src/cmd/go/internal/modfetch/proxy.go, the checksum database client in
src/cmd/go/internal/modfetch/sumdb.go and golang.org/x/mod/sumdb/client.go,
`?go-get=1` discovery in src/cmd/go/internal/vcs/vcs.go, and git's smart
HTTP protocol. `classify_request` never raises: what it cannot read is
`other`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from urllib.parse import parse_qs, unquote, urlsplit

import msgspec

from ..gorules.escaping import decode_wire
from ..gorules.goenv import GoEnv, go_escaped_path
from ..vocab import ENDPOINTS, KINDS, Client, Endpoint, Kind

__all__ = [
    "ENDPOINTS",
    "KINDS",
    "UNREAD",
    "Classification",
    "Unread",
    "classify_request",
    "client_of",
]


TOOLCHAIN_MODULE = "golang.org/toolchain"
KNOWN_SUMDB_HOSTS = frozenset({"sum.golang.org", "sum.golang.google.cn"})

# tlog tile paths: tile/H/L/NNN with x-prefixed groups, optional .p/W (tlog/tile.go).
_TILE = re.compile(r"^tile/\d+/(?:\d+|data)/(?:x\d{3}/)*\d{3}(?:\.p/\d+)?$")
PROXY_FILE_ENDPOINTS: dict[str, Endpoint] = {"info": "info", "mod": "mod", "zip": "zip"}


class Classification(msgspec.Struct, frozen=True):
    """What one request is. A msgspec Struct, not a frozen dataclass: one is built per
    request, and a frozen dataclass's __init__ sets each of its eight fields through
    object.__setattr__ (1.7 µs, a quarter of the classifier's time, against 0.13 µs)."""

    kind: Kind = "other"
    endpoint: Endpoint = "other"
    module: str | None = None
    version: str | None = None
    proxy: str | None = None  # base URL of the GOPROXY entry (or sumdb base)
    client: Client = "other"
    sumdb: str | None = None  # checksum database name for sumdb requests
    bad_escape: bool = False  # the path's case-encoding was invalid
    base_guessed: bool = False  # the proxy's base is no GOPROXY entry's (BASE_GUESSED_FLAG)


OTHER = Classification()
# What the classifier could not read (it raised): "other" to every reader, but not the same
# object. The addon counts it as goscope's own failure (the verdict is incomplete) and the
# guard refuses the request: unjudged, it could carry a private path past the guard.
UNREAD = Classification()


class Unread(ValueError):
    """A request the classifier could not read: never judged, never called clean."""


def client_of(headers: Mapping[str, str] | None) -> Client:
    ua = _header(headers, "user-agent")
    # go's GOAUTH retry is built by a fresh http.NewRequest without go's own
    # User-Agent (web/http.go), so net/http's default names the go command too.
    if ua.startswith(("GoCommand/", "Go-http-client/")):
        return "go"
    if ua.startswith("git/") or ua.startswith("JGit/"):
        return "git"
    return "other"


def _header(headers: Mapping[str, str] | None, name: str) -> str:
    if not headers:
        return ""
    try:
        for key, value in headers.items():
            if str(key).lower() == name:
                return str(value)
    except (AttributeError, TypeError):
        return ""
    return ""


def classify_request(
    method: str,
    url: str,
    headers: Mapping[str, str] | None = None,
    env: GoEnv | None = None,
) -> Classification:
    """What this request is, in go's terms. Never raises: what it cannot read is UNREAD."""
    try:
        client = client_of(headers)
        # Each Classification is built once, with who asked.
        return _classify(str(method or "").upper(), str(url), env, client) or (
            OTHER if client == "other" else Classification(client=client)
        )
    except Exception:  # the core must never raise into the proxy
        return UNREAD


_NO_QUERY: dict[str, list[str]] = {}


def _classify(method: str, url: str, env: GoEnv | None, client: Client) -> Classification | None:
    split = _split_url(url)
    if split is None:
        return None
    origin, host, raw_path, raw_query = split
    if "//" in raw_path:
        # Nor an empty element (module.CheckPath), but another client can, and servers read
        # `/github.com//corp/x/@v/list` as github.com/corp/x (nginx's merge_slashes, on by
        # default; Go's ServeMux redirects to the clean path): judged as github.com/corp/x.
        raw_path = _SLASHES.sub("/", raw_path)
    if "/." in raw_path:
        # go never sends a `.` or `..` segment (module.CheckPath refuses them), but another
        # client can, and the server reads the path without them (RFC 3986 5.2.4; Go's
        # ServeMux redirects to the clean path): `/x.y/../corp.example/x/@v/list` asks for
        # corp.example/x.
        raw_path = remove_dot_segments(raw_path)
    found = _classify_split(method, origin, host, raw_path, raw_query, env, client)
    if "%" in raw_path and (found is None or _dot_element(found.module)):
        # Nor does go percent-escape its protocol's paths (a module path cannot hold `%`),
        # but another client can (`/@v/list` as `/%40v/list`, `..` as `%2e%2e`), and the
        # server decodes them as net/http decodes r.URL.Path: what the server reads.
        served = remove_dot_segments(_SLASHES.sub("/", unquote(raw_path)))
        if served != raw_path:
            found = _classify_split(method, origin, host, served, raw_query, env, client) or found
    return found


_SLASHES = re.compile(r"/{2,}")


def _dot_element(module: str | None) -> bool:
    return module is not None and any(e in (".", "..") for e in module.split("/"))


def remove_dot_segments(path: str) -> str:
    """RFC 3986 5.2.4: a path without its `.` and `..` segments, as a server reads it."""
    if "/." not in path:
        return path
    segments = path.split("/")
    out: list[str] = []
    last = len(segments) - 1
    for i, segment in enumerate(segments):
        if segment in (".", ".."):
            if segment == ".." and len(out) > 1:
                out.pop()
            if i == last:
                out.append("")  # `/a/..` is `/`, a directory
            continue
        out.append(segment)
    return "/".join(out)


def _classify_split(
    method: str,
    origin: str,
    host: str,
    raw_path: str,
    raw_query: str,
    env: GoEnv | None,
    client: Client,
) -> Classification | None:
    # A module path may hold `sumdb` and `lookup` elements (module.CheckPath allows them):
    # the proxy protocol's shape is read first, as no checksum database path has `/@v/`
    # (x/mod/sumdb/client.go: lookup/PATH@VERSION, tile/…, latest). Read the other way,
    # `corp.example.com/sumdb/x/lookup/api.v2/@v/list` was a lookup of "api.v2/": no leak,
    # nothing for the guard to stop. A query changes no shape: a proxy ignores it, and go
    # keeps a GOPROXY entry's own (`https://proxy/?go-get=1` asked `…/@v/list?go-get=1`,
    # which read as a ?go-get=1 page: a private path left past the guard, exit 0).
    if "/@v/" in raw_path or raw_path.endswith("/@latest"):
        proxy = _classify_proxy(origin, raw_path, env, client)
        if proxy is not None:
            return proxy
    query = parse_qs(raw_query) if raw_query else _NO_QUERY
    if raw_query and query.get("go-get") == ["1"]:
        # After the checksum database's shapes too: its lookup with a go-get query is one.
        # (Only a lookup that names a module: an import path may end in `/latest`.)
        database = _classify_sumdb(origin, host, raw_path, env, client)
        if database is not None and database.endpoint == "lookup" and database.module:
            return database
        module = host + unquote(raw_path).rstrip("/")
        return Classification("direct", "go-get", module=module, client=client)
    if raw_path.endswith(("/info/refs", "/git-upload-pack")):
        git = _classify_git(method, host, raw_path, query, client)
        if git:
            return git
    return _classify_sumdb(origin, host, raw_path, env, client)


# go's plain URLs, in one match: scheme, a host with no userinfo, port, IPv6 brackets or
# escapes, the path (from its `/`), the query; no fragment, and none of the tab, CR and LF
# urlsplit would remove (a property test holds it to urlsplit's answer).
_PLAIN_URL = re.compile(r"(https?://)([^/?#@:\[\]%\t\r\n]+)(/[^?#\t\r\n]*)?(?:\?([^#\t\r\n]*))?\Z")


def _split_url(url: str) -> tuple[str, str, str, str] | None:
    """(origin, host, path, query) of an http(s) URL; None for anything else.

    Plain `https://host/path?query` URLs (nearly all of go's) take a fast path;
    anything with userinfo, a port, IPv6 or a fragment goes through urlsplit.
    """
    plain = _PLAIN_URL.match(url)
    if plain is not None:
        scheme, netloc, path, query = plain.groups("")
        host = netloc.lower()
        return scheme + host, host, path, query
    return _split_parsed_url(url)


def _split_parsed_url(url: str) -> tuple[str, str, str, str] | None:
    parts = urlsplit(url)
    hostname = parts.hostname
    if parts.scheme not in ("http", "https") or not hostname:
        return None
    origin = f"{parts.scheme}://{parts.netloc.rpartition('@')[2].lower()}"
    return origin, hostname.lower(), parts.path, parts.query


def _classify_git(
    method: str, host: str, raw_path: str, query: dict[str, list[str]], client: Client
) -> Classification | None:
    path = unquote(raw_path)
    endpoint: Endpoint
    if path.endswith("/info/refs") and query.get("service") == ["git-upload-pack"]:
        repo, endpoint = path[: -len("/info/refs")], "git-info-refs"
    elif path.endswith("/git-upload-pack") and method == "POST":
        repo, endpoint = path[: -len("/git-upload-pack")], "git-upload-pack"
    else:
        return None
    module = host + repo.removesuffix(".git")
    return Classification("direct", endpoint, module=module, client=client)


def _classify_sumdb(
    origin: str, host: str, raw_path: str, env: GoEnv | None, client: Client
) -> Classification | None:
    # Direct first: https://<name>/lookup/..., /tile/..., /latest (or GOSUMDB's URL), its
    # operation right after the base. A `/sumdb/` inside the module path of a lookup is the
    # module's (it read as a proxied lookup of the path's last element).
    base_path, name = _direct_sumdb_base(origin, host, raw_path, env)
    if base_path is not None:
        found = _sumdb_op(raw_path[len(base_path) :].lstrip("/"))
        if found and found[0] != "supported":  # `supported` is only ever asked of proxies
            return _lookup_class(found, None, name, client)
    # Proxied: <proxy base>/sumdb/<name>/<op> (sumdb.go initBase).
    marker = raw_path.find("/sumdb/")
    if marker >= 0:
        rest = raw_path[marker + len("/sumdb/") :]
        for split in _name_splits(rest):
            name, op = split
            found = _sumdb_op(op)
            if found:
                return _lookup_class(found, origin + raw_path[:marker], name, client)
    return None


def _lookup_class(
    found: tuple[Endpoint, str | None, str | None, bool],
    proxy: str | None,
    name: str,
    client: Client,
) -> Classification:
    """A checksum database request: straight to it (proxy None) or through a proxy."""
    endpoint, module, version, bad = found
    return Classification(
        "sumdb",
        endpoint,
        module=module,
        version=version,
        proxy=proxy,
        client=client,
        sumdb=name,
        bad_escape=bad,
    )


@lru_cache(maxsize=64)
def _url_path(url: str) -> str:
    """A GOPROXY entry's base path as go sends it (escaped), without its trailing slash."""
    return go_escaped_path(urlsplit(url).path).rstrip("/")


@lru_cache(maxsize=64)
def _host_and_path(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return (parts.hostname or "").lower(), parts.path


def _name_splits(rest: str) -> list[tuple[str, str]]:
    """Possible (name, op) splits: a sumdb name may itself contain slashes."""
    pieces = rest.split("/")
    return [("/".join(pieces[:i]), "/".join(pieces[i:])) for i in range(1, len(pieces))]


def _direct_sumdb_base(
    origin: str, host: str, raw_path: str, env: GoEnv | None
) -> tuple[str | None, str]:
    if env is not None:
        db = env.sumdb
        if db.direct_url and not db.off:
            db_host, db_path = _host_and_path(db.direct_url.rstrip("/"))
            if db_host == host and raw_path.startswith(db_path + "/"):
                return db_path, db.name or host
    if host in KNOWN_SUMDB_HOSTS:
        return "", "sum.golang.org"
    # Unknown host: only the unmistakable shapes count.
    path = raw_path.lstrip("/")
    if path.startswith("lookup/") and "@" in path or path.startswith("tile/") and _TILE.match(path):
        return "", host
    return None, ""


def _sumdb_op(op: str) -> tuple[Endpoint, str | None, str | None, bool] | None:
    if op == "supported":
        return "supported", None, None, False
    if op == "latest":
        return "sumdb-latest", None, None, False
    if op.startswith("lookup/"):
        target = op[len("lookup/") :]
        mod, at, ver = target.rpartition("@")
        if not at or not mod or not ver:
            return None
        module, ok_m = decode_wire(mod)
        version, ok_v = decode_wire(ver)
        return "lookup", module, version, not (ok_m and ok_v)
    if op.startswith("tile/") and _TILE.match(op):
        return "tile", None, None, False
    return None


def _classify_proxy(
    origin: str, raw_path: str, env: GoEnv | None, client: Client
) -> Classification | None:
    endpoint: Endpoint
    if "/@v/" in raw_path:
        prefix, _, file = raw_path.rpartition("/@v/")
        if file == "list":
            endpoint, version_wire = "list", None
        else:
            # `<version>.info|.mod|.zip` (proxy.go's file names), the last dot splitting
            version_wire, dot, ext = file.rpartition(".")
            found = PROXY_FILE_ENDPOINTS.get(ext) if dot else None
            if found is None or not version_wire:
                return None
            endpoint = found
    elif raw_path.endswith("/@latest"):
        prefix, endpoint, version_wire = raw_path[: -len("/@latest")], "latest", None
    else:
        return None
    base_path, module_wire, guessed = _split_base(origin, prefix, env)
    if not module_wire:
        return None
    module, ok_m = decode_wire(module_wire)
    version, ok_v = decode_wire(version_wire) if version_wire else (None, True)
    kind: Kind = "toolchain" if module == TOOLCHAIN_MODULE else "proxy"
    return Classification(
        kind,
        endpoint,
        module=module,
        version=version,
        proxy=origin + base_path,
        client=client,
        bad_escape=not (ok_m and ok_v),
        base_guessed=guessed,
    )


def _split_base(origin: str, prefix: str, env: GoEnv | None) -> tuple[str, str, bool]:
    """Split `/<base path>/<module>` into the proxy's base path and the module, and
    whether the split was guessed (the base is no GOPROXY entry's)."""
    if env is not None:
        # As sent, and as go would send it: a decoded path (another client's `%40v`, read
        # as the server reads it) holds the entry's base decoded too (`/café.x`).
        wires = (
            (prefix,)
            if prefix.isascii() and " " not in prefix
            else (prefix, go_escaped_path(prefix))
        )
        for wire in wires:
            entry = env.proxy_list.find_base_for_path(origin, wire)
            if entry is not None:
                base_path = _url_path(entry.url)
                if wire.startswith(base_path + "/"):
                    return base_path, wire[len(base_path) + 1 :], False
    # A module path's first element contains a dot (module.CheckPath); the
    # elements before it belong to the proxy's base path (/goproxy/ mirrors).
    # The first element with a dot holds the path's first dot (go never percent-encodes one).
    path = prefix.strip("/")
    dot = path.find(".")
    if dot < 0:
        return "", "", True
    start = path.rfind("/", 0, dot) + 1
    return ("/" + path[: start - 1] if start else ""), path[start:], True
