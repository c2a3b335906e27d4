"""The app's file actions, `e` and `o`: export the session, open another recording.

A part of `GoscopeApp` (tui/app.py), kept apart so the app stays a size one can read; it uses
the app's session, launch settings and request list as the app itself does.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import App

from goscope.core.outputs.export import OutputError, export_session
from goscope.core.safe.visible import visible
from goscope.core.traffic.recording import RecordingError, RecordingReader
from goscope.core.view.session import Session
from goscope.tui.screens.modals import PromptScreen

if TYPE_CHECKING:
    from goscope.tui.launch import Launch
    from goscope.tui.tabs.requests import RequestsTab
    from goscope.tui.widgets.request_list import RequestList


class FileActions(App[int]):
    session: Session
    launch: Launch
    private: str
    trusted: list[str]
    exit_status: int | None

    @property
    def live(self) -> bool:
        raise NotImplementedError

    @property
    def requests(self) -> RequestsTab:
        raise NotImplementedError

    @property
    def request_list(self) -> RequestList:
        raise NotImplementedError

    def load_recording(self, path: str) -> Any:  # a worker, in the app
        raise NotImplementedError

    def action_export(self) -> None:
        recording = self.session.recording
        if not recording or not os.path.exists(recording):
            self.notify("no recording to export yet", severity="warning")
            return
        if self.launch.export_dir:  # chosen up front (tests, scripted use)
            self._export_to(recording, Path(self.launch.export_dir))
            return

        def chosen(directory: str | None) -> None:
            if directory:
                self._export_to(recording, Path(directory).expanduser())

        self.push_screen(
            PromptScreen(
                "Export the recording, report and HAR to the directory (Enter confirms, Esc cancels):",
                # A directory name is the user's text: one an Input would show with its
                # escape sequences is not offered (typed instead).
                value=os.getcwd() if visible(os.getcwd()) == os.getcwd() else "",
            ),
            chosen,
        )

    def _export_to(self, recording: str, directory: Path) -> None:
        try:
            paths = export_session(
                recording,
                directory,
                self.private,
                self.trusted,
                exit_code=self.exit_status,
                go_output=self.session.judge.go_output if self.session.finished else None,
            )
        except (OSError, RecordingError, OutputError) as exc:
            self.notify(visible(str(exc)), title="export failed", severity="error", markup=False)
            return
        self.last_export = paths
        self.notify(
            visible("\n".join(str(p) for p in paths), multiline=True),
            title="exported",
            markup=False,
        )

    last_export: list[Path] | None = None

    def action_open_recording(self) -> None:
        if self.live:
            self.notify(
                "this is a live session: open recordings in another window (goscope open FILE)",
                severity="warning",
            )
            return

        def opened(path: str | None) -> None:
            if not path:
                return
            try:  # a file that is no recording is refused before the session is replaced
                with RecordingReader(path, self.launch.skip_bad):
                    pass
            except RecordingError as exc:
                self.notify(visible(str(exc)), title="cannot open", severity="error", markup=False)
                return
            self.session = Session(None, self.private, frozenset(self.trusted), recording=path)
            self.launch.recording = path
            self.launch.strict = False  # a bad file now is a message, never the end of the app
            self.exit_status = None
            self.requests.clear_detail()
            self.request_list.store = self.session.store
            self.request_list.follow = False
            self.requests.reset()
            self.load_recording(path)

        self.push_screen(
            PromptScreen("Open a recording (JSON lines):", "path/to/recording.jsonl"), opened
        )
