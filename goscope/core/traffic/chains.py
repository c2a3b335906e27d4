"""Fallback chains: how one fetch walked the GOPROXY list.

`TryProxies` (src/cmd/go/internal/modfetch/proxy.go) asks each entry in turn.
After `,` it moves on only when the answer means "not found" (404 or 410);
after `|` it moves on after any error. `direct` means the version control
system, `off` refuses. And `fetch` in src/cmd/go/internal/web/http.go asks an
https URL a second time after any 4xx, with GOAUTH credentials: that second
request is the same attempt, not a new one.

`ChainTracker` folds a stream of events into chains incrementally, so the UI
and the headless report share one implementation.
"""

from __future__ import annotations

import re
import sys
from typing import cast
from urllib.parse import urlsplit

from ..gorules.goenv import GoEnv, ProxyEntry
from ..vocab import ABANDONED_ERROR, BLOCKED_FLAG, ChainEndpoint, Kind
from .answered import NOT_FOUND, direct_ok, is_go_get, is_not_found, is_success
from .entries import EntryIndex
from .events import Event
from .fetch import Attempt, FallbackChain
from .redirects import REDIRECT_FLAG, as_asked

# A request its client left before any answer: goscope's words, and mitmproxy's HTTP/1
# words in recordings made before goscope said so itself.
_ABANDONED = (ABANDONED_ERROR, "Client disconnected")

FETCH_KINDS = ("proxy", "toolchain")
DIRECT_ENDPOINTS = ("go-get", "git-info-refs", "git-upload-pack")


class ChainTracker:
    """Builds FallbackChains from events in the order the proxy saw them."""

    def __init__(self, env: GoEnv | None = None):
        self.env = env
        self._entries: tuple[ProxyEntry, ...] = env.proxy_list.entries if env else ()
        self.chains: list[FallbackChain] = []
        # The newest chain of each (module, version, endpoint) is the "open" one; older
        # ones (the same file fetched again later) are kept apart: they are rare.
        self.by_key: dict[tuple[str, str | None, str], FallbackChain] = {}
        self._older: dict[tuple[str, str | None, str], list[FallbackChain]] = {}
        # Chains waiting for direct traffic, by id: a list's `in` and `remove` compared
        # chains field by field, and a repository of 4,000 modules took 17 s to load.
        self._awaiting_direct: dict[int, FallbackChain] = {}
        self._direct_state: dict[str, Attempt] = {}  # module root -> direct result
        self._repo_roots: dict[str, str] = {}  # repo URL -> module root (from go-get)
        # A repository's own answer (its git traffic), and the fetches whose meta tags named
        # it: a forge answers `?go-get=1` for every path in a repository with its tag, so
        # `…/tools/lint` and `…/tools` both lead to tools.git, and git's answer is theirs.
        self._repo_state: dict[str, Attempt] = {}
        self._direct_redirects: dict[int, Event] = {}  # direct 3xx seq -> it, till its hop
        self._repo_chains: dict[str, dict[int, FallbackChain]] = {}
        # root -> the chains its direct traffic serves (by chain id, in order)
        self._direct_chains: dict[str, dict[int, FallbackChain]] = {}
        self.by_seq: dict[int, FallbackChain] = {}  # direct (VCS) events only; see chain_for
        self._entry = EntryIndex(env)  # which GOPROXY entry an attempt was at
        # (chain id, proxy) -> its attempts through a `proxy` several entries redact to
        # (entries.py): counted as they come, so telling them apart costs no walk.
        self._through: dict[tuple[int, str | None], int] = {}
        self._redirected: dict[int, tuple[FallbackChain, Attempt]] = {}  # 3xx seq -> attempt
        self._awaiting_db: dict[str, FallbackChain] = {}  # database name -> its probes' walk

    # -- public ---------------------------------------------------------
    def rebind(self, env: GoEnv) -> None:
        """Read what comes next with this environment (the command's, known late)."""
        self.env, self._entries = env, env.proxy_list.entries
        self._entry = EntryIndex(env)

    def add(self, event: Event) -> list[FallbackChain]:
        """Feed one event; returns the chains it changed (maybe none)."""
        if event.redirected_from is not None:
            origin = self._direct_redirects.pop(event.redirected_from, None)
            if origin is None:
                return self._add_hop(event)
            # Where a redirected `?go-get=1` (or git request) led: web.Get follows it, and
            # the page there is the answer (a vanity host's 301 to `/tools/`). A target that
            # asks a proxy for a module is judged as that (redirects.py), but its answer is
            # still the page go asked for: without it the fetch was in no chain at all.
            if not (event.kind == "direct" and event.endpoint in DIRECT_ENDPOINTS):
                event = as_asked(event, origin)
            return self._add_direct(event) if event.module else []
        if event.kind in FETCH_KINDS and event.module and event.endpoint != "other":
            return [self._add_fetch(event)]
        if event.kind == "sumdb" and event.sumdb:
            return self._add_sumdb(event)
        if event.kind == "direct" and event.endpoint in DIRECT_ENDPOINTS and event.module:
            return self._add_direct(event)
        return []

    def chain_for(
        self, seq: int, key: tuple[str, str | None, str] | None = None
    ) -> FallbackChain | None:
        """The chain an event belongs to (key: its module, version and endpoint)."""
        if seq in self.by_seq:
            return self.by_seq[seq]
        if key is None:
            return None
        newest = self.by_key.get(key)
        for chain in ([newest] if newest else []) + list(reversed(self._older.get(key, []))):
            if any(a.has_seq(seq) for a in chain.attempts):
                return chain
        return None

    def extend(self, events: list[Event]) -> ChainTracker:
        for event in events:
            self.add(event)
        return self

    def finish(self) -> None:
        """The session ended: what still waits will not be answered."""
        for chain in self.chains:
            if chain.result != "pending" or not chain.attempts:
                continue
            last = chain.attempts[-1]
            if last.redirecting:
                last.outcome, chain.result = "unknown", "unknown"  # go never followed it
            elif last.proxy == "direct":
                # go fell through to direct but we saw no VCS traffic for it.
                last.outcome, chain.result = "unknown", "unknown"
            else:
                # go never asked the next entry (interrupted?): what it would have got is unknown.
                chain.result = "unknown"

    # -- the checksum database ------------------------------------------------
    def _add_sumdb(self, event: Event) -> list[FallbackChain]:
        """`supported` probes walk GOPROXY like fetches (modfetch/sumdb.go, `dbDial`);
        a lookup is one attempt where the walk ended; direct database traffic settles a
        walk that fell through to the database itself."""
        name = event.sumdb or ""
        if event.endpoint == "supported":
            return [self._add_fetch(event, (_intern(name), None, "supported"))]
        changed = []
        if event.endpoint == "lookup" and event.module:
            changed.append(self._add_lookup(event))
        if event.proxy is None:  # straight to the database: the probes' walk ended here
            chain = self._awaiting_db.pop(name, None)
            if chain is not None and chain.attempts and chain.attempts[-1].proxy == "direct":
                attempt = chain.attempts[-1]
                attempt.host, attempt.url = event.host, event.url
                attempt.status, attempt.error = event.status, event.error
                attempt.seqs = (event.seq,)
                # The walk found the database when it answers at all: a lookup's own 404
                # (a module it does not know) is that lookup's failure, not the walk's.
                ok = event.error is None and event.status is not None and event.status < 500
                attempt.outcome = "served" if ok else "failed"
                chain.result, chain.served_by = ("served", "direct") if ok else ("failed", None)
                changed.append(chain)
        return changed

    def _add_lookup(self, event: Event) -> FallbackChain:
        key = (_intern(event.module or ""), _intern_opt(event.version), "lookup")
        chain = self.by_key.get(key)
        if chain is not None and self._is_auth_retry(chain, event):
            self._fold_retry(chain, event)
            return chain
        if chain is not None:
            self._older.setdefault(key, []).append(chain)
        attempt = Attempt(
            _intern(event.host),
            _intern_opt(event.proxy),  # None: straight to the database
            event.url,
            event.status,
            event.error,
            auth_retry=event.auth_retry,
            seqs=(event.seq,),
            blocked=BLOCKED_FLAG in event.flags,
        )
        chain = FallbackChain(
            len(self.chains), key[0], key[1], "lookup", kind="sumdb", attempts=(attempt,), key=key
        )
        self.chains.append(chain)
        self.by_key[key] = chain
        self._settle_lookup(chain)
        return chain

    @staticmethod
    def _settle_lookup(chain: FallbackChain) -> None:
        attempt = chain.attempts[-1]
        if is_success(attempt.status, attempt.error):
            attempt.outcome, chain.result, chain.served_by = "served", "served", attempt.host
        else:
            attempt.outcome, chain.result, chain.served_by = "failed", "failed", None

    def _database_direct(self, chain: FallbackChain) -> None:
        """No proxy proxies the database: go connects to it directly."""
        chain.attempts += (Attempt(chain.module, "direct", None),)
        chain.result = "pending"
        self._awaiting_db[chain.module] = chain

    # -- proxy fetches ----------------------------------------------------
    def _add_fetch(
        self, event: Event, key: tuple[str, str | None, str] | None = None
    ) -> FallbackChain:
        # Interned: a million events repeat a few hosts and modules; the chains keep one copy.
        if key is None:
            key = (_intern(event.module or ""), _intern_opt(event.version), _intern(event.endpoint))
        chain = self.by_key.get(key)
        if chain is not None and self._is_auth_retry(chain, event):
            self._fold_retry(chain, event)
            return chain
        new = chain is None or not self._continues(chain, event)
        if chain is not None:
            if new:
                self._older.setdefault(key, []).append(chain)
            else:
                self._close_previous(chain)
        attempt = Attempt(
            host=_intern(event.host),
            proxy=_intern_opt(event.proxy),
            url=event.url,
            status=event.status,
            error=event.error,
            auth_retry=event.auth_retry,
            seqs=(event.seq,),
            not_found_for_s=_not_found_max_age(event),
            blocked=BLOCKED_FLAG in event.flags,
        )
        if new or chain is None:
            # Made with its first attempt: a tuple of one (48 bytes; a list of one is 72, and
            # an empty list grown by an append keeps room for four).
            endpoint = cast(ChainEndpoint, key[2])
            kind = cast(Kind, _intern(event.kind))  # one string for a million chains
            chain = FallbackChain(
                len(self.chains), key[0], key[1], endpoint, kind=kind, attempts=(attempt,), key=key
            )
            self.chains.append(chain)
            self.by_key[key] = chain
        else:
            chain.attempts += (attempt,)
        if self._entry.shared(attempt.proxy):
            through = (chain.id, attempt.proxy)
            self._through[through] = self._through.get(through, 0) + 1
        self._note_redirect(chain, attempt, event)
        self._settle(chain)
        return chain

    def _note_redirect(self, chain: FallbackChain, attempt: Attempt, event: Event) -> None:
        attempt.redirecting = REDIRECT_FLAG in event.flags
        if attempt.redirecting:
            self._redirected[event.seq] = (chain, attempt)
            if not attempt.hops:
                attempt.redirect_status = event.status

    def _add_hop(self, event: Event) -> list[FallbackChain]:
        """The request a redirect sent go to: part of the attempt that was redirected."""
        assert event.redirected_from is not None
        found = self._redirected.pop(event.redirected_from, None)
        if found is None:
            return []
        chain, attempt = found
        attempt.hops = (*attempt.hops, (_intern(event.host), event.status))
        attempt.status, attempt.error = event.status, event.error
        attempt.seqs = (*attempt.seqs, event.seq)
        self._note_redirect(chain, attempt, event)
        if chain.attempts and chain.attempts[-1] is attempt:
            self._settle(chain)
        return [chain]

    @staticmethod
    def _last_real(chain: FallbackChain) -> int | None:
        """Index of the newest attempt that was a request (not a keyword placeholder)."""
        for i in range(len(chain.attempts) - 1, -1, -1):
            if chain.attempts[i].proxy not in ("direct", "off"):
                return i
        return None

    def _is_auth_retry(self, chain: FallbackChain, event: Event) -> bool:
        i = self._last_real(chain)
        if i is None:
            return False
        last = chain.attempts[i]
        # Only keyword attempts (direct/off) can follow it: go retries at once.
        return (
            not last.auth_retry
            and last.url == event.url
            and last.error is None
            and last.status is not None
            and 400 <= last.status < 500
            and event.url.startswith("https:")
        )

    def _fold_retry(self, chain: FallbackChain, event: Event) -> None:
        i = self._last_real(chain)
        assert i is not None
        chain.attempts = chain.attempts[: i + 1]  # placeholders added after the first answer
        self._awaiting_direct.pop(chain.id, None)
        for linked in self._direct_chains.values():
            linked.pop(chain.id, None)
        attempt = chain.attempts[i]
        attempt.status, attempt.error = event.status, event.error
        attempt.not_found_for_s = _not_found_max_age(event) or attempt.not_found_for_s
        attempt.auth_retry = True
        attempt.seqs = (*attempt.seqs, event.seq)
        attempt.hops = ()  # the retry walks the redirect again
        self._note_redirect(chain, attempt, event)
        event.auth_retry = True
        chain.result, chain.served_by = "pending", None
        self._settle(chain)

    def _continues(self, chain: FallbackChain, event: Event) -> bool:
        if chain.done and chain.result == "served":
            return False
        last = chain.attempts[-1] if chain.attempts else None
        if last is None:
            return True
        entry = self._entry
        here, there = entry.first(event.proxy), entry.first(last.proxy)
        if here is not None and there is not None:
            if entry.shared(event.proxy) or entry.shared(last.proxy):
                here = entry.nth(event.proxy, self._through.get((chain.id, event.proxy), 0))
                there = entry.nth(last.proxy, self._through.get((chain.id, last.proxy), 1) - 1)
                if here is None or there is None:
                    return False
            return here > there and last.outcome in ("fell-through", "failed")
        return event.proxy not in {a.proxy for a in chain.attempts}

    def _close_previous(self, chain: FallbackChain) -> None:
        """A later attempt exists, so the one before it fell through."""
        if chain.attempts:
            last = chain.attempts[-1]
            if last.outcome in ("failed", "stopped", "pending"):
                last.outcome = "fell-through"
                if last.separator is None and not is_not_found(last.status, last.error):
                    last.separator = "|"

    def _settle(self, chain: FallbackChain) -> None:
        """Decide the outcome of the newest attempt and the chain's result."""
        attempt = chain.attempts[-1]
        if attempt.proxy == "direct":
            return
        if attempt.redirecting:
            attempt.outcome, chain.result, chain.served_by = "pending", "pending", None
            return
        if is_success(attempt.status, attempt.error):
            attempt.outcome = "served"
            chain.result, chain.served_by = "served", attempt.host
            return
        if (attempt.error or "").startswith(_ABANDONED):
            # go left before any answer: what this entry, or the next, would have said is
            # unknown (no server failed, and no separator's advice applies).
            attempt.outcome, chain.result = "abandoned", "unknown"
            return
        index = self._entry.nth(attempt.proxy, self._through.get((chain.id, attempt.proxy), 1) - 1)
        if index is None:
            index = self._entry.first(attempt.proxy)
        if index is None:
            # No GOPROXY known for this session: the last attempt failed, for now.
            attempt.outcome = "failed"
            chain.result = "failed"
            return
        entry = self._entries[index]
        attempt.separator = entry.separator
        nxt = self._entries[index + 1] if index + 1 < len(self._entries) else None
        moves_on = entry.fall_back_on_error or is_not_found(attempt.status, attempt.error)
        if chain.endpoint == "supported" and moves_on and (nxt is None or nxt.is_keyword):
            # At direct, off or the list's end go connects to the database itself, unless
            # an earlier probe's error outranks the not-found answers (the doctor's
            # sumdb-probe-errors-fail): then go fails verifying.
            attempt.outcome = "fell-through"
            earlier = chain.attempts[:-1]
            if nxt is None and any(not is_not_found(a.status, a.error) for a in earlier):
                attempt.outcome, chain.result = "failed", "failed"
            else:
                self._database_direct(chain)
            return
        if nxt is None:
            attempt.outcome, chain.result = "failed", "failed"
        elif moves_on:
            attempt.outcome = "fell-through"
            chain.result = "pending"
            self._fall_to_keyword(chain, nxt)
        else:
            attempt.outcome, chain.result = "stopped", "failed"
            chain.never_asked = tuple(e.url for e in self._entries[index + 1 :])

    def _fall_to_keyword(self, chain: FallbackChain, nxt: ProxyEntry) -> None:
        if nxt.url == "off":
            chain.attempts += (
                Attempt(
                    "off",
                    "off",
                    None,
                    error="module lookup disabled by GOPROXY=off",
                    outcome="failed",
                ),
            )
            chain.result = "failed"
        elif nxt.url == "direct":
            attempt = Attempt("direct", "direct", None)
            chain.attempts += (attempt,)
            known = self._direct_for(chain.module)
            if known is not None:
                # go already has this repository from an earlier direct fetch.
                self._copy_direct(attempt, known)
                self._settle_direct(chain)
                self._direct_chains.setdefault(self._root_of(chain.module), {})[chain.id] = chain
            else:
                self._awaiting_direct[chain.id] = chain

    # -- direct (VCS) traffic ----------------------------------------------
    def _add_direct(self, event: Event) -> list[FallbackChain]:
        if REDIRECT_FLAG in event.flags:
            if len(self._direct_redirects) >= 4096:  # never followed: the oldest go first
                self._direct_redirects.pop(next(iter(self._direct_redirects)))
            self._direct_redirects[event.seq] = event  # its hop answers (see add)
            return []
        root = self._module_root(event)
        if event.endpoint == "go-get" and event.repo:
            self._repo_roots[_norm_repo(event.repo)] = root
        state = self._direct_state.setdefault(root, Attempt(event.host, "direct", event.url))
        # The attempt is the root's newest request: its URL, host and answer together (a git
        # 403 read as the ?go-get=1 URL that came first, and lookups.py could not tell a
        # meta lookup's "no module here" from git's failure).
        state.host, state.url = event.host, event.url
        state.status, state.error = event.status, event.error
        state.seqs = (*state.seqs, event.seq)
        success = direct_ok(event)
        state.outcome = "served" if success else "failed"
        linked = self._direct_chains.setdefault(root, {})
        # A `P?go-get=1` that fails says "no module at P" (modload tries each prefix of a
        # package path as a module path): it answers for the fetch of P alone. A 404 for
        # git.corp.example.com/team failed the fetch of team/tools, which go then got.
        # Repository traffic (git, or a ?go-get=1 that go verifies a meta prefix with) serves
        # every module under its root.
        exact = event.endpoint == "go-get" and not success
        waiting = [
            c
            for c in self._awaiting_direct.values()
            if (c.module == root if exact else _under(c.module, root))
        ]
        for chain in waiting:
            del self._awaiting_direct[chain.id]
            linked[chain.id] = chain
        changed = []
        for chain_id, chain in list(linked.items()):
            served = chain.attempts[-1]
            if served.outcome == "served" and not success and not is_go_get(served.url):
                # That fetch is done: a later failure is a new one. A meta tag alone serves
                # nothing yet: git's failure after it is that fetch's (it read "served").
                del linked[chain_id]
                continue
            self._copy_direct(chain.attempts[-1], state)
            self.by_seq[event.seq] = chain
            self._settle_direct(chain)
            changed.append(chain)
        if not changed:
            chain = self._direct_chain(root, event)
            linked[chain.id] = chain
            self._copy_direct(
                chain.attempts[-1],
                Attempt(
                    event.host,
                    "direct",
                    event.url,
                    event.status,
                    event.error,
                    "served" if success else "failed",
                    seqs=(event.seq,),
                ),
            )
            self.by_seq[event.seq] = chain
            self._settle_direct(chain)
            changed.append(chain)
        return self._by_repository(event, state, changed)

    def _by_repository(
        self, event: Event, state: Attempt, changed: list[FallbackChain]
    ) -> list[FallbackChain]:
        """What a repository answered is the answer of every fetch that led to it. A meta
        tag found again after git failed does not undo the failure (a late `lint?go-get=1`
        read "served", and go's error fell on a prefix's 404)."""
        if event.endpoint == "go-get":
            if not event.repo or not direct_ok(event):
                return changed
            repo = _norm_repo(event.repo)
            members = self._repo_chains.setdefault(repo, {})
            answered = self._repo_state.get(repo)
            for chain in changed:
                members[chain.id] = chain
                if answered is not None:
                    self._copy_direct(chain.attempts[-1], answered)
                    self._settle_direct(chain)
            return changed
        repo = event.module or event.host
        answer = Attempt(state.host, "direct", state.url, state.status, state.error, state.outcome)
        answer.seqs = state.seqs
        before = self._repo_state.get(repo)
        self._repo_state[repo] = answer
        if before is not None and (before.outcome, before.status, before.error) == (
            answer.outcome,
            answer.status,
            answer.error,
        ):
            # The same answer again (the next git request of a repository many modules
            # share): its fetches say so already. Walking them all for every request made
            # a repository of 4,000 modules take 26 s to load.
            return changed
        ids = {c.id for c in changed}
        for chain in list(self._repo_chains.get(repo, {}).values()):
            if chain.id in ids:
                continue
            last = chain.attempts[-1]
            if last.outcome == "served" and answer.outcome != "served" and not is_go_get(last.url):
                continue  # a fetch git served is done: a later failure is another's
            self._copy_direct(last, answer)
            self._settle_direct(chain)
            changed.append(chain)
        return changed

    def _direct_chain(self, root: str, event: Event) -> FallbackChain:
        """Direct traffic no proxy chain waits for (GONOPROXY, GOPROXY=direct)."""
        attempts = (Attempt(event.host, "direct", event.url),)
        chain = FallbackChain(len(self.chains), root, None, "vcs", kind="direct", attempts=attempts)
        self.chains.append(chain)
        return chain

    def _module_root(self, event: Event) -> str:
        module = event.module or event.host
        if event.endpoint != "go-get":
            return self._repo_roots.get(module, module)
        return module

    def _root_of(self, module: str) -> str:
        for root in _prefixes(module):
            if root in self._direct_state:
                return root
        return module

    def _direct_for(self, module: str) -> Attempt | None:
        # The module's own prefixes, not every root known: a walk of all roots per fetch
        # was quadratic in a repository of thousands of modules.
        for root in _prefixes(module):
            state = self._direct_state.get(root)
            if state is not None and state.outcome == "served":
                return state
        return None

    @staticmethod
    def _copy_direct(attempt: Attempt, state: Attempt) -> None:
        attempt.host, attempt.url = state.host, state.url
        attempt.status, attempt.error = state.status, state.error
        attempt.outcome = state.outcome
        attempt.seqs = state.seqs

    def _settle_direct(self, chain: FallbackChain) -> None:
        attempt = chain.attempts[-1]
        if attempt.outcome == "served":
            chain.result, chain.served_by = "served", "direct"
            self._awaiting_direct.pop(chain.id, None)
        else:
            chain.result, chain.served_by = "failed", None


_intern = sys.intern
_MAX_AGE = re.compile(r"max-age=(\d+)")


def _not_found_max_age(event: Event) -> int | None:
    if event.status not in NOT_FOUND or not event.response_headers:
        return None
    for name, value in event.response_headers:
        if name.lower() == "cache-control":
            found = _MAX_AGE.search(value)
            if found and "no-store" not in value and "no-cache" not in value:
                return int(found.group(1))
    return None


def _intern_opt(value: str | None) -> str | None:
    return None if value is None else sys.intern(value)


def _prefixes(module: str) -> list[str]:
    """The module and each of its `/`-prefixes, shortest first (the roots it is under)."""
    cuts = [i for i, ch in enumerate(module) if ch == "/"]
    return [module[:i] for i in cuts] + [module]


def _under(module: str, root: str) -> bool:
    return module == root or module.startswith(root + "/")


def _norm_repo(url: str) -> str:
    parts = urlsplit(url)
    path = parts.path.removesuffix("/").removesuffix(".git")
    return f"{(parts.hostname or '').lower()}{path}"


def build_chains(events: list[Event], env: GoEnv | None = None) -> list[FallbackChain]:
    tracker = ChainTracker(env).extend(events)
    tracker.finish()
    return tracker.chains
