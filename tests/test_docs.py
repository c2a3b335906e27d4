"""The README and docs/ read well on GitHub: every relative link and anchor resolves.

Anchors are GitHub's: a heading lower-cased, its punctuation dropped (hyphens and
underscores kept), spaces turned into hyphens, and `-1`, `-2` … after repeats.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)


def slug(heading: str) -> str:
    text = re.sub(r"[`*]", "", heading.strip().lower())
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link in a heading: its text
    text = re.sub(r"[^\w\- ]", "", text, flags=re.UNICODE)
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    seen: dict[str, int] = {}
    found = set()
    for line in FENCE.sub("", page.read_text()).splitlines():
        if m := re.match(r"#{1,6}\s+(.*?)\s*#*$", line):
            base = slug(m.group(1))
            n = seen.get(base, 0)
            seen[base] = n + 1
            found.add(base if n == 0 else f"{base}-{n}")
    return found


def links(page: Path) -> list[str]:
    return LINK.findall(FENCE.sub("", page.read_text()))


def test_the_slug_is_githubs():
    assert slug("Route: where go will send a path, before it does") == (
        "route-where-go-will-send-a-path-before-it-does"
    )
    assert slug("go's verdict is the final word") == "gos-verdict-is-the-final-word"
    assert slug("`goscope audit` and --json") == "goscope-audit-and---json"
    assert slug("GOPROXY, fail_on_leak (a **key**)") == "goproxy-fail_on_leak-a-key"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_and_anchor_resolves(page: Path):
    broken = []
    for target in links(page):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto: … not ours to check
            continue
        path, _, anchor = target.partition("#")
        dest = (page.parent / unquote(path)).resolve() if path else page
        if not dest.exists():
            broken.append(f"{target}: no such file")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            broken.append(f"{target}: no heading #{anchor} in {dest.name}")
    assert broken == []


def test_the_readme_is_the_story_and_docs_the_reference():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 300
    linked = {Path(t.partition("#")[0]).name for t in links(ROOT / "README.md")}
    for doc in sorted((ROOT / "docs").glob("*.md")):
        assert doc.name in linked, f"the README never points at docs/{doc.name}"


def test_a_broken_link_or_anchor_is_caught(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# Title\n\n[ok](#title) [gone](#nope) [file](missing.md)\n")
    assert links(page) == ["#title", "#nope", "missing.md"]
    assert anchors(page) == {"title"}


def test_the_labs_page_names_every_scenario():
    # Nine scenarios had been added to the lab without a line in its table.
    from goscope.lab.scenario import scenario_names

    page = (Path(__file__).parent.parent / "docs" / "lab.md").read_text(encoding="utf-8")
    table = {
        name
        for line in page.splitlines()
        if line.startswith("| `")
        for name in re.findall(r"`([a-z0-9-]+)`", line.split("|")[1])
    }
    assert set(scenario_names()) - table == set()
