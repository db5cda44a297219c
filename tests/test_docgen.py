"""The command reference (docs/cli.md) and the man page (pk.1) are the app's, and cannot drift:
they are regenerated here and compared, whatever the terminal or environment."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Pk
from typer.main import get_command

from promisekeeper.face import docgen
from promisekeeper.face.cli import app

ROOT = Path(__file__).resolve().parent.parent
HINT = "run python -m promisekeeper.face.docgen"
COMMANDS = list(get_command(app).commands)  # type: ignore[attr-defined]
# Sub-commands of command groups (`pk sync init`), each with a usage line of its own.
SUBCOMMANDS = [
    f"{name} {sub}"
    for name, command in get_command(app).commands.items()  # type: ignore[attr-defined]
    for sub in getattr(command, "commands", {})
]


@pytest.mark.parametrize("relative", [docgen.MARKDOWN, docgen.MAN_PAGE], ids=str)
def test_the_reference_is_generated_from_the_app(relative: Path) -> None:
    written = (ROOT / relative).read_text(encoding="utf-8")
    assert written == docgen.outputs()[relative], f"{relative} differs from the app: {HINT}"


def test_generation_ignores_the_terminal_and_the_environment(tmp_path: Path) -> None:
    """A narrow terminal, colours forced or refused, another home, locale and time zone: the
    same bytes."""
    probe = (
        "import json; from promisekeeper.face.docgen import outputs; "
        "print(json.dumps({str(k): v for k, v in outputs().items()}))"
    )
    expected = {str(k): v for k, v in docgen.outputs().items()}
    for extra in (
        {"COLUMNS": "30", "LINES": "10", "NO_COLOR": "1", "TERM": "dumb"},
        {"COLUMNS": "300", "FORCE_COLOR": "1", "TERM": "xterm-256color", "TZ": "Asia/Tokyo"},
        {"HOME": str(tmp_path), "LC_ALL": "C", "PK_DB": str(tmp_path / "x.db")},
    ):
        env = {**os.environ, **extra}
        done = subprocess.run(
            [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == expected, extra


def test_every_command_is_in_the_reference_with_its_usage_and_examples(ok: Pk) -> None:
    """What `pk CMD --help` says is what docs/cli.md says: the usage line, every option and
    argument, every example."""
    reference = (ROOT / docgen.MARKDOWN).read_text(encoding="utf-8")
    for name in COMMANDS:
        help_text = ok(name, "--help").stdout
        section = reference.split(f"\n### pk {name}\n", 1)[1].split("\n### ", 1)[0]
        usage = help_text.splitlines()[0].removeprefix("Usage: ")
        assert f"```text\n{usage}\n```" in section, name
        examples = help_text.split("Examples:\n", 1)[1].split("\n\n", 1)[0]
        for line in examples.splitlines():
            assert line.strip() in section, (name, line)
        for option in re.findall(r"^  (-{1,2}[\w-]+)", help_text, re.M):
            assert f"`{option}" in section or f" {option}" in section, (name, option)
        assert f"[`pk {name}`](#pk-{name})" in reference


def test_names_are_the_same_in_help_and_docs(ok: Pk) -> None:
    """Typer's `{promise_id}` style never shows: arguments are written as in the README."""
    reference = (ROOT / docgen.MARKDOWN).read_text(encoding="utf-8")
    usages = re.findall(r"```text\n(pk .*)\n```", reference)
    assert len(usages) == len(COMMANDS) + len(SUBCOMMANDS) + 1
    assert not [u for u in usages if "{" in u or "promise_id" in u]
    assert "pk move [OPTIONS] ID WHEN" in usages
    assert ok("move", "--help").stdout.startswith("Usage: pk move [OPTIONS] ID WHEN\n")
    assert "| `ID` | The promise's id" in reference


def test_the_man_page_renders_without_warnings() -> None:
    if not shutil.which("man"):
        pytest.skip("man is not installed (apt-get install man-db)")
    done = subprocess.run(
        ["man", "--warnings", "-l", str(ROOT / docgen.MAN_PAGE)],
        env={**os.environ, "MANWIDTH": "80", "MANPAGER": "cat", "PAGER": "cat"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", done.stderr
    page = done.stdout
    assert "pk - the ledger of what you promised" in page
    for name in COMMANDS:
        assert f"   pk {name}\n" in page, name
    # Options stay copyable: a real "--", not typographic dashes or hyphenation.
    assert "pk move 12 2026-12-04" in page
    assert "--reason" in page


def test_roff_escapes_what_would_break_the_page() -> None:
    assert docgen._roff(".hidden") == "\\&.hidden"
    assert docgen._roff("a\\b --x") == "a\\eb \\-\\-x"
    assert docgen._roff("due → bob") == "due \\[u2192] bob"
    assert docgen._md("a_b *c* <d> `x_y`") == "a\\_b \\*c\\* \\<d\\> `x_y`"


def test_sub_commands_are_walked_too() -> None:
    """A command group (`pk sync push`, say) gets its commands documented under it."""
    import typer

    from promisekeeper.face.cli import PkTyper

    top = PkTyper(name="pk", help="Top.")
    group = PkTyper(help="Keep ledgers in step.\n\n\b\nExamples:\n  pk sync push")

    @top.command()
    def today() -> None:
        """The day."""

    @group.command()
    def push(
        remote: str = typer.Argument(..., metavar="REMOTE", help="Where to."),
        dry_run: bool = typer.Option(False, "--dry-run", help="Only say what it would do."),
    ) -> None:
        """Send your changes.

        \b
        Examples:
          pk sync push origin
        """

    top.add_typer(group, name="sync")
    command = get_command(top)
    entry = docgen._entry(command, command.make_context("pk", [], resilient_parsing=True), "pk")
    text = docgen.markdown(entry)
    assert [c.path for c in docgen._commands(entry)] == ["pk today", "pk sync", "pk sync push"]
    assert "```text\npk sync push [OPTIONS] REMOTE\n```" in text
    assert "| `REMOTE` | Where to.  \\[required\\] |" in text
    assert "| `--dry-run` | Only say what it would do. |" in text
    assert "```sh\npk sync push origin\n```" in text
    assert '.SS "pk sync push"' in docgen.man_page(entry)
