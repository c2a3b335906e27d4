"""The proxy process: mitmproxy's Master with goscope's addons, and nothing on the terminal.

Started by `launcher.ProxyProcess` as `python -m goscope.proxy.server` with a
`ProxyConfig` as JSON on stdin. It turns the config into mitmproxy options
(the addons declare and check their own: see addon.py and outputs.py),
answers with one JSON line on stdout (`ready` with the bound port, or `error`
with one clear sentence), and on SIGTERM shuts down cleanly and prints a
final `stats` line.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import os
import signal
import sys
import tempfile
import threading
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from .mitm_patches import (
    cheap_data_frame_repr,
    fast_hook_dispatch,
    lean_addons_package,
    reuse_checked_ca,
)

lean_addons_package()  # before the first mitmproxy.addons import (mitm_patches.py says why)

from mitmproxy import exceptions, options
from mitmproxy.addons import (
    block,
    core,
    disable_h2c,
    dns_resolver,
    next_layer,
    proxyserver,
    save,
    savehar,
    strip_dns_https_records,
    tlsconfig,
    update_alt_svc,
    upstream_auth,
)
from mitmproxy.master import Master

from goscope.core.home import HomeError, ensure_private_dir
from goscope.core.safe.redact import use_token_shapes

from .access import ProxyAccess
from .addon import GoscopeAddon, goscope_addons
from .ca import ensure_ca
from .config import ProxyConfig
from .group import AddonGroup
from .outputs import HarRedactor

log = logging.getLogger("goscope.proxy")
# Taken at start: asking later could already see the adoptive parent of an orphan. The
# config names the parent too (`parent_pid`): the app may die while this module imports.
PARENT = os.getppid()
# Why the proxy stopped: "asked" (the app closed its stdin: the one way goscope stops it),
# "signal" (SIGTERM or SIGINT from someone else: the run's verdict is then incomplete),
# "parent" (the app is gone). Said in the final stats line.
SHUTDOWN = {"why": "asked"}


def say(obj: dict[str, Any]) -> None:
    try:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()
    except (BrokenPipeError, OSError, ValueError):
        pass  # the app is gone; nobody to tell


class Lifecycle:
    """Reports readiness once the listening socket is bound, and the stats at the end."""

    def __init__(self, config: ProxyConfig, addon: GoscopeAddon, har: HarRedactor | None = None):
        self.config = config
        self.addon = addon
        self.har = har
        self.watch_task: asyncio.Task[None] | None = None

    async def running(self) -> None:
        from mitmproxy import ctx

        proxyserver = ctx.master.addons.get("proxyserver")
        addrs = proxyserver.listen_addrs()
        if not addrs:
            errors = [str(s.last_exception) for s in proxyserver.servers if s.last_exception]
            say({"type": "error", "error": explain_start_error(errors, self.config)})
            ctx.master.shutdown()
            return
        host, port = addrs[0][0], addrs[0][1]
        say({"type": "ready", "host": host, "port": port, "pid": os.getpid()})
        parent = self.config.parent_pid or PARENT
        self.watch_task = asyncio.create_task(watch_parent(parent, self.config.command_pgid_file))

    def done(self) -> None:
        stats: dict[str, Any] = {"type": "stats", **self.addon.stats(), "shutdown": SHUTDOWN["why"]}
        if self.har is not None and self.har.error:
            stats["har_error"] = self.har.error
        if self.addon.credential_hosts:  # the engine's, not the end line's stats
            stats["credential_hosts"] = sorted(self.addon.credential_hosts)
        say(stats)


SETTLE_SECONDS = 0.5  # at stop, how long connections still in their handshake are waited for


async def settle(addon: GoscopeAddon, master: Any) -> None:
    """Stop, once the connections still in their TLS handshake have ended it (a client's
    refusal of goscope's certificate may be in flight as its command exits), or after
    SETTLE_SECONDS: those still open then are counted, and the verdict says so."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SETTLE_SECONDS
    while addon.handshaking and loop.time() < deadline:
        await asyncio.sleep(0.01)
    addon.handshaking_at_stop = len(addon.handshaking)
    master.shutdown()


async def watch_parent(parent: int, command_pgid_file: str | None = None) -> None:
    """Stop when the app that started us is gone (killed, crashed): no orphan proxies,
    and no orphan command either."""
    from mitmproxy import ctx

    while os.getppid() == parent:
        await asyncio.sleep(0.5)
    log.info("goscope: parent %s exited; stopping", parent)
    SHUTDOWN["why"] = "parent"
    stop_command_group(command_pgid_file)
    ctx.master.shutdown()


def stop_command_group(command_pgid_file: str | None) -> None:
    """The app is gone: end the command's process group, which it can no longer do."""
    if command_pgid_file:
        with contextlib.suppress(OSError, ValueError):
            with open(command_pgid_file) as fh:
                pgid = int(fh.read().strip())
            if pgid > 1 and pgid != os.getpgrp():
                os.killpg(pgid, signal.SIGTERM)


def explain_start_error(errors: list[str], config: ProxyConfig) -> str:
    text = "; ".join(errors) or "the proxy did not start"
    host, port = config.listen_host, config.port
    if "address already in use" in text.lower():
        return f"port {port} on {host} is already in use (choose another with --port, or --port 0)"
    if "permission denied" in text.lower():
        return f"not allowed to listen on {host}:{port} (ports below 1024 need privileges)"
    if "cannot assign requested address" in text.lower():
        return f"cannot listen on {host}: no such local address"
    return f"the proxy could not start on {host}:{port}: {text}"


def split_upstream(url: str) -> tuple[str, str | None]:
    """`http://user:pass@host:port` as (`http://host:port`, `user:pass`)."""
    parts = urlsplit(url)
    if parts.username is None:
        return url, None
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port:
        netloc += f":{parts.port}"
    auth = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", "")), auth


def mitmproxy_options(config: ProxyConfig) -> dict[str, Any]:
    """The whole config as mitmproxy options: its own, and those goscope's addons declare."""
    updates: dict[str, Any] = {
        # Resolve and connect only when a request needs it: --route must win.
        "connection_strategy": "lazy",
        # Every connection is HTTP (or TLS, then HTTP): with rawtcp, mitmproxy passed one
        # through as raw TCP when its first segment held fewer than three bytes or no space,
        # unseen: no event, no guard, a clean verdict (next_layer.py). go, git and curl speak
        # only HTTP through a proxy; anything else is refused as bad HTTP, never forwarded.
        "rawtcp": False,
        "stream_large_bodies": config.stream_large_bodies,
        "goscope_route": list(config.routes),
        "goscope_environment": json.dumps(config.environment),
        "goscope_command": list(config.command or []),
        "goscope_environment_source": config.environment_source,
        "goscope_judging": json.dumps(config.judging) if config.judging else "",
        "goscope_context": json.dumps(config.context) if config.context else "",
        "goscope_secret": config.secret or "",
        "goscope_guard": config.guard,
        "goscope_jsonl": config.recording or "",
        "goscope_events_socket": config.events_socket or "",
        "goscope_queue_size": config.queue_size,
    }
    if config.upstream_proxy:
        # Credentials in the URL go to mitmproxy's upstream_auth, never into the mode (which
        # mitmproxy shows in its logs and errors): http://user:pass@host:port.
        address, auth = split_upstream(config.upstream_proxy)
        updates["mode"] = [f"upstream:{address}"]
        if auth:
            updates["upstream_auth"] = auth
    if config.save_flows:
        # mitmproxy writes the flows as they are, credentials and all (they are for its
        # replay): the file is made 0600 first, never through a link; `+PATH` appends to it.
        fd = os.open(
            config.save_flows.removeprefix("+"),
            os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC,
            0o600,
        )
        try:
            os.fchmod(fd, 0o600)
        finally:
            os.close(fd)
        updates["save_stream_file"] = config.save_flows
    if config.har:
        # savehar writes into goscope's private directory; HarRedactor moves it, redacted.
        where = config.rundir or ensure_private_dir(config.home / "runs")
        private = tempfile.mkdtemp(prefix="har-", dir=where)
        updates["hardump"] = os.path.join(private, "raw.har")
        updates["goscope_har"] = config.har
    if config.ssl_insecure:
        updates["ssl_insecure"] = True
    if config.upstream_ca:
        updates["ssl_verify_upstream_trusted_ca"] = config.upstream_ca
    if config.upstream_ca_dir:
        updates["ssl_verify_upstream_trusted_confdir"] = config.upstream_ca_dir
    return updates


def mitmproxy_addons() -> list[Any]:
    """The part of mitmproxy's `default_addons()` a goscope proxy uses, in its order.

    mitmproxy dispatches every hook of every flow to every addon (addonmanager.py:
    `trigger_event` walks the whole chain, then again for `update`), so each addon costs
    every request a few microseconds even when it does nothing. Left out: the console's
    and the user's tools goscope never sets (browser, blocklist, anticache, anticomp,
    client and server playback, command history, comment, cut, export, the mitm.it
    onboarding app, proxyauth, scripts, map and modify rules, sticky auth and cookies).
    Kept: what serves, routes and secures the traffic, `block` (refuses clients that are
    not local), and what `--save-flows`, `--har` and `--upstream-proxy` need.
    """
    return [
        core.Core(),
        block.Block(),
        strip_dns_https_records.StripDnsHttpsRecords(),
        disable_h2c.DisableH2C(),
        proxyserver.Proxyserver(),
        dns_resolver.DnsResolver(),
        next_layer.NextLayer(),
        save.Save(),
        savehar.SaveHar(),
        tlsconfig.TlsConfig(),
        upstream_auth.UpstreamAuth(),
        update_alt_svc.UpdateAltSvc(),
    ]


async def serve(config: ProxyConfig) -> int:
    fast_hook_dispatch()
    cheap_data_frame_repr()
    # Its key parse is not skipped (mitmproxy would load a bad key silently); mitmproxy's
    # TlsConfig then reuses the store it checked (mitm_patches.reuse_checked_ca).
    ensure_ca(config.home)
    reuse_checked_ca()
    opts = options.Options(
        listen_host=config.listen_host,
        listen_port=config.port,
        confdir=str(config.confdir),
    )
    master = Master(opts, with_termlog=False)
    ours = goscope_addons()
    addon = next(a for a in ours if isinstance(a, GoscopeAddon))
    master.addons.add(ours[0])  # the router before mitmproxy's own: flow files see the client's URL
    master.addons.add(*mitmproxy_addons())
    # The check of the run's secret first: a refused client's requests reach no other member.
    access = ProxyAccess(on_foreign=addon.emit_foreign)
    har = HarRedactor()
    master.addons.add(AddonGroup(access, *ours[1:], har, Lifecycle(config, addon, har)))
    try:
        opts.update(**mitmproxy_options(config))
    except exceptions.OptionsError as exc:
        say({"type": "error", "error": str(exc)})
        return 2
    loop = asyncio.get_running_loop()
    settling: list[asyncio.Task[None]] = []

    def stop(why: str) -> None:
        if SHUTDOWN["why"] == "asked" or why != "asked":
            SHUTDOWN["why"] = why
        if not settling:
            settling.append(loop.create_task(settle(addon, master)))

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop, "signal")
    # The app asks the proxy to stop with a line on its stdin (launcher.py `stop`); an end
    # of stdin without it means the app died (its end of the pipe closed with it).
    threading.Thread(
        target=_wait_for_stop,
        args=(loop, stop, config.command_pgid_file),
        daemon=True,
        name="goscope-stdin",
    ).start()
    # The TUI's `g`: the guard on (SIGUSR1) or off (SIGUSR2) while the proxy runs. Only
    # there: another process of the user's turned a headless run's guard off (an outside
    # attack); ignored, the signals neither toggle nor end the proxy.
    for sig, on in ((signal.SIGUSR1, True), (signal.SIGUSR2, False)):
        if config.guard_toggle:
            loop.add_signal_handler(sig, functools.partial(opts.update, goscope_guard=on))
        else:
            signal.signal(sig, signal.SIG_IGN)
    await master.run()
    return 0


def _wait_for_stop(
    loop: asyncio.AbstractEventLoop, stop: Any, command_pgid_file: str | None
) -> None:
    why = "parent"
    with contextlib.suppress(OSError, ValueError):
        for line in sys.stdin:
            if line.strip() == "stop":
                why = "asked"
                break
    if why == "parent":
        stop_command_group(command_pgid_file)  # no orphan command either
    with contextlib.suppress(RuntimeError):  # the loop may be closing already
        loop.call_soon_threadsafe(stop, why)


def setup_logging(path: str | None) -> None:
    root = logging.getLogger()
    root.handlers.clear()
    root.setLevel(logging.INFO)
    handler: logging.Handler = logging.FileHandler(path) if path else logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    root.addHandler(handler)
    # mitmproxy logs every client and server connection at INFO: two records a request,
    # each formatted, written and handed to every addon (a tenth of a second on a 1,000-
    # request download), for a log that is removed with the run directory. Its warnings
    # and errors (a client that refuses the CA, an upstream TLS failure) stay.
    for noisy in ("mitmproxy", "hpack", "tornado", "asyncio", "quic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def main() -> int:
    os.umask(0o077)  # everything the proxy writes (recording, HAR, flows, log) is the user's alone
    try:
        config = ProxyConfig.from_json(sys.stdin.readline())  # one line; stdin stays open
        if config.token_shapes:
            use_token_shapes(config.token_shapes)
        setup_logging(config.log)
        return asyncio.run(serve(config))
    except Exception as exc:  # one line for the parent, never a traceback
        # goscope's own errors say what they are already; others are named by their type.
        said = str(exc) if isinstance(exc, HomeError) else f"{type(exc).__name__}: {exc}"
        say({"type": "error", "error": said})
        return 2


def exit_now(code: int) -> None:
    """Exit without the interpreter's teardown of mitmproxy's modules (0.1 s that every
    run would wait for): by now the addons' `done` hooks have closed the recording, the
    HAR and the flow file, and the stats line is out. Not under a profiler, which writes
    its results at a normal exit."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # the app may be gone: nobody to tell
            stream.flush()
    logging.shutdown()
    if os.environ.get("GOSCOPE_PROFILE_PROXY"):
        sys.exit(code)
    os._exit(code)


if __name__ == "__main__":
    exit_now(main())
