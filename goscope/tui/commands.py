"""goscope's entries in the command palette (Ctrl+P): its tabs, filter presets and actions."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from goscope.core.view.filters import parse_filter
from goscope.tui.host import CommandHost, TabHost
from goscope.tui.tabs import TABS

FILTER_PRESETS = (
    ("Filter: failures", "status:>=400", "requests that got a 4xx or 5xx, or no answer"),
    ("Filter: leaks", "leak", "private module paths sent to a proxy or checksum database"),
    ("Filter: checksum database", "kind:sumdb", "supported, lookup, tile and latest requests"),
    ("Filter: version control", "kind:direct", "go-get discovery and git smart HTTP"),
    ("Filter: module zips", "endpoint:zip", "the downloads themselves"),
    ("Filter: GOAUTH retries", "retry", "go's second ask after a 4xx"),
)

Command = tuple[str, Callable[[], object], str]


class GoscopeCommands(Provider):
    def _commands(self) -> list[Command]:
        app = cast(CommandHost, self.app)
        return [*tab_commands(app), *filter_commands(app), *action_commands(app)]

    async def discover(self) -> Hits:
        for name, callback, help_text in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)


def tab_commands(app: TabHost) -> list[Command]:
    def show(tab_id: str) -> Callable[[], object]:
        return lambda: app.action_tab(tab_id)

    return [(f"Show {tab.TITLE}", show(tab.TAB_ID), tab.HELP) for tab in TABS]


def filter_commands(app: CommandHost) -> list[Command]:
    def apply(text: str) -> Callable[[], object]:
        return lambda: app.apply_filter(parse_filter(text))

    return [(f"{name} ({text})", apply(text), why) for name, text, why in FILTER_PRESETS]


def action_commands(app: CommandHost) -> list[Command]:
    return [
        ("Clear filter", app.action_clear_filter, "show every request"),
        ("Toggle follow", app.action_toggle_follow, "follow new traffic, or stay where you are"),
        ("Export session", app.action_export, "recording (.jsonl), report (.json) and HAR"),
        ("Open recording…", app.action_open_recording, "a goscope recording (JSON lines)"),
        ("Run a command…", app.action_command_bar, "through goscope, e.g. go mod download"),
        ("Copy as curl / copy fix", app.action_copy, "the selected request, leak or finding"),
    ]
