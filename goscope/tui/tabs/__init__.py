"""The TUI's tabs, in order. Number keys, help, the palette, screenshots and snapshot
tests all derive from `TABS`: adding a tab is a new module plus one entry here."""

from __future__ import annotations

from .base import GoscopeTab
from .config import ConfigTab
from .hosts import HostsTab
from .leaks import LeaksTab
from .modules import ModulesTab
from .output import OutputTab
from .requests import RequestsTab
from .senders import SendersTab
from .timeline import TimelineTab

TABS: tuple[type[GoscopeTab], ...] = (
    RequestsTab,
    ModulesTab,
    LeaksTab,
    HostsTab,
    ConfigTab,
    TimelineTab,
    OutputTab,
    SendersTab,
)
TAB_IDS = tuple(tab.TAB_ID for tab in TABS)


def tab_key(tab_id: str) -> str:
    """The number key that shows a tab."""
    return str(TAB_IDS.index(tab_id) + 1)


__all__ = ["TABS", "TAB_IDS", "GoscopeTab", "tab_key"]
