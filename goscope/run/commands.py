"""The command a run wraps: found before anything starts, or named as not found."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping


class CommandNotFound(Exception):
    def __init__(self, name: str, why: str = "command not found"):
        super().__init__(f"{why}: {name}")


def find_command(name: str, env: Mapping[str, str]) -> None:
    """CommandNotFound now, as running it would raise it later: checked before the proxy
    starts, so a mistyped command leaves a kept recording (--jsonl) as it was."""
    if os.sep in name:
        if not os.path.isfile(name):
            raise CommandNotFound(name)
        if not os.access(name, os.X_OK):
            raise CommandNotFound(name, "permission denied")
    elif shutil.which(name, path=env.get("PATH", os.defpath)) is None:
        raise CommandNotFound(name)
