"""Which files an audit reads: the paths, directories and globs it was given.

A file named outright is read whatever its name (and refused in one line if it is not a
goscope recording or report). A directory is walked for `*.jsonl` and `*.json` files, the
way CI artifacts are downloaded; symbolic links inside it are not followed (a link to
/dev/zero or to a huge tree is not the audit's business). A directory holding a goscope
Parquet export (its `goscope-export.json`) is read as an export. A glob (`runs/**/*.jsonl`)
is expanded here, so it works quoted, on every shell. The same file reached twice is read
once.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field
from pathlib import Path

EXTENSIONS = (".jsonl", ".json")
EXPORT_MARKER = "goscope-export.json"


@dataclass
class Inputs:
    files: list[str] = field(default_factory=list)
    exports: list[Path] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)  # arguments that named nothing


def is_export(directory: Path) -> bool:
    return (directory / EXPORT_MARKER).is_file()


def expand(args: list[str]) -> Inputs:
    found = Inputs()
    seen: set[str] = set()

    def add_file(path: str) -> None:
        real = os.path.realpath(path)
        if real not in seen:
            seen.add(real)
            found.files.append(path)

    def add_dir(path: str) -> None:
        real = os.path.realpath(path)
        if real in seen:
            return
        seen.add(real)
        if is_export(Path(path)):
            found.exports.append(Path(path))
            return
        for root, dirs, names in os.walk(path, followlinks=False):
            dirs.sort()
            for name in list(dirs):
                if is_export(Path(root) / name):
                    dirs.remove(name)
                    add_dir(os.path.join(root, name))
            for name in sorted(names):
                full = os.path.join(root, name)
                if name.endswith(EXTENSIONS) and name != EXPORT_MARKER and not os.path.islink(full):
                    add_file(full)

    for arg in args:
        if os.path.isdir(arg):
            add_dir(arg)
        elif os.path.lexists(arg):
            add_file(arg)
        elif glob.has_magic(arg):
            matches = sorted(glob.glob(arg, recursive=True))
            if not matches:
                found.unmatched.append(arg)
            for match in matches:
                (add_dir if os.path.isdir(match) else add_file)(match)
        else:
            found.unmatched.append(arg)
    return found
