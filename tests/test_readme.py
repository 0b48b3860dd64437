"""README.md stays true: CI runs its test command, and every command has a section with an example."""

from __future__ import annotations

import re
from pathlib import Path

from pkm.cli import COMMANDS

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")


def _first_command_after(heading: str) -> str:
    section = README.split(heading, 1)[1]
    block = re.search(r"```(?:sh|console|bash)?\n(.*?)```", section, re.S)
    assert block, f"no code block after {heading!r}"
    return block.group(1).strip().lstrip("$ ").strip()


def test_ci_runs_exactly_the_readme_test_command():
    command = _first_command_after("Run the tests")
    assert "pytest" in command
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert command in [line.strip() for line in ci]


def test_every_command_has_a_section_with_an_example():
    for name in COMMANDS:
        heading = f"### `pkm {name}"
        assert heading in README, f"README.md lacks a section for `pkm {name}`"
        section = README.split(heading, 1)[1].split("\n### ", 1)[0]
        assert f"$ pkm {name}" in section, f"the `pkm {name}` section shows no example"
