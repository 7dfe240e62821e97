"""The repository says what it is: the licence pyproject.toml names, and a README whose
Layout section lists the folders there are (and none that are not)."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def layout() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Layout\n", 1)[1].split("\n## ", 1)[0]
    return section.split("```", 2)[1]


def test_the_licence_file_is_the_apache_2_text_pyproject_names() -> None:
    named = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"]
    assert named == {"text": "Apache-2.0"}
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text
    assert "END OF TERMS AND CONDITIONS" in text
    assert len(text.splitlines()) > 190  # the whole text, not a pointer to it


def tracked_folders() -> set[str]:
    """Top-level folders with files in git (what a fresh clone has)."""
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()
    return {f.split("/", 1)[0] for f in files if "/" in f and not f.startswith(".")}


def test_the_layout_lists_every_folder_and_only_folders_that_exist() -> None:
    lines = layout().strip("\n").splitlines()
    top = {line.split()[0].rstrip("/") for line in lines if line and not line[0].isspace()}
    assert top == tracked_folders() - {"test-artifacts"}
    # Each folder named inside an entry (slack/, teams/, playground/ ...) is there too.
    entry = ""
    for line in lines:
        if line and not line[0].isspace():
            entry = line.split()[0]
        for sub in re.findall(r"(?<![\w/.])([a-z_]+)/", line[len(entry):] if
                              line.startswith(entry) else line):
            assert (ROOT / entry / sub).is_dir(), f"{entry}{sub}/ is in the README's Layout"
    assert "report" not in layout()  # nothing that does not exist yet
