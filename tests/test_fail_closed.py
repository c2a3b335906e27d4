"""Fail closed: no hostile process, dead proxy, full disk or reopened recording yields a clean
verdict, and no sender's secret is kept. Each test runs the real proxy (and the real go where
go is what a user would run); each attack was a way goscope failed open before.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from goscope.core.traffic.recording import read_recording

from .e2e import goscope_run
from .modserver import HostBehaviour, ModServer, Module

pytestmark = pytest.mark.e2e
LIB = Module("example.com/lib", "v1.0.0")
CURL = shutil.which("curl")


class Proxy:
    """`goscope proxy`, as a user starts it in one terminal, and `goscope env` for another."""

    def __init__(self, tmp: Path, routes: list[str], *extra: str):
        self.home = tmp / "home"
        self.env = {**os.environ, "GOSCOPE_HOME": str(self.home)}
        self.recording = tmp / "r.jsonl"
        args = ["proxy", "--port", "0", "--jsonl", str(self.recording), *extra]
        for route in routes:
            args += ["--route", route]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "goscope", *args],
            env=self.env,
            stderr=subprocess.PIPE,
            text=True,
        )
        first = self.proc.stderr.readline()
        assert "listening on http://127.0.0.1:" in first, first
        self.port = int(first.strip().rsplit(":", 1)[1])
        out = subprocess.run(
            [sys.executable, "-m", "goscope", "env", "--port", str(self.port), "--json"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        self.wiring: dict[str, str] = json.loads(out.stdout)

    def server_process(self) -> psutil.Process:
        children = psutil.Process(self.proc.pid).children()
        return next(c for c in children if "goscope.proxy.server" in " ".join(c.cmdline()))

    def stop(self) -> str:
        self.proc.send_signal(signal.SIGINT)
        _, err = self.proc.communicate(timeout=30)
        return err


def curl(url: str, env: dict[str, str], *args: str, timeout: float = 30) -> tuple[str, float]:
    """(the HTTP status curl got, seconds it took)."""
    started = time.monotonic()
    out = subprocess.run(
        [CURL or "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", *args, url],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return out.stdout, time.monotonic() - started


needs_curl = pytest.mark.skipif(CURL is None, reason="curl is not installed")


# -- 1. sender attribution cannot be turned against the proxy ---------------------------------
@needs_curl
@pytest.mark.parametrize("goenv", ["fifo", "/dev/zero"])
def test_a_sender_whose_goenv_is_a_fifo_or_dev_zero_holds_up_no_one(tmp_path, goenv):
    hosts = {"proxy.example": HostBehaviour([LIB])}
    with ModServer(hosts) as server:
        proxy = Proxy(tmp_path, server.routes())
        try:
            path = str(tmp_path / "goenv.fifo") if goenv == "fifo" else goenv
            if goenv == "fifo":
                os.mkfifo(path)
            hostile = {**os.environ, **proxy.wiring, "GOENV": path}
            # The hostile sender holds its connection open (a slow download) while another
            # client, wired the same way, asks for a module.
            holder = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    "import socket, sys, time; s = socket.create_connection(('127.0.0.1', "
                    f"{proxy.port})); s.sendall(b'CONNECT proxy.example:443 HTTP/1.1\\r\\n"
                    "Host: proxy.example:443\\r\\n\\r\\n'); time.sleep(20)",
                ],
                env=hostile,
            )
            hostile_curl = subprocess.Popen(
                [
                    CURL or "curl",
                    "-s",
                    "-o",
                    "/dev/null",
                    "https://proxy.example/example.com/lib/@v/list",
                ],
                env=hostile,
            )
            time.sleep(0.3)
            env = {**os.environ, **proxy.wiring}
            status, took = curl("https://proxy.example/example.com/lib/@v/v1.0.0.info", env)
            assert status == "200" and took < 2.0, (status, took)  # a FIFO used to hang it
            assert hostile_curl.wait(timeout=30) == 0
            rss = proxy.server_process().memory_info().rss
            assert rss < 400 * 2**20, rss  # /dev/zero used to grow it past 1.2 GB
            holder.kill()
        finally:
            err = proxy.stop()
    assert "Traceback" not in err
    rec = read_recording(str(proxy.recording))
    notes = [s.get("note") or "" for s in rec.senders.values()]
    kind = "a FIFO" if goenv == "fifo" else "a character device"
    assert any(f"not a regular file ({kind})" in n for n in notes), notes
    # Judged by its own variables (its GOENV among them), and the verdict says the file's
    # patterns are unknown: its whole environment used to be dropped, a GONOPROXY with it.
    judged = [s for s in rec.senders.values() if s.get("partial")]
    assert judged and all(s["environment"] for s in judged), judged
    assert any("known only in part" in r for r in rec.incomplete())


def test_doctor_and_route_read_a_hostile_goenv_in_one_line(tmp_path):
    fifo = tmp_path / "env.fifo"
    os.mkfifo(fifo)
    for goenv in (str(fifo), "/dev/zero"):
        env = {**os.environ, "GOENV": goenv, "GOSCOPE_HOME": str(tmp_path / "home")}
        for args in (["doctor"], ["route", "example.com/mod@v1.0.0"]):
            out = subprocess.run(
                [sys.executable, "-m", "goscope", *args],
                env=env,
                capture_output=True,
                text=True,
                timeout=30,  # a FIFO used to hang, /dev/zero to end in MemoryError
            )
            assert "Traceback" not in out.stderr, out.stderr
            if args == ["doctor"]:
                assert out.returncode == 1 and "goenv-unreadable" in out.stdout
                assert "not a regular file" in out.stdout


# -- 2. a sender's environment and go's GOAUTH headers are never kept raw ----------------------
PLANTED = {
    "GIT_PASSWORD": "sec-git-password-1",
    "GOOGLE_CLIENT_SECRET": "sec-google-2",
    "GIT_CONFIG_COUNT": "1",
    "GIT_CONFIG_KEY_0": "http.extraHeader",
    "GIT_CONFIG_VALUE_0": "PRIVATE-TOKEN: sec-gitlab-3",
    "GIT_CONFIG_PARAMETERS": "'http.extraheader=Authorization: Bearer sec-param-4'",
    "GOAUTH": "/usr/local/bin/corp-auth --token=sec-goauth-5",
    "GOFLAGS": "-modcacherw",
}


@needs_curl
def test_planted_secrets_reach_no_output(tmp_path):
    echo = b"not found\nX-Vault-Token: sec-vault-7\nX-Gitlab-Token: sec-gitlab-8\n"
    hosts = {"proxy.example": HostBehaviour(status=404, body=echo)}
    with ModServer(hosts) as server:
        env = {**os.environ, "GOSCOPE_HOME": str(tmp_path / "home"), **PLANTED}
        outputs = {name: tmp_path / name for name in ("r.json", "r.jsonl", "s.md", "s.sarif")}
        config = tmp_path / "curl.config"  # the header is not on any command line
        config.write_text(
            'user-agent = "GoCommand/1 (+https://go.dev/cmd/go)"\n'  # go, as goscope sees it
            'header = "x-corp-id: sec-header-6"\n'  # what a GOAUTH command adds
        )
        command = [
            CURL or "curl",
            "-s",
            "-K",
            str(config),
            "https://proxy.example/example.com/lib/@v/list",
        ]
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "goscope",
                "run",
                "--headless",
                "--port",
                "0",
                "--json",
                str(outputs["r.json"]),
                "--jsonl",
                str(outputs["r.jsonl"]),
                "--markdown",
                str(outputs["s.md"]),
                "--sarif",
                str(outputs["s.sarif"]),
                *[a for r in server.routes() for a in ("--route", r)],
                "--",
                *command,
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert run.returncode == 0, run.stderr
    texts = {name: path.read_text() for name, path in outputs.items()}
    texts["summary"] = run.stderr
    report = json.loads(texts["r.json"])
    assert report["events"] and report["senders"], "the sender was seen and judged"
    for name, text in texts.items():
        found = [m for m in ("sec-", "corp-auth --token") if m in text]
        assert found == [], f"{name} holds {found}"
    sender = report["senders"][0]
    assert "GIT_PASSWORD" not in json.dumps(sender) and "GOOGLE" not in json.dumps(sender)
    assert sender["environment"]["GOAUTH"]["value"] == "corp-auth"  # its command's name only
    headers = dict(report["events"][0]["request_headers"])
    assert headers["x-corp-id"] == "REDACTED"


# -- 3. only processes goscope wired use its proxy ---------------------------------------------
@needs_curl
def test_a_client_goscope_did_not_wire_is_refused_and_never_judged(tmp_path):
    hosts = {"proxy.golang.org": HostBehaviour(status=404)}
    with ModServer(hosts) as server:
        home = tmp_path / "home"
        env = {**os.environ, "GOSCOPE_HOME": str(home)}
        port = _free_port()
        stranger = (
            f"{CURL} -s -o /dev/null -w %{{http_connect}} -x http://127.0.0.1:{port} "
            "-k https://proxy.golang.org/corp.example/secret/@v/list"
        )
        if os.geteuid() == 0:  # another user's process, as on a shared machine
            stranger = f"runuser -u nobody -- {stranger}"
        script = f"sleep 1; {stranger} > {tmp_path / 'status'}; sleep 0.5"
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "goscope",
                "run",
                "--headless",
                "--port",
                str(port),
                "--fail-on-leak",
                "--private",
                "corp.example",
                "--json",
                str(tmp_path / "r.json"),
                *[a for r in server.routes() for a in ("--route", r)],
                "--",
                "sh",
                "-c",
                script,
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert (tmp_path / "status").read_text() == "407"
    assert run.returncode == 0, run.stderr  # not the command's traffic: no leak, no exit 3
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["leaks"] == [] and report["events"] == []
    (foreign,) = report["foreign"]
    assert foreign["attempts"][0]["target"] == "proxy.golang.org:443"
    assert "Refused: 1 connection from processes goscope did not wire" in run.stderr
    assert not any(server.requests or []), "the stranger's request never went upstream"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- 4. a dead proxy is never a clean run ----------------------------------------------------
def test_a_proxy_killed_mid_run_is_an_incomplete_verdict(go_module_workspace, tmp_path):
    work, env = go_module_workspace([(LIB.path, LIB.version)])
    env["GOPROXY"] = "https://proxy.example"
    hosts = {"proxy.example": HostBehaviour([LIB])}
    # The command asks once, then the proxy is killed (SIGKILL: no word from it), then go
    # tries to download through a proxy that is gone.
    script = (
        "go list -m -versions example.com/lib >/dev/null; "
        # (the pattern's brackets keep it from matching this script's own command line)
        "pkill -KILL -P \"$PPID\" -f 'goscope[.]proxy[.]server'; sleep 0.5; "
        "go mod download; true"
    )
    har = tmp_path / "out.har"
    har.write_text("{}\n")  # the last run's: a killed proxy left it, and said nothing
    har.chmod(0o600)
    with ModServer(hosts) as server:
        run = goscope_run(
            [*[a for r in server.routes() for a in ("--route", r)], "--fail-on-leak"]
            + ["--har", str(har)],
            ["sh", "-c", script],
            work,
            env,
            tmp_path,
        )
    assert run.returncode == 4, run.stderr[-3000:]  # the command exited 0; the verdict did not
    assert "--har not written: the proxy ended before writing it" in run.stderr
    assert run.report["unwritten"] == ["--har not written: the proxy ended before writing it"]
    assert "proxyconnect" in run.stderr  # go's own words: it could not reach the proxy
    assert "INCOMPLETE" in run.stderr and "the proxy process ended" in run.stderr
    assert run.report["complete"] is False
    assert any("never reported its count" in r for r in run.report["incomplete"])


# -- 5. a full disk loses no verdict ---------------------------------------------------------
def size_limit(limit: int | None):
    """A preexec_fn holding goscope's processes to `limit` bytes a file (None: no limit)."""
    if limit is None:
        return None
    import resource

    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


@pytest.fixture
def small_disk(tmp_path):
    """A 64 KiB tmpfs where goscope may mount one (root); else a file-size limit."""
    mount = tmp_path / "small"
    mount.mkdir()
    if os.geteuid() == 0:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True
        )
        if done.returncode == 0:
            yield mount, None
            subprocess.run(["umount", "-l", str(mount)], capture_output=True)
            return
    yield mount, 48 * 1024  # RLIMIT_FSIZE for goscope's processes


def test_a_full_disk_loses_events_but_never_the_verdict(small_disk, tmp_path):
    mount, limit = small_disk
    modules = [
        Module(f"example.com/m{i:03d}", "v1.0.0", {"pad.txt": "x" * 2000}) for i in range(60)
    ]
    hosts = {"proxy.example": HostBehaviour(modules)}
    urls = " ".join(
        f"https://proxy.example/{m.path}/@v/v1.0.0.info https://proxy.example/{m.path}/@v/v1.0.0.mod"
        for m in modules
    )
    env = {**os.environ, "GOSCOPE_HOME": str(tmp_path / "home")}
    preexec = size_limit(limit)

    with ModServer(hosts) as server:
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "goscope",
                "run",
                "--headless",
                "--port",
                "0",
                "--jsonl",
                str(mount / "r.jsonl"),  # on the full disk
                "--json",
                str(tmp_path / "r.json"),  # on a healthy one
                *[a for r in server.routes() for a in ("--route", r)],
                "--",
                "sh",
                "-c",
                f"for u in {urls}; do {CURL or 'curl'} -s -o /dev/null -A GoCommand/1 $u; done",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            preexec_fn=preexec,
        )
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    assert run.returncode == 4, run.stderr[-3000:]
    report = json.loads((tmp_path / "r.json").read_text())  # written all the same
    assert report["complete"] is False
    lost = [r for r in report["incomplete"] if "were not recorded" in r]
    assert lost and ("No space left" in lost[0] or "too large" in lost[0].lower()), report
    assert "INCOMPLETE" in run.stderr
    assert len(report["events"]) < 120  # what was recorded, no more, and said so


# -- 6. a recording reopened keeps its verdict -----------------------------------------------
def test_report_of_a_private_run_gives_the_runs_own_leaks(tmp_path):
    hosts = {"proxy.golang.org": HostBehaviour(status=404)}
    env = {**os.environ, "GOSCOPE_HOME": str(tmp_path / "home")}
    on_ci = {**env, "GITLAB_CI": "true", "CI_PROJECT_PATH": "acme/app", "CI_PIPELINE_ID": "77"}
    with ModServer(hosts) as server:
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "goscope",
                "run",
                "--headless",
                "--port",
                "0",
                "--private",
                "corp.example",
                "--fail-on-leak",
                "--jsonl",
                str(tmp_path / "r.jsonl"),
                *[a for r in server.routes() for a in ("--route", r)],
                "--",
                CURL or "curl",
                "-s",
                "-A",
                "GoCommand/1",
                "https://proxy.golang.org/corp.example/secret/@v/list",
            ],
            env=on_ci,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert run.returncode == 3, run.stderr
    later = subprocess.run(
        [
            sys.executable,
            "-m",
            "goscope",
            "report",
            str(tmp_path / "r.jsonl"),
            "--json",
            str(tmp_path / "r.json"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert later.returncode == 0, later.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert [(x["module"], x["host"]) for x in report["leaks"]] == [
        ("corp.example/secret", "proxy.golang.org")
    ]
    assert report["judging"]["private"] == "corp.example"
    overridden = subprocess.run(
        [sys.executable, "-m", "goscope", "report", str(tmp_path / "r.jsonl"), "--private", ""],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "overrides the recording's" in overridden.stderr and "0 leaks" in overridden.stdout
    diff = subprocess.run(
        [
            sys.executable,
            "-m",
            "goscope",
            "diff",
            str(tmp_path / "r.jsonl"),
            str(tmp_path / "r.jsonl"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert diff.returncode == 0, diff.stdout + diff.stderr
    # Across runs too: the audit judges the run by its recorded context, and names the
    # repository the CI said it ran for (the header's context).
    header = json.loads((tmp_path / "r.jsonl").read_text().splitlines()[0])
    assert header["context"]["ci"] == {
        "provider": "gitlab",
        "repository": "acme/app",
        "run_id": "77",
    }
    assert (
        header["context"]["cwd"] == str(tmp_path.resolve()) and len(header["context"]["id"]) == 32
    )
    audit = subprocess.run(
        [sys.executable, "-m", "goscope", "audit", str(tmp_path / "r.jsonl"), "--json", "-"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert audit.returncode == 3, audit.stderr
    found = json.loads(audit.stdout)
    assert [(x["module"], x["host"], x["runs"], x["repositories"]) for x in found["leaks"]] == [
        ("corp.example/secret", "proxy.golang.org", 1, ["acme/app"])
    ]


# -- 7. no reassurance from nothing ----------------------------------------------------------
def test_diff_never_says_no_regression_of_a_cut_empty_or_failed_b(tmp_path):
    env = {**os.environ, "GOSCOPE_HOME": str(tmp_path / "home")}
    a = tmp_path / "a.json"
    a.write_text(json.dumps({"fetches": [], "leaks": [], "go_errors": [], "exit_code": 0}))

    def diff(b: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "goscope", "diff", str(a), str(b)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    failed = tmp_path / "failed.json"
    failed.write_text(json.dumps({"fetches": [], "leaks": [], "go_errors": [], "exit_code": 1}))
    out = diff(failed)
    assert out.returncode == 1 and "B regressed" in out.stdout and "exit 1" in out.stdout
    cut = tmp_path / "cut.jsonl"
    cut.write_text('{"format":"goscope-recording","schema_version":1,"environment":{}}\n')
    out = diff(cut)
    assert out.returncode == 4 and "INCOMPLETE" in out.stdout and "no regression" not in out.stdout
    for bad, why in (
        ("{}", "no fetches list"),
        ('{"fetches": [1], "leaks": [], "go_errors": []}', "not an object"),
        ("[" * 5000 + "]" * 5000, "not a goscope report"),
    ):
        path = tmp_path / "bad.json"
        path.write_text(bad)
        out = diff(path)
        assert out.returncode == 2 and why in out.stderr, out.stderr
        assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr


# -- 8. the TUI exits with its terminal ------------------------------------------------------
@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
@pytest.mark.parametrize("how", ["kill-pane", "kill-server"])
def test_the_tui_is_gone_within_a_second_of_its_terminal(tmp_path, how):
    home = tmp_path / "home"
    socket_name = f"goscope-test-{os.getpid()}-{how}"
    tmux = ["tmux", "-L", socket_name]
    env = {**os.environ, "GOSCOPE_HOME": str(home), "TERM": "xterm-256color"}
    marker = f"sleep {9000 + os.getpid() % 999}"  # the command goscope runs, to find it by
    command = f"{sys.executable} -m goscope run --port 0 -- {marker}"
    subprocess.run(
        [*tmux, "new-session", "-d", "-x", "120", "-y", "40", "bash --norc"], env=env, check=True
    )
    try:
        subprocess.run([*tmux, "send-keys", command, "Enter"], env=env, check=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            screen = subprocess.run(
                [*tmux, "capture-pane", "-p"], env=env, capture_output=True, text=True
            ).stdout
            if "command running" in screen:
                break
            time.sleep(0.2)
        else:
            pytest.fail(f"the TUI never showed its command running:\n{screen}")
        goscope = next(
            p
            for p in psutil.process_iter(["cmdline"])
            if "goscope" in (cmd := " ".join(p.info["cmdline"] or [])) and cmd.endswith(marker)
        )
        family = [goscope, *goscope.children(recursive=True)]
        assert len(family) >= 3, family  # goscope, its proxy, the command
        assert any((home / "runs").iterdir())
        subprocess.run([*tmux, "kill-pane" if how == "kill-pane" else "kill-server"], env=env)
        time.sleep(1.0)
        alive = [p for p in family if _alive(p)]
        assert alive == [], alive  # a second later: goscope, its proxy and the command
        assert list((home / "runs").iterdir()) == []  # the run directory is gone too
    finally:
        subprocess.run([*tmux, "kill-server"], env=env, capture_output=True)


def _alive(process: psutil.Process) -> bool:
    """Still running (a zombie has exited: only its parent, gone too, could reap it)."""
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_the_tui_is_gone_within_a_second_of_a_terminal_that_hangs_up_unsignalled(tmp_path):
    # A terminal that is not goscope's controlling one (or whose SIGHUP went elsewhere): it
    # stops being read (a dropped ssh connection), then hangs up. goscope used to stay
    # behind for good, stuck writing to it.
    import fcntl
    import pty
    import select
    import struct
    import termios

    home = tmp_path / "home"
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = {**os.environ, "GOSCOPE_HOME": str(home), "TERM": "xterm-256color"}
    marker = str(9000 + os.getpid() % 999)
    proc = subprocess.Popen(
        [sys.executable, "-m", "goscope", "run", "--port", "0", "--", "sleep", marker],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,  # no controlling terminal: no SIGHUP will come
    )
    os.close(slave)
    family: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(family) < 3:
            if select.select([master], [], [], 0.2)[0]:
                os.read(master, 65536)  # the terminal works: it is read
            parent = psutil.Process(proc.pid)
            family = [parent, *parent.children(recursive=True)]
        assert len(family) >= 3, family  # goscope, its proxy, the command
        time.sleep(2)  # nobody reads any more
        os.close(master)  # then the terminal hangs up
        time.sleep(1.0)
        assert [p for p in family if _alive(p)] == []
        assert list((home / "runs").iterdir()) == []
    finally:
        for p in family:
            with contextlib.suppress(psutil.NoSuchProcess):
                p.kill()


# -- 9. run directories and the goscope that env and shell wire --------------------------------
def test_goscope_home_removed_mid_run_still_gives_the_verdict(tmp_path):
    home = tmp_path / "home"
    hosts = {"proxy.example": HostBehaviour([LIB])}
    with ModServer(hosts) as server:
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "goscope",
                "run",
                "--headless",
                "--port",
                "0",
                "--json",
                str(tmp_path / "r.json"),
                *[a for r in server.routes() for a in ("--route", r)],
                "--",
                "sh",
                "-c",
                f"{CURL or 'curl'} -s -o /dev/null -A GoCommand/1 "
                "https://proxy.example/example.com/lib/@v/list; "
                f"rm -rf {home}",  # the recording's directory goes with it
            ],
            env={**os.environ, "GOSCOPE_HOME": str(home)},
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert "Traceback" not in run.stderr, run.stderr
    assert run.returncode == 0, run.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["complete"] is True and len(report["events"]) == 1  # read through its fd


def test_a_goscope_killed_outright_leaves_nothing_the_next_one_keeps(tmp_path):
    home = tmp_path / "home"
    env = {**os.environ, "GOSCOPE_HOME": str(home)}
    proxy = subprocess.Popen(
        [sys.executable, "-m", "goscope", "proxy", "--port", "0"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    port = int(proxy.stderr.readline().strip().rsplit(":", 1)[1])
    stale = list((home / "runs").iterdir())
    assert len(stale) == 1 and (stale[0] / "session.json").exists()
    proxy.kill()  # SIGKILL: no code of goscope's runs; its proxy stops by itself
    proxy.wait(timeout=10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _listening(port):
        time.sleep(0.1)
    for command in (["env"], ["shell"]):  # the session file is left, but nobody listens
        out = subprocess.run(
            [sys.executable, "-m", "goscope", *command, "--port", str(port)],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert out.returncode == 2 and "no goscope of yours is listening" in out.stderr
    out = subprocess.run(
        [sys.executable, "-m", "goscope", "run", "--headless", "--port", "0", "--", "true"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert list((home / "runs").iterdir()) == []  # the dead one's directory went too


def test_a_session_file_of_a_reused_pid_is_not_a_running_goscope(tmp_path):
    from goscope.run.rundirs import announce, find_running

    home = tmp_path / "home"
    rundir = home / "runs" / "run-x"
    rundir.mkdir(parents=True)
    with socket_listening() as port:  # this process listens, and its pid is alive...
        announce(rundir, port, "127.0.0.1", "s" * 32, proxy_pid=os.getpid())
        assert find_running(home) is not None
        data = json.loads((rundir / "session.json").read_text())
        data["start"] = "1"  # ...but it is another process now (the pid was reused)
        (rundir / "session.json").write_text(json.dumps(data))
        assert find_running(home) is None
    # The proxy died and another program (another user's, say) took its port: the goscope
    # is alive, something listens, but not its proxy: never wired, the secret never sent.
    other = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import socket,time;s=socket.socket();s.bind(('127.0.0.1',0));"
            "s.listen();print(s.getsockname()[1],flush=True);time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        taken = int(other.stdout.readline())
        with socket_listening():
            announce(rundir, taken, "127.0.0.1", "s" * 32, proxy_pid=os.getpid())
            assert _listening(taken) and find_running(home) is None
    finally:
        other.kill()


@contextlib.contextmanager
def socket_listening():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


def _listening(port: int) -> bool:
    import socket

    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
        return True
    return False


# -- 10. what an outsider's second attack found ------------------------------------------------
def _recording(tmp_path: Path, events: list, end: dict | None) -> Path:
    from goscope.core.traffic.recording import end_line, header_line

    path = tmp_path / "r.jsonl"
    lines = [header_line({}), *(e.to_json() for e in events)]
    if end is not None:
        lines.append(end_line(**end))
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize(
    ("end", "why"),
    [
        ({"exit_code": 0, "stats": {"events": 2, "sender_timeouts": 3}}, "could not be tied"),
        ({"exit_code": 0, "stats": {"internal_errors": 0}}, "count is missing or malformed"),
        ({"exit_code": 0, "stats": {"events": "2"}}, "count is missing or malformed"),
        ({"exit_code": 0, "stats": {"events": 2, "tls_failed": 1}}, "failed TLS with goscope"),
        (
            {"exit_code": 0, "stats": {"events": 2, "handshaking_at_stop": 1}},
            "still in their TLS handshake when goscope stopped",
        ),
        (
            {"exit_code": 0, "stats": {"events": 2}, "incomplete": ["the proxy process ended"]},
            "the proxy process ended",
        ),
    ],
)
def test_a_recording_whose_count_or_end_says_so_is_incomplete(tmp_path, end, why):
    from goscope.core.traffic.recording import read_recording

    from .factories import event

    events = [event(f"https://proxy.golang.org/example.com/m{i}/@v/list", 200) for i in (1, 2)]
    events[1].seq = 2
    reasons = read_recording(str(_recording(tmp_path, events, end))).incomplete()
    assert any(why in r for r in reasons), reasons


def test_events_removed_repeated_or_left_in_flight_make_it_incomplete(tmp_path):
    from goscope.core.traffic.recording import read_recording

    from .factories import event

    events = [event(f"https://proxy.golang.org/example.com/m{i}/@v/list", 200) for i in (1, 2, 3)]
    for i, e in enumerate(events, 1):
        e.seq = i
    whole = {"exit_code": 0, "stats": {"events": 3}}
    assert read_recording(str(_recording(tmp_path, events, whole))).incomplete() == []
    gap = [events[0], events[2], events[2]]  # #2 removed, #3 twice: the count still holds
    reasons = read_recording(str(_recording(tmp_path, gap, whole))).incomplete()
    assert any("not numbered 1 to 3 once each (1 missing, 1 repeated)" in r for r in reasons)
    events[2].flags = ["interrupted"]
    reasons = read_recording(str(_recording(tmp_path, events, whole))).incomplete()
    assert any("still waiting for an answer" in r for r in reasons)


def test_a_second_end_line_or_lines_after_the_end_are_never_a_whole_run(tmp_path):
    """goscope writes one end line, last. A file with two (the first counting internal
    errors), or with an end line in its middle, was judged by the last one read: complete,
    exit 0. Now the first end line stands, and what follows it makes the verdict
    incomplete (exit 4)."""
    from goscope.core.traffic.recording import end_line, header_line

    from .factories import event

    events = [event(f"https://proxy.golang.org/example.com/m{i}/@v/list", 200) for i in (1, 2)]
    for i, e in enumerate(events, 1):
        e.seq = i
    bad_end = end_line(exit_code=0, stats={"events": 2, "internal_errors": 5})
    good_end = end_line(exit_code=0, stats={"events": 2})
    files = {
        "two-ends": [header_line({}), *(e.to_json() for e in events), bad_end, good_end],
        "mid-end": [header_line({}), events[0].to_json(), good_end, events[1].to_json()],
        # A run killed before its first request, then a whole run written into the same
        # file: the second run's requests were judged by the first header (exit 0, its
        # leaks gone).
        "two-headers": [header_line({}), header_line({}), *(e.to_json() for e in events), good_end],
    }
    for name, lines in files.items():
        path = tmp_path / f"{name}.jsonl"
        path.write_text("\n".join(lines) + "\n")
        reasons = read_recording(str(path)).incomplete()
        assert reasons, name
        out = subprocess.run(
            [sys.executable, "-m", "goscope", "report", str(path)],
            capture_output=True, text=True, timeout=60,
            env={**os.environ, "GOSCOPE_HOME": str(tmp_path / "home")},
        )  # fmt: skip
        assert out.returncode == 4, (name, out.stderr)
    reasons = read_recording(str(tmp_path / "two-ends.jsonl")).incomplete()
    assert any("could not be classified" in r for r in reasons), reasons  # the first end line


def test_files_that_say_they_are_empty_or_belong_to_others_are_not_read(tmp_path):
    from goscope.core.safe.files import UnsafeFile, read_regular

    started = time.monotonic()
    assert read_regular("/proc/self/environ", 1 << 20) == b""  # generated, size 0: not read
    assert time.monotonic() - started < 1
    private = tmp_path / "env"
    private.write_text("GOPRIVATE=x\n")
    private.chmod(0o600)
    assert read_regular(str(private), 1 << 20, owner=os.getuid()) == b"GOPRIVATE=x\n"
    with pytest.raises(UnsafeFile, match="not readable by the process that named it"):
        read_regular(str(private), 1 << 20, owner=os.getuid() + 1)


def test_a_netrc_fifo_never_hangs_a_run(tmp_path):
    fifo = tmp_path / "netrc"
    os.mkfifo(fifo)
    out = subprocess.run(
        [sys.executable, "-m", "goscope", "run", "--headless", "--port", "0", "--", "true"],
        env={**os.environ, "GOSCOPE_HOME": str(tmp_path / "home"), "NETRC": str(fifo)},
        capture_output=True,
        text=True,
        timeout=60,  # it used to wait for a writer forever
    )
    assert out.returncode == 0, out.stderr


@needs_curl
def test_a_proxy_stopped_by_someone_else_leaves_an_incomplete_recording(tmp_path):
    hosts = {"proxy.example": HostBehaviour([LIB])}
    script = (
        f"{CURL} -s -o /dev/null -A GoCommand/1 https://proxy.example/example.com/lib/@v/list; "
        "pkill -TERM -P \"$PPID\" -f 'goscope[.]proxy[.]server'; true"
    )
    env = {**os.environ, "GOSCOPE_HOME": str(tmp_path / "home")}
    with ModServer(hosts) as server:
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "goscope",
                "run",
                "--headless",
                "--port",
                "0",
                "--jsonl",
                str(tmp_path / "r.jsonl"),
                *[a for r in server.routes() for a in ("--route", r)],
                "--",
                "sh",
                "-c",
                script,
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert run.returncode == 4, run.stderr  # a clean shutdown, but not goscope's own
    later = subprocess.run(
        [sys.executable, "-m", "goscope", "report", str(tmp_path / "r.jsonl")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert later.returncode == 4 and "before goscope stopped it" in later.stdout


@needs_curl
def test_headers_and_arguments_that_carry_credentials_reach_no_output(tmp_path):
    hosts = {"proxy.example": HostBehaviour([LIB])}
    config = tmp_path / "curl.config"
    config.write_text(
        'user-agent = "GoCommand/1 (+https://go.dev/cmd/go)"\nheader = "X-Corp-Api: sec-har-1"\n'
    )
    outputs = {n: tmp_path / n for n in ("r.json", "r.jsonl", "r.har")}
    with ModServer(hosts) as server:
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "goscope",
                "run",
                "--headless",
                "--port",
                "0",
                "--json",
                str(outputs["r.json"]),
                "--jsonl",
                str(outputs["r.jsonl"]),
                "--har",
                str(outputs["r.har"]),
                *[a for r in server.routes() for a in ("--route", r)],
                "--",
                CURL or "curl",
                "-s",
                "-K",
                str(config),
                "-u",
                "bob:sec-arg-2",
                "--oauth2-bearer",
                "sec-arg-3",
                "https://proxy.example/example.com/lib/@v/list",
            ],
            env={
                **os.environ,
                "GOSCOPE_HOME": str(tmp_path / "home"),
                "ALL_PROXY": "corpuser:sec-bare-4@corp.invalid:3128",
                "GOFLAGS": "-ldflags=-X=main.apiKey=sec-flags-5",
            },
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert run.returncode == 0, run.stderr
    for name, path in outputs.items():
        text = path.read_text()
        assert "sec-" not in text, (name, text[text.find("sec-") - 200 : text.find("sec-") + 40])
    assert '"x-corp-api"' in outputs["r.har"].read_text().lower()  # there, its value not


def test_the_live_stream_broken_off_is_said(tmp_path):
    import socket
    import tempfile

    from goscope.proxy.stream import EventListener, private_socket_path

    for ended in (True, False):
        home = Path(tempfile.mkdtemp(prefix="gs-", dir="/tmp"))  # a socket path is short
        path = private_socket_path(home)
        listener = EventListener(path, lambda e: None).start()
        client = socket.socket(socket.AF_UNIX)
        client.connect(str(path))
        if ended:
            client.sendall(b'{"type": "stats", "dropped_live": 0, "end": true}\n')
        client.close()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not (listener.ended or listener.cut):
            time.sleep(0.02)
        time.sleep(0.1)
        assert listener.cut is (not ended)
        listener.close()
        shutil.rmtree(home, ignore_errors=True)


def test_diff_of_crafted_reports_is_one_line_never_regressed(tmp_path):
    env = {**os.environ, "GOSCOPE_HOME": str(tmp_path / "home")}
    good = {"fetches": [], "leaks": [], "go_errors": [], "exit_code": 0}
    a = tmp_path / "a.json"
    a.write_text(json.dumps(good))
    fetch = {
        "module": "m",
        "version": None,
        "endpoint": "list",
        "result": "served",
        "served_by": None,
    }
    for crafted in (
        {**good, "fetches": [{**fetch, "attempts": [{"host": "h", "status": 200}]}]},  # no proxy
        {**good, "leaks": [{"host": "h", "kind": "proxy", "severity": "high"}]},
        {**good, "go_errors": [{"line": "go: x"}]},
        {**good, "environment": {"GOPROXY": "direct"}},
        {**good, "events": [{"duration_ms": "5"}]},
    ):
        b = tmp_path / "b.json"
        b.write_text(json.dumps(crafted))
        out = subprocess.run(
            [sys.executable, "-m", "goscope", "diff", str(a), str(b)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
        assert len(out.stderr.strip().splitlines()) == 1
    b.write_text(json.dumps({**good, "complete": False}))
    out = subprocess.run(
        [sys.executable, "-m", "goscope", "diff", str(a), str(b)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 4 and "no regression" not in out.stdout


@pytest.mark.skipif(CURL is None, reason="needs curl")
def test_a_client_that_distrusts_goscope_makes_the_verdict_incomplete(tmp_path):
    """A TLS alert (curl refusing goscope's certificate) is a client goscope saw nothing of:
    INCOMPLETE, whatever the command's own status; go's cancelled dials are not (test_addon)."""
    import certifi

    env = {**os.environ, "GOSCOPE_HOME": str(tmp_path / "home")}
    with ModServer({"proxy.golang.org": HostBehaviour(status=404)}) as server:
        run = subprocess.run(
            [
                sys.executable, "-m", "goscope", "run", "--headless", "--port", "0",
                "--json", str(tmp_path / "r.json"),
                *[a for r in server.routes() for a in ("--route", r)],
                # curl exits the instant it refuses: the proxy, stopped right then, still
                # counts the refusal (it waits for connections in their handshake: `settle`).
                "--", CURL or "curl", "-s", "--cacert", certifi.where(),
                "https://proxy.golang.org/example.com/m/@v/list",
            ],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert run.returncode != 0, run.stderr  # curl's own failure comes first
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["complete"] is False, run.stderr
    assert any("failed TLS with goscope" in r for r in report["incomplete"]), report["incomplete"]


def test_at_stop_the_proxy_waits_for_handshakes_then_counts_what_is_left():
    """A refusal in flight as the command exits is counted, not lost to the stop; a
    connection that never ends its handshake is counted after the bound, never waited on."""
    import asyncio
    from types import SimpleNamespace

    from goscope.proxy import server
    from goscope.proxy.addon import GoscopeAddon

    async def stop_with(finishing: bool) -> tuple[GoscopeAddon, dict[str, int]]:
        addon = GoscopeAddon()
        addon.handshaking.add("client-1")
        at_shutdown: dict[str, int] = {}
        master = SimpleNamespace(shutdown=lambda: at_shutdown.update(addon.stats()))
        if finishing:  # its refusal arrives 0.1 s into the stop
            refusal = SimpleNamespace(conn=SimpleNamespace(id="client-1", error="unknown ca"))
            asyncio.get_running_loop().call_later(0.1, addon.tls_failed_client, refusal)
        await server.settle(addon, master)
        return addon, at_shutdown

    # What the proxy reports is what it knew when it shut down (its `done` hook).
    _, stats = asyncio.run(stop_with(True))
    assert stats["tls_failed"] == 1 and "handshaking_at_stop" not in stats
    _, stats = asyncio.run(stop_with(False))
    assert stats["tls_failed"] == 0 and stats["handshaking_at_stop"] == 1


def test_a_sender_said_twice_or_after_its_requests_never_reads_clean(tmp_path):
    """goscope describes each process once, before its first request. A sender line said
    again erased that process in the TUI (a whole run's fetches gone, '0 leaks', complete);
    a request before its sender's line was judged without that process's GOPRIVATE (the
    TUI said '0 leaks' where the report found a high one, both complete)."""
    from goscope.core.view.session import Session

    kubectl = Path(__file__).parent / "fixtures" / "real" / "kubectl.jsonl"
    header, sender, *events, end = kubectl.read_text().splitlines()

    def session_of(path: Path) -> tuple[Session, list[str]]:
        from goscope.core.traffic.recording import RecordingReader

        session = Session()
        with RecordingReader(str(path), on_sender=session.add_sender) as reader:
            for event, offset in reader:
                session.add(event, offset)
        return session, reader.incomplete()

    same = tmp_path / "same.jsonl"
    same.write_text("\n".join([header, sender, *events, sender, end]) + "\n")
    session, incomplete = session_of(same)
    assert incomplete == [] and len(session.chains) == 380  # said again alike: harmless
    changed = json.loads(sender)
    changed["sender"]["pid"] += 1
    other = tmp_path / "other.jsonl"
    other.write_text("\n".join([header, sender, *events, json.dumps(changed), end]) + "\n")
    session, incomplete = session_of(other)
    assert len(session.chains) == 380
    assert any("describes sender" in r for r in incomplete), incomplete
    late = tmp_path / "late.jsonl"
    late.write_text("\n".join([header, events[0], sender, *events[1:], end]) + "\n")
    _, incomplete = session_of(late)
    assert any("before that sender's line" in r for r in incomplete), incomplete
    out = subprocess.run(
        [sys.executable, "-m", "goscope", "report", str(late)],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "GOSCOPE_HOME": str(tmp_path / "home")},
    )  # fmt: skip
    assert out.returncode == 4, out.stderr


def one_request_then(then: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`run --headless` of one request through goscope (curl, as go asks), then `then` (a
    shell line: fill the disk, say); its report JSON is tmp_path/r.json."""
    hosts = {"proxy.example": HostBehaviour([Module("example.com/m", "v1.0.0", {})])}
    env = {**os.environ, "GOSCOPE_HOME": str(tmp_path / "home")}
    with ModServer(hosts) as server:
        run = subprocess.run(
            [
                sys.executable, "-m", "goscope", "run", "--headless", "--port", "0",
                "--json", str(tmp_path / "r.json"), *args,
                *[a for r in server.routes() for a in ("--route", r)],
                "--", "sh", "-c",
                f"{CURL or 'curl'} -s -o /dev/null -A GoCommand/1 "
                f"https://proxy.example/example.com/m/@v/v1.0.0.info && {then}",
            ],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    return run


def test_a_full_disk_at_the_end_line_is_never_a_clean_verdict(small_disk, tmp_path):
    """The disk fills after the last request, so the end line cannot be written: the
    summary said complete, exit 0, over a file `report` then called incomplete."""
    mount, limit = small_disk
    if limit is not None:
        pytest.skip("needs a tmpfs (root) to fill the disk between a request and the end line")
    # Filled to the last page; then lines of output, which the end line carries (go's
    # output), so it cannot fit in what the recording's own last page has free.
    fill = (
        f"dd if=/dev/zero of={mount / 'fill'} bs=1k 2>/dev/null; "
        "for i in $(seq 200); do echo line $i of what the command said >&2; done"
    )
    run = one_request_then(fill, tmp_path, "--jsonl", str(mount / "r.jsonl"))
    report = json.loads((tmp_path / "r.json").read_text())
    assert len(report["events"]) == 1, report["incomplete"]  # the request was recorded
    assert run.returncode == 4, run.stderr[-3000:]
    assert any("end line could not be written" in r for r in report["incomplete"]), report
    assert "INCOMPLETE" in run.stderr


def test_a_har_that_could_not_be_written_is_said_and_never_exit_0(small_disk, tmp_path):
    """The proxy writes the HAR as it stops: on a full disk it only logged that, and the
    run said complete, exit 0, with no HAR (--json, --sarif and --markdown said so, exit 4)."""
    mount, limit = small_disk
    if limit is not None:
        pytest.skip("needs a tmpfs (root) to fill the disk before the HAR is written")
    fill = f"dd if=/dev/zero of={mount / 'fill'} bs=1k 2>/dev/null; true"
    run = one_request_then(fill, tmp_path, "--har", str(mount / "r.har"))
    assert run.returncode == 4, run.stderr[-3000:]
    assert "goscope: --har not written: " in run.stderr and "No space left" in run.stderr
    assert not (mount / "r.har").exists()


def test_two_runs_never_share_one_recording(tmp_path):
    """A second run given the same --jsonl emptied the first run's file in place: the first
    was then judged on the second's traffic (same inode, counts agreed): complete, 0 leaks."""
    env = {**os.environ, "GOSCOPE_HOME": str(tmp_path / "home")}
    rec, go_on = tmp_path / "r.jsonl", tmp_path / "go-on"
    base = [sys.executable, "-m", "goscope", "run", "--headless", "--port", "0"]
    first = subprocess.Popen(
        [*base, "--jsonl", str(rec), "--json", str(tmp_path / "a.json"), "--",
         "sh", "-c", f"while [ ! -e {go_on} ]; do sleep 0.05; done"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not (rec.exists() and rec.stat().st_size) and time.monotonic() < deadline:
            time.sleep(0.05)  # the first run's proxy has written its header
        header = rec.read_bytes()
        assert header
        second = subprocess.run(
            [*base, "--jsonl", str(rec), "--", "true"],
            env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert second.returncode == 2, second.stderr
        assert second.stderr.strip().splitlines() == [
            f"goscope: cannot write the recording {rec}: another goscope run is writing it"
        ]
        assert rec.read_bytes() == header  # not emptied
    finally:
        go_on.touch()
        out, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    report = json.loads((tmp_path / "a.json").read_text())
    assert report["complete"] is True and report["context"]["id"] in header.decode()


def test_a_client_without_the_runs_secret_never_makes_the_verdict_incomplete(tmp_path):
    """Any local process, of any user, turned a clean run INCOMPLETE (exit 4) by holding a bare
    connection to the port open, or by sending TLS straight to it and refusing the
    certificate: counted before it had shown the run's secret."""
    import certifi

    client = (
        "import os, socket, ssl, time, urllib.parse\n"
        "port = urllib.parse.urlsplit(os.environ['HTTPS_PROXY']).port\n"
        "held = socket.create_connection(('127.0.0.1', port))  # never says a word\n"
        "tls = socket.create_connection(('127.0.0.1', port))\n"
        "try:  # straight to the port, trusting only the public roots: refused\n"
        f"    ssl.create_default_context(cafile={certifi.where()!r}).wrap_socket(\n"
        "        tls, server_hostname='x')\n"
        "except (ssl.SSLError, OSError):\n"
        "    pass\n"
        "if os.fork() == 0:  # the bare connection outlives the command\n"
        "    os.setsid(); time.sleep(4); os._exit(0)\n"
    )
    run = subprocess.run(
        [sys.executable, "-m", "goscope", "run", "--headless", "--port", "0",
         "--json", str(tmp_path / "r.json"), "--", sys.executable, "-c", client],
        env={**os.environ, "GOSCOPE_HOME": str(tmp_path / "home")},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["incomplete"] == [] and run.returncode == 0, (report["incomplete"], run.stderr)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can be given another user's file")
def test_root_never_records_into_a_file_another_user_owns(tmp_path):
    """Root in a shared directory opened a file another user had made there: it stayed that
    user's (fchmod 0600 kept its owner), who could read the recording and rewrite it."""
    rec = tmp_path / "r.jsonl"
    rec.write_text("theirs\n")
    os.chown(rec, 65534, 65534)
    run = subprocess.run(
        [sys.executable, "-m", "goscope", "run", "--headless", "--port", "0",
         "--jsonl", str(rec), "--", "true"],
        env={**os.environ, "GOSCOPE_HOME": str(tmp_path / "home")},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 2, run.stderr
    assert "it belongs to another user" in run.stderr and rec.read_text() == "theirs\n"


@pytest.mark.skipif(CURL is None, reason="needs curl")
def test_a_refused_client_is_not_traffic_in_the_har_either(tmp_path):
    """A client without the run's secret got 407 and was no request in the report, but
    mitmproxy's HAR writer put it in --har as traffic, private path and all."""
    env = {**os.environ, "GOSCOPE_HOME": str(tmp_path / "home")}
    har = tmp_path / "out.har"
    proxy = subprocess.Popen(
        [sys.executable, "-m", "goscope", "proxy", "--port", "0", "--jsonl",
         str(tmp_path / "r.jsonl"), "--har", str(har)],
        env=env, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proxy.stderr is not None
        first = proxy.stderr.readline()
        port = first.strip().rsplit(":", 1)[1]
        code = subprocess.run(
            [CURL or "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-x",
             f"http://127.0.0.1:{port}", "http://proxy.golang.org/corp.example/secret/@v/list"],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        assert code.stdout == "407"
    finally:
        proxy.send_signal(signal.SIGINT)
        proxy.wait(timeout=60)
    entries = json.loads(har.read_text())["log"]["entries"]
    assert entries == [] and "corp.example/secret" not in har.read_text()


def test_a_job_summary_the_disk_cut_short_is_cut_back_to_what_it_held(tmp_path):
    """The job summary is appended to in place: a full disk cut it after '0 failed ·
    0 leaks', before '**INCOMPLETE**' and its reasons, and what stayed read clean. A file
    size limit (EFBIG, as a full disk's ENOSPC) stands in for the full disk."""
    step = tmp_path / "step.md"
    step.write_text("## build\n")
    code = (
        "import resource, sys\n"
        "from goscope.core.outputs.export import OutputError, write_summary\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (100, 100))\n"
        "try:\n"
        f"    write_summary({str(step)!r}, '3 requests · 0 failed · 0 leaks' + ' ' * 80"
        " + ' · **INCOMPLETE**\\n')\n"
        "except OutputError as exc:\n"
        "    print(exc)\n"
        "    sys.exit(3)\n"
    )
    env = {**os.environ, "GITHUB_STEP_SUMMARY": str(step)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 3 and "File too large" in done.stdout, done.stdout + done.stderr
    assert step.read_text() == "## build\n"  # all or nothing: no clean-reading half


@pytest.mark.parametrize("command", ["report", "audit"])
def test_a_file_the_disk_refuses_is_one_line_and_the_others_are_still_written(tmp_path, command):
    """report and audit stopped at the first file they could not write, exit 2: the SARIF
    and the JSON report after it were never written, and audit's leak exit (3) was lost. A
    4 KiB file size limit stands in for a full disk: the Markdown fits, the others do not."""
    import resource

    tour = Path(__file__).parent / "fixtures" / "tour.jsonl"
    args = ["--markdown", "m.md", "--sarif", "s.sarif", "--json", "r.json"]

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    done = subprocess.run(
        [sys.executable, "-m", "goscope", command, str(tour), *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limited,
    )
    said = [line for line in done.stderr.splitlines() if "not written" in line]
    assert said and all("File too large" in line for line in said), done.stderr
    unwritten = {line.split()[1] for line in said}
    assert "--sarif" in unwritten  # the second of the three: the third was still tried
    for option, name in (("--markdown", "m.md"), ("--sarif", "s.sarif"), ("--json", "r.json")):
        assert (option in unwritten) != (tmp_path / name).is_file(), option  # said, or there
    # No whole answer: 4, or audit's leak (tour has one), 3; never 2 (bad input), never 0.
    assert done.returncode == (3 if command == "audit" else 4), done.stderr
    if "--markdown" not in unwritten:  # the job summary, written last, says why (read clean)
        summary = (tmp_path / "m.md").read_text()
        assert all(line.split("goscope: ", 1)[1] in summary for line in said), summary


def test_a_line_the_disk_cuts_short_is_cut_back_and_says_the_disks_reason(tmp_path):
    """The recording's end line was left half written past a file size limit (a reader then
    called the run "killed"), and the limit's EFBIG was said as "No space left on device"."""
    path = tmp_path / "r.jsonl"
    path.write_text('{"seq": 1}\n')
    code = (
        "import os, resource\n"
        "from goscope.core.safe.files import write_all\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (64, 64))\n"
        f"fd = os.open({str(path)!r}, os.O_WRONLY | os.O_APPEND)\n"
        "try:\n"
        "    write_all(fd, b'{\"format\": \"goscope-recording\", \"end\": true' + b' ' * 80 + b'}\\n',"
        " cut_back=True)\n"
        "except OSError as exc:\n"
        "    print(exc.strerror)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "File too large", done.stdout + done.stderr
    assert path.read_text() == '{"seq": 1}\n'  # no half line


def test_a_flow_file_on_a_full_disk_says_why_the_proxy_ended(small_disk, tmp_path):
    """mitmproxy ends the proxy when its flow file cannot be written (--save-flows on a full
    disk): goscope said only "exit status 1", and the cause stayed in a log it removed."""
    import hashlib

    mount, limit = small_disk

    def noise(i: int) -> str:  # what deflate cannot shrink: each zip holds its bytes
        return "".join(hashlib.sha256(f"{i}-{n}".encode()).hexdigest() for n in range(150))

    modules = [Module(f"example.com/z{i:02d}", "v1.0.0", {"pad.txt": noise(i)}) for i in range(24)]
    hosts = {"proxy.example": HostBehaviour(modules)}
    urls = " ".join(f"https://proxy.example/{m.path}/@v/v1.0.0.zip" for m in modules)
    env = {**os.environ, "GOSCOPE_HOME": str(tmp_path / "home")}
    preexec = size_limit(limit)

    with ModServer(hosts) as server:
        run = subprocess.run(
            [sys.executable, "-m", "goscope", "run", "--headless", "--port", "0",
             "--save-flows", str(mount / "flows"), "--json", str(tmp_path / "r.json"),
             *[a for r in server.routes() for a in ("--route", r)], "--", "sh", "-c",
             f"for u in {urls}; do {CURL or 'curl'} -s -o /dev/null -A GoCommand/1 $u; done"],
            env=env, capture_output=True, text=True, timeout=300, preexec_fn=preexec,
        )  # fmt: skip
    assert run.returncode != 0, run.stderr[-3000:]  # curl's own failure (7), else 4
    ended = [line for line in run.stderr.splitlines() if "the proxy process ended" in line]
    assert ended and "its last error:" in ended[0], run.stderr[-3000:]
    assert "No space left" in ended[0] or "too large" in ended[0].lower(), ended[0]


def test_the_proxys_last_error_is_an_error_it_logged_not_words_it_quoted(tmp_path):
    from goscope.proxy.launcher import last_logged_error

    log = tmp_path / "proxy.log"
    log.write_text(
        "2026-12-08 03:26:11,100 mitmproxy.addonmanager ERROR Addon error: [Errno 28] No space left on device\n"
        "2026-12-08 03:26:11,200 goscope WARNING upstream said: x ERROR [Errno 5] made up\n"
        "2026-12-08 03:26:11,300 asyncio ERROR Exception in callback …\n"
    )
    assert last_logged_error(str(log)) == "Addon error: [Errno 28] No space left on device"


def test_a_file_not_written_is_said_without_the_secrets_of_its_path():
    # The unwritten-file lines go to stderr, the job summary and SARIF: a token in the path
    # (a directory named by a CI variable) was printed as it was.
    import io

    from rich.console import Console

    from goscope.cli.outputs import write_each
    from goscope.core.outputs.export import OutputError

    def fails() -> None:
        raise OutputError(
            "cannot write /ci/ghp_0123456789abcdefghijABCDEFGHIJ012345/r.json: ENOSPC"
        )

    said: list[str] = []
    out = io.StringIO()
    assert write_each([("--json", fails)], Console(file=out), said) == ["--json"]
    assert said and all("ghp_" not in line for line in [*said, out.getvalue()]), said


def test_a_ca_bundle_the_disk_refuses_is_one_line_and_leaves_no_half(tmp_path):
    """`goscope: OSError: [Errno 27] File too large` named no file, and left ca-bundle.tmp."""
    from goscope.proxy.ca import system_bundle

    system = system_bundle()
    if not system or os.path.getsize(system) < 64 * 1024:
        pytest.skip("no system bundle big enough to pass the file size limit")
    home = tmp_path / "home"
    run = subprocess.run(
        [sys.executable, "-m", "goscope", "run", "--headless", "--port", "0", "--", "true"],
        env={**os.environ, "GOSCOPE_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=size_limit(30 * 1024),  # the CA's files fit; the system's roots do not
    )
    assert run.returncode == 2, run.stderr
    (line,) = run.stderr.strip().splitlines()
    assert line == f"goscope: cannot write {home / 'ca-bundle.pem'}: File too large", line
    assert not list(home.glob("*.tmp"))


def test_a_ca_the_disk_cut_while_it_was_made_is_said_and_made_again_later(tmp_path):
    """A full disk cut the new CA's key: goscope said it "cannot be read (OSError)", and every
    later run failed on the half key until the user regenerated it."""
    env = {**os.environ, "GOSCOPE_HOME": str(tmp_path / "home")}
    cut = subprocess.run(
        [sys.executable, "-m", "goscope", "ca"],
        env=env, capture_output=True, text=True, timeout=120, preexec_fn=size_limit(1000),
    )  # fmt: skip
    assert cut.returncode == 2 and "cannot create goscope's CA in" in cut.stderr, cut.stderr
    assert "File too large" in cut.stderr and len(cut.stderr.strip().splitlines()) == 1
    assert not list((tmp_path / "home").rglob("mitmproxy-*"))  # no half key left behind
    made = subprocess.run(
        [sys.executable, "-m", "goscope", "ca"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
