"""Lab scenarios: TOML files naming hosts, modules, the Go environment, and what must happen."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from .modules import ModuleVersion, resolve
from .server import ANSWERS, HostSpec, Lab


class ScenarioError(ValueError):
    """A scenario file that cannot be used (one line)."""


@dataclass
class Expect:
    exit: int = 0
    served_by: dict[str, str] = field(default_factory=dict)  # "module@version" -> host | "direct"
    leaks: list[dict[str, str]] = field(default_factory=list)  # module, host, kind, severity
    findings: list[str] = field(default_factory=list)  # doctor finding ids
    kinds: list[str] = field(default_factory=list)  # event kinds that must appear
    endpoints: list[str] = field(default_factory=list)  # endpoints that must appear
    no_events: bool = False
    stderr: list[str] = field(default_factory=list)  # phrases go must print
    # go prints no -x trace for a toolchain switch (it happens before flags are read).
    traced: bool = True
    requests: list[list[Any]] = field(default_factory=list)  # [url, status] when untraced
    go_errors: list[str] = field(default_factory=list)  # kinds of go's errors, in order
    failed: int | None = None  # failures the report counts (go's verdict)
    lookups: dict[str, str] = field(default_factory=dict)  # package path -> module found
    modules: list[str] = field(default_factory=list)  # the module paths the report lists
    checksums: dict[str, str] = field(default_factory=dict)  # module@version -> verdict
    # With the guard: leaks it must have stopped (module, host, kind), and what the lab's
    # servers must never have received ([host, text in the path]: the proof).
    blocked: list[dict[str, str]] = field(default_factory=list)
    no_lookups: bool = False  # no request may be called a prefix probe
    never_reached: list[list[str]] = field(default_factory=list)


@dataclass
class Scenario:
    name: str
    description: str
    hosts: list[HostSpec]
    modules: list[str]
    require: list[str]
    env: dict[str, str]
    command: list[str] = field(default_factory=lambda: ["go", "mod", "download", "-x"])
    synthetic: int = 0
    go_directive: str = "1.21"
    sumdb: str = "sum.golang.org"
    private: str = ""
    trusted: list[str] = field(default_factory=list)
    go_sum: list[str] = field(default_factory=list)  # module@version ids written to go.sum
    # With TLS hosts: whether go's roots (SSL_CERT_FILE) hold the lab's inspecting CA, as
    # they do where IT installed a corporate CA.
    trust_inspecting_ca: bool = True
    netrc: str = ""  # a .netrc for go (NETRC), written 0600 in the run's directory
    guard: bool = False  # run with --guard
    expect: Expect = field(default_factory=Expect)

    def module_versions(self) -> list[ModuleVersion]:
        return resolve(self.modules, self.synthetic)

    def required(self) -> list[ModuleVersion]:
        mods = resolve(self.require)
        if self.synthetic:
            mods += resolve([], self.synthetic)
        return mods

    def lab(self, workdir: Path) -> Lab:
        return Lab(self.hosts, self.module_versions(), workdir, self.sumdb)

    def go_mod(self) -> str:
        lines = ["module lab.example/demo", "", f"go {self.go_directive}", "", "require ("]
        lines += [f"\t{m.path} {m.version}" for m in self.required()]
        return "\n".join([*lines, ")", ""])

    def go_env(self, lab: Lab, tmp: Path, go: str | None = None) -> dict[str, str]:
        """A hermetic environment: nothing from the user's own Go setup leaks in."""
        path = os.environ.get("PATH", "/usr/bin:/bin")
        if go:
            path = f"{Path(go).parent}{os.pathsep}{path}"
        env = {
            "PATH": path,
            "HOME": str(tmp / "home"),
            "GOPATH": str(tmp / "gopath"),
            "GOMODCACHE": str(tmp / "gopath" / "pkg" / "mod"),
            "GOCACHE": os.environ.get("GOSCOPE_LAB_GOCACHE") or str(tmp / "gocache"),
            "GOENV": str(tmp / "goenv"),
            "GOFLAGS": "-modcacherw",
            "GOTOOLCHAIN": "local",
            "CGO_ENABLED": "0",
            "GIT_TERMINAL_PROMPT": "0",
            "GOSUMDB": lab.sumdb.verifier_key,
        }
        if "GOSCOPE_HOME" in os.environ:
            env["GOSCOPE_HOME"] = os.environ["GOSCOPE_HOME"]
        for key, value in self.env.items():
            env[key] = value.replace("{sumdb_key}", lab.sumdb.verifier_key)
        if self.netrc:
            netrc = tmp / "netrc"
            netrc.parent.mkdir(parents=True, exist_ok=True)
            netrc.write_text(self.netrc)
            netrc.chmod(0o600)
            env["NETRC"] = str(netrc)
        if lab.inspecting is not None:
            from goscope.core.gorules.roots import go_roots

            system = go_roots(os.environ).file
            if self.trust_inspecting_ca:
                roots = lab.inspecting.roots_with(system, tmp / "roots.pem")
                env["SSL_CERT_FILE"] = str(roots)
            elif system:
                env["SSL_CERT_FILE"] = system
        return env

    def workspace(self, tmp: Path) -> Path:
        work = tmp / "work"
        work.mkdir(parents=True, exist_ok=True)
        (work / "go.mod").write_text(self.go_mod())
        if self.go_sum:
            (work / "go.sum").write_text("".join(m.gosum_lines for m in resolve(self.go_sum)))
        return work


def _hosts(data: dict[str, Any], where: str) -> list[HostSpec]:
    hosts = []
    for name, spec in data.items():
        answer = str(spec.get("answer", "serve"))
        if answer not in ANSWERS:
            raise ScenarioError(f"{where}: host {name}: answer must be one of {', '.join(ANSWERS)}")
        role = spec.get("role", "proxy")
        if role not in ("proxy", "sumdb", "vcs", "blob"):
            raise ScenarioError(f"{where}: host {name}: role must be proxy, sumdb, vcs or blob")
        hosts.append(
            HostSpec(
                name=name,
                role=role,
                answer=answer,
                modules=spec.get("modules"),
                base_path=spec.get("base_path", ""),
                delay_ms=int(spec.get("delay_ms", 0)),
                sumdb_supported=bool(spec.get("sumdb_supported", False)),
                tamper=list(spec.get("tamper", [])),
                redirect_to=str(spec.get("redirect_to", "")),
                redirect=list(spec.get("redirect", ["zip"])),
                cache_max_age=int(spec.get("cache_max_age", 0)),
                missing=int(spec.get("missing", 404)),
                tls=bool(spec.get("tls", False)),
                auth=str(spec.get("auth", "")),
                gzip=bool(spec.get("gzip", False)),
                mod_import=str(spec.get("mod_import", "")),
            )
        )
    return hosts


def parse_scenario(text: str, name: str) -> Scenario:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{name}: {exc}") from None
    try:
        expect = Expect(**data.get("expect", {}))
        scenario = Scenario(
            name=data.get("name", name),
            description=data["description"],
            hosts=_hosts(data.get("hosts", {}), name),
            modules=list(data.get("modules", [])),
            require=list(data.get("require", [])),
            env={k: str(v) for k, v in data.get("env", {}).items()},
            command=list(data.get("command", ["go", "mod", "download", "-x"])),
            synthetic=int(data.get("synthetic", 0)),
            go_directive=str(data.get("go_directive", "1.21")),
            sumdb=data.get("sumdb", "sum.golang.org"),
            private=data.get("private", ""),
            trusted=list(data.get("trusted", [])),
            go_sum=list(data.get("go_sum", [])),
            trust_inspecting_ca=bool(data.get("trust_inspecting_ca", True)),
            netrc=str(data.get("netrc", "")),
            guard=bool(data.get("guard", False)),
            expect=expect,
        )
        scenario.module_versions()
    except (KeyError, TypeError) as exc:
        raise ScenarioError(f"{name}: missing or invalid field {exc}") from None
    return scenario


def scenario_names() -> list[str]:
    files = resources.files("goscope.lab") / "scenarios"
    return sorted(p.name.removesuffix(".toml") for p in files.iterdir() if p.name.endswith(".toml"))


def load_scenario(name: str) -> Scenario:
    if name.endswith(".toml") and os.path.exists(name):
        return parse_scenario(Path(name).read_text(), Path(name).stem)
    path = resources.files("goscope.lab") / "scenarios" / f"{name}.toml"
    if not path.is_file():
        raise ScenarioError(f"no scenario {name!r} (goscope demo --list shows them)")
    return parse_scenario(path.read_text(), name)
