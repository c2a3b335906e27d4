"""Credentials: per host, whether go or git sent them, when, and why not.

go adds credentials from GOAUTH (default `netrc`) before its first request,
and asks again after any 4xx with whatever GOAUTH then gives
(cmd/go/internal/auth/auth.go). Two silent failures are classics:
- a .netrc entry with `login` but no `password` is dropped (netrc.go keeps an
  entry only with machine, login and password; golang/go#40215);
- credentials are looked up by the URL's `host:port/path` prefix, so an entry
  for `host` never matches a proxy on `host:8443` (golang/go#37130).
goscope reports where credentials went, never the credentials themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..gorules.goenv import GoEnv
from ..gorules.netrc import NetrcEntry, parse_netrc
from ..traffic.events import Event
from ..vocab import BLOCKED_FLAG


@dataclass
class HostCredentials:
    host: str  # host[:port] as go looks credentials up
    requests: int = 0
    refused: int = 0  # answers 401/403
    sent_first: int = 0  # first asks that carried credentials
    sent_on_retry: int = 0  # go's 4xx retries that carried credentials
    retries_without: int = 0  # go's retries that still carried none
    schemes: list[str] = field(default_factory=list)  # Basic, Bearer…
    clients: list[str] = field(default_factory=list)  # go, git
    source: str = ""  # where goscope can tell they came from
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


AUTH_SCHEMES = frozenset(
    {"basic", "bearer", "digest", "token", "negotiate", "ntlm", "aws4-hmac-sha256"}
)


def _authorization(event: Event) -> str | None:
    """The scheme of the Authorization sent (never more: the rest is the secret)."""
    for name, value in event.request_headers:
        if name.lower() == "authorization":
            scheme = value.split(" ", 1)[0]
            return scheme if scheme.lower() in AUTH_SCHEMES else "credentials"
    return None


def userinfo_hosts(envs: Iterable[GoEnv]) -> frozenset[str]:
    """host[:port] of each GOPROXY entry written with user@ (redacted or not: the name
    says where it goes, never the secret)."""
    found = set()
    for env in envs:
        for entry in env.proxy_list.proxies:
            netloc = entry.url.partition("//")[2].partition("/")[0]
            if "@" in netloc:
                host = netloc.rpartition("@")[2].lower()
                # The request URL names no default port (mitmproxy's pretty_url), as keys do.
                found.add(host.removesuffix(":443") if entry.url.startswith("https:") else host)
    return frozenset(found)


def credentials_view(
    events: Iterable[Event],
    goauth: str = "netrc",
    netrc_text: str | None = None,
    userinfo: frozenset[str] = frozenset(),
    netrc_entries: list[NetrcEntry] | None = None,
) -> list[HostCredentials]:
    """Hosts that asked for credentials or were sent them, and what goscope can tell.
    `userinfo`: hosts whose GOPROXY entry carries user:password@ (userinfo_hosts);
    `netrc_entries`: the .netrc as the run read it (a recording's), when no text is given."""
    hosts: dict[str, HostCredentials] = {}
    for event in events:
        if BLOCKED_FLAG in event.flags:
            continue  # the guard answered: the host never saw it, nor any credential
        scheme = _authorization(event)
        refused = event.status in (401, 403)
        if not scheme and not refused:
            continue  # nearly every request: its URL is never parsed (was a fifth of report)
        try:
            parts = urlsplit(event.url)
            key = parts.netloc.rsplit("@", 1)[-1].lower()
        except ValueError:
            continue
        view = hosts.setdefault(key, HostCredentials(key))
        view.requests += 1
        view.refused += refused
        if event.client not in view.clients:
            view.clients.append(event.client)
        if scheme:
            if scheme not in view.schemes:
                view.schemes.append(scheme)
            if event.auth_retry:
                view.sent_on_retry += 1
            else:
                view.sent_first += 1
        elif event.auth_retry:
            view.retries_without += 1
    entries = parse_netrc(netrc_text) if netrc_text is not None else netrc_entries
    for view in hosts.values():
        _explain(view, goauth.strip() or "netrc", entries)
        if view.host in userinfo and (view.sent_first or view.sent_on_retry):
            _from_userinfo(view)
    return list(hosts.values())


USERINFO_SOURCE = "the GOPROXY entry's user:password@ (net/http sends it as Basic)"


def _from_userinfo(view: HostCredentials) -> None:
    """A GOPROXY URL's userinfo is what go sends there, whatever GOAUTH holds: GOAUTH's
    credentials are looked up by the request URL's text, userinfo included
    (cmd/go/internal/auth/auth.go loadCredential), so no .netrc machine or GOAUTH prefix
    matches it, and net/http turns the userinfo into Basic (net/http/client.go send). It
    was credited to .netrc, and a complete entry was said to be sent while go was refused."""
    view.source = USERINFO_SOURCE
    view.problems = [p for p in view.problems if "had none" not in p and "GOAUTH=off" not in p]


def _explain(view: HostCredentials, goauth: str, entries: list[NetrcEntry] | None) -> None:
    host, _, port = view.host.partition(":")
    if goauth == "off":
        view.source = "none: GOAUTH=off"
        if view.refused:
            view.problems.append("GOAUTH=off: go never sends credentials, so it cannot pass")
        return
    if not any(part.split()[:1] == ["netrc"] for part in goauth.split(";")):
        view.source = f"GOAUTH={goauth}"  # a command or git: goscope cannot see inside
        return
    if entries is None:
        view.source = "GOAUTH=netrc (no .netrc read)"
        return
    exact = [e for e in entries if e.machine.lower() == view.host]
    bare = [e for e in entries if e.machine.lower() == host]
    if any(e.has_login and e.has_password for e in exact):  # go keeps the complete one
        view.source = f".netrc entry for {view.host} (GOAUTH=netrc)"
    elif exact:
        view.source = "none"
        view.problems.append(
            f"the .netrc entry for {view.host} has no password (or no login): go drops it "
            "silently (netrc.go keeps only machine + login + password; golang/go#40215)"
        )
    elif port and bare:
        view.source = "none"
        view.problems.append(
            f".netrc names {host} but go asks {view.host}: go looks credentials up by host:port, "
            f"so write `machine {view.host}` (golang/go#37130)"
        )
    else:
        view.source = "none: no .netrc entry for this host"
        if view.refused and not (view.sent_first or view.sent_on_retry):
            view.problems.append(
                f"{view.host} asked for credentials and go had none: add a .netrc entry "
                f"`machine {view.host} login … password …`, or a GOAUTH command"
            )
