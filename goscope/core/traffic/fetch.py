"""What a fetch is: its fallback chain, and each GOPROXY entry's (or direct's, or off's)
part in it, an attempt. The tracker that builds them is chains.py.

A million-event session holds some 600,000 chains and as many attempts, so both are kept
small. A chain keeps its (module, version, endpoint) key as the one tuple the tracker's
index holds, and what only a stopped, refused, reported or probing fetch has in a rare
record. For an attempt, the
fields nearly every attempt sets are slots (and a GOAUTH retry's mark: private modules
retry often); the six that only an error, a redirect, a cached "not found" or the guard
set share one `_Rare` record, absent
while they all keep their defaults; and an attempt of one event keeps that event's
number, not a tuple of one. Readers see the same attributes either way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..vocab import ChainEndpoint, ChainResult, Kind, Outcome


class _Rare:
    __slots__ = (
        "error",
        "hops",
        "redirecting",
        "redirect_status",
        "not_found_for_s",
        "blocked",
    )

    def __init__(self) -> None:
        self.error: str | None = None
        # Where a redirect sent go, and the answer there: (host, status) per hop. The
        # attempt's status and error are the final answer's, as go's -x trace shows them.
        self.hops: tuple[tuple[str, int | None], ...] = ()
        self.redirecting = False  # answered 3xx: the outcome waits for the target's answer
        self.redirect_status: int | None = None  # the GOPROXY entry's own 3xx, if redirected
        # How long the server says it keeps answering "not found" (Cache-Control max-age on
        # a 404/410: proxy.golang.org caches them for 30 minutes, golang/go#34141).
        self.not_found_for_s: int | None = None
        # Answered by goscope's guard (404 to a proxy, 403 to a checksum lookup): it never left.
        self.blocked = False


_FIELDS = (
    "host",
    "proxy",
    "url",
    "status",
    "error",
    "outcome",
    "auth_retry",
    "separator",
    "seqs",
    "hops",
    "redirecting",
    "redirect_status",
    "not_found_for_s",
    "blocked",
)


def _rare_field(name: str, make: Callable[[], Any]) -> property:
    """An attribute kept in its owner's `_rare` record (a `make()`), made when first set off
    its default; the default is the fresh record's."""
    default = getattr(make(), name)

    def get(self: Any) -> Any:
        rare = self._rare
        return default if rare is None else getattr(rare, name)

    def set_(self: Any, value: Any) -> None:
        rare = self._rare
        if rare is None:
            if value == default and type(value) is type(default):
                return
            rare = self._rare = make()
        setattr(rare, name, value)

    return property(get, set_)


class Attempt:
    __slots__ = (
        "host",
        "proxy",
        "url",
        "status",
        "outcome",
        "auth_retry",
        "separator",
        "_seqs",
        "_rare",
    )

    def __init__(
        self,
        host: str,
        proxy: str | None,  # GOPROXY entry base URL, or "direct" / "off"
        url: str | None,
        status: int | None = None,
        error: str | None = None,
        outcome: Outcome = "pending",
        auth_retry: bool = False,
        separator: str | None = None,  # what followed the entry in GOPROXY, when known
        seqs: tuple[int, ...] = (),  # the events of this attempt
        hops: tuple[tuple[str, int | None], ...] = (),
        redirecting: bool = False,
        redirect_status: int | None = None,
        not_found_for_s: int | None = None,
        blocked: bool = False,
    ) -> None:
        self.host = host
        self.proxy = proxy
        self.url = url
        self.status = status
        self.outcome: Outcome = outcome
        self.auth_retry = auth_retry
        self.separator = separator
        self._seqs: int | tuple[int, ...] = seqs[0] if len(seqs) == 1 else seqs
        self._rare: _Rare | None = None
        if (
            error is not None
            or hops
            or redirecting
            or redirect_status is not None
            or not_found_for_s is not None
            or blocked
        ):
            rare = self._rare = _Rare()
            rare.error, rare.hops = error, hops
            rare.redirecting, rare.redirect_status = redirecting, redirect_status
            rare.not_found_for_s, rare.blocked = not_found_for_s, blocked

    @property
    def seqs(self) -> tuple[int, ...]:
        seqs = self._seqs
        return (seqs,) if type(seqs) is int else seqs  # type: ignore[return-value]

    @seqs.setter
    def seqs(self, value: tuple[int, ...]) -> None:
        self._seqs = value[0] if len(value) == 1 else tuple(value)

    def has_seq(self, seq: int) -> bool:
        seqs = self._seqs
        return seqs == seq if type(seqs) is int else seq in seqs  # type: ignore[operator]

    error = _rare_field("error", _Rare)
    hops = _rare_field("hops", _Rare)
    redirecting = _rare_field("redirecting", _Rare)
    redirect_status = _rare_field("redirect_status", _Rare)
    not_found_for_s = _rare_field("not_found_for_s", _Rare)
    blocked = _rare_field("blocked", _Rare)

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _FIELDS}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Attempt):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]  # mutable, as the dataclass was

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in _FIELDS)
        return f"Attempt({fields})"


class _ChainRare:
    __slots__ = ("never_asked", "rejected", "go_errors", "probe_of")

    def __init__(self) -> None:
        self.never_asked: tuple[str, ...] = ()  # GOPROXY entries after a stop: never asked
        self.rejected: str | None = None  # why go refused what was served (checksum mismatch)
        self.go_errors: tuple[str, ...] = ()  # go's error lines about this fetch
        self.probe_of: str | None = None  # a prefix probe of this package path (module lookup)


_CHAIN_FIELDS = (
    "id",
    "module",
    "version",
    "endpoint",
    "kind",
    "attempts",
    "result",
    "served_by",
    "never_asked",
    "rejected",
    "go_errors",
    "probe_of",
)


class FallbackChain:
    __slots__ = ("id", "key", "kind", "attempts", "result", "served_by", "_rare")

    def __init__(
        self,
        id: int,  # noqa: A002 - the chain's number, as the report's JSON names it
        module: str,
        version: str | None,
        endpoint: ChainEndpoint,
        kind: Kind = "proxy",
        attempts: tuple[Attempt, ...] = (),
        result: ChainResult = "pending",
        served_by: str | None = None,
        key: tuple[str, str | None, str] | None = None,
    ) -> None:
        self.id = id
        # (module, version, endpoint), kept as the very tuple the tracker's index holds.
        if key is None or key != (module, version, endpoint):
            key = (module, version, endpoint)
        self.key: tuple[str, str | None, str] = key
        self.kind: Kind = kind
        # A tuple, replaced as attempts come (most fetches have one or two).
        self.attempts: tuple[Attempt, ...] = attempts
        self.result: ChainResult = result
        self.served_by = served_by
        self._rare: _ChainRare | None = None

    @property
    def module(self) -> str:
        return self.key[0]

    @property
    def version(self) -> str | None:
        return self.key[1]

    @property
    def endpoint(self) -> ChainEndpoint:
        return self.key[2]  # type: ignore[return-value]

    never_asked = _rare_field("never_asked", _ChainRare)
    rejected = _rare_field("rejected", _ChainRare)
    go_errors = _rare_field("go_errors", _ChainRare)
    probe_of = _rare_field("probe_of", _ChainRare)

    @property
    def done(self) -> bool:
        return self.result in ("served", "failed", "rejected")

    @property
    def failed(self) -> bool:
        """A failure the user must hear of: not a prefix probe's expected "not found"."""
        if self.result == "rejected":
            return True
        return self.result == "failed" and (self.probe_of is None or bool(self.go_errors))

    def to_dict(self) -> dict[str, Any]:
        out = {name: getattr(self, name) for name in _CHAIN_FIELDS}
        out["attempts"] = [a.to_dict() for a in self.attempts]
        out["never_asked"] = list(self.never_asked)
        out["go_errors"] = list(self.go_errors)
        return out

    def _fields(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in _CHAIN_FIELDS)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FallbackChain):
            return NotImplemented
        return self is other or self._fields() == other._fields()

    __hash__ = None  # type: ignore[assignment]  # mutable, as the dataclass was

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in _CHAIN_FIELDS)
        return f"FallbackChain({fields})"
