"""Planted secrets, in every form goscope meets them, appear in no output.

Headers of every spelling, tokens in URL paths, key-less and unusual query
values, JSON and form bodies, echoed credentials in answers (HAR bodies
included), the go-get repository URL, GOPROXY userinfo and GOAUTH command
lines: each is planted once, unique, and searched for in the recording, the
report, the HAR, the headless summary, the exports and the TUI's views.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from goscope.core.outputs.export import curl_command, export_session
from goscope.core.traffic.recording import read_recording
from goscope.core.view.session import Session
from goscope.tui.widgets.detail import detail_view

from .tui_helpers import plain

GH = "ghp_" + "A1b2C3d4E5f6G7h8I9j0" * 2
GL = "glpat-" + "x9Y8w7V6u5T4s3R2q1P0"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwbGFudGVkIn0.c2lnbmF0dXJlLXBsYW50ZWQ"
SECRETS = {
    "x-access-token": "sec-access-0001",
    "x-gitlab-token": "sec-gitlab-0002",
    "x-amz-security-token": "sec-amz-0003",
    "x-vault-token": "sec-vault-0004",
    "deploy-token": "sec-deploy-0005",
    "x-auth": "sec-xauth-0006",
    "cookie": "sec-cookie-0007",
    "authorization": "sec-bearer-0008",
    "query-pass": "sec-pass-0009",
    "query-code": "sec-code-0010",
    "jsessionid": "sec-jsession-0011",
    "upstream": "sec-upstream-0012",
    "json-token": "sec-json-0013",
    "json-password": "sec-jsonpw-0014",
    "form-password": "sec-form-0015",
    "repo-password": "sec-repo-0016",
    "goproxy-query": "sec-gpq-0017",
    "goauth": "sec-goauth-0018",
    "echo-basic": "sec-basic-0019",
    "semicolon-query": "sec-semiq-0020",
    "goauth-flag": "sec-goauthflag-0021",
    "netrc": "sec-netrc-0022",
    "xml": "sec-xml-0023",
}
STRIPE = "sk_live_" + "Q1w2E3r4T5y6U7i8O9p0A1s2"
GOOGLE = "AIza" + "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q"
NPM = "npm_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
ESCAPED_GH = "ghp" + "_" + "Z9y8X7w6V5u4T3s2R1q0" * 2  # sent as ghp\u005f… inside JSON
GOPROXY_USER = "tok0goproxy0user0" + "9" * 8  # a token as the user name, no password


class Upstream(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def _answer(self, body: bytes, ctype: str = "application/json") -> None:
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("X-Upstream-Token", SECRETS["upstream"])
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if "go-get=1" in self.path:
            repo = f"https://git:{SECRETS['repo-password']}@git.corp.example/repo.git"
            meta = f'<meta name="go-import" content="corp.example/mod git {repo}">'
            return self._answer(f"<html><head>{meta}</head></html>".encode(), "text/html")
        basic = base64.b64encode(f"u:{SECRETS['echo-basic']}".encode()).decode()
        body = {
            "Version": "v1.0.0",
            "netrc": f"machine h login bob password {SECRETS['netrc']}",
            "xml": f"<password>{SECRETS['xml']}</password>",
            "npm": NPM,
            "access_token": SECRETS["json-token"],
            "password": SECRETS["json-password"],
            "jwt": JWT,
            "echo": f"Authorization: Basic {basic}",
        }
        text = json.dumps(body)[:-1] + ', "escaped": "' + ESCAPED_GH.replace("_", "\\u005f") + '"}'
        self._answer(text.encode())

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self._answer(b'{"ok": true}')


CLIENT = r"""
import json, sys, urllib.request as u
base = 'https://corp.example'
s, gh, gl, jwt, stripe, google = json.load(open(sys.argv[1]))  # not in argv: recorded
sys.argv[2:4] = [stripe, google]
def get(path, headers=None, data=None):
    h = {'User-Agent': 'GoCommand/1'}
    h.update(headers or {})
    u.urlopen(u.Request(base + path, headers=h, data=data)).read()
get('/corp.example/mod/@v/v1.0.0.info', {
    'X-Access-Token': s['x-access-token'], 'X-Gitlab-Token': s['x-gitlab-token'],
    'X-Amz-Security-Token': s['x-amz-security-token'], 'X-Vault-Token': s['x-vault-token'],
    'Deploy-Token': s['deploy-token'], 'X-Auth': s['x-auth'], 'Cookie': 'sid=' + s['cookie'],
    'Authorization': 'Bearer ' + s['authorization'], 'X-Jwt': jwt})
get('/corp.example/' + gh + '/@v/list?' + gh)
get('/corp.example/' + gl + '/@v/list?pass=' + s['query-pass'] + '&code=' + s['query-code'])
get('/corp.example/mod;jsessionid=' + s['jsessionid'] + '/@v/list')
get('/corp.example/mod/@v/list?a=' + sys.argv[2] + '&b=' + sys.argv[3] + '&q=1;token=' + s['semicolon-query'])
get('/corp.example/mod?go-get=1')
get('/login', data=('user=a&password=' + s['form-password']).encode())
"""


def test_every_planted_secret_stays_out_of_every_output(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {
        **os.environ,
        "GOSCOPE_HOME": str(tmp_path / "home"),
        "GOPROXY": f"https://{GOPROXY_USER}:x-oauth-basic@corp.example/?token="
        f"{SECRETS['goproxy-query']},direct",
        "GOAUTH": f"/usr/local/bin/creds --token={SECRETS['goauth']} "
        f"--password {SECRETS['goauth-flag']}",
        "GOPRIVATE": "",
    }
    rec, rep, har = tmp_path / "r.jsonl", tmp_path / "r.json", tmp_path / "r.har"
    planted_file = tmp_path / "planted.json"
    planted_file.write_text(json.dumps([SECRETS, GH, GL, JWT, STRIPE, GOOGLE]))
    try:
        out = subprocess.run(
            [sys.executable, "-m", "goscope", "run", "--headless", "--port", "0"]
            + ["--route", f"corp.example=http://127.0.0.1:{server.server_port}"]
            + ["--jsonl", str(rec), "--json", str(rep), "--har", str(har), "--"]
            + [sys.executable, "-c", CLIENT, str(planted_file)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        server.shutdown()
    assert out.returncode == 0, out.stderr
    assert "goscope: 7 requests" in out.stderr
    views = []
    session = Session(recording=str(rec))
    for event in read_recording(str(rec)).events:
        session.add(event)
    for i in range(len(session)):
        views.append(plain(detail_view(session.store.row(i), session.event(i), None)))
        views.append(curl_command(session.event(i), "http://127.0.0.1:8080", "/ca.pem"))
    outputs = {
        "recording": rec.read_text(),
        "report": rep.read_text(),
        "har": har.read_text(),
        "summary": out.stderr,
        **{p.name: p.read_text() for p in export_session(str(rec), tmp_path / "export")},
        "views": "\n".join(views),
    }
    basic = base64.b64encode(f"u:{SECRETS['echo-basic']}".encode()).decode()
    planted = [*SECRETS.values(), GH, GL, JWT, basic, GOPROXY_USER, STRIPE, GOOGLE, NPM, ESCAPED_GH]
    for name, text in outputs.items():
        for secret in planted:
            assert secret not in text, f"{secret} leaked into {name}"
    har_doc = json.loads(outputs["har"])
    bodies = [e["response"]["content"].get("text", "") for e in har_doc["log"]["entries"]]
    assert any('"access_token": "REDACTED"' in b for b in bodies)  # redacted, not dropped
    assert "corp.example/REDACTED/@v/list" in outputs["recording"]


def test_a_crafted_recording_is_redacted_in_every_view(tmp_path):
    # Written by an older goscope, or by hand: what goscope shows of it is redacted anyway.
    from goscope.core.traffic.recording import write_recording

    from .factories import event

    ev = event(
        "https://proxy.golang.org/rsc.io/quote/@v/list?access_token=sec-crafted-1", 200, seq=1
    )
    ev.url = "https://proxy.golang.org/rsc.io/quote/@v/list?access_token=sec-crafted-1"
    ev.request_headers = [
        ["Authorization", "Bearer supersecretvalue123"],
        ["X-Vault-Token", "hvs.sec"],
    ]
    ev.preview = '{"password": "sec-crafted-2"}'
    rec = tmp_path / "crafted.jsonl"
    with rec.open("w") as fh:
        write_recording(fh, [ev], {})
    # The header's context and a sender line carry secrets too (before, the report printed
    # them as they were: a token in a directory, a branch name and a command's argument).
    header, *rest = rec.read_text().splitlines()
    head = json.loads(header)
    head["context"] = {
        "cwd": "/home/x/glpat-xY9zXy9zXy9zXy9zXy9z",
        "ci": {"provider": "github", "ref": "refs/heads/AKIAIOSFODNN7EXAMPLE"},
    }
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
    sender = {"id": 1, "pid": 5, "program": "go", "command": ["go", f"-token={jwt}"], "cwd": "/w"}
    sender_line = json.dumps({"format": "goscope-recording", "sender": sender})
    rec.write_text("\n".join([json.dumps(head), sender_line, *rest]) + "\n")
    env = {**os.environ, "GOSCOPE_HOME": str(tmp_path / "home")}
    out = subprocess.run(
        [sys.executable, "-m", "goscope", "report", str(rec), "--json", str(tmp_path / "r.json")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    session = Session(recording=str(rec))
    for e in read_recording(str(rec)).events:
        session.add(e)
    shown = plain(detail_view(session.store.row(0), session.event(0), None))
    exported = export_session(str(rec), tmp_path / "export")
    texts = {"report": (tmp_path / "r.json").read_text(), "detail": shown, "summary": out.stderr}
    texts |= {p.name: p.read_text() for p in exported if p.suffix != ".jsonl"}  # .jsonl: a copy
    assert '"-token=REDACTED"' in texts["report"]  # the sender was read, and redacted
    for name, text in texts.items():
        for secret in ("sec-crafted-1", "supersecretvalue123", "hvs.sec", "sec-crafted-2",
                       "glpat-xY9z", "AKIAIOSFODNN7EXAMPLE", jwt):  # fmt: skip
            assert secret not in text, f"{secret} in {name}"


def test_redaction_stays_linear_on_hostile_text():
    # A rule that backtracks lets one long answer stall the proxy for seconds (ReDoS).
    import time

    from goscope.core.safe.redact import redact_free_text, redact_headers, redact_url, redact_value

    n = 65536
    hostile = [
        "a" * n,
        "=" + "a" * n,
        "-" * n,
        '"a":"' + "a" * n,
        "<a>" + "a" * n,
        ";" + "a" * n + "=",
    ]
    hostile += ["//" + "a:" * (n // 2), "a=b&" * (n // 4), "x password " * (n // 11)]
    start = time.monotonic()
    for text in hostile:
        redact_free_text(text)
        redact_value(text)
        redact_url("https://h.example/" + text + "?" + text)
        redact_headers([("x-info", text), ("location", "https://h.example/?" + text)])
    # Linear: well under a second for 9 × 64 KiB; a quadratic rule takes minutes.
    assert time.monotonic() - start < 5


def test_a_symlink_planted_at_the_har_path_during_the_run_gets_nothing(tmp_path):
    # The watched command (go test runs dependency code) may put a symlink where the HAR
    # will go: mitmproxy writes into goscope's private directory, and the redacted HAR is
    # renamed into place, replacing the link, never following it.
    server = ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    target = tmp_path / "target.txt"
    target.write_text("precious")
    har = tmp_path / "out.har"
    client = (
        "import os, sys, urllib.request as u\n"
        f"os.symlink({str(target)!r}, {str(har)!r})\n"
        "r = u.Request('https://corp.example/corp.example/mod/@v/list', headers={"
        "'User-Agent': 'GoCommand/1', 'Authorization': 'Bearer hunter2-secret-bearer'})\n"
        "u.urlopen(r).read()\n"
    )
    env = {**os.environ, "GOSCOPE_HOME": str(tmp_path / "home")}
    try:
        out = subprocess.run(
            [sys.executable, "-m", "goscope", "run", "--headless", "--port", "0"]
            + ["--route", f"corp.example=http://127.0.0.1:{server.server_port}"]
            + ["--har", str(har), "--", sys.executable, "-c", client],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        server.shutdown()
    assert out.returncode == 0, out.stderr
    assert target.read_text() == "precious"
    assert not har.is_symlink() and "hunter2-secret-bearer" not in har.read_text()
    assert "Bearer REDACTED" in har.read_text()
    leftovers = list((tmp_path / "home" / "runs").rglob("*.har"))
    assert leftovers == []  # the unredacted one is gone


def _in_fresh_python(code: str) -> str:
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout


def test_the_proxy_redacts_with_the_shapes_the_app_hands_it():
    # The run engine composes the token shapes (importing detect-secrets) and hands their
    # source to the proxy process: the proxy redacts the same, without that import.
    from goscope.core.safe.redact import token_shapes_source

    aws = "AKIA" + "ABCDEFGHIJKLMNOP"  # a shape that comes from detect-secrets' plugins
    code = (
        "import sys\n"
        "from goscope.core.safe.redact import redact_free_text, use_token_shapes\n"
        f"use_token_shapes({token_shapes_source()!r})\n"
        f"print(redact_free_text('fetch failed: token {GH} key {aws}'))\n"
        "print('detect_secrets' in sys.modules)\n"
    )
    text, imported = _in_fresh_python(code).splitlines()
    assert GH not in text and aws not in text and "REDACTED" in text
    assert imported == "False"


def test_shapes_that_are_not_goscopes_are_ignored():
    # A source without goscope's own shapes (or not a regex) is not taken: redaction falls
    # back to composing its own, and still catches every shape.
    aws = "AKIA" + "ABCDEFGHIJKLMNOP"
    code = (
        "from goscope.core.safe.redact import redact_free_text, use_token_shapes\n"
        "use_token_shapes('nothing')\n"
        "use_token_shapes('(')\n"
        f"print(redact_free_text('token {GH} key {aws}'))\n"
    )
    text = _in_fresh_python(code)
    assert GH not in text and aws not in text


def test_header_values_remembered_as_clean_are_never_secrets():
    # Header values repeat on every request, so the clean ones are remembered (no second
    # scan); a value that held a token is redacted every time and never remembered.
    from goscope.core.safe import redact

    for _ in range(2):
        headers = redact.redact_headers(
            [("User-Agent", "GoCommand/1 (+https://go.dev/cmd/go)"), ("X-Trace", f"id {GH}")]
        )
        assert headers[1] == ["X-Trace", "id REDACTED"]
    assert "GoCommand/1 (+https://go.dev/cmd/go)" in redact._token_free
    assert not any(GH in value for value in redact._token_free)
    # A hostile server's huge header is scanned every time, never held on to.
    huge = "x" * 50_000
    redact.redact_headers([("X-Pad", huge)])
    assert huge not in redact._token_free
    # New shapes from the app: what older ones found clean is scanned again.
    redact.use_token_shapes(redact.token_shapes_source())
    assert not redact._token_free


def test_module_paths_and_proxy_bases_remembered_as_clean_are_never_secrets():
    # The addon redacts an event's module, version and GOPROXY base through these; each
    # repeats on every request to a module, so the clean ones are scanned once.
    from goscope.core.safe import redact

    for _ in range(2):
        assert redact.redact_repeated_path(f"corp.example/{GH}/lib") == "corp.example/REDACTED/lib"
        assert redact.redact_repeated_path("golang.org/x/mod") == "golang.org/x/mod"
        assert redact.redact_repeated_url(f"https://{GH}@goproxy.corp.example") == (
            "https://REDACTED@goproxy.corp.example"
        )
        assert redact.redact_repeated_url(f"https://goproxy.corp.example/{GH}") == (
            "https://goproxy.corp.example/REDACTED"
        )
    assert "golang.org/x/mod" in redact._clean_paths
    assert not any(GH in value for value in redact._clean_paths | redact._clean_urls)
    # Clean as a path is not clean as a URL: each kind of text is remembered apart.
    userinfo = "https://deploy:hunter2@goproxy.corp.example"
    assert redact.redact_repeated_path(userinfo) == userinfo
    assert redact.redact_repeated_url(userinfo) == "https://deploy:xxxxx@goproxy.corp.example"
    redact.use_token_shapes(redact.token_shapes_source())
    assert not redact._clean_paths and not redact._clean_urls


def test_a_token_in_a_url_urlsplit_refuses_is_redacted():
    # A stray `[` makes urlsplit refuse a URL (an invalid IPv6 host): found by the property
    # test of redact_url's fast path, where the slow path kept the token.
    from goscope.core.safe.redact import redact_url

    assert redact_url(f"https://[/{GH}[/") == "https://[/REDACTED[/"
    assert GH not in redact_url(f"https://u:pw@[x/{GH}")
    refused = redact_url("https://h]x/p?access_token=s3cr3t-77;jsessionid=abc123")
    assert "s3cr3t-77" not in refused and "abc123" not in refused


def test_a_crafted_headers_end_lines_and_senders_secrets_are_redacted_as_read(tmp_path):
    """A token in the header's judging patterns, the end line's reasons and go version, and a
    sender's GOPROXY password reached the summary, annotations, Markdown, SARIF and JSON."""
    from pathlib import Path

    token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    lines = [json.loads(line) for line in (Path(__file__).parent / "fixtures/tour.jsonl").open()]
    lines[0]["judging"] = {"private": f"corp.example/{token}", "trusted": []}
    lines[-1]["incomplete"] = [f"proxy died fetching https://bot:{token}@h.example/"]
    lines[-1]["go_version"] = f"go1.26 {token}"
    env = dict(lines[0]["environment"])
    env["GOPROXY"] = {"value": f"https://bot:{token}@mirror.example", "origin": "environment"}
    sender = {
        "id": 1,
        "pid": 7,
        "program": "go",
        "command": ["go", "mod", "download"],
        "environment": env,
        "variables": {"HTTPS_PROXY": f"http://u:{token}@p.example"},
    }
    for line in lines[1:-1]:
        line["sender"] = 1
    lines.insert(1, {"format": "goscope-recording", "sender": sender})
    rec = tmp_path / "r.jsonl"
    rec.write_text("".join(json.dumps(line) + "\n" for line in lines))
    outs = [tmp_path / n for n in ("r.json", "r.md", "r.sarif")]
    run = subprocess.run(
        [sys.executable, "-m", "goscope", "report", str(rec), "--json", str(outs[0]),
         "--markdown", str(outs[1]), "--sarif", str(outs[2])],
        env={**os.environ, "GITHUB_ACTIONS": "true", "GOSCOPE_HOME": str(tmp_path / "h")},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 4, run.stderr  # the end line says incomplete
    for text in (run.stdout, run.stderr, *(p.read_text() for p in outs)):
        assert token not in text
    assert "REDACTED" in outs[0].read_text() or "xxxxx" in outs[0].read_text()


def test_a_credential_in_any_headers_value_is_redacted_by_its_scheme():
    # A server's `X-Api: Bearer sk-live-…` (a shape no token rule knows) stayed as sent in
    # the recording, the report and the HAR; the same words in free text were redacted.
    from goscope.core.safe.redact import redact_headers

    out = redact_headers(
        [
            ("X-Api", "Bearer sk-live-0123456789abcdef0123456789"),
            ("X-Hint", "basic dXNlcjpwYXNzd29yZA=="),
            ("X-Callback", "https://bob:hunter2@mirror.example/x"),
            ("Content-Type", "text/plain; charset=utf-8"),
        ]
    )
    assert out == [
        ["X-Api", "Bearer REDACTED"],
        ["X-Hint", "basic REDACTED"],
        ["X-Callback", "https://bob:xxxxx@mirror.example/x"],
        ["Content-Type", "text/plain; charset=utf-8"],
    ]


def test_a_setting_named_like_a_secret_keeps_its_plain_value():
    # go's -x trace of git, kept in go_output: `git -c log.showsignature=false` was written
    # `log.showsignature=REDACTED` ("sig" sounds secret); a value of true/false/0/1 is none.
    from goscope.core.safe.redact import redact_free_text

    line = "cd /w; git -c log.showsignature=false ls-remote -q https://x/r?token=ghx0123456789"
    assert redact_free_text(line) == (
        "cd /w; git -c log.showsignature=false ls-remote -q https://x/r?token=REDACTED"
    )
