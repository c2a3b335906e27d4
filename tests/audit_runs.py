"""Sets of CI runs as goscope records them, generated from data for the audit's tests.

Each run: a Go environment that does or does not declare the private paths (GOPRIVATE, or
only the run's `--private`), a sender with its own environment at times, modules drawn
from public and private ones, a proxy that serves, falls through (404) or fails (502),
checksum lookups where go makes them, a day among several, a repository or only a module,
and at times no end line (the run was killed) or a sequence gap. The events are classified
by goscope's own classifier (tests/factories.py) as the proxy would.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from goscope.core.gorules.escaping import escape
from goscope.core.gorules.goenv import GoEnv
from goscope.core.traffic.recording import end_line, header_line, sender_line

from .factories import event

PUBLIC = [
    ("github.com/pkg/errors", "v0.9.1"),
    ("golang.org/x/text", "v0.14.0"),
    ("github.com/google/go-cmp", "v0.6.0"),
    ("github.com/BurntSushi/toml", "v1.3.2"),
]
PRIVATE = [
    ("corp.example.com/billing", "v1.2.0"),
    ("corp.example.com/team/auth", "v0.3.1"),
    ("git.internal.example/platform/kit", "v2.0.0"),
]
DAYS = ["2026-11-02", "2026-11-15", "2026-11-30", "2026-12-03"]
REPOS = ["acme/api", "acme/web", "acme/worker", None]  # None: no CI, the module names it
PROXIES = ["https://proxy.golang.org,direct", "https://goproxy.corp.example.com,direct"]


@dataclass
class RunPlan:
    name: str
    day: str
    repository: str | None
    env: dict[str, str]
    private: str  # the run's --private
    modules: list[tuple[str, str]]
    sender_env: dict[str, str] | None = None  # a go process with its own environment
    killed: bool = False  # no end line: incomplete
    gap: bool = False  # an event line removed: incomplete
    statuses: dict[str, int] = field(default_factory=dict)  # module -> status of its .info


def plans(count: int, seed: int) -> list[RunPlan]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        env = {"GOPROXY": rng.choice(PROXIES), "GOSUMDB": "sum.golang.org"}
        declared = rng.random()
        private = ""
        if declared < 0.35:
            env["GOPRIVATE"] = "corp.example.com,git.internal.example"
        elif declared < 0.7:
            private = "corp.example.com"  # only goscope was told (--private)
        modules = rng.sample(PUBLIC, rng.randint(1, 3)) + rng.sample(PRIVATE, rng.randint(0, 2))
        plan = RunPlan(
            name=f"run{i:03d}",
            day=rng.choice(DAYS),
            repository=rng.choice(REPOS),
            env=env,
            private=private,
            modules=modules,
            killed=rng.random() < 0.1,
            gap=rng.random() < 0.05,
            statuses={m: rng.choice([200, 200, 200, 404, 502]) for m, _ in modules},
        )
        if rng.random() < 0.25:
            plan.sender_env = {
                "GOPROXY": "https://proxy.golang.org,direct",
                "GOSUMDB": "sum.golang.org",
                "GOPRIVATE": rng.choice(["", "corp.example.com"]),
            }
        out.append(plan)
    return out


def _env_dict(values: dict[str, str]) -> dict:
    return GoEnv.from_mapping(values).to_dict()


def write_run(plan: RunPlan, directory: Path) -> Path:
    """The recording of one run, as goscope's proxy would write it."""
    rng = random.Random(plan.name)
    env = GoEnv.from_mapping(plan.env)
    sender_env = GoEnv.from_mapping(plan.sender_env) if plan.sender_env else None
    judge_env = sender_env or env
    lines = []
    context = {
        "id": f"id-{plan.name}",
        "started": f"{plan.day}T10:{rng.randint(0, 59):02d}:00.000+00:00",
        "cwd": f"/home/runner/work/{plan.name}",
        "module": f"example.com/{plan.name}",
    }
    if plan.repository:
        context["ci"] = {"provider": "github", "repository": plan.repository, "run_id": plan.name}
    command = ["go", "mod", "download"]
    lines.append(
        header_line(
            env.to_dict(),
            command=command,
            judging={"private": plan.private, "trusted": [], "guard": False},
            context=context,
        )
    )
    sender = None
    if plan.sender_env:
        sender = 1
        lines.append(
            sender_line(
                {
                    "id": 1,
                    "pid": 4242,
                    "program": "go",
                    "command": ["go", "build", "./..."],
                    "cwd": context["cwd"],
                    "environment": _env_dict(plan.sender_env),
                }
            )
        )
    seq = 0
    events = []
    for module, version in plan.modules:
        base = judge_env.get("GOPROXY").split(",")[0]
        private = judge_env.is_noproxy(module)
        status = plan.statuses[module]
        urls = []
        if not private:
            for ext in ("info", "mod", "zip"):
                urls.append((f"{base}/{escape(module)}/@v/{version}.{ext}", status))
                if status != 200:
                    break
        if not judge_env.is_nosumdb(module) and status == 200:
            urls.append((f"https://sum.golang.org/lookup/{module}@{version}", 200))
        for url, code in urls:
            seq += 1
            ev = event(
                url,
                status=code,
                env=judge_env,
                seq=seq,
                sender=sender,
                duration_ms=round(rng.lognormvariate(3, 0.8), 3),
            )
            ev.started = (
                f"{plan.day}T10:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}.000+00:00"
            )
            events.append(ev)
    kept = [e for i, e in enumerate(events) if not (plan.gap and i == 1)]
    lines += [e.to_json() for e in kept]
    if not plan.killed:
        lines.append(
            end_line(
                exit_code=0, stats={"events": len(events)}, go_version="go1.27.3", go_output=[]
            )
        )
    path = directory / f"{plan.name}.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def write_runs(directory: Path, count: int = 40, seed: int = 7) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    return [write_run(plan, directory) for plan in plans(count, seed)]
