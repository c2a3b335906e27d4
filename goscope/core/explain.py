"""Plain-words reasons for each attempt of a fallback chain (shared by report and TUI)."""

from __future__ import annotations

from .chains import Attempt, FallbackChain, is_not_found


def answer_text(attempt: Attempt) -> str:
    if attempt.proxy == "off":
        return "GOPROXY=off"
    if attempt.error and attempt.status:
        return f"{attempt.status} ({attempt.error})"
    if attempt.error:
        return attempt.error
    return str(attempt.status) if attempt.status is not None else "no answer"


def explain_attempt(attempt: Attempt) -> str:
    who = attempt.host
    answer = answer_text(attempt)
    sep = f"`{attempt.separator}`" if attempt.separator else None
    if attempt.outcome == "served":
        if attempt.proxy == "direct":
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
    return f"{answer} from {who}: waiting"


def chain_line(chain: FallbackChain) -> str:
    """`proxy-a 404 → proxy-b 200`"""
    return " → ".join(
        "off" if a.proxy == "off" else f"{a.host} {answer_text(a)}" for a in chain.attempts
    )
