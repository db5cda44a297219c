"""Rows and events: the SQL that reads and writes promises, people, changes and histories.

Times are stored as integer Unix seconds (UTC), so views filter and sort in SQLite with plain
integer comparisons; above the store every time is an aware datetime.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from promisekeeper.model.errors import PkError
from promisekeeper.model.promise import (
    MAX_CHECKPOINTS,
    Checkpoint,
    Person,
    Promise,
    effort_in_bounds,
    name_key,
)
from promisekeeper.model.times import from_iso, from_timestamp, in_range
from promisekeeper.store.schema import LEDGER_TABLES

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up)
if TYPE_CHECKING:
    from typing import Any

    from promisekeeper.model.events import Event
    from promisekeeper.model.series import Series


def ts(dt: datetime) -> int:
    return int(dt.timestamp())


def from_ts(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


_NO_TIME = datetime.fromtimestamp(0, UTC)  # the time shown for an event whose time is unreadable


# Who was told and when, the date they last heard, and a snooze: read from the history with
# each row (row[14:17] in _promise).
_TOLD = """(SELECT json_array(e.clock, e.at_ts, json_extract(e.data, '$.before_deadline'))
        FROM events e
        WHERE e.promise_id = p.id AND e.kind = 'notified' ORDER BY e.clock DESC LIMIT 1)"""
_HEARD = """(SELECT json_extract(m.data, '$.from') FROM events m
        WHERE m.promise_id = p.id AND m.kind = 'moved' AND m.clock > coalesce(
            (SELECT max(n.clock) FROM events n WHERE n.promise_id = p.id AND n.kind = 'notified'),
            -1)
        ORDER BY m.clock LIMIT 1)"""
_SNOOZED = """(SELECT json_extract(e.data, '$.until') FROM events e
        WHERE e.promise_id = p.id AND e.kind = 'snoozed' ORDER BY e.clock DESC LIMIT 1)"""
_NOTICES = f"""
    {_TOLD},
    {_HEARD},
    {_SNOOZED}"""

_PROMISE_COLUMNS = f"""p.id, p.uuid, p.what, p.note, p.tags, p.made_ts, p.due_ts, p.original_due_ts,
    p.status, p.closed_ts, p.moves, p.late_moves, p.deleted_ts,
    (SELECT json_group_array(name) FROM (
        SELECT pe.name FROM promise_people pp JOIN people pe ON pe.id = pp.person_id
        WHERE pp.promise_id = p.id ORDER BY pp.position)) AS people,
    {_NOTICES},
    p.effort_s, p.moved_late_s, p.direction, p.series_uuid, p.occurrence_ts,
    p.includes, p.excludes, p.source, p.checkpoints"""

# The same row without what was told, heard or snoozed (None in _promise): for reads that need
# only the promise's own fields and its standing, which none of them changes.
_PROMISE_COLUMNS_UNTOLD = _PROMISE_COLUMNS.replace(_NOTICES, "NULL, NULL, NULL")


# The same row for a listing of many promises: what was told, heard or snoozed is looked up
# only for the promises listed that have a notice, a move or a snooze in their history, found
# in one pass over their events (along the events' promise index) before the first row, not
# on every row (select_promises' `noted`).
_PROMISE_COLUMNS_MANY = _PROMISE_COLUMNS.replace(
    _NOTICES,
    ",".join(f"\n    CASE WHEN p.id IN noted THEN {one} END" for one in (_TOLD, _HEARD, _SNOOZED)),
)


class _UnreadableRow(Exception):
    """A promise row holding a value pk never writes (an older or a tampered pk)."""


def _time(value: Any) -> datetime:
    moment = from_timestamp(value)
    if moment is None:
        raise _UnreadableRow
    return moment


def _optional_time(value: Any) -> datetime | None:
    return None if value is None else _time(value)


def _history_time(text: Any) -> datetime | None:
    """A time read from an event's details with the row: None when unreadable (the event
    itself then reads as unreadable, and doctor names it)."""
    try:
        moment = from_iso(text)
    except PkError:
        return None
    return moment if in_range(moment) else None


def _strings(text: Any) -> list[str]:
    if text == "[]":
        return []
    if type(text) is str and len(text) > 3 and text[:2] == '["' and text[-2:] == '"]':
        # The shapes pk writes (json.dumps's ", ", SQLite's ","), read without a JSON parser
        # when nothing is escaped: with no backslash every quote is one a string begins or
        # ends with, and printable text holds no control character JSON would refuse.
        inner = text[2:-2]
        if "\\" not in inner:
            for separator in ('", "', '","'):
                items = inner.split(separator)
                if not any('"' in item or not item.isprintable() for item in items):
                    return items
    try:
        value = json.loads(text)
    except (TypeError, ValueError, RecursionError):
        raise _UnreadableRow from None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _UnreadableRow
    return value


def _count(value: Any, most: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= most:
        raise _UnreadableRow
    return value


_MOST_SECONDS = 9000 * 366 * 24 * 3600  # longer than any span between two times in range
_NO_SPAN = timedelta(0)  # shared by the rows never moved late (a timedelta never changes)


def _direction(value: Any) -> str:
    if value not in ("mine", "owed"):
        raise _UnreadableRow
    return str(value)


def _checkpoints(text: Any) -> list[Checkpoint]:
    """The checkpoints column: [{"what", "by", "done"}] with times as Unix seconds."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError, RecursionError):
        raise _UnreadableRow from None
    if not isinstance(value, list) or len(value) > MAX_CHECKPOINTS:
        raise _UnreadableRow
    found = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("what"), str):
            raise _UnreadableRow
        found.append(
            Checkpoint(item["what"], _time(item.get("by")), _optional_time(item.get("done")))
        )
    return found


def _checkpoints_text(checkpoints: list[Checkpoint]) -> str:
    return json.dumps(
        [
            {
                "what": c.what,
                "by": ts(c.by),
                "done": None if c.done_at is None else ts(c.done_at),
            }
            for c in checkpoints
        ],
        ensure_ascii=False,
    )


def _promise(row: Sequence[Any]) -> Promise:
    """A promise row, typed; _UnreadableRow when a value is not one pk writes."""
    (
        promise_id, uuid, what, note, tags, made, due, original_due, status, closed, moves,
        late_moves, deleted, to, _told, _heard, snoozed, effort, late_s, direction, series,
        occurrence, includes, excludes, source, checkpoints, *_more,  # pk doctor reads one more
    ) = row  # fmt: skip
    if not isinstance(what, str) or not isinstance(note, str) or not isinstance(source, str):
        raise _UnreadableRow
    if effort is not None and not effort_in_bounds(effort):
        raise _UnreadableRow
    promise = Promise(
        id=promise_id,
        uuid=uuid,
        what=what,
        note=note,
        tags=_strings(tags),
        made=_time(made),
        due=_time(due),
        original_due=_time(original_due),
        status=status,
        closed_at=_optional_time(closed),
        moves=_count(moves, 2**62),
        late_moves=_count(late_moves, 2**62),
        deleted_at=_optional_time(deleted),
        to=_strings(to),
        snoozed_until=None if snoozed is None else _history_time(snoozed),
        effort=None if effort is None else timedelta(seconds=effort),
        moved_late_by=_NO_SPAN if not _count(late_s, _MOST_SECONDS) else timedelta(seconds=late_s),
        direction=_direction(direction),
        series=series if isinstance(series, str) else None,
        occurrence=None if occurrence is None else _time(occurrence),
        includes=_strings(includes),
        excludes=_strings(excludes),
        source=source,
        checkpoints=[] if checkpoints == "[]" else _checkpoints(checkpoints),
    )
    if row[14] is not None:
        try:
            clock, at, before = json.loads(row[14])
        except (TypeError, ValueError):
            clock, at, before = 0, None, None
        if isinstance(clock, int) and from_timestamp(at) is not None:
            promise.told_clock, promise.told_at = clock, from_timestamp(at)
            promise.told_before_deadline = bool(before)
    if row[15] is not None:
        # the date in force before the first move since
        promise.heard_due = _history_time(row[15])
    return promise


def _read(conn: sqlite3.Connection, row: Sequence[Any]) -> Promise | None:
    """A promise from its row or, when the row holds a value pk never writes, from its
    history (as `pk doctor` would rebuild it); None when neither can be read."""
    try:
        return _promise(row)
    except _UnreadableRow:
        pass
    from promisekeeper.model.history import fold

    try:
        promise = fold(events_for(conn, row[0]))
    except (PkError, ValueError):
        return None
    if promise is not None:
        promise.id = row[0]
    return promise


def unreadable_promise_rows(conn: sqlite3.Connection) -> list[int]:
    """Ids of promise rows holding a value pk never writes (for `pk doctor`)."""
    rows = conn.execute(
        f"SELECT {_PROMISE_COLUMNS}, p.checkpoint_ts FROM promises p ORDER BY p.id"
    )
    found = []
    for row in rows:
        try:
            promise = _promise(row)
        except _UnreadableRow:
            found.append(int(row[0]))
            continue
        if row[-1] != _next_checkpoint_ts(promise):
            found.append(int(row[0]))  # the daily view's index would miss its checkpoint
    return found


def select_promises(
    conn: sqlite3.Connection,
    where: str = "1",
    params: Sequence[Any] | dict[str, Any] = (),
    order: str = "p.due_ts, p.id",
    limit: int | None = None,
    *,
    many: bool = False,
) -> list[Promise]:
    """Promises matching a WHERE clause written by this package (values always as parameters);
    `many` for a listing of any number of them (the same promises, read in fewer steps when
    there are thousands, in a few more when there is one)."""
    if many:
        sql = f"""WITH noted(id) AS MATERIALIZED (
            SELECT h.promise_id FROM events h
            WHERE h.promise_id IN (SELECT p.id FROM promises p WHERE {where})
                AND h.kind IN ('notified', 'moved', 'snoozed'))
        SELECT {_PROMISE_COLUMNS_MANY} FROM promises p WHERE {where} ORDER BY {order}"""
        if not isinstance(params, dict):  # the WHERE clause is written twice: its values too
            params = [*params, *params]
    else:
        sql = f"SELECT {_PROMISE_COLUMNS} FROM promises p WHERE {where} ORDER BY {order}"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    found = (_read(conn, row) for row in conn.execute(sql, params).fetchall())
    return [promise for promise in found if promise is not None]


def promises_with_ids(conn: sqlite3.Connection, promise_ids: list[int]) -> dict[int, Promise]:
    """These promises (deleted ones included), by id, in one query per 500."""
    found: dict[int, Promise] = {}
    for start in range(0, len(promise_ids), 500):
        chunk = promise_ids[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        found.update((p.id or 0, p) for p in select_promises(conn, f"p.id IN ({marks})", chunk))
    return found


def count_promises(conn: sqlite3.Connection, where: str = "1", params: Sequence[Any] = ()) -> int:
    return int(conn.execute(f"SELECT count(*) FROM promises p WHERE {where}", params).fetchone()[0])


def get_promise(conn: sqlite3.Connection, promise_id: int) -> Promise | None:
    found = select_promises(conn, "p.id = ?", (promise_id,))
    return found[0] if found else None


# Your own promises (not those owed to you): what your day, your counts and your record are
# made of. Expectations are read by the queries that name them (`owed`).
MINE = "p.direction = 'mine'"
OPEN = f"{MINE} AND p.status = 'open' AND p.deleted_ts IS NULL"
KEPT_SINCE = f"{MINE} AND p.status = 'kept' AND p.deleted_ts IS NULL AND p.closed_ts >= ?"


def list_promises(
    conn: sqlite3.Connection,
    *,
    to_key: str | None,
    status: str,
    tag: str | None,
    due_before: datetime | None,
    include_deleted: bool,
    direction: str | None = None,
) -> list[Promise]:
    """`pk list`: promises filtered by person (case-folded name), status, tag, due time and
    direction ("mine", "owed"; None: both)."""
    where = ["1" if include_deleted else "p.deleted_ts IS NULL"]
    params: list[Any] = []
    if direction is not None:
        where.append("p.direction = ?")
        params.append(direction)
    if status != "all":
        where.append("p.status = ?")
        params.append(status)
    if to_key:
        where.append(
            "p.id IN (SELECT pp.promise_id FROM promise_people pp JOIN people pe"
            " ON pe.id = pp.person_id WHERE pe.name_key = ?)"
        )
        params.append(to_key)
    if tag:
        where.append("EXISTS (SELECT 1 FROM json_each(p.tags) WHERE json_each.value = ?)")
        params.append(tag)
    if due_before is not None:
        where.append("p.due_ts < ?")
        params.append(ts(due_before))
    return select_promises(conn, " AND ".join(where), params, many=True)


def open_needing_a_look(
    conn: sqlite3.Connection,
    *,
    due_before: datetime,
    now: datetime,
    fraction: float,
    direction: str = "mine",
) -> list[Promise]:
    """Open promises that may be overdue, due soon or at risk: due before `due_before`, or
    with less than `fraction` of their span left, or with an effort (whose risk depends on
    working time), or with a checkpoint not ticked off by now. Yours, or with `direction`
    "owed" those owed to you. A superset the caller narrows with the rules; the subqueries are
    answered from the covering index promises_direction_status_due and the partial indexes
    alone, so the cost follows what is shown."""
    return select_promises(
        conn,
        """p.id IN (SELECT id FROM promises WHERE direction = :direction AND status = 'open'
               AND deleted_ts IS NULL AND (
               due_ts < :before
               OR (due_ts > :now AND (due_ts - :now) < :fraction * (due_ts - made_ts))))
           OR p.id IN (SELECT id FROM promises
               WHERE status = 'open' AND effort_s IS NOT NULL AND deleted_ts IS NULL
               AND direction = :direction)
           OR p.id IN (SELECT id FROM promises WHERE status = 'open'
               AND checkpoint_ts IS NOT NULL AND checkpoint_ts < :now AND deleted_ts IS NULL
               AND direction = :direction)""",
        {"before": ts(due_before), "now": ts(now), "fraction": fraction, "direction": direction},
    )


OWED_OPEN = "p.direction = 'owed' AND p.status = 'open' AND p.deleted_ts IS NULL"


def open_owed(conn: sqlite3.Connection, limit: int | None = None) -> list[Promise]:
    """Open promises owed to you, soonest due first."""
    return select_promises(conn, OWED_OPEN, limit=limit)


def count_open_owed(conn: sqlite3.Connection) -> int:
    return count_promises(conn, OWED_OPEN)


def kept_since(
    conn: sqlite3.Connection,
    since: datetime,
    *,
    newest_first: bool = False,
    limit: int | None = None,
) -> list[Promise]:
    order = "p.closed_ts DESC, p.id DESC" if newest_first else "p.closed_ts, p.id"
    return select_promises(conn, KEPT_SINCE, (ts(since),), order, limit=limit)


def count_kept_since(conn: sqlite3.Connection, since: datetime) -> int:
    return count_promises(conn, KEPT_SINCE, (ts(since),))


def count_open(conn: sqlite3.Connection) -> int:
    return count_promises(conn, OPEN)


def open_due_after(
    conn: sqlite3.Connection, moment: datetime, limit: int | None = None
) -> list[Promise]:
    """Open promises due after `moment`, soonest first."""
    return select_promises(conn, f"{OPEN} AND p.due_ts > ?", (ts(moment),), limit=limit)


def count_open_due_between(conn: sqlite3.Connection, start: datetime, end: datetime) -> int:
    return count_promises(conn, f"{OPEN} AND p.due_ts >= ? AND p.due_ts < ?", (ts(start), ts(end)))


def open_moved(conn: sqlite3.Connection) -> list[Promise]:
    """Open promises whose date was moved at least once."""
    return select_promises(conn, f"{OPEN} AND p.moves > 0")


def _events_of(
    conn: sqlite3.Connection, promise_ids: list[int], kind: str | None = None
) -> dict[int, list[Event]]:
    """The histories of these promises (only events of `kind`, when given) in one query per
    500 (not one per promise), each in history order."""
    found: dict[int, list[Event]] = {}
    only = "AND kind = ? " if kind else ""
    for start in range(0, len(promise_ids), 500):
        chunk = promise_ids[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        rows = conn.execute(
            f"SELECT {_EVENT_COLUMNS} FROM events WHERE promise_id IN ({marks}) {only}"
            f"ORDER BY promise_id, {_HISTORY_ORDER}",
            [*chunk, kind] if kind else chunk,
        )
        for row in rows:
            found.setdefault(int(row[1]), []).append(_event(row))
    return found


def person_id(conn: sqlite3.Connection, name: str) -> int:
    """The id of the person called `name` (case-insensitively), creating them on first mention."""
    key = name_key(name)
    row = conn.execute("SELECT id FROM people WHERE name_key = ?", (key,)).fetchone()
    if row:
        return int(row[0])
    cursor = conn.execute("INSERT INTO people (name, name_key) VALUES (?, ?)", (name, key))
    return int(cursor.lastrowid or 0)


def canonical_name(conn: sqlite3.Connection, name: str) -> str:
    """The person's name as first recorded, so `alice` and `Alice` are shown as one person."""
    row = conn.execute("SELECT name FROM people WHERE name_key = ?", (name_key(name),)).fetchone()
    return str(row[0]) if row else name


def get_person(conn: sqlite3.Connection, name: str) -> Person | None:
    row = conn.execute(
        "SELECT id, name, email, handle, channel, note FROM people WHERE name_key = ?",
        (name_key(name),),
    ).fetchone()
    if row is None:
        return None
    return Person(id=row[0], name=row[1], email=row[2], handle=row[3], channel=row[4], note=row[5])


# Someone `pk people` shows: a promise to them that is not deleted (open or closed), or
# details recorded with `pk person`. A name whose only promises were deleted (or undone) is not.
KNOWN_PERSON = """(EXISTS (SELECT 1 FROM promise_people pp JOIN promises p ON p.id = pp.promise_id
        WHERE pp.person_id = pe.id AND p.deleted_ts IS NULL)
    OR coalesce(pe.email, pe.handle, pe.channel, pe.note) IS NOT NULL)"""


def _people(conn: sqlite3.Connection, where: str) -> list[Person]:
    rows = conn.execute(
        "SELECT pe.id, pe.name, pe.email, pe.handle, pe.channel, pe.note FROM people pe"
        f" WHERE {where} ORDER BY pe.name_key"
    )
    return [
        Person(id=r[0], name=r[1], email=r[2], handle=r[3], channel=r[4], note=r[5]) for r in rows
    ]


def all_people(conn: sqlite3.Connection) -> list[Person]:
    """Everyone a promise names (whatever became of it), or added with `pk person` (here or
    on another replica): not a name left behind by a promise whose making was undone, which
    another replica never saw."""
    return _people(
        conn,
        "EXISTS (SELECT 1 FROM promise_people pp WHERE pp.person_id = pe.id)"
        " OR pe.clock IS NOT NULL"
        " OR coalesce(pe.email, pe.handle, pe.channel, pe.note) IS NOT NULL",
    )


def known_people(conn: sqlite3.Connection) -> list[Person]:
    """The people `pk people` lists (KNOWN_PERSON)."""
    return _people(conn, KNOWN_PERSON)


def save_person(conn: sqlite3.Connection, person: Person, at: datetime | None = None) -> None:
    """Insert or update a person's contact details (the name's case may change too); with
    `at`, stamped as this replica's snapshot of them at that time (so they travel)."""
    person.id = person_id(conn, person.name)
    conn.execute(
        "UPDATE people SET name = ?, email = ?, handle = ?, channel = ?, note = ? WHERE id = ?",
        (person.name, person.email, person.handle, person.channel, person.note, person.id),
    )
    if at is not None:
        replica, clock = new_stamp(conn, at)
        conn.execute(
            "UPDATE people SET replica = ?, clock = ? WHERE id = ?", (replica, clock, person.id)
        )


# The columns of a promise row, in the order of _promise_values, written out in each statement
# (SQL text is never built at run time); tests/test_storage.py checks the three agree.
_ROW_COLUMNS = (
    "uuid", "what", "note", "tags", "made_ts", "due_ts", "original_due_ts", "status",
    "closed_ts", "moves", "late_moves", "deleted_ts", "effort_s", "moved_late_s", "direction",
    "series_uuid", "occurrence_ts", "includes", "excludes", "source", "checkpoints",
    "checkpoint_ts",
)
_INSERT_PROMISE = """INSERT INTO promises (uuid, what, note, tags, made_ts, due_ts,
    original_due_ts, status, closed_ts, moves, late_moves, deleted_ts, effort_s, moved_late_s,
    direction, series_uuid, occurrence_ts, includes, excludes, source, checkpoints,
    checkpoint_ts)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""
_INSERT_PROMISE_WITH_ID = """INSERT INTO promises (id, uuid, what, note, tags, made_ts, due_ts,
    original_due_ts, status, closed_ts, moves, late_moves, deleted_ts, effort_s, moved_late_s,
    direction, series_uuid, occurrence_ts, includes, excludes, source, checkpoints,
    checkpoint_ts)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""
_UPDATE_PROMISE = """UPDATE promises SET uuid = ?, what = ?, note = ?, tags = ?,
    made_ts = ?, due_ts = ?, original_due_ts = ?, status = ?, closed_ts = ?, moves = ?,
    late_moves = ?, deleted_ts = ?, effort_s = ?, moved_late_s = ?, direction = ?,
    series_uuid = ?, occurrence_ts = ?, includes = ?, excludes = ?, source = ?,
    checkpoints = ?, checkpoint_ts = ?
    WHERE id = ?"""


def _promise_values(promise: Promise) -> tuple[Any, ...]:
    return (
        promise.uuid,
        promise.what,
        promise.note,
        _encode(promise.tags),
        ts(promise.made),
        ts(promise.due),
        ts(promise.original_due),
        promise.status,
        None if promise.closed_at is None else ts(promise.closed_at),
        promise.moves,
        promise.late_moves,
        None if promise.deleted_at is None else ts(promise.deleted_at),
        None if promise.effort is None else int(promise.effort.total_seconds()),
        int(promise.moved_late_by.total_seconds()),
        promise.direction,
        promise.series,
        None if promise.occurrence is None else ts(promise.occurrence),
        json.dumps(promise.includes, ensure_ascii=False),
        json.dumps(promise.excludes, ensure_ascii=False),
        promise.source,
        _checkpoints_text(promise.checkpoints),
        _next_checkpoint_ts(promise),
    )


def _next_checkpoint_ts(promise: Promise) -> int | None:
    found = promise.next_checkpoint_by
    return None if found is None else ts(found)


def save_promise(conn: sqlite3.Connection, promise: Promise) -> int:
    """Insert or update the row for a promise (the fold of its history) and its people."""
    values = _promise_values(promise)
    if promise.id is None:
        cursor = conn.execute(_INSERT_PROMISE, values)
        promise.id = int(cursor.lastrowid or 0)
    else:
        conn.execute(
            _UPDATE_PROMISE,
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


def begin_change(conn: sqlite3.Connection, command: str, at: datetime) -> int:
    cursor = conn.execute("INSERT INTO changes (at_ts, command) VALUES (?, ?)", (ts(at), command))
    return int(cursor.lastrowid or 0)


def replica_id(conn: sqlite3.Connection) -> str:
    """This ledger's replica id: which machine's copy wrote an event."""
    return str(conn.execute("SELECT value FROM meta WHERE key = 'replica'").fetchone()[0])


def last_clock(conn: sqlite3.Connection) -> int:
    """The latest clock stamp the ledger has seen (0 when none): its events' and the `clock`
    in meta, which holds the stamps no event row keeps (undos, people, series, and events
    taken back since)."""
    row = conn.execute(
        "SELECT max(coalesce((SELECT max(clock) FROM events), 0),"
        " coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'clock'), 0))"
    ).fetchone()
    return int(row[0])


def advance_clock(conn: sqlite3.Connection, clock: int) -> None:
    """Keep the ledger's clock at or past `clock`, a stamp it has seen."""
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('clock', ?) ON CONFLICT (key) DO UPDATE"
        " SET value = CAST(max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER)) AS TEXT)",
        (str(int(clock)),),
    )


def new_stamp(conn: sqlite3.Connection, at: datetime) -> tuple[str, int]:
    """This replica and its next clock stamp at wall time `at`, for a record that is not an
    event (an undo, a person's details, a series): the ledger's clock moves past it."""
    from promisekeeper.model.events import tick

    clock = tick(at, last_clock(conn))
    advance_clock(conn, clock)
    return replica_id(conn), clock


def stamp(conn: sqlite3.Connection, events: list[Event]) -> None:
    """Give events without an identity this replica's: a uuid and the next clock stamps, past
    every stamp the ledger holds (its own and those imported from other replicas), so the
    clock never goes back."""
    from promisekeeper.model.events import new_uuid, tick

    if all(e.uuid and e.replica and e.clock for e in events):
        return
    replica = replica_id(conn)
    last = last_clock(conn)
    for event in events:
        event.uuid = event.uuid or new_uuid()
        event.replica = event.replica or replica
        event.clock = event.clock or tick(event.at, last)
        last = max(last, event.clock)


_INSERT_EVENT = """INSERT INTO events
    (promise_id, change_id, at_ts, kind, data, uuid, replica, clock)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)"""


_encode = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(..., ensure_ascii=False)


def _event_row(e: Event) -> tuple[Any, ...]:
    data = _encode(e.data)
    return (e.promise_id, e.change_id, ts(e.at), e.kind, data, e.uuid, e.replica, e.clock)


def append_event(conn: sqlite3.Connection, event: Event) -> int:
    stamp(conn, [event])
    cursor = conn.execute(_INSERT_EVENT, _event_row(event))
    event.id = int(cursor.lastrowid or 0)
    return event.id


def append_events(conn: sqlite3.Connection, events: list[Event]) -> None:
    """Many events at once (import), in the order given."""
    stamp(conn, events)
    conn.executemany(_INSERT_EVENT, [_event_row(e) for e in events])


class HistoryWriter:
    """Many new promises stored with their histories in one change (import): each promise row
    inserted at once (its id is needed), its people and events gathered and written in
    batches with executemany; people's names and ids, this replica and the latest clock read
    once and kept up to date, instead of asked again for every promise."""

    BATCH = 2000

    def __init__(self, conn: sqlite3.Connection, change_id: int) -> None:
        self.conn = conn
        self.change_id = change_id
        self._names: dict[str, str] = {}
        self._ids: dict[str, int] = {}
        self._replica: str | None = None
        self._last = 0
        self._next_id: int | None = None
        # Room for the pages a large import changes (its indexes take rows in no order), so
        # they are written once at the end instead of spilled and read back: 32 MiB at most,
        # for this connection only.
        conn.execute("PRAGMA cache_size = -32768")  # KiB
        self._promises: list[tuple[Any, ...]] = []
        self._people: list[tuple[int, int, int]] = []
        self._events: list[tuple[Any, ...]] = []

    def canonical(self, name: str) -> str:
        """canonical_name, counting the names this writer has stored."""
        key = name_key(name)
        if key not in self._names:
            self._names[key] = canonical_name(self.conn, name)
        return self._names[key]

    def stamp(self, events: list[Event]) -> None:
        """stamp, counting the clocks this writer has stored."""
        import uuid

        from promisekeeper.model.events import tick

        if not all(e.uuid and e.replica and e.clock for e in events):
            if self._replica is None:
                self.flush()
                self._replica, self._last = replica_id(self.conn), last_clock(self.conn)
            # A history without any identity (an older export, a plain record: no replica,
            # clocks in the order given) is this replica's from now on: stamped past every
            # stamp the ledger holds, in the same order, so that the next sync sends it (a
            # sync sends what is past its marker).
            anew = not any(e.replica for e in events) and all(
                one.clock < two.clock for one, two in zip(events, events[1:], strict=False)
            )
            for event in events:
                event.uuid = event.uuid or str(uuid.uuid4())
                event.replica = event.replica or self._replica
                if anew or not event.clock:
                    event.clock = tick(event.at, self._last)
                self._last = max(self._last, event.clock)
        elif self._replica is not None:
            self._last = max(self._last, *(e.clock for e in events))

    def add(self, promise: Promise, events: list[Event]) -> int:
        """A new promise (the fold of `events`, stamped) and its events; returns its id (the
        one AUTOINCREMENT would give: past every id the ledger has held)."""
        if self._next_id is None:
            self._next_id = int(
                self.conn.execute(
                    "SELECT max(coalesce((SELECT seq FROM sqlite_sequence"
                    " WHERE name = 'promises'), 0), coalesce((SELECT max(id) FROM promises), 0))"
                ).fetchone()[0]
            )
        self._next_id += 1
        promise.id = self._next_id
        self._promises.append((promise.id, *_promise_values(promise)))
        for position, name in enumerate(promise.to):
            key = name_key(name)
            if key not in self._ids:
                self._ids[key] = person_id(self.conn, name)
            self._people.append((promise.id, self._ids[key], position))
        for event in events:
            event.promise_id, event.change_id = promise.id, self.change_id
            self._events.append(_event_row(event))
        if len(self._events) >= self.BATCH:
            self.flush()
        return promise.id

    def flush(self) -> None:
        """Write what is gathered (before a query that must see it)."""
        if self._promises:
            self.conn.executemany(_INSERT_PROMISE_WITH_ID, self._promises)
            self._next_id = None  # asked again: a query in between may have added one
        self.conn.executemany(
            "INSERT OR IGNORE INTO promise_people (promise_id, person_id, position)"
            " VALUES (?, ?, ?)",
            self._people,
        )
        self.conn.executemany(_INSERT_EVENT, self._events)
        self._promises, self._people, self._events = [], [], []


def known_promise_uuids(conn: sqlite3.Connection, uuids: list[str]) -> set[str]:
    """Which of these promise uuids the ledger already holds."""
    found: set[str] = set()
    for start in range(0, len(uuids), 500):
        chunk = uuids[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        rows = conn.execute(f"SELECT uuid FROM promises WHERE uuid IN ({marks})", chunk)
        found.update(str(row[0]) for row in rows)
    return found


def known_event_uuids(conn: sqlite3.Connection, uuids: list[str]) -> set[str]:
    """Which of these event uuids the ledger already holds."""
    found: set[str] = set()
    for start in range(0, len(uuids), 500):
        chunk = uuids[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        rows = conn.execute(f"SELECT uuid FROM events WHERE uuid IN ({marks})", chunk)
        found.update(str(row[0]) for row in rows)
    return found


def promises_with_uuid_start(
    conn: sqlite3.Connection, starts: list[str], limit: int, *, include_deleted: bool = False
) -> tuple[int, list[tuple[int, str]]]:
    """How many promises have a uuid that begins with one of `starts` (at most 4 spellings of
    one prefix: rules.ids.uuid_forms), and the first `limit` of them as (id, uuid) by uuid;
    deleted ones only with `include_deleted`. Each spelling is a range of the uuid index,
    never a scan."""
    if not starts:
        return 0, []
    bounds: list[Any] = []
    for start in [*starts, *[""] * (_UUID_SPELLINGS - len(starts))]:  # "": an empty range
        bounds += [start, _just_after(start) if start else "", int(include_deleted)]
    rows = conn.execute(_UUID_STARTS_FIRST, (*bounds, limit)).fetchall()
    total = len(rows)
    if total >= limit:
        total = int(conn.execute(_UUID_STARTS_COUNT, bounds).fetchone()[0])
    return total, [(int(row[0]), str(row[1])) for row in rows]


def promise_with_uuid(conn: sqlite3.Connection, uuid: str) -> int | None:
    """The local id of the promise whose uuid is exactly `uuid`."""
    row = conn.execute(
        "SELECT id FROM promises WHERE uuid = ? AND deleted_ts IS NULL", (uuid,)
    ).fetchone()
    return int(row[0]) if row else None


_UUID_SPELLINGS = 4
_UUID_STARTS = " UNION ".join(
    ["SELECT id, uuid FROM promises WHERE uuid >= ? AND uuid < ? AND (deleted_ts IS NULL OR ?)"]
    * _UUID_SPELLINGS
)
_UUID_STARTS_FIRST = _UUID_STARTS + " ORDER BY uuid LIMIT ?"  # orders the matches only
_UUID_STARTS_COUNT = "SELECT count(*) FROM (" + _UUID_STARTS + ")"


def _just_after(start: str) -> str:
    """The smallest text after every text that begins with `start` (which ends in a hex digit
    or a letter: the next character is a bound)."""
    return start[:-1] + chr(ord(start[-1]) + 1)


_EVENT_COLUMNS = "id, promise_id, change_id, at_ts, kind, data, uuid, replica, clock"
_HISTORY_ORDER = "clock, replica, uuid"


def _event_fields(row: Sequence[Any]) -> tuple[dict[str, Any], datetime, int, str]:
    """An event row's details, time and clock (columns as in _EVENT_COLUMNS), each read as
    pk reads what it never writes (details that are not a JSON object kept as text under
    "unreadable", a time out of range as 1970, a clock that is not a stamp as 0), and what was
    wrong ("" when nothing)."""
    problem = ""
    try:
        data = json.loads(row[5])
    except (TypeError, ValueError, RecursionError):
        data = None
    if not isinstance(data, dict):
        problem = "its details are not a JSON object"
        data = {"unreadable": str(row[5])[:1000]}
    at = from_timestamp(row[3])
    if at is None:
        problem = problem or f"its time is out of range: {str(row[3])[:40]}"
        at = _NO_TIME
    clock = row[8]
    if not isinstance(clock, int) or not 0 <= clock < 2**63:
        problem = problem or f"its clock is not a stamp: {str(clock)[:40]}"
        clock = 0
    return data, at, clock, problem


def _event(row: Sequence[Any]) -> Event:
    """A stored event, typed: the one place details are decoded on their way up. An event
    holding what pk never writes (details that are not a JSON object, a time out of range, a
    clock that is not a stamp) reads as Unreadable, never as an error."""
    from promisekeeper.model.errors import InvalidInput
    from promisekeeper.model.events import Event, Unreadable, decode

    data, at, clock, problem = _event_fields(row)
    try:
        detail = Unreadable(problem) if problem else decode(row[4], data)
    except InvalidInput as exc:
        detail = Unreadable(str(exc))
    return Event(
        id=row[0],
        promise_id=row[1],
        change_id=row[2],
        at=at,
        kind=row[4],
        data=data,
        uuid=row[6],
        replica=row[7],
        clock=clock,
        detail=detail,
    )


# An event as an export writes it, read without decoding its details into a typed event:
# (at, kind, details, uuid, replica, clock), with _event_fields' readings of what pk never writes.
StoredEvent = tuple[datetime, str, "dict[str, Any]", "str | None", "str | None", int]


def export_histories(conn: sqlite3.Connection) -> Iterator[tuple[Promise, list[StoredEvent]]]:
    """Every promise row (deleted ones included) in the order `pk list` shows them (due, then
    id), each with its events in history order: two queries read side by side, a promise at a
    time, so memory does not grow with the ledger; both in one read transaction, so they see
    the same ledger. A row that cannot be read even from its history is left out, as
    select_promises leaves it out."""
    began = not conn.in_transaction
    if began:
        conn.execute("BEGIN")
    try:
        yield from _export_histories(conn)
    finally:
        if began and conn.in_transaction:
            conn.execute("COMMIT")


def _export_histories(conn: sqlite3.Connection) -> Iterator[tuple[Promise, list[StoredEvent]]]:
    order = "p.due_ts, p.id"
    promises = conn.execute(f"SELECT {_PROMISE_COLUMNS_UNTOLD} FROM promises p ORDER BY {order}")
    events = conn.execute(
        "SELECT e.id, e.promise_id, e.change_id, e.at_ts, e.kind, e.data, e.uuid, e.replica,"
        " e.clock FROM promises p JOIN events e ON e.promise_id = p.id"
        f" ORDER BY {order}, e.clock, e.replica, e.uuid"
    )
    pending = events.fetchone()
    for row in promises:
        promise = _read(conn, row)
        history: list[StoredEvent] = []
        while pending is not None and pending[1] == row[0]:
            if promise is not None:
                data, at, clock, _problem = _event_fields(pending)
                history.append((at, pending[4], data, pending[6], pending[7], clock))
            pending = events.fetchone()
        if promise is not None:
            yield promise, history


def events_for(conn: sqlite3.Connection, promise_id: int) -> list[Event]:
    rows = conn.execute(
        f"SELECT {_EVENT_COLUMNS} FROM events WHERE promise_id = ? ORDER BY {_HISTORY_ORDER}",
        (promise_id,),
    )
    return [_event(row) for row in rows]


def histories(conn: sqlite3.Connection) -> list[tuple[Promise, list[Event]]]:
    """Every promise that is not deleted, with its history (for the track record)."""
    return [(p, events) for p, events in all_histories(conn) if p.deleted_at is None]


# The changes undo can take back: not undone, with events, not cron's reminders, nor what a
# sync brought from other replicas (each is taken back where it was made, and that undo
# travels).
_UNDOABLE = """c.undone_ts IS NULL AND c.command NOT IN ('remind', 'repeat', 'sync')
             AND EXISTS (SELECT 1 FROM events e WHERE e.change_id = c.id)"""


def last_change(conn: sqlite3.Connection) -> tuple[int, str, datetime] | None:
    """The most recent change that is not undone yet and still has events.

    Reminders recorded by cron are bookkeeping, not the user's changes: undo passes them by.
    """
    row = conn.execute(
        f"SELECT c.id, c.command, c.at_ts FROM changes c WHERE {_UNDOABLE}"
        " ORDER BY c.id DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    return int(row[0]), str(row[1]), from_timestamp(row[2]) or _NO_TIME


@dataclass(frozen=True)
class ChangeRow:
    """A change undo can take back: its id, command, time, the promises it touched, and
    whether its events were written by another replica (brought in by an import)."""

    id: int
    command: str
    at: datetime
    promise_ids: list[int]
    other_ledger: bool


def undoable_changes(
    conn: sqlite3.Connection, limit: int = 10, change_id: int | None = None
) -> list[ChangeRow]:
    """The latest `limit` changes undo can take back, latest first (or only `change_id`)."""
    where = _UNDOABLE + ("" if change_id is None else " AND c.id = ?")
    rows = conn.execute(
        f"SELECT c.id, c.command, c.at_ts FROM changes c WHERE {where} ORDER BY c.id DESC LIMIT ?",
        (*(() if change_id is None else (change_id,)), int(limit)),
    ).fetchall()
    if not rows:
        return []
    replica = replica_id(conn)
    found: list[ChangeRow] = []
    for row in rows:
        touched = [
            int(r[0])
            for r in conn.execute(
                "SELECT DISTINCT promise_id FROM events WHERE change_id = ? ORDER BY promise_id",
                (row[0],),
            )
        ]
        other = conn.execute(
            "SELECT 1 FROM events WHERE change_id = ? AND replica IS NOT NULL AND replica != ?"
            " LIMIT 1",
            (row[0], replica),
        ).fetchone()
        found.append(
            ChangeRow(
                int(row[0]),
                str(row[1]),
                datetime.fromtimestamp(row[2], UTC),
                touched,
                other is not None,
            )
        )
    return found


def later_change_on(conn: sqlite3.Connection, change_id: int) -> tuple[int, str, int] | None:
    """The first change after `change_id`, not undone, that touched one of its promises:
    (its id, its command, the promise). Reminders recorded by cron, and what a sync brought,
    do not count."""
    row = conn.execute(
        """SELECT c.id, c.command, e.promise_id FROM events e JOIN changes c ON c.id = e.change_id
           WHERE c.id > ? AND c.undone_ts IS NULL
             AND c.command NOT IN ('remind', 'repeat', 'sync')
             AND e.promise_id IN (SELECT promise_id FROM events WHERE change_id = ?)
           ORDER BY c.id, e.promise_id LIMIT 1""",
        (change_id, change_id),
    ).fetchone()
    return None if row is None else (int(row[0]), str(row[1]), int(row[2]))


def kept_late_since(conn: sqlite3.Connection, since: datetime, limit: int = 200) -> list[Promise]:
    """The latest `limit` promises kept since `since` that may be late (kept after the due
    date, or on a date moved after the deadline): an index-friendly superset; the caller
    decides with rules.timing. Walked newest first along (status, closed_ts), so the cost does
    not grow with the ledger; read without people, notices or notes (the timing rules need
    only the dates), because the daily view asks on every run."""
    rows = conn.execute(
        "SELECT id, uuid, what, made_ts, due_ts, original_due_ts, closed_ts, moves, late_moves,"
        " moved_late_s FROM promises"
        " WHERE status = 'kept' AND closed_ts >= ? AND deleted_ts IS NULL"
        " AND (closed_ts > due_ts OR late_moves > 0) AND direction = 'mine'"
        " ORDER BY closed_ts DESC LIMIT ?",
        (ts(since), int(limit)),
    )
    found = []
    for r in rows:
        times = [from_timestamp(value) for value in r[3:7]]
        late = r[9]
        if None in times or not isinstance(late, int) or not 0 <= late <= _MOST_SECONDS:
            continue  # a row pk never wrote: pk doctor names it
        made, due, original_due, closed_at = times
        found.append(
            Promise(
                id=r[0],
                uuid=r[1],
                what=r[2],
                to=[],
                made=made,  # type: ignore[arg-type]
                due=due,  # type: ignore[arg-type]
                original_due=original_due,  # type: ignore[arg-type]
                status="kept",
                closed_at=closed_at,
                moves=r[7],
                late_moves=r[8],
                moved_late_by=timedelta(seconds=late),
            )
        )
    return found


def recent_kept_spans(conn: sqlite3.Connection, limit: int = 200) -> list[tuple[int, int]]:
    """(seconds promised, seconds taken) of the latest kept promises, newest first."""
    rows = conn.execute(
        "SELECT original_due_ts - made_ts, closed_ts - made_ts FROM promises "
        "WHERE status = 'kept' AND deleted_ts IS NULL AND direction = 'mine'"
        " ORDER BY closed_ts DESC LIMIT ?",
        (limit,),
    )
    return [(r[0], max(r[1], 0)) for r in rows if isinstance(r[0], int) and isinstance(r[1], int)]


def reminded_events(conn: sqlite3.Connection, promise_ids: list[int]) -> dict[int, list[Event]]:
    """The `reminded` events of these promises, each promise's in history order (for
    `pk remind`: what was said today, and the standing at the last reminder)."""
    return _events_of(conn, promise_ids, "reminded")


def histories_of(conn: sqlite3.Connection, promise_ids: list[int]) -> dict[int, list[Event]]:
    """The whole histories of these promises, each in history order."""
    return _events_of(conn, promise_ids)


def nudged_events(conn: sqlite3.Connection, promise_ids: list[int]) -> dict[int, list[Event]]:
    """The `nudged` events of these promises, each promise's in history order (when you last
    asked them)."""
    return _events_of(conn, promise_ids, "nudged")


def histories_of_change(
    conn: sqlite3.Connection, change_id: int
) -> dict[int, tuple[Promise | None, list[Event]]]:
    """Each promise a change touched (by id, in id order): its row (None when it has none)
    and its whole history."""
    touched = "SELECT DISTINCT promise_id FROM events WHERE change_id = ?"
    rows = {p.id: p for p in select_promises(conn, f"p.id IN ({touched})", (change_id,))}
    found: dict[int, tuple[Promise | None, list[Event]]] = {}
    for row in conn.execute(
        f"SELECT {_EVENT_COLUMNS} FROM events WHERE promise_id IN ({touched})"
        f" ORDER BY promise_id, {_HISTORY_ORDER}",
        (change_id,),
    ):
        promise_id = int(row[1])
        found.setdefault(promise_id, (rows.get(promise_id), []))[1].append(_event(row))
    return found


def undo_change(
    conn: sqlite3.Connection, change_id: int, at: datetime, gone: Sequence[int] = ()
) -> list[int]:
    """Remove a change's events (and every event of the promises `gone`, whose making it
    took back) and mark it undone; returns the promises it touched. Each event taken back
    leaves a tombstone with this undo's uuid, replica and clock, so the undo travels to the
    other replicas and the event is never stored again."""
    import uuid

    touched = [
        int(row[0])
        for row in conn.execute(
            "SELECT DISTINCT promise_id FROM events WHERE change_id = ?", (change_id,)
        )
    ]
    replica, clock = new_stamp(conn, at)
    undo = str(uuid.uuid4())
    marks = ", ".join("?" for _ in gone) or "NULL"
    conn.execute(
        "INSERT OR IGNORE INTO tombstones (uuid, promise_uuid, undo_uuid, replica, clock,"
        " change_id) SELECT e.uuid, p.uuid, ?, ?, ?, ? FROM events e"
        " LEFT JOIN promises p ON p.id = e.promise_id"
        f" WHERE (e.change_id = ? OR e.promise_id IN ({marks})) AND e.uuid IS NOT NULL",
        (undo, replica, clock, change_id, change_id, *gone),
    )
    conn.execute("DELETE FROM events WHERE change_id = ?", (change_id,))
    conn.execute("UPDATE changes SET undone_ts = ? WHERE id = ?", (ts(at), change_id))
    # A series begun by the change goes with it (marked removed, so the removal travels and
    # it is never added again); one it stopped runs again (reopened past the stop it saw).
    conn.execute(
        "UPDATE series SET removed = 1, replica = ?, clock = ? WHERE change_id = ?",
        (replica, clock, change_id),
    )
    conn.execute(
        "UPDATE series SET stopped_ts = NULL, stopped_change = NULL,"
        " reopened = coalesce(clock, 0), replica = ?, clock = ? WHERE stopped_change = ?",
        (replica, clock, change_id),
    )
    return touched


def same_promise(
    conn: sqlite3.Connection, what: str, to: list[str], due: datetime, made: datetime | None
) -> int | None:
    """The id of a promise (deleted ones included) with this what, these people (ignoring case
    and order) and this due time, and made at `made` when it is given: how a record without a
    uuid is known to be in the ledger already."""
    keys = json.dumps(sorted({name_key(n) for n in to}), ensure_ascii=False, separators=(",", ":"))
    made_ts = None if made is None else ts(made)
    row = conn.execute(
        """SELECT p.id FROM promises p
           WHERE p.what = ? AND p.due_ts = ? AND (? IS NULL OR p.made_ts = ?)
             AND (SELECT json_group_array(k) FROM (
                    SELECT DISTINCT pe.name_key AS k FROM promise_people pp
                    JOIN people pe ON pe.id = pp.person_id
                    WHERE pp.promise_id = p.id ORDER BY k)) = ?
           ORDER BY p.id LIMIT 1""",
        (what, ts(due), made_ts, made_ts, keys),
    ).fetchone()
    return None if row is None else int(row[0])


def uuids(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT uuid FROM promises")}


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
        info["counts"] = ledger_counts(conn)
    return info


def ledger_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """What a ledger holds, counted one way for `pk doctor`, `pk backup` and `pk restore`:
    promises (not deleted; what `pk list --status all` shows), deleted promises (kept in the
    ledger and its exports, shown nowhere else), events, people (as `pk people` lists them)
    and changes."""
    row = conn.execute(
        f"""SELECT
            (SELECT count(*) FROM promises WHERE deleted_ts IS NULL),
            (SELECT count(*) FROM promises WHERE deleted_ts IS NOT NULL),
            (SELECT count(*) FROM events),
            (SELECT count(*) FROM people pe WHERE {KNOWN_PERSON}),
            (SELECT count(*) FROM changes)"""
    ).fetchone()
    return dict(zip(("promises", "deleted", "events", "people", "changes"), row, strict=True))


def integrity_problems(conn: sqlite3.Connection, limit: int = 10) -> list[str]:
    """What PRAGMA integrity_check finds wrong (empty when the file is sound)."""
    rows = [str(r[0]) for r in conn.execute(f"PRAGMA integrity_check({int(limit)})")]
    return [] if rows == ["ok"] else rows


def all_histories(conn: sqlite3.Connection) -> list[tuple[Promise, list[Event]]]:
    """Every promise row, deleted ones included, with its events (one query for all events)."""
    promises = select_promises(conn, order="p.id")
    by_id: dict[int, list[Event]] = {p.id or 0: [] for p in promises}
    rows = conn.execute(
        f"SELECT {_EVENT_COLUMNS} FROM events ORDER BY promise_id, {_HISTORY_ORDER}"
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


# -------------------------------------------------------------------------------------------------
# Series (recurring promises)
# -------------------------------------------------------------------------------------------------
_SERIES_COLUMNS = (
    "uuid, what, people, tags, note, rule, start, until_ts, count, made_ts, stopped_ts"
)


def _series(row: Sequence[Any]) -> Series | None:
    """A series row, typed; None for a row pk never writes."""
    from promisekeeper.model.series import Series

    try:
        start = datetime.fromisoformat(row[6])
        made = _time(row[9])
        series = Series(
            uuid=row[0],
            what=row[1],
            to=_strings(row[2]),
            tags=_strings(row[3]),
            note=row[4],
            rule=row[5],
            start=start.replace(tzinfo=None),
            until=_optional_time(row[7]),
            count=row[8] if isinstance(row[8], int) and row[8] > 0 else None,
            made=made,
            stopped_at=_optional_time(row[10]),
        )
    except (_UnreadableRow, TypeError, ValueError):
        return None
    if not all(isinstance(v, str) for v in (series.uuid, series.what, series.rule, series.note)):
        return None
    return series


def _select_series(
    conn: sqlite3.Connection, where: str, params: Sequence[Any] = ()
) -> list[Series]:
    rows = conn.execute(
        f"SELECT {_SERIES_COLUMNS} FROM series WHERE removed = 0 AND {where}"
        " ORDER BY made_ts, id",
        params,
    ).fetchall()
    found = (_series(row) for row in rows)
    return [s for s in found if s is not None]


def active_series(conn: sqlite3.Connection) -> list[Series]:
    """The series `pk stop` has not ended (an empty table costs one index probe)."""
    return _select_series(conn, "stopped_ts IS NULL")


def all_series(conn: sqlite3.Connection) -> list[Series]:
    return _select_series(conn, "1")


def get_series(conn: sqlite3.Connection, uuid: str) -> Series | None:
    found = _select_series(conn, "uuid = ?", (uuid,))
    return found[0] if found else None


def series_row(series: Series) -> tuple[Any, ...]:
    """A series as the columns (what, people, tags, note, rule, start, until_ts, count,
    made_ts, stopped_ts) store it: one encoding for adding one here and for another
    replica's snapshot (store.replica)."""
    return (
        series.what,
        json.dumps(series.to, ensure_ascii=False),
        json.dumps(series.tags, ensure_ascii=False),
        series.note,
        series.rule,
        series.start.isoformat(timespec="minutes"),
        None if series.until is None else ts(series.until),
        series.count,
        ts(series.made),
        None if series.stopped_at is None else ts(series.stopped_at),
    )


def add_series(conn: sqlite3.Connection, series: Series, change_id: int | None) -> bool:
    """Store a series unless its uuid is known (an undone one included); whether it was
    added, stamped as this replica's."""
    cursor = conn.execute(
        "INSERT OR IGNORE INTO series (uuid, what, people, tags, note, rule, start, until_ts,"
        " count, made_ts, stopped_ts, change_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (series.uuid, *series_row(series), change_id),
    )
    if cursor.rowcount > 0:
        _stamp_series(conn, series.uuid, series.made)
    return cursor.rowcount > 0


def _stamp_series(conn: sqlite3.Connection, uuid: str, at: datetime) -> None:
    replica, clock = new_stamp(conn, at)
    conn.execute("UPDATE series SET replica = ?, clock = ? WHERE uuid = ?", (replica, clock, uuid))


def stop_series(conn: sqlite3.Connection, uuid: str, at: datetime, change_id: int | None) -> bool:
    """End a series at `at` (the earlier stop wins); whether it changed."""
    cursor = conn.execute(
        "UPDATE series SET stopped_ts = ?, stopped_change = ?"
        " WHERE uuid = ? AND removed = 0 AND (stopped_ts IS NULL OR stopped_ts > ?)",
        (ts(at), change_id, uuid, ts(at)),
    )
    if cursor.rowcount > 0:
        _stamp_series(conn, uuid, at)
    return cursor.rowcount > 0


@dataclass(frozen=True)
class Occurrence:
    """What the series rules need of one occurrence: its id, when it was scheduled for, its
    status, and when it was closed or deleted."""

    id: int
    scheduled: datetime
    due: datetime
    status: str
    closed_at: datetime | None
    deleted_at: datetime | None


def latest_occurrence(conn: sqlite3.Connection, series: str) -> Occurrence | None:
    """The series' occurrence scheduled last (deleted ones included)."""
    row = conn.execute(
        "SELECT id, occurrence_ts, due_ts, status, closed_ts, deleted_ts FROM promises"
        " WHERE series_uuid = ? AND occurrence_ts IS NOT NULL"
        " ORDER BY occurrence_ts DESC, id DESC LIMIT 1",
        (series,),
    ).fetchone()
    if row is None:
        return None
    try:
        return Occurrence(
            int(row[0]),
            _time(row[1]),
            _time(row[2]),
            str(row[3]),
            _optional_time(row[4]),
            _optional_time(row[5]),
        )
    except _UnreadableRow:
        return None


def has_promise_uuid(conn: sqlite3.Connection, uuid: str) -> bool:
    """Whether the ledger holds a promise with this uuid (deleted ones included)."""
    return conn.execute("SELECT 1 FROM promises WHERE uuid = ?", (uuid,)).fetchone() is not None


def count_occurrences(conn: sqlite3.Connection, series: str) -> int:
    return count_promises(conn, "p.series_uuid = ?", (series,))


def series_promises(conn: sqlite3.Connection, series: str) -> list[Promise]:
    """A series' occurrences that are not deleted, in the order they were scheduled."""
    return select_promises(
        conn, "p.series_uuid = ? AND p.deleted_ts IS NULL", (series,), "p.occurrence_ts, p.id"
    )
