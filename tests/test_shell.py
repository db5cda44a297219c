"""Shell habits: ids as pk shows them, usage lines in the README's words, global options
anywhere on the line, and the hint that dates change with pk move."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Pk
from typer.main import get_command

from promisekeeper.face.cli import app

COMMANDS = get_command(app).commands  # type: ignore[attr-defined]
ID_COMMANDS = sorted(
    name
    for name, command in COMMANDS.items()
    if any(param.name == "promise_id" for param in command.params)
)
# What each id command needs besides the id to do its work.
EXTRA = {
    "move": ["next monday"],
    "note": ["draft sent"],
    "edit": ["--what", "x"],
    "delete": ["--yes"],
    "checkpoint": ["draft for review", "--by", "thu"],
}


def test_the_id_commands_are_found() -> None:
    assert {"show", "keep", "move", "break", "release", "reopen", "note", "edit", "delete"} <= set(
        ID_COMMANDS
    )
    assert "notify" in ID_COMMANDS


@pytest.mark.parametrize("name", ID_COMMANDS)
def test_an_id_may_be_written_as_pk_shows_it(ok: Pk, make, name: str) -> None:
    if name == "stop":  # an occurrence of a series
        pid = ok("promise", "Status", "--to", "alice", "--every", "monday", "--json").json["id"]
    elif name == "nudge":  # a nudge is for what someone promised you
        pid = int(ok("expect", "The contract", "--from", "bob", "--by", "fri", "--json").json["id"])
    else:
        pid = make("Send the numbers", "alice", "fri")
    if name == "reopen":
        ok("keep", str(pid))
    ok(name, f"#{pid}", *EXTRA.get(name, []))


@pytest.mark.parametrize("name", ID_COMMANDS)
def test_hash_and_plain_ids_name_the_same_promise(pk: Pk, name: str) -> None:
    for typed in ("#7", "7", " #7"):
        result = pk(name, typed, *EXTRA.get(name, []))
        assert result.exit_code == 1, result.stdout + result.stderr
        assert result.stderr == "pk: no promise with id 7\n"


@pytest.mark.parametrize("name", ID_COMMANDS)
@pytest.mark.parametrize("typed", ["#abc", "abc", "0", "#", "##5", "5x", "1.5", "9" * 20])
def test_what_cannot_be_an_id_is_one_usage_line(pk: Pk, make, name: str, typed: str) -> None:
    pid = make("Send the numbers", "alice", "fri")
    before = pk("show", str(pid), "--json").json
    result = pk(name, typed, *EXTRA.get(name, []))
    assert result.exit_code == 2
    assert result.stderr == f"pk: {typed!r} is not a promise id\n"
    assert result.stdout == ""
    assert pk("show", str(pid), "--json").json == before


def test_the_hash_abc_error_in_full(pk: Pk) -> None:
    result = pk("keep", "#abc")
    assert (result.exit_code, result.stderr) == (2, "pk: '#abc' is not a promise id\n")


def test_edit_due_points_to_move_and_changes_nothing(pk: Pk, ok: Pk, make) -> None:
    pid = make("Send the numbers", "alice", "fri")
    before = ok("show", str(pid), "--json").json
    result = pk("edit", f"#{pid}", "--due", "next monday")
    assert result.exit_code == 2
    assert result.stderr == (
        f"pk: pk edit does not change the due date; use pk move {pid} 'next monday' "
        "(it keeps the original date and counts the move)\n"
    )
    assert ok("show", str(pid), "--json").json == before
    # The hint is a hint: the option is not offered in the help.
    assert "--due" not in ok("edit", "--help").stdout


@pytest.mark.parametrize("where", ["before", "after"])
def test_db_before_or_after_the_command(ok: Pk, isolated: Path, tmp_path: Path, where) -> None:
    other = tmp_path / "other.db"

    def run(*args: str):
        return ok("--db", str(other), *args) if where == "before" else ok(*args, "--db", str(other))

    run("promise", "Send the numbers", "--to", "alice", "--due", "fri")
    assert other.exists() and not isolated.exists()
    assert "Send the numbers" in run("list").stdout
    assert "No open promises" in ok("today").stdout  # the default ledger is untouched
    assert "1 open" in run("today").stdout
    assert [p["what"] for p in run("list", "--json").json] == ["Send the numbers"]


def test_db_given_twice_the_later_wins(ok: Pk, tmp_path: Path) -> None:
    first, second = tmp_path / "first.db", tmp_path / "second.db"
    ok("--db", str(first), "promise", "x", "--to", "a", "--due", "fri", "--db", str(second))
    assert second.exists() and not first.exists()


def test_version_after_the_command(ok: Pk) -> None:
    assert ok("today", "--version").stdout.startswith("pk (PromiseKeeper) ")


def test_every_command_help_shows_db(ok: Pk) -> None:
    for name in COMMANDS:
        assert "--db PATH" in ok(name, "--help").stdout, name


@pytest.mark.parametrize(
    ("name", "usage"),
    [
        ("show", "pk show [OPTIONS] ID"),
        ("keep", "pk keep [OPTIONS] ID"),
        ("move", "pk move [OPTIONS] ID WHEN"),
        ("note", "pk note [OPTIONS] ID TEXT..."),
        ("notify", "pk notify [OPTIONS] ID"),
        ("person", "pk person [OPTIONS] PERSON"),
        ("trust", "pk trust [OPTIONS] [PERSON]"),
        ("restore", "pk restore [OPTIONS] PATH"),
    ],
)
def test_usage_lines_use_the_readme_words(ok: Pk, name: str, usage: str) -> None:
    assert ok(name, "--help").stdout.splitlines()[0] == f"Usage: {usage}"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_no_usage_line_shows_a_parameter_name(ok: Pk, name: str) -> None:
    first = ok(name, "--help").stdout.splitlines()[0]
    assert "{" not in first and "_" not in first, first
    words = first.split()[3:]
    assert all(w.strip("[].") == w.strip("[].").upper() for w in words), first
