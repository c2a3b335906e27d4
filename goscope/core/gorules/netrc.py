"""The .netrc file as go reads it for GOAUTH=netrc (src/cmd/go/internal/auth/netrc.go).

Ported closely: go keeps an entry only with machine, login and password, and
looks it up by the URL's host (with its port). goscope keeps the incomplete
entries too, to say why go dropped them; it never keeps a secret.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..safe.files import UnsafeFile, read_regular
from ..safe.redact import redact_host


@dataclass
class NetrcEntry:
    machine: str
    has_login: bool
    has_password: bool


def parse_netrc(text: str) -> list[NetrcEntry]:
    """netrc.go's reading, keeping incomplete entries too (to say why go drops them)."""
    entries: list[NetrcEntry] = []
    current: NetrcEntry | None = None
    in_macro = False
    for line in text.split("\n"):
        if in_macro:
            in_macro = line != ""
            continue
        words = line.split()
        i = 0
        while i < len(words) - 1:
            key, value = words[i], words[i + 1]
            if key == "machine":
                current = NetrcEntry(value, False, False)
                entries.append(current)
            elif key == "login" and current is not None:
                current.has_login = True
            elif key == "password" and current is not None:
                current.has_password = True
            elif key == "macdef":
                in_macro = True
            i += 2
        if i < len(words) and words[i] == "default":
            break
    return entries


def netrc_facts(text: str, hosts: Iterable[str]) -> list[dict[str, object]]:
    """What a recording keeps of the .netrc (its end line): per entry for one of `hosts`
    (host[:port] sent credentials or asked for them; the rest of a user's file is not the
    run's business), the machine and whether it has a login and a password; never a value.
    `goscope report` then says what the run said of credentials (it read the .netrc of
    whoever reopened it: nothing)."""
    wanted = {h.lower() for h in hosts} | {h.lower().partition(":")[0] for h in hosts}
    return [
        {"machine": redact_host(e.machine), "login": e.has_login, "password": e.has_password}
        for e in parse_netrc(text)
        if e.machine.lower() in wanted
    ]


def entries_from_facts(facts: object) -> list[NetrcEntry] | None:
    """`netrc_facts` read back; None when they are not that (an older or crafted line)."""
    if type(facts) is not list:
        return None
    entries = []
    for fact in facts:
        if not (
            type(fact) is dict
            and type(fact.get("machine")) is str
            and type(fact.get("login")) is bool
            and type(fact.get("password")) is bool
        ):
            return None
        entries.append(NetrcEntry(fact["machine"], fact["login"], fact["password"]))
    return entries


def netrc_path(env: Mapping[str, str]) -> str | None:
    """netrc.go `netrcPath`: $NETRC, else ~/.netrc."""
    if env.get("NETRC"):
        return env["NETRC"]
    home = env.get("HOME")
    return os.path.join(home, ".netrc") if home else None


def read_netrc(env: Mapping[str, str]) -> str | None:
    """The .netrc go reads (to say why credentials were not sent); never printed. Only a
    regular file of at most 1 MiB, read without blocking (a FIFO would hang goscope)."""
    path = netrc_path(env)
    if not path:
        return None
    try:
        return read_regular(path, 1 << 20).decode("utf-8", errors="replace")
    except UnsafeFile:
        return None
