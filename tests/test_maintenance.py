"""pk doctor, pk backup and pk restore: finding problems with their fix, copying the ledger while
it is in use, and putting a copy back without losing the ledger it replaces."""

from __future__ import annotations

import gc
import json
import os
import sqlite3
import stat
import time
from pathlib import Path

import pytest
from conftest import Pk
from ledger_checks import assert_sound, read_only, snapshot

from promisekeeper.face.commands import common
from promisekeeper.store import files, queries, schema


@pytest.fixture
def place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory holding only the ledger (and what pk puts next to it)."""
    directory = tmp_path / "place"
    directory.mkdir(mode=0o700)
    monkeypatch.setenv("PK_DB", str(directory / "ledger.db"))
    return directory


@pytest.fixture
def ledger(ok: Pk, place: Path) -> Path:
    ok("promise", "Send the numbers", "--to", "alice", "--due", "fri")
    ok("promise", "Review the RFC", "--to", "bob", "--due", "mon")
    ok("keep", "1")
    return place / "ledger.db"


def promises(ok: Pk) -> list[dict]:
    return ok("export").json["promises"]


def one_line_error(result, *fragments: str) -> str:
    assert result.exit_code == 1, result.stdout + result.stderr
    assert result.stderr.startswith("pk: ") and result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "internal error" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)
    return result.stderr


# -------------------------------------------------------------------------------------------------
# pk doctor
# -------------------------------------------------------------------------------------------------
def test_doctor_on_a_healthy_ledger(ok: Pk, ledger: Path, place: Path) -> None:
    before = snapshot(place)
    out = ok("doctor").stdout
    assert "Schema     version" in out and "(current)" in out
    assert "Integrity  ok" in out
    assert "Contents   2 promises, 3 events, 2 people, 3 changes" in out
    assert "Journal    wal" in out
    assert "none next to the ledger; make one with `pk backup`" in out
    assert out.rstrip().endswith("No problems found.")
    report = ok("doctor", "--json").json
    assert report["ok"] is True and report["findings"] == []
    assert report["integrity"] == ["ok"]
    assert report["schema_version"] == report["current_schema_version"] == schema.SCHEMA_VERSION
    assert report["counts"] == {"promises": 2, "deleted": 0, "events": 3, "people": 2, "changes": 3}
    assert report["mode"] == "0600"
    assert snapshot(place) == before  # the doctor changes nothing


def test_doctor_backup_and_restore_count_the_same_things(
    ok: Pk, ledger: Path, tmp_path: Path
) -> None:
    """One count, in the same words: promises not deleted, then the deleted ones the ledger
    keeps too; people as `pk people` lists them."""
    ok("promise", "Made by mistake", "--to", "mallory", "--due", "fri")
    ok("delete", "3", "--yes")
    assert len(ok("list", "--status", "all", "--json").json) == 2
    assert len(ok("people", "--json").json) == 2  # mallory's only promise was deleted

    doctor = ok("doctor").stdout
    assert "Contents   2 promises and 1 deleted one, 5 events, 2 people, 5 changes" in doctor
    counts = ok("doctor", "--json").json["counts"]
    assert counts == {"promises": 2, "deleted": 1, "events": 5, "people": 2, "changes": 5}
    target = tmp_path / "copy.db"
    backed = ok("backup", str(target)).stdout
    assert backed == f"Backed up 2 promises and 1 deleted one (5 events) to {target}\n"
    restored = ok("restore", str(target), "--yes").stdout
    assert restored.startswith(f"Restored 2 promises and 1 deleted one (5 events) from {target}\n")


def test_doctor_returns_a_checkup(ledger: Path) -> None:
    """The doctor's findings are a Checkup (telling.report.Report is the status report)."""
    from promisekeeper.services import maintenance

    checkup = maintenance.doctor(ledger)
    assert isinstance(checkup, maintenance.Checkup)
    assert checkup.ok and checkup.counts["promises"] == 2


def test_doctor_on_an_older_ledger_changes_nothing(ok: Pk, place: Path) -> None:
    fixture = Path(__file__).parent / "fixtures" / "ledger-v1.db"
    (place / "ledger.db").write_bytes(fixture.read_bytes())
    (place / "ledger.db").chmod(0o600)
    before = snapshot(place)
    out = ok("doctor").stdout
    assert f"Schema     version 1 (upgraded to {schema.SCHEMA_VERSION} on next use" in out
    assert "Integrity  ok" in out and "No problems found." in out
    assert snapshot(place) == before  # not upgraded by looking at it


def test_doctor_before_the_first_promise(ok: Pk, place: Path) -> None:
    out = ok("doctor").stdout
    assert "not created yet" in out and "No problems found." in out
    assert snapshot(place) == {}


def _corrupt(path: Path) -> None:
    """Scribble over the schema at the end of the first page and over every later page: the
    header still says SQLite, nothing else adds up."""
    gc.collect()
    data = bytearray(path.read_bytes())
    data[3000:4096] = b"\xff" * 1096
    for offset in range(4096, len(data), 4096):
        data[offset + 8 : offset + 40] = b"\xff" * 32
    path.write_bytes(bytes(data))


BROKEN = {
    "directory": (lambda p: p.mkdir(), "is a directory"),
    "text file": (lambda p: p.write_text("my promises\n"), "not an SQLite database"),
    "empty file": (lambda p: p.write_bytes(b""), "is an empty file"),
    "truncated": (None, "damaged"),
    "corrupted": (None, "damaged"),
    "foreign": (None, "not a PromiseKeeper ledger"),
    "newer": (None, "newer PromiseKeeper"),
}


def make_broken(case: str, db: Path, ok: Pk) -> None:
    maker, _ = BROKEN[case]
    if maker is not None:
        maker(db)
        return
    if case == "foreign":
        conn = sqlite3.connect(db)
        conn.execute("CREATE TABLE notes (text)")
        conn.commit()
        conn.close()
        return
    ok("promise", "Send the numbers", "--to", "alice", "--due", "fri")
    for n in range(6):
        ok("note", "1", f"note {n} " + "x" * 3000)
    gc.collect()  # pk's connections closed: everything is in the file, no -wal
    assert not Path(f"{db}-wal").exists()
    conn = sqlite3.connect(db)
    if case == "newer":
        conn.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
        conn.commit()
    conn.close()
    if case == "truncated":
        with open(db, "r+b") as handle:
            handle.truncate(db.stat().st_size // 2)
    elif case == "corrupted":
        _corrupt(db)


@pytest.mark.parametrize("case", list(BROKEN))
def test_doctor_names_the_problem_and_the_fix(
    case: str, pk: Pk, ok: Pk, place: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = place / "ledger.db"
    make_broken(case, db, ok)
    before = snapshot(place)
    result = pk("doctor")
    assert result.exit_code == 1, result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert "Problems (" in result.stdout and "fix: " in result.stdout
    assert BROKEN[case][1] in result.stdout
    report = json.loads(pk("doctor", "--json").stdout)
    assert report["ok"] is False
    assert all(f["problem"] and f["fix"] for f in report["findings"])
    assert snapshot(place) == before


def test_doctor_points_at_the_newest_backup_of_a_damaged_ledger(
    pk: Pk, ok: Pk, ledger: Path
) -> None:
    backup = ok("backup").stdout.split(" to ")[1].strip()
    _corrupt(ledger)
    damaged_copy = ledger.with_name("ledger.db.before-restore-20991231T000000Z")
    damaged_copy.write_bytes(ledger.read_bytes())  # newer, but no use to restore
    result = pk("doctor")
    assert result.exit_code == 1
    assert f"fix: restore the newest sound backup: pk restore {backup}" in result.stdout


def test_doctor_warns_about_files_others_can_read(ok: Pk, pk: Pk, ledger: Path) -> None:
    ok("backup")
    ledger.chmod(0o644)
    (backup,) = files.backups_of(ledger)
    backup.chmod(0o640)
    config = Path(os.environ["PK_CONFIG"])
    config.write_text('day_ends = "18:00"\n')
    config.chmod(0o644)
    result = pk("doctor")
    assert result.exit_code == 1
    assert f"{ledger} can be read by other users (mode 0644)" in result.stdout
    assert f"fix: chmod 600 {ledger}" in result.stdout
    assert f"fix: chmod 600 {backup}" in result.stdout
    assert f"fix: chmod 600 {config}" in result.stdout
    levels = {f["level"] for f in json.loads(pk("doctor", "--json").stdout)["findings"]}
    assert levels == {"warning"}


def test_doctor_warns_about_an_open_default_directory(
    pk: Pk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.delenv("PK_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    monkeypatch.setenv("HOME", str(home))
    assert pk("promise", "x", "--to", "a", "--due", "fri").exit_code == 0
    from promisekeeper.services import paths

    directory = paths.default_db_path().parent
    assert str(directory).startswith(str(home))
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert pk("doctor").exit_code == 0
    directory.chmod(0o755)
    result = pk("doctor")
    assert result.exit_code == 1
    assert f"fix: chmod 700 {directory}" in result.stdout


def test_doctor_reports_a_bad_config(pk: Pk, ledger: Path) -> None:
    config = Path(os.environ["PK_CONFIG"])
    config.write_text("day_ends = [not toml\n")
    config.chmod(0o600)
    result = pk("doctor")
    assert result.exit_code == 1
    assert "not valid TOML" in result.stdout and f"fix: correct {config}" in result.stdout


def test_doctor_finds_rows_that_disagree_with_their_history(pk: Pk, ledger: Path) -> None:
    conn = sqlite3.connect(ledger)
    conn.execute("UPDATE promises SET what = 'tampered' WHERE id = 2")
    conn.commit()
    conn.close()
    result = pk("doctor")
    assert result.exit_code == 1
    assert "1 promise(s) differ from their history (#2)" in result.stdout
    assert "pk import rescue.json" in result.stdout


def test_doctor_finds_a_tampered_effort(pk: Pk, ok: Pk, ledger: Path) -> None:
    """Regression: the effort was left out of the comparison, so a row whose effort disagreed
    with its history passed as healthy."""
    ok("promise", "Write the report", "--to", "carol", "--due", "fri", "--effort", "6h")
    assert pk("doctor").exit_code == 0
    conn = sqlite3.connect(ledger)
    conn.execute("UPDATE promises SET effort_s = effort_s * 2 WHERE id = 3")
    conn.commit()
    conn.close()
    result = pk("doctor")
    assert result.exit_code == 1
    assert "1 promise(s) differ from their history (#3)" in result.stdout


# One way to tamper with each column of a promise row (promise 2: open, no effort, to bob).
TAMPERED_COLUMNS = {
    "uuid": "'tampered'",
    "what": "'tampered'",
    "note": "'tampered'",
    "tags": """'["tampered"]'""",
    "made_ts": "made_ts - 60",
    "due_ts": "due_ts + 60",
    "original_due_ts": "original_due_ts + 60",
    "status": "'broken'",
    "closed_ts": "due_ts",
    "moves": "moves + 1",
    "late_moves": "late_moves + 1",
    "deleted_ts": "due_ts",
    "effort_s": "3600",
    "moved_late_s": "moved_late_s + 60",
    "direction": "'owed'",
}


def test_every_column_of_a_promise_row_is_checked_against_its_history(ledger: Path) -> None:
    conn = sqlite3.connect(ledger)
    columns = {row[1] for row in conn.execute("PRAGMA table_info(promises)")}
    conn.close()
    assert set(TAMPERED_COLUMNS) == columns - {"id"}  # a new column needs a case below


@pytest.mark.parametrize("column", [*TAMPERED_COLUMNS, "people"])
def test_doctor_finds_any_column_that_disagrees_with_the_history(
    column: str, pk: Pk, ledger: Path
) -> None:
    conn = sqlite3.connect(ledger)
    if column == "people":
        conn.execute(
            "UPDATE promise_people SET person_id = (SELECT id FROM people WHERE name_key = 'alice')"
            " WHERE promise_id = 2"
        )
    else:
        conn.execute(f"UPDATE promises SET {column} = {TAMPERED_COLUMNS[column]} WHERE id = 2")
    conn.commit()
    conn.close()
    result = pk("doctor")
    assert result.exit_code == 1, result.stdout
    assert "1 promise(s) differ from their history (#2)" in result.stdout


def test_doctor_finds_temporary_files_left_by_a_killed_pk(pk: Pk, ledger: Path) -> None:
    stray = files.temp_file_for(ledger, ".new")
    assert pk("doctor").exit_code == 0  # fresh: maybe a pk at work right now
    old = time.time() - 3600
    os.utime(stray, (old, old))
    result = pk("doctor")
    assert result.exit_code == 1
    assert f"temporary file(s) left by an interrupted pk: {stray}" in result.stdout


def test_doctor_on_a_read_only_ledger(pk: Pk, ok: Pk, ledger: Path, place: Path) -> None:
    before = snapshot(place)
    with read_only(ledger):
        result = pk("doctor")
        assert result.exit_code == 1
        assert "is read-only: pk can show it but not record changes" in result.stdout
        assert "Integrity  ok" in result.stdout
    assert snapshot(place) == before


def test_doctor_on_a_read_only_directory(pk: Pk, ledger: Path, place: Path) -> None:
    before = snapshot(place)
    with read_only(place):
        result = pk("doctor")
    assert result.exit_code == 1
    assert f"the ledger's directory {place} is read-only" in result.stdout
    assert f"fix: chmod u+w {place}" in result.stdout
    assert snapshot(place) == before


# -------------------------------------------------------------------------------------------------
# pk backup
# -------------------------------------------------------------------------------------------------
def test_backup_next_to_the_ledger(ok: Pk, ledger: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = ok("backup").stdout
    (backup,) = files.backups_of(ledger)
    assert out == f"Backed up 2 promises (3 events) to {backup}\n"
    assert backup.name.startswith("ledger.db.backup-")
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert files.journal_mode_of(backup) == "delete"  # one self-contained file
    assert_sound(backup)
    expected = promises(ok)
    monkeypatch.setenv("PK_DB", str(backup))
    assert promises(ok) == expected


def test_backup_to_a_file_or_a_directory(ok: Pk, ledger: Path, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.db"
    ok("backup", str(target))
    assert_sound(target)
    ok("promise", "Third", "--to", "carol", "--due", "fri")
    ok("backup", str(target))  # an older backup of a ledger is replaced
    assert len(queries.all_histories(sqlite3.connect(target))) == 3
    folder = tmp_path / "usb"
    folder.mkdir()
    ok("backup", str(folder))
    (inside,) = folder.iterdir()
    assert inside.name.startswith("ledger.db.backup-")
    assert_sound(inside)


def test_backup_replaces_only_ledgers(pk: Pk, ledger: Path, tmp_path: Path) -> None:
    precious = tmp_path / "thesis.txt"
    precious.write_text("three years of work")
    one_line_error(pk("backup", str(precious)), "not a PromiseKeeper ledger; not replacing it")
    assert precious.read_text() == "three years of work"
    one_line_error(pk("backup", str(ledger)), "is the ledger itself")
    one_line_error(pk("backup", str(tmp_path / "no" / "x.db")), "does not exist")


def test_backup_without_a_ledger(pk: Pk, place: Path) -> None:
    one_line_error(pk("backup"), "no ledger", "nothing to back up")
    assert snapshot(place) == {}


def test_backup_of_a_damaged_ledger_says_so(pk: Pk, ok: Pk, place: Path) -> None:
    make_broken("corrupted", place / "ledger.db", ok)
    before = snapshot(place)
    one_line_error(pk("backup"), "damaged")
    assert snapshot(place) == before


def test_backup_is_consistent_while_another_process_writes(
    ok: Pk, ledger: Path, tmp_path: Path
) -> None:
    """A writer in the middle of a change: the copy has what was committed, and nothing of it."""
    writer = sqlite3.connect(ledger, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO changes (at_ts, command) VALUES (1, 'half-done')")
    target = tmp_path / "online.db"
    ok("backup", str(target))
    writer.execute("COMMIT")
    writer.close()
    assert_sound(target)
    conn = sqlite3.connect(target)
    assert conn.execute("SELECT count(*) FROM changes WHERE command = 'half-done'").fetchone() == (
        0,
    )
    assert conn.execute("SELECT count(*) FROM promises").fetchone() == (2,)
    conn.close()


# -------------------------------------------------------------------------------------------------
# pk restore
# -------------------------------------------------------------------------------------------------
@pytest.fixture
def backup(ok: Pk, ledger: Path, tmp_path: Path) -> Path:
    target = tmp_path / "backup.db"
    ok("backup", str(target))
    return target


def test_restore_puts_the_backup_back_and_keeps_the_ledger(
    ok: Pk, ledger: Path, backup: Path, place: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at_backup = promises(ok)
    ok("promise", "Made after the backup", "--to", "carol", "--due", "fri")
    ok("move", "2", "in 2 weeks")
    before_restore = promises(ok)
    out = ok("restore", str(backup), "--yes").stdout
    (kept,) = place.glob("ledger.db.before-restore-*")
    assert out == (
        f"Restored 2 promises (3 events) from {backup}\n"
        f"  the ledger it replaced is kept as {kept}\n"
    )
    assert promises(ok) == at_backup
    assert_sound(ledger)
    assert files.journal_mode_of(ledger) == "wal"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    monkeypatch.setenv("PK_DB", str(kept))
    assert promises(ok) == before_restore  # nothing is lost: the replaced ledger is all there


def test_restore_asks_first_on_a_terminal(
    pk: Pk, ok: Pk, ledger: Path, backup: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok("promise", "Made after the backup", "--to", "carol", "--due", "fri")
    monkeypatch.setattr(common, "interactive", lambda: True)
    result = pk("restore", str(backup), input="n\n")
    assert "Replace the ledger" in result.stdout and "(2 promises)" in result.stdout
    one_line_error(result, "not restored; nothing was changed")
    assert len(promises(ok)) == 3
    result = pk("restore", str(backup), input="y\n")
    assert result.exit_code == 0, result.stderr
    assert len(promises(ok)) == 2


def test_restore_off_a_terminal_needs_yes(pk: Pk, ledger: Path, backup: Path, place: Path) -> None:
    before = snapshot(place)
    one_line_error(pk("restore", str(backup)), "add --yes")
    assert snapshot(place) == before


def _not_a_ledger(tmp_path: Path, case: str) -> Path:
    path = tmp_path / f"source-{case.replace(' ', '-')}"
    if case == "missing":
        return path
    if case == "directory":
        path.mkdir()
    elif case == "text file":
        path.write_text("hello")
    elif case == "empty file":
        path.write_bytes(b"")
    elif case == "foreign":
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE t (x)")
        conn.commit()
        conn.close()
    return path


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing", "does not exist"),
        ("directory", "is a directory"),
        ("text file", "not a PromiseKeeper ledger"),
        ("empty file", "empty file"),
        ("foreign", "not a PromiseKeeper ledger"),
        ("newer", "newer PromiseKeeper"),
        ("damaged", "damaged"),
        ("itself", "the ledger itself"),
    ],
)
def test_restore_refuses_what_is_not_a_sound_ledger(
    case: str, message: str, pk: Pk, ledger: Path, backup: Path, place: Path, tmp_path: Path
) -> None:
    if case == "newer":
        source = backup
        conn = sqlite3.connect(source)
        conn.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
        conn.commit()
        conn.close()
    elif case == "damaged":
        source = backup
        _corrupt(source)
    elif case == "itself":
        source = ledger
    else:
        source = _not_a_ledger(tmp_path, case)
    before = snapshot(place)
    one_line_error(pk("restore", str(source), "--yes"), message)
    assert snapshot(place) == before


@pytest.mark.parametrize("case", ["text file", "empty file", "truncated", "corrupted"])
def test_restore_over_a_ledger_that_does_not_open(
    case: str, pk: Pk, ok: Pk, place: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The situation restore is for: the ledger is kept aside as it was, with its -wal."""
    monkeypatch.setenv("PK_DB", str(tmp_path / "good.db"))
    ok("promise", "Safe in the backup", "--to", "alice", "--due", "fri")
    good = promises(ok)
    ok("backup", str(tmp_path / "backup.db"))
    monkeypatch.setenv("PK_DB", str(place / "ledger.db"))
    make_broken(case, place / "ledger.db", ok)
    assert pk("list").exit_code == 1
    broken_bytes = (place / "ledger.db").read_bytes()
    wal = place / "ledger.db-wal"
    wal.write_bytes(b"stale log of the broken ledger")
    ok("restore", str(tmp_path / "backup.db"), "--yes")
    assert promises(ok) == good
    assert_sound(place / "ledger.db")
    (kept,) = place.glob("ledger.db.before-restore-*[0-9Z]")
    assert kept.read_bytes() == broken_bytes
    assert Path(f"{kept}-wal").read_bytes() == b"stale log of the broken ledger"
    assert not wal.exists() or wal.read_bytes() != b"stale log of the broken ledger"


def test_restore_without_a_ledger_creates_it_user_only(
    ok: Pk, ledger: Path, backup: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "new-home" / "ledger.db"
    target.parent.mkdir()
    monkeypatch.setenv("PK_DB", str(target))
    out = ok("restore", str(backup), "--yes").stdout
    assert "kept as" not in out
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert files.journal_mode_of(target) == "wal"
    assert len(promises(ok)) == 2
    assert sorted(p.name for p in target.parent.iterdir() if "-" not in p.name) == ["ledger.db"]


def test_restore_is_seen_by_a_process_that_has_the_ledger_open(
    ok: Pk, ledger: Path, backup: Path
) -> None:
    """Restored in place, in one transaction: an open connection sees the new content next,
    never a stale -wal applied to another file."""
    other = sqlite3.connect(ledger, isolation_level=None)
    ok("promise", "Made after the backup", "--to", "carol", "--due", "fri")
    assert other.execute("SELECT count(*) FROM promises").fetchone() == (3,)
    ok("restore", str(backup), "--yes")
    assert other.execute("SELECT count(*) FROM promises").fetchone() == (2,)
    other.close()
    assert_sound(ledger)


def test_restore_of_an_older_backup_upgrades_it(
    ok: Pk, place: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fixture = Path(__file__).parent / "fixtures" / "ledger-v1.db"
    ok("restore", str(fixture), "--yes")
    assert len(ok("export").json["promises"]) == 7
    conn = sqlite3.connect(place / "ledger.db")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
    conn.close()
