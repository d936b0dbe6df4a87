"""Every relative link in the repository's Markdown resolves inside the repository (anchors included), and no
page names a Markdown file as `path/to/file.md` that a fresh clone does not have."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
NAMED_MD = re.compile(r"`([\w./-]+\.md)(?:#[\w-]+)?`")
EXTERNAL = ("http://", "https://", "mailto:")


def markdown_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "*.md"], cwd=ROOT, capture_output=True, text=True, check=True)
    return [ROOT / name for name in listed.stdout.split()]


def without_code_blocks(text: str) -> str:
    return re.sub(r"```.*?```", "", text, flags=re.DOTALL)


def anchors(path: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    headings = re.findall(r"^#+\s+(.+?)\s*$", without_code_blocks(path.read_text()), flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-") for heading in headings}


def shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if ROOT in path.parents else path.name


def broken_links(page: Path) -> list[str]:
    text = without_code_blocks(page.read_text())
    problems = []
    for target in LINK.findall(text):
        if target.startswith(EXTERNAL):
            continue
        name, _, anchor = target.partition("#")
        linked = (page.parent / name).resolve() if name else page
        if name and (not linked.exists() or ROOT not in (linked, *linked.parents)):
            problems.append(f"{target}: no such file in the repository")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            problems.append(f"{target}: no heading #{anchor} in {shown(linked)}")
    for named in NAMED_MD.findall(text):
        if not any((base / named).exists() for base in (ROOT, page.parent)):
            problems.append(f"`{named}`: names a file that is not in the repository")
    return problems


@pytest.mark.parametrize("page", markdown_files(), ids=lambda page: str(page.relative_to(ROOT)))
def test_relative_links_resolve_inside_the_repository(page: Path) -> None:
    assert broken_links(page) == []


def test_a_broken_link_is_caught(tmp_path: Path) -> None:
    page = tmp_path / "probe.md"
    page.write_text("# Probe page\nSee [the README](README.md), [here](#probe-page), [there](#elsewhere) and "
                    "`shared/DESIGN.md`.\n")
    (tmp_path / "README.md").write_text("# Outside the repository\n")

    assert broken_links(page) == ["README.md: no such file in the repository",
                                  "#elsewhere: no heading #elsewhere in probe.md",
                                  "`shared/DESIGN.md`: names a file that is not in the repository"]
