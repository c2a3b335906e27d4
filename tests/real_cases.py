"""The real-network cases (`make real`) and the oracle both they and their offline replays use.

Each case is a go command against the Go module proxy of `go env GOPROXY`, run
through goscope. The oracle is go itself: its `-x` trace (`# get URL: STATUS`)
and its exit status. Recorded once (GOSCOPE_RECORD_REAL=1 make real), each case
leaves tests/fixtures/real/<name>.jsonl (the recording, redacted, machine paths
replaced) and <name>.trace (go's `# get` lines and exit status); the replay
tests check the same invariants offline.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from goscope.core.traffic.classify import classify_request

from .e2e import fold_for_trace

FIXTURES = Path(__file__).parent / "fixtures" / "real"
TRACE_DONE = re.compile(r"^# get (\S+): (\d{3}) ", re.MULTILINE)


@dataclass(frozen=True)
class RealCase:
    name: str
    command: tuple[str, ...]
    exit: int  # what go does on the project's machine
    why: str
    # A real project's go.mod (and go.sum, if it has one) under fixtures/real/projects/:
    # the command runs in a copy of it.
    project: str = ""


CASES = (
    RealCase(
        "download",
        (
            "go",
            "mod",
            "download",
            "-x",
            "github.com/BurntSushi/toml@v1.3.2",  # upper case: !burnt!sushi on the wire
            "golang.org/x/text@v0.14.0",
            "github.com/emersion/go-imap/v2@v2.0.0-beta.8",  # a pre-release
        ),
        0,
        "uppercase paths, a pre-release, no go.sum: checksum lookups and tiles",
    ),
    RealCase(
        "get-package",
        ("go", "get", "-x", "golang.org/x/text/language@v0.14.0"),
        0,
        "go get of a package path: every prefix probed",
    ),
    RealCase(
        "list-versions",
        ("go", "list", "-x", "-m", "-versions", "github.com/BurntSushi/toml"),
        0,
        "go list -m -versions: the @v/list endpoint",
    ),
    RealCase(
        "list-latest",
        ("go", "list", "-x", "-m", "-json", "github.com/google/go-cmp@latest"),
        0,
        "go list -m -json …@latest",
    ),
    RealCase(
        "missing",
        ("go", "mod", "download", "-x", "github.com/goscope-test/does-not-exist@v1.0.0"),
        1,
        "a module that does not exist: the proxy's answer and go's server response",
    ),
    RealCase(
        "kubectl",
        ("go", "mod", "download", "-x"),
        0,
        "a cold download of kubectl v0.31.0's requirements, go.sum present: every checksum "
        "from go.sum, most modules by their .mod alone",
        project="kubectl",
    ),
    RealCase(
        "otel",
        ("go", "mod", "download", "-x"),
        0,
        "a cold download of an OpenTelemetry exporter's requirements, no go.sum: six modules "
        "of one repository, every checksum looked up, and no module lookup (nothing probes)",
        project="otel",
    ),
)
PROJECTS = FIXTURES / "projects"


def traced(stderr: str) -> list[tuple[str, int]]:
    return [(url, int(status)) for url, status in TRACE_DONE.findall(stderr)]


def folded(events: list[dict]) -> list[dict]:
    """go's own requests as its -x trace shows them (git's are not traced by URL)."""
    return [e for e in fold_for_trace(events) if e["client"] == "go"]


def check_oracle(report: dict, trace: list[tuple[str, int]], exit_code: int) -> None:
    """What `make real` and the replays assert: goscope's story is go's story."""
    events = report["events"]
    go_events = folded(events)
    # Every `# get URL: STATUS` has its event, with that status, and go caused no other.
    assert sorted((e["url"], e["status"]) for e in go_events) == sorted(trace)
    # None of go's requests is left unexplained.
    assert not [e["url"] for e in go_events if e["kind"] == "other"]
    # Each event's classification is what the classifier says today.
    for e in go_events:
        c = classify_request(e["method"], e["url"], {"user-agent": "GoCommand/1"})
        assert (c.kind, c.endpoint, c.module, c.version) == (
            e["kind"],
            e["endpoint"],
            e["module"],
            e["version"],
        ), e["url"]
    # No private patterns are set: no leak may be claimed.
    assert report["leaks"] == []
    # go's verdict: a failed command never counts 0 failures, a good one counts none.
    assert (report["failed"] > 0) == (exit_code != 0), report["go_errors"]
    assert all(error["seqs"] for error in report["go_errors"]), report["go_errors"]
    # Every fetch served or failed exactly as go saw its last answer.
    status = dict(trace)
    for fetch in report["fetches"]:
        last = fetch["attempts"][-1]
        if last["url"] in status and fetch["kind"] != "sumdb":
            assert (fetch["result"] == "served") == (status[last["url"]] < 400), fetch


def write_fixture(name: str, recording: Path, stderr: str, exit_code: int, scrub: dict) -> None:
    """The recording with machine paths replaced, and go's trace; refused if a secret or a
    path of this machine is left in it."""
    FIXTURES.mkdir(parents=True, exist_ok=True)
    text = recording.read_text()
    for old, new in sorted(scrub.items(), key=lambda kv: -len(kv[0])):
        text = text.replace(old, new)
        text = text.replace(json.dumps(old)[1:-1], new)
    text = re.sub(r"/tmp/pytest-of-[^/\"]+(/pytest-\d+)?(/[^/\"]*)?", "/tmp/goscope-real", text)
    assert_clean(text)
    (FIXTURES / f"{name}.jsonl").write_text(text)
    lines = [f"{url} {status}" for url, status in traced(stderr)]
    (FIXTURES / f"{name}.trace").write_text("\n".join([f"exit {exit_code}", *lines]) + "\n")


MACHINE_PATHS = ("/root", "/home/", "/work/", "/tmp/pytest", "/Users/")


def assert_clean(text: str) -> None:
    for path in MACHINE_PATHS:
        assert path not in text, f"a machine path ({path}) is in a real fixture"
    for header in re.findall(
        r'\["(?:authorization|proxy-authorization|cookie)", "([^"]*)"\]', text, re.I
    ):
        assert "REDACTED" in header, "a credential header is in a real fixture"


def read_trace(name: str) -> tuple[int, list[tuple[str, int]]]:
    first, *lines = (FIXTURES / f"{name}.trace").read_text().splitlines()
    pairs = [(url, int(status)) for url, status in (line.rsplit(" ", 1) for line in lines)]
    return int(first.split()[1]), pairs
