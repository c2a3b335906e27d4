"""goscope's certificate authority: mitmproxy's CA under GOSCOPE_HOME, plus a combined bundle.

`SSL_CERT_FILE` replaces Go's system roots on Linux, so the bundle holds the
system's roots *and* goscope's CA: go and git keep trusting every real server.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import ssl
from dataclasses import dataclass
from pathlib import Path

from goscope.core.home import bundle_path, ca_cert_path, confdir, ensure_private_dir

SYSTEM_BUNDLES = (
    "/etc/ssl/certs/ca-certificates.crt",  # Debian, Ubuntu, Alpine
    "/etc/pki/tls/certs/ca-bundle.crt",  # Fedora, RHEL
    "/etc/ssl/ca-bundle.pem",  # openSUSE
    "/etc/ssl/cert.pem",  # macOS, BSD
)
KEY_FILES = ("mitmproxy-ca.pem", "mitmproxy-ca.p12", "mitmproxy-dhparam.pem")


@dataclass(frozen=True)
class CA:
    cert: Path
    bundle: Path
    fingerprint: str  # SHA-256 of the DER certificate, colon-separated


def system_bundle() -> str | None:
    paths = ssl.get_default_verify_paths()
    for candidate in (os.environ.get("GOSCOPE_SYSTEM_CA"), paths.cafile, *SYSTEM_BUNDLES):
        if candidate and os.path.isfile(candidate):
            return candidate
    try:
        import certifi

        return certifi.where()
    except ImportError:
        return None


def ensure_ca(home: str | Path, regenerate: bool = False) -> CA:
    """Create the CA if needed, lock down its key files, and write the bundle."""
    from mitmproxy.certs import CertStore

    home = ensure_private_dir(Path(home))
    conf = ensure_private_dir(confdir(home))
    if regenerate:
        for child in conf.glob("mitmproxy-*"):
            child.unlink()
    CertStore.from_store(str(conf), "mitmproxy", 2048)
    for name in KEY_FILES:
        key = conf / name
        if key.exists():
            key.chmod(0o600)
    cert = ca_cert_path(home)
    pem = cert.read_text()
    bundle = bundle_path(home)
    tmp = bundle.with_suffix(".tmp")
    with open(tmp, "w") as out:
        system = system_bundle()
        if system:
            with open(system) as src:
                shutil.copyfileobj(src, out)
            out.write("\n")
        out.write(pem)
    os.replace(tmp, bundle)
    der = ssl.PEM_cert_to_DER_cert(pem)
    digest = hashlib.sha256(der).hexdigest().upper()
    fingerprint = ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))
    return CA(cert, bundle, fingerprint)
