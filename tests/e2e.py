"""Helpers for end-to-end runs: goscope + the real go binary + loopback upstreams."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

TRACE_DONE = re.compile(r"^# get (\S+): (.*)$", re.MULTILINE)
STATUS = re.compile(r"^(\d{3}) ")


@dataclass
class GoRun:
    returncode: int
    stdout: str
    stderr: str
    report: dict

    def trace(self) -> list[tuple[str, int | str]]:
        """Every finished request in go's -x trace: (url, status or error text)."""
        out = []
        for url, rest in TRACE_DONE.findall(self.stderr):
            m = STATUS.match(rest)
            out.append((url, int(m.group(1)) if m else rest))
        return out

    def events(self) -> list[dict]:
        return self.report["events"]

    def go_events(self) -> list[dict]:
        """Events as go's -x trace shows them (see `fold_for_trace`)."""
        return fold_for_trace(self.events())


def fold_for_trace(events: list[dict]) -> list[dict]:
    """Events as go's -x trace shows them: GOAUTH retries folded away, and each redirect
    folded into the request go asked, with the final answer's status and error."""
    by_seq = {e["seq"]: e for e in events}
    final = {}
    for e in events:
        root = e
        while root.get("redirected_from") in by_seq:
            root = by_seq[root["redirected_from"]]
        if root is not e:
            final[root["seq"]] = e
    folded = []
    for e in events:
        if e["auth_retry"] or e.get("redirected_from") is not None:
            continue
        last = final.get(e["seq"])
        folded.append(e | {"status": last["status"], "error": last["error"]} if last else e)
    return folded


def goscope_run(
    args: list[str],
    command: list[str],
    cwd: Path,
    env: dict[str, str],
    tmp: Path,
    timeout: int = 180,
) -> GoRun:
    report = tmp / "report.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "goscope",
            "run",
            "--headless",
            "--port",
            "0",
            "--json",
            str(report),
            *args,
            "--",
            *command,
        ],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    data = json.loads(report.read_text()) if report.exists() else {}
    return GoRun(proc.returncode, proc.stdout, proc.stderr, data)


def assert_trace_matches_events(run: GoRun) -> None:
    """Every `# get URL: STATUS` has its event, and no event exists that go did not cause."""
    trace = Counter(run.trace())
    seen = Counter(
        (e["url"], e["status"] if e["error"] is None or e["status"] else e["error"])
        for e in run.go_events()
    )
    assert trace, run.stderr
    assert seen == trace, f"events {seen} != trace {trace}"
