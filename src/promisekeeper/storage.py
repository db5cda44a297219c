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
from datetime import UTC, datetime, timedelta
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


@migration
def m003_effort(conn: sqlite3.Connection) -> None:
    # How much work a promise is (seconds), for the working-time risk rule; NULL when not given.
    from sqlite_utils import Database

    Database(conn)["promises"].add_column("effort_s", int)
    # The few promises with an effort are read by the daily view whatever their due date.
    conn.execute(
        "CREATE INDEX promises_with_effort ON promises (status) WHERE effort_s IS NOT NULL"
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


def connect(path: Path, *, write: bool, create_dirs: bool = False) -> sqlite3.Connection | None:
    """Open the ledger, migrating it to the current schema.

    Returns None for a read on a ledger that does not exist yet: reading creates nothing. A write
    creates the file (0600), complete or not at all (see _create_ledger). Raises LedgerError for
    anything that is not a usable ledger, and leaves such a file untouched.
    """
    if path.is_dir():
        raise LedgerError(f"ledger path {path} is a directory, not a file")
    if not path.exists():
        if not write:
            if not create_dirs and not path.parent.is_dir():
                raise LedgerError(f"ledger {path}: directory {path.parent} does not exist")
            return None
        _create_ledger(path, create_dirs)
    _check_file(path)
    if not _file_writable(path):
        if write:
            raise LedgerError(
                f"ledger {path} is read-only; cannot record the change (make it writable: "
                f"chmod u+w {path})"
            )
        if not path.with_name(path.name + "-wal").exists():
            return _open_immutable(path)
    try:
        conn = sqlite3.connect(f"file:{_uri_path(path)}?mode=rw", uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        raise describe_error(path, exc) from None
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        version = _schema_version(conn, path)
        if version < SCHEMA_VERSION:
            _migrate(conn, version, path)
        elif write:
            _ensure_wal(conn)
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.Error as exc:
        conn.close()
        if "unable to open" in str(exc):
            return _unopenable(path, exc, write)
        raise describe_error(path, exc) from None
    except BaseException:
        conn.close()
        raise
    return conn


def _uri_path(path: Path) -> str:
    return str(path.resolve()).replace("?", "%3f").replace("#", "%23")


def _check_empty(conn: sqlite3.Connection, path: Path) -> None:
    """A version-0 file with tables belongs to something else: never write our schema into it."""
    tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    if tables:
        raise LedgerError(f"{path} is an SQLite database but not a PromiseKeeper ledger")


def _migrate(conn: sqlite3.Connection, version: int, path: Path | None = None) -> None:
    """Bring the schema to SCHEMA_VERSION, one migration per transaction.

    An existing ledger (schema 1 or later) is first copied to `<ledger>.backup-v<old>-<time>`
    (see backup_before_migration); when that copy cannot be made, nothing is migrated.
    """
    if version == 0:
        conn.execute("PRAGMA journal_mode = WAL")
    elif path is not None:
        backup_before_migration(conn, path, version)
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
        WHERE e.promise_id = p.id AND e.kind = 'snoozed' ORDER BY e.id DESC LIMIT 1),
    p.effort_s"""


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
        effort=None if row[17] is None else timedelta(seconds=row[17]),
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
        None if promise.effort is None else int(promise.effort.total_seconds()),
    )
    if promise.id is None:
        cursor = conn.execute(
            """INSERT INTO promises (uuid, what, note, tags, made_ts, due_ts, original_due_ts,
                   status, closed_ts, moves, late_moves, deleted_ts, effort_s)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            values,
        )
        promise.id = int(cursor.lastrowid or 0)
    else:
        conn.execute(
            """UPDATE promises SET uuid = ?, what = ?, note = ?, tags = ?, made_ts = ?, due_ts = ?,
                   original_due_ts = ?, status = ?, closed_ts = ?, moves = ?, late_moves = ?,
                   deleted_ts = ?, effort_s = ?
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


def histories(conn: sqlite3.Connection) -> list[tuple[Promise, list[Event]]]:
    """Every promise that is not deleted, with its history (for the track record)."""
    return [(p, events) for p, events in all_histories(conn) if p.deleted_at is None]


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


def late_kept(
    conn: sqlite3.Connection, since: datetime, limit: int = 200
) -> list[tuple[int, int, int]]:
    """(id, seconds kept after the due date, late moves) of the latest `limit` promises kept
    late since `since`: walked newest first along the (status, closed_ts) index, so the cost
    does not grow with the ledger."""
    rows = conn.execute(
        "SELECT id, closed_ts - due_ts, late_moves FROM promises "
        "WHERE status = 'kept' AND closed_ts >= ? AND deleted_ts IS NULL "
        "AND (closed_ts > due_ts OR late_moves > 0) ORDER BY closed_ts DESC LIMIT ?",
        (ts(since), limit),
    )
    return [(int(r[0]), int(r[1]), int(r[2])) for r in rows]


def recent_kept_spans(conn: sqlite3.Connection, limit: int = 200) -> list[tuple[int, int]]:
    """(seconds promised, seconds taken) of the latest kept promises, newest first."""
    rows = conn.execute(
        "SELECT original_due_ts - made_ts, closed_ts - made_ts FROM promises "
        "WHERE status = 'kept' AND deleted_ts IS NULL ORDER BY closed_ts DESC LIMIT ?",
        (limit,),
    )
    return [(int(r[0]), max(int(r[1]), 0)) for r in rows]


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


# ---------------------------------------------------------------------------------------------
# Keeping the file safe: creating it whole, refusing what is not a ledger, backups and copies.
# (Used by connect/_migrate above and by maintenance.py for pk doctor, backup and restore.)
# ---------------------------------------------------------------------------------------------
MIGRATION_BACKUPS_KEPT = 3
LEDGER_TABLES = ("promises", "events", "changes", "people", "promise_people")
_SIDE_FILES = ("-wal", "-shm", "-journal")


def _create_ledger(path: Path, create_dirs: bool) -> None:
    """Create a new ledger whole, or not at all.

    The schema is written into a private temporary file next to the ledger, which is then linked
    into place: a pk killed half-way leaves no ledger (or a stray temporary file), never an empty
    or half-made one. When two processes race, the first link wins and both use it.
    """
    parent = path.parent
    if not parent.exists():
        if not create_dirs:
            raise LedgerError(f"cannot create ledger {path}: directory {parent} does not exist")
        try:
            parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise describe_error(path, exc) from None
    try:
        tmp = temp_file_for(path, ".new")
    except OSError as exc:
        raise LedgerError(f"cannot create ledger {path}: {exc.strerror or exc}") from None
    try:
        conn = sqlite3.connect(f"file:{_uri_path(tmp)}?mode=rw", uri=True, isolation_level=None)
        try:
            _migrate(conn, 0)
        finally:
            conn.close()
        _publish(tmp, path)
    except sqlite3.Error as exc:
        raise describe_error(path, exc) from None
    except OSError as exc:
        raise LedgerError(f"cannot create ledger {path}: {exc.strerror or exc}") from None
    finally:
        remove_quietly(tmp)


def _publish(tmp: Path, path: Path) -> None:
    """Put a finished file at `path` unless something is already there."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        return  # another pk created the ledger first: use that one
    except OSError:
        if path.exists():
            return
        os.rename(tmp, path)  # a file system without hard links
    fsync_dir(path.parent)


def _check_file(path: Path) -> None:
    """Refuse, untouched, a ledger path that cannot hold a ledger (pk never makes an empty one)."""
    import stat

    try:
        info = path.stat()
    except OSError as exc:
        raise describe_error(path, exc) from None
    if not stat.S_ISREG(info.st_mode):
        raise LedgerError(f"ledger path {path} is not a regular file")
    if info.st_size == 0:
        raise LedgerError(
            f"ledger {path} is an empty file, not a PromiseKeeper ledger; if it should hold "
            "your promises, `pk restore` a backup; to start a new ledger, remove it"
        )
    if not os.access(path, os.R_OK):
        raise LedgerError(f"cannot open ledger {path}: Permission denied")
    if path.with_name(path.name + "-wal").exists():
        _check_header(path)


def _check_header(path: Path) -> None:
    """Refuse a file that is not an SQLite database before SQLite opens it for real: it would
    remove the -wal lying next to it, and that log may be all that is left of the ledger.

    The header is read through SQLite, immutable (no locks, no -wal, no -shm), never with
    open(): closing a second descriptor of the file drops the locks this process's connections
    hold on it, and another pk could then delete the -wal they use. Only "not a database" counts
    here; an immutable read of a ledger in use can see a page mid-checkpoint, so anything else
    is left to the real open to judge.
    """
    try:
        probe = sqlite3.connect(f"file:{_uri_path(path)}?mode=ro&immutable=1", uri=True)
        try:
            probe.execute("PRAGMA user_version").fetchone()
        finally:
            probe.close()
    except sqlite3.DatabaseError as exc:
        if "not a database" in str(exc):
            raise describe_error(path, exc) from None
    except sqlite3.Error:
        pass


def _ensure_wal(conn: sqlite3.Connection) -> None:
    """Switch back to WAL a ledger that was copied into place by hand from a backup."""
    if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        try:
            conn.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError:
            pass  # in use by another process, or read-only: it works without, only slower


def _unopenable(path: Path, exc: sqlite3.Error, write: bool) -> sqlite3.Connection:
    """SQLite could not open the ledger's -wal/-shm files: usually a read-only directory.

    Reading still works then, from the file alone, when no -wal file is waiting to be applied
    (nobody can be writing: a writer would need to create one).
    """
    parent = path.parent
    if not directory_writable(parent):
        if not write and not path.with_name(path.name + "-wal").exists():
            return _open_immutable(path)
        raise LedgerError(
            f"cannot use ledger {path}: its directory {parent} is read-only, and SQLite needs to "
            f"keep {path.name}-wal and {path.name}-shm next to it; make the directory writable"
        )
    raise describe_error(path, exc)


def _file_writable(path: Path) -> bool:
    """Whether the ledger file can be written: mode bits, a read-only mount, or (for root too)
    an immutable file. Asked with access(), never by opening it (see _check_file)."""
    return os.access(path, os.W_OK)


def _schema_version(conn: sqlite3.Connection, path: Path) -> int:
    """The ledger's schema version; a newer pk's ledger, or another program's database, is
    refused before anything is written to it."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise LedgerError(
            f"ledger {path} was written by a newer PromiseKeeper (schema {version}, this "
            f"pk knows {SCHEMA_VERSION}); upgrade pk to use it"
        )
    if version == 0:
        _check_empty(conn, path)
    return version


def _open_immutable(path: Path) -> sqlite3.Connection:
    """Read a ledger that nobody can be writing (read-only, and no -wal waiting), creating
    nothing next to it: SQLite is told the file cannot change, so it needs no -wal or -shm."""
    try:
        conn = sqlite3.connect(
            f"file:{_uri_path(path)}?mode=ro&immutable=1", uri=True, isolation_level=None
        )
    except sqlite3.Error as exc:
        raise describe_error(path, exc) from None
    try:
        version = _schema_version(conn, path)
        if version < SCHEMA_VERSION:
            raise LedgerError(
                f"ledger {path} needs upgrading to schema {SCHEMA_VERSION} but is read-only; "
                "make it (and its directory) writable"
            )
    except sqlite3.Error as exc:
        conn.close()
        raise describe_error(path, exc) from None
    except BaseException:
        conn.close()
        raise
    return conn


def directory_writable(directory: Path) -> bool:
    """Whether a file can be created in `directory` (tried, since root ignores mode bits)."""
    import tempfile

    try:
        fd, name = tempfile.mkstemp(prefix=".pk-probe-", dir=directory)
    except OSError:
        return False
    os.close(fd)
    os.unlink(name)
    return True


def temp_file_for(path: Path, suffix: str) -> Path:
    """A new empty user-only (0600) file next to `path`, hidden, named after it."""
    import tempfile

    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    return Path(name)


def temp_files_of(path: Path) -> list[Path]:
    """Temporary files that an interrupted pk may have left next to the ledger."""
    import glob

    pattern = f".{glob.escape(path.name)}.*"
    return sorted(
        p
        for p in path.parent.glob(pattern)
        if p.name.endswith((".new", ".tmp")) or any(p.name.endswith(s) for s in _SIDE_FILES)
    )


def remove_quietly(path: Path) -> None:
    """Remove a file and SQLite's side files for it, if they are there."""
    for name in (path, *(path.with_name(path.name + s) for s in _SIDE_FILES)):
        try:
            os.unlink(name)
        except FileNotFoundError:
            pass


def fsync_dir(directory: Path) -> None:
    """Make a rename or link in `directory` durable (best effort: not every system allows it)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def utc_stamp() -> str:
    """The current time for file names: 20261123T090000Z (real time, not PK_NOW)."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def stamped_path(path: Path, label: str) -> Path:
    """`<ledger>.<label>-<UTC time>`, with -2, -3... when that name is taken."""
    base = path.with_name(f"{path.name}.{label}-{utc_stamp()}")
    candidate, n = base, 1
    while candidate.exists():
        n += 1
        candidate = base.with_name(f"{base.name}-{n}")
    return candidate


def open_existing(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """An existing SQLite file, opened as it is: no migration, no schema written, no WAL change.

    For pk doctor, backup and restore, which must look at broken or foreign files safely. A
    file that cannot be written, or is asked for read-only, is read without creating anything
    next to it when no -wal is waiting to be applied.
    """
    _check_file(path)
    mode = "ro" if readonly else "rw"
    if not path.with_name(path.name + "-wal").exists() and (
        readonly or not _file_writable(path) or not directory_writable(path.parent)
    ):
        mode = "ro&immutable=1"
    uri = f"file:{_uri_path(path)}?mode={mode}"
    try:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA user_version").fetchone()
    except sqlite3.Error as exc:
        raise describe_error(path, exc) from None
    return conn


def describe_database(conn: sqlite3.Connection) -> dict[str, Any]:
    """Schema version, journal mode, size and row counts, as far as the file allows."""
    info: dict[str, Any] = {
        "schema_version": conn.execute("PRAGMA user_version").fetchone()[0],
        "journal_mode": conn.execute("PRAGMA journal_mode").fetchone()[0],
        "page_size": conn.execute("PRAGMA page_size").fetchone()[0],
        "page_count": conn.execute("PRAGMA page_count").fetchone()[0],
    }
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    info["missing_tables"] = [t for t in LEDGER_TABLES if t not in tables]
    info["counts"] = {}
    if not info["missing_tables"]:
        info["counts"] = {
            "promises": count_promises(conn, "p.deleted_ts IS NULL"),
            "deleted": count_promises(conn, "p.deleted_ts IS NOT NULL"),
            "events": conn.execute("SELECT count(*) FROM events").fetchone()[0],
            "people": conn.execute("SELECT count(*) FROM people").fetchone()[0],
            "changes": conn.execute("SELECT count(*) FROM changes").fetchone()[0],
        }
    return info


def integrity_problems(conn: sqlite3.Connection, limit: int = 10) -> list[str]:
    """What PRAGMA integrity_check finds wrong (empty when the file is sound)."""
    rows = [str(r[0]) for r in conn.execute(f"PRAGMA integrity_check({int(limit)})")]
    return [] if rows == ["ok"] else rows


def all_histories(conn: sqlite3.Connection) -> list[tuple[Promise, list[Event]]]:
    """Every promise row, deleted ones included, with its events (one query for all events)."""
    promises = select_promises(conn, order="p.id")
    by_id: dict[int, list[Event]] = {p.id or 0: [] for p in promises}
    rows = conn.execute(
        "SELECT id, promise_id, change_id, at_ts, kind, data FROM events ORDER BY promise_id, id"
    )
    for row in rows:
        by_id.setdefault(int(row[1]), []).append(_event(row))
    return [(p, by_id[p.id or 0]) for p in promises]


def orphan_event_promises(conn: sqlite3.Connection) -> list[int]:
    """Promise ids that have events but no row."""
    rows = conn.execute(
        "SELECT DISTINCT promise_id FROM events WHERE promise_id NOT IN (SELECT id FROM promises)"
    )
    return sorted(int(r[0]) for r in rows)


def copy_database(conn: sqlite3.Connection, dest: Path) -> None:
    """A consistent copy of the open database at `dest`, made with SQLite's backup API.

    Safe while other processes use the ledger. The copy is written to a temporary file next to
    `dest` and renamed over it, so `dest` is never half-written; it is user-only (0600) and a
    single self-contained file (rollback journal, no -wal).
    """
    tmp = temp_file_for(dest, ".tmp")
    try:
        target = sqlite3.connect(f"file:{_uri_path(tmp)}?mode=rw", uri=True, isolation_level=None)
        try:
            conn.backup(target)
            target.execute("PRAGMA journal_mode = DELETE")
        finally:
            target.close()
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, dest)
        fsync_dir(dest.parent)
    finally:
        remove_quietly(tmp)


def restore_into(source: sqlite3.Connection, conn: sqlite3.Connection) -> None:
    """Replace the whole content of the open ledger `conn` with `source`, in one transaction.

    The backup API copies every page under the ledger's write lock; other processes see the old
    ledger or the new one, never a mixture, and a process killed half-way leaves the old one.
    """
    source.backup(conn)


def backup_before_migration(conn: sqlite3.Connection, path: Path, version: int) -> Path:
    """Copy the ledger to `<ledger>.backup-v<version>-<UTC time>` before migrating it; keep the
    newest MIGRATION_BACKUPS_KEPT such copies. Nothing is migrated when the copy fails."""
    target = stamped_path(path, f"backup-v{version}")
    try:
        copy_database(conn, target)
    except (OSError, sqlite3.Error) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise LedgerError(
            f"cannot back up ledger {path} before upgrading it from schema {version} "
            f"({reason}); nothing was changed"
        ) from None
    for old in migration_backups(path)[:-MIGRATION_BACKUPS_KEPT]:
        remove_quietly(old)
    return target


def migration_backups(path: Path) -> list[Path]:
    """The ledger's automatic pre-migration backups, oldest first."""
    import glob
    import re

    pattern = re.compile(
        re.escape(path.name) + r"\.backup-v(\d+)-(\d{8}T\d{6}Z)(?:-(\d+))?$", re.ASCII
    )
    found = []
    for candidate in path.parent.glob(f"{glob.escape(path.name)}.backup-v*"):
        match = pattern.match(candidate.name)
        if match:
            found.append(((match.group(2), int(match.group(3) or 1)), candidate))
    return [p for _key, p in sorted(found)]


def backups_of(path: Path) -> list[Path]:
    """Every backup pk keeps next to the ledger (before migrations, before restores, and
    `pk backup` without a path), oldest first by modification time."""
    import glob

    found = [
        p
        for p in path.parent.glob(f"{glob.escape(path.name)}.*")
        if p.is_file()
        and (".backup-" in p.name or ".before-restore-" in p.name)
        and not any(p.name.endswith(s) for s in _SIDE_FILES)
    ]
    return sorted(found, key=lambda p: (p.stat().st_mtime, p.name))


def set_wal(path: Path) -> None:
    """Put a ledger file (a restored copy, not yet in use) in WAL mode, leaving no -wal behind."""
    conn = sqlite3.connect(f"file:{_uri_path(path)}?mode=rw", uri=True, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
    finally:
        conn.close()


def journal_mode_of(path: Path) -> str:
    """The journal mode, wal or delete, as the file header says (bytes 18-19); PRAGMA cannot
    tell when the file was opened immutable. While a -wal exists the ledger is in WAL mode and
    may be open: the header is then not read (closing a descriptor would drop SQLite's locks),
    and without one no WAL connection is open, so reading it is safe."""
    if path.with_name(path.name + "-wal").exists():
        return "wal"
    with open(path, "rb") as handle:
        header = handle.read(100)
    return "wal" if len(header) == 100 and header[18] == 2 and header[19] == 2 else "delete"
