"""The benchmarks still run (tiny sizes). They measure; this only checks they work."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_make_bench_runs_in_quick_mode(tmp_path):
    out = tmp_path / "results.json"
    run = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads(out.read_text())["results"]
    names = [r["name"] for r in results]
    assert any("goscope vs plain mitmdump" in n for n in names)
    assert any("goscope vs lean mitmproxy" in n for n in names)
    assert any(n.startswith("events/s") for n in names) and any(
        n.startswith("UI 20,000 events") for n in names
    )
    for r in results:
        assert (
            set(r) == {"name", "value", "unit", "baseline", "ratio", "goal", "met", "spread"}
            and r["value"] > 0
        )
