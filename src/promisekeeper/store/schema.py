"""The ledger's schema: numbered migrations, applied in order on open.

Migrations are a list of named functions, each applied in its own transaction together with its
record in the `migrations` table and `PRAGMA user_version`. Never edit or renumber one that has
been released; add a new one. An existing ledger is copied aside before it is upgraded.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from promisekeeper.model.errors import LedgerError, PkError
from promisekeeper.store.files import backup_before_migration

Migration = Callable[[sqlite3.Connection], None]


MIGRATIONS: list[Migration] = []


migration = MIGRATIONS.append


@migration
def m001_initial(conn: sqlite3.Connection) -> None:
    for statement in (
        """CREATE TABLE people (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            name_key TEXT NOT NULL UNIQUE,
            email TEXT,
            handle TEXT,
            channel TEXT,
            note TEXT
        )""",
        """CREATE TABLE promises (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            uuid TEXT NOT NULL UNIQUE,
            what TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            tags TEXT NOT NULL DEFAULT '[]',
            made_ts INTEGER NOT NULL,
            due_ts INTEGER NOT NULL,
            original_due_ts INTEGER NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('open', 'kept', 'broken', 'released')),
            closed_ts INTEGER,
            moves INTEGER NOT NULL DEFAULT 0,
            late_moves INTEGER NOT NULL DEFAULT 0,
            deleted_ts INTEGER
        )""",
        """CREATE TABLE promise_people (
            promise_id INTEGER NOT NULL REFERENCES promises(id) ON DELETE CASCADE,
            person_id INTEGER NOT NULL REFERENCES people(id),
            position INTEGER NOT NULL,
            PRIMARY KEY (promise_id, person_id)
        )""",
        """CREATE TABLE changes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at_ts INTEGER NOT NULL,
            command TEXT NOT NULL,
            undone_ts INTEGER
        )""",
        """CREATE TABLE events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            promise_id INTEGER NOT NULL,
            change_id INTEGER REFERENCES changes(id),
            at_ts INTEGER NOT NULL,
            kind TEXT NOT NULL,
            data TEXT NOT NULL DEFAULT '{}'
        )""",
        "CREATE INDEX promises_status_due ON promises (status, due_ts)",
        "CREATE INDEX promises_status_closed ON promises (status, closed_ts)",
        "CREATE INDEX promise_people_person ON promise_people (person_id)",
        "CREATE INDEX events_promise ON events (promise_id, id)",
        "CREATE INDEX events_change ON events (change_id)",
    ):
        conn.execute(statement)


@migration
def m002_index_for_the_daily_view(conn: sqlite3.Connection) -> None:
    # Covers every column the daily view filters open promises on, so `pk today` and the open
    # count read index entries only, never the rows of promises they do not show.
    conn.execute(
        "CREATE INDEX promises_status_due_made ON promises (status, due_ts, made_ts, deleted_ts)"
    )


@migration
def m003_effort(conn: sqlite3.Connection) -> None:
    # How much work a promise is (seconds), for the working-time risk rule; NULL when not given.
    from sqlite_utils import Database

    Database(conn)["promises"].add_column("effort_s", int)
    # The few promises with an effort are read by the daily view whatever their due date.
    conn.execute(
        "CREATE INDEX promises_with_effort ON promises (status) WHERE effort_s IS NOT NULL"
    )


@migration
def m004_event_identity_and_move_lateness(conn: sqlite3.Connection) -> None:
    # Every event gets an identity for replication: a uuid, the replica (this ledger) that wrote
    # it, and a hybrid-logical-clock stamp. Existing events are stamped in the order they were
    # recorded, so every history keeps its order.
    import uuid

    from promisekeeper.model.events import tick

    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    replica = uuid.uuid4().hex
    conn.execute("INSERT INTO meta (key, value) VALUES ('replica', ?)", (replica,))
    conn.execute("ALTER TABLE events ADD COLUMN uuid TEXT")
    conn.execute("ALTER TABLE events ADD COLUMN replica TEXT")
    conn.execute("ALTER TABLE events ADD COLUMN clock INTEGER")
    stamps = []
    last = 0
    for event_id, at_ts in conn.execute("SELECT id, at_ts FROM events ORDER BY id"):
        last = tick(datetime.fromtimestamp(at_ts, UTC), last)
        stamps.append((str(uuid.uuid4()), replica, last, event_id))
    conn.executemany("UPDATE events SET uuid = ?, replica = ?, clock = ? WHERE id = ?", stamps)
    conn.execute("CREATE UNIQUE INDEX events_uuid ON events (uuid)")
    conn.execute("CREATE INDEX events_history ON events (promise_id, clock, replica, uuid)")
    conn.execute("CREATE INDEX events_clock ON events (clock)")
    # And a promise kept on a date moved after its deadline is late by how long after that
    # deadline the move came: the fold keeps it on the row (seconds), so lateness needs no
    # history.
    from promisekeeper.model.times import from_iso

    conn.execute("ALTER TABLE promises ADD COLUMN moved_late_s INTEGER NOT NULL DEFAULT 0")
    late: dict[int, int] = {}
    rows = conn.execute(
        "SELECT promise_id, at_ts, json_extract(data, '$.from') FROM events "
        "WHERE kind = 'moved' AND json_extract(data, '$.before_deadline') = 0"
    )
    for promise_id, at_ts, old_due in rows:
        try:
            seconds = max(at_ts - int(from_iso(old_due).timestamp()), 0)
        except (PkError, OverflowError, ValueError):
            continue  # an unreadable move: left at 0, and pk doctor names the promise
        late[promise_id] = max(late.get(promise_id, 0), seconds)
    conn.executemany(
        "UPDATE promises SET moved_late_s = ? WHERE id = ?", [(s, i) for i, s in late.items()]
    )


@migration
def m005_direction(conn: sqlite3.Connection) -> None:
    # Whose promise it is: "mine" (you promised it) or "owed" (someone promised it to you),
    # folded from the made event's "direction" (absent: mine, as every earlier promise is).
    conn.execute(
        "ALTER TABLE promises ADD COLUMN direction TEXT NOT NULL DEFAULT 'mine'"
        " CHECK (direction IN ('mine', 'owed'))"
    )
    conn.execute(
        """UPDATE promises SET direction = 'owed' WHERE id IN (
            SELECT promise_id FROM events WHERE kind = 'made' AND json_valid(data)
                AND json_extract(data, '$.direction') = 'owed')"""
    )
    # The daily view and the open counts read one direction at a time, from index entries
    # only (as promises_status_due_made lets them for all promises).
    conn.execute(
        "CREATE INDEX promises_direction_status_due ON promises"
        " (direction, status, due_ts, made_ts, deleted_ts)"
    )


@migration
def m006_series(conn: sqlite3.Connection) -> None:
    # Recurring promises: a series (its rule in words, the local time of its first occurrence,
    # its end, and when `pk stop` ended it), replicated by export and import; each occurrence
    # is a promise that names its series and the time it was scheduled for (folded from its
    # `made` event).
    conn.execute(
        """CREATE TABLE series (
            id INTEGER PRIMARY KEY,
            uuid TEXT NOT NULL UNIQUE,
            what TEXT NOT NULL,
            people TEXT NOT NULL DEFAULT '[]',
            tags TEXT NOT NULL DEFAULT '[]',
            note TEXT NOT NULL DEFAULT '',
            rule TEXT NOT NULL,
            start TEXT NOT NULL,
            until_ts INTEGER,
            count INTEGER,
            made_ts INTEGER NOT NULL,
            stopped_ts INTEGER,
            change_id INTEGER,
            stopped_change INTEGER
        )"""
    )
    conn.execute("CREATE INDEX series_active ON series (stopped_ts)")
    conn.execute("ALTER TABLE promises ADD COLUMN series_uuid TEXT")
    conn.execute("ALTER TABLE promises ADD COLUMN occurrence_ts INTEGER")
    conn.execute(
        "CREATE INDEX promises_series ON promises (series_uuid, occurrence_ts)"
        " WHERE series_uuid IS NOT NULL"
    )


@migration
def m007_terms_and_checkpoints(conn: sqlite3.Connection) -> None:
    # The terms of a promise (what it includes and excludes: JSON lists; where it was promised)
    # and its checkpoints (a JSON list of {what, by, done}), folded from its history like every
    # other column; `checkpoint_ts` is the date of its earliest checkpoint not ticked off, so
    # the daily view finds the promises with a missed one on an index, never by reading each.
    import json

    for statement in (
        "ALTER TABLE promises ADD COLUMN includes TEXT NOT NULL DEFAULT '[]'",
        "ALTER TABLE promises ADD COLUMN excludes TEXT NOT NULL DEFAULT '[]'",
        "ALTER TABLE promises ADD COLUMN source TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE promises ADD COLUMN checkpoints TEXT NOT NULL DEFAULT '[]'",
        "ALTER TABLE promises ADD COLUMN checkpoint_ts INTEGER",
        "CREATE INDEX promises_checkpoint ON promises (status, checkpoint_ts)"
        " WHERE checkpoint_ts IS NOT NULL",
    ):
        conn.execute(statement)
    # An older pk stores no checkpoints and edits no terms, but keeps the terms of a `made`
    # event it imported from a newer export: fold those into the new columns.
    from promisekeeper.model.errors import InvalidInput
    from promisekeeper.model.events import Made

    rows = conn.execute(
        "SELECT promise_id, data FROM events WHERE kind = 'made' AND (data LIKE '%\"includes\"%'"
        " OR data LIKE '%\"excludes\"%' OR data LIKE '%\"source\"%')"
    ).fetchall()
    for promise_id, data in rows:
        try:
            made = Made.from_data(json.loads(data))
        except (InvalidInput, TypeError, ValueError, RecursionError):
            continue  # an unreadable event: pk doctor names the promise
        conn.execute(
            "UPDATE promises SET includes = ?, excludes = ?, source = ? WHERE id = ?",
            (
                json.dumps(made.includes, ensure_ascii=False),
                json.dumps(made.excludes, ensure_ascii=False),
                made.source,
                promise_id,
            ),
        )


@migration
def m008_index_for_the_track_record(conn: sqlite3.Connection) -> None:
    # `pk stats`, `pk trust` and `pk report` read two kinds of event only, moves and notices
    # (store.track): an index of each, partial so that it holds those events alone, lets them
    # be read without passing over every other event (a query's `kind = 'moved'` matches a
    # partial index's WHERE only as that same term, so one index per kind). The notices' index
    # is in history order, as the first notice of each promise is read.
    conn.execute("CREATE INDEX events_moved ON events (promise_id) WHERE kind = 'moved'")
    conn.execute(
        "CREATE INDEX events_notified ON events (promise_id, clock, replica, uuid)"
        " WHERE kind = 'notified'"
    )
    # And every column of a promise the track record counts with, so its GROUP BYs and sorts
    # read this index, a fraction of the rows' size, and never the rows.
    conn.execute(
        "CREATE INDEX promises_track ON promises"
        " (status, due_ts, closed_ts, late_moves, moved_late_s, made_ts, deleted_ts)"
    )


@migration
def m009_sync(conn: sqlite3.Connection) -> None:
    # Convergence between replicas (issue 15). `pk undo` leaves a tombstone for each event it
    # takes back (the undo's uuid, replica and clock, the change it undid, the promise's uuid),
    # so the undo travels and an undone event is never stored again; events of a promise that
    # arrived before its making are kept aside in `waiting` until it comes. People and series
    # get the replica and clock of the snapshot they hold (the latest wins); the `clock` in
    # meta keeps the ledger's clock past every stamp it has seen that no event row holds.
    for statement in (
        """CREATE TABLE tombstones (
            uuid TEXT PRIMARY KEY,
            promise_uuid TEXT,
            undo_uuid TEXT NOT NULL,
            replica TEXT NOT NULL,
            clock INTEGER NOT NULL,
            change_id INTEGER
        )""",
        "CREATE INDEX tombstones_clock ON tombstones (replica, clock)",
        """CREATE TABLE waiting (
            uuid TEXT PRIMARY KEY,
            promise_uuid TEXT NOT NULL,
            record TEXT NOT NULL
        )""",
        "ALTER TABLE people ADD COLUMN replica TEXT",
        "ALTER TABLE people ADD COLUMN clock INTEGER",
        "ALTER TABLE series ADD COLUMN replica TEXT",
        "ALTER TABLE series ADD COLUMN clock INTEGER",
        "ALTER TABLE series ADD COLUMN reopened INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE series ADD COLUMN removed INTEGER NOT NULL DEFAULT 0",
        "CREATE INDEX events_replica_clock ON events (replica, clock)",
    ):
        conn.execute(statement)
    # What this ledger knew before is its own snapshot: people with details and every series
    # are stamped as this replica's, after every event, so they travel on the first sync.
    replica = conn.execute("SELECT value FROM meta WHERE key = 'replica'").fetchone()[0]
    last = conn.execute("SELECT coalesce(max(clock), 0) FROM events").fetchone()[0]
    people = conn.execute(
        "SELECT id FROM people WHERE coalesce(email, handle, channel, note) IS NOT NULL"
        " ORDER BY id"
    ).fetchall()
    for (row_id,) in people:
        last += 1
        conn.execute(
            "UPDATE people SET replica = ?, clock = ? WHERE id = ?", (replica, last, row_id)
        )
    for (row_id,) in conn.execute("SELECT id FROM series ORDER BY id").fetchall():
        last += 1
        conn.execute(
            "UPDATE series SET replica = ?, clock = ? WHERE id = ?", (replica, last, row_id)
        )
    conn.execute("INSERT INTO meta (key, value) VALUES ('clock', ?)", (str(last),))


SCHEMA_VERSION = len(MIGRATIONS)


def check_empty(conn: sqlite3.Connection, path: Path) -> None:
    """A version-0 file with tables belongs to something else: never write our schema into it."""
    tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    if tables:
        raise LedgerError(f"{path} is an SQLite database but not a PromiseKeeper ledger")


def migrate(
    conn: sqlite3.Connection, version: int, path: Path | None = None, *, upto: int | None = None
) -> None:
    """Bring the schema to SCHEMA_VERSION (or `upto`), one migration per transaction.

    An existing ledger (schema 1 or later) is first copied to `<ledger>.backup-v<old>-<time>`
    (see backup_before_migration); when that copy cannot be made, nothing is migrated.
    """
    if version == 0:
        conn.execute("PRAGMA journal_mode = WAL")
    elif path is not None:
        backup_before_migration(conn, path, version)
    last = SCHEMA_VERSION if upto is None else upto
    for number, step in enumerate(MIGRATIONS[version:last], start=version + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated while we waited for the lock.
            current = conn.execute("PRAGMA user_version").fetchone()[0]
            if current >= number:
                conn.execute("COMMIT")
                continue
            if number == 1:
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS migrations "
                    "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ts INTEGER NOT NULL)"
                )
            step(conn)
            conn.execute(
                "INSERT INTO migrations (version, name, applied_ts) VALUES (?, ?, ?)",
                (number, step.__name__, int(datetime.now(UTC).timestamp())),
            )
            conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            conn.execute("ROLLBACK")
            if path is None or "locked" in str(exc) or "busy" in str(exc):
                raise
            raise LedgerError(
                f"could not upgrade ledger {path} to schema {number} ({exc}); it is unchanged "
                f"at schema {number - 1}"
            ) from None
        except BaseException:
            conn.execute("ROLLBACK")
            raise


LEDGER_TABLES = ("promises", "events", "changes", "people", "promise_people")


# -------------------------------------------------------------------------------------------------
# What a ledger may hold: exactly the schema objects pk's migrations create
# -------------------------------------------------------------------------------------------------
SchemaObject = tuple[str, str, str, str]  # type, name, table, SQL (whitespace collapsed)


def schema_objects(conn: sqlite3.Connection) -> set[SchemaObject]:
    """The tables, indexes, views and triggers in a database, SQLite's own (sqlite_stat1 of
    ANALYZE, sqlite_sequence, automatic indexes) left out."""
    rows = conn.execute("SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master")
    return {
        (kind, name, table, " ".join(sql.split()))
        for kind, name, table, sql in rows
        if not name.startswith("sqlite_")
    }


_EXPECTED: dict[int, frozenset[SchemaObject]] = {}


def expected_objects(version: int) -> frozenset[SchemaObject]:
    """The schema objects pk's own migrations create up to `version`, built in memory."""
    if version not in _EXPECTED:
        conn = sqlite3.connect(":memory:", isolation_level=None)
        try:
            migrate(conn, 0, upto=version)
            _EXPECTED[version] = frozenset(schema_objects(conn))
        finally:
            conn.close()
    return _EXPECTED[version]


def foreign_objects(conn: sqlite3.Connection, version: int) -> list[str]:
    """What in the database pk's migrations did not create, or created differently, as
    "trigger wipe" words (empty for a ledger pk made); for a schema `version` pk knows."""
    expected = expected_objects(version)
    found = schema_objects(conn)
    expected_names = {(kind, name) for kind, name, _table, _sql in expected}
    found_names = {(kind, name) for kind, name, _table, _sql in found}
    words = [
        f"{kind} {name}" + (" (altered)" if (kind, name) in expected_names else "")
        for kind, name, _table, _sql in sorted(found - expected)
    ]
    words += [f"{kind} {name} (missing)" for kind, name in sorted(expected_names - found_names)]
    return words


def triggers(conn: sqlite3.Connection) -> list[str]:
    """The names of the triggers in the ledger: pk creates none, so any is someone else's code
    that would run on pk's changes."""
    return [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")]
