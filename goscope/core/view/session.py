"""A session: everything the TUI shows, kept up to date one event at a time (UI-free)."""

from __future__ import annotations

import random
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from ..gorules.goenv import GoEnv
from ..gorules.goerrors import GoError
from ..hosts import is_public_service
from ..judging.findings import Finding
from ..judging.judge import Judge, SenderView
from ..judging.leaks import Leak, LeakGroup, group_leaks
from ..safe.event_redaction import redact_event
from ..traffic.chains import FallbackChain
from ..traffic.events import Event
from ..traffic.recording import partial_reason, read_event_at
from ..traffic.verdicts import Failures, checksum_verdict, mismatched_modules, module_groups
from ..vocab import ABANDONED_FLAG, BLOCKED_FLAG, Kind
from .store import EventStore

RESERVOIR = 4096  # latency samples kept per host for percentiles
DECIDED_AFTER = 32  # requests after a module's last: its checksum lookup would have come
DECIDED_AFTER_S = 2.0  # or seconds
ROLES: dict[Kind, str] = {"proxy": "proxy", "toolchain": "proxy", "sumdb": "sumdb", "direct": "VCS"}


@dataclass
class HostStats:
    host: str
    requests: int = 0
    errors: int = 0  # answers that are errors, not "not found" (a fall-through go expects)
    not_found: int = 0  # 404/410: "not here", which go treats as a reason to ask the next
    bytes: int = 0
    roles: set[str] = field(default_factory=set)
    http: set[str] = field(default_factory=set)  # HTTP versions goscope spoke to it
    tls: str | None = None
    issuer: str | None = None
    public_root: bool | None = None
    latencies: list[float] = field(default_factory=list)
    blocked: int = 0  # requests the guard answered: they never reached the host
    _seen: int = 0

    def add(self, event: Event, rng: random.Random) -> None:
        role = ROLES.get(event.kind)
        if BLOCKED_FLAG in event.flags:
            # Answered by the guard: asked of this host in its role, never reached it (the
            # Hosts tab said 0 requests, role "other", where audit counted them blocked).
            self.blocked += 1
            if role:
                self.roles.add(role)
            return
        self.requests += 1
        if event.error is None and event.status in (404, 410):
            self.not_found += 1
        elif event.failed:
            self.errors += 1
        self.bytes += max(event.response_bytes or 0, 0)
        if role:
            self.roles.add(role)
        if event.upstream_http:
            self.http.add(event.upstream_http.removeprefix("HTTP/"))
        if event.upstream_issuer is not None:
            self.tls, self.issuer = event.upstream_tls, event.upstream_issuer
            self.public_root = event.upstream_public_root
        if event.duration_ms is not None:
            self._seen += 1
            if len(self.latencies) < RESERVOIR:
                self.latencies.append(event.duration_ms)
            else:  # reservoir sampling keeps percentiles honest on huge sessions
                j = int(rng.random() * self._seen)
                if j < RESERVOIR:
                    self.latencies[j] = event.duration_ms

    def percentile(self, p: float) -> float | None:
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]

    @property
    def public(self) -> bool:
        return is_public_service(self.host)


@dataclass
class ModuleRow:
    module: str
    version: str | None
    chains: list[FallbackChain]
    served_by: str
    attempts: int
    endpoints: str
    bytes: int
    time_ms: float
    verified: bool
    leak: bool
    checksum: str = "-"  # go's verdict: verified, go.sum, MISMATCH, not checked: why


class Session:
    """Everything the TUI shows, kept up to date one event at a time."""

    def __init__(
        self,
        env: GoEnv | None = None,
        private: str = "",
        trusted: frozenset[str] = frozenset(),
        recording: str | None = None,
    ):
        self.private = private
        self.store = EventStore()
        self.judge = Judge(env, private, trusted)
        self.hosts: dict[str, HostStats] = {}
        self.recording = recording
        self.verified: set[tuple[str, str]] = set()
        self.selected_sender: int | None = None  # whose environment Config shows
        self._rng = random.Random(0)
        self._scan_offset = 0  # how far the recording has been indexed for details
        self._offsets: dict[int, int] = {}
        self.dropped_live = 0  # events the live stream could not deliver (all are recorded)
        self.bad_lines = 0  # lines of the recording or the live stream that were not events
        self.finished = False  # the command (or the recording) has ended: go's verdict is in
        self.live = False  # a running proxy's session (else a recording opened)
        # Why what is shown is not the whole run (the proxy died, a recording was cut).
        self.incomplete: list[str] = []
        # Senders whose environment goscope knows only in part, and why (their go env -w file
        # was not read): a live run's verdict is incomplete for them.
        self.partial: dict[Any, str] = {}
        # Requests their client left before the answer (go killed while it waited): a live
        # run's verdict is incomplete for them, as the recording's reader says (seqcheck.py).
        self.abandoned = 0
        self.foreign: list[dict[str, Any]] = []  # clients refused: not the run's, not judged
        self.guard = False  # the guard's state (the recording's header, then its changes)
        self.guard_changes: list[dict[str, Any]] = []
        self._groups: tuple[int, list[LeakGroup]] = (-1, [])
        self._relink = False  # events came after go's errors were linked

    def __len__(self) -> int:
        return len(self.store)

    def set_judging(self, private: str, trusted: list[str]) -> None:
        """A recording's judging context (its header's), before its first event."""
        if len(self.store):
            raise RuntimeError("set_judging comes before the first event")
        self.private = private
        self.judge = Judge(self.judge.default.env, private, frozenset(h.lower() for h in trusted))

    def set_command(self, command: list[str] | None) -> None:
        """The command goscope ran (or the recording's): whether its lookups are lookups."""
        self.judge.command = command

    def set_env(self, env: GoEnv | None) -> None:
        """The environment of the command goscope ran (None: it ran none: unknown)."""
        self.judge.set_default_env(env)

    def add_sender(self, info: dict[str, Any]) -> None:
        """A sender line; or `{"foreign": …}`, a client the proxy refused (never judged); or
        `{"guard": …}`, the guard turned on or off."""
        if "foreign" in info:
            self.foreign.append(info["foreign"])
            return
        if "guard" in info:
            self.guard_changes.append(info["guard"])
            self.guard = bool(info["guard"].get("on"))
            return
        if type(info.get("partial")) is str and info.get("id") not in self.partial:
            self.partial[info.get("id")] = partial_reason(info)  # a live run's: see the app
        view = self.judge.add_sender(info)
        if self.selected_sender is None and view.known:
            self.selected_sender = view.id  # the first go command seen: Config shows its env

    @property
    def sender(self) -> SenderView:
        return self.judge.view(self.selected_sender)

    @property
    def env(self) -> GoEnv | None:
        """The Go environment of the selected sender (None when unknown)."""
        return self.sender.env

    @property
    def leaks(self) -> list[Leak]:
        return self.judge.leaks

    @property
    def leak_groups(self) -> list[LeakGroup]:
        """The leaks as the header counts and the Leaks tab lists them: per path and host."""
        leaks = self.judge.leaks
        if self._groups[0] != len(leaks):
            self._groups = (len(leaks), group_leaks(leaks))
        return self._groups[1]

    def add(self, event: Event, offset: int = -1) -> int:
        if event.flags and ABANDONED_FLAG in event.flags:
            self.abandoned += 1
        leak = self.judge.add(event)
        if self.finished:
            self._relink = True
        index = self.store.append(event, offset, leak=leak is not None)
        stats = self.hosts.get(event.host)
        if stats is None:
            stats = self.hosts[event.host] = HostStats(event.host)
        stats.add(event, self._rng)
        if event.endpoint == "lookup" and event.status == 200 and event.module and event.version:
            self.verified.add((sys.intern(event.module), sys.intern(event.version)))
        return index

    # -- derived views ----------------------------------------------------------
    @property
    def chains(self) -> list[FallbackChain]:
        return self.judge.chains

    def chain_for_seq(self, seq: int) -> FallbackChain | None:
        index = self.store.index_of_seq(seq)
        if index is None:
            return None
        row = self.store.row(index)
        key = (row.module, row.version or None, row.endpoint)
        return self.judge.chain_for(seq, key, row.sender)

    def modules(self) -> list[ModuleRow]:
        """Each module@version go fetched (not a prefix probe's "no module here"), with
        who served it and go's checksum verdict."""
        chains = self.chains
        self.judge.find_lookups()
        groups = module_groups(chains)
        leaked = {leak.module for leak in self.leaks}
        mismatched = mismatched_modules(self.go_errors)
        # A module's checksum verdict is decided once a lookup can no longer come: the
        # command ended, or go went on to other requests (it looks up right after a fetch).
        newest = self.store.seq[len(self.store) - 1] if len(self.store) else 0
        now = time.time()
        rows = []
        store = self.store
        for (module, version), group in groups.items():
            seqs = [s for c in group for a in c.attempts for s in a.seqs]
            indices = [i for s in seqs if (i := store.index_of_seq(s)) is not None]
            fetched = [c for c in group if c.kind != "sumdb"] or group
            served = sorted({c.served_by for c in fetched if c.served_by}) or [fetched[-1].result]
            if any(c.rejected for c in group):
                served = ["rejected"]
            rows.append(
                ModuleRow(
                    module=module,
                    version=version,
                    chains=group,
                    served_by=", ".join(served),
                    attempts=sum(len(c.attempts) for c in fetched),
                    endpoints=",".join(dict.fromkeys(c.endpoint for c in group)),
                    bytes=sum(max(store.size[i], 0) for i in indices),
                    time_ms=sum(store.duration[i] for i in indices),
                    verified=(module, version or "") in self.verified,
                    leak=module in leaked,
                    checksum=checksum_verdict(
                        module,
                        version,
                        group,
                        self.judge.env_of(group[0]) or self.env,
                        self.finished
                        or newest - max(seqs, default=newest) >= DECIDED_AFTER
                        or now - _ended(store, indices) >= DECIDED_AFTER_S,
                        mismatched,
                    ),
                )
            )
        return rows

    def set_go_output(self, lines: list[str]) -> None:
        """The command ended: go's own errors, and the verdicts they carry."""
        self.judge.set_go_output(lines)
        self.finished = True
        self._relink = False

    def relink(self) -> None:
        """Tie go's errors to requests that arrived after the command ended."""
        if self._relink:
            self._relink = False
            self.judge.relink()

    @property
    def go_errors(self) -> list[GoError]:
        return self.judge.go_errors

    def failures(self, exit_code: int | None = None) -> Failures:
        return self.judge.failures(exit_code)

    def findings(self) -> list[Finding]:
        """The doctor, on the selected sender's environment and traffic."""
        return self.sender.findings(self.private)

    # -- full events, read back from the recording --------------------------------
    def event(self, index: int) -> Event | None:
        """The whole event (headers, preview) for a row, from the recording."""
        seq = self.store.seq[index]
        offset = self.store.offset[index]
        if offset < 0:
            offset = self._offsets.get(seq, -1)
        if offset < 0:
            offset = self._index_until(seq)
        if offset < 0 or not self.recording:
            return None
        event = read_event_at(self.recording, offset)
        return redact_event(event) if event is not None else None

    def _index_until(self, seq: int) -> int:
        if not self.recording:
            return -1
        try:
            with open(self.recording, "rb") as fh:
                fh.seek(self._scan_offset)
                while True:
                    offset = fh.tell()
                    line = fh.readline()
                    if not line.endswith(b"\n"):
                        break  # not written completely yet
                    self._scan_offset = fh.tell()
                    found = _seq_of(line)
                    if found is not None:
                        self._offsets[found] = offset
                        if found == seq:
                            return offset
        except OSError:
            return -1
        return self._offsets.get(seq, -1)


def _ended(store: EventStore, indices: list[int]) -> float:
    """When the last of these requests ended (epoch seconds; 0 when none)."""
    return max((store.started[i] + max(store.duration[i], 0) / 1000 for i in indices), default=0)


def _seq_of(line: bytes) -> int | None:
    # Event lines start with {"seq":N — avoid parsing the whole line.
    if line.startswith(b'{"seq":'):
        end = line.find(b",", 7)
        try:
            return int(line[7:end])
        except ValueError:
            return None
    return None
