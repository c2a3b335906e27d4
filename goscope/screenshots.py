"""`make screenshots`: SVGs of the TUI from real lab runs, at a fixed size, for the README."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

from goscope.core.gotool import find_go
from goscope.headless import RunOptions
from goscope.lab.scenario import load_scenario
from goscope.tui.app import GoscopeApp
from goscope.tui.launch import live_launch

SIZE = (150, 42)
SHOTS = (
    ("requests", "tour", ["home", "down", "down"]),
    ("modules", "tour", ["2"]),
    ("leaks", "tour", ["3"]),
    ("config", "sumdb-leak", ["5"]),
    ("failure", "comma-stops", ["home"]),
    ("timeline", "fallthrough", ["6"]),
)


async def shoot(scenario_name: str, keys: list[str], out: Path, tmp: Path) -> None:
    scenario = load_scenario(scenario_name)
    go = find_go()
    with scenario.lab(tmp / "lab") as lab:
        env = scenario.go_env(lab, tmp, go)
        command = [a for a in scenario.command if a != "-x"]
        opts = RunOptions(
            command=command,
            port=0,
            routes=lab.routes(),
            env=env,
            cwd=str(scenario.workspace(tmp)),
            private=scenario.private,
        )
        launch, _ = live_launch(opts, title=f"goscope demo {scenario_name}")
        app = GoscopeApp(launch)
        async with app.run_test(size=SIZE) as pilot:
            for _ in range(600):
                if app.exit_status is not None and app.list.row_count == len(app.session) > 0:
                    break
                await pilot.pause(0.1)
            await pilot.pause(1.2)
            await pilot.press(*keys)
            await pilot.pause(1.2)
            app.save_screenshot(filename=out.name, path=str(out.parent))


def main() -> int:
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "screenshots")
    target.mkdir(exist_ok=True)
    os.environ.setdefault("TZ", "UTC")
    for name, scenario, keys in SHOTS:
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["GOSCOPE_HOME"] = str(Path(tmp) / "home")
            out = target / f"{name}.svg"
            asyncio.run(shoot(scenario, keys, out, Path(tmp)))
            print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
