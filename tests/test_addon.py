"""The addon with mitmproxy's own test harness (taddons, tflow)."""

from __future__ import annotations

import json

import pytest
from mitmproxy import exceptions
from mitmproxy.test import taddons, tflow, tutils

import goscope
from goscope.core.gorules.goenv import GoEnv
from goscope.proxy.addon import GoscopeAddon, goscope_addons
from goscope.proxy.outputs import ListSink, LiveStream, Recorder
from goscope.proxy.router import Router


def listening(**kwargs) -> tuple[GoscopeAddon, ListSink]:
    sink = ListSink()
    return GoscopeAddon([sink], **kwargs), sink


def go_flow(
    url: str,
    status: int = 200,
    body: bytes = b"ok",
    ua: str = "GoCommand/1 (+https://go.dev/cmd/go)",
):
    flow = tflow.tflow(resp=True)
    flow.request.url = url
    flow.request.headers["User-Agent"] = ua
    flow.response = tutils.tresp(status_code=status, content=body)
    return flow


def run(addon, flow):
    addon.requestheaders(flow)
    addon.response(flow)


def test_classifies_and_redacts():
    addon, sink = listening(env=GoEnv.from_mapping({}))
    flow = go_flow(
        "https://proxy.golang.org/github.com/%21burnt%21sushi/toml/@v/v1.3.2.info",
        body=b'{"Version":"v1.3.2"}',
    )
    flow.request.headers["Authorization"] = "Bearer abc.def"
    run(addon, flow)
    (event,) = sink.events
    assert (event.kind, event.endpoint, event.module, event.version) == (
        "proxy",
        "info",
        "github.com/BurntSushi/toml",
        "v1.3.2",
    )
    assert ["Authorization", "Bearer REDACTED"] in event.request_headers
    assert event.preview == '{"Version":"v1.3.2"}' and event.response_bytes == 20


def test_a_token_in_a_goproxy_entrys_path_never_reaches_the_event_and_chains_still_match():
    # Hosted registries put the credential in the path (https://host/<token>/go). The
    # event's `proxy` is cut from that URL: written as is, the token reached every
    # recording, report and TUI pane that shows it.
    from goscope.core.view.session import Session

    token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0" * 2
    goproxy = f"https://corp.example/{token}/go,https://proxy.golang.org,direct"
    env = GoEnv.from_mapping({"GOPROXY": goproxy, "GONOSUMDB": "example.com"})
    addon, sink = listening(env=env)
    run(addon, go_flow(f"https://corp.example/{token}/go/example.com/x/@v/list", status=404))
    run(addon, go_flow("https://proxy.golang.org/example.com/x/@v/list"))
    first, second = sink.events
    assert token not in first.to_json() and first.proxy == "https://corp.example/REDACTED/go"
    assert first.module == "example.com/x"
    session = Session(env)
    for event in sink.events:
        session.add(event)
    (chain,) = session.chains
    # The redacted entry is still GOPROXY's first: go fell through it to the second.
    assert [a.outcome for a in chain.attempts] == ["fell-through", "served"]
    assert env.proxy_list.indices_of_base(first.proxy) == (0,)


def _walk(goproxy: str, requests: list[tuple[str, int]]) -> tuple[list[tuple], int]:
    """The chains one fetch makes (attempts' proxy, outcome, separator; result) and the
    failures counted when go fails: events through the real addon, then a Session."""
    from goscope.core.view.session import Session

    env = GoEnv.from_mapping({"GOPROXY": goproxy, "GONOSUMDB": "example.com"})
    addon, sink = listening(env=env)
    for base, status in requests:
        run(addon, go_flow(f"{base}/example.com/x/@v/v1.0.0.mod", status=status))
        if 400 <= status < 500:  # go retries every https 4xx once (web/http.go)
            run(addon, go_flow(f"{base}/example.com/x/@v/v1.0.0.mod", status=status))
    assert all("ghp_" not in event.to_json() for event in sink.events)
    session = Session(env)
    for event in sink.events:
        session.add(event)
    session.set_go_output([])
    chains = [
        ([(a.proxy, a.outcome, a.separator) for a in chain.attempts], chain.result)
        for chain in session.chains
    ]
    return chains, len(session.failures(1))


@pytest.mark.parametrize("separator", ["|", ","])
@pytest.mark.parametrize("statuses", [(503, 503), (404, 404), (503, 200), (404, 200)])
@pytest.mark.parametrize("last", ["off", "direct"])
def test_entries_told_apart_only_by_a_token_make_the_chain_distinct_entries_make(
    separator, statuses, last
):
    # Two entries of one host that differ only in the token of their path redact alike.
    # Matched by their redacted form alone both were entry 0: the second request opened a
    # chain of its own, and a fetch that failed at every entry was counted nowhere (a
    # failed command with "0 failed"). go walks GOPROXY in order, so the n-th attempt
    # through entries that redact alike is at the n-th of them: the chain is the one two
    # entries on different hosts make.
    a, b = "ghp_" + "a" * 36, "ghp_" + "b" * 36
    alike = [f"https://corp.example/{a}/go", f"https://corp.example/{b}/go"]
    apart = [f"https://corp.example/{a}/go", f"https://corp2.example/{b}/go"]
    falls = separator == "|" or statuses[0] == 404  # else go stops at the first entry
    walks = []
    for bases in (alike, apart):
        goproxy = separator.join([*bases, last])
        walks.append(_walk(goproxy, list(zip(bases, statuses, strict=True))[: 1 + falls]))
    (chains, failed), (expected, expected_failed) = walks
    assert repr(chains) == repr(expected).replace("corp2.example", "corp.example")
    assert failed == expected_failed
    assert len(chains) == 1
    if last == "off" and (statuses[1] != 200 or not falls):
        assert chains[0][1] == "failed" and failed == 1


def test_an_entry_written_twice_is_asked_once_and_later_fetches_stay_apart():
    # go caches each (proxy, module) lookup, errors too (modfetch/repo.go lookupCache): the
    # second copy of an entry never sends a request. A later request for the same file is
    # another fetch (another go process), not the walk reaching the second copy: read as
    # that, a failed fetch turned into a fallback that was served.
    twice = "https://a.example|https://a.example|off"
    chains, _ = _walk(twice, [("https://a.example", 500), ("https://a.example", 200)])
    (first, failed_result), (second, served_result) = chains
    assert first == [("https://a.example", "fell-through", "|")] and failed_result != "served"
    assert (second, served_result) == ([("https://a.example", "served", None)], "served")


def test_route_changes_the_destination_not_the_event():
    router = Router()
    addon, sink = listening(env=GoEnv.from_mapping({}))
    flow = go_flow("https://proxy.golang.org/rsc.io/quote/@v/list")
    with taddons.context(router) as tctx:
        tctx.configure(router, goscope_route=["proxy.golang.org=http://127.0.0.1:9999/base"])
        addon.requestheaders(flow)
        router.request(flow)
    assert (flow.request.scheme, flow.request.host, flow.request.port) == (
        "http",
        "127.0.0.1",
        9999,
    )
    assert flow.request.path == "/base/rsc.io/quote/@v/list"
    assert flow.request.host_header == "proxy.golang.org"
    addon.response(flow)
    assert sink.events[0].url == "https://proxy.golang.org/rsc.io/quote/@v/list"
    assert sink.events[0].host == "proxy.golang.org"


@pytest.mark.parametrize("bad", ["nourl", "host=ftp://x", "=http://x", "h=http://x:99999"])
def test_a_bad_route_option_is_refused_as_mapremote_does(bad):
    router = Router()
    with taddons.context(router) as tctx, pytest.raises(exceptions.OptionsError, match="--route"):
        tctx.configure(router, goscope_route=[bad])


def test_a_bad_environment_option_is_refused():
    addon = GoscopeAddon()
    with taddons.context(addon) as tctx, pytest.raises(exceptions.OptionsError, match="JSON"):
        tctx.configure(addon, goscope_environment="{not json")


def test_the_environment_option_decides_the_classification():
    addon, sink = listening()
    with taddons.context(addon) as tctx:
        tctx.configure(
            addon,
            goscope_environment=json.dumps({"GOPROXY": "https://corp.example/goproxy,direct"}),
        )
        run(addon, go_flow("https://corp.example/goproxy/example.com/x/@v/list"))
    (event,) = sink.events
    assert (event.module, event.proxy) == ("example.com/x", "https://corp.example/goproxy")


def test_a_failing_classifier_never_loses_the_event():
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    addon, sink = listening(env=GoEnv.from_mapping({}), classify=broken)
    flow = go_flow("https://proxy.golang.org/rsc.io/quote/@v/list", status=404)
    run(addon, flow)
    (event,) = sink.events
    assert event.flags == ["goscope-error"] and event.status == 404
    assert event.url == "https://proxy.golang.org/rsc.io/quote/@v/list"
    assert addon.stats()["internal_errors"] == 1
    assert flow.response.status_code == 404  # the client's answer is untouched


def test_upstream_failure_is_a_502_with_the_error():
    addon, sink = listening(env=GoEnv.from_mapping({}))
    flow = tflow.tflow(err=True)
    flow.request.url = "https://flaky.example/rsc.io/quote/@v/list"
    addon.requestheaders(flow)
    addon.error(flow)
    (event,) = sink.events
    assert event.status == 502 and event.error == flow.error.msg


def _failed_flow(msg: str, *, resp: bool = False, alpn: bytes | None = None, gone: bool = False):
    from mitmproxy import connection
    from mitmproxy.flow import Error

    flow = tflow.tflow(resp=resp)
    flow.request.url = "https://flaky.example/rsc.io/quote/@v/list"
    flow.error = Error(msg)
    flow.server_conn.alpn = alpn
    if gone:  # what mitmproxy's server.py does before it tells the layers of the close
        flow.client_conn.state &= ~connection.ConnectionState.CAN_READ
    return flow


@pytest.mark.parametrize(
    ("msg", "alpn", "gone", "abandoned"),
    [
        ("Client disconnected.", None, False, True),  # HTTP/1: only the client says so
        ("peer closed connection", b"h2", True, True),  # go's HTTP/2 connection closed
        ("peer closed connection", b"h2", False, False),  # the upstream's did: a failure
        # mitmproxy says "by client" of an HTTP/2 upstream's RST_STREAM too: with an h2
        # upstream it is the server's failure (it read "abandoned", and `|` went on clean)
        ("stream reset by client (INTERNAL_ERROR)", b"h2", False, False),
        ("stream reset by client (CANCEL)", b"http/1.1", False, True),
    ],
)
def test_only_a_client_that_left_is_abandoned_never_a_server_that_failed(
    msg, alpn, gone, abandoned
):
    addon, sink = listening(env=GoEnv.from_mapping({}))
    flow = _failed_flow(msg, alpn=alpn, gone=gone)
    addon.requestheaders(flow)
    addon.error(flow)
    (event,) = sink.events
    assert ("abandoned" in event.flags) is abandoned, event
    assert event.status == (None if abandoned else 502)


def test_a_buffered_answer_cut_short_is_goscopes_502_and_a_streamed_one_keeps_its_status():
    # The body broke off before it was whole: mitmproxy answered go 502 (it had not sent the
    # server's headers yet), so the 200 go never saw is not the recorded status.
    addon, sink = listening(env=GoEnv.from_mapping({}))
    flow = _failed_flow("peer closed connection", resp=True)
    addon.requestheaders(flow)
    addon.error(flow)
    (event,) = sink.events
    assert event.status == 502 and "after flaky.example began answering 200" in event.error
    flow = _failed_flow("peer closed connection", resp=True)
    addon.requestheaders(flow)
    flow.response.stream = True  # a large body: mitmproxy streams it (stream_large_bodies)
    addon.responseheaders(flow)  # go got the 200 and a body cut short
    addon.error(flow)
    assert sink.events[-1].status == 200 and sink.events[-1].error == "peer closed connection"


def test_second_4xx_of_the_same_url_is_the_auth_retry():
    addon, sink = listening(env=GoEnv.from_mapping({}))
    url = "https://proxy.golang.org/rsc.io/quote/@v/list"
    run(addon, go_flow(url, status=404))
    run(addon, go_flow(url, status=404, ua="Go-http-client/1.1"))
    run(addon, go_flow(url, status=404))
    assert [e.auth_retry for e in sink.events] == [False, True, False]
    assert sink.events[1].client == "go"


def test_the_live_stream_counts_drops_but_the_recording_keeps_everything(tmp_path):
    import asyncio

    path = tmp_path / "r.jsonl"
    recorder, live = Recorder(), LiveStream()
    addon = GoscopeAddon([recorder, live], env=GoEnv.from_mapping({}))

    async def main():
        with taddons.context(addon, recorder, live) as tctx:
            tctx.configure(live, goscope_queue_size=2)
            tctx.configure(recorder, goscope_jsonl=str(path))
            live.queue = asyncio.Queue(2)  # what running() makes, without a socket to feed
            for _ in range(5):
                run(addon, go_flow("https://proxy.golang.org/rsc.io/quote/@latest"))
            recorder.done()

    asyncio.run(main())
    assert live.dropped == 3 and recorder.written == 5
    assert addon.stats() == {
        "events": 5,
        "internal_errors": 0,
        "dropped_live": 3,
        "sender_timeouts": 0,
        "sender_unknown": 0,
        "foreign": 0,
        "tls_failed": 0,
    }
    assert len(path.read_text().splitlines()) == 6  # header + 5 events


def test_the_mitmdump_script_records_with_its_option(tmp_path):
    import importlib.util
    from pathlib import Path

    from goscope.cli.addon import script_path

    script = script_path()
    assert script.is_file() and Path(goscope.__file__).parent in script.parents
    spec = importlib.util.spec_from_file_location("goscope_script", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path = tmp_path / "events.jsonl"
    router, addon, _guard, recorder, live = module.addons
    assert [type(a) for a in module.addons] == [type(a) for a in goscope_addons()]
    with taddons.context(*module.addons) as tctx:
        tctx.configure(recorder, goscope_jsonl=str(path))
        flow = go_flow("https://sum.golang.org/lookup/rsc.io/quote@v1.5.2")
        addon.requestheaders(flow)
        addon.response(flow)
        recorder.done()
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines[0]["format"] == "goscope-recording"
    assert (lines[1]["kind"], lines[1]["endpoint"], lines[1]["module"]) == (
        "sumdb",
        "lookup",
        "rsc.io/quote",
    )


ZIP = "https://proxy.golang.org/example.com/!azure/kit/@v/v0.3.0-!beta.2.zip"
BLOB = "https://storage.example/mod/kit.zip?X-Goog-Signature=0123456789abcdef0123456789abcdef"


def redirect_flow(url: str, location: str):
    flow = go_flow(url, status=302, body=b"")
    flow.response.headers["Location"] = location
    return flow


def test_a_redirect_target_inherits_the_fetch_and_go_retry_folds_across_it():
    addon, sink = listening(env=GoEnv.from_mapping({}))
    for _ in range(2):  # go asks, is refused at the blob host, asks again with GOAUTH
        run(addon, redirect_flow(ZIP, BLOB))
        run(addon, go_flow(BLOB, status=403, body=b"AccessDenied"))
    first, blob, retry, blob_again = sink.events
    assert "redirect" in first.flags and blob.redirected_from == first.seq
    assert (blob.kind, blob.endpoint, blob.module, blob.version) == (
        "proxy",
        "zip",
        "example.com/Azure/kit",
        "v0.3.0-Beta.2",
    )
    assert blob.proxy == "https://proxy.golang.org" and blob.host == "storage.example"
    assert "X-Goog-Signature=REDACTED" in blob.url  # a signed URL is a secret while it lives
    assert retry.auth_retry and blob_again.redirected_from == retry.seq


def test_a_request_nobody_redirected_to_stays_what_it_is():
    addon, sink = listening(env=GoEnv.from_mapping({}))
    run(addon, go_flow(BLOB, status=200))
    (event,) = sink.events
    assert event.kind == "other" and event.redirected_from is None


def test_the_group_forwards_every_hook_its_members_have():
    # goscope's addons reach mitmproxy as one AddonGroup: a hook a member implements but
    # the group does not forward would silently never run.
    from mitmproxy import hooks

    from goscope.proxy.group import HOOKS, AddonGroup
    from goscope.proxy.outputs import HarRedactor
    from goscope.proxy.server import Lifecycle

    members = [*goscope_addons()[1:], HarRedactor(), Lifecycle(None, None)]
    implemented = {
        name for m in members for name in hooks.all_hooks if callable(getattr(m, name, None))
    }
    assert implemented <= set(HOOKS)
    group = AddonGroup(*members)
    assert all(callable(getattr(group, name)) for name in HOOKS)
    assert not any(hasattr(group, name) for name in set(hooks.all_hooks) - set(HOOKS))


def test_one_failing_member_never_stops_the_others(tmp_path):
    # A recording that cannot be closed (a full disk) must not keep the HAR unredacted on
    # disk, or the stats line unsaid: each member runs on its own, as top-level addons do.
    import asyncio

    from mitmproxy.addons import savehar

    from goscope.proxy.group import AddonGroup
    from goscope.proxy.outputs import HarRedactor

    token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0" * 2
    raw = tmp_path / "private" / "raw.har"
    raw.parent.mkdir()
    entry = {
        "request": {"url": "https://h.example/x", "headers": [{"name": "X-T", "value": token}]},
        "response": {"headers": []},
    }
    raw.write_text(json.dumps({"log": {"entries": [entry]}}))
    said = []

    class FullDisk:
        def done(self):
            raise OSError(28, "No space left on device")

    class Stats:
        def done(self):
            said.append("stats")

    group = AddonGroup(FullDisk(), HarRedactor(), Stats())
    with taddons.context(savehar.SaveHar(), group) as tctx:
        tctx.options.update(hardump=str(raw), goscope_har=str(tmp_path / "out.har"))
        asyncio.run(group.done())
    assert said == ["stats"]
    assert not raw.exists()
    har = (tmp_path / "out.har").read_text()
    assert "REDACTED" in har and token not in har


def test_a_dial_go_cancels_mid_handshake_is_not_a_client_that_distrusts_goscope():
    """go's net/http races dials and closes the loser mid-handshake, without an alert: that
    is no request unseen (a flaky INCOMPLETE before); a TLS alert still is."""
    from types import SimpleNamespace

    from goscope.proxy.addon import GoscopeAddon

    addon = GoscopeAddon()

    def refused(error: str | None) -> None:  # a client past its CONNECT (the run's secret)
        addon.handshaking.add(cid := f"client-{len(addon.handshaking)}-{error}")
        addon.tls_failed_client(SimpleNamespace(conn=SimpleNamespace(id=cid, error=error)))

    for error in (
        "The client disconnected during the handshake. If this happens consistently for "
        "proxy.golang.org, this may indicate that the client does not trust the proxy's "
        "certificate.",
        "connection closed early",
    ):
        refused(error)
    assert addon.tls_failed == 0 and addon.stats()["tls_abandoned"] == 2
    for error in (
        "The client does not trust the proxy's certificate for proxy.golang.org "
        "(sslv3 alert certificate unknown)",
        "The client may not trust the proxy's certificate for proxy.golang.org (eof)",
        None,
    ):
        refused(error)
    assert addon.stats()["tls_failed"] == 3
    # TLS sent straight to the port, with no CONNECT: anyone's, never the run's verdict.
    addon.tls_failed_client(SimpleNamespace(conn=SimpleNamespace(id="stray", error="unknown ca")))
    assert addon.stats()["tls_failed"] == 3 and addon.stats()["tls_unwired"] == 1


def test_a_header_that_cannot_be_written_stops_the_proxy_before_any_event(tmp_path, monkeypatch):
    # Events after a lost header make a file no reader takes: the whole run unjudged. The
    # proxy refuses to start instead (the run then fails in one line).
    from goscope.proxy import outputs

    def unwritable(*_args, **_kwargs):
        raise TypeError("Type is not JSON serializable: bytes")

    monkeypatch.setattr(outputs, "header_line", unwritable)
    recorder = Recorder()
    addon = GoscopeAddon([recorder], env=GoEnv.from_mapping({}))
    path = tmp_path / "r.jsonl"
    with (
        taddons.context(addon, recorder) as tctx,
        pytest.raises(exceptions.OptionsError) as refused,
    ):
        tctx.configure(recorder, goscope_jsonl=str(path))
    assert "cannot write the recording's header" in str(refused.value)
    assert path.read_bytes() == b""


def test_only_the_process_that_was_redirected_follows_its_redirect():
    # A redirect's target takes the meaning of the request that redirected, but only for the
    # process go's client followed it in: another process asking the same URL inherited
    # that meaning (a private path asked by the second passed as the first's public one).
    addon, sink = listening(env=GoEnv.from_mapping({}))
    addon._told.update({1, 2})  # their sender lines are not this test's
    for flow, sender in (
        (redirect_flow(ZIP, BLOB), 1),
        (go_flow(BLOB, status=200), 2),
        (go_flow(BLOB, status=200), 1),
    ):
        addon._sender_of[flow.client_conn.id] = sender  # as the sender lookup ties them
        run(addon, flow)
    _, theirs, ours = sink.events
    assert theirs.kind == "other" and theirs.redirected_from is None
    assert ours.kind == "proxy" and ours.redirected_from == sink.events[0].seq


def test_a_sender_whose_first_lookup_ran_late_is_known_on_its_next_connection(monkeypatch):
    """The first lookup of a process ran past the limit and finished in its worker, which kept
    the sender. Its next connection came back 'not new': never registered, so it was judged by
    nobody's environment (the guard let its leak out) and telling it raised KeyError. And a
    lookup that ran late is counted at a request, never for a connection that asks nothing."""
    import asyncio
    import threading
    from types import SimpleNamespace

    from goscope.proxy import addon as addon_module
    from goscope.proxy.addon import GoscopeAddon
    from goscope.proxy.senders import Sender

    monkeypatch.setattr(addon_module, "SENDER_LOOKUP_SECONDS", 0.05)
    go = Sender(1, 4242, "go", ["go", "mod", "download"], "/w", {"GONOPROXY": {
        "value": "corp.example", "origin": "environment"}})  # fmt: skip
    calls = []
    release = threading.Event()

    def identify(peer, local):
        calls.append(peer)
        if len(calls) == 1:
            release.wait(5)  # the slow first scan: it ends after the limit
            return go, True
        return go, False

    addon = GoscopeAddon()
    addon.senders = SimpleNamespace(identify=identify)

    async def connect(cid: str) -> None:
        client = SimpleNamespace(id=cid, peername=("127.0.0.1", 1), sockname=("127.0.0.1", 2))
        await addon.client_connected(client)  # type: ignore[arg-type]

    async def main() -> None:
        await connect("c1")  # times out
        release.set()
        await asyncio.sleep(0.1)
        await connect("c2")

    asyncio.run(main())
    assert addon._sender_of == {"c1": None, "c2": 1}
    assert 1 in addon._senders and addon._sender_envs[1] is not None
    assert addon.stats()["sender_timeouts"] == 0  # c1 has asked nothing yet


def test_trouble_wake_ups_are_never_counted_as_events_nor_take_their_places():
    """Each change of the proxy's trouble counts queued a wake-up for the live stream's
    writer: at the end they were counted as dropped events, and a full queue of them
    dropped a real one."""
    import asyncio

    from goscope.proxy.outputs import LiveStream

    async def main(size: int) -> int:
        live = LiveStream()
        live.queue = asyncio.Queue(size)
        live.task = asyncio.get_running_loop().create_task(asyncio.sleep(0.2))  # a slow app
        for n in range(1, 6):
            live.emit_trouble({"tls_failed": n})
        live.emit(None, '{"seq": 1}')  # type: ignore[arg-type]
        await live.done()
        return live.dropped

    assert asyncio.run(main(10)) == 1  # the one event not streamed in time, no more
    assert asyncio.run(main(2)) == 1


def test_a_fully_qualified_host_takes_its_route():
    # `proxy.golang.org.` is proxy.golang.org: the route keyed without the dot missed it,
    # and a routed (lab, test) run reached the real proxy.
    router = Router()
    flow = go_flow("https://proxy.golang.org./rsc.io/quote/@v/list")
    with taddons.context(router) as tctx:
        tctx.configure(router, goscope_route=["proxy.golang.org=http://127.0.0.1:9999"])
        router.request(flow)
    assert (flow.request.host, flow.request.port) == ("127.0.0.1", 9999)


def test_a_guard_that_cannot_judge_a_request_answers_it_and_counts_the_failure():
    # mitmproxy logs a hook's exception and forwards the flow: the guard failed open.
    from goscope.proxy.guard import Guard

    def judge_nothing(flow):
        raise RuntimeError("cannot judge")

    failures = []
    guard = Guard(judge_nothing, on_error=failures.append)
    guard.enabled = True
    flow = go_flow("https://proxy.golang.org/corp.example/x/@v/list")
    flow.response = None
    guard.requestheaders(flow)
    assert flow.response is not None and flow.response.status_code == 502
    assert len(failures) == 1 and guard.blocked == 0
    assert not flow.metadata.get("goscope_blocked")
    # And the addon counts it: the verdict is incomplete.
    addon, _ = listening()
    addon.internal_error(RuntimeError("cannot judge"))
    assert addon.stats()["internal_errors"] == 1


def test_a_request_the_classifier_cannot_read_is_refused_by_the_guard_and_counted_once(
    monkeypatch, tmp_path
):
    # The classifier never raises into the proxy: what it could not read was "other", which
    # no leak rule judges, so the guard forwarded it and the verdict stayed complete.
    from goscope.core.traffic import classify

    def unreadable(*args, **kwargs):
        raise UnicodeError("a shape nobody foresaw")

    monkeypatch.setattr(classify, "_classify", unreadable)
    router, addon, guard, recorder, live = goscope_addons()
    with taddons.context(router, addon, guard, recorder, live) as tctx:
        tctx.configure(recorder, goscope_jsonl=str(tmp_path / "r.jsonl"))
        tctx.configure(guard, goscope_judging='{"private": "corp.example"}', goscope_guard=True)
        guarded = go_flow("https://proxy.golang.org/corp.example/x/@v/list")
        guarded.response = None
        addon.requestheaders(guarded)
        guard.requestheaders(guarded)
        assert guarded.response is not None and guarded.response.status_code == 502
        addon.response(guarded)
        tctx.configure(guard, goscope_guard=False)
        unguarded = go_flow("https://proxy.golang.org/corp.example/y/@v/list")
        run(addon, unguarded)
        recorder.done()
    assert addon.stats()["internal_errors"] == 2  # one each: the verdict is incomplete
    first, second = (e for e in recorder_events(tmp_path / "r.jsonl"))
    assert "goscope-error" in first["flags"] and "goscope-error" in second["flags"]


def recorder_events(path) -> list[dict]:
    return [line for line in map(json.loads, path.read_text().splitlines()) if "seq" in line]


@pytest.mark.parametrize(
    ("name", "value", "http", "refused"),
    [
        (b"X-Evil", b"a\x01b", "HTTP/1.1", "invalid header field value for 'X-Evil'"),
        (b"X-Evil", b"a\x7fb", "HTTP/2.0", "invalid header field value for 'X-Evil'"),
        (b"X-Fine", b"tab\tand obs-text \xe9", "HTTP/2.0", None),
        # A folded value: textproto joins the lines over HTTP/1 (go read the 404 and fell
        # through, and the report said it had stopped); HTTP/2 refuses it.
        (b"X-Fold", b"a\r\n b", "HTTP/1.1", None),
        (b"X-Fold", b"a\r\n b", "HTTP/2.0", "invalid header field value for 'X-Fold'"),
        # A space in a name: let through over HTTP/1 (go issue 34540), refused over HTTP/2.
        (b"Bad Name", b"x", "HTTP/1.1", None),
        (b"Bad Name", b"x", "HTTP/2.0", "malformed header field name 'Bad Name'"),
        # Over HTTP/2 mitmproxy strips connection headers (h2 normalize_outbound_headers):
        # go never saw it, read the 404 and fell through; over HTTP/1 it refuses.
        (b"Keep-Alive", b"a\x01b", "HTTP/2.0", None),
        (b"Keep-Alive", b"a\x01b", "HTTP/1.1", "invalid header field value for 'Keep-Alive'"),
        # The name is wire text: a token shape in it is redacted in the error.
        (b"ghp_0123456789abcdefghijABCDEFGHIJ012345", b"a\x01", "HTTP/1.1",
         "invalid header field value for 'REDACTED'"),
    ],
)  # fmt: skip
def test_an_answer_whose_header_go_refuses_never_gave_go_its_status(name, value, http, refused):
    # go refuses a header value with a control character (net/textproto over HTTP/1,
    # http2 frame.go over HTTP/2): it got a protocol error, never the 404, and stopped. The
    # recording said 404, a fall-through after `,`, while go had stopped.
    addon, sink = listening(env=GoEnv.from_mapping({}))
    flow = go_flow("https://evil.example/example.com/lib/@v/v1.0.0.info", status=404)
    flow.request.http_version = http
    flow.response.headers.fields = (*flow.response.headers.fields, (name, value))
    run(addon, flow)
    (event,) = sink.events
    if refused is None:
        assert (event.status, event.error) == (404, None)
    else:
        assert event.status is None and event.error.startswith(refused), event.error
        assert event.error.endswith("go refused the server's 404")
    assert not any("ghp_" in name for name, _ in event.response_headers)


@pytest.mark.parametrize(
    ("looked_up", "asked", "module", "base"),
    [
        # A go-import `mod` tag naming a proxy at a base with a dot: v1.0 was the module's start.
        (
            "git.corp.example.com/team/secret",
            "https://proxy.golang.org/v1.0/git.corp.example.com/team/secret/@v/list",
            "git.corp.example.com/team/secret",
            "https://proxy.golang.org/v1.0",
        ),
        # Case-encoded as go asks it (module.EscapePath), whatever the page said.
        (
            "git.corp.example.com/Team/X",
            "https://mirror.example/a.b/git.corp.example.com/!team/!x/@latest",
            "git.corp.example.com/Team/X",
            "https://mirror.example/a.b",
        ),
    ],
)
def test_a_proxy_asked_for_a_path_go_just_looked_up_is_read_at_that_path(
    looked_up, asked, module, base
):
    # However the page's tags are written (mod after git, in a comment's shadow, namespaced,
    # past 64 KiB, streamed), go asks the proxy for the path it looked up: that is the module.
    from goscope.core.vocab import BASE_GUESSED_FLAG

    addon, sink = listening(env=GoEnv.from_mapping({}))
    host, _, path = looked_up.partition("/")
    run(addon, go_flow(f"https://{host}/{path}?go-get=1"))
    run(addon, go_flow(asked))
    _, event = sink.events
    assert (event.module, event.proxy) == (module, base)
    assert BASE_GUESSED_FLAG in event.flags
    # A public module at a GOPROXY entry is untouched.
    run(addon, go_flow("https://proxy.golang.org/gopkg.in/yaml.v3/@v/list"))
    assert (sink.events[-1].module, sink.events[-1].flags) == ("gopkg.in/yaml.v3", [])


def test_another_processs_lookups_never_rename_or_unflag_a_request():
    # A wired client looked up `hello` (the public example.com/hello then read as module
    # hello, a false leak the guard blocked) or the classifier's own reading
    # `v1.0/corp.example/x` (left unflagged: the private path went out). Only the process's
    # own lookups count, only a path that could be a module's, and a match is always flagged.
    from goscope.core.vocab import BASE_GUESSED_FLAG

    addon, sink = listening(env=GoEnv.from_mapping({}))

    def flow_of(url: str, client: str):
        flow = go_flow(url)
        flow.metadata["goscope_sender"] = {"curl": 1, "go": 2}[client]
        return flow

    run(addon, flow_of("http://hello/?go-get=1", "curl"))
    run(addon, flow_of("https://v1.0/corp.example/x?go-get=1", "curl"))
    run(addon, flow_of("https://proxy.golang.org/example.com/hello/@v/v1.0.0.mod", "go"))
    assert (sink.events[-1].module, sink.events[-1].flags) == ("example.com/hello", [])
    run(addon, flow_of("https://v1.0/corp.example/x?go-get=1", "go"))
    run(addon, flow_of("https://proxy.golang.org/v1.0/corp.example/x/@v/list", "go"))
    assert BASE_GUESSED_FLAG in sink.events[-1].flags  # the tails are judged (leaks.py)
