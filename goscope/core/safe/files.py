"""Files read as hostile input: only regular files, never waited on, never read unbounded.

A path goscope did not choose (a sender's GOENV, a .netrc, a report to diff) may
name a FIFO, which would block a plain `open()` until a writer comes, or
`/dev/zero`, which never ends. `read_regular` opens without blocking, checks
what it opened (not what the path said a moment before), and reads at most
`limit` bytes: a larger file is refused, never truncated silently.
"""

from __future__ import annotations

import os
import stat


class UnsafeFile(OSError):
    """A file goscope will not read; the message is one line naming it and why."""


def read_regular(path: str, limit: int) -> bytes:
    """The whole of a regular file of at most `limit` bytes (UnsafeFile otherwise)."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; regular files ignore it.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise UnsafeFile(exc.errno, f"{path}: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeFile(f"{path}: not a regular file ({_kind(info.st_mode)})")
        if info.st_size > limit:
            raise UnsafeFile(f"{path}: larger than {_size(limit)} ({_size(info.st_size)})")
        os.set_blocking(fd, True)
        chunks, total = [], 0
        while chunk := os.read(fd, min(1 << 20, limit + 1 - total)):
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:  # it grew since fstat
                raise UnsafeFile(f"{path}: larger than {_size(limit)}")
        return b"".join(chunks)
    except UnsafeFile:
        raise
    except OSError as exc:
        raise UnsafeFile(exc.errno, f"{path}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a file"


def _size(n: int) -> str:
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:.0f} {unit}"
    return f"{n} bytes"
