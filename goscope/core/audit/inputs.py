"""Which files an audit reads: the paths, directories and globs it was given.

A file named outright is read whatever its name (and refused in one line if it is not a
goscope recording or report). A directory is walked for `*.jsonl` and `*.json` files, the
way CI artifacts are downloaded. A link inside it to a `*.jsonl` or `*.json` file is read as
that file named outright is (bounded, a regular file only), as a glob reads it; a link to a
directory is not followed (a loop, or a huge tree, is not the audit's business) but named:
what it holds is unknown, so the audit is incomplete (unless it leads back into the walk,
where its runs are read anyway). A directory holding a goscope Parquet export (its
`goscope-export.json`) is read as an export, linked or not. A glob (`runs/**/*.jsonl`)
is expanded here, so it works quoted, on every shell. The same file reached twice is read
once. A directory that cannot be read is named: the audit is then incomplete.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from ..safe.files import read_regular

EXTENSIONS = (".jsonl", ".json")
EXPORT_MARKER = "goscope-export.json"


EXPORT_FORMAT = "goscope-parquet-export"
EXPORT_VERSION = 1
MARKER_LIMIT = 1 << 20


@dataclass
class Inputs:
    files: list[str] = field(default_factory=list)
    exports: list[Path] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)  # arguments that named nothing
    # What could not be looked into (an unreadable directory): the audit is incomplete.
    unreadable: list[str] = field(default_factory=list)


def is_export(directory: Path) -> bool:
    """A goscope export: its marker is there and says so (an empty or foreign file of that
    name makes it an ordinary directory, walked for recordings: never a place to hide them)."""
    try:
        data = read_regular(str(directory / EXPORT_MARKER), MARKER_LIMIT)
        marker = orjson.loads(data)
    except (OSError, ValueError):
        return False
    return (
        isinstance(marker, dict)
        and marker.get("format") == EXPORT_FORMAT
        and marker.get("version") == EXPORT_VERSION
    )


def _glob(pattern: str) -> list[str]:
    """A glob expanded without following symbolic links to directories (`glob.glob` with
    `**` follows them: a link loop makes it run for ever)."""
    parts = Path(pattern).parts
    first = next(i for i, part in enumerate(parts) if glob.has_magic(part))
    root = Path(*parts[:first]) if first else Path(".")
    rest = str(Path(*parts[first:]))
    try:
        return sorted(str(p) for p in root.glob(rest))
    except (OSError, ValueError):
        return []


def _inside(path: str, top: str) -> bool:
    return path == top or path.startswith(top.rstrip(os.sep) + os.sep)


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
            found.exports.append(Path(path).absolute())
            return

        top = real

        def unreadable(error: OSError) -> None:
            found.unreadable.append(f"{error.filename}: {error.strerror or error}")

        for root, dirs, names in os.walk(path, onerror=unreadable, followlinks=False):
            dirs.sort()
            for name in list(dirs):
                full = os.path.join(root, name)
                if is_export(Path(full)):  # an export is read as it lies, linked or not
                    dirs.remove(name)
                    add_dir(full)
                elif os.path.islink(full):
                    # os.walk lists a link to a directory among the directories and does
                    # not enter it: skipped without a word, its runs read as none at all.
                    # One into this same walk (`latest -> run-42`) holds nothing unread.
                    dirs.remove(name)
                    target = os.path.realpath(full)
                    if not _inside(target, top) and target not in seen:
                        found.unreadable.append(
                            f"{full}: a link to a directory outside {path}, not followed "
                            "(name its target to audit it)"
                        )
            for name in sorted(names):
                full = os.path.join(root, name)
                # A link is read as its file is when named (read_regular: never a FIFO or a
                # device); skipped, its leaks were missing from a "complete" audit.
                if name.endswith(EXTENSIONS) and name != EXPORT_MARKER:
                    add_file(full)

    for arg in args:
        if os.path.isdir(arg):
            add_dir(arg)
        elif os.path.lexists(arg):
            add_file(arg)
        elif glob.has_magic(arg):
            matches = _glob(arg)
            if not matches:
                found.unmatched.append(arg)
            for match in matches:
                (add_dir if os.path.isdir(match) else add_file)(match)
        else:
            found.unmatched.append(arg)
    return found
