"""Where a module is named in a Go workspace: the go.mod line that requires it (or replaces
it), else go.work, else go.sum — for CI annotations and SARIF locations.

go.mod's syntax is x/mod's modfile (golang.org/x/mod/modfile/read.go): lines, `//`
comments, blocks `require ( … )`, quoted or bare module paths. This reads it line by line
as modfile's lexer does for well-formed files; a file modfile would reject still gives
its best line (or the `module` line), never an exception: it only places an annotation.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..safe.files import UnsafeFile, read_regular

FILE_LIMIT = 16 << 20  # go.sum of a big project is a few MiB
VERBS = ("require", "replace", "exclude", "retract", "use", "toolchain", "module", "go", "tool")


@dataclass(frozen=True)
class Place:
    path: Path  # the file
    line: int  # 1-based
    what: str  # "require", "replace", "module", "go.sum", …


def find_gomod(start: Path) -> Path | None:
    """The go.mod of the main module for a command run in `start` (go's modload.findModuleRoot)."""
    here = start.resolve()
    for directory in (here, *here.parents):
        candidate = directory / "go.mod"
        if candidate.is_file():
            return candidate
    return None


def _lines(path: Path) -> list[str]:
    try:
        return read_regular(str(path), FILE_LIMIT).decode("utf-8", "replace").splitlines()
    except UnsafeFile:
        return []


def _unquote(token: str) -> str:
    return token[1:-1] if len(token) >= 2 and token[0] == token[-1] and token[0] in '"`' else token


def _entries(lines: list[str]) -> list[tuple[int, str, list[str]]]:
    """(line number, verb, arguments) per directive, blocks unfolded."""
    out: list[tuple[int, str, list[str]]] = []
    block: str | None = None
    for number, raw in enumerate(lines, 1):
        text = raw.split("//", 1)[0].strip()
        if not text:
            continue
        tokens = text.split()
        if block is not None:
            if tokens == [")"]:
                block = None
            else:
                out.append((number, block, tokens))
            continue
        if tokens[0] in VERBS and tokens[1:] == ["("]:
            block = tokens[0]
            continue
        out.append((number, tokens[0], tokens[1:]))
    return out


def module_place(workdir: Path, module: str, version: str | None = None) -> Place | None:
    """Where `module` is named for a go command run in `workdir`: its require (or replace,
    exclude) line in go.mod, a `use` of it in go.work, its line in go.sum; else the
    go.mod's `module` line. None without a go.mod."""
    gomod = find_gomod(workdir)
    if gomod is None:
        return None
    entries = _entries(_lines(gomod))
    for verb in ("require", "replace", "exclude"):
        for number, v, args in entries:
            if v == verb and args and _unquote(args[0]) == module:
                return Place(gomod, number, verb)
    gowork = os.environ.get("GOWORK") or ""
    work = Path(gowork) if gowork not in ("", "off") else gomod.parent / "go.work"
    if work.is_file():
        for number, v, args in _entries(_lines(work)):
            if v == "replace" and args and _unquote(args[0]) == module:
                return Place(work, number, "replace")
    gosum = gomod.parent / "go.sum"
    for number, line in enumerate(_lines(gosum), 1):
        fields = line.split()
        wanted = fields[1] in (version, f"{version}/go.mod") if version else True
        if len(fields) == 3 and fields[0] == module and wanted:
            return Place(gosum, number, "go.sum")
    for number, v, _ in entries:
        if v == "module":
            return Place(gomod, number, "module")
    return Place(gomod, 1, "module")


def main_module_place(workdir: Path) -> Place | None:
    """The go.mod's `module` line: where a finding about the whole configuration points."""
    gomod = find_gomod(workdir)
    if gomod is None:
        return None
    for number, verb, _ in _entries(_lines(gomod)):
        if verb == "module":
            return Place(gomod, number, "module")
    return Place(gomod, 1, "module")


def main_module_path(gomod: Path) -> str | None:
    """The path the `module` directive of a go.mod declares (None without one)."""
    for _, verb, args in _entries(_lines(gomod)):
        if verb == "module" and args:
            return _unquote(args[0])
    return None
