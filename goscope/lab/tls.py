"""A certificate authority of the lab's own, playing a TLS-inspecting corporate proxy.

Real networks put Zscaler, Netskope or a private CA between go and the module
proxy: the servers' certificates then chain up to that CA, not to a public root.
The lab serves its hosts over TLS with such a CA, so goscope's handling of it
(verifying upstreams with go's roots, saying the issuer is not public) is tested
offline.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

CA_NAME = "goscope lab inspecting CA"


class InspectingCA:
    """A CA and one server certificate for every lab host name (and 127.0.0.1)."""

    def __init__(self, workdir: Path, hosts: list[str]):
        workdir.mkdir(parents=True, exist_ok=True)
        self.ca_pem = workdir / "inspecting-ca.pem"
        self.cert_pem = workdir / "server.pem"
        self.key_pem = workdir / "server.key"
        now = datetime.datetime.now(datetime.UTC)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME)])
        ca = (
            x509.CertificateBuilder()
            .subject_name(ca_name)
            .issuer_name(ca_name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                critical=True,
            )
            .sign(ca_key, hashes.SHA256())
        )
        key = ec.generate_private_key(ec.SECP256R1())
        names: list[x509.GeneralName] = [x509.DNSName(h) for h in hosts]
        names.append(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "lab")]))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(ca_key, hashes.SHA256())
        )
        pem = serialization.Encoding.PEM
        self.ca_pem.write_bytes(ca.public_bytes(pem))
        # The chain the server sends: its certificate, then the CA (as inspecting proxies do).
        self.cert_pem.write_bytes(cert.public_bytes(pem) + ca.public_bytes(pem))
        self.key_pem.write_bytes(
            key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        )
        self.key_pem.chmod(0o600)

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_pem, self.key_pem)
        return context

    def roots_with(self, system: str | None, path: Path) -> Path:
        """go's roots on a machine where IT installed this CA: the system's plus it."""
        system_pem = Path(system).read_text() if system else ""
        path.write_text(system_pem + "\n" + self.ca_pem.read_text())
        return path
