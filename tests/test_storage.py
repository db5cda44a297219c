"""The store (store.schema, store.connection): schema, migrations, file handling."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from promisekeeper.model.errors import LedgerError
from promisekeeper.store import connection, schema

EXPECTED_TABLES = {
    "people": ["id", "name", "name_key", "email", "handle", "channel", "note", "replica", "clock"],
    "promises": [
        "id",
        "uuid",
        "what",
        "note",
        "tags",
        "made_ts",
        "due_ts",
        "original_due_ts",
        "status",
        "closed_ts",
        "moves",
        "late_moves",
        "deleted_ts",
        "effort_s",
        "moved_late_s",
        "direction",
        "series_uuid",
        "occurrence_ts",
        "includes",
        "excludes",
        "source",
        "checkpoints",
        "checkpoint_ts",
    ],
    "promise_people": ["promise_id", "person_id", "position"],
    "changes": ["id", "at_ts", "command", "undone_ts"],
    "events": [
        "id",
        "promise_id",
        "change_id",
        "at_ts",
        "kind",
        "data",
        "uuid",
        "replica",
        "clock",
    ],
    "migrations": ["version", "name", "applied_ts"],
    "meta": ["key", "value"],
    "series": [
        "id",
        "uuid",
        "what",
        "people",
        "tags",
        "note",
        "rule",
        "start",
        "until_ts",
        "count",
        "made_ts",
        "stopped_ts",
        "change_id",
        "stopped_change",
        "replica",
        "clock",
        "reopened",
        "removed",
    ],
    "tombstones": ["uuid", "promise_uuid", "undo_uuid", "replica", "clock", "change_id"],
    "waiting": ["uuid", "promise_uuid", "record"],
}
EXPECTED_INDEXES = {
    "promises_status_due",
    "promises_status_closed",
    "promise_people_person",
    "events_promise",
    "events_change",
    "promises_status_due_made",
    "promises_with_effort",
    "events_uuid",
    "events_history",
    "events_clock",
    "promises_direction_status_due",
    "series_active",
    "promises_series",
    "promises_checkpoint",
    "events_moved",
    "events_notified",
    "promises_track",
    "tombstones_clock",
    "events_replica_clock",
}


def schema_of(conn: sqlite3.Connection) -> dict[str, list[str]]:
    tables = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return {t: [c[1] for c in conn.execute(f"PRAGMA table_info({t})")] for t in tables}


def test_fresh_ledger_has_the_expected_schema(tmp_path: Path) -> None:
    conn = connection.connect(tmp_path / "l.db", write=True)
    assert conn is not None
    assert schema_of(conn) == EXPECTED_TABLES
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert EXPECTED_INDEXES <= indexes
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    recorded = conn.execute("SELECT version, name FROM migrations ORDER BY version").fetchall()
    assert recorded == [(i + 1, m.__name__) for i, m in enumerate(schema.MIGRATIONS)]


def test_new_ledger_file_is_user_only(tmp_path: Path) -> None:
    path = tmp_path / "l.db"
    connection.connect(path, write=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_default_location_directory_is_created_user_only(tmp_path: Path) -> None:
    path = tmp_path / "data" / "promisekeeper" / "l.db"
    connection.connect(path, write=True, create_dirs=True)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_explicit_path_in_missing_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LedgerError, match="does not exist"):
        connection.connect(tmp_path / "nope" / "l.db", write=True)
    assert not (tmp_path / "nope").exists()


def test_reading_a_missing_ledger_creates_nothing(tmp_path: Path) -> None:
    assert connection.connect(tmp_path / "l.db", write=False) is None
    assert list(tmp_path.iterdir()) == []


def test_reopening_does_not_migrate_again(tmp_path: Path) -> None:
    path = tmp_path / "l.db"
    connection.connect(path, write=True).close()  # type: ignore[union-attr]
    conn = connection.connect(path, write=True)
    assert conn is not None
    assert conn.execute("SELECT count(*) FROM migrations").fetchone()[0] == len(schema.MIGRATIONS)


def test_newer_schema_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "l.db"
    conn = connection.connect(path, write=True)
    assert conn is not None
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(LedgerError, match="newer"):
        connection.connect(path, write=True)
    assert path.read_bytes() == before


def test_other_applications_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    other = sqlite3.connect(path)
    other.execute("CREATE TABLE foo (x)")
    other.commit()
    other.close()
    with pytest.raises(LedgerError, match="not a PromiseKeeper ledger"):
        connection.connect(path, write=True)


def test_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "l.db"
    path.write_text("hello\n" * 200)
    with pytest.raises(LedgerError, match="not a PromiseKeeper ledger"):
        connection.connect(path, write=False)
    assert path.read_text() == "hello\n" * 200


def test_a_failed_transaction_leaves_nothing(tmp_path: Path) -> None:
    conn = connection.connect(tmp_path / "l.db", write=True)
    assert conn is not None
    with pytest.raises(RuntimeError), connection.transaction(conn):
        conn.execute("INSERT INTO changes (at_ts, command) VALUES (1, 'x')")
        raise RuntimeError("boom")
    assert conn.execute("SELECT count(*) FROM changes").fetchone()[0] == 0


def test_lock_held_longer_than_busy_timeout_is_a_clear_error(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "l.db"
    connection.connect(path, write=True).close()  # type: ignore[union-attr]
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    monkeypatch.setenv("PK_BUSY_TIMEOUT_MS", "100")
    conn = connection.connect(path, write=True)
    assert conn is not None
    with pytest.raises(sqlite3.OperationalError) as info:
        with connection.transaction(conn):
            pass
    assert "locked" in str(connection.describe_error(path, info.value))
    holder.execute("ROLLBACK")


def test_the_statements_that_write_a_promise_row_name_the_same_columns() -> None:
    """The insert, the insert with an id (import) and the update write the columns of
    _ROW_COLUMNS, in that order, one value each; and those are every column but the id."""
    import re

    from promisekeeper.store import queries

    def names(sql: str) -> list[str]:
        return [c.strip() for c in sql.split(",")]

    insert = re.search(r"\((.*?)\)\s*VALUES \((.*?)\)", queries._INSERT_PROMISE, re.S)
    assert insert is not None
    assert names(insert.group(1)) == list(queries._ROW_COLUMNS)
    assert names(insert.group(2)) == ["?"] * len(queries._ROW_COLUMNS)
    with_id = re.search(r"\((.*?)\)\s*VALUES \((.*?)\)", queries._INSERT_PROMISE_WITH_ID, re.S)
    assert with_id is not None
    assert names(with_id.group(1)) == ["id", *queries._ROW_COLUMNS]
    assert names(with_id.group(2)) == ["?"] * (len(queries._ROW_COLUMNS) + 1)
    update = re.search(r"SET (.*?)\s*WHERE id = \?", queries._UPDATE_PROMISE, re.S)
    assert update is not None
    assert names(update.group(1)) == [f"{c} = ?" for c in queries._ROW_COLUMNS]
    assert set(EXPECTED_TABLES["promises"]) - {"id"} == set(queries._ROW_COLUMNS)


# -------------------------------------------------------------------------------------------------
# Lists of strings (tags, people, terms) are read as JSON reads them, however they are written
# -------------------------------------------------------------------------------------------------
def _as_json_reads(text: object) -> list[str] | None:
    import json

    try:
        value = json.loads(text)  # type: ignore[arg-type]
    except (TypeError, ValueError, RecursionError):
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None
    return value


def _read_strings(text: object) -> list[str] | None:
    from promisekeeper.store import queries

    try:
        return queries._strings(text)
    except queries._UnreadableRow:
        return None


STRINGS_SEEN = [
    "[]", '[""]', '["a"]', '["a", "b"]', '["a","b"]', '["a","b", "c"]', '["]', '["]"]',
    '[ "a" ]', '["a\\"b"]', '["a\\nb"]', '["a\nb"]', '["\u2028"]', '["é", "ü"]', '["a"],["b"]',
    '["a", 1]', '{"a": 1}', '"a"', "", "[", '["a\\u0041"]', '["\x1b[31m"]', '["a" , "b"]',
    '["Zoë \u200bW"]', '["a", "b", ""]', '["", ""]', '["a"]x', 'x["a"]', None, 5,
]  # fmt: skip


@pytest.mark.parametrize("text", STRINGS_SEEN)
def test_a_list_of_strings_reads_as_json_reads_it(text: object) -> None:
    assert _read_strings(text) == _as_json_reads(text)


def test_any_list_of_strings_reads_back_as_written() -> None:
    import json

    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=400, deadline=None)
    @given(st.lists(st.text(max_size=6), max_size=4), st.sampled_from([", ", ","]), st.booleans())
    def check(items: list[str], separator: str, ascii_only: bool) -> None:
        text = json.dumps(items, ensure_ascii=ascii_only, separators=(separator, ":"))
        assert _read_strings(text) == items
        mangled = text.replace('"', "", 1)  # no longer JSON, or not a list of strings
        assert _read_strings(mangled) == _as_json_reads(mangled)

    check()
