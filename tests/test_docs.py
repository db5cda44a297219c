"""Docs that check themselves: every command has help with examples and is in the README,
and the README's tour is what pk really prints."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from conftest import Pk
from typer.main import get_command

from promisekeeper.face.cli import app

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(get_command(app).commands)  # type: ignore[attr-defined]


def test_there_are_commands() -> None:
    assert {"promise", "today", "status", "list", "show", "keep", "move"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help_with_examples(ok: Pk, name: str) -> None:
    out = ok(name, "--help").stdout
    assert "Examples:" in out
    assert f"pk {name}" in out.split("Examples:")[1]


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_is_in_the_readme(name: str) -> None:
    assert f"`pk {name}" in README


def test_quickstart_has_exactly_two_commands() -> None:
    block = README.split("## Quickstart", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    lines = [line for line in block.strip().splitlines() if line.strip()]
    assert lines == [
        "pipx install . && pk today",
        "python3 -m venv .venv && .venv/bin/pip install '.[test]' && .venv/bin/pytest",
    ]


def tour() -> list[tuple[list[str], str]]:
    block = README.split("## A 30-second tour", 1)[1].split("```console", 1)[1].split("```")[0]
    steps: list[tuple[list[str], str]] = []
    for chunk in re.split(r"^\$ ", block.strip(), flags=re.M):
        if not chunk.strip():
            continue
        command, _, output = chunk.partition("\n")
        steps.append((shlex.split(command)[1:], output.strip("\n")))
    return steps


def test_the_tour_is_what_pk_prints(ok: Pk) -> None:
    steps = tour()
    assert len(steps) >= 4
    # "(#1 was made a week earlier.)"
    assert "(#1 was made a week earlier.)" in README
    week_ago = "2026-11-16T10:00:00+01:00"
    ok("promise", "Review Bob's RFC on caching", "--to", "bob", "--due", "2026-11-24", now=week_ago)
    for args, expected in steps:
        assert ok(*args).stdout.rstrip("\n") == expected, args


def test_every_test_the_readme_names_exists() -> None:
    """'Your data is safe' names the test behind each guarantee: each one must exist."""
    import re

    named = set(re.findall(r"::(test_\w+)", README))
    assert named, "the README names no tests"
    tests = Path(__file__).parent
    defined = set()
    for path in tests.glob("test_*.py"):
        defined |= set(re.findall(r"^def (test_\w+)", path.read_text(encoding="utf-8"), re.M))
    assert not named - defined, sorted(named - defined)
