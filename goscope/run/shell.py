"""`goscope shell`: a subshell already wired to a running goscope.

It finds the running goscope by the `session.json` each one writes in its run
directory (rundirs.py; `--port` picks one), and starts the user's shell (bash, zsh or fish)
with the proxy variables and CA bundle set and `(goscope)` in front of the
prompt, so the second terminal needs no `eval`.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .rundirs import RunningGoscope
from .wiring import proxy_env

MARKER = "(goscope) "


def shell_command(shell: str, scratch: Path) -> list[str]:
    """The shell, interactive, reading the user's own start-up file, with the marker."""
    name = os.path.basename(shell)
    if name == "fish":
        prompt = (
            "functions -c fish_prompt _goscope_prompt 2>/dev/null; "
            f"function fish_prompt; printf '{MARKER}'; _goscope_prompt; end"
        )
        return [shell, "-i", "-C", prompt]
    if name == "zsh":
        rc = scratch / ".zshrc"
        rc.write_text(
            '[ -f "${GOSCOPE_USER_ZDOTDIR:-$HOME}/.zshrc" ] && '
            '. "${GOSCOPE_USER_ZDOTDIR:-$HOME}/.zshrc"\n'
            f'PROMPT="{MARKER}$PROMPT"\n'
        )
        return [shell, "-i"]
    rc = scratch / "bashrc"
    rc.write_text(f'[ -f "$HOME/.bashrc" ] && . "$HOME/.bashrc"\nPS1="{MARKER}$PS1"\n')
    return [shell, "--rcfile", str(rc), "-i"]


def shell_environment(
    base: dict[str, str], home: Path, running: RunningGoscope, scratch: Path, shell: str
) -> dict[str, str]:
    env = dict(base)
    env.update(proxy_env(running.port, home, running.host, running.secret))
    env["GOSCOPE_SHELL"] = str(running.port)
    if os.path.basename(shell) == "zsh":
        if "ZDOTDIR" in env:
            env["GOSCOPE_USER_ZDOTDIR"] = env["ZDOTDIR"]
        env["ZDOTDIR"] = str(scratch)
    return env


def run_shell(home: Path, running: RunningGoscope, shell: str | None = None) -> int:
    shell = shell or os.environ.get("SHELL") or "/bin/bash"
    with tempfile.TemporaryDirectory(prefix="goscope-shell-") as scratch_s:
        scratch = Path(scratch_s)
        argv = shell_command(shell, scratch)
        env = shell_environment(dict(os.environ), home, running, scratch, shell)
        import subprocess

        try:
            return subprocess.call(argv, env=env)
        except FileNotFoundError:
            raise FileNotFoundError(f"no such shell: {shell}") from None
