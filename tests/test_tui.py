"""The TUI as a user drives it: pilot tests on a recording and on a live lab session."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from goscope.core.traffic.recording import read_recording
from goscope.lab.scenario import load_scenario
from goscope.run.options import RunOptions
from goscope.tui.app import GoscopeApp
from goscope.tui.launch import Launch
from goscope.tui.screens.modals import ConfirmScreen, HelpScreen

from .tui_helpers import loaded, plain, settled, wait_for

FIXTURE = Path(__file__).parent / "fixtures" / "tour.jsonl"
REAL = Path(__file__).parent / "fixtures" / "real"
EVENTS = sum(1 for line in FIXTURE.read_text().splitlines() if line.startswith('{"seq"'))


def open_app(tmp_path=None) -> GoscopeApp:
    launch = Launch(
        recording=str(FIXTURE.relative_to(Path.cwd()))
        if FIXTURE.is_relative_to(Path.cwd())
        else str(FIXTURE),
        export_dir=str(tmp_path) if tmp_path else None,
    )
    app = GoscopeApp(launch)
    # No animations (the tab underline slides): a screen is in one state, not somewhere
    # in between, however loaded the machine is.
    app.animation_level = "none"
    return app


def detail_text(app: GoscopeApp) -> str:
    return plain(app.query_one("#detail", Static).content)


async def test_selecting_a_request_shows_its_fallback_chain(tmp_path):
    app = open_app(tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await loaded(pilot, app, EVENTS)
        assert app.request_list.row_count == EVENTS and app.request_list.follow is False
        await pilot.press("down", "down")  # the GOAUTH retry of hello's .mod at old-mirror
        text = detail_text(app)
        assert "Fallback chain example.com/hello@v1.0.0 mod" in text
        assert (
            "fell-through  404 from old-mirror.example: after `,` go tries the next entry" in text
        )
        assert "asked twice: go's GOAUTH retry" in text
        assert "served        200 from proxy.golang.org: served" in text
        assert "user-agent" in text  # the headers, read back from the recording


async def test_filter_language_narrows_and_escape_clears(tmp_path):
    app = open_app(tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await loaded(pilot, app, EVENTS)
        await pilot.press("slash")
        await pilot.press(*"kind:sumdb")
        await pilot.press("enter")
        store = app.session.store
        sumdb = [i for i in range(len(store)) if store.row(i).kind == "sumdb"]
        assert app.request_list.indices == sumdb and len(sumdb) == 7
        assert "filter: kind:sumdb (7 shown, Esc clears)" in plain(
            app.query_one("#header-info", Static).content
        )
        await pilot.press("slash", "ctrl+u", *"status:>=400 host:proxy.golang", "enter")
        assert {store.row(i).host for i in app.request_list.indices} == {"proxy.golang.org"}
        assert all(store.row(i).status >= 400 for i in app.request_list.indices)
        await pilot.press("escape")
        assert app.request_list.indices is None and app.request_list.row_count == EVENTS
        await pilot.press("slash", *"status:abc", "enter")
        assert app.requests.filter is None  # a bad filter is refused with a notice, not applied


async def test_leaks_modules_hosts_and_config_tabs(tmp_path):
    app = open_app(tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await loaded(pilot, app, EVENTS)
        await pilot.press("2")
        modules = app.tab("modules").table
        names = [str(modules.get_row_at(r)[0]) for r in range(modules.row_count)]
        assert names == [
            "example.com/hello@v1.0.0",
            "example.com/quote@v1.5.2",
            "git.corp.example.com/team/secret@v1.2.0",
        ]
        assert str(modules.get_row_at(2)[1]) == "direct" and str(modules.get_row_at(2)[3]) == "LEAK"
        await pilot.press("3")
        leaks = app.tab("leaks").table
        hosts = {str(leaks.get_row_at(r)[4]) for r in range(leaks.row_count)}
        # One row per path and host (the header counts these), each with its endpoints.
        assert hosts == {"proxy.golang.org", "old-mirror.example"} and leaks.row_count == 2
        await pilot.press("c")
        assert app.last_copied == "go env -w GOPRIVATE=git.corp.example.com"
        await pilot.press("4")
        host_table = app.tab("hosts").table
        assert host_table.row_count == 4
        await pilot.press("8")  # Senders: leaks as the header counts them (it said 6 requests)
        senders = app.tab("senders").table
        column = [str(c.label) for c in senders.columns.values()].index("leaks")
        assert [str(senders.get_row_at(r)[column]) for r in range(senders.row_count)] == ["2"]
        await pilot.press("5")
        config = app.tab("config")
        ids = [
            str(config.findings_table.get_row_at(r)[1])
            for r in range(config.findings_table.row_count)
        ]
        assert ids == ["proxy-not-private", "comma-stops-on-error"]
        config.findings_table.focus()
        await pilot.press("enter")  # jump to the request that proves the finding
        assert app.query_one("#tabs").active == "requests"
        row = app.session.store.row(app.request_list.store_index(app.request_list.cursor))
        assert (
            row.seq == config.findings[0].evidence[0]
            and row.module == "git.corp.example.com/team/secret"
        )


async def test_export_copy_and_help(tmp_path):
    app = open_app(tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await loaded(pilot, app, EVENTS)
        await pilot.press("e")
        jsonl, report, har = app.last_export
        assert jsonl.read_text() == FIXTURE.read_text()
        assert '"fetches"' in report.read_text() and '"entries"' in har.read_text()
        await pilot.press("c")
        assert (
            app.last_copied.startswith("curl -sS -i ") and "old-mirror.example" in app.last_copied
        )
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_command_palette_offers_goscope_filters(tmp_path):
    app = open_app(tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await loaded(pilot, app, EVENTS)
        await pilot.press("ctrl+p")
        await pilot.press(*"filter: leaks")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.requests.filter is not None)
        assert app.requests.filter.text == "leak"
        assert {app.session.store.row(i).module for i in app.request_list.indices} == {
            "git.corp.example.com/team/secret"
        }


def scenario_launch(name, tmp_path, go_binary, shared_gocache):
    scenario = load_scenario(name)
    lab = scenario.lab(tmp_path / "lab").start()
    env = scenario.go_env(lab, tmp_path, go_binary)
    env["GOCACHE"] = str(shared_gocache)
    work = scenario.workspace(tmp_path)
    os.environ["GOSCOPE_HOME"] = str(tmp_path / "home")
    opts = RunOptions(
        command=["go", "mod", "download"], port=0, routes=lab.routes(), env=env, cwd=str(work)
    )
    launch = Launch.live(opts)
    launch.export_dir = str(tmp_path / "export")
    yield launch
    launch.engine.stop()
    launch.engine.cleanup()
    lab.stop()
    os.environ.pop("GOSCOPE_HOME", None)


@pytest.fixture
def lab_launch(tmp_path, go_binary, shared_gocache):
    yield from scenario_launch("tour", tmp_path, go_binary, shared_gocache)


@pytest.fixture
def mismatch_launch(tmp_path, go_binary, shared_gocache):
    yield from scenario_launch("checksum-mismatch", tmp_path, go_binary, shared_gocache)


async def test_a_download_go_rejected_is_never_shown_verified(mismatch_launch):
    app = GoscopeApp(mismatch_launch)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: app.exit_status is not None and app.session.go_errors)
        await wait_for(
            pilot, lambda: "1 failed" in plain(app.query_one("#header-info", Static).content)
        )
        header = plain(app.query_one("#header-info", Static).content)
        assert "exit 1" in header and "0 failed" not in header
        await pilot.press("2")
        table = app.tab("modules").table

        def rejected() -> bool:
            # go's line may come before the proxy's event of the zip it rejected (two
            # pipes): the error is then tied once the event comes. Never "verified" meanwhile.
            row = [str(c) for c in table.get_row_at(0)] if table.row_count == 1 else []
            assert "verified" not in row, row
            return row[1:2] == ["rejected"]

        await wait_for(pilot, rejected)
        row = [str(c) for c in table.get_row_at(0)]
        assert row[0] == "example.com/hello@v1.0.0" and row[1] == "rejected"
        assert "MISMATCH" in row and "verified" not in row
        detail = app.tab("modules").tree_text()
        assert "rejected by go: checksum mismatch (sum.golang.org)" in detail
        assert "go said" in detail and "verifying module: checksum mismatch" in detail
        # The Output tab lists go's error; Enter shows the request behind it.
        await pilot.press("7")
        await wait_for(pilot, lambda: app.tab("output").errors)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.active_tab().TAB_ID == "requests")
        row = app.session.store.row(app.request_list.store_index(app.request_list.cursor))
        assert (row.endpoint, row.host, row.status) == ("zip", "evil.example", 200)


async def test_a_live_lab_session_follows_traffic(lab_launch):
    app = GoscopeApp(lab_launch)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: app.exit_status is not None)
        await wait_for(
            pilot, lambda: len(app.session) >= 43 and app.request_list.row_count == len(app.session)
        )
        assert app.exit_status == 0
        header = plain(app.query_one("#header-info", Static).content)
        assert "listening on http://127.0.0.1:" in header and 'eval "$(goscope env --port' in header
        assert "exit 0" in header
        # Following: the cursor sits on the newest request.
        assert app.request_list.follow and app.request_list.cursor == app.request_list.row_count - 1
        await pilot.press("up")
        assert not app.request_list.follow and "follow off" in plain(
            app.query_one("#header-info", Static).content
        )
        await pilot.press("f")
        assert app.request_list.follow and app.request_list.cursor == app.request_list.row_count - 1
        assert len(app.session.leaks) == 6
        # What the user sees, live: a fallthrough chain, the leak rows, the module rows, a filter.
        store = app.session.store
        fell = next(
            i
            for i in range(len(store))
            if store.row(i).host == "old-mirror.example"
            and store.row(i).module == "example.com/hello"
            and store.row(i).endpoint == "zip"
        )
        app.request_list.select_store_index(fell)
        await pilot.pause(0.2)
        text = detail_text(app)
        assert "404 from old-mirror.example: after `,` go tries the next entry" in text
        assert "200 from proxy.golang.org: served" in text
        await pilot.press("3")
        await pilot.pause(0.3)
        leaks = app.tab("leaks").table
        assert {
            (str(leaks.get_row_at(r)[1]), str(leaks.get_row_at(r)[4]))
            for r in range(leaks.row_count)
        } == {("high", "proxy.golang.org"), ("medium", "old-mirror.example")}
        await pilot.press("2")
        await pilot.pause(0.3)
        modules = app.tab("modules").table
        served = {
            str(modules.get_row_at(r)[0]): str(modules.get_row_at(r)[1])
            for r in range(modules.row_count)
        }
        assert served == {
            "example.com/hello@v1.0.0": "proxy.golang.org",
            "example.com/quote@v1.5.2": "proxy.golang.org",
            "git.corp.example.com/team/secret@v1.2.0": "direct",
        }
        await pilot.press("1", "slash", *"kind:direct", "enter")
        assert {store.row(i).kind for i in app.request_list.indices} == {"direct"} and len(
            app.request_list.indices
        ) >= 3
        await pilot.press("escape")
        # The same recording goscope wrote is what `e` exports.
        await pilot.press("e")
        jsonl = app.last_export[0]
        assert sum(
            1 for line in jsonl.read_text().splitlines() if line.startswith('{"seq"')
        ) == len(app.session)


async def test_quitting_while_a_command_runs_asks_first(lab_launch):
    lab_launch.engine.opts.command = ["sleep", "30"]
    app = GoscopeApp(lab_launch)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.command_running)
        await pilot.press("q")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert app.command_running and not isinstance(app.screen, ConfirmScreen)
        await pilot.press("q", "y")
    assert app.return_code == 0  # the app's own; the run's is the verdict, never 0 here
    # (quitting stopped the command: an outside attack saw `run --tui` exit 0 all the same)
    from goscope.cli.launch import live_outputs

    engine = lab_launch.engine
    assert live_outputs(engine, engine.stop()) == engine.exit_code != 0


def test_request_list_renders_without_a_datatable():
    # The list is a Line API view over the store, not DataTable.add_row (21 s for 100k rows).
    from goscope.tui.widgets.request_list import RequestList

    assert not issubclass(RequestList, DataTable)


async def test_a_huge_output_line_does_not_end_the_session(lab_launch):
    lab_launch.engine.opts.command = [sys.executable, "-c", "print('x' * 200000); print('done')"]
    app = GoscopeApp(lab_launch)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.exit_status is not None)
        assert app.exit_status == 0 and app.is_running


async def test_output_flushed_during_a_live_session_keeps_it_running(lab_launch):
    # Textual captures print() while it runs and calls App._flush(stderr=...) on a flush:
    # goscope's own timer must not be named _flush (it once was, and this raised TypeError).
    app = GoscopeApp(lab_launch)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.exit_status is not None)
        assert sys.stdout is not sys.__stdout__  # captured by the app
        print("a library printing", flush=True)
        print("a library warning", file=sys.stderr, flush=True)
        ticks = app._ticks
        await pilot.pause(0.5)
        assert app.is_running and app.exit_status == 0 and app._ticks > ticks


async def test_a_live_session_removes_its_run_directory(lab_launch):
    engine = lab_launch.engine
    app = GoscopeApp(lab_launch)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.exit_status is not None)
        assert engine.rundir.is_dir()
        await pilot.press("q")
    engine.cleanup()  # what run_app does after the app returns
    assert not engine.rundir.exists() and engine.proxy is None
    assert not Path(engine.recording).exists()  # the recording lived in the run directory


async def test_the_tui_as_goscope_demo_starts_it_shows_the_traffic(
    tmp_path, go_binary, shared_gocache
):
    # `goscope demo` and bare `goscope` start the proxy before the TUI (start_live): the
    # live stream must still reach the app.
    from goscope.cli.launch import start_live

    scenario = load_scenario("tour")
    with scenario.lab(tmp_path / "lab") as lab:
        env = scenario.go_env(lab, tmp_path, go_binary)
        env["GOCACHE"] = str(shared_gocache)
        os.environ["GOSCOPE_HOME"] = str(tmp_path / "home")
        try:
            opts = RunOptions(
                command=["go", "mod", "download"],
                port=0,
                routes=lab.routes(),
                env=env,
                cwd=str(scenario.workspace(tmp_path)),
            )
            app = start_live(opts)
            try:
                async with app.run_test(size=(160, 45)) as pilot:
                    await wait_for(pilot, lambda: app.exit_status is not None)
                    await wait_for(pilot, lambda: len(app.session) >= 43)
                    assert app.exit_status == 0 and app.session.judge.senders()
            finally:
                app.engine.stop()
                app.engine.cleanup()
        finally:
            os.environ.pop("GOSCOPE_HOME", None)


def test_the_readme_key_table_is_the_apps():
    # Wherever the table lives (the README or docs/), it is there exactly once.
    root = Path(__file__).parent.parent
    pages = [p.read_text() for p in (root / "README.md", *sorted(root.glob("docs/*.md")))]
    holding = [text for text in pages if "<!-- keys -->\n" in text]
    assert len(holding) == 1
    table = holding[0].split("<!-- keys -->\n", 1)[1].split("\n<!-- /keys -->", 1)[0]
    assert table == GoscopeApp.key_table()
    bound = {b.key for b in GoscopeApp.BINDINGS}
    for key, _ in GoscopeApp.KEY_HELP:  # every key the table names is bound
        first = key.split()[0]
        assert (
            first in ("1-8", "↑↓", "Enter", "Ctrl+P")
            or {
                "/": "slash",
                "?": "question_mark",
                ":": "colon",
            }.get(first, first)
            in bound
        ), key


async def test_number_keys_switch_from_anywhere_and_arrows_work_at_once(tmp_path):
    from goscope.tui.tabs import TABS, tab_key

    app = open_app(tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await loaded(pilot, app, EVENTS)
        for source in TABS:
            await pilot.press(tab_key(source.TAB_ID))
            await wait_for(pilot, lambda s=source: app.active_tab().TAB_ID == s.TAB_ID)
            for target in TABS:
                await pilot.press(tab_key(target.TAB_ID))
                await wait_for(pilot, lambda t=target: app.active_tab().TAB_ID == t.TAB_ID)
                primary = app.active_tab().primary()
                assert primary is None or app.focused is primary, (source, target, app.focused)
                await pilot.press(tab_key(source.TAB_ID))
                await wait_for(pilot, lambda s=source: app.active_tab().TAB_ID == s.TAB_ID)
        # Right after a switch, ↓ moves the table's cursor.
        await pilot.press(tab_key("modules"))
        await wait_for(pilot, lambda: app.tab("modules").table.row_count == 3)
        await pilot.press("down")
        assert app.tab("modules").table.cursor_row == 1
        # A digit typed in the filter bar is text, not a tab switch.
        await pilot.press(tab_key("requests"), "slash", *"status:404")
        assert app.active_tab().TAB_ID == "requests"
        assert app.query_one("#filter-bar").value == "status:404"


async def test_sorting_by_key_and_by_clicking_a_column(tmp_path):
    app = open_app(tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await loaded(pilot, app, EVENTS)
        store = app.session.store
        await pilot.press("s")  # started
        order = [store.started[i] for i in app.request_list.indices]
        assert app.requests.sort_by == "started" and order == sorted(order)
        await pilot.press("s")  # finished
        finished = [store.started[i] + store.duration[i] / 1000 for i in app.request_list.indices]
        assert finished == sorted(finished)
        app.requests.set_sort("status")
        statuses = [store.status[i] for i in app.request_list.indices]
        assert statuses == sorted(statuses)
        # A click on "host" in the column names sorts by host; a second click reverses.
        header = plain(app.query_one("#list-header", Static).content)
        x = header.index("host")
        await pilot.click("#list-header", offset=(x + 1, 0))
        hosts = [store.row(i).host for i in app.request_list.indices]
        assert app.requests.sort_by == "host" and hosts == sorted(hosts)
        await pilot.click("#list-header", offset=(x + 1, 0))
        hosts = [store.row(i).host for i in app.request_list.indices]
        assert app.requests.sort_reverse and hosts == sorted(hosts, reverse=True)
        assert "host▼" in plain(app.query_one("#list-header", Static).content)
        # A filter keeps the order.
        await pilot.press("slash", *"status:404", "enter")
        rows = [store.row(i) for i in app.request_list.indices]
        assert rows and all(r.status == 404 for r in rows)
        assert [r.host for r in rows] == sorted((r.host for r in rows), reverse=True)


async def test_the_seq_texts_name_is_the_list_and_detail_seq(tmp_path):
    app = open_app(tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await loaded(pilot, app, EVENTS)
        await pilot.press("3")
        await wait_for(pilot, lambda: app.tab("leaks").table.row_count == 2)
        leak = app.tab("leaks").selected()
        assert f"request #{leak.seq}" in plain(app.tab("leaks").detail.content)
        assert str(app.tab("leaks").table.get_row_at(0)[0]) == str(leak.seq)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.active_tab().TAB_ID == "requests")
        index = app.request_list.store_index(app.request_list.cursor)
        assert app.session.store.seq[index] == leak.seq
        detail = detail_text(app)
        assert detail.startswith(f"#{leak.seq} ")
        assert "LEAK" in detail and "fix: go env -w GOPRIVATE=git.corp.example.com" in detail


async def test_open_with_a_bad_file_keeps_the_session(tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("not a recording\n")
    app = open_app(tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await loaded(pilot, app, EVENTS)
        session = app.session
        await pilot.press("o")
        await pilot.press(*str(bad), "enter")
        await pilot.pause(0.3)
        assert app.is_running and app.session is session and len(app.session) == EVENTS
        assert any("cannot open" in (n.title or "") for n in app._notifications)


async def test_following_keeps_the_newest_row_visible(lab_launch):
    app = GoscopeApp(lab_launch)
    async with app.run_test(size=(100, 24)) as pilot:
        await wait_for(pilot, lambda: app.exit_status is not None)
        await wait_for(pilot, lambda: app.request_list.row_count == len(app.session) >= 43)
        await pilot.pause(0.3)
        rl = app.request_list
        top = rl.scroll_offset.y
        assert rl.follow and rl.cursor == rl.row_count - 1
        assert top <= rl.cursor < top + rl.size.height  # on screen, not under a scrollbar


async def test_modules_tree_expands_and_enter_on_an_attempt_shows_its_request(tmp_path):
    app = open_app(tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await loaded(pilot, app, EVENTS)
        await pilot.press("2")
        await wait_for(pilot, lambda: app.tab("modules").table.row_count == 3)
        await settled(pilot, app)  # no pane refresh still due: it would rebuild the tree
        tab = app.tab("modules")
        tree = tab.chain_tree
        text = tab.tree_text()
        assert text.startswith("example.com/hello@v1.0.0 · proxy.golang.org · checksum verified")
        assert "  mod: served by proxy.golang.org" in text
        assert "    1 fell-through  404 from old-mirror.example" in text
        # Into the tree, onto the first attempt of the first fetch: Enter shows its request.
        tree.focus()
        tree.root.children[0].expand()
        attempt = tree.root.children[0].children[0]
        # States, not a pause: on a loaded machine the expansion is drawn later (the cursor
        # then lands on the fetch, and Enter folds it instead of showing a request).
        await wait_for(pilot, lambda: attempt.line >= 0)
        tree.move_cursor(attempt)
        await wait_for(pilot, lambda: tree.cursor_node is attempt)
        seq = attempt.data
        assert isinstance(seq, int)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.active_tab().TAB_ID == "requests")
        index = app.request_list.store_index(app.request_list.cursor)
        assert app.session.store.seq[index] == seq


async def test_the_route_panel_answers_as_you_type(tmp_path):
    app = open_app(tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await loaded(pilot, app, EVENTS)
        await pilot.press("5")
        await wait_for(pilot, lambda: app.refreshed_tab == "config")
        app.query_one("#route-input").focus()
        await pilot.press(*"example.com/Lib/pkg@v1.0.0")
        await pilot.pause(0.2)
        text = plain(app.tab("config").detail.content)
        assert "go get probes every prefix of example.com/Lib/pkg" in text
        assert "ask old-mirror.example for example.com/Lib/pkg (@v/v1.0.0.info)" in text
        assert "ask proxy.golang.org for example.com/Lib" in text
        # Digits typed there are text, not tab switches; the panel survives a refresh.
        assert app.active_tab().TAB_ID == "config"
        app._dirty = True
        await pilot.pause(1.2)
        assert "go get probes every prefix" in plain(app.tab("config").detail.content)
        # Esc leaves the box, cleared, back to the findings (it stayed in the box).
        await pilot.press("escape")
        box = app.query_one("#route-input")
        assert box.value == "" and app.tab("config").findings_table.has_focus


async def test_g_turns_the_guard_on_in_a_live_session_and_the_recording_notes_it(lab_launch):
    # The tour leaks git.corp.example.com/team/secret to old-mirror.example and
    # proxy.golang.org (GONOPROXY does not cover it). With the guard on, the same download
    # goes direct and nothing leaves.
    engine = lab_launch.engine
    command = engine.opts.command
    engine.opts.command = []  # the proxy first; the command when the guard is on
    app = GoscopeApp(lab_launch)
    app.animation_level = "none"

    def header() -> str:
        return plain(app.query_one("#header-info", Static).content)

    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: engine.port is not None and "guard off (g)" in header())
        await pilot.press("g")
        await wait_for(pilot, lambda: "guard on (g)" in header())  # the proxy said so
        app.start_command(command)
        await wait_for(pilot, lambda: app.exit_status is not None)
        await wait_for(pilot, lambda: app.session.leak_groups)
        assert app.exit_status == 0
        groups = app.session.leak_groups
        assert all(g.blocked for g in groups)
        assert {g.host for g in groups} == {"proxy.golang.org", "old-mirror.example"}
        await wait_for(pilot, lambda: "2 leaks blocked" in header())  # the rows listed below
        await pilot.press("3")
        await wait_for(pilot, lambda: app.tab("leaks").table.row_count == 2)
        assert all("B" in str(app.tab("leaks").table.get_row_at(i)[1]) for i in (0, 1))
        await pilot.press("g")
        await wait_for(pilot, lambda: "guard off (g)" in header())
    rec = read_recording(engine.recording)
    assert [c["on"] for c in rec.guard_changes] == [True, False]


def _tab_says(app: GoscopeApp, tab: str) -> str:
    """What an empty tab says in place of its rows."""
    from goscope.tui.widgets.timeline import Timeline

    pane = app.query_one(f"#{tab}")
    if tab == "requests":
        return detail_text(app)
    if tab == "modules":
        return pane.chain_tree.root.label.plain
    if tab == "timeline":
        return plain(app.query_one(Timeline).render())
    if tab == "output":
        return plain(pane.note.content) if pane.note.display else ""
    return plain(pane.detail.content)


EMPTY_TABS = ("requests", "modules", "leaks", "hosts", "timeline", "output")


async def test_every_empty_tab_says_why_in_a_two_terminal_session(tmp_path):
    """`goscope` with go in another terminal: before go sends anything, every tab says
    why it is empty and how to fill it (never a blank pane)."""
    from goscope.tui.tabs import tab_key

    os.environ["GOSCOPE_HOME"] = str(tmp_path / "home")
    launch = Launch.live(RunOptions(port=0))
    try:
        app = GoscopeApp(launch)
        app.animation_level = "none"
        async with app.run_test(size=(120, 40)) as pilot:
            for tab in EMPTY_TABS:
                await pilot.press(tab_key(tab))
                await wait_for(pilot, lambda tab=tab: app.refreshed_tab == tab)
                said = _tab_says(app, tab)
                if tab == "output":
                    assert "go in another terminal prints there" in said, said
                else:
                    assert 'eval "$(goscope env)"' in said, (tab, said)
    finally:
        launch.engine.stop()
        launch.engine.cleanup()
        os.environ.pop("GOSCOPE_HOME", None)


async def test_a_recording_says_why_a_tab_is_empty_and_shows_gos_output(tmp_path):
    from goscope.tui.tabs import tab_key

    header = json.loads(Path(REAL / "missing.jsonl").read_text().splitlines()[0])
    header["command"] = None  # recorded by bare goscope: go ran in other terminals
    empty = tmp_path / "empty.jsonl"
    empty.write_text(json.dumps(header) + "\n")
    for path, tab, says in (
        (empty, "requests", "This recording holds no request"),
        (empty, "modules", "This recording holds no request"),
        (empty, "output", "This recording holds no command's output"),
    ):
        app = GoscopeApp(Launch(recording=str(path)))
        app.animation_level = "none"
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda app=app: not app.loading and app.session.incomplete)
            await pilot.press(tab_key(tab))
            await wait_for(pilot, lambda app=app, tab=tab: app.refreshed_tab == tab)
            assert says in _tab_says(app, tab)
    # A recording of `goscope run -- go …` keeps go's output: the Output tab shows it.
    app = GoscopeApp(Launch(recording=str(REAL / "missing.jsonl")))
    app.animation_level = "none"
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, app, 2)
        await pilot.press(tab_key("output"))
        await wait_for(pilot, lambda: app.refreshed_tab == "output")
        log = app.query_one("#output-log")
        text = "\n".join(strip.text for strip in log.lines)
        assert "403 Forbidden" in text and "server response:" in text
        assert _tab_says(app, "output") == ""


async def test_home_and_end_in_a_table_go_to_its_first_and_last_row(tmp_path):
    """DataTable scrolls sideways on End; in goscope's tables End is the last row."""
    from goscope.tui.tabs import tab_key

    app = open_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot, app, EVENTS)
        await pilot.press(tab_key("modules"))
        await wait_for(pilot, lambda: app.refreshed_tab == "modules")
        table = app.query_one("#modules").table
        await wait_for(pilot, lambda: table.row_count > 2)
        await pilot.press("end")
        await wait_for(pilot, lambda: table.cursor_row == table.row_count - 1)
        assert table.scroll_x == 0  # not sideways
        await pilot.press("home")
        await wait_for(pilot, lambda: table.cursor_row == 0)


async def test_a_loaded_recordings_failures_are_counted_by_the_loader_not_the_ui(monkeypatch):
    """Counting failures walks every chain (0.5-1 s at a million events): done by the loader
    as its last step, the first key pressed after a big load is not frozen behind it. The
    header's counts are go's verdict all the same (a failed command never shows 0 failed)."""
    import threading

    from goscope.tui.widgets import header

    counted_on: list[tuple[str, int]] = []
    module_fetches = header.module_fetches

    def spy(chains):  # the header's count of fetches: the walk the loader now does
        counted_on.append((threading.current_thread().name, len(chains)))
        return module_fetches(chains)

    monkeypatch.setattr(header, "module_fetches", spy)
    app = GoscopeApp(Launch(recording=str(REAL / "missing.jsonl")))
    app.animation_level = "none"
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, app, 2)
        await settled(pilot, app)
        assert app.exit_status not in (None, 0)
        assert app.counts.failed == len(app.session.failures(app.exit_status)) > 0
        header = plain(app.query_one("#header-info").render())
        assert f"{app.counts.failed} failed" in header, header
    with_events = [thread for thread, size in counted_on if size]
    assert with_events and threading.main_thread().name not in with_events, counted_on


async def test_an_incomplete_recording_never_reads_clean_in_a_tab(tmp_path):
    """No end line: the header said INCOMPLETE, but the Leaks tab said in green that no
    private path left and Config that the doctor found nothing to fix."""
    lines = (REAL / "download.jsonl").read_text().splitlines()
    cut = tmp_path / "cut.jsonl"
    cut.write_text("\n".join(lines[:-1]) + "\n")  # the end line removed
    app = GoscopeApp(Launch(recording=str(cut)))
    async with app.run_test(size=(160, 45)) as pilot:
        await settled(pilot, app)
        assert app.session.incomplete
        await pilot.press("3")
        text = plain(app.tab("leaks").detail.render())
        assert "incomplete" in text and "No private module path left" not in text


async def test_a_loaded_recording_says_unknown_where_the_report_does(tmp_path):
    """A redirect go never followed: the report calls the fetch 'unknown'; the TUI left it
    'pending', as if more could come from a recording that has ended."""
    from goscope.core.outputs.report import report_from_recording
    from goscope.core.traffic.recording import end_line, header_line

    from .factories import event

    ev = event("https://proxy.golang.org/example.com/m/@v/v1.0.0.zip", status=302, seq=1)
    ev.flags = ["redirect"]
    path = tmp_path / "r.jsonl"
    path.write_text(
        "\n".join([header_line({}), ev.to_json(), end_line(exit_code=1, stats={"events": 1})])
        + "\n"
    )
    expected = [c.result for c in report_from_recording(str(path)).chains]
    app = GoscopeApp(Launch(recording=str(path)))
    async with app.run_test(size=(160, 45)) as pilot:
        await loaded(pilot, app, 1)
        assert [c.result for c in app.session.chains] == expected == ["unknown"]


async def test_config_says_other_processes_have_findings_of_their_own(tmp_path):
    """Two go processes: the first has nothing to fix, the second a GOFLAGS=-insecure. Config
    showed the first one's "The doctor found nothing to fix." in green, with no word that
    another process had something to fix (only one Enter away in Senders)."""
    from goscope.core.traffic.recording import end_line, header_line, sender_line

    from .factories import event

    def env(**values: str) -> dict[str, dict[str, str]]:
        return {k: {"value": v, "origin": "environment"} for k, v in values.items()}

    clean = env(
        GOPROXY="https://proxy.golang.org,direct", GOSUMDB="sum.golang.org", GOTOOLCHAIN="local"
    )
    insecure = {**clean, **env(GOFLAGS="-insecure", GOINSECURE="*")}
    lines = [header_line(clean)]
    for sid, environment in ((1, clean), (2, insecure)):
        lines.append(
            sender_line(
                {
                    "id": sid,
                    "pid": 100 + sid,
                    "program": "go",
                    "command": ["go", "mod", "download"],
                    "cwd": str(tmp_path),
                    "environment": environment,
                    "variables": {},
                    "note": None,
                }
            )
        )
        lines.append(
            event(
                f"https://proxy.golang.org/example.com/m{sid}/@v/v1.0.0.mod", seq=sid, sender=sid
            ).to_json()
        )
    lines.append(end_line(exit_code=0, stats={"events": 2}))
    path = tmp_path / "r.jsonl"
    path.write_text("\n".join(lines) + "\n")
    app = GoscopeApp(Launch(recording=str(path)))
    async with app.run_test(size=(160, 45)) as pilot:
        await loaded(pilot, app, 2)
        views = app.session.judge.senders()
        assert [bool(v.findings("")) for v in views] == [False, True]
        await pilot.press("5")
        await wait_for(pilot, lambda: app.refreshed_tab == "config")
        text = plain(app.tab("config").detail.content)
        assert "nothing to fix" in text
        assert "1 other process has findings of its own (Senders, 8)" in text, text
        title = plain(app.query_one("#config-sender", Static).render())
        assert "1 of 2 processes" in title, title


@pytest.mark.skipif(not __import__("shutil").which("curl"), reason="needs curl")
async def test_the_live_header_says_incomplete_when_the_proxy_counts_trouble(tmp_path, monkeypatch):
    """A wired client that distrusts goscope's CA fails TLS: the report of the recording said
    INCOMPLETE, the live header '0 leaks', since the proxy's counts came only in its end line."""
    import subprocess

    import certifi

    from goscope.run.wiring import proxy_env
    from goscope.tui.widgets.header import SessionHeader

    monkeypatch.setenv("GOSCOPE_HOME", str(tmp_path / "home"))
    launch = Launch.live(RunOptions(port=0, jsonl=str(tmp_path / "r.jsonl")))
    app = GoscopeApp(launch)
    try:
        async with app.run_test(size=(200, 30)) as pilot:
            await wait_for(pilot, lambda: bool(launch.engine and launch.engine.port))
            engine = launch.engine
            env = {**os.environ, **proxy_env(engine.port, engine.home, engine.proxy.host,
                                             engine.secret)}  # fmt: skip
            done = subprocess.run(
                ["curl", "-s", "--cacert", certifi.where(), "https://proxy.golang.org/"],
                env=env, capture_output=True, timeout=30,
            )  # fmt: skip
            assert done.returncode != 0  # it refused goscope's certificate
            await wait_for(
                pilot, lambda: "INCOMPLETE" in str(app.query_one(SessionHeader).render())
            )
            assert any("failed TLS with goscope" in r for r in app.session.incomplete)
    finally:
        if launch.engine is not None:
            launch.engine.stop()
            launch.engine.cleanup()


async def test_the_hosts_tab_counts_what_the_guard_stopped(tmp_path):
    """With the guard on, proxy.golang.org read 0 requests in role 'other', and the rows did
    not add up to the header's count: the requests the guard answered were nowhere."""
    from goscope.core.traffic.recording import end_line, header_line
    from goscope.core.vocab import BLOCKED_FLAG
    from goscope.tui.tabs import tab_key

    from .factories import event

    env = {"GOPRIVATE": {"value": "corp.example", "origin": "environment"}}
    events = [event("https://proxy.golang.org/example.com/m/@v/list", 200, seq=1)]
    for seq, path in ((2, "corp.example/x/@v/list"), (3, "corp.example/@v/list")):
        ev = event(f"https://proxy.golang.org/{path}", 404, seq=seq)
        ev.flags = [BLOCKED_FLAG]
        events.append(ev)
    path = tmp_path / "r.jsonl"
    path.write_text("\n".join([header_line(env), *(e.to_json() for e in events),
                               end_line(exit_code=0, stats={"events": 3})]) + "\n")  # fmt: skip
    app = GoscopeApp(Launch(recording=str(path)))
    async with app.run_test(size=(200, 40)) as pilot:
        await loaded(pilot, app, 3)
        await pilot.press(tab_key("hosts"))
        await wait_for(pilot, lambda: app.refreshed_tab == "hosts")
        table = app.tab("hosts").table
        names = [str(c.label) for c in table.columns.values()]
        row = [str(cell) for cell in table.get_row_at(0)]
        assert row[0] == "proxy.golang.org" and row[names.index("role")] == "proxy"
        assert (row[names.index("requests")], row[names.index("blocked")]) == ("1", "2")


TOKEN = "ghp_" + "A1b2" * 9


def hostile_copy(tmp_path) -> Path:
    """tour.jsonl with a token in an event's module, version and error (an older goscope's
    recording, or a crafted one), and an escape sequence in its URL."""
    lines = FIXTURE.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith('{"seq"'))
    event = json.loads(lines[at])
    event["module"] = f"example.com/{TOKEN}/x"
    event["version"] = f"v1.0.0-{TOKEN}"
    event["error"] = f"upstream said: Authorization: Bearer {TOKEN}"
    event["url"] = event["url"] + "?q=\x1b]52;c;cm0gLXJmIH4=\x07"
    lines[at] = json.dumps(event)
    path = tmp_path / "hostile.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


async def test_a_crafted_recordings_secrets_and_escapes_stay_out_of_the_tui(tmp_path):
    # Its token was in the request list, the detail pane, the chain, Modules and Leaks
    # (the report hid it); `c` put a raw OSC 52 on the clipboard.
    app = GoscopeApp(Launch(recording=str(hostile_copy(tmp_path)), export_dir=str(tmp_path)))
    app.animation_level = "none"
    async with app.run_test(size=(160, 45)) as pilot:
        await loaded(pilot, app, EVENTS)
        store = app.session.store
        kept = [*store.modules.values, *store.versions.values, *store.errors.values(), *store.url]
        assert not any(TOKEN in text for text in kept)
        await pilot.press("home")
        assert TOKEN not in detail_text(app)
        await pilot.press("c")
        assert app.last_copied and "\x1b" not in app.last_copied and "\x07" not in app.last_copied


def test_live_output_and_the_command_line_are_redacted_as_recorded_output_is():
    # go's output and `$ env GOPROXY=https://bob:…@…` were shown as printed and typed.
    app = GoscopeApp(Launch())
    app._on_output(f"go: reading https://bob:hunter2@corp.example/x/@v/list: 401 {TOKEN}")
    shown = "".join(str(t) for t in app.pending_output)
    assert "hunter2" not in shown and TOKEN not in shown and "corp.example" in shown


def test_a_row_with_wide_or_combining_characters_keeps_its_status_and_leak_flag():
    # A 日本語 path (or a combining accent, or a wide host) from a client that is not go
    # pushed status and the L flag off the row at 80 columns while the header said 2 leaks.
    from rich.cells import cell_len

    from goscope.core.view.store import FLAG_LEAK, Row
    from goscope.tui.widgets.request_list import row_text

    def row_of(module: str, host: str) -> Row:
        url = "https://proxy.golang.org/x"
        return Row(0, 1, 0.0, "GET", url, host, "proxy", "info", module, "v1.2.3", 404, None,
                   1.0, 10, FLAG_LEAK)  # fmt: skip

    plain_row = row_of("example.com/plain", "proxy.golang.org")
    for module, host in (
        ("日本語のモジュール/とても長い/パス", "proxy.golang.org"),
        ("e\u0301" * 20, "プロキシ.example"),
    ):
        row = row_of(module, host)
        for width in (80, 120):
            text = row_text(row, width).plain
            assert cell_len(text) == cell_len(row_text(plain_row, width).plain), (width, text)
            assert "404" in text and text.rstrip().endswith("L"), text


async def test_the_output_tab_never_says_printed_nothing_of_a_command_that_printed(lab_launch):
    # The Output tab's log keeps its lines back until it has a size: while the tab was not
    # shown, the note read "… printed nothing." above what the command printed (seen at 80×24).
    lab_launch.engine.opts.command = [sys.executable, "-c", "print('one'); print('two')"]
    app = GoscopeApp(lab_launch)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.exit_status is not None)
        await pilot.pause(0.3)
        output = app.tab("output")
        output.refresh_from(app.session)
        note = plain(output.note.content)
        assert "printed nothing" not in note and not output.note.display, note


async def test_the_live_header_says_incomplete_when_go_left_a_request_unanswered(
    tmp_path, go_binary, shared_gocache
):
    # go killed while a proxy thought: the recording read INCOMPLETE, the live header and
    # Leaks said clean and complete (an outside attack).
    import signal
    import time

    from goscope.lab.scenario import parse_scenario

    from .test_unanswered import SLOW

    scenario = parse_scenario(SLOW, "slow")
    lab = scenario.lab(tmp_path / "lab").start()
    env = scenario.go_env(lab, tmp_path, go_binary)
    env["GOCACHE"] = str(shared_gocache)
    os.environ["GOSCOPE_HOME"] = str(tmp_path / "home")
    pidfile = tmp_path / "go.pid"
    command = ["sh", "-c", f"go mod download & echo $! > {pidfile}; wait $!"]
    opts = RunOptions(
        command=command, port=0, routes=lab.routes(), env=env, cwd=str(scenario.workspace(tmp_path))
    )
    launch = Launch.live(opts)
    try:
        app = GoscopeApp(launch)
        async with app.run_test(size=(160, 45)) as pilot:
            deadline = time.monotonic() + 60
            while not any(host == "slow.example" for host, _, _ in lab.log):
                assert time.monotonic() < deadline, "go never asked"
                await pilot.pause(0.05)
            os.kill(int(pidfile.read_text()), signal.SIGKILL)
            await wait_for(pilot, lambda: app.exit_status is not None and len(app.session) == 1)
            await wait_for(
                pilot, lambda: "INCOMPLETE" in plain(app.query_one("#header-info", Static).content)
            )
            assert any("left by their client" in why for why in app.session.incomplete)
    finally:
        launch.engine.stop()
        launch.engine.cleanup()
        lab.stop()
        os.environ.pop("GOSCOPE_HOME", None)


async def test_a_live_tui_run_writes_the_files_it_was_asked_for_and_exits_by_the_verdict(
    lab_launch, tmp_path
):
    # `goscope run --tui --json R --markdown M --sarif S` wrote none of them, and quitting
    # while go waited exited 0 over an incomplete run (an outside attack).
    from goscope.cli.launch import live_outputs

    opts = lab_launch.engine.opts
    opts.json_report, opts.markdown, opts.sarif = (
        str(tmp_path / n) for n in ("r.json", "s.md", "r.sarif")
    )
    opts.command = ["sh", "-c", "go mod download && exit 3"]
    app = GoscopeApp(lab_launch)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.exit_status is not None)
        await pilot.press("q")
    engine = lab_launch.engine
    assert live_outputs(engine, engine.stop()) == 3  # the command's own failure first
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["exit_code"] == 3 and report["events"]
    assert (tmp_path / "s.md").read_text() and json.loads((tmp_path / "r.sarif").read_text())[
        "runs"
    ]


async def test_an_incomplete_recording_shows_gos_exit_status_at_80_columns(tmp_path):
    # The INCOMPLETE reason came first and the width cut "exit 137" off, and the Output tab
    # of a recording never said it: 137 was nowhere on the screen (an outside attack).
    from goscope.tui.tabs import tab_key

    lines = Path(REAL / "missing.jsonl").read_text().splitlines()
    end = json.loads(lines[-1])
    end["exit_code"] = 137
    end["incomplete"] = ["the proxy was stopped by a signal from another process " * 3]
    path = tmp_path / "cut.jsonl"
    path.write_text("\n".join([*lines[:-1], json.dumps(end)]) + "\n")
    app = GoscopeApp(Launch(recording=str(path)))
    app.animation_level = "none"
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app, 2)
        await wait_for(pilot, lambda: app.exit_status == 137)
        await wait_for(
            pilot, lambda: "exit 137" in plain(app.query_one("#header-info", Static).content)
        )
        # (The header fits itself to the width: what it holds is what is seen.)
        assert "INCOMPLETE" in plain(app.query_one("#header-info", Static).content)
        await pilot.press(tab_key("output"))
        await wait_for(pilot, lambda: app.refreshed_tab == "output")
        log = app.query_one("#output-log")
        await wait_for(pilot, lambda: any("exit status 137" in s.text for s in log.lines))


@pytest.mark.parametrize("command", [["no-such-command-goscope"], []])
async def test_a_live_run_never_exits_0_without_a_verdict(lab_launch, command):
    # A command not found showed "exit status 127" and exited 0; bare goscope with
    # --fail-on-leak returned no verdict at all (leaks or none, exit 0).
    from goscope.cli.launch import live_outputs

    opts = lab_launch.engine.opts
    opts.command, opts.fail_on_leak = command, True
    app = GoscopeApp(lab_launch)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: "listening on" in app.proxy_line)  # the proxy is up
        if command:
            await wait_for(pilot, lambda: app.exit_status is not None)
    engine = lab_launch.engine
    verdict = live_outputs(engine, engine.stop())
    assert verdict == (127 if command else 0), verdict
