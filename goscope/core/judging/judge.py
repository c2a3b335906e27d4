"""Each request judged by the Go environment of the process that sent it.

Two go commands with different GOPRIVATE can share one goscope: a path one of
them keeps private may be public for the other. So chains, leaks and the
doctor run per sender (the recording's sender lines give each its environment,
with origins). Requests whose sender is unknown (another user's process, a
remote client, a system without /proc) are judged by what goscope does know:
the environment of the command goscope itself ran, when it ran one; else only
the `--private` patterns and the traffic. goscope's own environment is never
presented as go's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..gorules.gocommands import finding, govcs_refused, modules_chosen, probes
from ..gorules.goenv import GoEnv
from ..gorules.goerrors import GoError, parse_go_output
from ..safe.redact import redact_value
from ..traffic.chains import ChainTracker, FallbackChain
from ..traffic.events import Event
from ..traffic.lookups import ModuleLookup, find_lookups
from ..traffic.verdicts import Failures, failures, link_errors
from .doctor import diagnose
from .findings import Finding, Traffic
from .leaks import Leak, LeakDetector, group_leaks

UNKNOWN_SENDER = "environment of the sender unknown: judged by --private and by traffic"


@dataclass
class SenderView:
    """What goscope knows of one sender, and what its requests did."""

    id: int | None
    info: dict[str, Any] | None  # the recording's sender line (pid, program, command, cwd)
    env: GoEnv | None  # None: unknown
    tracker: ChainTracker
    detector: LeakDetector
    leaks: list[Leak] = field(default_factory=list)
    requests: int = 0
    # What the traffic shows of an unknown sender's setup: GOPROXY entries asked, in the
    # order first asked, and the checksum databases asked.
    seen_proxies: list[str] = field(default_factory=list)
    seen_sumdbs: list[str] = field(default_factory=list)
    inspected: dict[str, tuple[str, int]] = field(default_factory=dict)  # see doctor.py

    def observe(self, event: Event) -> None:
        if (
            event.kind in ("proxy", "toolchain")
            and event.proxy
            and event.proxy not in self.seen_proxies
        ):
            self.seen_proxies.append(event.proxy)
        if event.sumdb and event.sumdb not in self.seen_sumdbs:
            self.seen_sumdbs.append(event.sumdb)

    def inferred(self) -> dict[str, str]:
        """GOPROXY and GOSUMDB as far as the traffic shows them (for unknown senders)."""
        out = {}
        if self.seen_proxies:
            out["GOPROXY"] = ",".join(self.seen_proxies)
        if self.seen_sumdbs:
            out["GOSUMDB"] = ",".join(self.seen_sumdbs)
        return out

    @property
    def label(self) -> str:
        if self.info is None:
            return "the command goscope ran" if self.env is not None else "unknown sender"
        command = " ".join(self.info.get("command") or []) or self.info.get("program") or "?"
        return f"{command} (pid {self.info.get('pid')})"

    @property
    def known(self) -> bool:
        return self.env is not None

    def findings(self, private: str) -> list[Finding]:
        if self.env is None:
            return []  # nothing to diagnose: the configuration is not known
        return diagnose(
            self.env,
            {},
            private,
            Traffic(self.tracker.chains, self.leaks, self.inspected),
            trusted=self.detector.trusted,
        )

    def to_dict(self, private: str) -> dict[str, Any]:
        return {
            "id": self.id,
            **{k: v for k, v in (self.info or {}).items() if k != "id"},
            "known": self.known,
            "note": None if self.known else UNKNOWN_SENDER,
            "seen_in_traffic": None if self.known else self.inferred(),
            "requests": self.requests,
            "leaks": [group.to_dict() for group in group_leaks(self.leaks)],
            "findings": [f.to_dict() for f in self.findings(private)],
        }


class Judge:
    def __init__(
        self,
        env: GoEnv | None = None,
        private: str = "",
        trusted: frozenset[str] = frozenset(),
        chains: bool = True,
    ):
        """`chains=False`: leaks only (an audit's pass): the same leaks, by the same code,
        without folding fallback chains, so no findings, failures or lookups."""
        self.private = private
        self.track_chains = chains
        self.trusted = trusted
        self.views: dict[int | None, SenderView] = {}
        self.default = self.views[None] = self._view(None, None, env)
        self.leaks: list[Leak] = []
        self._leak_keys: set[tuple[str, str, bool, int | None]] = set()
        self.go_output: list[str] = []
        self.command: list[str] | None = None  # the command goscope ran (its lookups)
        self._env_index: tuple[int, dict[int, GoEnv | None]] = (-1, {})
        self.go_errors: list[GoError] = []  # what go itself said failed (its output)
        self.lookups: list[ModuleLookup] = []

    def _view(
        self, sender: int | None, info: dict[str, Any] | None, env: GoEnv | None
    ) -> SenderView:
        judged = env if env is not None else GoEnv.from_mapping({})  # defaults: --private only
        return SenderView(
            sender, info, env, ChainTracker(env), LeakDetector(judged, self.private, self.trusted)
        )

    def set_default_env(self, env: GoEnv | None) -> None:
        """The environment of the command goscope ran (None: it ran none)."""
        view = self.default
        view.env = env
        if env is not None:
            view.tracker.rebind(env)
        view.detector = LeakDetector(env or GoEnv.from_mapping({}), self.private, self.trusted)

    def add_sender(self, info: dict[str, Any]) -> SenderView:
        known = self.views.get(info["id"])
        if known is not None and info["id"] is not None:
            # Said again (a file pieced together): its requests, chains and leaks so far stay
            # (they were erased: a whole run's fetches gone from the TUI); the reader calls
            # the recording incomplete when the second description differs.
            return known
        raw = info.get("environment")
        env = GoEnv.from_dict(raw) if isinstance(raw, dict) and raw else None
        view = self.views[info["id"]] = self._view(info["id"], info, env)
        return view

    def view(self, sender: int | None) -> SenderView:
        return self.views.get(sender) or self.default

    def add(self, event: Event) -> Leak | None:
        view = self.view(event.sender)
        view.requests += 1
        if not self.track_chains:
            return self._leak(view, event)
        if event.upstream_public_root is False and event.host not in view.inspected:
            view.inspected[event.host] = (event.upstream_issuer or "an unknown issuer", event.seq)
        if not view.known:
            view.observe(event)
        leak = self._leak(view, event)
        view.tracker.add(event)
        return leak

    def _leak(self, view: SenderView, event: Event) -> Leak | None:
        """The event's leak, if it is one; go's GOAUTH retry of a URL is not a second. A
        request the guard stopped and one that left are never one: the same URL asked again
        after the guard was turned off went out, and its leak must not read "blocked". Nor
        are two processes' requests one: each is judged by its own environment, and the
        second one's leak (its severity, its fix) was lost behind the first's."""
        leak = view.detector.check(event)
        key = (leak.url, leak.kind, leak.blocked, view.id) if leak is not None else None
        if key is not None and leak is not None and key not in self._leak_keys:
            self._leak_keys.add(key)
            self.leaks.append(leak)
            view.leaks.append(leak)
        return leak

    @property
    def chains(self) -> list[FallbackChain]:
        views = list(self.views.values())
        if len(views) == 1:
            return views[0].tracker.chains
        return [chain for view in views for chain in view.tracker.chains]

    def env_of(self, chain: FallbackChain) -> GoEnv | None:
        """The Go environment of the process whose request made this chain."""
        # Counted, not listed: `chains` builds a list of every chain when there are several
        # senders, and this runs once per chain or module (quadratic: a minute for 20,000).
        count = sum(len(view.tracker.chains) for view in self.views.values())
        if self._env_index[0] != count:
            self._env_index = (
                count,
                {id(c): view.env for view in self.views.values() for c in view.tracker.chains},
            )
        return self._env_index[1].get(id(chain), self.default.env)

    def chain_for(
        self, seq: int, key: tuple[str, str | None, str], sender: int | None
    ) -> FallbackChain | None:
        return self.view(sender).tracker.chain_for(seq, key)

    def finish(self) -> None:
        for view in self.views.values():
            view.tracker.finish()

    def set_go_output(self, lines: list[str]) -> list[GoError]:
        """go's output (of the last command goscope ran): its errors are the final word.

        Safe to call again with the same lines (events that arrived later get linked).
        """
        # Redacted here, whoever calls: go prints URLs with their user names (tokens, at
        # times) and query values, and these lines reach reports, exports and the screen.
        self.go_output = [redact_value(line) for line in lines]
        self.go_errors = parse_go_output(self.go_output)
        self.lookups = self.find_lookups()
        if self.go_errors:  # linking indexes every chain: only when there is something to tie
            link_errors(self.go_errors, self.chains, self.default.env, self.lookups)
        return self.go_errors

    def find_lookups(self) -> list[ModuleLookup]:
        """Each sender's prefix lookups: only where its command probes (gocommands.py)."""
        named = finding(self.go_output)
        got, refused = modules_chosen(self.go_output), govcs_refused(self.go_output)
        lookups = []
        for view in self.views.values():
            command = (view.info or {}).get("command") if view.id is not None else self.command
            goflags = view.env.get("GOFLAGS") if view.env is not None else ""
            asks = probes(command, goflags)
            lookups += find_lookups(view.tracker.chains, asks, named, got, refused)
        return lookups

    def relink(self) -> None:
        if self.go_output:
            self.set_go_output(self.go_output)

    def failures(self, exit_code: int | None = None) -> Failures:
        return failures(self.chains, self.go_errors, exit_code)

    def senders(self) -> list[SenderView]:
        """The senders to report on: each process seen, and the command goscope ran
        when requests were not attributed to a process (or none came at all)."""
        processes = [v for v in self.views.values() if v.id is not None]
        default = self.default
        if default.requests or (not processes and default.known):
            return [default, *processes]
        return processes
