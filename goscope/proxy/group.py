"""goscope's addons as one mitmproxy addon: one dispatch per hook, each member on its own.

mitmproxy hands every hook of every flow to every addon in its chain (addonmanager.py
`trigger_event`: a context manager, a coroutine and a generator per addon), so each
addon costs every request a little even when it has nothing to do. `AddonGroup` is a
single addon that forwards only the hooks its members implement, to those members, in
order. Like mitmproxy's `safecall`, a member that raises is logged and the others still
run: a recording that cannot be closed must not stop the HAR from being redacted, or
the stats line from being said. AddonHalt and OptionsError pass through, as there.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import Any

from mitmproxy import exceptions

log = logging.getLogger("goscope")

# The hooks goscope's addons use; `test_the_group_forwards_every_hook_its_members_have`
# checks that no member implements another.
HOOKS = (
    "load",
    "configure",
    "running",
    "client_connected",
    "client_disconnected",
    "http_connect",
    "tls_failed_client",
    "tls_established_client",
    "requestheaders",
    "responseheaders",
    "response",
    "error",
    "done",
)


class AddonGroup:
    def __init__(self, *members: Any):
        self.members = list(members)
        self._handlers: dict[str, list[Callable[..., Any]]] = {
            hook: [h for m in members if callable(h := getattr(m, hook, None))] for hook in HOOKS
        }

    def _call(self, hook: str, *args: Any) -> None:
        for handler in self._handlers[hook]:
            try:
                handler(*args)
            except (exceptions.AddonHalt, exceptions.OptionsError):
                raise
            except Exception as exc:
                log.error("goscope: %s failed: %r", _name(handler), exc, exc_info=True)

    async def _call_async(self, hook: str, *args: Any) -> None:
        for handler in self._handlers[hook]:
            try:
                result = handler(*args)
                if inspect.isawaitable(result):
                    await result
            except (exceptions.AddonHalt, exceptions.OptionsError):
                raise
            except Exception as exc:
                log.error("goscope: %s failed: %r", _name(handler), exc, exc_info=True)

    # -- the hooks (only these: mitmproxy skips an addon without the method) ------------
    def load(self, loader: Any) -> None:
        self._call("load", loader)

    def configure(self, updated: set[str]) -> None:
        self._call("configure", updated)

    async def running(self) -> None:
        await self._call_async("running")

    async def client_connected(self, client: Any) -> None:
        await self._call_async("client_connected", client)

    def client_disconnected(self, client: Any) -> None:
        self._call("client_disconnected", client)

    def http_connect(self, flow: Any) -> None:
        self._call("http_connect", flow)

    def tls_failed_client(self, data: Any) -> None:
        self._call("tls_failed_client", data)

    def tls_established_client(self, data: Any) -> None:
        self._call("tls_established_client", data)

    def requestheaders(self, flow: Any) -> None:
        self._call("requestheaders", flow)

    def responseheaders(self, flow: Any) -> None:
        self._call("responseheaders", flow)

    def response(self, flow: Any) -> None:
        self._call("response", flow)

    def error(self, flow: Any) -> None:
        self._call("error", flow)

    async def done(self) -> None:
        await self._call_async("done")


def _name(handler: Callable[..., Any]) -> str:
    owner = getattr(handler, "__self__", None)
    return f"{type(owner).__name__}.{handler.__name__}" if owner is not None else repr(handler)
