"""Small, documented changes to mitmproxy's own code paths, in goscope's proxy process only
(never in a mitmdump that loads goscope's script). Each is a candidate for upstream; each
keeps mitmproxy's behaviour and removes work the profile of a real download showed
(docs/performance.md: kubectl v0.31.0's 380 requests, proxy CPU by phase).

- `lean_addons_package`: importing one addon module runs mitmproxy/addons/__init__.py,
  which imports all 31 default addons (flask and werkzeug for onboarding, ldap3 and
  passlib for proxyauth, …): some 300 modules the proxy never uses, 0.3–0.4 s of CPU at
  every start. A bare package object with the same `__path__` lets the 12 addon modules
  goscope loads be imported alone.
- `fast_hook_dispatch`: `AddonManager.trigger_event` walks the whole addon chain for every
  hook of every flow (traverse, getattr, a safecall context manager and the hook's args
  rebuilt from its dataclass fields per addon), and `handle_lifecycle` then walks it again
  for an `update` hook nobody in this process implements. Here the callables that
  implement each hook are computed once per hook name and chain, and the args once per
  event. Exceptions behave as in mitmproxy (addonmanager.py `safecall`): an error is logged
  and ends that top-level addon's turn, AddonHalt ends the event, OptionsError propagates.
- `cheap_data_frame_repr`: h2 (hyperframe) formats `repr(frame)` for its trace log on every
  frame, eagerly, and a DATA frame's repr hex-encodes its whole payload (16 KiB of a module
  zip at a time). The repr now names the size.
- `reuse_checked_ca`: mitmproxy's TlsConfig loads the CA from the confdir when its options
  are set, moments after goscope's `ensure_ca` loaded the same files to check them (a bad
  key must be one clear line, not a proxy that fails later); each load runs OpenSSL's RSA
  key check, 45 ms. While the files are unchanged, TlsConfig gets the store already
  checked: one load per start, as in a plain mitmproxy.
"""

from __future__ import annotations

import importlib.util
import inspect
import logging
import os
import sys
import types
from typing import Any


def lean_addons_package() -> None:
    """Before the first `from mitmproxy.addons import …` of the process."""
    if "mitmproxy.addons" in sys.modules:
        return  # too late (or already done): the full package is loaded, nothing to save
    spec = importlib.util.find_spec("mitmproxy")
    if spec is None or spec.origin is None:
        return
    package = types.ModuleType("mitmproxy.addons")
    package.__path__ = [os.path.join(os.path.dirname(spec.origin), "addons")]
    package.__package__ = "mitmproxy.addons"
    sys.modules["mitmproxy.addons"] = package
    import mitmproxy

    mitmproxy.addons = package


def fast_hook_dispatch() -> None:
    from mitmproxy import addonmanager, exceptions

    logger = logging.getLogger("mitmproxy.addonmanager")
    cache: dict[tuple[str, tuple[int, ...]], list[list[Any]]] = {}

    def implementers(manager: Any, name: str) -> list[list[Any]]:
        key = (name, tuple(map(id, manager.chain)))
        groups = cache.get(key)
        if groups is None:
            groups = []
            for top in manager.chain:
                funcs = []
                for a in addonmanager.traverse([top]):
                    func = getattr(a, name, None)
                    if func is None or isinstance(func, types.ModuleType):
                        continue
                    if not callable(func):
                        raise exceptions.AddonManagerError(
                            f"Addon handler {name} ({a}) not callable"
                        )
                    funcs.append(func)
                if funcs:
                    groups.append(funcs)
            if len(cache) > 256:  # chains do not change in this process; bounded anyway
                cache.clear()
            cache[key] = groups
        return groups

    async def trigger_event(self: Any, event: Any) -> None:
        groups = implementers(self, event.name)
        if not groups:
            return
        args = event.args()
        for funcs in groups:
            try:
                for func in funcs:
                    res = func(*args)
                    if res is not None and inspect.isawaitable(res):
                        await res
            except exceptions.AddonHalt:
                return
            except exceptions.OptionsError:
                raise
            except Exception as exc:  # noqa: BLE001 - mitmproxy's safecall: log, go on
                logger.error(f"Addon error: {exc}", exc_info=True)

    addonmanager.AddonManager.trigger_event = trigger_event  # type: ignore[method-assign]


def cheap_data_frame_repr() -> None:
    try:
        from hyperframe.frame import DataFrame
    except ImportError:
        return

    def _body_repr(self: Any) -> str:
        return f"<{len(self.data)} bytes>"

    DataFrame._body_repr = _body_repr  # type: ignore[method-assign]


def reuse_checked_ca() -> None:
    from mitmproxy import certs

    from .ca import checked_store

    original = certs.CertStore.from_store.__func__  # type: ignore[attr-defined]

    def from_store(
        cls: Any, path: Any, basename: str, key_size: int, passphrase: bytes | None = None
    ) -> Any:
        if cls is certs.CertStore and basename == "mitmproxy" and passphrase is None:
            store = checked_store(path)
            if store is not None:
                return store
        return original(cls, path, basename, key_size, passphrase)

    certs.CertStore.from_store = classmethod(from_store)  # type: ignore[method-assign,assignment]
