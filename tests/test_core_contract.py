"""The layers, enforced: core → proxy → run engine → lab → term → tui → cli.

harlequin's habit: import contracts (import-linter, in pyproject.toml) checked by
`make lint`, and here as a test, so a stray import fails the suite too.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import goscope.core

CORE = Path(goscope.core.__file__).parent
FORBIDDEN = ("textual", "mitmproxy", "rich")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def test_no_forbidden_imports_in_source():
    offenders = []
    for path in CORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert offenders == []


def test_importing_the_whole_core_loads_neither_textual_nor_mitmproxy():
    modules = sorted(
        ".".join(p.relative_to(CORE).with_suffix("").parts)
        for p in CORE.rglob("*.py")
        if p.stem != "__init__"
    )
    code = (
        "import sys\n"
        + "".join(f"import goscope.core.{m}\n" for m in modules)
        + f"print(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert len(modules) >= 8


def test_the_run_engine_starts_no_ui():
    code = (
        "import sys, goscope.run.engine, goscope.cli.launch\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'mitmproxy')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_layer_contracts_are_kept():
    root = Path(__file__).parent.parent
    out = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], capture_output=True, text=True, cwd=root, timeout=120
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    kept = [line for line in out.stdout.splitlines() if line.endswith(" KEPT")]
    names = " ".join(kept)
    assert len(kept) == 9 and "layers: cli > tui > term > lab > run > proxy > core" in names
    assert "the TUI never reaches into the proxy" in names
    assert "core: audit > view|outputs > judging > traffic > gorules > safe > loose" in names
    assert "DuckDB stays in the audit" in names
    assert "the ports of Go's rules import nothing of traffic analysis" in names
    assert "tabs and palette commands know the app only by its protocol" in names


def test_adding_a_tab_is_one_list_entry():
    from goscope.tui.app import GoscopeApp
    from goscope.tui.commands import tab_commands
    from goscope.tui.tabs import TABS, tab_key

    keys = {b.key: b.action for b in GoscopeApp.BINDINGS}
    for tab in TABS:
        assert keys[tab_key(tab.TAB_ID)] == f"tab('{tab.TAB_ID}')"
        assert tab.TITLE in GoscopeApp.KEY_HELP[0][1]
    assert GoscopeApp.KEY_HELP[0][0] == f"1-{len(TABS)}"
    assert len(tab_commands(None)) == len(TABS)  # type: ignore[arg-type]


def test_no_module_is_over_600_lines():
    """The house rule (issue 24): a module one can read; split by concern before it grows."""
    root = Path(goscope.core.__file__).parent.parent
    long = {
        str(p.relative_to(root)): n
        for p in root.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > 600
    }
    assert long == {}
