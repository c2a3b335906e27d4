"""go's errors tied to the requests behind them, and the verdicts that follow.

goscope sees HTTP answers; go decides what they mean. A 200 zip whose hash
does not match is a rejected download; a prefix probe's 404 is "no module
here"; a checksum lookup's 404 fails verifying. Here each of go's errors
(goerrors.py) finds its fetches (by the URL go names, else by module@version,
else by the package path it looked for), and those fetches take go's verdict.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..gorules.goenv import GoEnv
from ..gorules.goerrors import TOOLCHAIN_KINDS, GoError, explain
from ..urls import origin
from .answered import is_not_found
from .chains import FallbackChain
from .explain import CERT_FAILURE
from .lookups import ModuleLookup, find_lookups, meta_not_found

CHECKSUM_KINDS = ("checksum-mismatch", "checksum-missing")


def url_key(url: str | None) -> str:
    """A URL as go's error and goscope's event both spell it: no userinfo, no query."""
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        return origin(parts) + parts.path
    except ValueError:
        return url


def link_errors(
    errors: Iterable[GoError],
    chains: list[FallbackChain],
    env: GoEnv | None,
    lookups: list[ModuleLookup] | None = None,
) -> list[ModuleLookup]:
    """Explain each error, tie it to its fetches and give them go's verdict."""
    if lookups is None:
        lookups = find_lookups(chains)
    by_url: dict[str, list[FallbackChain]] = {}
    by_module: dict[tuple[str, str | None], list[FallbackChain]] = {}
    by_path: dict[str, list[FallbackChain]] = {}
    for chain in chains:
        by_module.setdefault((chain.module, chain.version), []).append(chain)
        by_path.setdefault(chain.module, []).append(chain)
        for attempt in chain.attempts:
            if attempt.url:
                by_url.setdefault(url_key(attempt.url), []).append(chain)
    errors = list(errors)
    # One URL named by several errors: several go processes (a script's `go mod download`
    # twice) each failed on their own fetch of it. In the order go printed them, the errors
    # take the newest unserved fetches of that URL in theirs; one error takes the newest,
    # as before.
    naming = Counter(url_key(e.url) for e in errors if e.url)
    told: Counter[str] = Counter()
    for error in errors:
        explain(error, env)
        targets = _targets(error, chains, by_url, by_module, by_path)
        found = by_url.get(url_key(error.url)) if error.url else None
        unserved = [c for c in found or () if c.result != "served"]
        if unserved and targets == unserved[-1:] and naming[url_key(error.url)] > 1:
            key = url_key(error.url)
            index = len(unserved) - naming[key] + told[key]
            told[key] += 1
            targets = [unserved[max(index, 0)]]
        for chain in targets:
            _blame_redirect(error, chain)
            _blame_certificate(error, chain)
            _blame_unreachable(error, chain)
            _blame_guard(error, chain)
            if error.line not in chain.go_errors:
                chain.go_errors = (*chain.go_errors, error.line)
            error.seqs += [s for a in chain.attempts for s in a.seqs if s not in error.seqs]
            if error.kind == "govcs" and chain.endpoint == "vcs":
                # Found, never fetched: go refused before any request to the repository.
                chain.result, chain.served_by = "rejected", None
                chain.rejected = f"refused by go: {_govcs_words(error.line)}"
            if error.kind in CHECKSUM_KINDS and chain.endpoint in ("zip", "mod", "vcs"):
                chain.result = "rejected"
                source = error.checksum_source or "go.sum"
                chain.rejected = f"{CHECKSUM_REJECTED} mismatch ({source})"
                if error.kind == "checksum-missing":
                    chain.rejected = f"{CHECKSUM_REJECTED} missing from the database"
    return lookups


CHECKSUM_REJECTED = "rejected by go: checksum"


def _govcs_words(line: str) -> str:
    """go's own reason, from `GOVCS` to before its `; see 'go help vcs'`."""
    start = line.find("GOVCS disallows")
    return line[start:].split(";", 1)[0] if start >= 0 else "GOVCS disallows it"


def _blame_redirect(error: GoError, chain: FallbackChain) -> None:
    """go names the proxy's URL; the answer came from where the proxy redirected it."""
    hopped = [a for a in chain.attempts if a.hops and a.status == error.status]
    if error.status is None or not hopped:
        return
    attempt = hopped[-1]
    final = attempt.hops[-1][0]
    error.explanation = (
        f"{attempt.host} redirected go to {final}, which answered {error.status}; go reports "
        f"it as a {error.status} from {attempt.host}'s URL. Often a firewall that blocks "
        f"{final}, or a signed URL that expired; {attempt.host} itself answered "
        f"{attempt.redirect_status or 'a redirect'}"
    )
    error.fix = ""


def _blame_guard(error: GoError, chain: FallbackChain) -> None:
    """go saw the guard's answer: the path is private, and the configuration sends it out."""
    blocked = [a for a in chain.attempts if a.blocked and a.status == error.status]
    if error.status is None or not blocked:
        return
    host = blocked[-1].host
    if chain.kind == "sumdb":
        error.explanation = (
            f"goscope's guard did not let the private path reach {host} and answered "
            f"{error.status} in its place: go stops rather than use it unverified. Keep the "
            "path from the checksum database (GONOSUMDB or GOPRIVATE) and go will not ask"
        )
    else:
        error.explanation = (
            f"goscope's guard did not let the private path reach {host} and answered "
            f"{error.status}; no later GOPROXY entry served it. Send private paths direct "
            "(GOPRIVATE or GONOPROXY)"
        )


def _blame_unreachable(error: GoError, chain: FallbackChain) -> None:
    """go saw goscope's 502: the server failed before a whole answer came (no such host,
    refused, reset, a body cut short), and no server answered 502."""
    unreached = [
        a
        for a in chain.attempts
        if a.status == 502 and a.error and CERT_FAILURE not in a.error.lower()
    ]
    if error.status != 502 or not unreached:
        return
    attempt = unreached[-1]
    who = attempt.hops[-1][0] if attempt.hops else attempt.host  # where a redirect led
    error.explanation = (
        f"the 502 is goscope's: {who} failed before a whole answer came ({attempt.error}), "
        f"and goscope answered go in its place. Without goscope, go's own request to {who} "
        "fails the same way"
    )


def _blame_certificate(error: GoError, chain: FallbackChain) -> None:
    """go saw goscope's 502: the certificate goscope refused is the story."""
    refused = [
        a for a in chain.attempts if a.status == 502 and a.error and CERT_FAILURE in a.error.lower()
    ]
    if error.status != 502 or not refused:
        return
    host = refused[-1].host
    error.explanation = (
        f"goscope refused {host}'s certificate, checked with the roots go trusts, and answered "
        f"go 502 in its place: go itself would fail with an x509 error. A TLS-inspecting proxy "
        "or a private CA signs it; its CA belongs in go's roots (SSL_CERT_FILE, SSL_CERT_DIR "
        "or the system store)"
    )


def _targets(
    error: GoError,
    chains: list[FallbackChain],
    by_url: dict[str, list[FallbackChain]],
    by_module: dict[tuple[str, str | None], list[FallbackChain]],
    by_path: dict[str, list[FallbackChain]],
) -> list[FallbackChain]:
    if error.kind in CHECKSUM_KINDS and error.module:
        endpoint = "mod" if error.gomod else "zip"
        same = by_module.get((error.module, error.version), [])
        fetched = [c for c in same if c.endpoint == endpoint][-1:]
        if not fetched:  # fetched from version control: the repository's chain
            fetched = [c for c in _under_path(error.module, by_path) if c.endpoint == "vcs"][-1:]
        return fetched + [c for c in same if c.endpoint == "lookup"][-1:]
    if error.kind in TOOLCHAIN_KINDS:
        return [c for c in chains if c.module == "golang.org/toolchain" and c.failed]
    if error.kind == "govcs" and error.module:
        # The repository go found (its ?go-get=1 page served) and then would not fetch:
        # that path's direct fetch, never a prefix's "no module here". (A static host's
        # root, github.com's, is refused before any request: then as any error.)
        refused = [c for c in by_path.get(error.module, []) if c.endpoint == "vcs"][-1:]
        if refused:
            return refused
    if error.url and (found := by_url.get(url_key(error.url))):
        # The newest fetch of that URL that was not served: the one go reports (a later
        # fetch of it that was served cannot be what failed).
        return ([c for c in found if c.result != "served"] or found)[-1:]
    if error.module and error.version:
        same = by_module.get((error.module, error.version), [])
        failed = [c for c in same if c.result in ("failed", "unknown")]
        if failed or same:
            return failed or same[-1:]
        # Fetched from version control, which knows no versions: the repository's chain
        # (git's own error names the repository, `git ls-remote … https://host/org/repo`).
        vcs = [
            c
            for c in _under_path(error.module, by_path)
            if c.endpoint == "vcs" and not _not_here(c)
        ]
        if vcs:
            return [c for c in vcs if c.result != "served"] or vcs[-1:]
    path = error.query or error.module
    if path:  # a lookup: its failure, or the direct fetch of its repository
        # One error, one failure: the prefixes' "no module here" answered the lookup (tied
        # to them, go's git error read "3 failed"); where all are that, the longest path's.
        unserved = [c for c in _under_path(path, by_path) if c.result != "served"]
        return [c for c in unserved if not _not_here(c)][:1] or unserved[:1]
    return []


def _not_here(chain: FallbackChain) -> bool:
    """A prefix's "no module here": an answer of the lookup, not what go's error is about."""
    if meta_not_found(chain):
        return True
    last = chain.attempts[-1] if chain.attempts else None
    return chain.probe_of is not None and last is not None and is_not_found(last.status, last.error)


def _under_path(path: str, by_path: dict[str, list[FallbackChain]]) -> list[FallbackChain]:
    """The chains of `path` and of each of its `/`-prefixes (a module root, a probe)."""
    parts = path.split("/")
    out: list[FallbackChain] = []
    for n in range(len(parts), 0, -1):
        out += by_path.get("/".join(parts[:n]), [])
    return out


@dataclass
class Failures:
    """What failed, as go sees it: failed fetches, and go's errors no fetch explains."""

    chains: list[FallbackChain]
    errors: list[GoError]  # errors tied to no failed fetch

    def __len__(self) -> int:
        return len(self.chains) + len(self.errors)


def failures(
    chains: list[FallbackChain], errors: list[GoError], exit_code: int | None = None
) -> Failures:
    """Prefix probes are marked first: their "not found" is an answer, not a failure. go's
    errors no fetch explains count when go failed (or its status is unknown): a line go
    printed on its way to exit 0 was a warning."""
    find_lookups(chains)
    failed = [c for c in chains if c.failed]
    tied = {line for c in failed for line in c.go_errors}
    loose = [e for e in errors if e.line not in tied] if exit_code != 0 else []
    return Failures(failed, loose)


def mismatched_modules(errors: Iterable[GoError]) -> set[tuple[str, str | None]]:
    """module@version pairs go rejected for a checksum mismatch (proxy or direct)."""
    return {(e.module, e.version) for e in errors if e.kind in CHECKSUM_KINDS and e.module}


def checksum_verdict(
    module: str,
    version: str | None,
    chains: list[FallbackChain],
    env: GoEnv | None,
    decided: bool,
    mismatched: set[tuple[str, str | None]] | None = None,
) -> str:
    """Whether go checked this download's hash, and against what (go's verdict first).

    `verified` only when the checksum database vouched for it and go did not
    reject it; `go.sum` when go downloaded it without a lookup while the
    database was on (the hash was in go.sum, which go checked); `not checked`
    with the setting that turned the check off (modfetch/fetch.go `checkModSum`,
    `useSumDB`). A go.mod is checked as a zip is (fetch.go `checkGoMod`: go.sum's
    `/go.mod` line, else the same lookup), so a module whose `.mod` alone was fetched
    has a verdict too. `env`: the Go environment of the process that fetched it;
    `decided`: whether a lookup could still come (go looks up right after the fetch:
    decided once the command ended, or once later requests went by).
    """
    if any(c.rejected and c.rejected.startswith(CHECKSUM_REJECTED) for c in chains) or (
        module,
        version,
    ) in (mismatched or set()):
        return "MISMATCH"
    lookups = [c for c in chains if c.endpoint == "lookup"]
    if any(c.result == "served" for c in lookups):
        return "verified"
    if lookups:
        return "not verified: lookup failed"
    if env is not None:
        if env.sumdb.off:
            return "not checked: GOSUMDB=off"
        if env.is_nosumdb(module):
            origin = env.origins.get("GONOSUMDB")
            return f"not checked: {'GOPRIVATE' if origin == 'GOPRIVATE' else 'GONOSUMDB'}"
    downloaded = any(c.endpoint in ("zip", "mod", "vcs") and c.result == "served" for c in chains)
    if downloaded and decided and version and not any(c.go_errors for c in chains):
        return "go.sum"
    return "-"


def module_groups(
    chains: list[FallbackChain],
) -> dict[tuple[str, str | None], list[FallbackChain]]:
    """The fetches of each module@version go fetched, its checksum lookups included.

    A module's version-less asks (`@v/list`, `@latest`) join its newest version; the
    checksum database's `supported` walk and a prefix probe's "no module here" are no
    module's.
    """
    newest: dict[str, str] = {}
    for chain in chains:
        if chain.version and chain.endpoint != "supported":
            newest[chain.module] = chain.version
    groups: dict[tuple[str, str | None], list[FallbackChain]] = {}
    for chain in chains:
        if chain.endpoint == "supported" or absent_probe(chain):
            continue
        key = (chain.module, chain.version or newest.get(chain.module))
        groups.setdefault(key, []).append(chain)
    return groups


def absent_probe(chain: FallbackChain) -> bool:
    """A prefix probe's \"no module here\": an answer of the lookup, no failure. A served
    path is one only inside the module go chose (lookups.py `_inside_chosen`: a package
    path's meta tag counted as a second module); a served proxy probe is a module."""
    if chain.probe_of is None or chain.failed:
        return False
    return chain.result != "served" or chain.attempts[-1].proxy == "direct"


def module_fetches(chains: list[FallbackChain]) -> list[FallbackChain]:
    """Fetches of modules: not checksum lookups, not a prefix probe's "no module here"."""
    return [c for c in chains if c.kind != "sumdb" and not absent_probe(c)]
