"""Where goscope keeps its CA, bundle and run files: $GOSCOPE_HOME or the user data dir."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path

import platformdirs


class HomeError(Exception):
    """GOSCOPE_HOME cannot be used (one clear line for the user)."""


def home_dir(env: Mapping[str, str] | None = None) -> Path:
    source = os.environ if env is None else env
    return Path(source.get("GOSCOPE_HOME") or platformdirs.user_data_dir("goscope"))


def ensure_private_dir(path: Path) -> Path:
    """Create a directory only the user can read (0700).

    An existing one must be a real directory (not a symlink) that the user owns:
    goscope keeps its CA key there, and chmod-ing someone else's is no fix.
    """
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode):
            raise HomeError(f"cannot use {path} as goscope's home: it is a symbolic link")
        if info.st_uid != os.getuid():
            raise HomeError(f"cannot use {path} as goscope's home: another user owns it")
        mode = stat.S_IMODE(info.st_mode)
        if mode & 0o077:
            path.chmod(mode & 0o700)
        # A probe of its own: two goscopes starting at once must not remove each other's.
        fd, probe = tempfile.mkstemp(prefix=".goscope-write-test-", dir=path)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise HomeError(
            f"cannot use {path} as goscope's home: {exc.strerror or exc} "
            "(set GOSCOPE_HOME to a writable directory)"
        ) from None
    return path


def confdir(home: Path) -> Path:
    return home / "mitmproxy"


def ca_cert_path(home: Path) -> Path:
    return confdir(home) / "mitmproxy-ca-cert.pem"


def bundle_path(home: Path) -> Path:
    return home / "ca-bundle.pem"
