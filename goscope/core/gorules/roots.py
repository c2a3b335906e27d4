"""The roots go trusts, so goscope verifies upstream servers exactly as go would.

Port of src/crypto/x509/root_unix.go and root_linux.go: SSL_CERT_FILE, when
set, names the one file of roots; else the first of the distribution bundles
that exists. SSL_CERT_DIR (colon-separated) names directories, else the
system's. A TLS-inspecting corporate proxy (Zscaler, Netskope, Palo Alto, a
private CA) works for go when its CA is in those roots; goscope's proxy then
trusts it too, and says so (see `is_public_root`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

# crypto/x509/root_linux.go: possible certificate files; stop after finding one.
CERT_FILES = (
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/tls/cacert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
)
# Possible directories with certificate files; all are read.
CERT_DIRECTORIES = ("/etc/ssl/certs", "/etc/pki/tls/certs")


@dataclass(frozen=True)
class GoRoots:
    file: str | None  # the roots file go reads (None: none found)
    directories: tuple[str, ...]  # directories go reads
    source: str  # "SSL_CERT_FILE", "system" or "none"


def go_roots(env: Mapping[str, str], skip: str | None = None) -> GoRoots:
    """The roots a go process with this environment trusts (on Linux).

    `skip`: a file that is goscope's own bundle (a shell wired to goscope already
    points SSL_CERT_FILE there): go's roots are then the ones behind it.
    """
    chosen = env.get("SSL_CERT_FILE", "")
    dirs_env = env.get("SSL_CERT_DIR", "")
    directories = tuple(d for d in dirs_env.split(":") if d) if dirs_env else CERT_DIRECTORIES
    directories = tuple(d for d in directories if os.path.isdir(d))
    if chosen and chosen != skip:
        return GoRoots(chosen if os.path.isfile(chosen) else None, directories, "SSL_CERT_FILE")
    for candidate in CERT_FILES:
        if os.path.isfile(candidate):
            return GoRoots(candidate, directories, "system")
    return GoRoots(None, directories, "none")


@lru_cache(maxsize=1)
def _public_subjects() -> frozenset[bytes]:
    """The subjects of the public roots (Mozilla's list, as certifi ships it), DER."""
    try:
        import certifi
        from cryptography import x509
    except ImportError:
        return frozenset()
    with open(certifi.where(), "rb") as fh:
        certs = x509.load_pem_x509_certificates(fh.read())
    return frozenset(c.subject.public_bytes() for c in certs)


def is_public_root(issuer_der: bytes) -> bool:
    """Whether a chain ends at a public root: its top certificate's issuer is one."""
    return issuer_der in _public_subjects()
