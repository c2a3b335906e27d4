"""Run directories: claimed by the process that made them, announced, and cleaned when stale.

Each goscope run works in `$GOSCOPE_HOME/runs/<prefix>XXXX/` (0700): the recording,
the proxy's log, the command's process group, and, once the proxy listens,
`session.json` (0600): its port, its pid and start time, and the run's secret, for
`goscope env` and `goscope shell`. A goscope killed outright (SIGKILL, a crash) leaves
its directory behind; the next one to start removes it: its owner is gone (no such
pid, or a pid reused by another process: the start time says which).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import time
from dataclasses import dataclass
from pathlib import Path

SESSION_FILE = "session.json"
OWNER_FILE = "owner.json"
LEGACY_GRACE = 3600.0  # seconds: an ownerless directory of an older goscope, left alone


@dataclass(frozen=True)
class RunningGoscope:
    port: int
    host: str
    pid: int
    secret: str | None = None  # None: a goscope that asks for none (an older one)
    proxy_pid: int | None = None  # the proxy process, which holds the listening socket

    @property
    def address(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def process_start(pid: int) -> str | None:
    """The process's start time (Linux: clock ticks since boot, stat field 22); None where
    it cannot be read. With the pid it names one process, even after the pid is reused."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            fields = fh.read(4096).rpartition(")")[2].split()
        return fields[19]
    except (OSError, IndexError):
        return None


def alive(pid: int, start: str | None) -> bool:
    """Whether the process that wrote a file is still the one running under its pid."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # someone's process: alive, but see the start time
    now = process_start(pid)
    return start is None or now is None or now == start


def _write_private(path: Path, data: dict[str, object]) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(json.dumps(data))


def claim(rundir: Path) -> None:
    """Mark a run directory as this process's, so a later goscope knows when it is stale."""
    pid = os.getpid()
    _write_private(rundir / OWNER_FILE, {"pid": pid, "start": process_start(pid)})


def announce(
    rundir: Path, port: int, host: str, secret: str | None, proxy_pid: int | None = None
) -> Path:
    """Tell `goscope env` and `goscope shell` where this goscope listens and its secret."""
    path = rundir / SESSION_FILE
    pid = os.getpid()
    _write_private(
        path,
        {
            "port": port,
            "host": host,
            "pid": pid,
            "start": process_start(pid),
            "secret": secret,
            "proxy_pid": proxy_pid,
            "proxy_start": process_start(proxy_pid) if proxy_pid else None,
        },
    )
    return path


def _read(path: Path) -> dict[str, object] | None:
    try:
        if not path.is_file() or path.is_symlink():
            return None
        with open(path, encoding="utf-8") as fh:
            data = json.loads(fh.read(65536))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def listener_of(port: int, proc: str = "/proc") -> int | None:
    """The inode of the socket listening on `port` (Linux /proc/net/tcp{,6}); None when
    nothing listens there, or /proc cannot tell."""
    for table in ("tcp", "tcp6"):
        try:
            with open(os.path.join(proc, "net", table)) as fh:
                next(fh, None)
                for line in fh:
                    parts = line.split()
                    if len(parts) < 10 or parts[3] != "0A":  # 0A: LISTEN
                        continue
                    if int(parts[1].rpartition(":")[2], 16) == port:
                        return int(parts[9]) or None
        except (OSError, ValueError):
            continue
    return None


def holds_socket(pid: int, inode: int, proc: str = "/proc") -> bool:
    fd_dir = os.path.join(proc, str(pid), "fd")
    target = f"socket:[{inode}]"
    try:
        fds = os.listdir(fd_dir)
    except OSError:
        return False
    for fd in fds[:4096]:
        with contextlib.suppress(OSError):
            if os.readlink(os.path.join(fd_dir, fd)) == target:
                return True
    return False


def serves(running: RunningGoscope, proxy_start: str | None) -> bool:
    """Whether the port is still the goscope's proxy's: its process alive (the same one),
    and, where /proc can tell, holding the listening socket itself. Another program, or
    another user's, that took the port after the proxy died must never get the secret."""
    if running.proxy_pid is None:
        return listening(running.host, running.port)  # an older goscope's session file
    if not alive(running.proxy_pid, proxy_start):
        return False
    if os.path.isdir("/proc/net"):
        inode = listener_of(running.port)
        return inode is not None and holds_socket(running.proxy_pid, inode)
    return listening(running.host, running.port)


def listening(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def find_running(home: Path, port: int | None = None) -> RunningGoscope | None:
    """The most recently started goscope of this user that is still alive and listening
    (on `port`, when given): a session file whose pid died, or was reused by another
    process, or whose port no longer answers, is not one."""
    found: list[tuple[float, RunningGoscope]] = []
    for path in (home / "runs").glob(f"*/{SESSION_FILE}"):
        data = _read(path)
        if data is None:
            continue
        try:
            proxy_pid = data.get("proxy_pid")
            running = RunningGoscope(
                int(data["port"]),  # type: ignore[call-overload]
                str(data["host"]),
                int(data["pid"]),  # type: ignore[call-overload]
                str(data["secret"]) if data.get("secret") else None,
                proxy_pid if type(proxy_pid) is int else None,
            )
            when = path.stat().st_mtime
        except (KeyError, TypeError, ValueError, OSError):
            continue
        if port is not None and running.port != port:
            continue
        start, proxy_start = data.get("start"), data.get("proxy_start")
        if not alive(running.pid, start if isinstance(start, str) else None):
            continue
        if not serves(running, proxy_start if isinstance(proxy_start, str) else None):
            continue
        found.append((when, running))
    return max(found, key=lambda item: item[0])[1] if found else None


def clean_stale(home: Path) -> list[Path]:
    """Remove the run directories whose owner is gone (killed outright, crashed)."""
    removed: list[Path] = []
    runs = home / "runs"
    try:
        entries = list(runs.iterdir())
    except OSError:
        return removed
    now = time.time()
    for rundir in entries:
        if rundir.is_symlink() or not rundir.is_dir():
            continue
        owner = _read(rundir / OWNER_FILE) or _read(rundir / SESSION_FILE)
        if owner is None:
            # An older goscope's directory (no owner file): only when long untouched.
            with contextlib.suppress(OSError):
                if now - rundir.stat().st_mtime > LEGACY_GRACE:
                    shutil.rmtree(rundir, ignore_errors=True)
                    removed.append(rundir)
            continue
        try:
            pid = int(owner.get("pid", 0))  # type: ignore[call-overload]
        except (TypeError, ValueError):
            pid = 0
        start = owner.get("start")
        if not alive(pid, start if isinstance(start, str) else None):
            shutil.rmtree(rundir, ignore_errors=True)
            removed.append(rundir)
    return removed
