"""The addon with mitmproxy's own test harness (taddons, tflow)."""

from __future__ import annotations

import json

from mitmproxy.test import taddons, tflow, tutils

from goscope.core.goenv import GoEnv
from goscope.proxy.addon import EventSink, GoscopeAddon, Router, parse_routes
from goscope.proxy.script import GoscopeScript


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
    addon = GoscopeAddon(GoEnv.from_mapping({}))
    addon.keep_events = True
    flow = go_flow(
        "https://proxy.golang.org/github.com/%21burnt%21sushi/toml/@v/v1.3.2.info",
        body=b'{"Version":"v1.3.2"}',
    )
    flow.request.headers["Authorization"] = "Bearer abc.def"
    run(addon, flow)
    (event,) = addon.events
    assert (event.kind, event.endpoint, event.module, event.version) == (
        "proxy",
        "info",
        "github.com/BurntSushi/toml",
        "v1.3.2",
    )
    assert ["Authorization", "Bearer REDACTED"] in event.request_headers
    assert event.preview == '{"Version":"v1.3.2"}' and event.response_bytes == 20


def test_route_changes_the_destination_not_the_event():
    router = Router(parse_routes(["proxy.golang.org=http://127.0.0.1:9999/base"]))
    addon = GoscopeAddon()
    addon.keep_events = True
    flow = go_flow("https://proxy.golang.org/rsc.io/quote/@v/list")
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
    assert addon.events[0].url == "https://proxy.golang.org/rsc.io/quote/@v/list"
    assert addon.events[0].host == "proxy.golang.org"


def test_a_failing_classifier_never_loses_the_event():
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    addon = GoscopeAddon(classify=broken)
    addon.keep_events = True
    flow = go_flow("https://proxy.golang.org/rsc.io/quote/@v/list", status=404)
    run(addon, flow)
    (event,) = addon.events
    assert event.flags == ["goscope-error"] and event.status == 404
    assert event.url == "https://proxy.golang.org/rsc.io/quote/@v/list"
    assert addon.stats()["internal_errors"] == 1
    assert flow.response.status_code == 404  # the client's answer is untouched


def test_upstream_failure_is_a_502_with_the_error():
    addon = GoscopeAddon()
    addon.keep_events = True
    flow = tflow.tflow(err=True)
    flow.request.url = "https://flaky.example/rsc.io/quote/@v/list"
    addon.requestheaders(flow)
    addon.error(flow)
    (event,) = addon.events
    assert event.status == 502 and event.error == flow.error.msg


def test_second_4xx_of_the_same_url_is_the_auth_retry():
    addon = GoscopeAddon()
    addon.keep_events = True
    url = "https://proxy.golang.org/rsc.io/quote/@v/list"
    run(addon, go_flow(url, status=404))
    run(addon, go_flow(url, status=404, ua="Go-http-client/1.1"))
    run(addon, go_flow(url, status=404))
    assert [e.auth_retry for e in addon.events] == [False, True, False]
    assert addon.events[1].client == "go"


def test_events_sink_counts_live_drops_but_records_everything(tmp_path):
    import asyncio

    path = tmp_path / "r.jsonl"

    async def main():
        from goscope.proxy.addon import open_recording

        sink = EventSink(open_recording(str(path), {}), queue_size=2)
        sink.start_stream()
        addon = GoscopeAddon(sink=sink)
        for _ in range(5):
            run(addon, go_flow("https://proxy.golang.org/rsc.io/quote/@latest"))
        sink.recording.close()
        return sink

    sink = asyncio.run(main())
    assert sink.dropped == 3 and sink.written == 5
    assert len(path.read_text().splitlines()) == 6  # header + 5 events


def test_the_mitmdump_script_records_with_its_option(tmp_path):
    path = tmp_path / "events.jsonl"
    script = GoscopeScript()
    with taddons.context(script) as tctx:
        tctx.configure(script, goscope_jsonl=str(path))
        flow = go_flow("https://sum.golang.org/lookup/rsc.io/quote@v1.5.2")
        script.requestheaders(flow)
        script.response(flow)
        script.done()
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines[0]["format"] == "goscope-recording"
    assert (lines[1]["kind"], lines[1]["endpoint"], lines[1]["module"]) == (
        "sumdb",
        "lookup",
        "rsc.io/quote",
    )
