"""Where go's routing can send a module path: the model the doctor checks itself against.

From src/cmd/go/internal/modfetch/proxy.go (`proxyList`: GONOPROXY puts a
"noproxy" entry first; `direct` and `off` end the walk) and modfetch/sumdb.go
(`useSumDB`: GOSUMDB=off, or a GONOSUMDB match, means no lookup). The
questions here are the ones no finding may contradict: can this path reach a
proxy goscope is not told to trust, and is its checksum looked up at all?
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from ..hosts import is_public_service
from ..safe.redact import redact_value
from .goenv import GoEnv, ProxyEntry
from .patterns import matching_pattern


def proxies_asked(env: GoEnv, path: str | None = None) -> list[ProxyEntry]:
    """The proxy entries go may ask for `path` (any path when None), in order."""
    plist = env.proxy_list
    if plist.error or (path is not None and env.is_noproxy(path)):
        return []
    out = []
    for entry in plist.entries:
        if entry.url == "noproxy":
            continue
        if entry.is_keyword:  # direct or off: the walk ends there
            break
        out.append(entry)
    return out


def untrusted_proxies(
    env: GoEnv, trusted: frozenset[str], path: str | None = None
) -> list[ProxyEntry]:
    """The proxies go may ask that the user has not said to trust with private paths."""
    return [e for e in proxies_asked(env, path) if e.host not in trusted]


def checksums_looked_up(env: GoEnv, path: str | None = None) -> bool:
    """Whether go asks a checksum database about `path` (any path when None)."""
    db = env.sumdb
    if db.off or db.error:
        return False
    return path is None or not env.is_nosumdb(path)


# -- `goscope route`: what go will do for a path, before it does it ---------------------------
@dataclass
class RouteStep:
    """One thing go does for the path, the setting that decided it, and its origin."""

    what: str  # plain words
    host: str | None = None  # where the path goes (None: nowhere on the network)
    url: str | None = None  # the request, when it is one
    variable: str = ""
    value: str = ""
    origin: str = ""
    moves_on: str = ""  # after this entry: on which answers go tries the next
    leak: str = ""  # non-empty: a --private path sent to a host not trusted with it
    probe_of: str | None = None  # a prefix probe of this package path
    blocked: str = ""  # under goscope's guard: what it answers here instead of the host

    def to_dict(self) -> dict[str, Any]:
        # Redacted as every output is: GOPROXY and GOSUMDB URLs carry passwords and tokens.
        return {k: redact_value(v) if isinstance(v, str) else v for k, v in asdict(self).items()}


@dataclass
class Route:
    path: str
    version: str | None
    steps: list[RouteStep] = field(default_factory=list)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "version": self.version,
            "error": redact_value(self.error) if self.error else self.error,
            "steps": [s.to_dict() for s in self.steps],
        }


# cmd/go/internal/vcs/vcs.go defaultGOVCS: appended after the user's rules.
DEFAULT_GOVCS = (("private", ("all",)), ("public", ("git", "hg")))


def govcs_allows(env: GoEnv, path: str, vcs: str = "git") -> tuple[bool, str]:
    """vcs.go `allow`: the first GOVCS rule matching the path decides; the rule, in words."""
    rules: list[tuple[str, tuple[str, ...]]] = []
    govcs = env.get("GOVCS").strip()
    for item in govcs.split(",") if govcs else []:
        pattern, colon, listed = item.strip().partition(":")
        if not colon or not pattern.strip() or not listed.strip():
            return False, f"malformed GOVCS entry {item.strip()!r}: go refuses every fetch"
        rules.append((pattern.strip(), tuple(a.strip() for a in listed.split("|"))))
    rules += DEFAULT_GOVCS
    private = matching_pattern(env.get("GOPRIVATE"), path) is not None
    for pattern, allowed in rules:
        if pattern == "private":
            match = private
        elif pattern == "public":
            match = not private
        else:
            match = matching_pattern(pattern, path) is not None
        if match:
            ok = vcs in allowed or "all" in allowed
            return ok, f"{pattern}:{'|'.join(allowed)}"
    return False, "no rule"


def escape_for_url(path: str) -> str:
    """module.EscapePath, then the `!` as go sends it (%21)."""
    return "".join("%21" + c.lower() if c.isupper() else c for c in path)


def prefix_probes(path: str) -> list[str]:
    """modload/query.go `modulePrefixesExcludingTarget`: every `/`-prefix, longest first,
    the bare host included, skipping a bad major-version suffix like /v1 or /v0."""
    parts = path.split("/")
    return ["/".join(parts[:n]) for n in range(len(parts), 0, -1) if not _bad_major(parts[n - 1])]


def _bad_major(element: str) -> bool:
    """module.SplitPathVersion refuses /v0, /v1 and a leading zero (/v01)."""
    digits = element[1:]
    return element.startswith("v") and digits.isdigit() and (digits[0] == "0" or int(digits) < 2)


def predict_route(
    env: GoEnv,
    path: str,
    version: str | None = None,
    *,
    package: bool = False,
    private: str = "",
    trusted: frozenset[str] = frozenset(),
) -> Route:
    """What go will do for `path` (a module, or with `package` a package path `go get`
    resolves), step by step, without touching the network."""
    route = Route(path, version)
    if path in ("go", "toolchain") and version:
        # A `go` or `toolchain` line that asks for another Go: go downloads the module
        # golang.org/toolchain@v0.0.1-goX.Y.Z.GOOS-GOARCH through GOPROXY
        # (cmd/go/internal/toolchain/select.go), its checksum checked like any module's.
        goos, goarch = env.get("GOHOSTOS") or "linux", env.get("GOHOSTARCH") or "amd64"
        release = version if version.startswith("go") else f"go{version}"
        if release.count(".") == 1 and release[2:].replace(".", "").isdigit():
            release += ".0"  # a language version (1.22) names its first release (go1.22.0)
        path, version = "golang.org/toolchain", f"v0.0.1-{release}.{goos}-{goarch}"
        route.steps.append(
            RouteStep(
                f"a {route.path} line asking for {release} makes go download {path}@{version} "
                "(when GOTOOLCHAIN allows a switch: auto, or a +auto suffix)",
                variable="GOTOOLCHAIN",
                value=env.get("GOTOOLCHAIN"),
                origin=env.origins.get("GOTOOLCHAIN", ""),
            )
        )
        package = False
        toolchain = env.get("GOTOOLCHAIN")
        if toolchain == "local":
            route.steps.append(
                RouteStep(
                    f"GOTOOLCHAIN={toolchain}: go does not switch, so it downloads nothing and "
                    f"fails with 'requires go >= …' if it is older than {release}",
                    variable="GOTOOLCHAIN",
                    value=toolchain,
                    origin=env.origins.get("GOTOOLCHAIN", ""),
                )
            )
            return route
    plist = env.proxy_list
    if plist.error:
        route.error = f"go rejects GOPROXY: {plist.error}"
        return route
    targets = prefix_probes(path) if package else [path]
    for target in targets:
        probe_of = path if package and len(targets) > 1 else None
        route.steps += _fetch_steps(env, target, version, probe_of, private, trusted)
    if package and len(targets) > 1:
        route.steps.append(
            RouteStep(
                "the longest prefix that has the package is the module; its files then come "
                "from the proxy that found it (modload/query.go: TryProxies wraps the whole "
                "query, each proxy asked for every prefix before the next)",
            )
        )
    route.steps += _checksum_steps(env, targets[0] if not package else path, private, trusted)
    return route


def _origin(env: GoEnv, var: str) -> tuple[str, str]:
    return env.get(var), env.origins.get(var, "")


def _private_match(private: str, env: GoEnv, path: str) -> str:
    patterns = ",".join(p for p in (env.get("GOPRIVATE"), env.get("GONOPROXY"), private) if p)
    return matching_pattern(patterns, path) or ""


def _fetch_steps(
    env: GoEnv,
    path: str,
    version: str | None,
    probe_of: str | None,
    private: str,
    trusted: frozenset[str],
) -> list[RouteStep]:
    steps: list[RouteStep] = []
    endpoint = f"@v/{escape_for_url(version)}.info" if version else "@v/list"
    if path == "golang.org/toolchain" and version:
        endpoint = f"@v/{version}.zip"  # a toolchain switch asks for the zip at once
    if env.is_noproxy(path):
        value, origin = _origin(env, "GONOPROXY")
        pattern = matching_pattern(env.get("GONOPROXY"), path)
        steps.append(
            RouteStep(
                f"{path} matches GONOPROXY pattern {pattern}: no proxy is asked; go fetches "
                "it from version control",
                variable="GONOPROXY",
                value=value,
                origin=origin,
                probe_of=probe_of,
            )
        )
        steps.append(_direct_step(env, path, probe_of))
        return steps
    value, origin = _origin(env, "GOPROXY")
    for entry in env.proxy_list.entries:
        if entry.url == "noproxy":
            continue
        if entry.url == "off":
            steps.append(
                RouteStep(
                    "GOPROXY reaches `off`: go refuses to download it",
                    variable="GOPROXY",
                    value=value,
                    origin=origin,
                    probe_of=probe_of,
                )
            )
            break
        if entry.url == "direct":
            steps.append(_direct_step(env, path, probe_of))
            break
        url = f"{entry.url}/{escape_for_url(path)}/{endpoint}"
        moves_on = "any error" if entry.fall_back_on_error else "404 or 410 only"
        step = RouteStep(
            f"ask {entry.host} for {path} ({endpoint})",
            host=entry.host,
            url=url,
            variable="GOPROXY",
            value=value,
            origin=origin,
            moves_on=moves_on if entry.separator else "",
            probe_of=probe_of,
        )
        matched = _private_match(private, env, path)
        if matched and entry.host not in trusted:
            where = "the public" if is_public_service(entry.host) else "the untrusted"
            step.leak = f"{path} (private: {matched}) goes to {where} proxy {entry.host}"
        steps.append(step)
    return steps


def guarded(route: Route) -> Route:
    """The route under goscope's guard (proxy/guard.py): every step that would send a
    private path out is answered by goscope instead, as go's rules make it go on."""
    for step in route.steps:
        if not step.leak:
            continue
        if step.variable == "GOPROXY" and step.url and "/sumdb/" not in step.url:
            step.blocked = "the guard answers 404 here: go moves on to the next entry"
        else:
            step.blocked = (
                "the guard answers the lookup 403: go stops verifying, and the download fails "
                "(nothing is used unverified)"
            )
    return route


# vcsPaths of src/cmd/go/internal/vcs/vcs.go (Go 1.27): hosts go resolves without asking
# `?go-get=1`, in order. (prefix, root regexp, vcs; None: the path's own .git/.hg… suffix.)
VCS_PATHS: tuple[tuple[str, re.Pattern[str], str | None], ...] = (
    ("github.com", re.compile(r"^(?P<root>github\.com/[\w.\-]+/[\w.\-]+)(/[\w.\-]+)*$"), "git"),
    (
        "bitbucket.org",
        re.compile(r"^(?P<root>bitbucket\.org/(?P<bitname>[\w.\-]+/[\w.\-]+))(/[\w.\-]+)*$"),
        "git",
    ),
    (
        "hub.jazz.net/git",
        re.compile(r"^(?P<root>hub\.jazz\.net/git/[a-z0-9]+/[\w.\-]+)(/[\w.\-]+)*$"),
        "git",
    ),
    (
        "git.apache.org",
        re.compile(r"^(?P<root>git\.apache\.org/[a-z0-9_.\-]+\.git)(/[\w.\-]+)*$"),
        "git",
    ),
    (
        "git.openstack.org",
        re.compile(r"^(?P<root>git\.openstack\.org/[\w.\-]+/[\w.\-]+)(\.git)?(/[\w.\-]+)*$"),
        "git",
    ),
    (
        "chiselapp.com",
        re.compile(r"^(?P<root>chiselapp\.com/user/[A-Za-z0-9]+/repository/[\w.\-]+)$"),
        "fossil",
    ),
    (
        "",
        re.compile(
            r"(?P<root>(?P<repo>([a-z0-9.\-]+\.)+[a-z0-9.\-]+(:[0-9]+)?(/~?[\w.\-]+)+?)"
            r"\.(?P<vcs>fossil|git|hg|svn))(/~?[\w.\-]+)*$"
        ),
        None,
    ),
)
VCS_SUFFIXES = (".git", ".hg", ".svn", ".fossil", ".bzr")
NO_VCS_SUFFIX = ("github.com", "bitbucket.org", "hub.jazz.net/git")


def static_repo(path: str) -> tuple[str, str, str] | None:
    """(vcs, repository URL, root) when go resolves `path` without `?go-get=1`
    (vcs.go `repoRootFromVCSPaths`); ("", "", why) when it rejects it outright; None:
    go asks `https://path?go-get=1`."""
    for prefix, pattern, vcs in VCS_PATHS:
        if prefix and not (path == prefix or path.startswith(prefix + "/")):
            continue
        match = pattern.match(path) if prefix else pattern.search(path)
        if match is None:
            if prefix:
                return "", "", f"invalid {prefix} import path {path!r}: go rejects it"
            continue
        root = match.group("root")
        if prefix in NO_VCS_SUFFIX and root.endswith(VCS_SUFFIXES):  # vcs.go `noVCSSuffix`
            return "", "", f"invalid version control suffix in {prefix} path {path!r}"
        kind = vcs or match.group("vcs")
        repo = f"https://{match.group('repo')}" if vcs is None else f"https://{root}"
        return kind, repo, root
    return None


def _direct_step(env: GoEnv, path: str, probe_of: str | None) -> RouteStep:
    value, origin = _origin(env, "GOVCS")
    host = path.split("/", 1)[0]
    static = static_repo(path)
    if static is not None and not static[0]:
        return RouteStep(static[2], host=None, probe_of=probe_of)
    if static is not None:
        vcs, repo, root = static
        allowed, rule = govcs_allows(env, path, vcs)
        what = (
            f"fetch {path} from version control: go knows {host} (vcs.go's vcsPaths) and "
            f"runs `{vcs} ls-remote {repo}` at once, no ?go-get=1"
        )
        url = f"{repo}/info/refs?service=git-upload-pack" if vcs == "git" else repo
    else:
        allowed, rule = govcs_allows(env, path)
        what = f"fetch {path} from version control: https://{path}?go-get=1, then git"
        url = f"https://{path}?go-get=1"
    if not allowed:
        what += f" — refused: GOVCS ({rule}) does not allow it"
    return RouteStep(
        what,
        host=host,
        url=url,
        variable="GOVCS",
        value=value or "(default) private:all,public:git|hg",
        origin=origin or "default",
        probe_of=probe_of,
    )


def _checksum_steps(
    env: GoEnv, path: str, private: str, trusted: frozenset[str]
) -> list[RouteStep]:
    db = env.sumdb
    value, origin = _origin(env, "GOSUMDB")
    if db.off:
        return [
            RouteStep(
                "its checksum is not looked up: GOSUMDB=off",
                variable="GOSUMDB",
                value=value,
                origin=origin,
            )
        ]
    if db.error:
        return [
            RouteStep(
                f"go rejects GOSUMDB ({db.error}): nothing can be verified",
                variable="GOSUMDB",
                value=value,
                origin=origin,
            )
        ]
    steps = []
    if env.is_noproxy(path) and not env.is_nosumdb(path):
        # The seed's mistake: each defaults to GOPRIVATE on its own (cfg.go), and sumdb.go's
        # useSumDB reads only GOSUMDB and GONOSUMDB.
        nv, no = _origin(env, "GONOSUMDB")
        steps.append(
            RouteStep(
                f"GONOPROXY keeps {path} from the proxies, not from the checksum database: "
                "GONOSUMDB does not cover it (each defaults to GOPRIVATE on its own), so go "
                "still looks its checksum up",
                variable="GONOSUMDB",
                value=nv or "(unset)",
                origin=no or "default",
            )
        )
    if env.is_nosumdb(path):
        nv, no = _origin(env, "GONOSUMDB")
        pattern = matching_pattern(env.get("GONOSUMDB"), path)
        return [
            RouteStep(
                f"its checksum is not looked up: GONOSUMDB pattern {pattern}",
                variable="GONOSUMDB",
                value=nv,
                origin=no,
            )
        ]
    lookup = f"lookup/{path}@…"
    if db.url:
        steps.append(
            RouteStep(
                f"look its checksum up at {db.url} (GOSUMDB names the URL)",
                host=db.host,
                url=f"{db.url}/{lookup}",
                variable="GOSUMDB",
                value=value,
                origin=origin,
            )
        )
    else:
        for entry in proxies_asked(env):
            steps.append(
                RouteStep(
                    f"ask {entry.host} whether it proxies the checksum database "
                    f"(/sumdb/{db.name}/supported); if so, look it up there",
                    host=entry.host,
                    url=f"{entry.url}/sumdb/{db.name}/supported",
                    variable="GOPROXY",
                    value=env.get("GOPROXY"),
                    origin=env.origins.get("GOPROXY", ""),
                    moves_on={",": "404 or 410", "|": "any error"}.get(entry.separator, ""),
                )
            )
        steps.append(
            RouteStep(
                f"else connect to the checksum database {db.name} directly",
                host=db.name,
                url=f"https://{db.name}/{lookup}",
                variable="GOSUMDB",
                value=value,
                origin=origin,
            )
        )
    matched = _private_match(private, env, path)
    for step in steps:
        if matched and step.host and step.url and step.host not in trusted:
            where = "public" if is_public_service(step.host) else "untrusted"
            step.leak = f"{path} (private: {matched}) is looked up at the {where} {step.host}"
    return steps
