"""goscope's certificate authority: mitmproxy's CA under GOSCOPE_HOME, plus a combined bundle.

`SSL_CERT_FILE` replaces Go's system roots on Linux, so the bundle holds the
system's roots *and* goscope's CA: go and git keep trusting every real server.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from goscope.core.gorules.roots import go_roots
from goscope.core.home import (
    HomeError,
    bundle_path,
    ca_cert_path,
    confdir,
    ensure_private_dir,
    home_dir,
)

SYSTEM_BUNDLES = (
    "/etc/ssl/certs/ca-certificates.crt",  # Debian, Ubuntu, Alpine
    "/etc/pki/tls/certs/ca-bundle.crt",  # Fedora, RHEL
    "/etc/ssl/ca-bundle.pem",  # openSUSE
    "/etc/ssl/cert.pem",  # macOS, BSD
)
KEY_FILES = ("mitmproxy-ca.pem", "mitmproxy-ca.p12", "mitmproxy-dhparam.pem")


# The CA store this process has just loaded and checked, by its directory, with the stat
# signature of its files then: mitmproxy's TlsConfig loads the same files again a moment
# later (mitm_patches.reuse_checked_ca), and the RSA key check is 45 ms of each load.
_checked: dict[Path, tuple[tuple[tuple[int, int, int], ...], Any]] = {}


def _signature(conf: Path) -> tuple[tuple[int, int, int], ...]:
    out = []
    for name in ("mitmproxy-ca.pem", "mitmproxy-dhparam.pem"):
        st = os.stat(conf / name)
        out.append((st.st_ino, st.st_mtime_ns, st.st_size))
    return tuple(out)


def checked_store(conf: str | Path) -> Any | None:
    """The CertStore ensure_ca loaded from `conf` in this process, while its files are
    unchanged since; None otherwise (the caller loads them itself)."""
    try:
        key = Path(conf).expanduser().resolve()
        found = _checked.get(key)
        if found is None or found[0] != _signature(key):
            return None
    except OSError:
        return None
    return found[1]


@dataclass(frozen=True)
class CA:
    cert: Path
    bundle: Path
    fingerprint: str  # SHA-256 of the DER certificate, colon-separated


def system_bundle() -> str | None:
    """The roots go trusts (its SSL_CERT_FILE, else the system's; core/gorules/roots.py), which
    goscope's bundle must keep: go and git then trust every server they trusted before."""
    override = os.environ.get("GOSCOPE_SYSTEM_CA")
    if override and os.path.isfile(override):
        return override
    roots = go_roots(os.environ, skip=str(bundle_path(home_dir())))
    if roots.file:
        return roots.file
    paths = ssl.get_default_verify_paths()
    for candidate in (paths.cafile, *SYSTEM_BUNDLES):
        if candidate and os.path.isfile(candidate):
            return candidate
    try:
        import certifi

        return certifi.where()
    except ImportError:
        return None


def ensure_ca(home: str | Path, regenerate: bool = False) -> CA:
    """Create the CA if needed, lock down its key files, and write the bundle.

    Two goscopes starting at once take turns (a lock file), so neither reads a
    half-written key; an unreadable CA is one line that says how to replace it.
    """
    home = ensure_private_dir(Path(home))
    conf = ensure_private_dir(confdir(home))
    old_umask = os.umask(0o077)  # the key is never readable by others, not even briefly
    try:
        with open(conf / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            return _ensure_ca_locked(home, conf, regenerate)
    finally:
        os.umask(old_umask)


def _ensure_ca_locked(home: Path, conf: Path, regenerate: bool) -> CA:
    from mitmproxy.certs import CertStore

    if regenerate:
        for child in conf.glob("mitmproxy-*"):
            child.unlink()
    creating = not any(conf.glob("mitmproxy-*"))
    try:
        store = CertStore.from_store(str(conf), "mitmproxy", 2048)
        _checked.clear()  # under the lock: no goscope replaces these files meanwhile
        _checked[conf.resolve()] = (_signature(conf), store)
        pem = ca_cert_path(home).read_text()
        der = ssl.PEM_cert_to_DER_cert(pem)
    except OSError as exc:
        if creating:  # a full disk cut the new key: nothing half made stays to be read later
            for child in conf.glob("mitmproxy-*"):
                with contextlib.suppress(OSError):
                    child.unlink()
            raise HomeError(
                f"cannot create goscope's CA in {conf}: {exc.strerror or exc}"
            ) from None
        raise HomeError(
            f"goscope's CA in {conf} cannot be read ({exc.strerror or type(exc).__name__}); "
            "replace it with: goscope ca --regenerate"
        ) from None
    except (ValueError, TypeError) as exc:
        raise HomeError(
            f"goscope's CA in {conf} cannot be read ({type(exc).__name__}); "
            "replace it with: goscope ca --regenerate"
        ) from None
    for name in KEY_FILES:
        key = conf / name
        if key.exists():
            key.chmod(0o600)
    cert = ca_cert_path(home)
    bundle = bundle_path(home)
    tmp = bundle.with_suffix(".tmp")
    try:
        with open(tmp, "w") as out:
            system = system_bundle()
            if system:
                with open(system) as src:
                    shutil.copyfileobj(src, out)
                out.write("\n")
            out.write(pem)
        os.replace(tmp, bundle)
    except OSError as exc:  # a full disk: one line naming the file, no half bundle left
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise HomeError(f"cannot write {bundle}: {exc.strerror or exc}") from None
    digest = hashlib.sha256(der).hexdigest().upper()
    fingerprint = ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))
    return CA(cert, bundle, fingerprint)
