"""Hostile and broken input: every case ends in a clear one-line message, a non-zero exit, no
traceback, and a ledger that is byte for byte what it was; user text with markup, escape
sequences, NUL, bidi and zero-width characters or a megabyte of it is stored and returned in
--json verbatim, and never reaches a terminal as anything but visible text.
"""

from __future__ import annotations

import ast
import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from conftest import Pk
from ledger_checks import assert_sound, read_only, snapshot
from typer.testing import CliRunner

from promisekeeper.face.cli import app

SRC = Path(__file__).parent.parent / "src" / "promisekeeper"


def one_line_error(result: Any, *fragments: str, code: int = 1) -> None:
    assert result.exit_code == code, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "internal error" not in result.stderr
    if code == 1:
        assert result.stderr.startswith("pk: ") and result.stderr.count("\n") == 1, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)


# -------------------------------------------------------------------------------------------------
# Ledger paths that cannot hold a ledger
# -------------------------------------------------------------------------------------------------
READS = [["today"], ["list", "--status", "all"], ["show", "1"], ["export"], ["remind"]]
WRITES = [
    ["promise", "x", "--to", "a", "--due", "fri"],
    ["expect", "x", "--from", "a", "--by", "fri"],
    ["keep", "1"],
    ["note", "1", "hello"],
    ["undo"],
    ["import", "{import}"],
    ["import", "--from", "taskwarrior", "--person", "tag", "{tasks}"],
    ["promise", "x", "--to", "a", "--every", "monday 10am"],
    ["stop", "1"],
]


@pytest.fixture
def place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "place"
    directory.mkdir()
    monkeypatch.setenv("PK_DB", str(directory / "ledger.db"))
    return directory


@pytest.fixture
def import_file(tmp_path: Path) -> Path:
    path = tmp_path / "import.json"
    path.write_text(json.dumps([{"what": "x", "to": "a", "due": "2026-12-01T16:00:00Z"}]))
    task = {"uuid": "t-1", "description": "x", "status": "pending", "entry": "20261120T090000Z"}
    tasks = [{**task, "due": "20261201T160000Z", "tags": ["a"]}]
    path.with_name("tasks.json").write_text(json.dumps(tasks))  # (taskwarrior's export)
    return path


def args_for(command: list[str], import_file: Path) -> list[str]:
    files = {"{import}": import_file, "{tasks}": import_file.with_name("tasks.json")}
    return [str(files[a]) if a in files else a for a in command]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real ledger of a few pages (one promise, long notes), made once, closed."""
    path = tmp_path_factory.mktemp("template") / "ledger.db"
    env = {"PK_DB": str(path), "PK_CONFIG": str(path.parent / "config.toml")}
    runner = CliRunner(env={**env, "PK_NOW": "2026-11-23T10:00:00+01:00"})
    steps = [["promise", "Send the numbers", "--to", "alice", "--due", "fri"]]
    steps += [["note", "1", f"note {n} " + "x" * 3000] for n in range(6)]
    for args in steps:
        assert runner.invoke(app, args).exit_code == 0
    snapshot(path.parent)  # closes the connections: all is in the file
    return path


def _truncated(db: Path, template: Path) -> None:
    data = template.read_bytes()
    db.write_bytes(data[: len(data) // 2])


def _corrupted(db: Path, template: Path) -> None:
    data = bytearray(template.read_bytes())
    data[3000:4096] = b"\xff" * 1096  # the schema on the first page
    db.write_bytes(bytes(data))


def _bad_header(db: Path, template: Path) -> None:
    data = bytearray(template.read_bytes())
    data[0:16] = b"SQLite format 4\x00"
    db.write_bytes(bytes(data))


BROKEN = {
    "directory": (lambda db, template: db.mkdir(), "is a directory"),
    "text file": (lambda db, template: db.write_text("my promises\n"), "not an SQLite database"),
    "empty file": (lambda db, template: db.write_bytes(b""), "is an empty file"),
    "truncated": (_truncated, "damaged"),
    "corrupted": (_corrupted, "damaged"),
    "bad header": (_bad_header, "not an SQLite database"),
    "fifo": (lambda db, template: __import__("os").mkfifo(db), "not a regular file"),
}


@pytest.mark.parametrize("command", READS + WRITES, ids=lambda c: c[0])
@pytest.mark.parametrize("case", list(BROKEN))
def test_a_ledger_that_is_not_one_is_refused_untouched(
    case: str, command: list[str], pk: Pk, template: Path, place: Path, import_file: Path
) -> None:
    maker, message = BROKEN[case]
    db = place / "ledger.db"
    maker(db, template)
    before = snapshot(place)
    one_line_error(pk(*args_for(command, import_file)), message)
    assert snapshot(place) == before


def test_a_stale_log_next_to_a_file_that_is_not_a_ledger_is_left_alone(pk: Pk, place: Path) -> None:
    """SQLite itself would delete a -wal next to a non-database; pk never lets it look."""
    (place / "ledger.db").write_text("my promises\n")
    (place / "ledger.db-wal").write_bytes(b"maybe the last of the ledger")
    before = snapshot(place)
    one_line_error(pk("today"), "not an SQLite database")
    assert snapshot(place) == before


@pytest.mark.parametrize("command", READS + WRITES, ids=lambda c: c[0])
def test_a_ledger_in_a_missing_directory(
    command: list[str], pk: Pk, tmp_path: Path, import_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "gone" / "ledger.db"
    monkeypatch.setenv("PK_DB", str(db))
    one_line_error(pk(*args_for(command, import_file)), "does not exist", str(db.parent))
    assert not db.parent.exists()


@pytest.fixture
def filled(ok: Pk, place: Path) -> Path:
    ok("promise", "Send the numbers", "--to", "alice", "--due", "fri")
    ok("promise", "Review the RFC", "--to", "bob", "--due", "mon")
    return place / "ledger.db"


@pytest.mark.parametrize("command", WRITES, ids=lambda c: c[0])
def test_a_read_only_ledger_refuses_changes_untouched(
    command: list[str], pk: Pk, filled: Path, place: Path, import_file: Path
) -> None:
    before = snapshot(place)
    with read_only(filled):
        one_line_error(pk(*args_for(command, import_file)), "read-only", "chmod u+w")
        assert snapshot(place) == before


@pytest.mark.parametrize("command", READS, ids=lambda c: c[0])
def test_a_read_only_ledger_can_still_be_read(
    command: list[str], pk: Pk, filled: Path, place: Path
) -> None:
    before = snapshot(place)
    with read_only(filled):
        result = pk(*command)
        assert result.exit_code in (0, 3), result.stderr  # remind --fail-if-due is not given
        assert result.stderr == ""
        assert snapshot(place) == before  # not even a -wal or -shm


@pytest.mark.parametrize("command", WRITES, ids=lambda c: c[0])
def test_a_read_only_directory_refuses_changes_untouched(
    command: list[str], pk: Pk, filled: Path, place: Path, import_file: Path
) -> None:
    before = snapshot(place)
    with read_only(place):
        one_line_error(pk(*args_for(command, import_file)), "directory", "read-only")
    assert snapshot(place) == before


@pytest.mark.parametrize("command", READS, ids=lambda c: c[0])
def test_a_read_only_directory_can_still_be_read(
    command: list[str], pk: Pk, ok: Pk, filled: Path, place: Path
) -> None:
    before = snapshot(place)
    with read_only(place):
        result = pk(*command)
        assert result.exit_code == 0, result.stderr
    assert snapshot(place) == before


def test_a_new_ledger_in_a_read_only_directory(pk: Pk, place: Path) -> None:
    with read_only(place):
        one_line_error(pk("promise", "x", "--to", "a", "--due", "fri"), "cannot create ledger")
    assert snapshot(place) == {}


# -------------------------------------------------------------------------------------------------
# Hostile text
# -------------------------------------------------------------------------------------------------
HOSTILE = (
    "a[bold]B[/bold] [link=https://evil.example]click[/link] :smile: "
    "\x1b[31mred\x1b[0m \x1b[2J\x1b[H\x1b[10A "  # colour, clear screen, cursor moves
    "\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\ "  # OSC 8 hyperlink
    "\x1b]52;c;cm0gLXJmIH4=\x07 "  # OSC 52: write to the clipboard
    "\x9b31m \x07\x08\x7f nul\x00nul "  # C1 CSI, bell, backspace, DEL, NUL
    "\u202eRTL override\u202c \u2067isolate\u2069 \u200f "  # bidi controls
    "zero\u200bwidth\u2060joiner\ufeff \u2028line "  # invisible characters
    "emoji 👩‍👩‍👧 🙂 שלום مرحبا"  # emoji (with ZWJ), right-to-left scripts
)
NAME = "Mallory\x1b[31m [bold]\u202e\u200b 🙂"
TAG = "t\x1b]52;c;eA==\x07[b]\u202e"
# What must never reach a terminal: C0 controls but newline, DEL, C1, bidi controls, and the
# invisible characters telling.text.safe shows as escapes.
FORBIDDEN = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u2028\u2029\u202a-\u202e"
    "\u2060\u2066-\u2069\ufeff]"
)


def terminal(*args: str, input: str | None = None) -> Any:
    """Run pk as on a terminal that shows everything: nothing stripped on the way (color=True)."""
    result = CliRunner().invoke(app, list(args), input=input, color=True)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result


def assert_neutralised(result: Any) -> None:
    assert "Traceback" not in result.output
    for stream in (result.stdout, result.stderr):
        found = FORBIDDEN.findall(stream)
        assert not found, (sorted({hex(ord(c)) for c in found}), stream[:500])


@pytest.fixture
def hostile(ok: Pk, place: Path) -> int:
    result = ok(
        "promise", HOSTILE, "--to", NAME, "--to", "alice", "--due", "fri",
        "--note", HOSTILE, "--tag", TAG, "--json",
    )  # fmt: skip
    ok("person", NAME, "--email", "m\x1b[31m@example.com", "--note", HOSTILE)
    return int(result.json["id"])


def test_hostile_text_is_stored_and_returned_verbatim(ok: Pk, hostile: int, place: Path) -> None:
    shown = ok("show", str(hostile), "--json").json
    assert shown["what"] == HOSTILE.strip()
    assert shown["note"] == HOSTILE.strip()
    assert shown["to"] == [NAME, "alice"]
    assert shown["tags"] == [TAG]
    assert shown["history"][0]["details"]["what"] == HOSTILE.strip()
    assert ok("list", "--json").json[0]["what"] == HOSTILE.strip()
    assert ok("export").json["promises"][0]["what"] == HOSTILE.strip()
    assert sorted(p["name"] for p in ok("people", "--json").json) == sorted([NAME, "alice"])
    conn = sqlite3.connect(place / "ledger.db")
    assert conn.execute("SELECT what, note FROM promises").fetchone() == (HOSTILE, HOSTILE)
    conn.close()
    assert_sound(place / "ledger.db")


def test_hostile_terms_and_checkpoints_are_stored_verbatim(
    ok: Pk, hostile: int, place: Path
) -> None:
    ident = str(hostile)
    ok("edit", ident, "--includes", HOSTILE, "--excludes", HOSTILE, "--source", HOSTILE)
    ok("checkpoint", ident, HOSTILE, "--by", "thu")
    shown = ok("show", ident, "--json").json
    assert shown["includes"] == shown["excludes"] == [HOSTILE.strip()]
    assert shown["source"] == HOSTILE.strip()
    assert shown["checkpoints"][0]["what"] == HOSTILE.strip()
    assert ok("export").json["promises"][0]["includes"] == [HOSTILE.strip()]
    assert_sound(place / "ledger.db")


def test_hostile_text_never_reaches_the_terminal(ok: Pk, hostile: int) -> None:
    ident = str(hostile)
    for args in (
        ["today"],
        ["status"],
        ["list", "--status", "all"],
        ["list", "--to", NAME],
        ["list", "--tag", TAG],
        ["show", ident],
        ["people"],
        ["person", NAME],
        ["remind"],
        ["doctor"],
        ["note", ident, HOSTILE],
        ["move", ident, "mon", "--reason", HOSTILE],
        ["edit", ident, "--what", HOSTILE + "!"],
        ["edit", ident, "--includes", HOSTILE, "--excludes", HOSTILE, "--source", HOSTILE],
        ["checkpoint", ident, HOSTILE, "--by", "thu"],
        ["show", ident],
        ["keep", ident, "--checkpoint", "1", "--note", HOSTILE],
        ["keep", ident, "--note", HOSTILE],
        ["show", ident],
        ["report", "--format", "markdown"],
        ["reopen", ident],
        ["break", ident, "--reason", HOSTILE],
        ["show", ident],
        ["promise", HOSTILE, "--to", NAME, "--due", "in 2 hours"],
        ["today"],
        ["undo"],
        ["promise", HOSTILE, "--to", NAME, "--every", "daily 9am", "--note", HOSTILE],
        ["list", "--series"],
        ["today"],
    ):
        result = terminal(*args)
        assert result.exit_code == 0, (args, result.output)
        assert_neutralised(result)
    occurrence = str(max(p["id"] for p in ok("list", "--json").json))
    for args in (["show", occurrence], ["stop", occurrence], ["list", "--series"]):
        result = terminal(*args)
        assert result.exit_code == 0, (args, result.output)
        assert_neutralised(result)
    shown = terminal("show", ident).stdout
    assert "[bold]" in shown and "[link=" in shown  # markup shown as typed, not interpreted
    assert "\\x1b[31m" in shown and "\\u202e" in shown and "👩‍👩‍👧" in shown


@pytest.mark.parametrize(
    "args",
    [
        ["show", HOSTILE],
        ["promise", "x", "--to", "a", "--due", HOSTILE],
        ["list", "--status", HOSTILE],
        ["list", "--due-before", HOSTILE],
        ["keep", "1", "--at", HOSTILE],
        ["move", "1", HOSTILE],
        ["promise", "x", "--to", "a", "--every", HOSTILE],
        ["promise", "x", "--to", "a", "--every", "monday", "--until", HOSTILE],
        ["stop", HOSTILE],
        [HOSTILE],
        ["list", "--" + HOSTILE],
        ["export", "--format", HOSTILE],
        ["import", HOSTILE],
        ["backup", "/nonexistent/" + HOSTILE],
        ["restore", HOSTILE, "--yes"],
        ["--db", "/nonexistent/" + HOSTILE, "today"],
        ["--db", "/nonexistent/" + HOSTILE, "config"],
        ["sync", "init", HOSTILE],
        ["sync", "init", "/nonexistent/" + HOSTILE],
    ],
    ids=lambda a: a[0].split("\x1b")[0][:12] or "arg",
)
def test_hostile_text_in_errors_is_neutralised_too(args: list[str], ok: Pk) -> None:
    ok("promise", "x", "--to", "a", "--due", "fri")
    result = terminal(*args)
    assert result.exit_code in (0, 1, 2), result.output
    assert_neutralised(result)


def test_a_megabyte_of_text(ok: Pk, pk: Pk, place: Path) -> None:
    """The limit is a million characters: a pasted e-mail fits, one more is refused."""
    big = ("Lorem ipsum \x1b[31m dolor 🙂 " * 50_000)[:999_999] + "!"
    assert len(big) == 1_000_000
    ident = ok("promise", big, "--to", "alice", "--due", "fri", "--json").json["id"]
    assert ok("show", str(ident), "--json").json["what"] == big
    assert_neutralised(terminal("today"))
    one_line_error(pk("note", str(ident), big + "x"), "too long")
    one_line_error(pk("promise", big + "x", "--to", "a", "--due", "fri"), "too long")
    assert len(ok("export").json["promises"]) == 1
    assert_sound(place / "ledger.db")


@pytest.mark.slow
def test_a_megabyte_of_text_in_tables(ok: Pk) -> None:
    big = ("Lorem ipsum \x1b[31m dolor 🙂 " * 50_000)[:1_000_000]
    ok("promise", big, "--to", "alice", "--due", "fri")
    ok("note", "1", big)
    for args in (["list"], ["show", "1"], ["status"]):
        assert_neutralised(terminal(*args))


# -------------------------------------------------------------------------------------------------
# Malformed dates, ids and files
# -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["promise", "x", "--to", "a", "--due", "32/13/2026"], "cannot understand date"),
        (["promise", "x", "--to", "a", "--due", "2026-02-30"], ""),
        (["promise", "x", "--to", "a", "--due", "0001-01-01", "--force"], "out of range"),
        (["promise", "x", "--to", "a", "--due", "9999-12-31"], "out of range"),
        (["promise", "x", "--to", "a", "--due", "in 99999999999999999999 days"], ""),
        (["promise", "x", "--to", "a", "--due", "9" * 5000], ""),
        (["promise", "x", "--to", "a", "--due", "yesterday"], "in the past"),
        (["promise", "x", "--to", "a", "--due", ""], "Missing option '--due'"),
        (["promise", "", "--to", "a", "--due", "fri"], "Missing argument 'WHAT'"),
        (["promise", "x", "--to", " , ", "--due", "fri"], "needs a person"),
        (["promise", "x", "--to", "a" * 201, "--due", "fri"], "at most 200"),
        (["promise", "x", "--to", "a", "--due", "fri", "--tag", "two words"], "spaces"),
        (["expect", "x", "--from", "a", "--by", "32/13/2026"], "cannot understand date"),
        (["expect", "x", "--from", "a", "--by", "9999-12-31"], "out of range"),
        (["expect", "x", "--from", "a", "--by", "yesterday"], "in the past"),
        (["expect", "x", "--from", "a", "--by", ""], "Missing option '--by'"),
        (["expect", "", "--from", "a", "--by", "fri"], "Missing argument 'WHAT'"),
        (["expect", "x", "--by", "fri"], "Missing option '--from'"),
        (["expect", "x", "--from", " , ", "--by", "fri"], "needs a person"),
        (["expect", "x", "--from", "a" * 201, "--by", "fri"], "at most 200"),
        (["expect", "x", "--from", "a", "--by", "fri", "--tag", "two words"], "spaces"),
        (["nudge", "1"], "use pk notify 1"),
        (["nudge", "999"], "no promise with id 999"),
        (["nudge", "1", "--via", "pigeon"], "use pk notify 1"),
        (["keep", "1", "--at", "tomorrow"], "future"),
        (["checkpoint", "1", "x", "--by", "the heat death"], "cannot understand date"),
        (["checkpoint", "1", "x", "--by", "yesterday"], "not in the future"),
        (["checkpoint", "1", "x" * 1_000_001, "--by", "thu"], "too long"),
        (["keep", "1", "--checkpoint", "9223372036854775807"], "has no checkpoint"),
        (["keep", "1", "--checkpoint", "-1"], "has no checkpoint"),
        (["promise", "x", "--to", "a", "--due", "fri", "--includes", ""], "cannot be empty"),
        (["edit", "1", "--drop-excludes", "\x1b[31m"], "does not list"),
        (["move", "1", "last year"], ""),
        (["list", "--due-before", "the heat death"], "cannot understand date"),
        (["show", "999"], "no promise with id 999"),
        (["keep", "9223372036854775807"], "no promise with id"),
    ],
)
def test_malformed_input_is_refused_untouched(
    args: list[str], message: str, pk: Pk, filled: Path, place: Path
) -> None:
    before = snapshot(place)
    one_line_error(pk(*args), message, code=2 if message.startswith("Missing") else 1)
    assert snapshot(place) == before


@pytest.mark.parametrize(
    "ident",
    [
        "0", "-1", "-9223372036854775809", "9223372036854775808", "1e3", "0x10", "one", "",
        # where the start of a uuid belongs (tests/test_ids.py): too short, not hex, hostile
        "abc", "#3f9a", "3f9a-\x1b[31m", "u:\u202e3f9a", "u:", "u:\x00", "\u200b3f9a1c2d",
        "3f9a" * 9,
    ],
)  # fmt: skip
def test_ids_that_cannot_be_ids_are_usage_errors(ident: str, pk: Pk, filled: Path) -> None:
    before = snapshot(filled.parent)
    for command in ("show", "keep", "delete", "notify", "nudge"):
        result = pk(command, "--", ident)
        one_line_error(result, code=2)
        assert result.stderr == f"pk: {ident!r} is not a promise id\n"
        assert not FORBIDDEN.search(result.stderr), result.stderr
    assert snapshot(filled.parent) == before


def test_a_hostile_uuid_never_reaches_the_terminal(ok: Pk, tmp_path: Path) -> None:
    """An imported uuid is user text: pk show names the promise by it (u:UUID, rules.ids), and
    an id typed after u: comes back in the error as typed, neutralised, never interpreted."""
    hostile = "t\x1b]52;c;eA==\x07[bold]\u202e"
    record = {"what": "x", "to": "alice", "due": "2026-12-04T17:00:00+01:00", "uuid": hostile}
    source = tmp_path / "hostile-uuid.json"
    source.write_text(json.dumps([record]), encoding="utf-8")
    ok("import", str(source))
    shown = terminal("show", "1")
    assert shown.exit_code == 0, shown.output
    assert_neutralised(shown)
    assert "u:t\\x1b]52;c;eA==\\x07[bold]\\u202e on every machine" in shown.stdout
    missing = terminal("show", "u:[bold]x[/bold]")
    assert missing.exit_code == 1 and missing.stderr == "pk: no promise with id u:[bold]x[/bold]\n"


@pytest.mark.parametrize(
    "args",
    [
        ["export", "--output", "a\x00b"],
        ["backup", "a\x00b"],
        ["restore", "a\x00b", "--yes"],
        ["import", "a\x00b"],
        ["report", "--output", "a\x00b"],
    ],
    ids=lambda a: a[0],
)
def test_a_nul_in_a_file_name_is_a_clear_error(args: list[str], pk: Pk, filled: Path) -> None:
    """A shell cannot pass NUL; a script calling pk in-process can: still one clear line."""
    before = snapshot(filled.parent)
    one_line_error(pk(*args), "NUL")
    assert snapshot(filled.parent) == before


def test_the_last_supported_year_works(ok: Pk) -> None:
    ident = ok("promise", "x", "--to", "a", "--due", "9998-12-31", "--json").json["id"]
    assert ok("show", str(ident), "--json").json["due"].startswith("9998-12-31")
    assert "9998" in ok("list").stdout


DUE = "2026-12-01T16:00:00+00:00"
BAD_IMPORTS = {
    "invalid JSON": ("[{", "not valid JSON"),
    "binary": ("\x00\x01\x02", "not valid JSON"),
    "a number": ("42", "must be a list"),
    "wrong type for what": (json.dumps([{"what": 42, "to": "a", "due": DUE}]), "record 0"),
    "wrong type for to": (json.dumps([{"what": "x", "to": {"a": 1}, "due": DUE}]), "record 0"),
    "bad date": (json.dumps([{"what": "x", "to": "a", "due": "tomorrow-ish"}]), "record 0"),
    "year 0001": (json.dumps([{"what": "x", "to": "a", "due": "0001-01-01T00:00:00Z"}]), "range"),
    "second record bad": (
        json.dumps([{"what": "x", "to": "a", "due": DUE}, {"what": "y", "to": "a"}]),
        "record 1",
    ),
    "deep nesting": ("[" * 100_000 + "]" * 100_000, "not valid JSON"),
}


@pytest.mark.parametrize("case", list(BAD_IMPORTS))
def test_bad_imports_change_nothing(
    case: str, pk: Pk, filled: Path, place: Path, tmp_path: Path
) -> None:
    text, message = BAD_IMPORTS[case]
    source = tmp_path / "import.json"
    source.write_text(text, encoding="utf-8")
    before = snapshot(place)
    one_line_error(pk("import", str(source)), message)
    assert snapshot(place) == before


def test_duplicate_uuids_are_imported_once(ok: Pk, filled: Path, tmp_path: Path) -> None:
    record = {"uuid": "same", "what": "x", "to": "a", "due": DUE}
    source = tmp_path / "dups.json"
    source.write_text(json.dumps([record, {**record, "what": "y"}]))
    assert (
        "Imported 1 promise (1 already in the ledger, skipped)" in ok("import", str(source)).stdout
    )
    assert "Imported 0 promises (2 already" in ok("import", str(source)).stdout
    assert_sound(filled)


def test_hostile_text_in_an_import_is_stored_verbatim(ok: Pk, filled: Path, tmp_path: Path) -> None:
    source = tmp_path / "hostile.json"
    source.write_text(json.dumps([{"what": HOSTILE, "to": [NAME], "due": DUE, "note": HOSTILE}]))
    ok("import", str(source))
    found = [p for p in ok("list", "--json").json if p["what"] == HOSTILE.strip()]
    assert len(found) == 1 and found[0]["to"] == [NAME] and found[0]["note"] == HOSTILE.strip()
    assert_neutralised(terminal("list"))
    assert_sound(filled)


@pytest.mark.slow
def test_an_import_of_100000_records(ok: Pk, tmp_path: Path, place: Path) -> None:
    records = [
        {"uuid": f"u-{i}", "what": f"Promise {i}", "to": f"person{i % 50}", "due": DUE}
        for i in range(100_000)
    ]
    source = tmp_path / "big.json"
    source.write_text(json.dumps(records))
    assert ok("import", str(source)).stdout == "Imported 100000 promises\n"
    assert ok("today", "--json").json["overdue"] == []
    conn = sqlite3.connect(place / "ledger.db")
    assert conn.execute("SELECT count(*), count(DISTINCT uuid) FROM promises").fetchone() == (
        100_000,
        100_000,
    )
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()


# -------------------------------------------------------------------------------------------------
# SQL metacharacters
# -------------------------------------------------------------------------------------------------
SQLISH = [
    "'); DROP TABLE promises; --",
    "Robert'); DROP TABLE people;--",
    "x' OR '1'='1",
    '" OR ""="',
    "%",
    "_",
    "\\",
    "`; ATTACH DATABASE '/tmp/pwn.db' AS pwn; --",
    "json_each(p.tags)",
    "?1 ?2 :name @x $y",
]


@pytest.mark.parametrize("text", SQLISH)
def test_sql_metacharacters_are_just_text(text: str, ok: Pk, pk: Pk, filled: Path) -> None:
    tag = text.replace(" ", "")
    ident = ok(
        "promise", text, "--to", text, "--due", "fri", "--note", text, "--tag", tag, "--json"
    ).json["id"]
    shown = ok("show", str(ident), "--json").json
    assert (shown["what"], shown["to"], shown["note"], shown["tags"]) == (text, [text], text, [tag])
    assert [p["id"] for p in ok("list", "--to", text, "--json").json] == [ident]
    assert [p["id"] for p in ok("list", "--tag", tag, "--json").json] == [ident]
    assert len(ok("list", "--json").json) == 3  # the other two are still there
    ok("edit", str(ident), "--what", text + text)
    ok("person", text, "--email", text)
    assert pk("list", "--status", text).exit_code == 2
    assert_sound(filled)
    assert not Path("/tmp/pwn.db").exists()


SQL_WORDS = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|PRAGMA|WHERE|CREATE|ALTER|DROP)\b|= \?")


def _interpolations(node: ast.JoinedStr) -> list[str]:
    return [ast.unparse(v.value) for v in node.values if isinstance(v, ast.FormattedValue)]


def _is_code_text(node: ast.AST, safe: set[str]) -> bool:
    """Whether an expression can only produce text written in the code: constants, names of
    such text, f-strings and conditionals of them, and `", ".join("?" for ...)` placeholders."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str | int)
    if isinstance(node, ast.Name):
        return node.id in safe or node.id.isupper()
    if isinstance(node, ast.JoinedStr):
        return all(
            _is_code_text(v.value, safe) for v in node.values if isinstance(v, ast.FormattedValue)
        )
    if isinstance(node, ast.IfExp):
        return _is_code_text(node.body, safe) and _is_code_text(node.orelse, safe)
    if isinstance(node, ast.BoolOp | ast.BinOp):
        parts = node.values if isinstance(node, ast.BoolOp) else [node.left, node.right]
        return all(_is_code_text(part, safe) for part in parts)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "join"
        and isinstance(node.func.value, ast.Constant)
        and len(node.args) == 1
        and isinstance(node.args[0], ast.GeneratorExp | ast.ListComp)
    ):
        return _is_code_text(node.args[0].elt, safe)
    return False


def _code_text_names(function: ast.AST) -> set[str]:
    """Names in a function that only ever hold text written in the code (a fixed point)."""
    assigned: dict[str, list[ast.AST]] = {}
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            if isinstance(node.targets[0], ast.Name):
                assigned.setdefault(node.targets[0].id, []).append(node.value)
    safe: set[str] = set()
    while True:
        grown = {
            name
            for name, values in assigned.items()
            if all(_is_code_text(value, safe) for value in values)
        }
        if grown == safe:
            return safe
        safe = grown


def test_sql_is_only_built_from_the_code_never_from_input() -> None:
    """Statements run only in the store (the import contract in pyproject.toml keeps sqlite3
    there too); the only values spliced into SQL text are text written in the code (constants,
    ? placeholders), integers, and the WHERE/ORDER clauses the store's own query functions
    write; values always go as parameters."""
    allowed = {"BUSY_TIMEOUT_MS", "number", "int(limit)", "_PROMISE_COLUMNS", "where", "order"}
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        scope_of: dict[ast.AST, set[str]] = {}
        for function in ast.walk(tree):
            if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                names = _code_text_names(function)
                for inner in ast.walk(function):
                    scope_of[inner] = names
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in (
                "execute",
                "executemany",
                "executescript",
            ):
                assert "store" in path.parts, f"{path.name}:{node.lineno} runs SQL"
            if isinstance(node, ast.JoinedStr):
                text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
                if not SQL_WORDS.search(text):
                    continue
                for value in node.values:
                    if not isinstance(value, ast.FormattedValue):
                        continue
                    expr = ast.unparse(value.value)
                    ok = (
                        expr in allowed
                        or _is_code_text(value.value, scope_of.get(node, set()))
                        or re.fullmatch(r"int\(\w+\)", expr)
                    )
                    assert ok, f"{path.name}:{node.lineno} splices {expr!r} into SQL"


def test_where_clauses_never_leave_the_store() -> None:
    """Only the store builds WHERE clauses: every other layer calls a named query."""
    for path in sorted(SRC.rglob("*.py")):
        if "store" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        assert "select_promises" not in text and "count_promises" not in text, path.name


# -------------------------------------------------------------------------------------------------
# Privacy
# -------------------------------------------------------------------------------------------------
def test_files_pk_writes_are_user_only(ok: Pk, filled: Path, tmp_path: Path) -> None:
    import stat

    ok("backup")
    ok("export", "--output", str(tmp_path / "export.json"))
    ok("restore", str(next(filled.parent.glob("ledger.db.backup-*"))), "--yes")
    for path in [*filled.parent.iterdir(), tmp_path / "export.json"]:
        if path.is_file():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_nothing_is_sent_anywhere(
    ok: Pk, filled: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No command but a notification the user asks for talks to the network or runs a program."""
    import socket
    import subprocess

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"pk tried to reach out: {args!r}")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(subprocess, "Popen", refuse)
    monkeypatch.setattr(subprocess, "run", refuse)
    export = tmp_path / "e.json"
    for args in (
        ["promise", "x", "--to", "a", "--due", "fri"],
        ["expect", "y", "--from", "b", "--by", "fri"], ["nudge", "4", "--dry-run"],
        ["today"], ["status"], ["list"], ["show", "1"], ["keep", "1"], ["move", "2", "tue"],
        ["note", "2", "n"], ["edit", "2", "--what", "y"], ["people"], ["person", "a"],
        ["checkpoint", "2", "c", "--by", "tue 9:00"], ["keep", "2", "--checkpoint", "1"],
        ["remind"], ["export", "--output", str(export)], ["import", str(export)],
        ["doctor"], ["backup"], ["undo"], ["config"],
    ):  # fmt: skip
        ok(*args)
