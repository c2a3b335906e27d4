"""Files read as hostile input: only regular files, never waited on, never read unbounded.

A path goscope did not choose (a sender's GOENV, a .netrc, a report to diff) may
name a FIFO, which would block a plain `open()` until a writer comes, or
`/dev/zero`, which never ends. `read_regular` opens without blocking, checks
what it opened (not what the path said a moment before), and reads at most
`limit` bytes: a larger file is refused, never truncated silently.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat


class UnsafeFile(OSError):
    """A file goscope will not read; the message is one line naming it and why."""

    def __str__(self) -> str:
        # Made with an errno too (callers test it): the message alone, no "[Errno 2] ".
        return self.strerror if self.errno is not None and self.strerror else super().__str__()


def read_regular(path: str, limit: int, owner: int | None = None) -> bytes:
    """The whole of a regular file of at most `limit` bytes (UnsafeFile otherwise).

    At most the size `fstat` gives is read, and a file that says it is empty is not read
    at all: files of /proc and /sys say so and generate their content (/proc/kmsg blocks
    until the kernel logs). `owner`: read it only if that uid could (it owns the file, or
    anyone may read it): goscope may run with more rights than whoever named the path.
    """
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
        if owner is not None and owner != info.st_uid and not info.st_mode & stat.S_IROTH:
            raise UnsafeFile(f"{path}: not readable by the process that named it")
        if info.st_size == 0:
            return b""
        os.set_blocking(fd, True)
        chunks, total = [], 0
        while total < info.st_size and (chunk := os.read(fd, min(1 << 20, info.st_size - total))):
            chunks.append(chunk)
            total += len(chunk)
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


def file_identity(path: str | None) -> tuple[int, int] | None:
    """(inode, mtime) of the file at `path`, None when there is none: a file written anew
    (write_private renames) has another."""
    try:
        info = os.stat(path) if path else None
    except OSError:
        return None
    return (info.st_ino, info.st_mtime_ns) if info else None


def write_all(fd: int, data: bytes, cut_back: bool = False) -> None:
    """All of `data`, or OSError with the disk's own reason: a short write is followed by
    the write that says why (ENOSPC, or EFBIG past a file size limit; both were called "no
    space"). `cut_back`: on failure the file is cut back to its size before, so no half
    line stays (a recording's end line was left half written, and read as "killed")."""
    start = os.fstat(fd).st_size if cut_back else 0
    view = memoryview(data)
    try:
        while view:
            done = os.write(fd, view)
            if not done:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            view = view[done:]
    except OSError:
        if cut_back:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, start)
        raise
