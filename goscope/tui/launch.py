"""What the app is for: a live session (its run engine) or a recording to open.

The run path that starts either one is goscope.cli.launch; the app only draws.
"""

from __future__ import annotations

from dataclasses import dataclass

from goscope.run.engine import RunEngine
from goscope.run.options import RunOptions


@dataclass
class Launch:
    recording: str | None = None  # open: the file to show
    engine: RunEngine | None = None  # live: the proxy, and maybe a command
    # The judging context; None: a recording's own (its header's), live: the engine's.
    private: str | None = None
    trusted: list[str] | None = None
    export_dir: str | None = None
    skip_bad: bool = False  # open: skip unreadable lines instead of refusing the file
    strict: bool = False  # opened from the command line: a bad file ends the app (exit 2)

    @classmethod
    def live(cls, opts: RunOptions) -> Launch:
        """A live session; the engine is started by the caller or the app, and cleaned up
        by whoever runs the app."""
        return cls(engine=RunEngine(opts, prefix="tui-"))

    @classmethod
    def open(
        cls,
        path: str,
        private: str | None = None,
        trusted: list[str] | None = None,
        skip_bad: bool = False,
    ) -> Launch:
        """A recording opened from the command line: a bad file ends the app (exit 2)."""
        return cls(recording=path, private=private, trusted=trusted, skip_bad=skip_bad, strict=True)

    @property
    def title(self) -> str:
        return self.engine.opts.title if self.engine is not None else ""

    @property
    def description(self) -> str:
        return self.engine.opts.description if self.engine is not None else ""
