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


WIRED = "GOSCOPE_WIRE_"  # a copy of each wiring variable, put back after the user's rc
# What sends go around any proxy: as it was when goscope started the shell (a NO_PROXY=* in
# the user's rc beside its proxy undid the wiring as surely). Empty is no bypass for go.
BYPASS = ("NO_PROXY", "no_proxy")


def _rewire(syntax: str) -> str:
    """Put the wiring back after the user's start-up file, which may set its own proxy (a
    corporate HTTPS_PROXY in ~/.bashrc): the shell said it went through goscope while go
    went around it. From copies in the environment: no secret in argv or in a file."""
    names = sorted([*proxy_env(1, Path("/")), *BYPASS])
    if syntax == "fish":
        return "".join(f"; set -gx {n} ${WIRED}{n}; set -e {WIRED}{n}" for n in names)
    return "".join(f'export {n}="${WIRED}{n}"; unset {WIRED}{n}\n' for n in names)


def shell_command(shell: str, scratch: Path) -> list[str]:
    """The shell, interactive, reading the user's own start-up file, then goscope's wiring
    again, with the marker."""
    name = os.path.basename(shell)
    if name == "fish":
        prompt = (
            "functions -c fish_prompt _goscope_prompt 2>/dev/null; "
            f"function fish_prompt; printf '{MARKER}'; _goscope_prompt; end"
        )
        return [shell, "-i", "-C", prompt + _rewire("fish")]  # -C: after config.fish
    if name == "zsh":
        rc = scratch / ".zshrc"
        rc.write_text(
            '[ -f "${GOSCOPE_USER_ZDOTDIR:-$HOME}/.zshrc" ] && '
            '. "${GOSCOPE_USER_ZDOTDIR:-$HOME}/.zshrc"\n'
            + _rewire("sh")
            + f'PROMPT="{MARKER}$PROMPT"\n'
        )
        return [shell, "-i"]
    rc = scratch / "bashrc"
    rc.write_text(
        f'[ -f "$HOME/.bashrc" ] && . "$HOME/.bashrc"\n{_rewire("sh")}PS1="{MARKER}$PS1"\n'
    )
    return [shell, "--rcfile", str(rc), "-i"]


def shell_environment(
    base: dict[str, str], home: Path, running: RunningGoscope, scratch: Path, shell: str
) -> dict[str, str]:
    env = dict(base)
    wiring = proxy_env(running.port, home, running.host, running.secret)
    env.update(wiring)
    env.update((WIRED + name, value) for name, value in wiring.items())
    env.update((WIRED + name, base.get(name, "")) for name in BYPASS)
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
