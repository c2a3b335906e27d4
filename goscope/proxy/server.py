"""The proxy process: mitmproxy's Master with goscope's addons, and nothing on the terminal.

Started by `launcher.ProxyProcess` as `python -m goscope.proxy.server` with a
JSON config on stdin. It answers with one JSON line on stdout (`ready` with
the bound port, or `error` with one clear sentence), writes the recording
itself, streams events to the app's Unix socket, and on SIGTERM shuts down
cleanly and prints a final `stats` line.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from typing import Any

from mitmproxy import addons, options
from mitmproxy.master import Master

from goscope.core.goenv import GoEnv
from goscope.core.redact import redact_har
from goscope.proxy.addon import EventSink, GoscopeAddon, Router, open_recording, parse_routes
from goscope.proxy.ca import ensure_ca

log = logging.getLogger("goscope.proxy")
# Taken at start: asking later could already see the adoptive parent of an orphan.
PARENT = os.getppid()


def say(obj: dict[str, Any]) -> None:
    try:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()
    except (BrokenPipeError, OSError, ValueError):
        pass  # the app is gone; nobody to tell


class Lifecycle:
    """Reports readiness once the listening socket is bound, and streams events."""

    def __init__(self, config: dict[str, Any], sink: EventSink, addon: GoscopeAddon):
        self.config = config
        self.sink = sink
        self.addon = addon
        self.stream_task: asyncio.Task | None = None

    async def running(self) -> None:
        from mitmproxy import ctx

        proxyserver = ctx.master.addons.get("proxyserver")
        addrs = proxyserver.listen_addrs()
        if not addrs:
            errors = [str(s.last_exception) for s in proxyserver.servers if s.last_exception]
            say({"type": "error", "error": explain_start_error(errors, self.config)})
            ctx.master.shutdown()
            return
        if self.config.get("events_socket"):
            queue = self.sink.start_stream()
            self.stream_task = asyncio.create_task(
                stream_events(self.config["events_socket"], queue, self.sink)
            )
        host, port = addrs[0][0], addrs[0][1]
        say({"type": "ready", "host": host, "port": port, "pid": os.getpid()})
        self.watch_task = asyncio.create_task(watch_parent(PARENT))

    async def done(self) -> None:
        if self.stream_task is not None:
            # Give the live stream a moment to drain, then stop.
            for _ in range(50):
                if self.sink.queue is None or self.sink.queue.empty():
                    break
                await asyncio.sleep(0.01)
            self.stream_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.stream_task
        if self.sink.recording is not None:
            self.sink.recording.flush()
            self.sink.recording.close()
        if self.config.get("har"):
            # mitmproxy's savehar addon ran its done hook before ours.
            redact_har_file(self.config["har"])
        say({"type": "stats", **self.addon.stats()})


async def watch_parent(parent: int) -> None:
    """Stop when the app that started us is gone (killed, crashed): no orphan proxies."""
    from mitmproxy import ctx

    while os.getppid() == parent:
        await asyncio.sleep(1.0)
    log.info("goscope: parent %s exited; stopping", parent)
    ctx.master.shutdown()


def redact_har_file(path: str) -> None:
    """Redact mitmproxy's HAR in place; a HAR that cannot be redacted is not left behind."""
    try:
        with open(path, encoding="utf-8") as fh:
            har = json.load(fh)
    except FileNotFoundError:
        return
    except (OSError, ValueError) as exc:
        log.error("goscope: cannot redact %s (%s): removed", path, exc)
        with contextlib.suppress(OSError):
            os.unlink(path)
        return
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(redact_har(har), fh, indent=2)
    os.replace(tmp, path)


async def stream_events(
    path: str, queue: asyncio.Queue[str], sink: EventSink | None = None
) -> None:
    """Drain the live queue into the app's socket; never slows the proxy down.

    When events had to be dropped from the live stream (the app lagged), a
    stats line tells the app how many, so it can say so.
    """
    try:
        _, writer = await asyncio.open_unix_connection(path)
    except OSError as exc:
        log.warning("goscope: cannot stream events to %s: %s", path, exc)
        return
    reported = 0
    try:
        while True:
            line = await queue.get()
            writer.write(line.encode() + b"\n")
            if sink is not None and sink.dropped != reported:
                reported = sink.dropped
                writer.write(
                    json.dumps({"type": "stats", "dropped_live": reported}).encode() + b"\n"
                )
            await writer.drain()
    except (ConnectionError, OSError):
        return
    finally:
        with contextlib.suppress(Exception):
            writer.close()


def _broken_classifier(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("injected fault: the classifier is broken")


def explain_start_error(errors: list[str], config: dict[str, Any]) -> str:
    text = "; ".join(errors) or "the proxy did not start"
    host, port = config.get("listen_host", "127.0.0.1"), config.get("port", 8080)
    if "address already in use" in text.lower():
        return f"port {port} on {host} is already in use (choose another with --port, or --port 0)"
    if "permission denied" in text.lower():
        return f"not allowed to listen on {host}:{port} (ports below 1024 need privileges)"
    if "cannot assign requested address" in text.lower():
        return f"cannot listen on {host}: no such local address"
    return f"the proxy could not start on {host}:{port}: {text}"


def base_options(config: dict[str, Any]) -> options.Options:
    return options.Options(
        listen_host=config.get("listen_host", "127.0.0.1"),
        listen_port=int(config.get("port", 8080)),
        confdir=config["confdir"],
    )


def addon_options(config: dict[str, Any]) -> dict[str, Any]:
    """Options the default addons define; set once they are loaded."""
    updates: dict[str, Any] = {
        # Resolve and connect only when a request needs it: --route must win.
        "connection_strategy": "lazy",
        "stream_large_bodies": config.get("stream_large_bodies", "1m"),
    }
    if config.get("upstream_proxy"):
        updates["mode"] = [f"upstream:{config['upstream_proxy']}"]
    if config.get("save_flows"):
        updates["save_stream_file"] = config["save_flows"]
    if config.get("har"):
        updates["hardump"] = config["har"]
    if config.get("ssl_insecure"):
        updates["ssl_insecure"] = True
    return updates


async def serve(config: dict[str, Any]) -> int:
    ensure_ca(config["home"])
    env = GoEnv.from_dict(config.get("environment") or {})
    recording = open_recording(
        config.get("recording"), env.to_dict(), command=config.get("command")
    )
    sink = EventSink(recording, queue_size=int(config.get("queue_size", 10000)))
    addon = GoscopeAddon(env, sink)
    if os.environ.get("GOSCOPE_FAULT_INJECTION") == "classifier":
        addon.classify = _broken_classifier  # the reliability tests prove traffic still flows
    lifecycle = Lifecycle(config, sink, addon)
    routes = parse_routes(config.get("routes") or [])
    opts = base_options({**config, "confdir": os.path.join(config["home"], "mitmproxy")})
    master = Master(opts, with_termlog=False)
    # The router goes first so that flow files and HAR see requests as the client made them.
    master.addons.add(Router(routes))
    master.addons.add(*addons.default_addons())
    master.addons.add(addon, lifecycle)
    opts.update(**addon_options(config))
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, master.shutdown)
    await master.run()
    return 0


def setup_logging(path: str | None) -> None:
    root = logging.getLogger()
    root.handlers.clear()
    root.setLevel(logging.INFO)
    handler: logging.Handler = logging.FileHandler(path) if path else logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    root.addHandler(handler)
    for noisy in ("hpack", "tornado", "asyncio", "quic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def main() -> int:
    os.umask(0o077)  # everything the proxy writes (recording, HAR, flows, log) is the user's alone
    try:
        config = json.loads(sys.stdin.read())
        setup_logging(config.get("log"))
        return asyncio.run(serve(config))
    except Exception as exc:  # one line for the parent, never a traceback
        say({"type": "error", "error": f"{type(exc).__name__}: {exc}"})
        return 2


if __name__ == "__main__":
    sys.exit(main())
