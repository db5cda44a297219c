"""The one module that speaks SQL: opening the ledger file, its schema and migrations, and queries.

Times are stored as integer Unix seconds (UTC), so the daily view can filter and sort in SQLite
with plain integer comparisons. Plain `sqlite3` keeps start-up fast; sqlite-utils is loaded only
for bulk import and for migrations that need `table.transform`.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from promisekeeper.errors import LedgerError
from promisekeeper.model import Event, Person, Promise

BUSY_TIMEOUT_MS = int(os.environ.get("PK_BUSY_TIMEOUT_MS", "5000"))

# ---------------------------------------------------------------------------------------------
# Migrations: a list of named functions, applied in order on open, each in its own transaction
# together with its record. Never edit or renumber one that has been released; add a new one.
# ---------------------------------------------------------------------------------------------
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


SCHEMA_VERSION = len(MIGRATIONS)


# ---------------------------------------------------------------------------------------------
# Opening the file
# ---------------------------------------------------------------------------------------------
def describe_error(path: Path, exc: BaseException) -> LedgerError:
    """Turn an sqlite3/OS error into one line that names the file and what to do."""
    text = str(exc)
    if isinstance(exc, sqlite3.DatabaseError) and "not a database" in text:
        return LedgerError(f"{path} is not a PromiseKeeper ledger (not an SQLite database)")
    if "locked" in text or "busy" in text:
        return LedgerError(f"ledger {path} is locked by another process; try again in a moment")
    if "readonly" in text or "read-only" in text:
        return LedgerError(f"ledger {path} is read-only; cannot record the change")
    if isinstance(exc, sqlite3.DatabaseError) and "malformed" in text:
        return LedgerError(f"ledger {path} is damaged ({text}); run `pk doctor`")
    if isinstance(exc, OSError) and exc.strerror:
        return LedgerError(f"cannot open ledger {path}: {exc.strerror}")
    return LedgerError(f"cannot use ledger {path}: {text}")


def _create_file(path: Path, create_dirs: bool) -> None:
    """Create the ledger file (and, for the default location, its directory) user-only."""
    parent = path.parent
    if not parent.exists():
        if not create_dirs:
            raise LedgerError(f"cannot create ledger {path}: directory {parent} does not exist")
        try:
            parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise describe_error(path, exc) from None
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise describe_error(path, exc) from None
    os.close(fd)


def connect(path: Path, *, write: bool, create_dirs: bool = False) -> sqlite3.Connection | None:
    """Open the ledger, migrating it to the current schema.

    Returns None for a read on a ledger that does not exist yet: reading creates nothing. A write
    creates the file (0600). Raises LedgerError for anything that is not a usable ledger.
    """
    if path.is_dir():
        raise LedgerError(f"ledger path {path} is a directory, not a file")
    if not path.exists():
        if not write:
            return None
        _create_file(path, create_dirs)
        created = True
    else:
        created = False
    try:
        conn = sqlite3.connect(f"file:{_uri_path(path)}?mode=rw", uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        raise describe_error(path, exc) from None
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            conn.close()
            raise LedgerError(
                f"ledger {path} was written by a newer PromiseKeeper (schema {version}, this "
                f"pk knows {SCHEMA_VERSION}); upgrade pk to use it"
            )
        if version == 0 and not created:
            _check_empty(conn, path)
        if version < SCHEMA_VERSION:
            _migrate(conn, version)
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.Error as exc:
        conn.close()
        raise describe_error(path, exc) from None
    return conn


def _uri_path(path: Path) -> str:
    return str(path.resolve()).replace("?", "%3f").replace("#", "%23")


def _check_empty(conn: sqlite3.Connection, path: Path) -> None:
    """A version-0 file with tables belongs to something else: never write our schema into it."""
    tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    if tables:
        raise LedgerError(f"{path} is an SQLite database but not a PromiseKeeper ledger")


def _migrate(conn: sqlite3.Connection, version: int) -> None:
    if version == 0:
        conn.execute("PRAGMA journal_mode = WAL")
    for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
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
        except BaseException:
            conn.execute("ROLLBACK")
            raise


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """One command's change, all of it or nothing; BEGIN IMMEDIATE takes the write lock first."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


# ---------------------------------------------------------------------------------------------
# Rows <-> dataclasses
# ---------------------------------------------------------------------------------------------
def ts(dt: datetime) -> int:
    return int(dt.timestamp())


def from_ts(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


_PROMISE_COLUMNS = """p.id, p.uuid, p.what, p.note, p.tags, p.made_ts, p.due_ts, p.original_due_ts,
    p.status, p.closed_ts, p.moves, p.late_moves, p.deleted_ts,
    (SELECT json_group_array(name) FROM (
        SELECT pe.name FROM promise_people pp JOIN people pe ON pe.id = pp.person_id
        WHERE pp.promise_id = p.id ORDER BY pp.position)) AS people,
    (SELECT json_array(e.id, e.at_ts, json_extract(e.data, '$.before_deadline')) FROM events e
        WHERE e.promise_id = p.id AND e.kind = 'notified' ORDER BY e.id DESC LIMIT 1),
    (SELECT json_array(e.id, e.at_ts) FROM events e
        WHERE e.promise_id = p.id AND e.kind = 'moved' ORDER BY e.id DESC LIMIT 1),
    (SELECT json_extract(e.data, '$.until_ts') FROM events e
        WHERE e.promise_id = p.id AND e.kind = 'snoozed' ORDER BY e.id DESC LIMIT 1)"""


def _promise(row: Sequence[Any]) -> Promise:
    promise = Promise(
        id=row[0],
        uuid=row[1],
        what=row[2],
        note=row[3],
        tags=json.loads(row[4]),
        made=datetime.fromtimestamp(row[5], UTC),
        due=datetime.fromtimestamp(row[6], UTC),
        original_due=datetime.fromtimestamp(row[7], UTC),
        status=row[8],
        closed_at=from_ts(row[9]),
        moves=row[10],
        late_moves=row[11],
        deleted_at=from_ts(row[12]),
        to=json.loads(row[13]),
        snoozed_until=from_ts(row[16]),
    )
    if row[14] is not None:
        event_id, at, before = json.loads(row[14])
        promise.told_event, promise.told_at = event_id, from_ts(at)
        promise.told_before_deadline = bool(before)
    if row[15] is not None:
        event_id, at = json.loads(row[15])
        promise.moved_event, promise.last_moved_at = event_id, from_ts(at)
    return promise


def select_promises(
    conn: sqlite3.Connection,
    where: str = "1",
    params: Sequence[Any] | dict[str, Any] = (),
    order: str = "p.due_ts, p.id",
    limit: int | None = None,
) -> list[Promise]:
    """Promises matching a WHERE clause written by this package (values always as parameters)."""
    sql = f"SELECT {_PROMISE_COLUMNS} FROM promises p WHERE {where} ORDER BY {order}"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return [_promise(row) for row in conn.execute(sql, params)]


def count_promises(conn: sqlite3.Connection, where: str = "1", params: Sequence[Any] = ()) -> int:
    return int(conn.execute(f"SELECT count(*) FROM promises p WHERE {where}", params).fetchone()[0])


def get_promise(conn: sqlite3.Connection, promise_id: int) -> Promise | None:
    found = select_promises(conn, "p.id = ?", (promise_id,))
    return found[0] if found else None


def person_id(conn: sqlite3.Connection, name: str) -> int:
    """The id of the person called `name` (case-insensitively), creating them on first mention."""
    key = name.casefold()
    row = conn.execute("SELECT id FROM people WHERE name_key = ?", (key,)).fetchone()
    if row:
        return int(row[0])
    cursor = conn.execute("INSERT INTO people (name, name_key) VALUES (?, ?)", (name, key))
    return int(cursor.lastrowid or 0)


def canonical_name(conn: sqlite3.Connection, name: str) -> str:
    """The person's name as first recorded, so `alice` and `Alice` are shown as one person."""
    row = conn.execute("SELECT name FROM people WHERE name_key = ?", (name.casefold(),)).fetchone()
    return str(row[0]) if row else name


def get_person(conn: sqlite3.Connection, name: str) -> Person | None:
    row = conn.execute(
        "SELECT id, name, email, handle, channel, note FROM people WHERE name_key = ?",
        (name.strip().casefold(),),
    ).fetchone()
    if row is None:
        return None
    return Person(id=row[0], name=row[1], email=row[2], handle=row[3], channel=row[4], note=row[5])


def all_people(conn: sqlite3.Connection) -> list[Person]:
    rows = conn.execute(
        "SELECT id, name, email, handle, channel, note FROM people ORDER BY name_key"
    )
    return [
        Person(id=r[0], name=r[1], email=r[2], handle=r[3], channel=r[4], note=r[5]) for r in rows
    ]


def save_person(conn: sqlite3.Connection, person: Person) -> None:
    """Insert or update a person's contact details (the name's case may change too)."""
    person.id = person_id(conn, person.name)
    conn.execute(
        "UPDATE people SET name = ?, email = ?, handle = ?, channel = ?, note = ? WHERE id = ?",
        (person.name, person.email, person.handle, person.channel, person.note, person.id),
    )


def save_promise(conn: sqlite3.Connection, promise: Promise) -> int:
    """Insert or update the row for a promise (the fold of its history) and its people."""
    values = (
        promise.uuid,
        promise.what,
        promise.note,
        json.dumps(promise.tags, ensure_ascii=False),
        ts(promise.made),
        ts(promise.due),
        ts(promise.original_due),
        promise.status,
        None if promise.closed_at is None else ts(promise.closed_at),
        promise.moves,
        promise.late_moves,
        None if promise.deleted_at is None else ts(promise.deleted_at),
    )
    if promise.id is None:
        cursor = conn.execute(
            """INSERT INTO promises (uuid, what, note, tags, made_ts, due_ts, original_due_ts,
                   status, closed_ts, moves, late_moves, deleted_ts)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            values,
        )
        promise.id = int(cursor.lastrowid or 0)
    else:
        conn.execute(
            """UPDATE promises SET uuid = ?, what = ?, note = ?, tags = ?, made_ts = ?, due_ts = ?,
                   original_due_ts = ?, status = ?, closed_ts = ?, moves = ?, late_moves = ?,
                   deleted_ts = ?
               WHERE id = ?""",
            (*values, promise.id),
        )
    conn.execute("DELETE FROM promise_people WHERE promise_id = ?", (promise.id,))
    conn.executemany(
        "INSERT OR IGNORE INTO promise_people (promise_id, person_id, position) VALUES (?, ?, ?)",
        [(promise.id, person_id(conn, name), pos) for pos, name in enumerate(promise.to)],
    )
    return promise.id


def remove_promise(conn: sqlite3.Connection, promise_id: int) -> None:
    """Drop a promise whose making was undone, with what little history is left."""
    conn.execute("DELETE FROM events WHERE promise_id = ?", (promise_id,))
    conn.execute("DELETE FROM promise_people WHERE promise_id = ?", (promise_id,))
    conn.execute("DELETE FROM promises WHERE id = ?", (promise_id,))


# ---------------------------------------------------------------------------------------------
# History
# ---------------------------------------------------------------------------------------------
def begin_change(conn: sqlite3.Connection, command: str, at: datetime) -> int:
    cursor = conn.execute("INSERT INTO changes (at_ts, command) VALUES (?, ?)", (ts(at), command))
    return int(cursor.lastrowid or 0)


def append_event(conn: sqlite3.Connection, event: Event) -> int:
    cursor = conn.execute(
        "INSERT INTO events (promise_id, change_id, at_ts, kind, data) VALUES (?, ?, ?, ?, ?)",
        (
            event.promise_id,
            event.change_id,
            ts(event.at),
            event.kind,
            json.dumps(event.data, ensure_ascii=False),
        ),
    )
    event.id = int(cursor.lastrowid or 0)
    return event.id


def append_events(conn: sqlite3.Connection, events: list[Event]) -> None:
    """Many events at once (import), in the order given."""
    conn.executemany(
        "INSERT INTO events (promise_id, change_id, at_ts, kind, data) VALUES (?, ?, ?, ?, ?)",
        [
            (e.promise_id, e.change_id, ts(e.at), e.kind, json.dumps(e.data, ensure_ascii=False))
            for e in events
        ],
    )


def _event(row: Sequence[Any]) -> Event:
    return Event(
        id=row[0],
        promise_id=row[1],
        change_id=row[2],
        at=datetime.fromtimestamp(row[3], UTC),
        kind=row[4],
        data=json.loads(row[5]),
    )


def events_for(conn: sqlite3.Connection, promise_id: int) -> list[Event]:
    rows = conn.execute(
        "SELECT id, promise_id, change_id, at_ts, kind, data FROM events "
        "WHERE promise_id = ? ORDER BY id",
        (promise_id,),
    )
    return [_event(row) for row in rows]


def last_change(conn: sqlite3.Connection) -> tuple[int, str, datetime] | None:
    """The most recent change that is not undone yet and still has events.

    Reminders recorded by cron are bookkeeping, not the user's changes: undo passes them by.
    """
    row = conn.execute(
        """SELECT c.id, c.command, c.at_ts FROM changes c
           WHERE c.undone_ts IS NULL AND c.command NOT IN ('remind')
             AND EXISTS (SELECT 1 FROM events e WHERE e.change_id = c.id)
           ORDER BY c.id DESC LIMIT 1"""
    ).fetchone()
    if row is None:
        return None
    return int(row[0]), str(row[1]), datetime.fromtimestamp(row[2], UTC)


def reminded_since(conn: sqlite3.Connection, since: datetime) -> dict[int, list[str]]:
    """The standings each promise was reminded about since `since` (for `pk remind`)."""
    rows = conn.execute(
        "SELECT promise_id, json_extract(data, '$.standing') FROM events "
        "WHERE kind = 'reminded' AND at_ts >= ?",
        (ts(since),),
    )
    found: dict[int, list[str]] = {}
    for promise_id, standing in rows:
        found.setdefault(int(promise_id), []).append(str(standing))
    return found


def undo_change(conn: sqlite3.Connection, change_id: int, at: datetime) -> list[int]:
    """Remove a change's events and mark it undone; returns the promises it touched."""
    touched = [
        int(row[0])
        for row in conn.execute(
            "SELECT DISTINCT promise_id FROM events WHERE change_id = ?", (change_id,)
        )
    ]
    conn.execute("DELETE FROM events WHERE change_id = ?", (change_id,))
    conn.execute("UPDATE changes SET undone_ts = ? WHERE id = ?", (ts(at), change_id))
    return touched


def uuids(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT uuid FROM promises")}
