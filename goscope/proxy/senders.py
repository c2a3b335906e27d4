"""Who sent this request: the process behind each client connection (Linux /proc).

The proxy sees a TCP peer. Its address is the local address of the client's
socket, so /proc/net/tcp{,6} names the socket's inode and its owner's uid, and
the process that holds that inode in /proc/<pid>/fd is the sender. From there:
its command line (redacted), working directory and, when readable (the same
user), the Go environment it runs with, resolved as the go command resolves it
(its variables, then its `go env -w` file, then the defaults). A git subprocess
is attributed to the go command that started it; gopls is named as gopls.

Every sender is hostile until shown otherwise, and none may slow down another:
- the proxy calls `identify` off its event loop, with a time limit (addon.py);
- a process is described once per (pid, start time, image): a reused pid is a new
  process, and so is one that execs (its exe and environ change);
- another user's socket is known from /proc/net/tcp's uid column, without a scan;
- only processes of the socket's owner are searched, each only up to FD_LIMIT open
  files; the processes seen before are checked first; a new one costs one scan of
  /proc, shared by every lookup waiting for it, and at most one scan starts every
  SCAN_GAP seconds, so unknown senders cost amortised O(1) (a lookup that still runs
  past the proxy's limit makes the verdict incomplete: its requests are judged
  without their sender's environment);
- its `go env -w` file is read only if it is a regular file of bounded size that the
  sender itself could read, without blocking, never past the size it claims (a FIFO,
  /dev/zero, /proc/kmsg: the environment is known only in part, judged by the process's
  own variables, and the verdict is incomplete); a relative GOENV is the sender's,
  resolved in its own working directory;
- of its environment only what judging needs is kept (gorules/goenv.py
  `judging_variables`): Go's own variables, the proxy and CA variables, redacted.
"""

from __future__ import annotations

import ipaddress
import os
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Any

from goscope.core.gorules.goenv import (
    LOCATING_ENV,
    GoEnv,
    judging_variables,
    loading_variables,
)
from goscope.core.gorules.goroot import GOROOT_ENV_UNREAD
from goscope.core.safe.redact import redact_argv
from goscope.core.safe.visible import visible

PROC = "/proc"
VCS_HELPERS = ("git", "git-remote-http", "git-remote-https", "ssh", "hg", "svn", "bzr", "fossil")
MAX_PARENTS = 6
FD_LIMIT = 1024  # open files checked per process: go holds a few dozen
SCAN_GAP = 0.05  # seconds between two scans of /proc: lookups that miss share the next one
MAX_SENDERS = 4096  # processes remembered
# The variables that name the go env file's path (`env_file_path`): a process's own bytes.
PATH_VARIABLES = LOCATING_ENV | {"GOENV", "GOROOT"}
ENVIRON_LIMIT = 1 << 22  # bytes of /proc/<pid>/environ read
CMDLINE_LIMIT = 1 << 16


@dataclass
class Sender:
    id: int
    pid: int
    program: str  # go, git, gopls, or the executable's name
    command: list[str]  # redacted
    cwd: str | None
    environment: dict[str, Any] | None  # GoEnv.to_dict(), None when not readable
    variables: dict[str, str] = field(default_factory=dict)  # what judging needs, redacted
    note: str | None = None  # why something is missing
    # Why its environment is only part of go's (its go env -w file was not read): judged by
    # what is known, and the verdict is incomplete.
    partial: str | None = None
    # The environment itself, unredacted, for judging in this process only (never written):
    # judged by the redacted copy, a GOPRIVATE element shaped like a token (xoxb-1-acme)
    # matched nothing, and the guard let that path out.
    goenv: GoEnv | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        out = {
            "id": self.id,
            "pid": self.pid,
            "program": self.program,
            "command": self.command,
            "cwd": self.cwd,
            "environment": self.environment,
            "variables": self.variables,
            "note": self.note,
        }
        if self.partial:
            out["partial"] = self.partial
        return out


class OwnerNotFound(Exception):
    """A connection from a socket of this machine whose process could not be found (it holds
    more than FD_LIMIT files, say): its requests are judged without their sender's
    environment, which the verdict must say."""


class SenderDirectory:
    """Maps client connections to senders; thread-safe (lookups run in worker threads)."""

    def __init__(self, proc: str = PROC):
        self.proc = proc
        self.available = os.path.isdir(os.path.join(proc, "net"))
        self.uid = os.geteuid()
        # (pid, start time, what it runs): an exec is a new sender
        self._by_process: dict[tuple[int, int, tuple[str, int]], Sender] = {}
        self._lock = threading.Lock()
        self._next = 1
        self._scan = threading.Condition()
        self._scanning = False
        # Per uid: when its last scan started (monotonic), and socket inode -> pid.
        self._scanned: dict[int, tuple[float, dict[int, int]]] = {}
        self._skipped_big: dict[int, bool] = {}  # uid -> its last scan passed over a process
        self._last_start = 0.0
        self.scans = 0  # for tests and stats: full scans of /proc made

    def identify(self, peer: tuple[Any, ...], local: tuple[Any, ...]) -> tuple[Sender | None, bool]:
        """(the sender of the connection from `peer` to `local`, whether it is new)."""
        if not self.available:
            return None, False
        found = socket_inode(self.proc, peer, local)
        if found is None:
            return None, False  # not from this machine (or already gone)
        inode, uid = found
        if uid != self.uid and self.uid != 0:
            return None, False  # another user's process: its fds are not ours to read
        asked = time.monotonic()
        pid = self._known_owner(inode, uid)
        if pid is None:
            pid = self._scanned_owner(inode, uid, asked)
        if pid is None:
            if self._skipped_big.get(uid):
                # A process of the socket's owner was passed over for its size: this may be
                # it. A process whose files goscope may not see (root without ptrace, another
                # user's) is another user's, as without root: not counted.
                raise OwnerNotFound(f"socket {inode}")
            return None, False
        pid = self._attributed(pid)
        # Per image too: a process that execs go keeps its pid and start time, and was judged
        # by the environment it had before (exe and environ change with the exec).
        key = (pid, _start_time(self.proc, pid), _image(self.proc, pid))
        with self._lock:
            known = self._by_process.get(key)
            if known is not None:
                return known, False
        sender = self._describe(pid, 0)
        with self._lock:
            known = self._by_process.get(key)
            if known is not None:  # two of its connections were looked up at once
                return known, False
            sender.id = self._next  # numbered in the order they are told
            self._next += 1
            if len(self._by_process) >= MAX_SENDERS:
                self._by_process.pop(next(iter(self._by_process)))
            self._by_process[key] = sender
        return sender, True

    # -- which process holds the socket -------------------------------------------------
    def _known_owner(self, inode: int, uid: int) -> int | None:
        """Among the processes seen before (most connections come from them)."""
        with self._lock:
            recent = [key[0] for key in reversed(self._by_process)][:64]
        target = f"socket:[{inode}]"
        for pid in recent:
            if _uid(self.proc, pid) == uid and _holds(self.proc, pid, target):
                return pid
        return None

    def _scanned_owner(self, inode: int, uid: int, asked: float) -> int | None:
        """From a scan of the uid's processes that started after the lookup was asked: one
        scan at a time, at most one every SCAN_GAP seconds, shared by all who wait."""
        with self._scan:
            while True:
                started, owners = self._scanned.get(uid, (0.0, {}))
                if started >= asked and not self._scanning:
                    return owners.get(inode)
                if not self._scanning:
                    break
                self._scan.wait()
            self._scanning = True
            wait = self._last_start + SCAN_GAP - time.monotonic()
        try:
            if wait > 0:
                time.sleep(wait)
            started = time.monotonic()
            owners, skipped_big = _socket_owners(self.proc, uid)
        finally:
            with self._scan:
                self._scanning = False
                self._scan.notify_all()
        with self._scan:
            self._scanned[uid] = (started, owners)
            self._skipped_big[uid] = skipped_big
            self._last_start = started
            self.scans += 1
            return owners.get(inode)

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

    # -- what the process is ------------------------------------------------------------
    def _describe(self, pid: int, sender_id: int) -> Sender:
        program = _program(self.proc, pid) or "?"
        argv = _read_nul(self.proc, pid, "cmdline", CMDLINE_LIMIT)
        command = redact_argv(argv)
        try:
            # As bytes: a directory whose name is not UTF-8 must not become a lone
            # surrogate, which no recording line can hold (core/safe/visible.py).
            link = os.readlink(os.fsencode(os.path.join(self.proc, str(pid), "cwd")))
            cwd: str | None = link.decode("utf-8", "replace")
        except OSError:
            cwd = None
        raw = _environ(self.proc, pid)
        if raw is None:
            return Sender(
                sender_id, pid, program, command, cwd, None, {}, "environment not readable"
            )
        environ = {var: _text(value) for var, value in raw.items()}
        shown = judging_variables(environ)
        # Its go env -w file, bounded, as go would find it (a relative GOENV in its own
        # directory) and only if it could read it itself: the variables that locate it are
        # the process's own bytes, as go has them (a HOME that is not UTF-8 still leads to
        # its file; replaced, it led nowhere and the file's GOPRIVATE was never judged).
        loading = loading_variables(environ)
        loading.update((var, raw[var]) for var in PATH_VARIABLES if var in raw)
        started_in, moved = self._started_in(pid, program, argv, environ)
        if moved:  # which file go read is unknown: its own variables, and the verdict says so
            goenv = replace(GoEnv.from_mapping(loading_variables(environ)), env_file_error=moved)
        else:
            goenv = GoEnv.load(
                loading, cwd=started_in, owner=_uid(self.proc, pid), executable=self._exe(pid)
            )
        if goenv.env_file_error:
            # Its own variables stand (its GONOPROXY was thrown away with the file, and the
            # guard let the leak out); what the file says is unknown: the verdict says so.
            error = goenv.env_file_error
            whose = error.startswith(GOROOT_ENV_UNREAD)
            why = visible(error if whose else f"its go env -w file was not read: {error}")
            note = f"Go environment partly unknown: {why}"
            return Sender(
                sender_id, pid, program, command, cwd, goenv.to_dict(), shown, note, why, goenv
            )
        return Sender(sender_id, pid, program, command, cwd, goenv.to_dict(), shown, goenv=goenv)

    def _exe(self, pid: int) -> str:
        """Its binary, which locates its GOROOT's go.env (cfg.go findGOROOT reads
        os.Executable: /proc/self/exe). "" when unknown: then only a GOROOT says where."""
        try:
            return os.readlink(os.path.join(self.proc, str(pid), "exe"))
        except OSError:
            return ""

    def _started_in(
        self, pid: int, program: str, argv: list[str], environ: dict[str, str]
    ) -> tuple[str, str | None]:
        """Where a relative GOENV or GOROOT is read from: the directory go started in,
        which `go -C DIR` has left by the time goscope looks (go reads its env files at
        start, before it handles -C: main.go `handleChdirFlag`). Its PWD says where, when it
        leads to DIR; else why the file go read is unknown."""
        now = os.path.join(self.proc, str(pid), "cwd")
        goenv, goroot = environ.get("GOENV", ""), environ.get("GOROOT", "")
        moved_to = _chdir_flag(argv) if program == "go" else None
        relative = [
            f"{var}={value}"
            for var, value in (("GOENV", goenv if goenv != "off" else ""), ("GOROOT", goroot))
            if value and not value.startswith("/")
        ]
        if moved_to is None or not relative:
            return now, None
        pwd = environ.get("PWD", "")
        try:
            if pwd.startswith("/"):
                if os.path.isabs(moved_to):
                    # An absolute DIR says nothing of where go started: PWD is believed only
                    # where it is its parent's directory (a shell's; subprocess and env -C
                    # leave a stale one behind).
                    parent = _parent(self.proc, pid)
                    there = os.path.join(self.proc, str(parent), "cwd") if parent else None
                    if there and os.path.realpath(pwd) == os.path.realpath(there):
                        return pwd, None
                elif os.path.realpath(os.path.join(pwd, moved_to)) == os.path.realpath(now):
                    return pwd, None
        except OSError:
            pass
        return now, (
            f"go -C {moved_to} left the directory its relative {' and '.join(relative)} is "
            "read from, and nothing says which that was"
        )


def _chdir_flag(argv: list[str]) -> str | None:
    """DIR of `go -C DIR …` / `go -C=DIR …` (only as go's first argument)."""
    if len(argv) > 2 and argv[1] in ("-C", "--C"):
        return argv[2]
    if len(argv) > 1 and argv[1].startswith(("-C=", "--C=")):
        return argv[1].split("=", 1)[1]
    return None


def socket_inode(
    proc: str, peer: tuple[Any, ...], local: tuple[Any, ...]
) -> tuple[int, int] | None:
    """(inode, owner's uid) of the client's socket: local address `peer`, remote `local`."""
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
                        return (inode, int(parts[7])) if inode else None
        except (OSError, ValueError):
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


def _image(proc: str, pid: int) -> tuple[str, int]:
    """What the process runs, and a digest of the environment it was started with: both
    change when it execs."""
    try:
        exe = os.readlink(os.path.join(proc, str(pid), "exe"))
    except OSError:
        exe = ""
    try:
        with open(os.path.join(proc, str(pid), "environ"), "rb") as fh:
            environ = hash(fh.read(ENVIRON_LIMIT))
    except OSError:
        environ = 0
    return exe, environ


def _fds(proc: str, pid: int) -> list[str] | None:
    """A process's open file numbers; None when unreadable or more than FD_LIMIT."""
    try:
        fds = os.listdir(os.path.join(proc, str(pid), "fd"))
    except OSError:
        return None
    return fds if len(fds) <= FD_LIMIT else None


def _holds(proc: str, pid: int, target: str) -> bool:
    fds = _fds(proc, pid)
    if fds is None:
        return False
    fd_dir = os.path.join(proc, str(pid), "fd")
    for fd in fds:
        try:
            if os.readlink(os.path.join(fd_dir, fd)) == target:
                return True
        except OSError:
            continue
    return False


def _socket_owners(proc: str, uid: int) -> tuple[dict[int, int], bool]:
    """Every socket inode of the uid's processes -> the process holding it, newest first;
    and whether a process was passed over for holding more than FD_LIMIT files."""
    owners: dict[int, int] = {}
    skipped_big = False
    for pid in _newest_first(proc):
        if _uid(proc, pid) != uid:
            continue
        fds = _fds(proc, pid)
        if fds is None:
            skipped_big = skipped_big or _holds_many(proc, pid)
            continue
        fd_dir = os.path.join(proc, str(pid), "fd")
        for fd in fds:
            try:
                link = os.readlink(os.path.join(fd_dir, fd))
            except OSError:
                continue
            if link.startswith("socket:["):
                owners.setdefault(int(link[8:-1]), pid)
    return owners, skipped_big


def _holds_many(proc: str, pid: int) -> bool:
    """Its files could be listed, and there were more than FD_LIMIT of them."""
    try:
        return len(os.listdir(os.path.join(proc, str(pid), "fd"))) > FD_LIMIT
    except OSError:
        return False  # not ours to see (another user's; root without ptrace)


def _uid(proc: str, pid: int) -> int | None:
    try:
        return os.stat(os.path.join(proc, str(pid))).st_uid
    except OSError:
        return None


def _newest_first(proc: str) -> list[int]:
    """Every pid, newest first: the sender is usually a process that just started."""
    try:
        pids = [int(p) for p in os.listdir(proc) if p.isdigit()]
    except OSError:
        return []
    return sorted(pids, reverse=True)


def _read_nul(proc: str, pid: int, name: str, limit: int) -> list[str]:
    try:
        with open(os.path.join(proc, str(pid), name), "rb") as fh:
            data = fh.read(limit)
    except OSError:
        return []
    return [part.decode("utf-8", "replace") for part in data.split(b"\0") if part]


def _environ(proc: str, pid: int) -> dict[str, str] | None:
    """The process's environment as Python decodes its own (`os.environ`): surrogateescape,
    so that a path in it names the same file. Shown or judged, a value goes through `_text`."""
    path = os.path.join(proc, str(pid), "environ")
    try:
        with open(path, "rb") as fh:
            data = fh.read(ENVIRON_LIMIT)
    except OSError:
        return None
    out: dict[str, str] = {}
    for item in data.split(b"\0"):
        key, eq, value = item.decode("utf-8", "surrogateescape").partition("=")
        if eq:
            # A variable given twice is its first (syscall/env_unix.go copyenv, as go reads
            # it): with the last, GONOSUMDB=x ahead of an inherited empty one was lost.
            out.setdefault(key, value)
    return out


def _text(value: str) -> str:
    """A value from `_environ` as text: a byte that is not UTF-8 replaced (U+FFFD), as a
    recording line can hold it."""
    if value.isascii():
        return value
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _program(proc: str, pid: int) -> str | None:
    args = _read_nul(proc, pid, "cmdline", CMDLINE_LIMIT)
    if args:
        return os.path.basename(args[0])
    try:
        with open(os.path.join(proc, str(pid), "comm"), errors="replace") as fh:
            return fh.read(64).strip()
    except OSError:
        return None


def _stat_fields(proc: str, pid: int) -> list[str]:
    try:
        with open(os.path.join(proc, str(pid), "stat")) as fh:
            stat = fh.read(4096)
    except OSError:
        return []
    # The command name (field 2) is in parentheses and may hold spaces: parse after it.
    return stat.rpartition(")")[2].split()


def _parent(proc: str, pid: int) -> int | None:
    fields = _stat_fields(proc, pid)
    try:
        return int(fields[1])
    except (IndexError, ValueError):
        return None


def _start_time(proc: str, pid: int) -> int:
    """The process's start time in clock ticks (stat field 22): pid and start time name one
    process, even after its pid is reused."""
    fields = _stat_fields(proc, pid)
    try:
        return int(fields[19])
    except (IndexError, ValueError):
        return 0
