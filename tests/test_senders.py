"""The other terminal: each request judged by the Go environment of the process that sent it.

goscope runs as a bare proxy with a clean environment. Two go commands, started apart
from it (as from another terminal) and at the same time, keep one private module from
different services: one with GONOPROXY in its environment (so the path goes to the
public checksum database), one with GONOSUMDB in its `go env -w` file (so the path goes
to the public proxy). Each leak is found with its sender's own patterns; goscope's own
environment, which has none, is never used to judge them.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from goscope.core.traffic.recording import read_recording
from goscope.lab.scenario import load_scenario

pytestmark = pytest.mark.e2e
SECRET = "git.corp.example.com/team/secret"


def start_proxy(
    tmp_path: Path, routes: list[str], env: dict[str, str]
) -> tuple[subprocess.Popen, dict[str, str]]:
    """`goscope proxy`, and the exports `goscope env` gives another terminal for it."""
    args = [
        sys.executable,
        "-m",
        "goscope",
        "proxy",
        "--port",
        "0",
        "--jsonl",
        str(tmp_path / "r.jsonl"),
    ]
    for route in routes:
        args += ["--route", route]
    proc = subprocess.Popen(args, env=env, stderr=subprocess.PIPE, text=True)
    first = proc.stderr.readline()
    assert first.startswith("goscope proxy listening on http://127.0.0.1:"), first
    port = first.strip().rsplit(":", 1)[1]
    exports = subprocess.run(
        [sys.executable, "-m", "goscope", "env", "--port", port, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return proc, json.loads(exports.stdout)


def test_two_go_commands_are_each_judged_by_their_own_environment(
    tmp_path, go_binary, shared_gocache
):
    scenario = load_scenario("tour")
    home = tmp_path / "goscope-home"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GO")}
    clean["GOSCOPE_HOME"] = str(home)
    with scenario.lab(tmp_path / "lab") as lab:
        proxy, wiring = start_proxy(tmp_path, lab.routes(), clean)
        commands = []
        try:
            for name in ("in-env", "in-file"):
                root = tmp_path / name
                env = scenario.go_env(lab, root, go_binary)
                env.update(wiring)  # eval "$(goscope env)": the proxy, its secret, the CA
                env.update(GOCACHE=str(shared_gocache), GOPROXY="https://proxy.golang.org,direct")
                env.pop("GONOSUMDB", None)
                if name == "in-env":
                    env["GONOPROXY"] = "git.corp.example.com"  # the checksum db still sees it
                else:
                    Path(env["GOENV"]).parent.mkdir(parents=True, exist_ok=True)
                    Path(env["GOENV"]).write_text("GONOSUMDB=git.corp.example.com\n")  # go env -w
                work = scenario.workspace(root)
                commands.append(
                    subprocess.Popen(
                        [go_binary, "mod", "download", SECRET],
                        cwd=work,
                        env=env,
                        stdout=subprocess.PIPE,
                        stderr=subprocess.STDOUT,
                        text=True,
                    )
                )
            outputs = [c.communicate(timeout=240)[0] for c in commands]
        finally:
            proxy.send_signal(signal.SIGINT)
            proxy.wait(timeout=30)
    rec = read_recording(str(tmp_path / "r.jsonl"))
    assert rec.header["environment_source"] == "goscope"
    by_pid = {s["pid"]: s for s in rec.senders.values()}
    senders = [by_pid[c.pid] for c in commands]  # each go command, by its own pid
    assert all(
        s["program"] == "go" and s["command"][1:] == ["mod", "download", SECRET] for s in senders
    )
    in_env, in_file = senders
    assert in_env["environment"]["GONOPROXY"] == {
        "value": "git.corp.example.com",
        "origin": "environment",
    }
    assert in_file["environment"]["GONOSUMDB"] == {
        "value": "git.corp.example.com",
        "origin": "go env -w",
    }
    assert in_env["cwd"] == str(tmp_path / "in-env" / "work")
    # Every request of theirs is attributed (git's too: to the go that ran it).
    assert {e.sender for e in rec.events} == {in_env["id"], in_file["id"]}, outputs

    report_path = tmp_path / "r.json"
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "goscope",
            "report",
            str(tmp_path / "r.jsonl"),
            "--json",
            str(report_path),
        ],
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    report = json.loads(report_path.read_text())
    leaks = {
        (leak["module"], leak["host"], leak["kind"], leak["severity"]) for leak in report["leaks"]
    }
    assert leaks == {
        (SECRET, "sum.golang.org", "sumdb", "high"),
        (SECRET, "proxy.golang.org", "proxy", "high"),
    }
    assert report["environment"] is None  # goscope's own is not go's
    per_sender = {s["id"]: s for s in report["senders"]}
    env_leaks = per_sender[in_env["id"]]["leaks"]
    file_leaks = per_sender[in_file["id"]]["leaks"]
    assert [(x["host"], x["matched"]) for x in env_leaks] == [
        ("sum.golang.org", "git.corp.example.com")
    ]
    assert [(x["host"], x["matched"]) for x in file_leaks][0] == (
        "proxy.golang.org",
        "git.corp.example.com",
    )
    env_findings = {f["id"] for f in per_sender[in_env["id"]]["findings"]}
    file_findings = {f["id"] for f in per_sender[in_file["id"]]["findings"]}
    assert "sumdb-not-private" in env_findings and "proxy-not-private" not in env_findings
    assert "proxy-not-private" in file_findings and "sumdb-not-private" not in file_findings


def test_an_unknown_sender_is_judged_by_private_patterns_and_traffic(tmp_path):
    # goscope ran no command and could not see the sender (another user, a remote client):
    # its own environment is not go's; the traffic shows what it can.
    from goscope.core.traffic.recording import end_line, header_line

    from .factories import event

    events = [
        event("https://old-mirror.example/git.corp.example.com/x/@v/list", 404, seq=1),
        event("https://proxy.golang.org/git.corp.example.com/x/@v/list", 404, seq=2),
        event("https://sum.golang.org/lookup/example.com/y@v1.0.0", 200, seq=3),
    ]
    rec = tmp_path / "r.jsonl"
    header = header_line(
        {"GOPRIVATE": {"value": "", "origin": "default"}}, environment_source="goscope"
    )
    end = end_line(exit_code=None, stats={"events": len(events)})
    rec.write_text(header + "\n" + "".join(e.to_json() + "\n" for e in events) + end + "\n")
    env = {**os.environ, "GOSCOPE_HOME": str(tmp_path / "home")}
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "goscope",
            "report",
            str(rec),
            "--json",
            str(tmp_path / "r.json"),
            "--private",
            "git.corp.example.com",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert "environment of the sender unknown: judged by --private and by traffic" in out.stdout
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["environment"] is None
    (sender,) = report["senders"]
    assert sender["known"] is False and sender["findings"] == []  # no doctor on guesses
    assert sender["seen_in_traffic"] == {
        "GOPROXY": "https://old-mirror.example,https://proxy.golang.org",
        "GOSUMDB": "sum.golang.org",
    }
    hosts = {(leak["host"], leak["matched"]) for leak in report["leaks"]}
    assert hosts == {
        ("old-mirror.example", "git.corp.example.com"),
        ("proxy.golang.org", "git.corp.example.com"),
    }


def test_a_go_env_file_go_itself_ignores_leaves_nothing_unknown(tmp_path):
    """GOENV=/dev/null (empty to go) or a directory (go's read fails and it goes on) made the
    sender 'known only in part': a clean run read INCOMPLETE, exit 4. A FIFO and a file
    over the limit, which go does read, are still unknown."""
    from goscope.core.gorules.goenv import read_env_file_checked

    assert read_env_file_checked("/dev/null") == ({}, None)
    assert read_env_file_checked(str(tmp_path)) == ({}, None)
    assert read_env_file_checked(str(tmp_path / "missing")) == ({}, None)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    big = tmp_path / "big"
    big.write_text("# x\n" * 300_000)
    for path in (fifo, big, "/dev/zero"):
        values, why = read_env_file_checked(str(path))
        assert values == {} and why, path


@pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root and setpriv"
)
def test_another_users_process_root_may_not_look_into_is_not_an_unknown_sender(tmp_path):
    """Root without CAP_SYS_PTRACE (Docker's default) cannot list another user's files: the
    connection was counted as a process goscope could not find, and a clean run read
    INCOMPLETE. Without root it is another user's process, never counted; so it is here."""
    probe = (
        "import socket, subprocess, sys\n"
        "from goscope.proxy.senders import SenderDirectory\n"
        "srv = socket.socket(); srv.bind(('127.0.0.1', 0)); srv.listen()\n"
        "child = subprocess.Popen(['setpriv', '--reuid=65534', '--regid=65534', "
        "'--clear-groups', sys.executable, '-c', 'import socket, time; s = "
        'socket.create_connection(("127.0.0.1", %d)); time.sleep(30)\' % srv.getsockname()[1]])\n'
        "conn, _ = srv.accept()\n"
        "try:\n"
        "    print(SenderDirectory().identify(conn.getpeername(), conn.getsockname()))\n"
        "finally:\n"
        "    child.kill()\n"
    )
    out = subprocess.run(
        ["setpriv", "--inh-caps=-sys_ptrace", "--bounding-set=-sys_ptrace",
         sys.executable, "-c", probe],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 0 and out.stdout.strip() == "(None, False)", out.stdout + out.stderr


def test_go_dash_c_reads_its_relative_goenv_where_it_started(tmp_path):
    """`GOENV=goenv go -C work mod download`: go reads ./goenv before it moves to work/ (main.go
    handleChdirFlag comes after cfg's variables), goscope read work/goenv when the connection
    came: the GONOPROXY there was lost and the guard let the checksum lookup out."""
    from goscope.proxy.senders import SenderDirectory

    base, work = tmp_path / "start", tmp_path / "start" / "work"
    work.mkdir(parents=True)
    (base / "goenv").write_text("GONOPROXY=corp.example\n")
    (work / "goenv").write_text("GONOPROXY=decoy.example\n")  # what go never read
    proc = tmp_path / "proc"

    def describe(environ: dict[str, str]):
        (proc / "7").mkdir(parents=True, exist_ok=True)
        (proc / "7" / "cmdline").write_bytes(b"go\0-C\0work\0mod\0download\0")
        (proc / "7" / "environ").write_bytes(
            b"".join(f"{k}={v}\0".encode() for k, v in environ.items())
        )
        link = proc / "7" / "cwd"
        if not link.is_symlink():
            link.symlink_to(work)
        return SenderDirectory(str(proc))._describe(7, 1)

    sender = describe({"GOENV": "goenv", "PWD": str(base), "HOME": str(tmp_path)})
    assert sender.environment["GONOPROXY"]["value"] == "corp.example" and not sender.partial
    sender = describe({"GOENV": "goenv", "HOME": str(tmp_path)})  # no PWD: where is unknown
    assert sender.environment["GONOPROXY"]["value"] == "" and sender.partial, sender
    # `go -C /abs/work`: a stale PWD (subprocess, env -C) said nothing, and was believed.
    (proc / "7" / "cmdline").write_bytes(f"go\0-C\0{work}\0mod\0download\0".encode())
    (proc / "7" / "stat").write_text("7 (go) S 6 7 7 0 -1\n")
    (proc / "6").mkdir()
    (proc / "6" / "cwd").symlink_to(tmp_path)  # its shell was elsewhere
    stale = {"GOENV": "goenv", "PWD": str(base), "HOME": str(tmp_path)}
    (proc / "7" / "environ").write_bytes(b"".join(f"{k}={v}\0".encode() for k, v in stale.items()))
    sender = SenderDirectory(str(proc))._describe(7, 1)
    assert sender.partial and sender.environment["GONOPROXY"]["value"] == "", sender
    (proc / "6" / "cwd").unlink()
    (proc / "6" / "cwd").symlink_to(base)  # its shell was where PWD says
    sender = SenderDirectory(str(proc))._describe(7, 1)
    assert sender.environment["GONOPROXY"]["value"] == "corp.example" and not sender.partial


def _fake_go(proc: Path, environ: list[tuple[str, str]], exe: Path, cwd: Path) -> None:
    (proc / "7").mkdir(parents=True, exist_ok=True)
    (proc / "7" / "cmdline").write_bytes(b"go\0mod\0download\0")
    (proc / "7" / "environ").write_bytes(b"".join(f"{k}={v}\0".encode() for k, v in environ))
    for name, target in (("cwd", cwd), ("exe", exe)):
        link = proc / "7" / name
        if link.is_symlink():
            link.unlink()
        link.symlink_to(target)


def _goroot(where: Path, go_env: str, bin_dir: str = "bin") -> Path:
    (where / "pkg" / "tool").mkdir(parents=True)
    (where / bin_dir).mkdir(parents=True)
    (where / bin_dir / "go").write_bytes(b"")
    (where / "go.env").write_text(go_env)
    return where / bin_dir / "go"


def test_a_sender_is_judged_with_its_own_goroots_go_env_and_first_variables(tmp_path):
    """go reads $GOROOT/go.env below its environment and go env -w file (cfg.go
    initEnvCache), its GOROOT found from its own binary (findGOROOT). goscope never read a
    sender's: a toolchain whose go.env said GONOSUMDB sent the private path to the public
    proxy, and the guard, judging by the defaults, let it out ("0 leaks", exit 0)."""
    from goscope.proxy.senders import SenderDirectory

    proc, home = tmp_path / "proc", tmp_path / "home"
    home.mkdir()
    exe = _goroot(tmp_path / "sdk", "GONOSUMDB=corp.example\nGOPROXY=https://p.example\n")
    other = _goroot(tmp_path / "other", "GONOSUMDB=other.example\n")
    cross = _goroot(tmp_path / "cross", "GONOSUMDB=cross.example\n", "bin/linux_arm64")

    def judged(environ: list[tuple[str, str]], binary: Path) -> dict:
        _fake_go(proc, [("HOME", str(home)), *environ], binary, tmp_path)
        sender = SenderDirectory(str(proc))._describe(7, 1)
        assert not sender.partial, sender
        return sender.environment

    env = judged([], exe)  # found from its binary
    assert env["GONOSUMDB"] == {"value": "corp.example", "origin": "GOROOT/go.env"}
    assert env["GOPROXY"]["value"] == "https://p.example"
    assert judged([], cross)["GONOSUMDB"]["value"] == "cross.example"  # bin/GOOS_GOARCH
    # $GOROOT wins over the binary's place; the environment over go.env.
    assert judged([("GOROOT", str(other.parent.parent))], exe)["GONOSUMDB"]["value"] == (
        "other.example"
    )
    assert judged([("GONOSUMDB", "mine.example")], exe)["GONOSUMDB"]["value"] == "mine.example"
    # A variable given twice: go keeps the first (syscall copyenv); goscope kept the last.
    twice = [("GONOSUMDB", "first.example"), ("GONOSUMDB", "")]
    assert judged(twice, exe)["GONOSUMDB"]["value"] == "first.example"


def test_a_relative_goroot_is_its_own_directorys_and_a_built_in_one_is_unknown(tmp_path):
    """A relative GOROOT was looked up from goscope's directory (its go.env's GONOSUMDB never
    read, "0 leaks", exit 0); a GOROOT built into the binary (none set, none above it) left
    go.env unread without a word. Both from an outside re-attack."""
    from goscope.proxy.senders import SenderDirectory

    proc, home, work = tmp_path / "proc", tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    exe = _goroot(tmp_path / "sdk", "GONOSUMDB=sdk.example\n")
    _goroot(work / "relroot", "GONOSUMDB=relative.example\n")
    _fake_go(proc, [("HOME", str(home)), ("GOROOT", "relroot")], exe, work)
    sender = SenderDirectory(str(proc))._describe(7, 1)
    assert not sender.partial and sender.environment["GONOSUMDB"]["value"] == "relative.example"
    bare = tmp_path / "bare" / "bin" / "go"  # built with its GOROOT inside: no pkg/tool above
    bare.parent.mkdir(parents=True)
    bare.write_bytes(b"")
    _fake_go(proc, [("HOME", str(home))], bare, work)
    sender = SenderDirectory(str(proc))._describe(7, 1)
    assert sender.partial and "GOROOT's go.env was not read" in sender.partial, sender
