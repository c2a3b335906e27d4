"""What a live session is asked to do: `goscope run`, bare `goscope`, `goscope demo`."""

from __future__ import annotations

from dataclasses import dataclass, field

from goscope.proxy.config import DEFAULT_LISTEN_HOST, DEFAULT_PORT

EXIT_LEAK = 3  # --fail-on-leak
EXIT_INCOMPLETE = 4  # the verdict does not cover the whole run: never a clean 0


def verdict_exit(command: int, leaked: bool, fail_on_leak: bool, incomplete: bool) -> int:
    """The exit status of a run: the command's own failure is the most telling, then a
    leak under --fail-on-leak, then an incomplete verdict; 0 only for a whole, clean run."""
    if command:
        return command
    if fail_on_leak and leaked:
        return EXIT_LEAK
    return EXIT_INCOMPLETE if incomplete else 0


@dataclass
class RunOptions:
    command: list[str] = field(default_factory=list)
    port: int = DEFAULT_PORT
    listen_host: str = DEFAULT_LISTEN_HOST
    routes: list[str] = field(default_factory=list)
    upstream_proxy: str | None = None
    private: str = ""
    trusted: list[str] = field(default_factory=list)
    json_report: str | None = None
    markdown: str | None = None  # the summary as Markdown too (a CI job summary)
    sarif: str | None = None  # leaks, go errors and doctor errors as SARIF 2.1.0
    jsonl: str | None = None
    har: str | None = None
    save_flows: str | None = None
    fail_on_leak: bool = False
    guard: bool = False  # answer every would-be leak locally (proxy/guard.py)
    ssl_insecure: bool = False
    env: dict[str, str] | None = None  # the command's environment (default: ours)
    cwd: str | None = None
    title: str = ""  # what the session is (the demo's scenario), shown by the UIs
    description: str = ""
