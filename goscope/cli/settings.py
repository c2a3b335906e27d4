"""goscope's own configuration: flags, GOSCOPE_<OPTION>, a project file, a user file.

Precedence, highest first: the command line, the environment (`GOSCOPE_PRIVATE`), the
project file (`.goscope.toml`, the nearest from the working directory up to the
repository root), the user file (`config.toml` in platformdirs' user config directory:
`$XDG_CONFIG_HOME/goscope/` on Linux). Keys are the long options' names.

A project file arrives with a clone: it is someone else's. It may add private patterns to
yours and turn the guard or --fail-on-leak on (never off); it never trusts a host, never
decides where traffic goes (`route`, `upstream-proxy`, `listen-host`) and never holds a
secret. Any bad file, key or value is one line naming
both, exit 2 (GoscopeError).
"""

from __future__ import annotations

import errno
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from .options import fail

PROJECT_FILE = ".goscope.toml"
USER_FILE = "config.toml"
FILE_LIMIT = 1 << 20  # a config file is a few lines; a larger one is not one
ENV_PREFIX = "GOSCOPE_"


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a string")
    return value


def _patterns(value: Any) -> str:
    """A comma-separated list, as the flag takes it; or a TOML array of strings."""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        value = ",".join(value)
    if not isinstance(value, str):
        raise ValueError("must be a string or a list of strings")
    kept = [v.strip() for v in value.split(",") if v.strip()]
    for pattern in kept:
        if "://" in pattern:
            raise ValueError(f"takes names, not a URL: {pattern!r}")
    return ",".join(kept)


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = value.strip().lower()
        if word in ("1", "true", "yes", "on"):
            return True
        if word in ("0", "false", "no", "off", ""):
            return False
    raise ValueError("must be true or false")


def _port(value: Any) -> int:
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535:
        raise ValueError("must be a port number, 0 to 65535")
    return value


def _routes(value: Any) -> tuple[str, ...]:
    from goscope.core.routes import RouteError, parse_routes

    if isinstance(value, str):
        value = value.split()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("must be HOST=URL, or a list of them")
    try:
        parse_routes(value)
    except RouteError as exc:
        from goscope.core.safe.redact import redact_value

        raise ValueError(redact_value(str(exc))) from None  # a route's URL may carry a password
    return tuple(value)


def _upstream(value: Any) -> str:
    from .options import check_upstream

    return check_upstream(_text(value))


@dataclass(frozen=True)
class Setting:
    key: str  # the long option's name: `fail-on-leak`
    parse: Callable[[Any], Any]
    help: str
    project: bool = True  # a project file may set it
    # What a project file may do over your user file: "" replace it, "add" add patterns to
    # yours, "on" turn it on but never off. A clone must not make goscope see less.
    over_user: str = ""
    why_mine: str = "it decides where traffic goes"  # why a project file may not set it
    commands: tuple[str, ...] = ("", "run", "proxy")  # "" is bare `goscope`
    # click's parameter name, where it is not the key's: in default_map a group's parameter
    # and a command's table share one namespace (`route` is also a command).
    name: str = ""

    @property
    def param(self) -> str:
        return self.name or self.key.replace("-", "_")

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.key.replace("-", "_").upper()


JUDGING = ("", "run", "proxy", "doctor", "route")
SETTINGS = (
    Setting(
        "private",
        _patterns,
        "module path patterns that are private (GOPRIVATE syntax)",
        commands=JUDGING,
        over_user="add",
    ),
    Setting(
        "trusted",
        _patterns,
        "hosts trusted with private paths",
        commands=JUDGING,
        project=False,
        why_mine="a host it names is never judged (trusting proxy.golang.org hides every leak)",
    ),
    Setting(
        "guard",
        _flag,
        "stop every would-be leak before it leaves",
        over_user="on",
        commands=("", "run", "proxy", "route"),  # route shows the steps it would answer
    ),
    Setting(
        "fail-on-leak",
        _flag,
        "exit 3 when a private module leaked",
        over_user="on",
        commands=("", "run"),  # proxy gives no verdict to exit with
    ),
    Setting("headless", _flag, "no TUI: a summary at the end", commands=("run",)),
    Setting(
        "port",
        _port,
        "the proxy's port (0: a free one)",
        commands=("", "run", "proxy", "env", "shell"),
    ),
    # Where traffic goes, and what may carry credentials: yours to say, never a clone's.
    Setting("listen-host", _text, "the address the proxy listens on", project=False),
    Setting("route", _routes, "forward HOST to URL", project=False, name="routes"),
    Setting("upstream-proxy", _upstream, "send traffic on through this proxy", project=False),
)
BY_KEY = {s.key: s for s in SETTINGS}


def defaults() -> dict[str, Any]:
    from goscope.proxy.config import DEFAULT_LISTEN_HOST, DEFAULT_PORT

    return {
        "private": "",
        "trusted": "",
        "guard": False,
        "fail-on-leak": False,
        "headless": False,
        "port": DEFAULT_PORT,
        "listen-host": DEFAULT_LISTEN_HOST,
        "route": (),
        "upstream-proxy": "",
    }


@dataclass
class Value:
    setting: Setting
    value: Any
    origin: str  # "default", "GOSCOPE_PRIVATE", "project file /x/.goscope.toml", …


@dataclass
class Settings:
    values: dict[str, Value] = field(default_factory=dict)  # set somewhere, by key
    project_file: Path | None = None
    user_file: Path | None = None

    def default_map(self) -> dict[str, Any]:
        """click's default_map: each command gets the values of the options it has (a
        flag on the command line still wins)."""
        out: dict[str, Any] = {}
        for v in self.values.values():
            for command in v.setting.commands:
                if v.setting.key == "port" and v.value == 0 and command in ("env", "shell"):
                    continue  # "a free port" names no running goscope: theirs is the newest
                target = out if command == "" else out.setdefault(command, {})
                target[v.setting.param] = v.value
        return out


def find_project_file(start: Path) -> Path | None:
    """The nearest `.goscope.toml` from `start` up to the repository root (the first
    directory holding `.git`), or up to the filesystem root outside a repository."""
    here = start.resolve()
    for directory in (here, *here.parents):
        candidate = directory / PROJECT_FILE
        if os.path.lexists(candidate) and not _planted(candidate):
            return candidate  # whatever it is: a FIFO or a link is refused, not skipped
        if (directory / ".git").exists():
            return None
    return None


def _planted(path: Path) -> bool:
    """Another user's file: outside a repository the walk reaches shared directories (/tmp),
    where anyone may leave one. It is not this project's, and must not stop goscope for
    everyone below it: passed over."""
    if not hasattr(os, "getuid"):
        return False
    try:
        return os.lstat(path).st_uid not in (os.getuid(), 0)
    except OSError:
        return False


def user_file() -> Path:
    """platformdirs' user config directory: $XDG_CONFIG_HOME/goscope (Linux),
    ~/Library/Application Support/goscope (macOS), %APPDATA%\\goscope (Windows)."""
    from platformdirs import user_config_dir

    return Path(user_config_dir("goscope", appauthor=False, roaming=True)) / USER_FILE


def _read(path: Path, project: bool) -> dict[str, Any]:
    from goscope.core.safe.files import UnsafeFile, read_regular

    if project and path.is_symlink():  # a clone's link may point anywhere on this machine
        raise fail(f"{path}: a symbolic link: goscope reads a project file only as itself")
    if project and hasattr(os, "getuid") and os.path.lexists(path):
        # Outside a repository the walk reaches shared directories (/tmp): a file another
        # user planted there is not this project's.
        owner = os.lstat(path).st_uid
        if owner not in (os.getuid(), 0):
            raise fail(f"{path}: owned by another user (uid {owner}): not read")
    try:
        data = read_regular(str(path), FILE_LIMIT)
    except UnsafeFile as exc:
        if exc.errno == errno.ENOENT:
            return {}
        raise fail(str(exc)) from None
    try:
        table = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise fail(f"{path}: not a TOML file ({exc})") from None
    except RecursionError:  # tomllib recurses per nested array: 500 brackets are enough
        raise fail(f"{path}: not a TOML file (nested too deeply)") from None
    out = {}
    for key, raw in table.items():
        setting = BY_KEY.get(key)
        if setting is None:
            raise fail(f"{path}: unknown key {key!r} (keys: {', '.join(BY_KEY)})")
        if project and not setting.project:
            raise fail(
                f"{path}: {key} is yours to set (a flag, {setting.env} or your user file), "
                f"never a project's: {setting.why_mine}"
            )
        out[key] = _parse(setting, raw, f"{path}: {key}")
        if project:
            _no_secret(setting, out[key], f"{path}: {key}")
    return out


def _parse(setting: Setting, raw: Any, where: str) -> Any:
    try:
        return setting.parse(raw)
    except ValueError as exc:
        raise fail(f"{where} {exc}") from None


def _no_secret(setting: Setting, value: Any, where: str) -> None:
    from goscope.core.safe.redact import redact_value

    text = (
        value
        if isinstance(value, str)
        else " ".join(map(str, value))
        if isinstance(value, tuple)
        else ""
    )
    if text and redact_value(text) != text:
        raise fail(f"{where} looks like it holds a secret: a project file never does")


def load_settings(cwd: Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Every setting that is set, with where it came from (environment > project > user)."""
    env = os.environ if env is None else env
    settings = Settings()
    settings.user_file = user_file()
    if cwd is None:
        try:
            cwd = Path.cwd()
        except OSError:
            raise fail("the working directory is gone (removed?): cd to one that exists") from None
    settings.project_file = find_project_file(cwd)
    layers: list[tuple[str, dict[str, Any]]] = [
        (f"user file {settings.user_file}", _read(settings.user_file, project=False))
    ]
    if settings.project_file is not None:
        layers.append(
            (
                f"project file {settings.project_file}",
                _read(settings.project_file, project=True),
            )
        )
    from_env = {}
    for setting in SETTINGS:
        if setting.env in env:
            from_env[setting.key] = _parse(setting, env[setting.env], setting.env)
    for origin, values in layers:
        for key, value in values.items():
            setting, prior = BY_KEY[key], settings.values.get(key)
            if prior is not None and origin.startswith("project"):
                if setting.over_user == "add" and prior.value:
                    # Yours first: the pattern a leak names is the one you wrote.
                    merged = ",".join(
                        dict.fromkeys(p for p in f"{prior.value},{value}".split(",") if p)
                    )
                    value, origin = merged, f"{prior.origin} + {origin}"
                elif setting.over_user == "on" and prior.value and not value:
                    continue  # a clone never turns off what you turned on
            settings.values[key] = Value(setting, value, origin)
    for key, value in from_env.items():
        settings.values[key] = Value(BY_KEY[key], value, BY_KEY[key].env)
    return settings


_MARKS = {
    "": "",
    "never": "  (never from a project file)",
    "add": "  (a project file adds to yours)",
    "on": "  (a project file may turn it on, never off)",
}


def shown(value: Any, key: str) -> str:
    """A value as `goscope config` prints it: credentials in a proxy URL redacted, and any
    token shape in any value (a token pasted into --trusted or --private was printed)."""
    from goscope.core.safe.redact import redact_url, redact_value

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):  # routes: HOST=URL, the URL's credentials redacted
        return (
            " ".join(f"{h}={redact_url(u)}" for h, _, u in (r.partition("=") for r in value)) or "-"
        )
    if key == "upstream-proxy" and value:
        return redact_url(str(value))
    return redact_value(str(value)) if value != "" else "-"


def json_value(value: Any, key: str) -> Any:
    """A value as `goscope config --json` gives it: typed as the setting is (a flag a
    boolean, the port a number, routes a list; unset text ""), redacted as `shown` is."""
    if isinstance(value, (bool, int)):
        return value
    if isinstance(value, tuple):
        return [shown((route,), key) for route in value]
    return "" if value == "" else shown(value, key)


@click.command("config")
@click.option("--json", "as_json", is_flag=True, help="Print the settings as JSON.")
def config(as_json: bool) -> None:
    """goscope's effective settings, each with where it comes from: GOSCOPE_<OPTION>, the
    project's .goscope.toml (nearest, up to the repository root), your user file, or the
    default. A flag on the command line beats them all."""
    settings = load_settings()
    base = defaults()
    rows: list[dict[str, Any]] = []
    for setting in SETTINGS:
        value = settings.values.get(setting.key)
        effective = value.value if value else base[setting.key]
        rows.append(
            {
                "key": setting.key,
                "value": (json_value if as_json else shown)(effective, setting.key),
                "origin": value.origin if value else "default",
                "env": setting.env,
                "project_may_set": setting.project,
                "help": setting.help,
            }
        )
    files = {
        "project_file": str(settings.project_file) if settings.project_file else None,
        "user_file": str(settings.user_file),
    }
    if as_json:
        from goscope.core.safe.jsontext import pretty_json

        click.echo(pretty_json({"settings": rows, **files}))
        return
    from goscope.core.safe.visible import visible

    click.echo(
        "goscope's settings (a flag > GOSCOPE_<OPTION> > project file > user file > default)"
    )
    width = max(len(r["value"]) for r in rows)
    for r in rows:
        mark = _MARKS[BY_KEY[r["key"]].over_user if r["project_may_set"] else "never"]
        click.echo(visible(f"  {r['key']:<15} {r['value']:<{min(width, 40)}}  {r['origin']}{mark}"))
    user = settings.user_file
    click.echo(
        visible(f"project file: {files['project_file'] or '(none up to the repository root)'}")
    )
    click.echo(visible(f"user file:    {user}{'' if user and user.exists() else ' (none)'}"))
