"""Fixture modules, packed as Go packs them, with the hashes go verifies.

Zips follow src/cmd/vendor/golang.org/x/mod/zip (every file under
`path@version/`, no directory entries); hashes are `dirhash.Hash1`
(src/cmd/vendor/golang.org/x/mod/sumdb/dirhash/hash.go).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from functools import cached_property

from goscope.core.gorules.escaping import escape

ZIP_TIME = (2024, 1, 1, 0, 0, 0)


def hash1(files: dict[str, bytes]) -> str:
    """dirhash.Hash1 over named contents."""
    summary = hashlib.sha256()
    for name in sorted(files):
        summary.update(f"{hashlib.sha256(files[name]).hexdigest()}  {name}\n".encode())
    return "h1:" + base64.b64encode(summary.digest()).decode()


@dataclass(frozen=True)
class ModuleVersion:
    path: str
    version: str
    files: tuple[tuple[str, str], ...] = ()
    time: str = "2024-01-01T00:00:00Z"
    requires: tuple[tuple[str, str], ...] = ()
    private: bool = False  # never in the public checksum database

    @property
    def id(self) -> str:
        return f"{self.path}@{self.version}"

    @cached_property
    def gomod(self) -> bytes:
        lines = [f"module {self.path}", "", "go 1.21"]
        if self.requires:
            lines += ["", "require ("] + [f"\t{p} {v}" for p, v in self.requires] + [")"]
        return ("\n".join(lines) + "\n").encode()

    @cached_property
    def zip_files(self) -> dict[str, bytes]:
        prefix = f"{self.path}@{self.version}/"
        files = {prefix + "go.mod": self.gomod}
        for name, text in self.files:
            files[prefix + name] = text.encode()
        return files

    @cached_property
    def zip(self) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in self.zip_files.items():
                zf.writestr(zipfile.ZipInfo(name, ZIP_TIME), data)
        return buf.getvalue()

    @cached_property
    def info(self) -> bytes:
        return json.dumps({"Version": self.version, "Time": self.time}).encode()

    @cached_property
    def zip_hash(self) -> str:
        return hash1(self.zip_files)

    @cached_property
    def mod_hash(self) -> str:
        return hash1({"go.mod": self.gomod})

    @property
    def gosum_lines(self) -> str:
        return (
            f"{self.path} {self.version} {self.zip_hash}\n"
            f"{self.path} {self.version}/go.mod {self.mod_hash}\n"
        )

    def proxy_files(self) -> dict[str, bytes]:
        """Proxy paths (escaped, without base) to contents, except @v/list."""
        base = f"/{escape(self.path)}/@v/{escape(self.version)}"
        return {base + ".info": self.info, base + ".mod": self.gomod, base + ".zip": self.zip}


def tampered(mod: ModuleVersion) -> bytes:
    """The same zip with one byte of source changed: go reports a checksum mismatch."""
    files = dict(mod.zip_files)
    name = (
        next(n for n in files if n.endswith(".go"))
        if any(n.endswith(".go") for n in files)
        else next(iter(files))
    )
    files[name] = files[name] + b"// tampered\n"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, data in files.items():
            zf.writestr(zipfile.ZipInfo(n, ZIP_TIME), data)
    return buf.getvalue()


def _source(pkg: str, body: str) -> str:
    return f"package {pkg}\n\n{body}\n"


CATALOG: dict[str, ModuleVersion] = {
    m.id: m
    for m in (
        ModuleVersion(
            "example.com/hello",
            "v1.0.0",
            (("hello.go", _source("hello", 'func Hello() string { return "hello" }')),),
        ),
        ModuleVersion(
            "example.com/hello",
            "v1.1.0",
            (("hello.go", _source("hello", 'func Hello() string { return "hello, again" }')),),
            time="2024-02-01T00:00:00Z",
        ),
        ModuleVersion(
            "example.com/Azure/kit",
            "v0.3.0-Beta.2",
            (("kit.go", _source("kit", 'const Name = "kit"')),),
        ),
        ModuleVersion(
            "example.com/quote",
            "v1.5.2",
            (
                (
                    "quote.go",
                    _source(
                        "quote",
                        'func Go() string { return "Don\'t communicate by sharing memory." }',
                    ),
                ),
            ),
            requires=(("example.com/hello", "v1.0.0"),),
        ),
        ModuleVersion(
            "example.com/Mod",
            "v1.0.0",
            (
                ("mod.go", _source("mod", 'const Name = "Mod"')),
                ("sub/pkg/pkg.go", _source("pkg", "func Answer() int { return 42 }")),
            ),
        ),
        # One repository, two modules (as go.opentelemetry.io/otel and …/otel/trace): a
        # download of both asks sibling paths, which is no lookup.
        ModuleVersion(
            "example.com/multi",
            "v1.0.0",
            (("multi.go", _source("multi", 'const Name = "multi"')),),
        ),
        ModuleVersion(
            "example.com/multi/trace",
            "v1.0.0",
            (("trace.go", _source("trace", 'const Name = "trace"')),),
            requires=(("example.com/multi", "v1.0.0"),),
        ),
        # On a host go resolves without ?go-get=1 (vcs.go's vcsPaths): git ls-remote at once.
        ModuleVersion(
            "github.com/acme/tool",
            "v1.0.0",
            (("tool.go", _source("tool", 'const Name = "tool"')),),
        ),
        ModuleVersion(
            "git.corp.example.com/team/tools",
            "v1.0.0",
            (("lint/lint.go", _source("lint", "const Strict = true")),),
            private=True,
        ),
        ModuleVersion(
            "git.corp.example.com/team/secret",
            "v1.2.0",
            (("secret.go", _source("secret", "const Plan = 42")),),
            private=True,
        ),
    )
}


def synthetic(count: int) -> list[ModuleVersion]:
    """Many small modules, for the `big` scenario and the benchmarks."""
    return [
        ModuleVersion(
            f"example.com/gen/m{i:04d}",
            "v1.0.0",
            (("m.go", _source(f"m{i:04d}", f"const N = {i}")),),
        )
        for i in range(count)
    ]


def resolve(ids: list[str], synthetic_count: int = 0) -> list[ModuleVersion]:
    missing = [i for i in ids if i not in CATALOG]
    if missing:
        raise KeyError(f"unknown lab module(s): {', '.join(missing)}")
    return [CATALOG[i] for i in ids] + synthetic(synthetic_count)
