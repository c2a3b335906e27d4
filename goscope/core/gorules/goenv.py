"""The Go module environment: GOPROXY list, GOSUMDB (gosumdb.py), private patterns, origins.

Values resolve exactly as `cfg.Getenv` does (src/cmd/go/internal/cfg/cfg.go):
a non-empty process variable wins, then the user's `go env -w` file (GOENV),
then $GOROOT/go.env, then the built-in default. Every value remembers where it
came from, because "works on my machine" is usually two of those disagreeing.
Nothing here raises on bad input: errors are values on the result.
"""

from __future__ import annotations

import errno
import ntpath
import os
import posixpath
import stat
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from urllib.parse import quote, unquote_to_bytes, urlsplit

from ..safe.files import UnsafeFile, read_regular
from ..safe.redact import redact_url, redact_value
from ..urls import origin
from .goroot import GOROOT_ENV_UNREAD, find_goroot, go_root_env_file
from .gosumdb import SumDB, parse_gosumdb
from .patterns import matching_pattern

GO_VARS = (
    "GOPROXY",
    "GONOPROXY",
    "GONOSUMDB",
    "GOPRIVATE",
    "GOSUMDB",
    "GOINSECURE",
    "GOFLAGS",
    "GOTOOLCHAIN",
    "GOAUTH",
    "GOVCS",
)

# $GOROOT/go.env as shipped with Go 1.21+, and cfg.go's own fallbacks.
GOROOT_DEFAULTS = {
    "GOPROXY": "https://proxy.golang.org,direct",
    "GOSUMDB": "sum.golang.org",
    "GOTOOLCHAIN": "auto",
    "GOAUTH": "netrc",
}

ORIGIN_ENV = "environment"
ORIGIN_FILE = "go env -w"
ORIGIN_GOROOT = "GOROOT/go.env"
ORIGIN_DEFAULT = "default"


@dataclass(frozen=True, slots=True)
class ProxyEntry:
    """One GOPROXY entry: a base URL or `direct`, `off`, `noproxy`.

    `separator` is the character that follows the entry in GOPROXY (`,`, `|`,
    or "" for the last); `|` means go falls through on any error.
    """

    url: str
    separator: str = ""

    @property
    def fall_back_on_error(self) -> bool:
        return self.separator == "|"

    @property
    def is_keyword(self) -> bool:
        return self.url in ("direct", "off", "noproxy")

    @property
    def host(self) -> str:
        if self.is_keyword:
            return self.url
        return (urlsplit(self.url).hostname or "").lower()


@dataclass(frozen=True, slots=True)
class ProxyList:
    entries: tuple[ProxyEntry, ...] = ()
    error: str | None = None

    @property
    def proxies(self) -> tuple[ProxyEntry, ...]:
        """The URL entries only (no keywords)."""
        return tuple(e for e in self.entries if not e.is_keyword)

    def indices_of_base(self, base: str) -> tuple[int, ...]:
        """Every entry a request's `proxy` may name: more than one when entries differ only
        by a token that redaction took out (https://host/<token>/go)."""
        return _indices_of_base(self.entries, base)

    def find_base_for(self, url: str) -> ProxyEntry | None:
        """The URL entry whose base is a prefix of url (longest first)."""
        return _longest_base(self.entries, norm_base(url))

    def find_base_for_path(self, origin: str, path: str) -> ProxyEntry | None:
        """`find_base_for(origin + path)` for a path with no query or fragment: the origin
        (one of a few) is normalised once, not every request's whole URL."""
        return _longest_base(self.entries, norm_base(origin) + path.rstrip("/"))


def _longest_base(entries: tuple[ProxyEntry, ...], target: str) -> ProxyEntry | None:
    for base, entry in _bases_longest_first(entries):
        if target == base or target.startswith(base + "/"):
            return entry
    return None


@lru_cache(maxsize=64)
def _bases_longest_first(entries: tuple[ProxyEntry, ...]) -> tuple[tuple[str, ProxyEntry], ...]:
    """The URL entries' normalised bases, longest first (the first of equals keeps its
    place: the earlier entry wins, as it did when scanned in order)."""
    bases = [(norm_base(e.url), e) for e in entries if not e.is_keyword]
    return tuple(sorted(bases, key=lambda pair: -len(pair[0])))


@lru_cache(maxsize=1024)
def _indices_of_base(entries: tuple[ProxyEntry, ...], base: str) -> tuple[int, ...]:
    """The entries a request's `proxy` names. Both sides are compared redacted: an event's
    `proxy` is written redacted (a token in an entry's path never reaches a recording),
    while the environment may hold the entry as go has it. An entry written twice is one:
    go caches each (proxy, module) lookup with its answers and errors (modfetch/repo.go
    lookupCache), so the second copy never sends a request."""
    norm, seen, found = norm_base(redact_url(base)), set(), []
    for i, entry in enumerate(entries):
        if entry.is_keyword or entry.url in seen:
            continue
        seen.add(entry.url)
        if norm_base(redact_url(entry.url)) == norm:
            found.append(i)
    return tuple(found)


@lru_cache(maxsize=4096)
def norm_base(url: str) -> str:
    """A proxy base as go sends it (its path escaped as go escapes it); one that does not
    parse (a crafted recording's `https://evil[bold]host`, a port that is no number) is
    itself, never an exception."""
    try:
        parts = urlsplit(url)
        return origin(parts) + go_escaped_path(parts.path).rstrip("/")
    except ValueError:
        return url.rstrip("/")


# net/url's validEncoded (encodePath): the bytes a written path may keep as they are.
_VALID_ENCODED = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~!$&'()*+,;=:@[]%/"
)
# net/url's shouldEscape(c, encodePath): all but these (and letters and digits) escaped.
_PATH_SAFE = "-_.~$&+,/:;=@"


@lru_cache(maxsize=256)
def go_escaped_path(path: str) -> str:
    """A GOPROXY entry's path as go puts it on the wire. modfetch/proxy.go's getBody joins
    it (path.Join: `//`, `.` and `..` cleaned away) and net/url's URL.EscapedPath writes it:
    as written when that is a valid encoding of the same path, else escaped byte for byte.
    `https://proxy.golang.org/café.x` is asked as `/caf%C3%A9.x/…`: compared as written,
    no entry matched, and a private path under it read as another module (no leak, nothing
    for the guard to stop). A byte that is not UTF-8 (from the environment) stays itself."""
    if not path:
        return path
    raw = path.encode("utf-8", "surrogateescape")
    clean = _go_clean(unquote_to_bytes(raw))
    written = _go_clean(raw)
    if all(chr(b) in _VALID_ENCODED for b in written) and unquote_to_bytes(written) == clean:
        return written.decode()
    return quote(clean, safe=_PATH_SAFE)


def _go_clean(path: bytes) -> bytes:
    """path.Clean of a rooted path (posixpath keeps a leading `//`; Go does not)."""
    cleaned = posixpath.normpath(path)
    return b"/" + cleaned.lstrip(b"/") if path.startswith(b"/") else cleaned


def proxy_url_error(url: str) -> str | None:
    """Why go's newProxyRepo would reject a base URL, or None."""
    try:
        parts = urlsplit(url)
        _ = parts.port
    except ValueError as exc:
        return f"invalid proxy URL: {url}: {exc}"
    # net/url Parse refuses a control character anywhere, and a space only in the host: one
    # in the path go sends escaped (`/a b.c` as `/a%20b.c`), as the doctor said it would not.
    if any(ord(c) < 0x20 or c == "\x7f" for c in url) or " " in parts.netloc:
        return f"invalid proxy URL: {url!r} contains control characters or a space in its host"
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        return None
    if scheme == "file":
        if parts.netloc or parts.query or parts.fragment:
            return f"invalid file:// proxy URL with non-path elements: {url}"
        return None
    if scheme == "":
        return f"invalid proxy URL missing scheme: {url}"
    return f"invalid proxy URL scheme (must be https, http, file): {url}"


def parse_goproxy(goproxy: str, gonoproxy: str = "") -> ProxyList:
    """`proxyList` from src/cmd/go/internal/modfetch/proxy.go, as data."""
    entries: list[ProxyEntry] = []
    if gonoproxy and goproxy != "direct":
        entries.append(ProxyEntry("noproxy", ","))
    rest = goproxy
    while rest:
        cut = min((i for i in (rest.find(","), rest.find("|")) if i >= 0), default=-1)
        if cut >= 0:
            url, sep, rest = rest[:cut], rest[cut], rest[cut + 1 :]
        else:
            url, sep, rest = rest, "", ""
        url = url.strip()
        if not url:
            continue
        if url in ("off", "direct"):
            # Both end the walk: entries after them are never used.
            entries.append(ProxyEntry(url, ""))
            break
        # Single words are reserved; anything else without ":/" gets https://.
        if any(c in url for c in ".:/") and ":/" not in url and not url.startswith("/"):
            url = "https://" + url
        error = proxy_url_error(url)
        if error:
            return ProxyList(tuple(entries), error)
        entries.append(ProxyEntry(url, sep))
    if not entries or (len(entries) == 1 and entries[0].url == "noproxy"):
        return ProxyList(
            tuple(entries), "GOPROXY list is not the empty string, but contains no entries"
        )
    # The last entry has nothing after it, whatever separator was typed.
    last = entries[-1]
    entries[-1] = ProxyEntry(last.url, "")
    return ProxyList(tuple(entries))


@dataclass(frozen=True)
class GoEnv:
    """The effective Go module environment, with the origin of every value."""

    values: Mapping[str, str] = field(default_factory=dict)
    origins: Mapping[str, str] = field(default_factory=dict)
    # Values as the go env -w file has them, kept to explain shadowing.
    file_values: Mapping[str, str] = field(default_factory=dict)
    env_file: str | None = None
    env_file_error: str | None = None  # the go env -w file was not read, and why

    @classmethod
    def from_mapping(
        cls,
        env: Mapping[str, str],
        file_values: Mapping[str, str] | None = None,
        goroot_values: Mapping[str, str] | None = None,
        env_file: str | None = None,
    ) -> GoEnv:
        """Resolve like cfg.Getenv: environment, then go env -w file, then defaults."""
        file_values = dict(file_values or {})
        goroot = dict(GOROOT_DEFAULTS)
        goroot.update(goroot_values or {})
        values: dict[str, str] = {}
        origins: dict[str, str] = {}
        for var in GO_VARS:
            if env.get(var):
                values[var], origins[var] = env[var], ORIGIN_ENV
            elif file_values.get(var):
                values[var], origins[var] = file_values[var], ORIGIN_FILE
            elif goroot.get(var):
                values[var], origins[var] = goroot[var], ORIGIN_GOROOT
            else:
                values[var], origins[var] = "", ORIGIN_DEFAULT
        # GONOPROXY and GONOSUMDB default to GOPRIVATE (cfg.EnvOrAndChanged).
        for var in ("GONOPROXY", "GONOSUMDB"):
            if not values[var] and values["GOPRIVATE"]:
                values[var] = values["GOPRIVATE"]
                origins[var] = "GOPRIVATE"
        return cls(values, origins, file_values, env_file)

    @classmethod
    def load(
        cls,
        env: Mapping[str, str] | None = None,
        go: str | None = None,
        cwd: str | None = None,
        owner: int | None = None,
        executable: str | None = None,
    ) -> GoEnv:
        """The environment a go command started with `env` would see.

        Reads the go env -w file itself; when `go` is given, GOROOT's go.env too (found
        as go finds it, asking `go env -json` only as a last resort). Never raises. For
        another process's environment: `cwd`, its working directory (for a relative
        GOENV), `owner`, its uid (a file it could not read is not read for it), and
        `executable`, its binary (/proc/PID/exe), which locates its GOROOT's go.env.
        """
        env = dict(os.environ if env is None else env)
        path = env_file_path(env)
        if path and cwd and not os.path.isabs(path):
            path = os.path.join(cwd, path)  # go resolves a relative GOENV in its own directory
        file_values, error = read_env_file_checked(path, owner)
        # initEnvCache (cfg.go): GOROOT as the user's file or the environment says, else
        # where the executable is, then that GOROOT's go.env under both.
        goroot_var = file_values.get("GOROOT") or env.get("GOROOT", "")
        goroot_values: dict[str, str] = {}
        if executable is not None:  # another process: its own binary, never run
            root = find_goroot(goroot_var, executable)
            if root and cwd and not os.path.isabs(root):
                root = os.path.join(cwd, root)  # as a relative GOENV: where go started
            goroot_values, root_error = read_env_file_checked(
                os.path.join(root, "go.env") if root else None, owner
            )
            if root is None and os.path.basename(executable) == "go":
                # runtime.GOROOT, built into the binary: only running it would tell.
                root_error = f"no GOROOT is set and none is above {executable}"
            error = error or (root_error and f"{GOROOT_ENV_UNREAD}: {root_error}")
        elif go:
            goroot_values = read_env_file(go_root_env_file(go, {**env, "GOROOT": goroot_var}))
        loaded = cls.from_mapping(env, file_values, goroot_values, path)
        return replace(loaded, env_file_error=error) if error else loaded

    # -- derived views (cached: the environment never changes) ----------
    def get(self, var: str) -> str:
        return self.values.get(var, "")

    @cached_property
    def proxy_list(self) -> ProxyList:
        return parse_goproxy(self.get("GOPROXY"), self.get("GONOPROXY"))

    @cached_property
    def sumdb(self) -> SumDB:
        return parse_gosumdb(self.get("GOSUMDB"))

    def is_noproxy(self, module: str) -> bool:
        return matching_pattern(self.get("GONOPROXY"), module) is not None

    def is_nosumdb(self, module: str) -> bool:
        return matching_pattern(self.get("GONOSUMDB"), module) is not None

    def explicit(self, var: str) -> bool:
        """Set by the user (environment or go env -w), not inherited or defaulted."""
        return self.origins.get(var) in (ORIGIN_ENV, ORIGIN_FILE)

    def to_dict(self, redact: bool = True) -> dict[str, dict[str, str]]:
        """For reports and recordings: credentials are redacted unless asked not to."""

        def clean(var: str, value: str) -> str:
            if not redact:
                return value
            return redact_value(reduce_goauth(value) if var == "GOAUTH" else value)

        return {
            var: {
                "value": clean(var, self.values.get(var, "")),
                "origin": self.origins.get(var, ""),
            }
            for var in GO_VARS
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> GoEnv:
        """Inverse of to_dict (also accepts plain {VAR: value})."""
        values: dict[str, str] = {}
        origins: dict[str, str] = {}
        for var, item in data.items():
            if isinstance(item, Mapping):
                values[var] = str(item.get("value", ""))
                origins[var] = str(item.get("origin", ""))
            elif isinstance(item, str):
                values[var] = item
                origins[var] = ORIGIN_ENV
        if any(var not in values for var in GO_VARS):
            return cls.from_mapping(values)
        return cls(values, origins)


# The variables that affect the go command: `KnownEnv` in src/internal/cfg/cfg.go (Go 1.27).
# Of a sender's environment goscope keeps Go's own (GO…), and those that decide where a
# request goes and whom it trusts; never git's (GIT_CONFIG_*, GIT_PASSWORD), never the rest.
KNOWN_GO_ENV = frozenset(
    [
        "GO111MODULE",
        "GO386",
        "GOAMD64",
        "GOARCH",
        "GOARM",
        "GOARM64",
        "GOAUTH",
        "GOBIN",
        "GOCACHE",
        "GOCACHEPROG",
        "GOENV",
        "GOEXE",
        "GOEXPERIMENT",
        "GOFIPS140",
        "GOFLAGS",
        "GOGCCFLAGS",
        "GOHOSTARCH",
        "GOHOSTOS",
        "GOINSECURE",
        "GOMIPS",
        "GOMIPS64",
        "GOMODCACHE",
        "GONOPROXY",
        "GONOSUMDB",
        "GOOS",
        "GOPATH",
        "GOPPC64",
        "GOPRIVATE",
        "GOPROXY",
        "GORISCV64",
        "GOROOT",
        "GOSUMDB",
        "GOTMPDIR",
        "GOTOOLCHAIN",
        "GOTOOLDIR",
        "GOVCS",
        "GOWASM",
        "GOWORK",
        "GO_EXTLINK_ENABLED",
    ]
)
TRANSPORT_ENV = frozenset(
    [
        "HTTPS_PROXY",
        "HTTP_PROXY",
        "ALL_PROXY",
        "NO_PROXY",
        "https_proxy",
        "http_proxy",
        "all_proxy",
        "no_proxy",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "GIT_SSL_CAINFO",
        "CURL_CA_BUNDLE",
    ]
)
# What finding the go env -w file needs (os.UserConfigDir), read but not kept.
LOCATING_ENV = frozenset({"HOME", "XDG_CONFIG_HOME", "APPDATA", "home"})


def reduce_goauth(value: str) -> str:
    """GOAUTH as its methods only: `netrc`, `off`, `git`, or a command's name, never its
    arguments (a command line may carry a token). Semicolon-separated, as auth.go reads it."""
    kept = []
    for part in value.split(";"):
        words = part.split()
        if not words:
            continue
        name = words[0]
        kept.append(name if name in ("netrc", "off", "git") else os.path.basename(name))
    return "; ".join(kept)


def judging_variables(environ: Mapping[str, str]) -> dict[str, str]:
    """What of a process's environment goscope keeps (and shows): Go's own variables, the
    proxy and CA variables; each value redacted by name and by shape, GOAUTH reduced."""
    kept = {}
    for var, value in sorted(environ.items()):
        if var in KNOWN_GO_ENV or var in TRANSPORT_ENV:
            kept[var] = redact_value(reduce_goauth(value) if var == "GOAUTH" else value)
    return kept


def loading_variables(environ: Mapping[str, str]) -> dict[str, str]:
    """What `GoEnv.load` needs of a process's environment to resolve it as go would."""
    wanted = KNOWN_GO_ENV | LOCATING_ENV
    return {var: value for var, value in environ.items() if var in wanted}


def env_file_path(env: Mapping[str, str], goos: str | None = None) -> str | None:
    """`cfg.EnvFile` (cmd/go/internal/cfg/cfg.go): $GOENV, or os.UserConfigDir()/go/env;
    None for GOENV=off, or where go finds no user config directory (it then reads none).

    `goos`: the platform go runs on (default: this one's, as Go names it).
    """
    goenv = env.get("GOENV", "")
    if goenv == "off":
        return None
    if goenv:
        return goenv
    goos = goos or current_goos()
    base = user_config_dir(env, goos)
    if not base:
        return None
    if goos == "windows":
        return ntpath.join(base, "go", "env")  # filepath.Join: backslashes
    return posixpath.join(base, "go", "env")


def current_goos() -> str:
    """This machine's GOOS (runtime.GOOS) from Python's sys.platform."""
    if sys.platform.startswith("win") or sys.platform == "cygwin":
        return "windows"
    if sys.platform == "darwin":
        return "darwin"
    return "plan9" if sys.platform.startswith("plan9") else "linux"


def _getenv(env: Mapping[str, str], name: str, goos: str) -> str:
    if goos != "windows":
        return env.get(name, "")
    # Windows environment variables are case-insensitive (os.Getenv there too).
    return next((v for k, v in env.items() if k.upper() == name.upper()), "")


def user_config_dir(env: Mapping[str, str], goos: str) -> str | None:
    """A port of os.UserConfigDir (src/os/file.go): None where Go returns an error."""
    if goos == "windows":
        return _getenv(env, "AppData", goos) or None
    if goos in ("darwin", "ios"):
        home = env.get("HOME", "")
        return home + "/Library/Application Support" if home else None
    if goos == "plan9":
        home = env.get("home", "")
        return home + "/lib" if home else None
    xdg = env.get("XDG_CONFIG_HOME", "")
    if xdg:
        return xdg if xdg.startswith("/") else None  # relative: an error in Go
    home = env.get("HOME", "")
    return home + "/.config" if home else None


ENV_FILE_LIMIT = 1 << 20  # a go env -w file holds a few lines; a larger one is not one


def read_env_file(path: str | None) -> dict[str, str]:
    """`cfg.readEnvFile`: KEY=VALUE lines; comments and junk ignored."""
    return read_env_file_checked(path)[0]


def read_env_file_checked(
    path: str | None, owner: int | None = None
) -> tuple[dict[str, str], str | None]:
    """`cfg.readEnvFile`, bounded: (the values, why the file was not read).

    go itself ignores a file it cannot read; it would wait forever on a FIFO and run
    out of memory on /dev/zero. goscope reads only a regular file of at most
    ENV_FILE_LIMIT bytes, without blocking, and says why when it will not.
    """
    if not path:
        return {}, None
    try:
        info = os.stat(path)
    except OSError:
        info = None  # read_regular says why, below
    if info is not None and (
        stat.S_ISDIR(info.st_mode)  # os.ReadFile fails, and go goes on without it
        or (stat.S_ISCHR(info.st_mode) and info.st_rdev == os.makedev(1, 3))  # /dev/null
    ):
        return {}, None  # what go reads there is nothing: its environment is whole
    try:
        data = read_regular(path, ENV_FILE_LIMIT, owner).decode("utf-8", errors="replace")
    except UnsafeFile as exc:
        # Missing, or one the process itself may not open: go ignores it too (cfg.go
        # `readEnvFile` returns on any error), so nothing is unknown. Only a file go would
        # read and goscope will not (a FIFO, a device, over the limit, another's) is.
        ignored = exc.errno in (errno.ENOENT, errno.ENOTDIR, errno.EACCES, errno.EISDIR)
        return {}, None if ignored else str(exc)
    values: dict[str, str] = {}
    for line in data.split("\n"):
        key, eq, val = line.partition("=")
        if not eq or not line or not "A" <= line[0] <= "Z":
            continue
        values[key] = val
    return values, None
