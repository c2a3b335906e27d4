"""goscope's vocabulary: the words events, chains, leaks and findings are made of.

Each is a `Literal` so that mypy (with strict equality) catches a misspelt kind
or outcome anywhere in the code; the tuples are the same words at run time,
for validation and for the UI's lists.
"""

from __future__ import annotations

from typing import Literal, get_args

# What a request is for (classify.py decides).
Kind = Literal["proxy", "sumdb", "direct", "toolchain", "other"]
KINDS: tuple[Kind, ...] = get_args(Kind)

# Which part of the protocol it speaks: the module proxy protocol
# (modfetch/proxy.go), the checksum database (x/mod/sumdb/client.go), and
# direct version control (vcs/vcs.go, git smart HTTP).
Endpoint = Literal[
    "list",
    "info",
    "mod",
    "zip",
    "latest",
    "supported",
    "lookup",
    "tile",
    "sumdb-latest",
    "go-get",
    "git-info-refs",
    "git-upload-pack",
    "other",
]
ENDPOINTS: tuple[Endpoint, ...] = get_args(Endpoint)

# What a fallback chain fetched: a proxy endpoint, or the module by version control.
ChainEndpoint = Endpoint | Literal["vcs"]

# Who sent it, by User-Agent.
Client = Literal["go", "git", "other"]
CLIENTS: tuple[Client, ...] = get_args(Client)

# One GOPROXY entry's part in a fetch, and the fetch's result.
Outcome = Literal["served", "fell-through", "stopped", "failed", "pending", "unknown", "abandoned"]
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)
ChainResult = Literal["served", "failed", "rejected", "pending", "unknown"]

# Where a leaked path went, and how sure goscope is that it is private.
LeakKind = Literal["proxy", "sumdb"]
LeakSeverity = Literal["high", "medium", "suspected"]
LEAK_SEVERITIES: tuple[LeakSeverity, ...] = get_args(LeakSeverity)

# How bad a doctor finding is.
FindingSeverity = Literal["error", "warning", "info"]
FINDING_SEVERITIES: tuple[FindingSeverity, ...] = get_args(FindingSeverity)

Severity = LeakSeverity | FindingSeverity

# The pseudo-entries of GOPROXY (modfetch/proxy.go proxyList).
DIRECT: Literal["direct"] = "direct"
OFF: Literal["off"] = "off"

# An event's flag: goscope's guard answered the request itself (proxy/guard.py), so it
# never left the machine. Its leak is a prevented one.
BLOCKED_FLAG = "blocked"
# Refused by goscope: the host it named (Host, :authority) is not where it would have gone.
MISDIRECTED_FLAG = "misdirected"
# The client went away before the answer came (go interrupted, cancelled or killed): no
# server answered it, and mitmproxy's 502 to a closed connection reached nobody.
ABANDONED_FLAG = "abandoned"
# A proxy request at a base none of the sender's GOPROXY entries has (a go-import `mod`
# URL, a redirect, another client): where the module starts was guessed (its first element
# with a dot), so the leak rules also judge the later elements with a dot (judging/leaks.py).
BASE_GUESSED_FLAG = "base-guessed"
# A direct fetch go found (its ?go-get=1 page) and refused to make: `chain.rejected` starts so.
GOVCS_REFUSED = "refused by go: GOVCS"
ABANDONED_ERROR = "abandoned: the client closed the connection before the answer came"


def counted(n: int, word: str) -> str:
    """`1 leak`, `2 leaks`: every count a person reads."""
    return f"{n} {word}{'' if n == 1 else 's'}"
