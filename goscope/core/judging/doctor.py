"""The doctor: Go module configuration mistakes, named before they bite.

Each rule reads the effective Go environment (with the origin of every value)
and says what is wrong in plain words, with the command that fixes it. With
traffic (a session or a recording), findings link to the requests that prove
them. Semantics cite the go source: modfetch/proxy.go (GOPROXY), sumdb.go
(GONOSUMDB), web/http.go and web/api.go (http:// proxies), cfg/cfg.go (origins).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..gorules.goenv import ORIGIN_ENV, GoEnv, ProxyEntry, parse_goproxy
from ..gorules.patterns import glob_error, matching_pattern, split_patterns
from ..hosts import is_public_service
from ..safe.redact import redact_value
from ..safe.shell import NOT_TEXT, unset_env_command
from ..traffic.answered import is_not_found
from .findings import PUBLIC_SAMPLES, SEVERITIES, Context, Finding, Rule, Traffic


# -- 1. no direct -----------------------------------------------------------
def rule_no_direct(ctx: Context) -> Iterable[Finding]:
    plist = ctx.env.proxy_list
    urls = [e.url for e in plist.entries]
    if plist.error or "direct" in urls or "off" in urls:
        return
    if plist.proxies and all(e.host in ctx.trusted for e in plist.proxies):
        return  # trusted proxies only: the user's own, meant to be the only source
    # Private modules need no `direct` here: GONOPROXY puts an implicit "noproxy"
    # entry first, which fetches them from version control (modfetch/proxy.go).
    finding = ctx.finding(
        "no-direct",
        "info",
        "GOPROXY",
        "GOPROXY has no `direct` fallback: a public module no listed proxy has can never be "
        "fetched (fine if your proxies are meant to be the only source)",
        ctx.set_cmd("GOPROXY", ctx.env.get("GOPROXY") + ",direct"),
    )
    if ctx.traffic:
        for chain in ctx.traffic.chains:
            if chain.result == "failed" and all(
                is_not_found(a.status, a.error) for a in chain.attempts
            ):
                finding.evidence += chain.attempts[-1].seqs[:1]
    yield finding


# -- 2. unused entries, off ------------------------------------------------------
def _raw_entries(goproxy: str) -> list[str]:
    return [e.strip() for e in goproxy.replace("|", ",").split(",") if e.strip()]


def rule_unused_entries(ctx: Context) -> Iterable[Finding]:
    raw = _raw_entries(ctx.env.get("GOPROXY"))
    for i, entry in enumerate(raw):
        if entry in ("direct", "off") and i + 1 < len(raw):
            unused = ", ".join(raw[i + 1 :])
            kept = ctx.env.get("GOPROXY")
            yield ctx.finding(
                "unused-entries",
                "warning",
                "GOPROXY",
                f"entries after `{entry}` are never used ({unused}): go stops walking the list there",
                ctx.set_cmd("GOPROXY", _cut_after(kept, i)),
            )
            break
    if "off" in raw:
        yield ctx.finding(
            "goproxy-off",
            "info",
            "GOPROXY",
            "GOPROXY contains `off`: go refuses to download any module it reaches `off` for"
            + (" (every module: downloads are disabled)" if raw[0] == "off" else ""),
        )


def _cut_after(goproxy: str, entry_index: int) -> str:
    """GOPROXY up to and including its entry number entry_index (separators kept)."""
    seen = -1
    token = ""
    for pos, ch in enumerate(goproxy + ","):
        if ch in ",|":
            if token.strip():
                seen += 1
                if seen == entry_index:
                    return goproxy[:pos].strip()
            token = ""
        else:
            token += ch
    return goproxy


# -- 3. `,` versus `|` -------------------------------------------------------------
def rule_separators(ctx: Context) -> Iterable[Finding]:
    plist = ctx.env.proxy_list
    entries = [e for e in plist.entries if e.url != "noproxy"]
    for i, entry in enumerate(entries[:-1]):
        nxt = entries[i + 1]
        if entry.is_keyword:
            continue
        first = i == 0
        if (
            first
            and entry.separator == ","
            and not is_public_service(entry.host)
            and not nxt.is_keyword
        ):
            finding = ctx.finding(
                "comma-stops-on-error",
                "info",
                "GOPROXY",
                f"after `{entry.url},` go moves on only when {entry.host} answers 404 or 410: "
                f"an outage or 5xx there stops every download. Use `|` if errors should fall "
                f"through to {nxt.url}",
                ctx.set_cmd("GOPROXY", _with_separator(plist.entries, i, "|")),
            )
            if ctx.traffic:
                for chain in ctx.traffic.chains:
                    for attempt in chain.attempts:
                        if attempt.outcome == "stopped" and attempt.host == entry.host:
                            finding.evidence += attempt.seqs[:1]
            yield finding
        if (
            entry.separator == "|"
            and not is_public_service(entry.host)
            and is_public_service(nxt.host)
        ):
            yield ctx.finding(
                "pipe-to-public",
                "warning",
                "GOPROXY",
                f"after `{entry.url}|` any error at {entry.host} sends the request on to the "
                f"public {nxt.host}: private module paths it serves would leak. Use `,`, or "
                "cover them with GOPRIVATE",
                ctx.set_cmd("GOPROXY", _with_separator(plist.entries, i, ",")),
            )


def _with_separator(entries: tuple[ProxyEntry, ...], index: int, sep: str) -> str:
    parts = []
    visible = [e for e in entries if e.url != "noproxy"]
    for i, entry in enumerate(visible):
        parts.append(entry.url)
        if i + 1 < len(visible):
            parts.append(sep if i == index else (entry.separator or ","))
    return "".join(parts)


# -- 4. checksum verification weakened -----------------------------------------------
def rule_checksums_weakened(ctx: Context) -> Iterable[Finding]:
    env = ctx.env
    if env.get("GOSUMDB") == "off":
        yield ctx.finding(
            "gosumdb-off",
            "warning",
            "GOSUMDB",
            "GOSUMDB=off: downloads are not checked against any checksum database; a tampered "
            "proxy or mirror goes unnoticed for modules not yet in go.sum (keep private modules "
            "out of it with GOPRIVATE)",
            ctx.set_cmd("GOSUMDB", "sum.golang.org"),
        )
    for var in ("GONOSUMDB", "GOINSECURE"):
        if env.origins.get(var) == "GOPRIVATE" and var == "GONOSUMDB":
            continue  # inherited: judged on GOPRIVATE below
        yield from _wide_patterns(ctx, var)
    yield from _wide_patterns(ctx, "GOPRIVATE")
    if ctx.process_env.get("GONOSUMCHECK"):
        yield Finding(
            "not-a-go-variable",
            "warning",
            "GONOSUMCHECK",
            ctx.process_env["GONOSUMCHECK"],
            ORIGIN_ENV,
            "GONOSUMCHECK is not a Go setting: go ignores it (GONOSUMDB is the one that skips "
            "the checksum database)",
            unset_env_command("GONOSUMCHECK", in_environment=True),
        )
    if "-insecure" in env.get("GOFLAGS").split():
        yield ctx.finding(
            "goflags-insecure",
            "warning",
            "GOFLAGS",
            "GOFLAGS=-insecure no longer does anything (go get's -insecure was removed in Go "
            "1.17): use GOINSECURE for the specific paths that need it",
            ctx.set_cmd(
                "GOFLAGS", " ".join(f for f in env.get("GOFLAGS").split() if f != "-insecure")
            ),
        )


def _wide_patterns(ctx: Context, var: str) -> Iterable[Finding]:
    value = ctx.env.get(var)
    wide = sorted({g for s in PUBLIC_SAMPLES if (g := matching_pattern(value, s)) is not None})
    if not wide:
        return
    effect = {
        "GONOSUMDB": "skips the checksum database for",
        "GOINSECURE": "allows plain HTTP and unverified HTTPS for",
        "GOPRIVATE": "keeps from the proxy and the checksum database",
    }[var]
    keep = ",".join(p for p in split_patterns(value) if p not in wide)
    yield ctx.finding(
        "patterns-too-wide",
        "error" if var == "GOINSECURE" else "warning",
        var,
        f"{var} pattern {', '.join(wide)} {effect} public modules too (it matches "
        f"{next(s for s in PUBLIC_SAMPLES if matching_pattern(','.join(wide), s))})",
        ctx.set_cmd(var, keep) if keep else ctx.unset_cmd(var),
    )


def rule_sumdb_probe_errors(ctx: Context) -> Iterable[Finding]:
    """`|` and no `direct`: an error probing `/sumdb/<name>/supported` fails verifying.

    Before any lookup go asks each proxy whether it proxies the database
    (modfetch/sumdb.go, `dbDial`/`proxyURL`). Walking the list it keeps the most
    helpful error, and a 5xx outranks a 404: with `a|b` and no `direct`, a 502 at
    `a` and then a 404 at `b` ends with "reading a/sumdb/…/supported: 502" and every
    download fails verifying (seen with the real go 1.27).
    """
    plist, db = ctx.env.proxy_list, ctx.env.sumdb
    urls = [e.url for e in plist.entries]
    piped = [e for e in plist.proxies if e.separator == "|"]
    if db.off or db.error or db.url or not piped or "direct" in urls or "off" in urls:
        return
    evidence = []
    if ctx.traffic:
        for chain in ctx.traffic.chains:
            if chain.endpoint == "supported" and chain.result == "failed":
                evidence += [s for a in chain.attempts if not _not_found(a) for s in a.seqs[:1]]
        if not evidence:
            return  # the traffic shows the walk went well: no claim beyond it
    finding = ctx.finding(
        "sumdb-probe-errors-fail",
        "warning" if evidence else "info",
        "GOPROXY",
        f"GOPROXY falls through with `|` but has no `direct`: when a proxy answers "
        f"/sumdb/{db.name}/supported with an error (5xx, reset) and no later proxy proxies the "
        "checksum database, go reports that error and fails verifying every new download, "
        "even if a later proxy answers 404. Ending GOPROXY with `,direct` lets go connect to "
        "the database instead",
        ctx.set_cmd("GOPROXY", ctx.env.get("GOPROXY") + ",direct"),
    )
    finding.evidence = evidence
    yield finding


def _not_found(attempt: Any) -> bool:
    return is_not_found(attempt.status, attempt.error)


# -- 5. GONOPROXY and GONOSUMDB disagree ---------------------------------------------
def rule_private_split(ctx: Context) -> Iterable[Finding]:
    env = ctx.env
    # Malformed and far too wide patterns have findings of their own; no fix should spread them.
    noproxy = [p for p in split_patterns(env.get("GONOPROXY")) if _usable_pattern(p)]
    nosumdb = [p for p in split_patterns(env.get("GONOSUMDB")) if _usable_pattern(p)]
    # Only what go's routing can produce: no lookup with GOSUMDB=off, no proxy when the
    # list holds none (direct, off) or only proxies trusted with private paths.
    missing_sumdb = [
        p for p in noproxy if not _covers(env.get("GONOSUMDB"), p) and ctx.sumdb_sees(p)
    ]
    missing_proxy = [
        p for p in nosumdb if not _covers(env.get("GONOPROXY"), p) and ctx.proxies_see(p)
    ]
    if missing_sumdb:
        finding = ctx.finding(
            "sumdb-not-private",
            "warning",
            "GONOSUMDB",
            f"GONOPROXY keeps {', '.join(missing_sumdb)} away from proxies, but GONOSUMDB does "
            "not cover it: go still looks its checksums up at the public checksum database, "
            "telling it the private module paths (and failing: it cannot fetch them)",
            _private_fix(ctx, missing_sumdb, "GONOSUMDB"),
        )
        finding.evidence = _leak_seqs(ctx, "sumdb", ",".join(missing_sumdb))
        yield finding
    if missing_proxy:
        finding = ctx.finding(
            "proxy-not-private",
            "warning",
            "GONOPROXY",
            f"GONOSUMDB skips the checksum database for {', '.join(missing_proxy)}, but GONOPROXY "
            "does not cover it: go asks the proxies for those private paths first",
            _private_fix(ctx, missing_proxy, "GONOPROXY"),
        )
        finding.evidence = _leak_seqs(ctx, "proxy", ",".join(missing_proxy))
        yield finding


def _usable_pattern(pattern: str) -> bool:
    # `none` is the documented way to empty GONOPROXY or GONOSUMDB under a GOPRIVATE
    # (go help private): a literal no module path has.
    if pattern == "none":
        return False
    return glob_error(pattern) is None and not any(
        matching_pattern(pattern, sample) for sample in PUBLIC_SAMPLES
    )


def _covers(globs: str, pattern: str) -> bool:
    if pattern in split_patterns(globs):
        return True
    literal = not any(c in pattern for c in "*?[\\")
    return literal and matching_pattern(globs, pattern) is not None


def _private_fix(ctx: Context, patterns: list[str], var: str) -> str:
    env = ctx.env
    if not env.explicit(var):
        merged = _merge(env.get("GOPRIVATE"), patterns)
        return ctx.set_cmd("GOPRIVATE", merged)
    return ctx.set_cmd(var, _merge(env.get(var), patterns))


def _merge(current: str, patterns: list[str]) -> str:
    # Malformed globs are dropped: go never matches them anyway (bad-pattern says so).
    out = [p for p in split_patterns(current) if glob_error(p) is None]
    out += [p for p in patterns if p not in out]
    return ",".join(out)


def _leak_seqs(ctx: Context, kind: str, patterns: str) -> list[int]:
    if not ctx.traffic:
        return []
    return [
        leak.seq
        for leak in ctx.traffic.leaks
        if leak.kind == kind and leak.seq is not None and matching_pattern(patterns, leak.module)
    ]


# -- 6. declared private patterns not covered ----------------------------------------
def rule_declared_private(ctx: Context) -> Iterable[Finding]:
    env = ctx.env
    for var, where in (("GONOPROXY", "proxy"), ("GONOSUMDB", "sumdb")):
        reaches = ctx.proxies_see if where == "proxy" else ctx.sumdb_sees
        missing = [
            p
            for p in split_patterns(ctx.private)
            if not _covers(env.get(var), p) and glob_error(p) is None and reaches(p)
        ]
        if not missing:
            continue
        target = "proxies" if where == "proxy" else "the checksum database"
        finding = Finding(
            f"private-not-covered-{where}",
            "error",
            var,
            env.get(var),
            env.origins.get(var, ""),
            f"{', '.join(missing)} is private (--private) but {var} does not cover it: go sends "
            f"those module paths to {target}",
            _private_fix(ctx, missing, var),
        )
        finding.evidence = _leak_seqs(ctx, where, ",".join(missing))
        yield finding


# -- 7. malformed values ---------------------------------------------------------------
def rule_malformed(ctx: Context) -> Iterable[Finding]:
    env = ctx.env
    goproxy = env.get("GOPROXY")
    plist = parse_goproxy(goproxy)
    if plist.error:
        yield ctx.finding(
            "goproxy-invalid", "error", "GOPROXY", f"go rejects GOPROXY: {plist.error}"
        )
    raw = _raw_entries(goproxy)
    if goproxy != goproxy.strip() or any(
        p != p.strip() for p in goproxy.replace("|", ",").split(",")
    ):
        yield ctx.finding(
            "goproxy-spaces",
            "info",
            "GOPROXY",
            "GOPROXY has stray spaces: go trims them, but other tools reading it may not",
            ctx.set_cmd("GOPROXY", _strip_spaces(goproxy)),
        )
    seen = set()
    for entry in raw:
        if entry in seen and entry not in ("direct", "off"):
            yield ctx.finding(
                "goproxy-duplicate",
                "warning",
                "GOPROXY",
                f"{entry} is listed twice: a second ask gets the same answer",
            )
        seen.add(entry)
    for proxy_entry in plist.proxies:
        url = proxy_entry.url
        if url.startswith("http://"):
            yield ctx.finding(
                "http-proxy",
                "warning",
                "GOPROXY",
                f"{url} is plain HTTP: module paths and code travel unencrypted (go allows "
                "an explicit http:// proxy; GOINSECURE does not govern proxies)",
                ctx.set_cmd("GOPROXY", goproxy.replace(url, "https://" + url[7:])),
            )
    db = env.sumdb
    if db.error:
        hint = ""
        if "malformed verifier id" in db.error and "+" not in env.get("GOSUMDB"):
            hint = ": only sum.golang.org is known by name; others need name+hash+key"
        yield ctx.finding(
            "gosumdb-invalid", "error", "GOSUMDB", f"go rejects GOSUMDB: {db.error}{hint}"
        )
    for var in ("GOPRIVATE", "GONOPROXY", "GONOSUMDB", "GOINSECURE"):
        if var != "GOPRIVATE" and env.origins.get(var) == "GOPRIVATE":
            continue
        for glob in split_patterns(env.get(var)):
            why = glob_error(glob)
            if why:
                yield ctx.finding(
                    "bad-pattern",
                    "error",
                    var,
                    f"{var} pattern {glob!r} is malformed ({why}): go silently never matches it",
                )


def _strip_spaces(goproxy: str) -> str:
    out, token = [], ""
    for ch in goproxy:
        if ch in ",|":
            out.append(token.strip() + ch)
            token = ""
        else:
            token += ch
    out.append(token.strip())
    return "".join(out)


# -- 8. shadowing ------------------------------------------------------------------------
def rule_shadowing(ctx: Context) -> Iterable[Finding]:
    env = ctx.env
    for var, file_value in env.file_values.items():
        if env.origins.get(var) == ORIGIN_ENV and env.get(var) != file_value:
            yield ctx.finding(
                "env-shadows-go-env",
                "warning",
                var,
                f"{var} is set in the process environment ({env.get(var)!r}) and by `go env -w` "
                f"({file_value!r} in {env.env_file}): the environment wins here, but wherever it "
                "is unset (CI, another shell) the other value applies; unset it, or keep it with "
                f"go env -w {var}=…",
                unset_env_command(var, in_environment=True),
            )


def rule_env_file(ctx: Context) -> Iterable[Finding]:
    """A go env -w file goscope would not read (cfg.go `readEnvFile` uses os.ReadFile: a
    FIFO blocks go forever, a device never ends)."""
    env = ctx.env
    if env.env_file_error:
        in_env = "GOENV" in ctx.process_env
        yield Finding(
            "goenv-unreadable",
            "error",
            "GOENV",
            env.env_file or "",
            "environment" if in_env else "default",
            f"the go env -w file is not read: {env.env_file_error}. go reads it whole at every "
            "start: it would wait forever on a FIFO or run out of memory on a device",
            unset_env_command("GOENV", in_environment=True) if in_env else None,
        )


# -- 9. transport -----------------------------------------------------------------------
def rule_transport(ctx: Context) -> Iterable[Finding]:
    penv = ctx.process_env
    if ctx.expect_proxy and not (penv.get("HTTPS_PROXY") or penv.get("https_proxy")):
        yield Finding(
            "no-https-proxy",
            "info",
            "HTTPS_PROXY",
            "",
            "",
            "HTTPS_PROXY is unset: go's downloads will not pass through goscope",
            'eval "$(goscope env)"',
        )
    proxy_hosts = {e.host for e in ctx.env.proxy_list.proxies}
    # Go's httpproxy reads the first non-empty of NO_PROXY and no_proxy.
    effective = next((v for v in ("NO_PROXY", "no_proxy") if penv.get(v)), None)
    for var in (effective,) if effective else ():
        entries = [e.strip().lstrip(".") for e in penv.get(var, "").split(",") if e.strip()]
        hidden = sorted(
            h for h in proxy_hosts for e in entries if e == "*" or h == e or h.endswith("." + e)
        )
        if hidden:
            yield Finding(
                "no-proxy-hides",
                "warning",
                var,
                penv.get(var, ""),
                ORIGIN_ENV,
                f"{var} covers {', '.join(hidden)}: requests to it bypass HTTPS_PROXY (and goscope)",
            )
    if ctx.env.get("GOTOOLCHAIN") == "auto" or ctx.env.get("GOTOOLCHAIN").endswith("+auto"):
        yield ctx.finding(
            "toolchain-auto",
            "info",
            "GOTOOLCHAIN",
            "GOTOOLCHAIN=auto: a go.mod asking for a newer Go makes go download that toolchain "
            "(golang.org/toolchain) through your GOPROXY",
        )


# -- 10. TLS inspection -------------------------------------------------------------------
def rule_tls_inspected(ctx: Context) -> Iterable[Finding]:
    """Upstream certificates not issued under a public root: something re-signs the traffic.

    A TLS-inspecting proxy (Zscaler, Netskope, Palo Alto) or a private CA. go trusts it
    only through its roots (crypto/x509/root_unix.go: SSL_CERT_FILE, SSL_CERT_DIR, the
    system store), and goscope verifies upstream servers with the same roots.
    """
    if not ctx.traffic or not ctx.traffic.inspected:
        return
    by_issuer: dict[str, list[tuple[str, int]]] = {}
    for host, (issuer, seq) in ctx.traffic.inspected.items():
        by_issuer.setdefault(issuer, []).append((host, seq))
    for issuer, hosts in by_issuer.items():
        names = ", ".join(sorted(h for h, _ in hosts))
        finding = Finding(
            "tls-inspected",
            "info",
            "SSL_CERT_FILE",
            "",
            "",
            f"{names}: the certificate is issued by {issuer}, not a public root: a "
            "TLS-inspecting proxy or a private CA sits between go and the servers. go trusts it "
            "only when its CA is among go's roots (SSL_CERT_FILE, SSL_CERT_DIR, or the system "
            "store, e.g. /usr/local/share/ca-certificates then update-ca-certificates); goscope "
            "verifies upstream servers with those same roots. Where go fails with x509 errors "
            "(CI, containers), that CA is missing there",
        )
        finding.evidence = [seq for _, seq in hosts][:5]
        yield finding


RULES: tuple[Rule, ...] = (
    rule_no_direct,
    rule_unused_entries,
    rule_separators,
    rule_checksums_weakened,
    rule_sumdb_probe_errors,
    rule_private_split,
    rule_declared_private,
    rule_malformed,
    rule_shadowing,
    rule_env_file,
    rule_transport,
    rule_tls_inspected,
)


def diagnose(
    env: GoEnv,
    process_env: Mapping[str, str] | None = None,
    private: str = "",
    traffic: Traffic | None = None,
    expect_proxy: bool = False,
    trusted: Iterable[str] = (),
) -> list[Finding]:
    """Every finding, most severe first. Never raises on odd values."""
    hosts = frozenset(h.lower() for h in trusted)
    ctx = Context(env, process_env or {}, private, traffic, expect_proxy, hosts)
    findings: list[Finding] = []
    for rule in RULES:
        try:
            findings.extend(rule(ctx))
        except Exception as exc:  # a rule's bug must not hide the other findings
            findings.append(
                Finding("doctor-error", "info", "", "", "", f"{rule.__name__} failed: {exc!r}")
            )
    for f in findings:  # a GOPROXY password must not reach the terminal through a finding
        f.value, f.message = redact_value(f.value), redact_value(f.message)
        if f.fix and redact_value(f.fix) != f.fix:
            # A fix is a command to paste: built from the real values, it would show the
            # secret; redacted, it would set `xxxxx`. So none is offered; the message says why.
            f.fix = None
            f.message += " (no fix shown: the value holds a credential; edit it yourself)"
        elif not f.fix and NOT_TEXT.search(f.value or ""):
            f.message += (
                " (no fix shown: the value holds a byte that is not UTF-8; edit it yourself)"
            )
    order = {s: i for i, s in enumerate(SEVERITIES)}
    findings.sort(key=lambda f: order.get(f.severity, 9))
    return findings
