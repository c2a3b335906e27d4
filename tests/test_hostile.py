"""A generated hostile-input corpus: every kind of control sequence, in every place traffic
text appears, through every output. Terminal outputs hold no C0/C1 control but newline and
tab and no bidi control (they are shown escaped); the TUI never takes text for markup."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import unicodedata
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

from goscope.core.gorules.goenv import GoEnv
from goscope.core.outputs.export import export_session
from goscope.core.traffic.recording import write_recording
from goscope.tui.app import GoscopeApp
from goscope.tui.launch import Launch
from goscope.tui.tabs import TABS, tab_key

from .factories import event
from .tui_helpers import loaded

SEQUENCES = {
    "csi": "\x1b[31mRED\x1b[0m",
    "osc52-clipboard": "\x1b]52;c;cHduZWQ=\x07",
    "osc0-title": "\x1b]0;pwned\x07",
    "osc8-link": "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\",
    "c1-csi": "\x9b31mRED",
    "c1-osc": "\x9d0;pwned\x9c",
    "bidi": "abc\u202edcba\u2066x\u2069",
    "cr-bell": "over\rwrite\x07\x08",
    "markup": "[/bogus][bold red]x[/] [link=https://evil.example]y[/link]",
    "invisible": "soft\xadhyphen tag\U000e0041\U000e0042 annot\ufff9x\ufffb zw\u200bj",
}


def _unsafe(ch: str) -> bool:
    """C0 and C1 controls but tab and newline, every invisible format character, and lone
    surrogates (a header's bytes that are not UTF-8, as mitmproxy decodes them)."""
    if ch in "\t\n":
        return False
    return unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs")


class _Unsafe:
    """Finds the first character no terminal output may hold (by Unicode category)."""

    def search(self, text: str) -> re.Match[str] | None:
        for i, ch in enumerate(text):
            if _unsafe(ch):
                return re.compile(re.escape(ch)).search(text, i)
        return None


UNSAFE = _Unsafe()


def assert_terminal_safe(text: str, where: str) -> None:
    found = UNSAFE.search(text)
    assert found is None, (
        f"{where}: {found.group()!r} at {found.start()}: {text[max(0, found.start() - 60) : found.start() + 20]!r}"
    )


def hostile_recording(path: Path) -> Path:
    events = []
    for name, seq in SEQUENCES.items():
        module = f"corp.example/{name}"
        ev = event(f"https://proxy.golang.org/{module}/@v/v1.0.0.info", 404)
        ev.url += f"?q={seq}"  # the URL as the client asked
        ev.module = f"{module}{seq}"  # decoded from a crafted path
        ev.host = f"proxy.golang.org{seq}" if name == "markup" else ev.host
        ev.error = f"upstream said {seq}"
        ev.preview = f"not found: {seq}\nline two {seq}"
        ev.request_headers = [["user-agent", "GoCommand/1"], [f"x-{name}", seq]]
        ev.response_headers = [["x-upstream", seq]]
        ev.flags = [seq]
        events.append(ev)
    env = GoEnv.from_mapping(
        {
            "GOPRIVATE": "corp.example" + SEQUENCES["csi"],
            "GOPROXY": "https://proxy.golang.org" + SEQUENCES["bidi"],
        }
    ).to_dict()
    for seq, ev in enumerate(events, 1):  # numbered as the proxy numbers them
        ev.seq = seq
    with path.open("w") as fh:
        write_recording(fh, events, env)
    return path


def goscope(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "goscope", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_report_json_and_har_of_a_hostile_recording_are_terminal_safe(tmp_path):
    rec = hostile_recording(tmp_path / "evil.jsonl")
    env = {**os.environ, "GOSCOPE_HOME": str(tmp_path / "home")}
    private = "corp.example,evil" + SEQUENCES["osc52-clipboard"]  # fixes are built from these
    out = goscope(
        "report", str(rec), "--json", str(tmp_path / "r.json"), "--private", private, env=env
    )
    assert out.returncode == 0, out.stderr
    assert (
        f"goscope: {len(SEQUENCES)} requests" in out.stdout and "Leaks" in out.stdout
    )  # it did report
    assert_terminal_safe(out.stdout + out.stderr, "report")
    assert "\\x1b[31mRED" in out.stdout  # shown, escaped: visibly
    for produced in export_session(str(rec), tmp_path / "export", private):
        assert_terminal_safe(
            produced.read_bytes().decode(), produced.name
        ) if produced.suffix != ".jsonl" else None
    assert_terminal_safe((tmp_path / "r.json").read_text(), "report json")
    doctor = goscope(
        "doctor", "--private", private, env={**env, "GOPRIVATE": "corp.example\x1b]0;t\x07"}
    )
    assert_terminal_safe(doctor.stdout + doctor.stderr, "doctor")


async def test_the_tui_shows_a_hostile_recording_as_text(tmp_path):
    rec = hostile_recording(tmp_path / "evil.jsonl")
    app = GoscopeApp(Launch(recording=str(rec), private="corp.example", export_dir=str(tmp_path)))
    async with app.run_test(size=(160, 45)) as pilot:
        await loaded(pilot, app, len(SEQUENCES))
        screens = []
        for row in range(len(SEQUENCES)):
            app.request_list.cursor = row
            await pilot.pause(0.05)
            screens.append(app.export_screenshot())
        for tab in TABS:
            await pilot.press(tab_key(tab.TAB_ID))
            await pilot.pause(0.3)
            screens.append(app.export_screenshot())
        await pilot.press(tab_key("leaks"), "c")  # copy a fix built from a hostile pattern
        assert app.is_running
    for i, svg in enumerate(screens):
        assert_terminal_safe(svg, f"screen {i}")
    text = "".join(screens)
    assert "[/bogus]" in text or "[/bogus]".replace("/", "&#47;") in text  # markup shown as text
    assert "\\x1b]52;c;" in text  # the clipboard sequence, escaped visibly


class EvilUpstream(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        body = ("not found: " + "".join(SEQUENCES.values())).encode()
        self.send_response(404)
        for i, seq in enumerate(SEQUENCES.values()):
            if "\r" not in seq:
                self.send_header(f"X-Evil-{i}", seq.encode("utf-8").decode("latin-1"))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_hostile_traffic_through_the_proxy_leaves_every_output_terminal_safe(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), EvilUpstream)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    paths = [f"/corp.example/{quote(seq)}/@v/list" for seq in SEQUENCES.values()]
    client = (
        "import ssl, sys, urllib.request as u\n"
        "for p in sys.argv[1:]:\n"
        "    r = u.Request('https://evil.example' + p, headers={'User-Agent': 'GoCommand/1'})\n"
        "    try: u.urlopen(r)\n"
        "    except Exception as e: print('got', e)\n"
    )
    env = {**os.environ, "GOSCOPE_HOME": str(tmp_path / "home")}
    try:
        out = goscope(
            "run",
            "--headless",
            "--port",
            "0",
            "--route",
            f"evil.example=http://127.0.0.1:{server.server_port}",
            "--private",
            "corp.example",
            "--jsonl",
            str(tmp_path / "r.jsonl"),
            "--json",
            str(tmp_path / "r.json"),
            "--har",
            str(tmp_path / "r.har"),
            "--",
            sys.executable,
            "-c",
            client,
            *paths,
            env=env,
        )
    finally:
        server.shutdown()
    assert out.returncode == 0, out.stderr
    assert f"goscope: {len(paths)} requests" in out.stderr
    summary = out.stderr[out.stderr.index("goscope: ") :]
    assert_terminal_safe(summary, "headless summary")
    for name in ("r.jsonl", "r.json", "r.har"):
        assert_terminal_safe((tmp_path / name).read_text(), name)
    lines = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text().splitlines()]
    events = [line for line in lines if "seq" in line]
    assert len(events) == len(paths) and all(
        e["module"].startswith("corp.example/") for e in events
    )
    assert any("\\x1b]52" in e["module"] for e in events)  # kept, as visible text


def test_every_character_escaped_is_one_printable_text_never_holds():
    # `visible` and `visible_event` skip their scan when the text is printable: that is
    # only right while no character goscope escapes counts as printable.
    from goscope.core.safe.visible import UNSAFE, UNSAFE_MULTILINE, visible

    every = "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF)
    escaped = [m.group() for m in UNSAFE.finditer(every)]
    assert len(escaped) > 200  # C0, C1, bidi, zero-width, tags…
    assert not any(ch.isprintable() for ch in escaped)
    assert {m.group() for m in UNSAFE_MULTILINE.finditer(every)} <= set(escaped)
    for name, text in SEQUENCES.items():
        if name != "markup":
            assert visible(text) != text, name


def test_a_proxy_base_that_does_not_parse_is_data_not_a_crash(tmp_path):
    """An event whose `proxy` is `https://evil[bold]host.example` passes the schema; urlsplit
    refuses it. report ended in a traceback and the TUI's loader died with it."""
    import os
    import subprocess
    import sys

    from goscope.core.traffic.recording import end_line, header_line
    from goscope.core.view.session import Session

    from .factories import event

    ev = event("https://proxy.golang.org/example.com/m/@v/list", seq=1)
    ev.proxy = "https://evil[bold]host.example"
    path = tmp_path / "r.jsonl"
    path.write_text(
        "\n".join([header_line({}), ev.to_json(), end_line(exit_code=0, stats={"events": 1})])
        + "\n"
    )
    out = subprocess.run(
        [sys.executable, "-m", "goscope", "report", str(path)],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "GOSCOPE_HOME": str(tmp_path / "home")},
    )  # fmt: skip
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr
    session = Session(recording=str(path))
    session.add(ev)
    assert len(session.modules()) <= 1
