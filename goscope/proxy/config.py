"""The proxy's settings, with their defaults in one place (no mitmproxy import here)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from goscope.core.home import confdir
from goscope.core.safe.jsontext import json_safe

DEFAULT_PORT = 8080
DEFAULT_LISTEN_HOST = "127.0.0.1"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
DEFAULT_QUEUE_SIZE = 10000  # events the live stream holds before it drops (all are recorded)
STREAM_LARGE_BODIES = "1m"  # bodies above this pass through unbuffered


@dataclass
class ProxyConfig:
    home: Path
    port: int = DEFAULT_PORT
    listen_host: str = DEFAULT_LISTEN_HOST
    routes: list[str] = field(default_factory=list)
    upstream_proxy: str | None = None
    recording: str | None = None
    environment: dict[str, Any] = field(default_factory=dict)
    environment_source: str = "command"  # or "goscope": its own, not a command's
    command: list[str] | None = None
    events_socket: str | None = None
    save_flows: str | None = None
    har: str | None = None
    log: str | None = None
    ssl_insecure: bool = False
    # The roots go trusts (core/gorules/roots.py): goscope verifies upstream servers with them, so
    # a TLS-inspecting proxy go trusts is trusted by goscope too, and nothing else is.
    upstream_ca: str | None = None
    upstream_ca_dir: str | None = None
    queue_size: int = DEFAULT_QUEUE_SIZE
    # Where the run engine writes the command's process group: if goscope dies (even by
    # SIGKILL), the proxy's watchdog ends that group too, so no go outlives it.
    command_pgid_file: str | None = None
    stream_large_bodies: str = STREAM_LARGE_BODIES
    # The redaction regex (core/safe/redact.py `token_shapes_source`), composed by the app: the
    # proxy need not import detect-secrets itself.
    token_shapes: str | None = None
    # The app that started the proxy: the proxy stops when it is gone (even if it died
    # before the proxy had read this).
    parent_pid: int | None = None
    # The judging context the recording's header keeps (--private, --trusted, the guard),
    # so that a recording read later gives the run's own verdict.
    judging: dict[str, Any] = field(default_factory=dict)
    # Where the run was made (core/traffic/context.py): its id, start, directory, main
    # module and CI run, for the header (audits group runs by it).
    context: dict[str, Any] = field(default_factory=dict)
    # Answer every would-be leak locally, never forward it (guard.py).
    guard: bool = False
    # The TUI's `g`: SIGUSR1 and SIGUSR2 turn the guard on and off. Else they are ignored:
    # any process of the user's could send one, and `run --guard` went on unguarded.
    guard_toggle: bool = False
    # The run's secret: clients must send it as the proxy password (access.py). Never
    # recorded; the run directory keeps it 0600 for `goscope env` and `goscope shell`.
    secret: str | None = None
    # The run's private directory: mitmproxy's raw HAR is written there before it is
    # redacted (removed with the directory on every way out).
    rundir: Path | None = None

    def to_json(self) -> str:
        data = asdict(self)
        data["home"] = str(self.home)
        data["rundir"] = str(self.rundir) if self.rundir else None
        # What the recording's header keeps, as text (safe/jsontext.py); paths keep their bytes.
        for name in ("environment", "command", "judging", "context"):
            data[name] = json_safe(data[name])
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> ProxyConfig:
        data = json.loads(text)
        data["home"] = Path(data["home"])
        data["rundir"] = Path(data["rundir"]) if data.get("rundir") else None
        return cls(**data)

    @property
    def confdir(self) -> Path:
        return confdir(self.home)
