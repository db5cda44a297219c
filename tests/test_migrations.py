"""Upgrades: every older ledger reaches the current schema with every promise and event intact;
a backup is made first; a failed upgrade or a ledger from a newer pk leaves the file as it was.

Each schema version has a fixture under tests/fixtures (ledger-v<N>.db, made by
tests/fixtures/make_fixtures.py with the real CLI at that version, and ledger-v<N>.json, its
`pk export` at the time). Adding a migration means adding a fixture for the new version.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
from pathlib import Path
from typing import Any

import pytest
from conftest import Pk
from ledger_checks import assert_sound, snapshot

from promisekeeper.store import files, schema

FIXTURES = Path(__file__).parent / "fixtures"
LEDGERS = sorted(FIXTURES.glob("ledger-v*.db"), key=lambda p: int(p.stem.split("-v")[1]))
FIXTURE_NOW = "2026-11-23T10:00:00+01:00"  # as in make_fixtures.py


def version_of(fixture: Path) -> int:
    return int(fixture.stem.split("-v")[1])


def before(name: str) -> list[Path]:
    """The fixture ledgers made before the migration called `name`."""
    version = next(n for n, step in enumerate(schema.MIGRATIONS, 1) if step.__name__ == name)
    return [fixture for fixture in LEDGERS if version_of(fixture) < version]


def user_version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


def test_there_is_a_fixture_for_every_schema_version() -> None:
    assert [version_of(p) for p in LEDGERS] == list(range(1, schema.SCHEMA_VERSION + 1))
    for fixture in LEDGERS:
        assert fixture.with_suffix(".json").is_file()
        assert user_version(fixture) == version_of(fixture)


def _what(event: dict[str, Any]) -> tuple[Any, ...]:
    """What an event says happened (its identity aside)."""
    return (event["at"], event["kind"], event["details"])


def _expected(fixture: Path) -> dict[str, Any]:
    import json

    return json.loads(fixture.with_suffix(".json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("fixture", LEDGERS, ids=lambda p: p.stem)
def test_every_fixture_upgrades_with_every_promise_and_event(
    fixture: Path, ok: Pk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = tmp_path / "old" / "ledger.db"
    ledger.parent.mkdir()
    shutil.copy(fixture, ledger)
    monkeypatch.setenv("PK_DB", str(ledger))
    exported = ok("export", now=FIXTURE_NOW).json  # opening it runs the migrations
    assert user_version(ledger) == schema.SCHEMA_VERSION
    expected = _expected(fixture)
    assert exported["exported_at"] == expected["exported_at"]
    assert len(exported["promises"]) == len(expected["promises"])
    got = {p["uuid"]: p for p in exported["promises"]}
    for old in expected["promises"]:
        new = got[old["uuid"]]
        # Every field the old export had is still there, with the same value (new fields may
        # appear), and the history is the same event for event.
        assert {k: new.get(k) for k in old if k != "history"} == {
            k: v for k, v in old.items() if k != "history"
        }, old["id"]
        assert [_what(e) for e in new["history"]] == [_what(e) for e in old["history"]]
        # Every event now has an identity for replication, in the order it was recorded.
        clocks = [e["clock"] for e in new["history"]]
        assert clocks == sorted(clocks) and len(set(clocks)) == len(clocks)
        assert all(e["uuid"] and e["replica"] for e in new["history"])
        pairs = zip(new["history"], old["history"], strict=True)
        assert all(e["uuid"] == o["uuid"] for e, o in pairs if "uuid" in o)
    events = [e for p in exported["promises"] for e in p["history"]]
    assert len({e["uuid"] for e in events}) == len(events)
    assert len({e["replica"] for e in events}) == 1  # this ledger is the replica that wrote them
    assert_sound(ledger)
    # An upgrade from an older schema left a backup of the ledger as it was.
    backups = files.migration_backups(ledger)
    if version_of(fixture) < schema.SCHEMA_VERSION:
        assert len(backups) == 1
        assert backups[0].read_bytes() != b""
        assert user_version(backups[0]) == version_of(fixture)
        assert stat.S_IMODE(backups[0].stat().st_mode) == 0o600
    else:
        assert backups == []
    # And the upgraded ledger keeps working.
    ok("promise", "After the upgrade", "--to", "alice", "--due", "fri")
    assert_sound(ledger)


SERIES_VERSION = next(
    number for number, step in enumerate(schema.MIGRATIONS, 1) if step.__name__ == "m006_series"
)


@pytest.mark.parametrize(
    "fixture", [p for p in LEDGERS if version_of(p) < SERIES_VERSION], ids=lambda p: p.stem
)
def test_series_arrive_on_every_older_ledger(
    fixture: Path, ok: Pk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """m006: every older ledger gains the series table and the occurrence columns, its own
    promises stay promises of no series, and a series can be made and exported at once."""
    ledger = tmp_path / "old" / "ledger.db"
    ledger.parent.mkdir()
    shutil.copy(fixture, ledger)
    monkeypatch.setenv("PK_DB", str(ledger))
    before = _expected(fixture)["promises"]
    exported = ok("export", now=FIXTURE_NOW).json
    assert exported["series"] == []
    assert [p["series"] for p in exported["promises"]] == [None] * len(before)
    conn = sqlite3.connect(ledger)
    try:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(promises)")}
        assert {"series_uuid", "occurrence_ts"} <= columns
        assert conn.execute("SELECT count(*) FROM series").fetchone()[0] == 0
        assert conn.execute(
            "SELECT count(*) FROM promises WHERE series_uuid IS NOT NULL OR occurrence_ts"
            " IS NOT NULL"
        ).fetchone() == (0,)
    finally:
        conn.close()
    made = ok("promise", "Weekly status", "--to", "alice", "--every", "monday 10am", "--json")
    after = ok("export", now=FIXTURE_NOW).json
    assert len(after["promises"]) == len(before) + 1
    assert after["series"][0]["uuid"] == made.json["series"]
    assert_sound(ledger)


@pytest.mark.parametrize(
    "fixture", before("m008_index_for_the_track_record"), ids=lambda p: p.stem
)
def test_an_upgraded_ledger_reads_its_track_record_from_the_indexes(
    fixture: Path, ok: Pk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """m008: after the upgrade, moves and notices are read from their partial indexes and the
    promises' figures from a covering index, and the record is the same as that of the same
    histories imported into a new ledger."""
    ledger = tmp_path / "old" / "ledger.db"
    ledger.parent.mkdir()
    shutil.copy(fixture, ledger)
    monkeypatch.setenv("PK_DB", str(ledger))
    stats = ok("stats", "--json", now=FIXTURE_NOW).json  # opening it runs the migrations
    trust = ok("trust", "--json", now=FIXTURE_NOW).json
    assert user_version(ledger) == schema.SCHEMA_VERSION
    conn = sqlite3.connect(ledger)
    try:
        indexes = dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index'"))

        def plan(sql: str) -> str:
            return " | ".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}"))

        moved = plan("SELECT e.data FROM events e WHERE e.kind = 'moved' AND e.at_ts > 0")
        told = plan("SELECT e.data FROM events e WHERE e.kind = 'notified' ORDER BY e.promise_id")
        kept = plan("SELECT count(*) FROM promises p WHERE p.status = 'kept' AND p.late_moves > 0")
    finally:
        conn.close()
    assert indexes["events_moved"].endswith("WHERE kind = 'moved'")
    assert indexes["events_notified"].endswith("WHERE kind = 'notified'")
    assert "USING INDEX events_moved" in moved and "USING INDEX events_notified" in told
    assert "USING COVERING INDEX promises_track (status=?)" in kept
    assert stats["made"] > 0 and trust
    monkeypatch.setenv("PK_DB", str(tmp_path / "fresh.db"))
    ok("import", str(fixture.with_suffix(".json")), now=FIXTURE_NOW)
    assert ok("stats", "--json", now=FIXTURE_NOW).json == stats

    def without_ids(accounts: list[dict[str, Any]]) -> list[dict[str, Any]]:  # ids: file order
        return [{**a, "recent": [{**e, "promise": None} for e in a["recent"]]} for a in accounts]

    assert without_ids(ok("trust", "--json", now=FIXTURE_NOW).json) == without_ids(trust)


def test_fixtures_hold_a_varied_history() -> None:
    kinds = {
        event["kind"]
        for promise in _expected(LEDGERS[0])["promises"]
        for event in promise["history"]
    }
    assert {"made", "moved", "kept", "broken", "released", "reopened", "note", "edited"} <= kinds
    assert {"deleted"} <= kinds


# -------------------------------------------------------------------------------------------------
# The backup made before a migration, tried with a temporary extra migration
# -------------------------------------------------------------------------------------------------
def m999_add_a_column(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE people ADD COLUMN test_only TEXT")


def m999_that_fails(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE people ADD COLUMN test_only TEXT")
    conn.execute("SELECT * FROM no_such_table")


def with_extra_migration(monkeypatch: pytest.MonkeyPatch, step: Any) -> int:
    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, step])
    monkeypatch.setattr(schema, "SCHEMA_VERSION", len(schema.MIGRATIONS))
    return schema.SCHEMA_VERSION


@pytest.fixture
def current_ledger(ok: Pk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    ledger = tmp_path / "data" / "ledger.db"
    ledger.parent.mkdir()
    monkeypatch.setenv("PK_DB", str(ledger))
    ok("promise", "Send the numbers", "--to", "alice", "--due", "fri")
    ok("promise", "Review the RFC", "--to", "bob", "--due", "mon")
    ok("keep", "1")
    return ledger


def test_a_migration_backs_up_the_ledger_first(
    ok: Pk, current_ledger: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_version = schema.SCHEMA_VERSION
    before = ok("export").json
    new_version = with_extra_migration(monkeypatch, m999_add_a_column)
    assert ok("list", "--json").json  # any command upgrades the ledger
    assert user_version(current_ledger) == new_version
    (backup,) = files.migration_backups(current_ledger)
    assert backup.name.startswith(f"ledger.db.backup-v{old_version}-")
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert user_version(backup) == old_version
    # The backup is the ledger as it was: restore it with the old code and it says the same.
    monkeypatch.undo()
    monkeypatch.setenv("PK_DB", str(backup))
    assert ok("export").json["promises"] == before["promises"]
    assert not Path(str(backup) + "-wal").exists()


def test_only_the_newest_three_migration_backups_are_kept(
    ok: Pk, current_ledger: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = [
        current_ledger.with_name(f"ledger.db.backup-v1-2025010{day}T000000Z") for day in range(1, 5)
    ]
    for path in old:
        shutil.copy(current_ledger, path)
    mine = current_ledger.with_name("ledger.db.backup-mine")  # the user's own: never pruned
    shutil.copy(current_ledger, mine)
    with_extra_migration(monkeypatch, m999_add_a_column)
    ok("list")
    kept = files.migration_backups(current_ledger)
    assert len(kept) == files.MIGRATION_BACKUPS_KEPT == 3
    assert kept[:2] == old[2:]  # the oldest went first
    assert kept[2].name.startswith(f"ledger.db.backup-v{schema.SCHEMA_VERSION - 1}-")
    assert mine.exists()


def test_no_migration_without_a_backup(
    pk: Pk, current_ledger: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the backup cannot be written (here: a directory is in its way), nothing changes."""
    before = snapshot(current_ledger.parent)

    def no_room(conn: sqlite3.Connection, dest: Path) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files, "copy_database", no_room)
    with_extra_migration(monkeypatch, m999_add_a_column)
    result = pk("promise", "x", "--to", "a", "--due", "fri")
    assert result.exit_code == 1
    assert "cannot back up ledger" in result.stderr
    assert "No space left on device" in result.stderr
    assert "nothing was changed" in result.stderr
    assert snapshot(current_ledger.parent) == before


def test_a_failed_migration_leaves_the_ledger_at_its_old_version(
    pk: Pk, ok: Pk, current_ledger: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_version = schema.SCHEMA_VERSION
    before = ok("export").json
    with_extra_migration(monkeypatch, m999_that_fails)
    result = pk("list")
    assert result.exit_code == 1
    assert result.stderr.startswith("pk: could not upgrade ledger")
    assert f"unchanged at schema {old_version}" in result.stderr
    assert "Traceback" not in result.stderr
    assert user_version(current_ledger) == old_version
    conn = sqlite3.connect(current_ledger)
    columns = [c[1] for c in conn.execute("PRAGMA table_info(people)")]
    conn.close()
    assert "test_only" not in columns  # the half-done step was rolled back
    monkeypatch.undo()
    monkeypatch.setenv("PK_DB", str(current_ledger))
    assert ok("export").json["promises"] == before["promises"]


def test_a_fresh_ledger_is_not_backed_up(ok: Pk, tmp_path: Path) -> None:
    ok("promise", "x", "--to", "a", "--due", "fri")
    assert files.migration_backups(tmp_path / "ledger.db") == []
    assert list(snapshot(tmp_path)) == ["ledger.db"]  # and no temporary file left behind


# -------------------------------------------------------------------------------------------------
# A ledger from a newer pk
# -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "args", [["today"], ["list"], ["promise", "x", "--to", "a", "--due", "fri"]]
)
def test_a_ledger_from_a_newer_pk_is_refused_untouched(
    args: list[str], pk: Pk, ok: Pk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = tmp_path / "newer" / "ledger.db"
    ledger.parent.mkdir()
    monkeypatch.setenv("PK_DB", str(ledger))
    ok("promise", "From the future", "--to", "alice", "--due", "fri")
    conn = sqlite3.connect(ledger)
    conn.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    before = snapshot(ledger.parent)
    result = pk(*args)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"pk: ledger {ledger} was written by a newer PromiseKeeper")
    assert "upgrade pk" in result.stderr
    assert snapshot(ledger.parent) == before
    assert os.listdir(ledger.parent) == ["ledger.db"]


# -------------------------------------------------------------------------------------------------
# m005_direction: whose promise it is, folded from the made event (absent: yours)
# -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fixture", before("m005_direction"), ids=lambda p: p.stem)
def test_direction_is_folded_from_the_made_event_on_upgrade(
    fixture: Path, ok: Pk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every promise of an older ledger is yours after the upgrade, except one whose made
    event says "direction": "owed" (as an import from a newer pk may have left it): that one is
    owed to you, and every other promise and event is intact."""
    import json

    ledger = tmp_path / "old" / "ledger.db"
    ledger.parent.mkdir()
    shutil.copy(fixture, ledger)
    conn = sqlite3.connect(ledger, isolation_level=None)
    try:
        promise_id, data = conn.execute(
            "SELECT promise_id, data FROM events WHERE kind = 'made' ORDER BY promise_id LIMIT 1"
        ).fetchone()
        conn.execute(
            "UPDATE events SET data = ? WHERE kind = 'made' AND promise_id = ?",
            (json.dumps({**json.loads(data), "direction": "owed"}), promise_id),
        )
    finally:
        conn.close()
    monkeypatch.setenv("PK_DB", str(ledger))
    exported = ok("export", now=FIXTURE_NOW).json
    assert user_version(ledger) == schema.SCHEMA_VERSION
    directions = {p["id"]: p["direction"] for p in exported["promises"]}
    assert len(directions) == len(_expected(fixture)["promises"])
    assert directions.pop(promise_id) == "owed"
    assert set(directions.values()) == {"mine"}
    assert_sound(ledger)
    # Yours still make the record; the one owed to you does not.
    listed = {p["id"] for p in ok("list", "--owed", "--status", "all", "--json").json}
    assert listed <= {promise_id}


def test_a_fresh_ledger_has_the_direction_column(ok: Pk, isolated: Path) -> None:
    ok("expect", "The contract", "--from", "bob", "--by", "fri")
    conn = sqlite3.connect(isolated)
    try:
        assert conn.execute("SELECT direction FROM promises").fetchall() == [("owed",)]
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("UPDATE promises SET direction = 'theirs'")
    finally:
        conn.close()


# -------------------------------------------------------------------------------------------------
# m007: terms and checkpoints
# -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fixture", before("m007_terms_and_checkpoints"), ids=lambda p: p.stem)
def test_terms_and_checkpoints_after_an_upgrade(
    fixture: Path, ok: Pk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every older ledger gains empty terms and no checkpoints, keeps the terms an older pk
    stored in a `made` event it imported (from a newer export), and takes new ones."""
    import json

    ledger = tmp_path / "old" / "ledger.db"
    ledger.parent.mkdir()
    shutil.copy(fixture, ledger)
    conn = sqlite3.connect(ledger)
    (promise_id, data), *_ = conn.execute(
        "SELECT promise_id, data FROM events WHERE kind = 'made' ORDER BY promise_id"
    ).fetchall()
    details = json.loads(data)
    details.update(includes=["the slides"], excludes=["the video"], source="the thread")
    conn.execute(
        "UPDATE events SET data = ? WHERE kind = 'made' AND promise_id = ?",
        (json.dumps(details), promise_id),
    )
    conn.commit()
    conn.close()
    monkeypatch.setenv("PK_DB", str(ledger))
    exported = {p["id"]: p for p in ok("export", now=FIXTURE_NOW).json["promises"]}
    assert user_version(ledger) == schema.SCHEMA_VERSION
    folded = exported.pop(promise_id)
    assert (folded["includes"], folded["excludes"], folded["source"]) == (
        ["the slides"],
        ["the video"],
        "the thread",
    )
    assert all(
        (p["includes"], p["excludes"], p["source"], p["checkpoints"]) == ([], [], "", [])
        for p in exported.values()
    )
    assert_sound(ledger)
    # The upgraded ledger takes terms and checkpoints, and finds a missed one in the daily view.
    made = ok(
        "promise", "After the upgrade", "--to", "alice", "--due", "fri", "--includes", "x",
        "--json", now=FIXTURE_NOW,
    ).json["id"]  # fmt: skip
    ok("checkpoint", str(made), "draft", "--by", "tue", now=FIXTURE_NOW)
    assert "checkpoint 1 missed" in ok("today", now="2026-11-25T10:00:00+01:00").stdout
    assert_sound(ledger)


# -------------------------------------------------------------------------------------------------
# m009: sync (tombstones, waiting events, people's and series' stamps, the clock in meta)
# -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fixture", before("m009_sync"), ids=lambda p: p.stem)
def test_sync_after_an_upgrade(
    fixture: Path, ok: Pk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every older ledger gains the sync tables with its data intact; what it knew (every
    event, the people with details) is this replica's to send, and a fresh ledger that merges
    it holds the same promises."""
    import json
    from datetime import datetime

    from promisekeeper.services.ledger import Ledger
    from promisekeeper.services.replica import merge, outgoing

    ledger = tmp_path / "old" / "ledger.db"
    ledger.parent.mkdir()
    shutil.copy(fixture, ledger)
    monkeypatch.setenv("PK_DB", str(ledger))
    before_promises = ok("export", now=FIXTURE_NOW).json["promises"]
    assert user_version(ledger) == schema.SCHEMA_VERSION
    now = datetime.fromisoformat(FIXTURE_NOW)
    records, marker = outgoing(Ledger(ledger, now=now), 0)
    kinds = [r["type"] for r in records]
    assert kinds.count("event") == sum(len(p["history"]) for p in before_promises)
    people = [r for r in records if r["type"] == "person"]
    assert [(p["name"], p["email"]) for p in people] == [("alice", "alice@example.com")]
    assert "undo" not in kinds  # undos made before the upgrade left no tombstone to send
    conn = sqlite3.connect(ledger)
    assert conn.execute("SELECT count(*) FROM tombstones").fetchone() == (0,)
    assert int(conn.execute("SELECT value FROM meta WHERE key = 'clock'").fetchone()[0]) == marker
    conn.close()
    fresh = tmp_path / "fresh.db"
    merge(Ledger(fresh, now=now), json.loads(json.dumps(records)))
    monkeypatch.setenv("PK_DB", str(fresh))
    merged = ok("export", now=FIXTURE_NOW).json["promises"]

    def by_uuid(promises: list[dict[str, Any]]) -> dict[str, Any]:
        return {p["uuid"]: {k: v for k, v in p.items() if k != "id"} for p in promises}

    assert by_uuid(merged) == by_uuid(before_promises)
    assert_sound(fresh)
    # The upgraded ledger records after every stamp it holds, and sends only that next.
    monkeypatch.setenv("PK_DB", str(ledger))
    ok("note", "1", "after the upgrade", now=FIXTURE_NOW)
    later, newer = outgoing(Ledger(ledger, now=now), marker)
    assert [r["kind"] for r in later] == ["note"] and newer > marker
    assert_sound(ledger)
