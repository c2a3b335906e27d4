"""Where a go command's GOROOT is, and so its go.env: cmd/go/internal/cfg/cfg.go
`findGOROOT`, ported so that another process's is found without running its binary."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

__all__ = ["GOROOT_ENV_UNREAD", "find_goroot", "go_root_env_file"]

GOROOT_ENV_UNREAD = "its GOROOT's go.env was not read"


def find_goroot(goroot: str, executable: str) -> str | None:
    """cfg.go `findGOROOT`, without running go: `goroot` (the user file's GOROOT, else the
    environment's) cleaned; else the directory two levels above the executable, or three
    (GOROOT/bin/GOOS_GOARCH), that holds pkg/tool (`isGOROOT`), as the path is and then
    with its symlinks resolved. None where go falls back to the GOROOT built into it
    (runtime.GOROOT), which only running it would tell."""
    if goroot:
        return os.path.normpath(goroot)
    if not executable:
        return None
    try:
        exe = os.path.abspath(executable)
        for path in (exe, os.path.realpath(exe)):
            for up in ("../..", "../../.."):
                root = os.path.normpath(os.path.join(path, up))
                if os.path.isdir(os.path.join(root, "pkg", "tool")):
                    return root
    except (OSError, ValueError):
        pass
    return None


def go_root_env_file(go: str | None, env: Mapping[str, str]) -> str | None:
    """$GOROOT/go.env for the given go binary: as `find_goroot` finds it, and only
    otherwise by asking the binary (`go env GOROOT`, some 50 ms a run)."""
    if not go:
        return None
    root = find_goroot(env.get("GOROOT", ""), go)
    if root is not None:
        return os.path.join(root, "go.env")
    try:
        out = subprocess.run(
            [go, "env", "-json", "GOROOT"],
            capture_output=True,
            text=True,
            env=dict(env),
            timeout=30,
            check=False,
        )
        goroot = json.loads(out.stdout or "{}").get("GOROOT", "")
    except (OSError, ValueError, subprocess.SubprocessError):
        return None
    return str(Path(goroot) / "go.env") if goroot else None
