"""goscope's entries in the command palette (Ctrl+P)."""

from __future__ import annotations

from collections.abc import Callable

from textual.command import DiscoveryHit, Hit, Hits, Provider

from goscope.core.filters import parse_filter

FILTER_PRESETS = (
    ("Filter: failures", "status:>=400", "requests that got a 4xx or 5xx, or no answer"),
    ("Filter: leaks", "leak", "private module paths sent to a proxy or checksum database"),
    ("Filter: checksum database", "kind:sumdb", "supported, lookup, tile and latest requests"),
    ("Filter: version control", "kind:direct", "go-get discovery and git smart HTTP"),
    ("Filter: module zips", "endpoint:zip", "the downloads themselves"),
    ("Filter: GOAUTH retries", "retry", "go's second ask after a 4xx"),
)


class GoscopeCommands(Provider):
    def _commands(self) -> list[tuple[str, Callable[[], object], str]]:
        app = self.app
        commands: list[tuple[str, Callable[[], object], str]] = [
            (f"Show {tab.title()}", (lambda t=tab: app.action_tab(t)), f"switch to the {tab} tab")
            for tab in ("requests", "modules", "leaks", "hosts", "config", "timeline", "output")
        ]
        for name, text, help_text in FILTER_PRESETS:
            commands.append(
                (f"{name} ({text})", (lambda t=text: app.apply_filter(parse_filter(t))), help_text)
            )
        commands += [
            ("Clear filter", app.action_clear_filter, "show every request"),
            (
                "Toggle follow",
                app.action_toggle_follow,
                "follow new traffic, or stay where you are",
            ),
            ("Export session", app.action_export, "recording (.jsonl), report (.json) and HAR"),
            ("Open recording…", app.action_open_recording, "a goscope recording (JSON lines)"),
            ("Run a command…", app.action_command_bar, "through goscope, e.g. go mod download"),
            ("Copy as curl / copy fix", app.action_copy, "the selected request, leak or finding"),
        ]
        return commands

    async def discover(self) -> Hits:
        for name, callback, help_text in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
