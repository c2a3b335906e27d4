"""Who sent this request: the process behind each client connection (Linux /proc).

The proxy sees a TCP peer. Its address is the local address of the client's
socket, so /proc/net/tcp{,6} names the socket's inode, and the process that
holds that inode in /proc/<pid>/fd is the sender. From there: its command line
(redacted), working directory and, when readable (the same user), the Go
environment it runs with, resolved as the go command resolves it (its
variables, then its `go env -w` file, then the defaults). A git subprocess is
attributed to the go command that started it; gopls is named as gopls.

Once per connection, off the proxy's event loop; the processes found before
are checked first, so a go command's later connections cost a few syscalls.
"""

from __future__ import annotations

import ipaddress
import os
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from goscope.core.gorules.goenv import GoEnv
from goscope.core.safe.redact import redact_free_text, redact_value

PROC = "/proc"
# What of a sender's environment goscope keeps: what decides where go sends a path.
GO_RELEVANT = re.compile(
    r"^(GO\w*|HTTPS?_PROXY|https?_proxy|NO_PROXY|no_proxy|ALL_PROXY|GIT_\w+|SSL_CERT_\w+|"
    r"HOME|XDG_CONFIG_HOME|GOFLAGS)$"
)
VCS_HELPERS = ("git", "git-remote-http", "git-remote-https", "ssh", "hg", "svn", "bzr", "fossil")
MAX_PARENTS = 6


@dataclass
class Sender:
    id: int
    pid: int
    program: str  # go, git, gopls, or the executable's name
    command: list[str]  # redacted
    cwd: str | None
    environment: dict[str, Any] | None  # GoEnv.to_dict(), None when not readable
    variables: dict[str, str] = field(default_factory=dict)  # the Go-relevant ones, redacted
    note: str | None = None  # why something is missing

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "pid": self.pid,
            "program": self.program,
            "command": self.command,
            "cwd": self.cwd,
            "environment": self.environment,
            "variables": self.variables,
            "note": self.note,
        }


class SenderDirectory:
    """Maps client connections to senders; thread-safe."""

    def __init__(self, proc: str = PROC):
        self.proc = proc
        self.available = os.path.isdir(os.path.join(proc, "net"))
        self._by_pid: dict[int, Sender] = {}
        self._lock = threading.Lock()
        self._next = 1

    def identify(self, peer: tuple[Any, ...], local: tuple[Any, ...]) -> tuple[Sender | None, bool]:
        """(the sender of the connection from `peer` to `local`, whether it is new)."""
        if not self.available:
            return None, False
        inode = socket_inode(self.proc, peer, local)
        if inode is None:
            return None, False  # not from this machine (or already gone)
        pid = self._owner(inode)
        if pid is None:
            return None, False  # another user's process: its fds are not ours to read
        pid = self._attributed(pid)
        with self._lock:
            known = self._by_pid.get(pid)
            if known is not None:
                return known, False
            sender = self._describe(pid, self._next)
            self._next += 1
            self._by_pid[pid] = sender
            return sender, True

    def _owner(self, inode: int) -> int | None:
        target = f"socket:[{inode}]"
        with self._lock:
            recent = list(self._by_pid)
        seen = set()
        for pid in [*recent, *_children_first(self.proc)]:
            if pid in seen:
                continue
            seen.add(pid)
            fd_dir = os.path.join(self.proc, str(pid), "fd")
            try:
                fds = os.listdir(fd_dir)
            except OSError:
                continue
            for fd in fds:
                try:
                    if os.readlink(os.path.join(fd_dir, fd)) == target:
                        return pid
                except OSError:
                    continue
        return None

    def _attributed(self, pid: int) -> int:
        """A VCS helper's requests belong to the go command that started it."""
        current = pid
        for _ in range(MAX_PARENTS):
            if _program(self.proc, current) not in VCS_HELPERS:
                break
            parent = _parent(self.proc, current)
            if parent is None or parent <= 1:
                break
            if _program(self.proc, parent) == "go":
                return parent
            current = parent
        return pid

    def _describe(self, pid: int, sender_id: int) -> Sender:
        program = _program(self.proc, pid) or "?"
        command = [redact_free_text(a) for a in _read_nul(self.proc, pid, "cmdline")]
        try:
            cwd: str | None = os.readlink(os.path.join(self.proc, str(pid), "cwd"))
        except OSError:
            cwd = None
        environ = _environ(self.proc, pid)
        if environ is None:
            return Sender(
                sender_id, pid, program, command, cwd, None, {}, "environment not readable"
            )
        variables = {k: v for k, v in environ.items() if GO_RELEVANT.match(k)}
        goenv = GoEnv.load(variables)  # its env -w file, found through its own HOME/GOENV
        shown = {k: redact_value(v) for k, v in sorted(variables.items())}
        return Sender(sender_id, pid, program, command, cwd, goenv.to_dict(), shown)


def socket_inode(proc: str, peer: tuple[Any, ...], local: tuple[Any, ...]) -> int | None:
    """The inode of the client's socket: local address `peer`, remote address `local`."""
    want_local = _proc_address(peer)
    want_remote = _proc_address(local)
    if want_local is None or want_remote is None:
        return None
    for table in ("tcp", "tcp6"):
        try:
            with open(os.path.join(proc, "net", table)) as fh:
                next(fh, None)
                for line in fh:
                    parts = line.split()
                    if len(parts) < 10:
                        continue
                    if _same(parts[1], want_local) and _same(parts[2], want_remote):
                        inode = int(parts[9])
                        return inode or None
        except OSError:
            continue
    return None


def _proc_address(address: tuple[Any, ...]) -> tuple[bytes, int] | None:
    """(16-byte IPv6 form of the IP, port) of a socket address."""
    try:
        ip = ipaddress.ip_address(str(address[0]).split("%")[0])
        port = int(address[1])
    except (ValueError, IndexError, TypeError):
        return None
    if isinstance(ip, ipaddress.IPv4Address):
        ip = ipaddress.IPv6Address(b"\0" * 10 + b"\xff\xff" + ip.packed)
    return ip.packed, port


def _same(field_text: str, want: tuple[bytes, int]) -> bool:
    hex_ip, _, hex_port = field_text.partition(":")
    if int(hex_port, 16) != want[1]:
        return False
    raw = bytes.fromhex(hex_ip)
    # /proc prints each 32-bit word in host (little-endian) order.
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    if len(words) == 4:
        words = b"\0" * 10 + b"\xff\xff" + words
    return words == want[0]


def _children_first(proc: str) -> list[int]:
    """Every pid, newest first: the sender is usually a process that just started."""
    pids = [int(p) for p in os.listdir(proc) if p.isdigit()]
    return sorted(pids, reverse=True)


def _read_nul(proc: str, pid: int, name: str) -> list[str]:
    try:
        with open(os.path.join(proc, str(pid), name), "rb") as fh:
            data = fh.read(1 << 20)
    except OSError:
        return []
    return [part.decode("utf-8", "replace") for part in data.split(b"\0") if part]


def _environ(proc: str, pid: int) -> dict[str, str] | None:
    path = os.path.join(proc, str(pid), "environ")
    try:
        with open(path, "rb") as fh:
            data = fh.read(1 << 22)
    except OSError:
        return None
    out = {}
    for item in data.split(b"\0"):
        key, eq, value = item.decode("utf-8", "replace").partition("=")
        if eq:
            out[key] = value
    return out


def _program(proc: str, pid: int) -> str | None:
    args = _read_nul(proc, pid, "cmdline")
    if args:
        return os.path.basename(args[0])
    try:
        with open(os.path.join(proc, str(pid), "comm")) as fh:
            return fh.read().strip()
    except OSError:
        return None


def _parent(proc: str, pid: int) -> int | None:
    try:
        with open(os.path.join(proc, str(pid), "stat")) as fh:
            stat = fh.read()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces: parse after it.
    rest = stat.rpartition(")")[2].split()
    try:
        return int(rest[1])
    except (IndexError, ValueError):
        return None
