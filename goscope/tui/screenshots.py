"""`make screenshots`: SVGs of the TUI from real lab runs, at a fixed size, for the README."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

from goscope.lab.runner import demo_session
from goscope.tui.app import GoscopeApp
from goscope.tui.launch import Launch
from goscope.tui.tabs import tab_key

SIZE = (150, 42)
SHOTS = (
    ("requests", "tour", ["home", "down", "down"]),
    ("modules", "tour", [tab_key("modules")]),
    ("leaks", "tour", [tab_key("leaks")]),
    ("config", "sumdb-leak", [tab_key("config")]),
    ("failure", "comma-stops", ["home"]),
    ("timeline", "fallthrough", [tab_key("timeline")]),
)


async def shoot(scenario_name: str, keys: list[str], out: Path) -> None:
    with demo_session(scenario_name) as demo:
        app = GoscopeApp(Launch.live(demo.opts))
        try:
            async with app.run_test(size=SIZE) as pilot:
                for _ in range(600):
                    if (
                        app.exit_status is not None
                        and app.request_list.row_count == len(app.session) > 0
                    ):
                        break
                    await pilot.pause(0.1)
                await pilot.pause(1.2)
                await pilot.press(*keys)
                await pilot.pause(1.2)
                app.save_screenshot(filename=out.name, path=str(out.parent))
        finally:
            if app.engine is not None:
                app.engine.cleanup()


def main() -> int:
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "screenshots")
    target.mkdir(exist_ok=True)
    os.environ.setdefault("TZ", "UTC")
    for name, scenario, keys in SHOTS:
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["GOSCOPE_HOME"] = str(Path(tmp) / "home")
            out = target / f"{name}.svg"
            asyncio.run(shoot(scenario, keys, out))
            print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
