"""Where a module is named in go.mod, go.work and go.sum (CI annotations point there)."""

from __future__ import annotations

import json
import shutil
import subprocess

from hypothesis import given, settings
from hypothesis import strategies as st

from goscope.core.gorules.gomod import main_module_place, module_place

from .real_cases import PROJECTS

GOMOD = """// a comment
module example.com/app

go 1.22

require example.com/single v1.0.0 // indirect

require (
\texample.com/blocked v1.2.3
\t"example.com/quoted" v0.1.0
\t// example.com/commented v9.9.9
)

replace example.com/replaced => ../replaced
"""


def test_each_directive_form_is_found(tmp_path):
    (tmp_path / "go.mod").write_text(GOMOD)
    (tmp_path / "go.sum").write_text(
        "example.com/only-sum v1.0.0 h1:x=\nexample.com/only-sum v1.0.0/go.mod h1:y=\n"
    )
    sub = tmp_path / "internal" / "x"
    sub.mkdir(parents=True)  # go finds go.mod from a subdirectory too

    def where(module, version=None):
        place = module_place(sub, module, version)
        return place.path.name, place.line, place.what

    assert where("example.com/single") == ("go.mod", 6, "require")
    assert where("example.com/blocked") == ("go.mod", 9, "require")
    assert where("example.com/quoted") == ("go.mod", 10, "require")
    assert where("example.com/replaced") == ("go.mod", 14, "replace")
    assert where("example.com/only-sum", "v1.0.0") == ("go.sum", 1, "go.sum")
    assert where("example.com/commented") == ("go.mod", 2, "module")  # a comment names nothing
    assert main_module_place(sub).line == 2
    assert module_place(tmp_path.parent / "elsewhere", "example.com/x") is None


def test_every_requirement_go_lists_is_placed_on_its_line(tmp_path, go_binary):
    """The oracle: `go mod edit -json` (x/mod's modfile) lists kubectl's requirements; each
    is found on a line that names it."""
    shutil.copy(PROJECTS / "kubectl" / "go.mod", tmp_path / "go.mod")
    out = subprocess.run(
        [go_binary, "mod", "edit", "-json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "GOTOOLCHAIN": "local"},
    )
    required = [r["Path"] for r in json.loads(out.stdout)["Require"]]
    assert len(required) > 80
    lines = (tmp_path / "go.mod").read_text().splitlines()
    for path in required:
        place = module_place(tmp_path, path)
        assert place.what == "require" and lines[place.line - 1].split()[0] == path


@settings(max_examples=200)
@given(st.text(max_size=400), st.text(min_size=1, max_size=40))
def test_any_go_mod_places_without_raising(tmp_path_factory, text, module):
    where = tmp_path_factory.mktemp("m")
    (where / "go.mod").write_text(text)
    place = module_place(where, module)
    assert place is not None and 1 <= place.line <= max(1, len(text.splitlines()))
