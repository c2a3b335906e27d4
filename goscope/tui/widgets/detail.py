"""What one request was, in go's terms: its fallback chain, headers, body preview, timing."""

from __future__ import annotations

import json

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from goscope.core.judging.leaks import Leak
from goscope.core.safe.redact import redact_free_text, redact_url
from goscope.core.safe.visible import visible
from goscope.core.traffic.chains import FallbackChain
from goscope.core.traffic.events import Event
from goscope.core.traffic.explain import explain_attempt
from goscope.core.view.store import Row
from goscope.term import styles
from goscope.term.safe import plain


def chain_view(chain: FallbackChain, highlight_seq: int | None = None) -> RenderableType:
    name = f"{chain.module}@{chain.version}" if chain.version else chain.module
    title = Text("Fallback chain ", style="bold underline")
    title.append(visible(f"{name} {chain.endpoint}"), style="bold")
    result_style = "green" if chain.result == "served" else "red"
    if chain.probe_of and not chain.failed and chain.result != "served":
        result, result_style = f"no module here (a probe for {chain.probe_of})", "dim"
    else:
        result = chain.result
    title.append(visible(f"  → {result}"), style=result_style)
    if chain.served_by and not chain.rejected:
        title.append(visible(f" by {chain.served_by}"), style=result_style)
    table = Table.grid(padding=(0, 1))
    table.add_column(width=2)
    table.add_column(width=13)
    table.add_column()
    for n, attempt in enumerate(chain.attempts, 1):
        mark = "▶" if highlight_seq is not None and highlight_seq in attempt.seqs else f"{n}"
        outcome = Text(attempt.outcome, style=styles.OUTCOME[attempt.outcome])
        reason = explain_attempt(attempt, chain)
        if attempt.auth_retry:
            reason += " (asked twice: go's GOAUTH retry)"
        table.add_row(mark, outcome, plain(reason))
    for entry in chain.never_asked:  # what go never asked, greyed, with why
        table.add_row(
            "·", Text("never asked", "dim"), plain(f"{entry}: go stopped before it", "dim")
        )
    if chain.rejected:
        table.add_row("✗", Text("rejected", "bold red"), plain(chain.rejected, "red"))
    for line in chain.go_errors:
        table.add_row("!", Text("go said", "red"), plain(line, "red"))
    return Group(title, table)


def headers_table(title: str, headers: list[list[str]]) -> RenderableType:
    table = Table.grid(padding=(0, 1))
    table.add_column(style="cyan", no_wrap=True)
    table.add_column()
    for name, value in headers:
        table.add_row(plain(name), plain(value))
    return Group(Text(title, style="bold underline"), table)


def preview_view(event: Event) -> RenderableType | None:
    if not event.preview:
        return None
    body = event.preview
    if event.endpoint in ("info", "latest"):
        try:
            # Decoded, `ghp\u005f…` is a token again: redact what is shown, not the source.
            body = redact_free_text(json.dumps(json.loads(body), indent=2, ensure_ascii=False))
        except ValueError:
            pass
    return Group(Text("Body", style="bold underline"), Text(visible(body, multiline=True), "dim"))


def leak_view(leak: Leak) -> RenderableType:
    """What a leaked request told whom, and the fix (a request flagged L)."""
    where = "checksum database" if leak.kind == "sumdb" else "proxy"
    text = Text("LEAK ", style=f"bold {styles.LEAK}")
    text.append(visible(f"{leak.severity}: {leak.module} was sent to the {where} {leak.host}"))
    why = leak.note or (f"matches {leak.matched}" if leak.matched else "looks internal")
    text.append(visible(f" ({why})"), style="dim")
    if leak.fix:
        text.append("\nfix: ", style="dim")
        text.append(visible(leak.fix), style="bold")
    return text


def detail_view(
    row: Row, event: Event | None, chain: FallbackChain | None, leaks: list[Leak] | None = None
) -> RenderableType:
    parts: list[RenderableType] = []
    head = Text()
    head.append(f"#{row.seq} ", style="dim")
    head.append(visible(f"{row.method} "), style="bold")
    head.append(visible(redact_url(row.url)))  # a crafted recording is redacted here too
    parts.append(head)
    what = Text()
    what.append(visible(f"{row.kind} · {row.endpoint}"), style="bold")
    if row.module:
        what.append(visible(f" · {row.module_at}"))
    status = "no answer" if row.status is None else str(row.status)
    what.append(visible(f" · {status}"), style=styles.status(row.status, row.error))
    what.append(visible(f" · {row.duration_ms:.1f} ms"))
    if row.size >= 0:
        what.append(visible(f" · {row.size} bytes"))
    parts.append(what)
    if row.error:
        parts.append(Text(visible(f"error: {row.error}"), style="bold red"))
    for leak in leaks or ():
        parts += [Text(""), leak_view(leak)]
    if chain is not None:
        parts += [Text(""), chain_view(chain, row.seq)]
    if event is not None:
        if event.repo:
            parts.append(Text(visible(f"go-import: {event.repo}"), style="magenta"))
        parts += [Text(""), headers_table("Request headers", event.request_headers)]
        if event.response_headers:
            parts += [Text(""), headers_table("Response headers", event.response_headers)]
        preview = preview_view(event)
        if preview is not None:
            parts += [Text(""), preview]
        parts += [Text(""), Text(visible(f"started {event.started}"), style="dim")]
    return Group(*parts)
