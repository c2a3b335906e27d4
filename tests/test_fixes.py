"""Every fix goscope suggests is run by a real shell, and does exactly what it says.

A fix is built from values goscope saw (a GOPROXY with `|`, patterns, module paths
from the wire): pasted, it must set the value shown and run nothing else.
"""

from __future__ import annotations

import random
import shlex
import shutil
import subprocess

import pytest

from goscope.core.gorules.goenv import ORIGIN_ENV, ORIGIN_FILE, GoEnv
from goscope.core.judging.doctor import diagnose
from goscope.core.judging.leaks import LeakDetector
from goscope.core.safe.shell import is_module_path, quote

from .factories import event

SHELLS = [s for s in ("bash", "zsh", "fish") if shutil.which(s)]
HOSTILE = [
    "corp.example.com/$(touch PWNED)",
    "corp.example.com/`touch PWNED`",
    "a.example|touch PWNED",
    "a.example;touch PWNED",
    "a.example' ; touch PWNED; echo '",
    'a.example" ; touch PWNED; echo "',
    "a.example\\'$(touch PWNED)",
    "a.example && touch PWNED",
    "a.example\ntouch PWNED",
    "*.corp.example.com,{a,b}.example",
    "~root/x",
    "$HOME/x",
    '"token":"x\'";touch PWNED;#',  # redaction must never unbalance the quoting
    'corp.example.com,"token":"a\'";id;#',
]


@pytest.mark.parametrize("shell", SHELLS)
def test_quote_reads_back_exactly_in_every_shell(tmp_path, shell):
    rng = random.Random(7)
    alphabet = "ab$`'\"\\|&;(){}[]*?!~#% \t\n,=-./:é"
    values = HOSTILE + [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(300)
    ]
    script = "".join(f"printf '%s\\0' {quote(v)}\n" for v in values)
    out = subprocess.run([shell, "-c", script], cwd=tmp_path, capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.decode().split("\0")[:-1] == values
    assert not (tmp_path / "PWNED").exists()


def _fixes() -> list[tuple[str, dict[str, str]]]:
    """(fix, the process environment it is for) for hostile Go environments."""
    fixes = []
    for value in HOSTILE:
        for where in ("file", "environment"):
            values = {
                "GOPRIVATE": value,
                "GOPROXY": "https://athens.corp.example|https://proxy.golang.org,direct",
                "GONOSUMDB": "",
            }
            env = GoEnv.from_mapping(values)
            if where == "file":  # the same values, set with go env -w
                origins = {var: ORIGIN_FILE for var in values}
                env = GoEnv(dict(env.values), {**env.origins, **origins})
            process_env = values if where == "environment" else {}
            findings = diagnose(env, process_env, private="git.corp.example.com," + value)
            fixes += [(f.fix, process_env) for f in findings if f.fix]
            # The same value in the environment and, differently, in the go env -w file.
            shadowed = GoEnv(
                dict(env.values),
                {**env.origins, "GOPRIVATE": ORIGIN_ENV},
                {"GOPRIVATE": "other.example"},
                "/tmp/goenv",
            )
            shadow = [f for f in diagnose(shadowed, process_env) if f.id == "env-shadows-go-env"]
            assert shadow and shadow[0].fix == "export GOPRIVATE="
            fixes += [(f.fix, process_env) for f in shadow]
            detector = LeakDetector(env, declared="git.corp.example.com")
            leak = detector.check(
                event("https://proxy.golang.org/git.corp.example.com/x/@v/list", 200)
            )
            assert leak is not None
            if leak.fix:  # none when go could not store the value (a newline in it)
                fixes.append((leak.fix, process_env))
    return fixes


def _expected(fix: str) -> tuple[str, str | None]:
    words = shlex.split(fix)
    if words[:3] == ["go", "env", "-w"] or words[0] == "export":
        var, _, value = words[-1].partition("=")
        return var, value
    return words[-1], None  # go env -u VAR / unset VAR


@pytest.mark.parametrize("shell", SHELLS)
def test_every_fix_sets_what_it_shows_and_runs_nothing_else(tmp_path, go_binary, go_env, shell):
    """In bash, zsh and fish: `unset VAR`, fish has none (the variable stayed set)."""
    fixes = _fixes()
    assert len(fixes) > 20
    kinds = {f.split()[0] for f, _ in fixes}
    assert {"go", "export"} <= kinds
    for i, (fix, _) in enumerate(fixes):
        var, value = _expected(fix)
        env = dict(
            go_env,
            GOENV=str(tmp_path / f"goenv-{i}"),
            PATH=f"{go_binary.rsplit('/', 1)[0]}:/usr/bin:/bin",
        )
        out = subprocess.run(
            [shell, "-c", f"{fix}\ngo env {var}"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 0, (fix, out.stderr)
        if value is not None:
            assert out.stdout.rstrip("\n") == value, fix
        assert not (tmp_path / "PWNED").exists(), fix


@pytest.mark.parametrize(
    "module",
    [
        "x$(id>pwned)",
        "corp.example/`id`",
        "corp.example/a b",
        "Corp.Example/x",
        "-x.example/a",
        "corp.example/..",
        "corp.example//x",
    ],
)
def test_no_fix_is_built_from_a_path_that_is_not_a_module_path(module):
    assert not is_module_path(module)
    detector = LeakDetector(GoEnv.from_mapping({}), declared="*")  # everything is private
    sent = event("https://proxy.golang.org/corp.example/x/@v/list", 200)
    sent.module = module  # as a crafted recording or a hostile server can make it
    leak = detector.check(sent)
    assert leak is not None and leak.fix == ""
    good = detector.check(event("https://proxy.golang.org/corp.example/x/@v/list", 200))
    assert good is not None and good.fix == "go env -w 'GOPRIVATE=*'"


def test_module_paths_go_accepts_are_module_paths():
    for path in (
        "github.com/BurntSushi/toml",
        "golang.org/x/mod",
        "gopkg.in/yaml.v3",
        "example.com/a-b_c~d",
    ):
        assert is_module_path(path)


def test_a_value_with_a_credential_gets_no_fix_rather_than_a_wrong_one():
    values = {"GOPROXY": "https://user:s3cretpw@goproxy.corp.example.com", "GONOSUMDB": "x"}
    env = GoEnv.from_mapping(values)
    findings = diagnose(env, values)
    with_goproxy = [f for f in findings if "GOPROXY" in (f.variable or "")]
    assert with_goproxy, [f.id for f in findings]
    for f in findings:
        assert "s3cretpw" not in f"{f.value} {f.message} {f.fix}"
        assert f.fix is None or "xxxxx" not in f.fix  # never a fix that sets the placeholder
    assert any("no fix shown: the value holds a credential" in f.message for f in with_goproxy)


def test_a_value_with_a_byte_that_is_not_utf8_gets_no_fix_rather_than_a_wrong_one():
    # GOPRIVATE=$'other.\xff' reaches goscope as a lone surrogate (or U+FFFD where a sender's
    # environment was read): a fix quoting it would set other bytes than the user's.
    for odd in ("other.\udcff", "other.\ufffd"):
        values = {"GOPRIVATE": odd}
        findings = diagnose(GoEnv.from_mapping(values), values, "corp.example")
        covered = [f for f in findings if f.id.startswith("private-not-covered")]
        assert covered, [f.id for f in findings]
        for f in covered:
            assert not f.fix and "holds a byte that is not UTF-8" in f.message
        detector = LeakDetector(GoEnv.from_mapping(values), declared="corp.example")
        leak = detector.check(event("https://proxy.golang.org/corp.example/x/@v/list", 200))
        assert leak is not None and leak.fix == ""
