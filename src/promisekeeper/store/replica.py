"""The SQL of replication: this replica's own records since a clock stamp, tombstones of
undone events, events waiting for the making of their promise, and the snapshots of people and
series with the stamp that decides which wins (services.replica says how they are used)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from promisekeeper.model.promise import Person, name_key
from promisekeeper.store import queries

if TYPE_CHECKING:
    from promisekeeper.model.series import Series

# An event as this replica wrote it: (promise uuid, at, kind, details, uuid, replica, clock).
OwnEvent = tuple[str, datetime, str, dict[str, Any], str, str, int]


def _chunks(items: Sequence[Any], size: int = 500) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def own_events(conn: sqlite3.Connection, replica: str, after: int) -> list[OwnEvent]:
    """The events `replica` wrote with a clock past `after`, in clock order."""
    rows = conn.execute(
        "SELECT e.id, e.promise_id, e.change_id, e.at_ts, e.kind, e.data, e.uuid, e.replica,"
        " e.clock, p.uuid FROM events e JOIN promises p ON p.id = e.promise_id"
        " WHERE e.replica = ? AND e.clock > ? ORDER BY e.clock, e.uuid",
        (replica, after),
    )
    found: list[OwnEvent] = []
    for row in rows:
        data, at, clock, _problem = queries._event_fields(row)
        found.append((str(row[9]), at, str(row[4]), data, str(row[6]), str(row[7]), clock))
    return found


def own_undos(
    conn: sqlite3.Connection, replica: str, after: int
) -> list[tuple[str, int, list[str]]]:
    """The undos `replica` recorded with a clock past `after`: (undo uuid, clock, the uuids
    of the events it took back), in clock order."""
    found: dict[str, tuple[str, int, list[str]]] = {}
    rows = conn.execute(
        "SELECT undo_uuid, clock, uuid FROM tombstones WHERE replica = ? AND clock > ?"
        " ORDER BY clock, undo_uuid, uuid",
        (replica, after),
    )
    for undo, clock, uuid in rows:
        found.setdefault(undo, (undo, int(clock), []))[2].append(str(uuid))
    return list(found.values())


def own_people(conn: sqlite3.Connection, replica: str, after: int) -> list[tuple[Person, int]]:
    """The people whose details are `replica`'s snapshot, stamped past `after`."""
    rows = conn.execute(
        "SELECT id, name, email, handle, channel, note, clock FROM people"
        " WHERE replica = ? AND clock > ? ORDER BY clock",
        (replica, after),
    )
    return [
        (Person(id=r[0], name=r[1], email=r[2], handle=r[3], channel=r[4], note=r[5]), int(r[6]))
        for r in rows
    ]


def person_stamp(conn: sqlite3.Connection, name: str) -> tuple[int, str] | None:
    """The (clock, replica) of the snapshot a person's details are (None: no person by that
    name, or details never set by any replica)."""
    row = conn.execute(
        "SELECT clock, replica FROM people WHERE name_key = ?", (name_key(name),)
    ).fetchone()
    if row is None or row[0] is None:
        return None
    return int(row[0]), str(row[1] or "")


def put_person(conn: sqlite3.Connection, person: Person, replica: str, clock: int) -> None:
    """Store another replica's snapshot of a person (name as it spells it, and details)."""
    queries.save_person(conn, person)
    conn.execute(
        "UPDATE people SET replica = ?, clock = ? WHERE id = ?", (replica, clock, person.id)
    )


_SERIES = "uuid, what, people, tags, note, rule, start, until_ts, count, made_ts, stopped_ts"


def own_series(
    conn: sqlite3.Connection, replica: str, after: int
) -> list[tuple[Series, int, int, bool]]:
    """The series whose state is `replica`'s snapshot, stamped past `after`: (series,
    clock, the clock of the stop it reopened or 0, removed)."""
    rows = conn.execute(
        f"SELECT {_SERIES}, clock, reopened, removed FROM series"
        " WHERE replica = ? AND clock > ? ORDER BY clock",
        (replica, after),
    ).fetchall()
    found = []
    for row in rows:
        series = queries._series(row)
        if series is not None:
            found.append((series, int(row[11]), int(row[12] or 0), bool(row[13])))
    return found


def series_state(conn: sqlite3.Connection, uuid: str) -> tuple[int, int, str, bool, int] | None:
    """What decides which snapshot of a series wins: (clock, reopened, replica, removed,
    stopped); None when the ledger has no row for it."""
    row = conn.execute(
        "SELECT coalesce(clock, 0), reopened, coalesce(replica, ''), removed,"
        " stopped_ts IS NOT NULL FROM series WHERE uuid = ?",
        (uuid,),
    ).fetchone()
    if row is None:
        return None
    return int(row[0]), int(row[1]), str(row[2]), bool(row[3]), int(row[4])


def put_series(
    conn: sqlite3.Connection,
    series: Series,
    replica: str,
    clock: int,
    reopened: int,
    removed: bool,
) -> None:
    """Store another replica's snapshot of a series, as it is there."""
    values = (*queries.series_row(series), replica, clock, reopened, int(removed))
    conn.execute(
        "INSERT INTO series (uuid, what, people, tags, note, rule, start, until_ts, count,"
        " made_ts, stopped_ts, replica, clock, reopened, removed)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (uuid) DO UPDATE SET what = excluded.what, people = excluded.people,"
        " tags = excluded.tags, note = excluded.note, rule = excluded.rule,"
        " start = excluded.start, until_ts = excluded.until_ts, count = excluded.count,"
        " made_ts = excluded.made_ts, stopped_ts = excluded.stopped_ts,"
        " stopped_change = NULL, replica = excluded.replica, clock = excluded.clock,"
        " reopened = excluded.reopened, removed = excluded.removed",
        (series.uuid, *values),
    )


def add_tombstones(conn: sqlite3.Connection, rows: list[tuple[str, str, str, int]]) -> int:
    """Record (event uuid, undo uuid, replica, clock) tombstones from another replica, with
    the promise of each event the ledger holds; those known already are left as they are.
    Returns how many are new."""
    before = conn.total_changes
    conn.executemany(
        "INSERT OR IGNORE INTO tombstones (uuid, promise_uuid, undo_uuid, replica, clock)"
        " VALUES (?1, (SELECT p.uuid FROM events e JOIN promises p ON p.id = e.promise_id"
        " WHERE e.uuid = ?1), ?2, ?3, ?4)",
        rows,
    )
    return conn.total_changes - before


def tombstoned(conn: sqlite3.Connection, uuids: Sequence[str]) -> set[str]:
    """Which of these event uuids were undone (here or on another replica)."""
    found: set[str] = set()
    for chunk in _chunks(list(uuids)):
        marks = ", ".join("?" for _ in chunk)
        rows = conn.execute(f"SELECT uuid FROM tombstones WHERE uuid IN ({marks})", chunk)
        found.update(str(row[0]) for row in rows)
    return found


def event_stamps(conn: sqlite3.Connection, uuids: Sequence[str]) -> dict[str, tuple[int, str, int]]:
    """The events the ledger holds among these uuids: uuid -> (clock, replica, promise id)."""
    found: dict[str, tuple[int, str, int]] = {}
    for chunk in _chunks(list(uuids)):
        marks = ", ".join("?" for _ in chunk)
        rows = conn.execute(
            f"SELECT uuid, clock, replica, promise_id FROM events WHERE uuid IN ({marks})", chunk
        )
        found.update({str(r[0]): (int(r[1]), str(r[2]), int(r[3])) for r in rows})
    return found


def restamp(conn: sqlite3.Connection, rows: list[tuple[int, str, str]]) -> None:
    """Give held events another stamp: (clock, replica, event uuid) rows."""
    conn.executemany("UPDATE events SET clock = ?, replica = ? WHERE uuid = ?", rows)


def take_back(conn: sqlite3.Connection, uuids: Sequence[str]) -> tuple[set[int], int]:
    """Delete the events with these uuids the ledger holds: the promises they were of, and
    how many there were."""
    touched: set[int] = set()
    count = 0
    for chunk in _chunks(list(uuids)):
        marks = ", ".join("?" for _ in chunk)
        rows = conn.execute(
            f"SELECT DISTINCT promise_id FROM events WHERE uuid IN ({marks})", chunk
        )
        touched.update(int(row[0]) for row in rows)
        count += conn.execute(f"DELETE FROM events WHERE uuid IN ({marks})", chunk).rowcount
    return touched, count


def promise_uuid(conn: sqlite3.Connection, promise_id: int) -> str:
    row = conn.execute("SELECT uuid FROM promises WHERE id = ?", (promise_id,)).fetchone()
    return str(row[0])


def promise_ids(conn: sqlite3.Connection, uuids: Sequence[str]) -> dict[str, int]:
    """The local ids of the promises with these uuids the ledger holds."""
    found: dict[str, int] = {}
    for chunk in _chunks(list(uuids)):
        marks = ", ".join("?" for _ in chunk)
        rows = conn.execute(f"SELECT uuid, id FROM promises WHERE uuid IN ({marks})", chunk)
        found.update((str(row[0]), int(row[1])) for row in rows)
    return found


def waiting(conn: sqlite3.Connection) -> list[tuple[str, str, str]]:
    """The events waiting for the making of their promise: (uuid, promise uuid, record)."""
    return [
        (str(r[0]), str(r[1]), str(r[2]))
        for r in conn.execute("SELECT uuid, promise_uuid, record FROM waiting ORDER BY uuid")
    ]


def count_waiting(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM waiting").fetchone()[0])


def set_waiting(conn: sqlite3.Connection, rows: list[tuple[str, str, str]]) -> None:
    """What waits now: these (uuid, promise uuid, record), instead of what waited before."""
    conn.execute("DELETE FROM waiting")
    conn.executemany("INSERT INTO waiting (uuid, promise_uuid, record) VALUES (?, ?, ?)", rows)
