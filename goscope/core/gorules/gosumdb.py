"""GOSUMDB as go reads it: the checksum database's name, key and URL, or why go refuses it.

Ported from `dbDial` (src/cmd/go/internal/modfetch/sumdb.go), the known keys of
src/cmd/go/internal/modfetch/key.go, and `note.NewVerifier`'s checks
(src/cmd/vendor/golang.org/x/mod/sumdb/note/note.go).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from urllib.parse import urlsplit

# src/cmd/go/internal/modfetch/key.go
KNOWN_GOSUMDB = {
    "sum.golang.org": "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8",
}


@dataclass(frozen=True, slots=True)
class SumDB:
    """GOSUMDB as `dbDial` in src/cmd/go/internal/modfetch/sumdb.go reads it."""

    raw: str
    off: bool = False
    name: str = ""
    key: str = ""
    url: str | None = None  # explicit URL: bypasses the proxies
    error: str | None = None

    @property
    def direct_url(self) -> str:
        return self.url or (f"https://{self.name}" if self.name else "")

    @property
    def host(self) -> str:
        return (urlsplit(self.direct_url).hostname or "").lower() if self.direct_url else ""


def verifier_key_error(vkey: str) -> str | None:
    """`note.NewVerifier`'s checks (src/cmd/vendor/golang.org/x/mod/sumdb/note/note.go)."""
    name, _, rest = vkey.partition("+")
    hash16, _, key64 = rest.partition("+")
    try:
        key = base64.b64decode(key64, validate=True)
        want = int(hash16, 16)
    except ValueError:
        return "malformed verifier id"
    valid_name = name and not any(c.isspace() for c in name) and "+" not in name
    if len(hash16) != 8 or not valid_name or not key:
        return "malformed verifier id"
    digest = hashlib.sha256(name.encode() + b"\n" + key).digest()
    if int.from_bytes(digest[:4], "big") != want:
        return "invalid verifier hash"
    if key[0] != 1:
        return "unknown verifier algorithm"
    if len(key) != 33:
        return "malformed verifier id"
    return None


def parse_gosumdb(value: str) -> SumDB:
    gosumdb = value
    if gosumdb == "sum.golang.google.cn":
        gosumdb = "sum.golang.org https://sum.golang.google.cn"
    if gosumdb == "off":
        return SumDB(value, off=True)
    fields = gosumdb.split()
    if not fields:
        return SumDB(value, error="missing GOSUMDB")
    if len(fields) > 2:
        return SumDB(value, error="invalid GOSUMDB: too many fields")
    key = KNOWN_GOSUMDB.get(fields[0], fields[0])
    error = verifier_key_error(key)
    name = key.partition("+")[0]
    url = fields[1] if len(fields) == 2 else None
    if error:
        return SumDB(value, name=name, url=url, error=f"invalid GOSUMDB: {error}")
    if name.endswith("/") or not urlsplit("https://" + name).hostname:
        return SumDB(value, name=name, error=f"invalid sumdb name (must be host[/path]): {name}")
    return SumDB(value, name=name, key=key, url=url)
