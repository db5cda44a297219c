"""The track record in SQL: what `pk stats` and `pk trust` count, as aggregates in SQLite.

Nothing here reads every history into memory. The promise rows are the fold of each history
(kept by every change), so most figures are a GROUP BY over them; the two facts that only the
events hold (moves, and notice given before the deadline) come from one pass over the `moved`
and `notified` events. Rows are streamed from cursors, so memory does not grow with the ledger.

The rules live in Python (rules.timing, rules.notice, rules.track). The SQL expressions below
are their twins, one constant each, written over a promise row `p` and an event `e`; each names
the rule it mirrors, and tests/test_track_sql.py checks on generated ledgers that the two agree.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from promisekeeper.model.times import MAX_YEAR, MIN_YEAR

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up)
if TYPE_CHECKING:
    from typing import Any

    from promisekeeper.model.events import Moved

# -------------------------------------------------------------------------------------------------
# The rules, as SQL over a promise row `p` (parameters: :now, :early, :notice_kinds)
# -------------------------------------------------------------------------------------------------
# rules.timing.kept_on_time
KEPT_ON_TIME = (
    "(p.status = 'kept' AND p.closed_ts IS NOT NULL AND p.closed_ts <= p.due_ts"
    " AND p.late_moves = 0)"
)
# rules.timing.past_due
PAST_DUE = "(:now >= p.due_ts)"
# rules.track.outcome: kept, not on time
KEPT_LATE = f"(p.status = 'kept' AND NOT {KEPT_ON_TIME})"
# rules.track.outcome: open and past due
OVERDUE = f"(p.status = 'open' AND {PAST_DUE})"
# rules.timing.lateness (seconds)
_END = "(CASE WHEN p.status != 'open' AND p.closed_ts IS NOT NULL THEN p.closed_ts ELSE :now END)"
LATENESS = (
    f"(CASE WHEN p.status = 'kept' AND p.late_moves > 0"
    f" THEN max({_END} - p.due_ts, p.moved_late_s) ELSE {_END} - p.due_ts END)"
)
# rules.timing.early_by(p) >= :early (rules.track.EARLY_DEPOSIT)
KEPT_EARLY = f"({KEPT_ON_TIME} AND p.due_ts - p.closed_ts >= :early)"

# The same over an event `e`.
# A time in event details as SQLite reads it (Unix seconds), or NULL when it does not look like
# one SQLite reads as Python does (rules.notice judges those moves: see `odd_moves`).
_DATE_LIKE = "'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'"


# The stored times the store reads (model.times.from_timestamp): the years pk works with.
_MIN_TS = int(datetime(MIN_YEAR, 1, 1, tzinfo=UTC).timestamp())
_MAX_TS = int(datetime(MAX_YEAR, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp())
# An event's details as the rules may read them: details that are not JSON (written by no pk)
# read as none, and such an event, like one whose time is out of range, is no event to the track
# record, as the store reads it as Unreadable (store.queries) and the fold passes it by.
_DATA = "(CASE WHEN json_valid(e.data) THEN e.data ELSE '{}' END)"
READABLE_EVENT = (
    "(json_valid(e.data) AND typeof(e.at_ts) = 'integer' AND e.at_ts BETWEEN :min_ts AND :max_ts)"
)


def _instant(key: str) -> str:
    value = f"json_extract({_DATA}, '$.{key}')"
    return f"(CASE WHEN {value} GLOB {_DATE_LIKE} THEN unixepoch({value}) END)"


_TO, _FROM = _instant("to"), _instant("from")
ODD_MOVE = f"({_TO} IS NULL OR {_FROM} IS NULL)"
# A move Python could not read (judged in Python): no move at all to the rules.
READABLE_MOVE = "(e.id NOT IN (SELECT value FROM json_each(:unreadable)))"
# rules.notice.slips
SLIPS = (
    f"(CASE WHEN {ODD_MOVE} THEN e.id IN (SELECT value FROM json_each(:odd_slips))"
    f" ELSE {_TO} > {_FROM} END)"
)
# model.history.apply: a move ordered after a close, with no reopen between (a move and a close
# made on two machines before they synced), leaves the promise as it is: history only, so no
# move to the track record either.
MOVE_APPLIED = (
    "(coalesce((SELECT c.kind FROM events c WHERE c.promise_id = e.promise_id"
    " AND c.kind IN ('kept', 'broken', 'released', 'reopened')"
    " AND (c.clock, c.replica, c.uuid) < (e.clock, e.replica, e.uuid)"
    " ORDER BY c.clock DESC, c.replica DESC, c.uuid DESC LIMIT 1), 'reopened') = 'reopened')"
)
# model.events.Moved.before_deadline (true unless recorded false)
MOVED_BEFORE_DEADLINE = f"(coalesce(json_type({_DATA}, '$.before_deadline'), 'true') = 'true')"
# rules.notice.counts_as_notice
COUNTS_AS_NOTICE = (
    f"(json_type({_DATA}, '$.before_deadline') = 'true'"
    f" AND json_extract({_DATA}, '$.template') IN (SELECT value FROM json_each(:notice_kinds)))"
)

# Per promise: the first notice in history order (its time), and whether a move slipped it.
_EVENT_FACTS = f"""
    first_notice AS (
        SELECT promise_id, at_ts FROM (
            SELECT e.promise_id, e.at_ts, row_number() OVER (
                PARTITION BY e.promise_id ORDER BY e.clock, e.replica, e.uuid) AS n
            FROM events e WHERE e.kind = 'notified' AND {READABLE_EVENT} AND {COUNTS_AS_NOTICE})
        WHERE n = 1),
    slipped_by_move AS (
        SELECT DISTINCT e.promise_id FROM events e
        WHERE e.kind = 'moved' AND {READABLE_EVENT} AND {READABLE_MOVE} AND {MOVE_APPLIED}
            AND {SLIPS})"""
# rules.track.Outcome.slipped (with the joins of _EVENT_FACTS as `s` and `n`)
SLIPPED = f"(s.promise_id IS NOT NULL OR {KEPT_LATE} OR {OVERDUE} OR p.status = 'broken')"
TOLD_EARLY = "(n.at_ts IS NOT NULL)"  # rules.track.Outcome.told_early


# -------------------------------------------------------------------------------------------------
# Which promises
# -------------------------------------------------------------------------------------------------
def direction_term(direction: str) -> str:
    """The promises of one direction, as a WHERE term for a query over the whole record.
    Yours are nearly every promise: read along the direction index, each would be a random
    read of its row (several times slower than reading the table in order), so the unary +
    keeps SQLite off that index. Theirs are few, and the index finds them."""
    return "+p.direction = 'mine'" if direction == "mine" else "p.direction = :direction"


@dataclass
class Scope:
    """The promises a figure is over (not deleted; of one direction; to one person; made
    since), seen at `now`, and what the rules need that SQL cannot know: the message kinds
    that count as notice and the verdicts on moves whose dates SQLite does not read (see
    `judge_odd_moves`)."""

    now: datetime
    notice_kinds: tuple[str, ...]
    person_key: str | None = None
    since: datetime | None = None
    early_s: float = 0
    odd_slips: list[int] = field(default_factory=list)
    unreadable: list[int] = field(default_factory=list)
    # Whose promises: "mine" (your record and trust bank) or "owed" (their record with you).
    direction: str = "mine"

    def where(self) -> str:
        parts = ["p.deleted_ts IS NULL", direction_term(self.direction)]
        if self.person_key is not None:
            parts.append(
                "p.id IN (SELECT pp.promise_id FROM promise_people pp JOIN people pe"
                " ON pe.id = pp.person_id WHERE pe.name_key = :person)"
            )
        if self.since is not None:
            parts.append("p.made_ts >= :since")
        return " AND ".join(parts)

    def params(self, **more: Any) -> dict[str, Any]:
        return {
            "now": self.now.timestamp(),
            "early": self.early_s,
            "notice_kinds": json.dumps(list(self.notice_kinds)),
            "person": self.person_key,
            "direction": self.direction,
            "since": None if self.since is None else self.since.timestamp(),
            "odd_slips": json.dumps(self.odd_slips),
            "unreadable": json.dumps(self.unreadable),
            "min_ts": _MIN_TS,
            "max_ts": _MAX_TS,
            **more,
        }


def judge_odd_moves(conn: sqlite3.Connection, scope: Scope, slips: Callable[[Moved], bool]) -> None:
    """Moves whose dates SQLite does not read as Python does (an import may hold any ISO 8601
    form) are decoded here and judged by the rule itself: `slips`, or unreadable (then no move
    at all, as the fold sees it). Few or none in practice; only their ids are kept."""
    from promisekeeper.model.errors import InvalidInput
    from promisekeeper.model.events import Moved, decode

    where = scope.where()
    rows = conn.execute(
        f"SELECT e.id, e.data FROM events e JOIN promises p ON p.id = e.promise_id"
        f" WHERE e.kind = 'moved' AND {READABLE_EVENT} AND {ODD_MOVE} AND {where}",
        scope.params(),
    )
    for event_id, data in rows:
        try:
            detail = decode("moved", json.loads(data))
        except (InvalidInput, ValueError):
            detail = None
        if not isinstance(detail, Moved):
            scope.unreadable.append(int(event_id))
        elif slips(detail):
            scope.odd_slips.append(int(event_id))


# -------------------------------------------------------------------------------------------------
# pk stats
# -------------------------------------------------------------------------------------------------
FIGURES = (
    "made",
    "open",
    "overdue",
    "kept",
    "kept_on_time",
    "broken",
    "released",
    "slipped",
    "told_before_deadline",
)


def figures(conn: sqlite3.Connection, scope: Scope) -> dict[str, int]:
    """The counts of rules.track.Figures, by name (moves: `moves`).

    One pass over the promises counts what their rows say; SLIPPED is then what those counts
    say (kept late, overdue, broken: one status each, so never counted twice) plus the few
    promises a slipping move alone slipped, and TOLD_EARLY is counted over the few promises
    told: both read from the indexes of moves and notices, never once per promise."""
    where = scope.where()
    params = scope.params()
    row = conn.execute(
        f"""SELECT count(*), sum(p.status = 'open'), sum({OVERDUE}), sum(p.status = 'kept'),
            sum({KEPT_ON_TIME}), sum(p.status = 'broken'), sum(p.status = 'released')
        FROM promises p WHERE {where}""",
        params,
    ).fetchone()
    found = {name: int(value or 0) for name, value in zip(FIGURES, row, strict=False)}
    moved_only, told = conn.execute(
        f"""WITH {_EVENT_FACTS}
        SELECT
            (SELECT count(*) FROM slipped_by_move s JOIN promises p ON p.id = s.promise_id
                WHERE NOT ({KEPT_LATE} OR {OVERDUE} OR p.status = 'broken') AND {where}),
            (SELECT count(*) FROM first_notice n JOIN promises p ON p.id = n.promise_id
                LEFT JOIN slipped_by_move s ON s.promise_id = p.id
                WHERE {SLIPPED} AND {TOLD_EARLY} AND {where})""",
        params,
    ).fetchone()
    kept_late = found["kept"] - found["kept_on_time"]
    found["slipped"] = kept_late + found["overdue"] + found["broken"] + int(moved_only or 0)
    found["told_before_deadline"] = int(told or 0)
    return found


def moves(conn: sqlite3.Connection, scope: Scope) -> tuple[int, int]:
    """(moves, moves before the deadline) of the promises in scope."""
    where = scope.where()
    row = conn.execute(
        f"""SELECT count(*), sum({MOVED_BEFORE_DEADLINE})
        FROM events e JOIN promises p ON p.id = e.promise_id
        WHERE e.kind = 'moved' AND {READABLE_EVENT} AND {READABLE_MOVE} AND {MOVE_APPLIED}
            AND {where}""",
        scope.params(),
    ).fetchone()
    return int(row[0] or 0), int(row[1] or 0)


def lateness_at(conn: sqlite3.Connection, scope: Scope, positions: list[int]) -> dict[int, float]:
    """The latenesses (seconds) at these positions of the promises in scope kept late, in
    ascending order: what percentiles need, all from one sort, without reading the others
    into Python."""
    where = scope.where()
    rows = conn.execute(
        f"""SELECT n, late FROM (
            SELECT {LATENESS} AS late, row_number() OVER (ORDER BY {LATENESS}) - 1 AS n
            FROM promises p
            WHERE {KEPT_LATE} AND {where})
        WHERE n IN (SELECT value FROM json_each(:positions))""",
        scope.params(positions=json.dumps(sorted(set(positions)))),
    )
    return {int(n): float(late) for n, late in rows}


def due_by_day(
    conn: sqlite3.Connection, scope: Scope, start: datetime, end: datetime
) -> Iterator[tuple[str, int, int]]:
    """(local date 'YYYY-MM-DD', promises kept or broken that came due that day, of them kept
    on time) for due times from a day before `start` to a day after `end`, so that the caller
    can cut local weeks whatever the zone. SQLite's 'localtime' asks the C library, as
    Python's astimezone() does."""
    where = scope.where()
    rows = conn.execute(
        f"""SELECT date(p.due_ts, 'unixepoch', 'localtime') AS day, count(*), sum({KEPT_ON_TIME})
        FROM promises p
        WHERE p.status IN ('kept', 'broken') AND p.due_ts >= :lo AND p.due_ts < :hi
            AND {where}
        GROUP BY day""",
        scope.params(lo=start.timestamp() - 86400 * 2, hi=end.timestamp() + 86400 * 2),
    )
    for day, due, on_time in rows:
        yield str(day), int(due), int(on_time or 0)


# -------------------------------------------------------------------------------------------------
# Being realistic (pk promise): your record for promises like a new one
# -------------------------------------------------------------------------------------------------
def finished_like(
    conn: sqlite3.Connection, scope: Scope, keys: list[str], tags: list[str], limit: int
) -> list[tuple[str, bool, float | None, float | None, float | None]]:
    """rules.track.Finished of the latest `limit` kept or broken promises in scope to these
    people (case-folded names) or with these tags, newest closed first: what
    rules.track.record_from makes the record of, read from the promise rows in one query
    (no history is read: on time and lateness are the fold's, kept in each row)."""
    where = scope.where()
    tagged = (
        """
        UNION SELECT t.id FROM promises t, json_each(t.tags) tag
            WHERE tag.value IN (SELECT value FROM json_each(:tags))"""
        if tags
        else ""
    )
    # From the people (and tags) to their promises, never the other way round: CROSS JOIN
    # keeps SQLite from walking every promise of yours along the direction index.
    rows = conn.execute(
        f"""WITH similar (id) AS (
            SELECT DISTINCT pp.promise_id FROM promise_people pp JOIN people pe
                ON pe.id = pp.person_id
            WHERE pe.name_key IN (SELECT value FROM json_each(:keys)){tagged})
        SELECT p.status, {KEPT_ON_TIME}, {LATENESS}, p.original_due_ts - p.made_ts,
            coalesce(p.closed_ts, p.due_ts) - p.made_ts
        FROM similar s CROSS JOIN promises p ON p.id = s.id
        WHERE p.status IN ('kept', 'broken') AND {where}
        ORDER BY p.closed_ts DESC, p.id DESC LIMIT :limit""",
        scope.params(keys=json.dumps(keys), tags=json.dumps(tags), limit=limit),
    )
    return [
        (str(status), bool(on_time), late, promised, taken)
        for status, on_time, late, promised, taken in rows
    ]


# -------------------------------------------------------------------------------------------------
# pk trust
# -------------------------------------------------------------------------------------------------
# rules.track.entries_for, one row per entry: (promise, at, kind, order within the promise).
_ENTRIES = f"""
    {_EVENT_FACTS},
    scoped AS MATERIALIZED (
        SELECT p.id, p.status, p.due_ts, p.closed_ts, coalesce(p.closed_ts, :now) AS closed,
            {KEPT_ON_TIME} AS on_time, {KEPT_EARLY} AS early, {OVERDUE} AS overdue,
            n.at_ts AS told_at
        FROM promises p LEFT JOIN first_notice n ON n.promise_id = p.id
        WHERE """
_ENTRIES_TAIL = f"""),
    entries (promise, at, kind, class, clock, replica, uuid) AS (
        SELECT id, told_at, 'told_before_deadline', 0, 0, '', '' FROM scoped
            WHERE told_at IS NOT NULL
        UNION ALL
        SELECT e.promise_id, e.at_ts,
            CASE WHEN {MOVED_BEFORE_DEADLINE} THEN 'moved_in_advance'
                ELSE 'moved_after_deadline' END,
            1, e.clock, e.replica, e.uuid
        FROM events e
        WHERE e.kind = 'moved' AND e.promise_id IN (SELECT id FROM scoped)
            AND {READABLE_EVENT} AND {READABLE_MOVE} AND {MOVE_APPLIED} AND {SLIPS}
        UNION ALL
        SELECT id, closed,
            CASE WHEN on_time THEN 'kept_on_time'
                WHEN told_at IS NOT NULL THEN 'kept_late_with_notice'
                ELSE 'kept_late_without_notice' END,
            2, 0, '', ''
        FROM scoped WHERE status = 'kept'
        UNION ALL
        SELECT id, closed, 'kept_early', 3, 0, '', '' FROM scoped WHERE status = 'kept' AND early
        UNION ALL
        SELECT id, closed, 'broken', 2, 0, '', '' FROM scoped WHERE status = 'broken'
        UNION ALL
        SELECT id, due_ts, 'overdue_without_notice', 2, 0, '', '' FROM scoped
            WHERE overdue AND told_at IS NULL),
    counted AS (
        SELECT pp.person_id, entries.* FROM entries
            JOIN promise_people pp ON pp.promise_id = entries.promise
        WHERE entries.kind IN (SELECT value FROM json_each(:kinds)))"""


def trust_people(conn: sqlite3.Connection, scope: Scope) -> Iterator[tuple[int, str]]:
    """(person id, name) of everyone a promise in scope was made to: each has an account."""
    where = scope.where()
    rows = conn.execute(
        f"""SELECT pe.id, pe.name FROM people pe WHERE pe.id IN (
            SELECT pp.person_id FROM promise_people pp JOIN promises p ON p.id = pp.promise_id
            WHERE {where}) ORDER BY pe.id""",
        scope.params(),
    )
    for person_id, name in rows:
        yield int(person_id), str(name)


def trust_entries(
    conn: sqlite3.Connection, scope: Scope, kinds: list[str]
) -> Iterator[tuple[int, str, float, int, tuple[Any, ...]]]:
    """(person id, kind, at (Unix seconds), promise id, order) of every entry in the trust
    banks of the people of the promises in scope (rules.track.entries_for), for the kinds that
    count; `order` sorts one person's entries as rules.track.entry_order does. Streamed."""
    where = scope.where()
    rows = conn.execute(
        f"""WITH {_ENTRIES}{where}{_ENTRIES_TAIL}
        SELECT person_id, kind, at, promise, class, clock, replica, uuid FROM counted""",
        scope.params(kinds=json.dumps(kinds)),
    )
    for person_id, kind, at, promise, *order in rows:
        yield person_id, kind, at, promise, (at, promise, *order)


def titles(conn: sqlite3.Connection, promise_ids: list[int]) -> dict[int, str]:
    """What was promised, for these promise ids."""
    marks = ", ".join("?" for _ in promise_ids) or "NULL"
    rows = conn.execute(f"SELECT id, what FROM promises WHERE id IN ({marks})", promise_ids)
    return {int(row[0]): str(row[1]) for row in rows}
