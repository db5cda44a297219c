"""Every command against ledger paths that are missing, empty, or not a ledger at all.

Reading a missing ledger shows an empty one and creates nothing; anything that is not a usable
ledger is refused with one line on stderr, and the file (or directory) is left exactly as it was,
with nothing created next to it.
"""

from __future__ import annotations

import gc
import json
import random
import sqlite3
import stat
from pathlib import Path
from typing import Any

import pytest
from conftest import Pk

from promisekeeper.store import connection

# (name, arguments, kind). {import_file} is replaced by a small valid JSON file.
COMMANDS: list[tuple[str, list[str], str]] = [
    ("today", ["today"], "read"),
    ("status", ["status"], "read"),
    ("list", ["list"], "read"),
    ("export", ["export"], "read"),
    ("show", ["show", "1"], "id"),
    ("keep", ["keep", "1"], "id"),
    ("move", ["move", "1", "fri"], "id"),
    ("break", ["break", "1"], "id"),
    ("release", ["release", "1"], "id"),
    ("reopen", ["reopen", "1"], "id"),
    ("note", ["note", "1", "hi"], "id"),
    ("edit", ["edit", "1", "--what", "x"], "id"),
    ("delete", ["delete", "1", "--yes"], "id"),
    ("stop", ["stop", "1"], "id"),
    ("undo", ["undo"], "undo"),
    ("import", ["import", "{import_file}"], "create"),
    ("promise", ["promise", "x", "--to", "a", "--due", "fri"], "create"),
    ("config", ["config"], "info"),
    ("where", ["where"], "info"),
]
# Commands added later, covered where their behaviour does not matter: a path that is not a
# usable ledger must be refused before anything else happens.
EXTRA: dict[str, list[str]] = {
    "notify": ["notify", "1"],
    "expect": ["expect", "x", "--from", "a", "--by", "fri"],
    "nudge": ["nudge", "1"],
    "people": ["people"],
    "person": ["person", "alice"],
    "person --email": ["person", "alice", "--email", "alice@example.com"],
    "remind": ["remind"],
    "stats": ["stats"],
    "trust": ["trust"],
    "report": ["report"],
    "promise --every": ["promise", "x", "--to", "a", "--every", "monday 10am"],
    "list --series": ["list", "--series"],
    "checkpoint": ["checkpoint", "1", "draft", "--by", "fri"],
    "keep --checkpoint": ["keep", "1", "--checkpoint", "1"],
    "edit --includes": ["edit", "1", "--includes", "x", "--source", "y"],
    "sync": ["sync"],
    "sync status": ["sync", "status", "--fetch"],
    "sync init": ["sync", "init", "/nonexistent/remote.git"],
    "remind --sync": ["remind", "--sync"],
}
# Commands that never open the ledger (`pk cron` prints a crontab line naming its path).
NO_LEDGER = {"cron"}
# Commands whose job is broken ledgers (diagnose, copy, replace): tests/test_maintenance.py.
MAINTENANCE = {"doctor", "backup", "restore"}
BY_NAME = {name: (args, kind) for name, args, kind in COMMANDS}
BY_NAME.update({name: (args, "extra") for name, args in EXTRA.items()})
LEDGER_COMMANDS = [name for name, _args, kind in COMMANDS if kind != "info"]
READS = [name for name, _args, kind in COMMANDS if kind == "read"]
IDS = [name for name, _args, kind in COMMANDS if kind == "id"]
CREATES = [name for name, _args, kind in COMMANDS if kind == "create"]
INFO = [name for name, _args, kind in COMMANDS if kind == "info"]
READ_FIRST = ("show", "move", "delete")  # look the promise up with a read before any change

# Read commands again, as scripts see them: the empty ledger in JSON.
EMPTY_JSON: dict[str, tuple[list[str], Any]] = {
    "today": (
        ["today", "--json"],
        {"overdue": [], "due_today": [], "at_risk": [], "kept_today": [], "owed": []},
    ),
    "list": (["list", "--status", "all", "--json"], []),
}


@pytest.fixture
def import_file(tmp_path: Path) -> Path:
    path = tmp_path / "import.json"
    records = [{"what": "Imported", "to": "alice", "due": "2026-12-01T16:00:00+00:00"}]
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


@pytest.fixture
def place(tmp_path: Path) -> Path:
    """The directory the ledger lives in; nothing else (config, import file) is put there."""
    directory = tmp_path / "place"
    directory.mkdir()
    return directory


def command(name: str, import_file: Path) -> list[str]:
    args, _kind = BY_NAME[name]
    return [str(import_file) if a == "{import_file}" else a for a in args]


def snapshot(directory: Path) -> dict[str, Any]:
    """Every file and directory under `directory`, with file contents and modes."""
    gc.collect()  # close the connections of earlier runs, so SQLite's side files are gone
    found: dict[str, Any] = {}
    for path in sorted(directory.rglob("*")):
        key = str(path.relative_to(directory))
        if path.is_dir():
            found[key] = ("dir", stat.S_IMODE(path.stat().st_mode))
        else:
            found[key] = (path.read_bytes(), stat.S_IMODE(path.stat().st_mode))
    return found


def assert_one_line_error(result: Any, *fragments: str) -> None:
    assert result.exit_code == 1, result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("pk: "), result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "internal error" not in result.stderr
    assert result.stdout == ""
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def use(monkeypatch: pytest.MonkeyPatch, db: Path) -> Path:
    monkeypatch.setenv("PK_DB", str(db))
    return db


def assert_shows_empty(ok: Pk) -> None:
    for args, expected in EMPTY_JSON.values():
        assert ok(*args).json == expected
    status = ok("status", "--json").json
    assert status["summary"]["open"] == 0 and status["recently_kept"] == []
    assert ok("export").json["promises"] == []


def assert_empty_read(name: str, result: Any) -> None:
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stderr == ""
    if name == "today":
        assert "No open promises" in result.stdout
    elif name == "status":
        assert "0 open" in result.stdout
    elif name == "list":
        assert "No promises match" in result.stdout
    elif name == "export":
        assert json.loads(result.stdout)["promises"] == []


def assert_prints_path(name: str, pk: Pk, db: Path) -> None:
    result = pk(name)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert f"ledger:  {db}" in result.stdout
    assert json.loads(pk(name, "--json").stdout)["ledger"] == str(db)


# -------------------------------------------------------------------------------------------------
# A missing ledger (its directory exists)
# -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", READS + INFO)
def test_missing_ledger_reads_as_empty_and_is_not_created(
    name: str, pk: Pk, place: Path, import_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = use(monkeypatch, place / "ledger.db")
    result = pk(*command(name, import_file))
    if name in INFO:
        assert_prints_path(name, pk, db)
        assert "not created yet" in result.stdout
    else:
        assert_empty_read(name, result)
    assert snapshot(place) == {}


def test_missing_ledger_json_views_are_empty(
    ok: Pk, place: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use(monkeypatch, place / "ledger.db")
    assert_shows_empty(ok)
    assert snapshot(place) == {}


@pytest.mark.parametrize("name", IDS)
def test_missing_ledger_has_no_promise_1(
    name: str, pk: Pk, place: Path, import_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use(monkeypatch, place / "ledger.db")
    assert_one_line_error(pk(*command(name, import_file)), "no promise with id 1")


def test_missing_ledger_has_nothing_to_undo(
    pk: Pk, place: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use(monkeypatch, place / "ledger.db")
    assert_one_line_error(pk("undo"), "nothing to undo")


@pytest.mark.parametrize("name", [*IDS, "undo"])
def test_failing_command_on_missing_ledger_creates_nothing(
    name: str, pk: Pk, place: Path, import_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use(monkeypatch, place / "ledger.db")
    assert pk(*command(name, import_file)).exit_code == 1
    assert snapshot(place) == {}


@pytest.mark.parametrize("name", CREATES)
def test_missing_ledger_is_created_user_only_by_a_change(
    name: str, ok: Pk, place: Path, import_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = use(monkeypatch, place / "ledger.db")
    ok(*command(name, import_file))
    assert db.is_file()
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert len(ok("list", "--json").json) == 1


# -------------------------------------------------------------------------------------------------
# An empty ledger: a promise taken back, or a freshly initialised file
# -------------------------------------------------------------------------------------------------
def _emptied_by_undo(ok: Pk, db: Path) -> None:
    ok("promise", "gone", "--to", "a", "--due", "fri")
    ok("undo")


def _fresh(ok: Pk, db: Path) -> None:
    conn = connection.connect(db, write=True)
    assert conn is not None
    conn.close()


EMPTY_MAKERS = {"undone": _emptied_by_undo, "fresh": _fresh}


@pytest.mark.parametrize("how", list(EMPTY_MAKERS))
@pytest.mark.parametrize("name", [*READS, *IDS, "undo", *INFO])
def test_empty_ledger_behaves_like_a_missing_one(
    how: str,
    name: str,
    ok: Pk,
    pk: Pk,
    place: Path,
    import_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db = use(monkeypatch, place / "ledger.db")
    EMPTY_MAKERS[how](ok, db)
    assert db.is_file()
    result = pk(*command(name, import_file))
    if name in READS:
        assert_empty_read(name, result)
    elif name in INFO:
        assert_prints_path(name, pk, db)
    elif name == "undo":
        assert_one_line_error(result, "nothing to undo")
    else:
        assert_one_line_error(result, "no promise with id 1")
    assert_shows_empty(ok)


@pytest.mark.parametrize("how", list(EMPTY_MAKERS))
@pytest.mark.parametrize("name", CREATES)
def test_empty_ledger_accepts_changes(
    how: str,
    name: str,
    ok: Pk,
    place: Path,
    import_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db = use(monkeypatch, place / "ledger.db")
    EMPTY_MAKERS[how](ok, db)
    ok(*command(name, import_file))
    assert len(ok("list", "--json").json) == 1


# -------------------------------------------------------------------------------------------------
# Paths that are not a ledger at all
# -------------------------------------------------------------------------------------------------
def _text_file(place: Path) -> Path:
    path = place / "ledger.db"
    path.write_text("hello\n")
    return path


def _empty_file(place: Path) -> Path:
    # SQLite would take a 0-byte file for an empty database; pk refuses it: a ledger that
    # lost its contents must not silently start again from nothing (issue 5).
    path = place / "ledger.db"
    path.write_bytes(b"")
    return path


def _random_bytes(place: Path) -> Path:
    path = place / "ledger.db"
    path.write_bytes(random.Random(20261123).randbytes(1000))
    return path


def _directory(place: Path) -> Path:
    path = place / "ledger.db"
    path.mkdir()
    return path


def _missing_directory(place: Path) -> Path:
    return place / "nope" / "ledger.db"


def _other_sqlite(place: Path) -> Path:
    path = place / "ledger.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE foo (bar TEXT)")
    conn.execute("INSERT INTO foo VALUES ('their data')")
    conn.commit()
    conn.close()
    return path


BROKEN = {
    "text file": (_text_file, "not a PromiseKeeper ledger"),
    "empty file": (_empty_file, "is an empty file"),
    "random bytes": (_random_bytes, "not a PromiseKeeper ledger"),
    "directory": (_directory, "is a directory"),
    "missing directory": (_missing_directory, "does not exist"),
    "another application's SQLite database": (_other_sqlite, "not a PromiseKeeper ledger"),
}


def _broken_params() -> list[Any]:
    params = []
    for case in BROKEN:
        for name in [*LEDGER_COMMANDS, *EXTRA]:
            params.append(pytest.param(case, name, id=f"{case}-{name}"))
    return params


@pytest.mark.parametrize(("case", "name"), _broken_params())
def test_command_on_a_path_that_is_not_a_ledger(
    case: str,
    name: str,
    pk: Pk,
    place: Path,
    import_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    maker, message = BROKEN[case]
    db = use(monkeypatch, maker(place))
    before = snapshot(place)
    result = pk(*command(name, import_file))
    assert_one_line_error(result, message, str(db))
    assert snapshot(place) == before
    assert not (place / "nope").exists()


@pytest.mark.parametrize("case", list(BROKEN))
@pytest.mark.parametrize("name", INFO)
def test_config_and_where_still_print_the_path(
    case: str, name: str, pk: Pk, place: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    maker, _message = BROKEN[case]
    db = use(monkeypatch, maker(place))
    before = snapshot(place)
    assert_prints_path(name, pk, db)
    assert snapshot(place) == before


@pytest.mark.parametrize("case", list(BROKEN))
def test_db_option_on_a_path_that_is_not_a_ledger(
    case: str, pk: Pk, place: Path, tmp_path: Path
) -> None:
    """--db is as careful as PK_DB (and wins over it: PK_DB here is a good, missing ledger)."""
    maker, message = BROKEN[case]
    db = maker(place)
    before = snapshot(place)
    result = pk("--db", str(db), "promise", "x", "--to", "a", "--due", "fri")
    assert_one_line_error(result, message)
    assert snapshot(place) == before
    assert not (tmp_path / "ledger.db").exists()


# -------------------------------------------------------------------------------------------------
# A ledger from a newer PromiseKeeper
# -------------------------------------------------------------------------------------------------
@pytest.fixture
def newer_ledger(ok: Pk, place: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = use(monkeypatch, place / "ledger.db")
    ok("promise", "From the future", "--to", "a", "--due", "fri")
    gc.collect()
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version = 999")
    conn.commit()
    conn.close()
    return db


@pytest.mark.parametrize("name", [*LEDGER_COMMANDS, *EXTRA])
def test_newer_ledger_is_refused(
    name: str, pk: Pk, newer_ledger: Path, place: Path, import_file: Path
) -> None:
    before = snapshot(place)
    assert before  # the ledger really is there
    result = pk(*command(name, import_file))
    assert_one_line_error(result, "newer", str(newer_ledger))
    assert snapshot(place) == before


@pytest.mark.parametrize("name", INFO)
def test_newer_ledger_config_and_where(name: str, pk: Pk, newer_ledger: Path, place: Path) -> None:
    before = snapshot(place)
    assert_prints_path(name, pk, newer_ledger)
    assert snapshot(place) == before


def test_every_command_is_covered() -> None:
    """A new command must be added to COMMANDS, EXTRA, NO_LEDGER or MAINTENANCE above."""
    from promisekeeper.face.cli import app

    registered = {c.name or c.callback.__name__ for c in app.registered_commands}
    registered |= {group.name for group in app.registered_groups}  # pk sync
    covered = {args[0] for _name, args, _kind in COMMANDS} | {a[0] for a in EXTRA.values()}
    assert registered == covered | NO_LEDGER | MAINTENANCE
