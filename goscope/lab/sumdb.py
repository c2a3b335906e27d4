"""A real Go checksum database: the records, the Merkle tree, tiles and signed notes.

Ported from src/cmd/vendor/golang.org/x/mod/sumdb/{tlog,note} and server.go:
RFC 6962 hashing (`RecordHash`, `NodeHash`), tiles of height 8 addressed as
`tile/H/L/NNN[.p/W]`, tree notes `go.sum database tree\\nN\\nHASH\\n` signed
with Ed25519 in Go's note format. go verifies every answer against the
verifier key, exactly as it does against sum.golang.org.
"""

from __future__ import annotations

import base64
import hashlib
import re

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from goscope.core.gorules.escaping import unescape

from .modules import ModuleVersion

_TILE = re.compile(r"^tile/(\d+)/(\d+|data)/((?:x\d{3}/)*\d{3})(?:\.p/(\d+))?$")


def record_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


class TLog:
    """The transparency log over a fixed list of records."""

    def __init__(self, records: list[bytes]):
        self.records = records
        # levels[l][k]: hash of the complete subtree of 2^l leaves starting at k*2^l.
        self.levels: list[list[bytes]] = [[record_hash(r) for r in records]]
        while len(self.levels[-1]) > 1:
            below = self.levels[-1]
            self.levels.append(
                [node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
            )

    @property
    def size(self) -> int:
        return len(self.records)

    def root(self) -> bytes:
        return self._subtree(0, self.size) if self.records else hashlib.sha256(b"").digest()

    def _subtree(self, start: int, n: int) -> bytes:
        """RFC 6962 MTH of records[start:start+n]."""
        if n & (n - 1) == 0 and start % n == 0:  # complete, aligned subtree
            return self.levels[n.bit_length() - 1][start // n]
        k = 1 << ((n - 1).bit_length() - 1)  # largest power of two below n
        return node_hash(self._subtree(start, k), self._subtree(start + k, n - k))

    def tile(self, height: int, level: int, index: int, width: int) -> bytes | None:
        """Hash tile data, or None if the tree has no such tile."""
        tree_level = height * level
        if width < 1 or width > 1 << height or tree_level >= len(self.levels):
            return None
        start = index << height
        hashes = self.levels[tree_level][start : start + width]
        return b"".join(hashes) if len(hashes) == width else None

    def data_tile(self, height: int, index: int, width: int) -> bytes | None:
        start = index << height
        chunk = self.records[start : start + width]
        return b"".join(r + b"\n" for r in chunk) if len(chunk) == width and width >= 1 else None


class NoteSigner:
    """Go's note format: `text\\n— name base64(keyhash || signature)\\n`."""

    def __init__(self, name: str, seed: bytes):
        self.name = name
        self.key = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(seed).digest())
        public = self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.public = b"\x01" + public  # algEd25519
        digest = hashlib.sha256(name.encode() + b"\n" + self.public).digest()
        self.key_hash = digest[:4]

    @property
    def verifier_key(self) -> str:
        return f"{self.name}+{self.key_hash.hex()}+{base64.b64encode(self.public).decode()}"

    def sign(self, text: bytes) -> bytes:
        signature = self.key.sign(text)
        line = base64.b64encode(self.key_hash + signature).decode()
        return text + b"\n" + f"\u2014 {self.name} {line}\n".encode()


class ChecksumDB:
    """Answers /lookup, /latest and /tile like sum.golang.org (sumdb/server.go)."""

    def __init__(self, name: str, modules: list[ModuleVersion], seed: bytes = b"goscope lab sumdb"):
        self.signer = NoteSigner(name, seed)
        self.ids: dict[tuple[str, str], int] = {}
        records: list[bytes] = []
        for mod in modules:
            self.ids[(mod.path, mod.version)] = len(records)
            records.append(mod.gosum_lines.encode())
        self.tlog = TLog(records)
        tree = f"go.sum database tree\n{self.tlog.size}\n{base64.b64encode(self.tlog.root()).decode()}\n"
        self.signed_tree = self.signer.sign(tree.encode())

    @property
    def name(self) -> str:
        return self.signer.name

    @property
    def verifier_key(self) -> str:
        return self.signer.verifier_key

    def answer(self, path: str) -> tuple[int, bytes, str]:
        """(status, body, content type) for a request path below the database's base."""
        path = path.lstrip("/")
        if path == "latest":
            return 200, self.signed_tree, "text/plain; charset=UTF-8"
        if path.startswith("lookup/"):
            return self._lookup(path[len("lookup/") :])
        m = _TILE.match(path)
        if m:
            return self._tile(m)
        return 404, b"not found\n", "text/plain; charset=utf-8"

    def _lookup(self, target: str) -> tuple[int, bytes, str]:
        escaped_path, at, escaped_version = target.rpartition("@")
        path, version = unescape(escaped_path), unescape(escaped_version)
        if not at or path is None or version is None:
            return 400, b"invalid module@version syntax\n", "text/plain; charset=utf-8"
        rid = self.ids.get((path, version))
        if rid is None:
            # What sum.golang.org says of a module it cannot fetch (a private one).
            body = f"not found: {path}@{version}: unrecognized import path\n"
            return 404, body.encode(), "text/plain; charset=utf-8"
        record = f"{rid}\n".encode() + self.tlog.records[rid] + b"\n"
        return 200, record + self.signed_tree, "text/plain; charset=UTF-8"

    def _tile(self, m: re.Match[str]) -> tuple[int, bytes, str]:
        height = int(m.group(1))
        index = int(m.group(3).replace("x", "").replace("/", ""))
        width = int(m.group(4)) if m.group(4) else 1 << height
        if m.group(2) == "data":
            data = self.tlog.data_tile(height, index, width)
        else:
            data = self.tlog.tile(height, int(m.group(2)), index, width)
        if data is None:
            return 404, b"tile not found\n", "text/plain; charset=utf-8"
        return 200, data, "application/octet-stream"
