"""What tabs and palette commands may ask of the app: a narrow protocol, not the app.

Tabs (goscope.tui.tabs) and the command palette (goscope.tui.commands) depend on
these, so nothing below the app imports it: the app implements both.
"""

from __future__ import annotations

from typing import Protocol

from goscope.core.view.filters import Filter
from goscope.core.view.session import Session
from goscope.tui.widgets.request_list import RequestList


class TabHost(Protocol):
    """What a tab reads and does: the session it draws, the request list, switching tabs."""

    session: Session
    exit_status: int | None  # the command's, live or as its recording's end line says

    @property
    def request_list(self) -> RequestList: ...

    @property
    def command_running(self) -> bool:
        """A command goscope runs has not ended yet."""
        ...

    @property
    def command_printed(self) -> bool:
        """The command goscope runs printed a line (its log may not show it yet)."""
        ...

    def action_tab(self, tab: str) -> None: ...

    def curl_proxy(self) -> tuple[str | None, str | None]:
        """The running proxy's URL and CA bundle for a copied curl (None, None: no proxy)."""
        ...


class CommandHost(TabHost, Protocol):
    """What the command palette offers: the app's actions by name."""

    def apply_filter(self, new: Filter | None) -> None: ...

    def action_clear_filter(self) -> None: ...

    def action_toggle_follow(self) -> None: ...

    def action_export(self) -> None: ...

    def action_open_recording(self) -> None: ...

    def action_command_bar(self) -> None: ...

    def action_copy(self) -> None: ...
