"""`make bench`: goscope's cost, as ratios and rates against baselines measured in the same run.

    python benchmarks/run.py [--quick] [--out benchmarks/results.json]

1. overhead on go: `go mod download` of the lab's `big` scenario straight to the
   lab, through plain mitmdump, through mitmproxy with only the mitmproxy addons goscope
   loads (lean_proxy.py: what goscope's own work costs), and through
   `goscope run --headless` (GOSCOPE_PROFILE_PROXY=FILE profiles its proxy process);
2. the event pipeline: addon -> Unix socket -> the app's store, and the classifier;
3. the UI at scale: a million-event recording opened in the TUI;
4. start-up: `goscope run --headless -- true` and the TUI's first paint.

No test asserts a time: these are measurements, printed and written to JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from goscope.core.gorules.roots import go_roots  # noqa: E402
from goscope.core.gotool import find_go  # noqa: E402


@dataclass
class Result:
    name: str
    value: float
    unit: str
    baseline: float | None
    ratio: float | None
    goal: str
    met: bool | None
    spread: str = ""  # min–max of the runs behind a median, and how many


def median_of(fn, runs: int) -> float:
    return statistics.median(fn() for _ in range(runs))


def alternate(variants: dict, runs: int) -> dict[str, list[float]]:
    """Each variant once per round, in turn, for `runs` rounds: a machine that gets busier
    or quieter during the run weighs on every variant alike. Every other round runs them in
    reverse order, so that no variant always comes after another (on the real network the
    first run of a round warms the mirror's cache for the next)."""
    times: dict[str, list[float]] = {name: [] for name in variants}
    for round_no in range(runs):
        order = list(variants.items())
        for name, fn in order if round_no % 2 == 0 else reversed(order):
            times[name].append(fn())
    return times


def spread(values: list[float], unit: str = "s") -> str:
    return f"{min(values):.2f}–{max(values):.2f} {unit}, n={len(values)}"


def ratio_of(times: dict[str, list[float]], a: str, b: str) -> tuple[float, str]:
    """The median of the per-round ratios a/b (each round's pair ran back to back)."""
    ratios = [x / y for x, y in zip(times[a], times[b], strict=True)]
    return statistics.median(ratios), f"ratios {min(ratios):.2f}–{max(ratios):.2f}"


def timed(cmd: list[str], env: dict[str, str], cwd: Path | None = None) -> float:
    start = time.perf_counter()
    out = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=900)
    elapsed = time.perf_counter() - start
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({out.returncode}): {out.stderr[-2000:]}")
    return elapsed


# -- 1. overhead on go ----------------------------------------------------------------------
def bench_overhead(runs: int, modules: int) -> list[Result]:
    from goscope.lab.scenario import load_scenario

    scenario = load_scenario("big")
    scenario.synthetic = modules
    go = find_go(prefer_wheel=True)
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        home = tmp / "home"
        with scenario.lab(tmp / "lab") as lab:
            work = scenario.workspace(tmp)
            counter = iter(range(10_000))

            def env_for(variant: str) -> dict[str, str]:
                run_tmp = tmp / f"{variant}-{next(counter)}"  # a fresh module cache every run
                env = scenario.go_env(lab, run_tmp, go)
                env["GOSCOPE_HOME"] = str(home)
                env["GOCACHE"] = str(tmp / "gocache")
                return env

            def direct() -> float:
                env = env_for("direct")
                env["GOPROXY"] = lab.direct_url("goproxy.example")
                env["GOSUMDB"] = f"{lab.sumdb.verifier_key} {lab.direct_url('sum.golang.org')}"
                return timed(["go", "mod", "download"], env, work)

            def mitmdump() -> float:
                return run_mitmdump(lab.routes(), env_for("mitmdump"), work, home)

            def lean() -> float:
                return run_lean_proxy(lab.routes(), env_for("lean"), work, home)

            def goscope() -> float:
                routes = [a for r in lab.routes() for a in ("--route", r)]
                cmd = [
                    sys.executable,
                    "-m",
                    "goscope",
                    "run",
                    "--headless",
                    "--port",
                    "0",
                    *routes,
                    "--",
                    "go",
                    "mod",
                    "download",
                ]
                return timed(cmd, env_for("goscope"), work)

            goscope()  # warm up: CA creation, build cache, page cache
            variants = {"direct": direct, "mitmdump": mitmdump, "lean": lean, "goscope": goscope}
            times = alternate(variants, runs)
    a, b, lean_s, c = (statistics.median(times[k]) for k in variants)
    over_mitm, over_mitm_spread = ratio_of(times, "goscope", "mitmdump")
    over_lean, over_lean_spread = ratio_of(times, "goscope", "lean")
    over_direct, over_direct_spread = ratio_of(times, "goscope", "direct")
    return [
        Result(
            "go mod download: straight to the lab",
            a,
            "s",
            None,
            None,
            "baseline",
            None,
            spread(times["direct"]),
        ),
        Result(
            "go mod download: plain mitmdump",
            b,
            "s",
            a,
            b / a,
            "baseline",
            None,
            spread(times["mitmdump"]),
        ),
        Result(
            "go mod download: goscope vs plain mitmdump",
            c,
            "s",
            b,
            over_mitm,
            "≤ 1.10",
            over_mitm <= 1.10,
            f"{spread(times['goscope'])}; {over_mitm_spread}",
        ),
        Result(
            "go mod download: lean mitmproxy (goscope's addon set)",
            lean_s,
            "s",
            a,
            lean_s / a,
            "baseline",
            None,
            spread(times["lean"]),
        ),
        Result(
            "go mod download: goscope vs lean mitmproxy",
            c,
            "s",
            lean_s,
            over_lean,
            "report",
            None,
            f"{spread(times['goscope'])}; {over_lean_spread}",
        ),
        Result(
            "go mod download: goscope vs straight",
            c,
            "s",
            a,
            over_direct,
            "report",
            None,
            over_direct_spread,
        ),
    ]


# -- 1b. overhead on go, on the real network ---------------------------------------------------
REAL_MODULES = Path(__file__).resolve().parent / "real_modules.txt"


def bench_real(runs: int) -> list[Result]:
    """A cold `go mod download` of real public modules from the proxy of `go env GOPROXY`,
    straight and through goscope, alternating; skipped (said) when it is unreachable."""
    go = find_go(prefer_wheel=True)
    modules = REAL_MODULES.read_text().split()
    base = {k: v for k, v in os.environ.items() if k in ("PATH", "SSL_CERT_FILE", "SSL_CERT_DIR")}
    base["PATH"] = f"{Path(go).parent}{os.pathsep}{base.get('PATH', '/usr/bin:/bin')}"
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        work = tmp / "work"
        work.mkdir()
        (work / "go.mod").write_text("module example.com/bench\n\ngo 1.21\n")
        counter = iter(range(10_000))

        def env_for() -> dict[str, str]:
            run_tmp = tmp / f"run-{next(counter)}"  # cold: a fresh module cache every run
            return {
                **base,
                "HOME": str(tmp / "home"),
                "GOPATH": str(run_tmp / "gopath"),
                "GOMODCACHE": str(run_tmp / "gopath" / "pkg" / "mod"),
                "GOCACHE": str(tmp / "gocache"),
                "GOFLAGS": "-modcacherw",
                "GOTOOLCHAIN": "local",
                "GOSCOPE_HOME": str(tmp / "goscope"),
            }

        download = ["go", "mod", "download", *modules]

        def straight() -> float:
            return timed(download, env_for(), work)

        def goscope() -> float:
            cmd = [sys.executable, "-m", "goscope", "run", "--headless", "--port", "0", "--"]
            return timed([*cmd, *download], env_for(), work)

        def mitmdump() -> float:
            # Upstreams verified with go's roots, as goscope does (a TLS-inspecting egress).
            roots = go_roots(base).file or ""
            trust = ["--set", f"ssl_verify_upstream_trusted_ca={roots}"] if roots else []
            home = tmp / "goscope"
            return run_mitmdump([], env_for(), work, home, *trust, command=tuple(download))

        try:
            straight()  # warm up: the network's own caches, DNS
            goscope()  # and goscope's CA, which mitmdump shares
        except RuntimeError as exc:
            print(f"real network unreachable, skipped: {str(exc).splitlines()[0][:200]}")
            return []
        variants = {"straight": straight, "mitmdump": mitmdump, "goscope": goscope}
        times = alternate(variants, runs)
    a, b = statistics.median(times["straight"]), statistics.median(times["goscope"])
    m = statistics.median(times["mitmdump"])
    ratio, ratio_spread = ratio_of(times, "goscope", "straight")
    over_mitm, over_mitm_spread = ratio_of(times, "goscope", "mitmdump")
    return [
        Result(
            f"real go mod download, {len(modules)} modules: straight",
            a,
            "s",
            None,
            None,
            "baseline",
            None,
            spread(times["straight"]),
        ),
        Result(
            f"real go mod download, {len(modules)} modules: plain mitmdump",
            m,
            "s",
            a,
            m / a,
            "baseline",
            None,
            spread(times["mitmdump"]),
        ),
        Result(
            f"real go mod download, {len(modules)} modules: through goscope",
            b,
            "s",
            a,
            ratio,
            "≤ 1.25",
            ratio <= 1.25,
            f"{spread(times['goscope'])}; {ratio_spread}",
        ),
        Result(
            f"real go mod download, {len(modules)} modules: goscope vs plain mitmdump",
            b,
            "s",
            m,
            over_mitm,
            "≤ 1.10",
            over_mitm <= 1.10,
            over_mitm_spread,
        ),
    ]


def run_mitmdump(
    routes: list[str],
    env: dict[str, str],
    work: Path,
    home: Path,
    *extra: str,
    command: tuple[str, ...] = ("go", "mod", "download"),
) -> float:
    """go through mitmdump with the same routing and no goscope addon."""
    mitmdump = str(Path(sys.executable).parent / "mitmdump")
    return run_through_proxy(
        lambda port: [
            mitmdump,
            "-q",
            "--listen-host",
            "127.0.0.1",
            "--listen-port",
            str(port),
            "--set",
            f"confdir={home / 'mitmproxy'}",
            "--set",
            "connection_strategy=lazy",
            "--set",
            "stream_large_bodies=1m",
            "-s",
            str(HERE / "router_addon.py"),
            *extra,
        ],
        routes,
        env,
        work,
        home,
        command,
    )


def run_lean_proxy(routes: list[str], env: dict[str, str], work: Path, home: Path) -> float:
    """go through mitmproxy with goscope's set of mitmproxy addons and none of its own."""
    return run_through_proxy(
        lambda port: [
            sys.executable,
            str(HERE / "lean_proxy.py"),
            str(port),
            str(home / "mitmproxy"),
        ],
        routes,
        env,
        work,
        home,
    )


def run_through_proxy(
    argv,
    routes: list[str],
    env: dict[str, str],
    work: Path,
    home: Path,
    command: tuple[str, ...] = ("go", "mod", "download"),
) -> float:
    """`command` (`go mod download`) through a baseline proxy started by `argv(port)`.

    Timed like `goscope run`: from starting the proxy until it has exited after go's exit,
    start-up and shutdown included (goscope's end line needs the proxy flushed, so its
    timing includes the proxy's exit too).
    """
    import socket

    start = time.perf_counter()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proxy_env = {**os.environ, "GOSCOPE_BENCH_ROUTES": ";".join(routes), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        argv(port), env=proxy_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        from goscope.run.wiring import child_env

        timed(list(command), child_env(env, port, home), work)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    return time.perf_counter() - start


# -- 2. event pipeline ------------------------------------------------------------------------
def bench_pipeline(events: int) -> list[Result]:
    import threading

    from goscope.core.view.session import Session
    from goscope.proxy.stream import EventListener, private_socket_path

    results = []

    def measure(mode: str) -> tuple[float, int]:
        session = Session()
        received = 0
        first = 0.0
        done = threading.Event()

        def on_event(event) -> None:
            nonlocal received, first
            if received == 0:
                first = time.perf_counter()  # the source has built its flows: the clock starts
            if mode == "goscope":
                session.add(event)
            received += 1
            if received >= events:
                done.set()

        with tempfile.TemporaryDirectory() as tmp:
            path = private_socket_path(Path(tmp))
            # baseline: the same socket, JSON and Event objects; no addon, store, chains or leaks.
            listener = EventListener(path, on_event).start()
            proc = subprocess.Popen(
                [sys.executable, str(HERE / "flow_source.py"), str(path), str(events), mode]
            )
            done.wait(timeout=600)
            elapsed = time.perf_counter() - first
            proc.wait()
            listener.close()
        return elapsed, received

    base_t, _ = measure("baseline")
    t, n = measure("goscope")
    rate, base_rate = n / t, events / base_t
    results.append(
        Result(
            "events/s: addon → socket → store",
            rate,
            "events/s",
            base_rate,
            rate / base_rate,
            "≥ 20,000",
            rate >= 20_000,
        )
    )
    results.append(classifier_rate())
    return results


def classifier_rate() -> Result:
    from urllib.parse import urlsplit

    from benchmarks.synthetic import event_fields
    from goscope.core.traffic.classify import classify_request

    urls = [event_fields(i)[0] for i in range(1, 20001)]
    urls += [
        "https://mirrors.aliyun.com/goproxy/github.com/%21burnt%21sushi/toml/@v/v1.3.2.info",
        "https://git.corp.example.com/team/lib.git/info/refs?service=git-upload-pack",
        "https://sum.golang.org/tile/8/1/x001/234.p/7",
    ] * 1000
    headers = {"User-Agent": "GoCommand/1 (+https://go.dev/cmd/go)"}
    start = time.perf_counter()
    for url in urls:
        classify_request("GET", url, headers)
    t = time.perf_counter() - start
    start = time.perf_counter()
    for url in urls:
        urlsplit(url)
    base = time.perf_counter() - start
    rate = len(urls) / t
    return Result(
        "classifications/s",
        rate,
        "URLs/s",
        len(urls) / base,
        rate / (len(urls) / base),
        "≥ 200,000",
        rate >= 200_000,
    )


def ui_probe(*args: str, timeout: int = 600) -> dict:
    """Run benchmarks/ui_probe.py in a fresh process (clean RSS) and read its JSON."""
    cmd = [sys.executable, str(HERE / "ui_probe.py"), *args]
    return json.loads(
        subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True).stdout
    )


# -- 3 and 4. the UI ---------------------------------------------------------------------------
def bench_ui(rows: int, datatable_rows: int) -> list[Result]:
    from benchmarks.synthetic import write_recording

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        big = write_recording(Path(tmp) / "big.jsonl", rows)
        os.sync()  # a recording already on disk: no writeback competing with the load
        ui = ui_probe(str(big), timeout=1200)
        small = write_recording(Path(tmp) / "small.jsonl", datatable_rows)
        ours = ui_probe(str(small), timeout=600)
        tiny = write_recording(Path(tmp) / "tiny.jsonl", 50)
        empty = ui_probe(str(tiny), timeout=600)
    table = ui_probe("--datatable", str(datatable_rows), timeout=1200)
    # The app itself (Textual, widgets) is the same for 50 events: only the difference is per event.
    per_event = (ui["rss_bytes"] - empty["rss_bytes"]) / (rows - 50)
    results += [
        Result(
            f"UI {rows:,} events: first paint",
            ui["first_paint_s"],
            "s",
            None,
            None,
            "≤ 1 s",
            ui["first_paint_s"] <= 1,
        ),
        Result(
            f"UI {rows:,} events: all loaded",
            ui["loaded_s"],
            "s",
            None,
            None,
            "≤ 10 s",
            ui["loaded_s"] <= 10,
        ),
        Result(
            f"UI {rows:,} events: peak RSS per event",
            per_event,
            "bytes",
            None,
            None,
            "≤ 600",
            per_event <= 600,
        ),
        Result(
            f"UI {rows:,} events: jump to the end",
            ui["jump_s"],
            "s",
            None,
            None,
            "≤ 1 s",
            ui["jump_s"] <= 1,
        ),
        Result(
            f"UI {rows:,} events: apply a filter",
            ui["filter_s"],
            "s",
            None,
            None,
            "≤ 1 s",
            ui["filter_s"] <= 1,
        ),
        Result(
            f"UI {datatable_rows:,} rows: goscope's list vs DataTable.add_row",
            ours["loaded_s"],
            "s",
            table["loaded_s"],
            ours["loaded_s"] / table["loaded_s"],
            "report",
            None,
        ),
    ]
    return results


def bench_startup(runs: int) -> list[Result]:
    env = {**os.environ}
    with tempfile.TemporaryDirectory() as tmp:
        env["GOSCOPE_HOME"] = str(Path(tmp) / "home")
        cmd = [sys.executable, "-m", "goscope", "run", "--headless", "--port", "0", "--", "true"]
        timed(cmd, env)  # creates the CA once
        times = alternate(
            {
                "headless": lambda: timed(cmd, env),
                "python": lambda: timed([sys.executable, "-c", "pass"], env),
            },
            runs,
        )
        headless, python = statistics.median(times["headless"]), statistics.median(times["python"])
        small = Path(tmp) / "small.jsonl"
        from benchmarks.synthetic import write_recording

        write_recording(small, 50)
        paints = [
            ui_probe("--startup", str(small), timeout=120)["first_paint_s"] for _ in range(runs)
        ]
    paint = statistics.median(paints)
    return [
        Result(
            "start-up: goscope run --headless -- true",
            headless,
            "s",
            python,
            headless / python,
            "≤ 1.5 s",
            headless <= 1.5,
        ),
        Result(
            "start-up: TUI first paint (from process start)",
            paint,
            "s",
            python,
            paint / python,
            "≤ 1.5 s",
            paint <= 1.5,
        ),
    ]


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB, Python {platform.python_version()}, {platform.system()}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="tiny sizes: checks the benchmarks run"
    )
    parser.add_argument("--out", default=str(HERE / "results.json"))
    parser.add_argument(
        "--only",
        default="overhead,real,pipeline,ui,startup",
        help="comma-separated: overhead, real, pipeline, ui, startup",
    )
    args = parser.parse_args()
    quick = args.quick
    only = set(args.only.split(","))
    results: list[Result] = []
    if "overhead" in only:
        results += bench_overhead(runs=1 if quick else 6, modules=20 if quick else 300)
    if "real" in only and not quick:
        results += bench_real(runs=4)
    if "pipeline" in only:
        results += bench_pipeline(events=2_000 if quick else 100_000)
    if "ui" in only:
        results += bench_ui(
            rows=20_000 if quick else 1_000_000, datatable_rows=2_000 if quick else 100_000
        )
    if "startup" in only:
        results += bench_startup(runs=1 if quick else 5)
    report = {"machine": machine(), "quick": quick, "results": [asdict(r) for r in results]}
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    print(f"{'benchmark':<58} {'value':>14} {'baseline':>12} {'ratio':>7}  goal       met  spread")
    for r in results:
        base = f"{r.baseline:,.3f}" if r.baseline is not None else "-"
        ratio = f"{r.ratio:.2f}" if r.ratio is not None else "-"
        met = {True: "yes", False: "NO", None: "-"}[r.met]
        print(
            f"{r.name:<58} {r.value:>10,.3f} {r.unit:<3} {base:>12} {ratio:>7}  {r.goal:<10} "
            f"{met:<4} {r.spread}"
        )
    print(f"machine: {report['machine']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
