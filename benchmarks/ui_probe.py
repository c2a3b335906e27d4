"""Measure the TUI headless (Textual's run_test): prints one JSON object.

ui_probe.py RECORDING            first paint, full load, RSS, jump to end, filter
ui_probe.py --startup RECORDING  first paint counted from process start
ui_probe.py --datatable N        the baseline: N rows through DataTable.add_row
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

START = time.time()
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psutil  # noqa: E402

from goscope.core.view.filters import parse_filter  # noqa: E402
from goscope.tui.app import GoscopeApp  # noqa: E402
from goscope.tui.launch import Launch  # noqa: E402

SIZE = (160, 50)
PROC = psutil.Process()


async def until(pilot, predicate, step: float = 0.01, timeout: float = 600.0) -> None:
    deadline = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > deadline:
            raise TimeoutError
        await pilot.pause(step)


async def probe(path: str, startup: bool) -> dict:
    rss_before = PROC.memory_info().rss
    app = GoscopeApp(Launch(recording=path))
    t0 = time.perf_counter()
    peak = rss_before
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.request_list.row_count > 0)
        await pilot.pause(0)  # the frame with the rows
        first = (time.time() - START) if startup else (time.perf_counter() - t0)
        if startup:
            return {"first_paint_s": first}

        def done() -> bool:
            nonlocal peak
            peak = max(peak, PROC.memory_info().rss)
            return not app.loading and app.request_list.row_count == len(app.session)

        await until(pilot, done, step=0.05)
        loaded = time.perf_counter() - t0
        peak = max(peak, PROC.memory_info().rss)
        rows = len(app.session)
        t = time.perf_counter()
        await pilot.press("end")
        await until(pilot, lambda: app.request_list.cursor == app.request_list.row_count - 1)
        await pilot.pause(0)
        jump = time.perf_counter() - t
        t = time.perf_counter()
        app.apply_filter(parse_filter("kind:sumdb"))
        await until(
            pilot, lambda: app.request_list.indices is not None and not app.requests.filter_running
        )
        await pilot.pause(0)
        filtered = time.perf_counter() - t
    return {
        "rows": rows,
        "first_paint_s": first,
        "loaded_s": loaded,
        "rss_bytes": peak - rss_before,
        "jump_s": jump,
        "filter_s": filtered,
        "shown": len(app.request_list.indices or []),
    }


async def datatable(rows: int) -> dict:
    from textual.app import App
    from textual.widgets import DataTable

    from benchmarks.synthetic import event_fields

    class TableApp(App):
        def compose(self):
            yield DataTable()

    app = TableApp()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(DataTable)
        table.add_columns(
            "time", "kind", "endpoint", "module@version", "host", "st", "ms", "size", "fl"
        )
        t = time.perf_counter()
        for seq in range(1, rows + 1):
            url, host, kind, endpoint, _, status, _ = event_fields(seq)
            table.add_row(
                "08:00:00.000", kind, endpoint, url[-40:], host, str(status), "4", "420B", ""
            )
        await pilot.pause(0)
        return {"loaded_s": time.perf_counter() - t, "rows": rows}


def main() -> None:
    args = sys.argv[1:]
    if args[0] == "--datatable":
        result = asyncio.run(datatable(int(args[1])))
    elif args[0] == "--startup":
        result = asyncio.run(probe(args[1], startup=True))
    else:
        result = asyncio.run(probe(args[0], startup=False))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
