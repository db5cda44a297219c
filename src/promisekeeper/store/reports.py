"""`pk report` in SQL: which promises belong in the period, how many there are in each section,
the few a bounded report shows, and the moves and closings of those, read in one batch.

Nothing here reads the whole period into memory: the counts are aggregates, the promises shown
are picked by a window over each person's sections, and their histories come in one query.
The rules used in SQL are the twins kept in store.track (KEPT_ON_TIME, OVERDUE, PAST_DUE);
which open promises are at risk is left to the rules in Python (see `at_risk_candidates`).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from promisekeeper.store.queries import select_promises
from promisekeeper.store.track import KEPT_ON_TIME, OVERDUE, PAST_DUE, direction_term

if TYPE_CHECKING:
    from promisekeeper.model.events import Detail
    from promisekeeper.model.promise import Promise

# services.reports: a promise belongs in the period when it was made, closed or due in it, or
# is still open.
IN_PERIOD = (
    "(p.status = 'open' OR (p.made_ts >= :since AND p.made_ts <= :now)"
    " OR p.closed_ts >= :since OR (p.due_ts >= :since AND p.due_ts <= :now))"
)
# The report's sections: 0 delivered, 1 in progress, 2 closed otherwise.
SECTION = "(CASE p.status WHEN 'kept' THEN 0 WHEN 'open' THEN 1 ELSE 2 END)"
# In progress, most urgent first: overdue, at risk (the ids the rules found), on track.
URGENCY = (
    f"(CASE WHEN {OVERDUE} THEN 0"
    " WHEN p.id IN (SELECT value FROM json_each(:at_risk)) THEN 1 ELSE 2 END)"
)
# Counted per promise (the summary) or per person (each group), in Counts' order but at_risk.
_COUNTS = f"""sum(p.status = 'kept'), sum({KEPT_ON_TIME}), sum(p.status = 'open'), sum({OVERDUE}),
    sum(p.status = 'broken'), sum(p.status = 'released')"""
# Each promise of the report with each of its people. CROSS JOIN keeps SQLite reading the
# promises in their order and looking their people up, rather than the other way round (a
# random read of a promise per person's entry: several times slower on a large ledger).
_PAIRS = """promises p CROSS JOIN promise_people pp ON pp.promise_id = p.id
    JOIN people pe ON pe.id = pp.person_id"""
COUNTED = ("delivered", "on_time", "in_progress", "overdue", "broken", "released")


@dataclass
class ReportScope:
    """The promises of one report: yours, not deleted, in the period, to one person (by name key) or
    to anyone; and the open ones the rules found at risk, for ordering."""

    now: datetime
    since: datetime
    person_key: str | None = None
    at_risk: list[int] = field(default_factory=list)

    def where(self) -> str:
        # A report is about what you promised: never the promises owed to you.
        parts = ["p.deleted_ts IS NULL", direction_term("mine"), IN_PERIOD]
        if self.person_key is not None:
            parts.append(
                "p.id IN (SELECT pp.promise_id FROM promise_people pp JOIN people pe"
                " ON pe.id = pp.person_id WHERE pe.name_key = :person)"
            )
        return " AND ".join(parts)

    def params(self, **more: Any) -> dict[str, Any]:
        return {
            "now": self.now.timestamp(),
            "since": self.since.timestamp(),
            "person": self.person_key,
            "at_risk": json.dumps(self.at_risk),
            **more,
        }


def at_risk_candidates(
    conn: sqlite3.Connection, scope: ReportScope, *, before: datetime, fraction: float
) -> list[Promise]:
    """Open promises of the report not yet due that may be at risk: due before `before` (the
    risk window from now), or with less than `fraction` of their span left, or with an effort.
    A superset, as the daily view reads (queries.open_needing_a_look), that the caller narrows
    with the rules; few whatever the size of the ledger."""
    # The subqueries are answered from the indexes alone (promises_status_due_made and
    # promises_with_effort), so the cost follows the candidates, not the open promises.
    where = scope.where()
    return select_promises(
        conn,
        f"""(p.id IN (SELECT id FROM promises WHERE status = 'open' AND deleted_ts IS NULL
                AND due_ts > :now AND (due_ts < :before
                    OR (due_ts - :now) < :fraction * (due_ts - made_ts)))
            OR p.id IN (SELECT id FROM promises WHERE status = 'open' AND effort_s IS NOT NULL
                AND deleted_ts IS NULL))
            AND NOT {PAST_DUE} AND {where}""",
        scope.params(before=before.timestamp(), fraction=fraction),
    )


def counts(conn: sqlite3.Connection, scope: ReportScope) -> dict[str, int]:
    """The summary: each promise of the report counted once (names as in COUNTED)."""
    where = scope.where()
    row = conn.execute(f"SELECT {_COUNTS} FROM promises p WHERE {where}", scope.params()).fetchone()
    return {name: int(value or 0) for name, value in zip(COUNTED, row, strict=True)}


def counts_by_person(
    conn: sqlite3.Connection, scope: ReportScope
) -> Iterator[tuple[str, dict[str, int]]]:
    """(name, counts) of each person a promise of the report was made to (only the one person
    when the scope has one), in no particular order. Streamed."""
    where = scope.where()
    person = "" if scope.person_key is None else "AND pe.name_key = :person"
    rows = conn.execute(
        f"""SELECT pe.name, {_COUNTS}
        FROM {_PAIRS}
        WHERE {where} {person}
        GROUP BY pe.id""",
        scope.params(),
    )
    for name, *values in rows:
        yield str(name), {key: int(value or 0) for key, value in zip(COUNTED, values, strict=True)}


def shown(
    conn: sqlite3.Connection, scope: ReportScope, limit: int | None
) -> Iterator[tuple[str, int, int]]:
    """(person's name, section, promise id) of what the report lists: in each person's
    sections the first `limit` (all with None) in order: the latest deliveries and closings,
    the most urgent promises in progress (overdue, at risk, on track; soonest due first).
    Streamed."""
    where = scope.where()
    person = "" if scope.person_key is None else "AND pe.name_key = :person"
    rows = conn.execute(
        f"""SELECT name, section, id FROM (
            SELECT pe.name AS name, {SECTION} AS section, p.id AS id, row_number() OVER (
                PARTITION BY pe.id, {SECTION}
                ORDER BY CASE WHEN p.status = 'open' THEN {URGENCY} END,
                    CASE WHEN p.status = 'open' THEN p.due_ts ELSE -p.closed_ts END,
                    CASE WHEN p.status = 'open' THEN p.id ELSE -p.id END) AS n
            FROM {_PAIRS}
            WHERE {where} {person})
        WHERE :limit IS NULL OR n <= :limit""",
        scope.params(limit=limit),
    )
    for name, section, promise_id in rows:
        yield str(name), int(section), int(promise_id)


def promises(conn: sqlite3.Connection, ids: list[int]) -> list[Promise]:
    """These promises, by id. The ids come from an index (promises_track): a row it lists
    that the table does not hold is a damaged file, said as SQLite says it."""
    found = select_promises(
        conn, "p.id IN (SELECT value FROM json_each(?))", (json.dumps(ids),), order="p.id"
    )
    if len(found) != len(set(ids)):
        raise sqlite3.DatabaseError(
            "database disk image is malformed (promises an index lists are missing)"
        )
    return found


def moves_and_closings(
    conn: sqlite3.Connection, ids: list[int]
) -> Iterator[tuple[int, datetime, Detail]]:
    """(promise id, when, detail) of every move, closing and reopening of these promises, in
    history order per promise: one query for all of them. Streamed; a detail the model cannot
    read is left out, as the fold leaves it out."""
    from promisekeeper.model.errors import InvalidInput
    from promisekeeper.model.events import decode
    from promisekeeper.model.times import from_timestamp

    rows = conn.execute(
        """SELECT promise_id, at_ts, kind, data FROM events
        WHERE promise_id IN (SELECT value FROM json_each(?))
            AND kind IN ('moved', 'kept', 'broken', 'released', 'reopened')
        ORDER BY promise_id, clock, replica, uuid""",
        (json.dumps(ids),),
    )
    for promise_id, at_ts, kind, data in rows:
        at = from_timestamp(at_ts)  # out of range or not a time: unreadable, as the store reads it
        try:
            detail = decode(kind, json.loads(data))
        except (InvalidInput, ValueError, TypeError):
            continue
        if at is not None:
            yield int(promise_id), at, detail
