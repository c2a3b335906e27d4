"""Plain-words reasons for each attempt of a fallback chain (shared by report and TUI)."""

from __future__ import annotations

from ..vocab import GOVCS_REFUSED
from .answered import is_not_found
from .chains import Attempt, FallbackChain

BLOCKED = "blocked by goscope"


def answer_text(attempt: Attempt) -> str:
    if attempt.proxy == "off":
        return "GOPROXY=off"
    if attempt.blocked:
        return BLOCKED
    if attempt.error and attempt.status:
        return f"{attempt.status} ({attempt.error})"
    if attempt.error:
        return attempt.error
    return str(attempt.status) if attempt.status is not None else "no answer"


def entry_label(attempt: Attempt) -> str:
    """The GOPROXY entry without its scheme (`proxy.golang.org/a`), else the host.

    Used where two entries of one chain share a host: the host alone would read
    `proxy.golang.org 400 → proxy.golang.org 200`, two answers from one place.
    """
    proxy = attempt.proxy
    if not proxy or proxy in ("direct", "off"):
        return attempt.host
    return proxy.split("://", 1)[-1].rstrip("/") or attempt.host


def route_text(attempt: Attempt, label: str | None = None) -> str:
    """`goproxy.example 302 → blobs.example 403`: the entry's answer, then each hop's."""
    name = label or attempt.host
    if not attempt.hops:
        return f"{name} {answer_text(attempt)}"
    head = f"{name} {attempt.redirect_status or '3xx'}"
    *middle, (last_host, _) = attempt.hops
    hops = [f"{host} {status if status is not None else 'no answer'}" for host, status in middle]
    return " → ".join([head, *hops, f"{last_host} {answer_text(attempt)}"])


def explain_attempt(attempt: Attempt, chain: FallbackChain | None = None) -> str:
    """Why this attempt ended as it did, in go's terms (`chain`: what it fetched)."""
    if attempt.blocked:
        return _explain_blocked(attempt, chain)
    if attempt.outcome == "abandoned":  # after a redirect, at the database, anywhere
        return _explain_fetch(attempt, attempt.hops[-1][0] if attempt.hops else attempt.host)
    if attempt.hops:
        text = _explain_redirected(attempt)
    elif (
        chain is not None
        and chain.kind == "sumdb"
        and (chain.endpoint == "lookup" or attempt.proxy == "direct")
    ):
        text = _explain_database(attempt, chain)
    else:
        repeated = chain is not None and _hosts_repeat(chain)
        refused = chain is not None and (chain.rejected or "").startswith(GOVCS_REFUSED)
        text = _explain_fetch(attempt, entry_label(attempt) if repeated else attempt.host, refused)
    if attempt.not_found_for_s:
        text += (
            f' ({attempt.host} will keep answering "not found" for '
            f"{duration_text(attempt.not_found_for_s)}: Cache-Control max-age="
            f"{attempt.not_found_for_s})"
        )
    return text


def duration_text(seconds: int) -> str:
    if seconds % 3600 == 0 and seconds >= 3600:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0 and seconds >= 60:
        return f"{seconds // 60} minutes"
    return f"{seconds} s"


CERT_FAILURE = "certificate verify failed"


def _explain_fetch(attempt: Attempt, who: str, refused: bool = False) -> str:
    answer = answer_text(attempt)
    if attempt.error and CERT_FAILURE in attempt.error.lower():
        return (
            f"{answer} from {who}: goscope could not verify {who}'s certificate with the roots "
            "go trusts (SSL_CERT_FILE, SSL_CERT_DIR or the system store), so it answered go "
            "502: a TLS-inspecting proxy or a private CA whose CA go's roots lack"
        )
    sep = f"`{attempt.separator}`" if attempt.separator else None
    if attempt.outcome == "served":
        if attempt.proxy == "direct":
            if refused:  # GOVCS: the page named the repository; go asked nothing of it
                return f"{who}'s ?go-get=1 page named the repository; go fetched nothing from it"
            return f"served direct from {who} (version control)"
        return f"{answer} from {who}: served"
    if attempt.outcome == "fell-through":
        if is_not_found(attempt.status, attempt.error):
            after = f"after {sep} " if sep else ""
            return f"{answer} from {who}: {after}go tries the next entry"
        return f"{answer} from {who}: after `|` go tries the next entry on any error"
    if attempt.outcome == "stopped":
        return f"{answer} from {who}: after `,` go stops — use `|` to fall through on errors"
    if attempt.outcome == "failed":
        if attempt.proxy == "off":
            return "GOPROXY=off: go refuses to download"
        if attempt.proxy == "direct":
            return f"{answer} from {who}: the version control fetch failed"
        return f"{answer} from {who}: the last entry, so go gives up"
    if attempt.outcome == "unknown":
        return "fell through to direct; no version control traffic seen (cached?)"
    if attempt.outcome == "abandoned":
        return (
            f"no answer from {who} yet when go stopped waiting (interrupted, cancelled or killed)"
        )
    return f"{answer} from {who}: waiting"


def _explain_blocked(attempt: Attempt, chain: FallbackChain | None) -> str:
    """The guard answered instead of the server: the path never left the machine."""
    who = attempt.host
    if chain is not None and chain.kind == "sumdb":
        return (
            f"{BLOCKED}: private, never sent to {who}; go got 403 and stops verifying "
            "(nothing is used unverified)"
        )
    if attempt.outcome == "fell-through":
        return f"{BLOCKED}: private, never sent to {who}; go got 404 and tries the next entry"
    return f"{BLOCKED}: private, never sent to {who}; go got 404, and no entry was left"


def _explain_database(attempt: Attempt, chain: FallbackChain) -> str:
    """Straight to the checksum database: after the probes' walk, or a lookup there."""
    answer = answer_text(attempt)
    if chain.endpoint == "supported":
        if attempt.outcome == "served":
            return f"no proxy proxies it: go connected to {attempt.host} directly ({answer})"
        if attempt.outcome in ("pending", "unknown"):
            return "no proxy proxies it: go would connect directly (no lookup seen: nothing new)"
        return f"no proxy proxies it, and {attempt.host} directly gave {answer}"
    via = f"{attempt.host} (proxying the database)" if attempt.proxy else attempt.host
    if attempt.outcome == "served":
        return f"{answer} from {via}: looked up"
    return f"{answer} from {via}: the lookup failed, so go cannot verify the module"


def _explain_redirected(attempt: Attempt) -> str:
    """A redirect is one attempt: go judges the final answer, under the entry's URL."""
    final = attempt.hops[-1][0]
    route = route_text(attempt)
    if attempt.outcome == "served":
        return f"{route}: served (the redirect is part of {attempt.host}'s answer)"
    blame = (
        f"{final} refused or failed the redirected request; go reports it as "
        f"{answer_text(attempt)} from {attempt.host}'s URL"
    )
    if attempt.outcome == "stopped":
        return f"{route}: {blame}; after `,` go stops"
    if attempt.outcome == "fell-through":
        return f"{route}: {blame}; go tries the next entry"
    if attempt.outcome == "failed":
        return f"{route}: {blame}; the last entry, so go gives up"
    return f"{route}: waiting"


def attempt_labels(chain: FallbackChain) -> list[str]:
    """Each attempt's name in a chain line: its host, or its GOPROXY entry when hosts repeat."""
    repeated = _hosts_repeat(chain)
    return [entry_label(a) if repeated else a.host for a in chain.attempts]


def _hosts_repeat(chain: FallbackChain) -> bool:
    hosts = [a.host for a in chain.attempts if a.proxy not in ("off", "direct")]
    return len(hosts) != len(set(hosts))


def chain_line(chain: FallbackChain) -> str:
    """`proxy-a 404 → proxy-b 302 → blob 200`; `proxy.example/a 404 → proxy.example/b 200`."""
    return " → ".join(
        "off" if a.proxy == "off" else route_text(a, label)
        for a, label in zip(chain.attempts, attempt_labels(chain), strict=True)
    )
