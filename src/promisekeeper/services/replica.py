"""Replication: this replica's outgoing records, and merging other replicas' records.

A record is a JSON object, one a line in the sync files:

- `{"type": "event", "promise": PROMISE_UUID, "at", "kind", "details", "uuid", "replica",
  "clock"}`: an event as `pk export` writes it (services.exchange.event_json) and the uuid of
  its promise ("data" is read as "details" too);
- `{"type": "undo", "uuid", "replica", "clock", "events": [EVENT_UUID, ...]}`: `pk undo` on
  that replica took these events back;
- `{"type": "person", "replica", "clock", "name", "email", "handle", "channel", "note"}`: a
  person's details as that replica last set them;
- `{"type": "series", "replica", "clock", ...the export's series object..., "reopened",
  "removed"}`: a series as that replica last set it ("reopened": the clock of the stop an undo
  took back; "removed": its beginning was undone).

`merge` gives the same ledger whatever order records arrive in, and however often:

- an event is stored once (by uuid), never when it is tombstoned; a tombstone deletes the event
  wherever it is, so an undone event never comes back; one event that two replicas stamped
  (the same taskwarrior export imported on both) keeps the lower (clock, replica) stamp;
- every promise an event reached is folded again from all its events in the one order
  (model.history, whose rules decide between concurrent changes); a promise left with no
  `made` has no row, and its other events wait (like events that arrive before the making of
  their promise) until a making comes;
- a person's details are a whole snapshot: the one with the highest (clock, replica) wins,
  name spelling included;
- a series is a snapshot too: an undone beginning wins over everything; otherwise a stop wins
  over a running snapshot that did not see it (an undo of a stop reopens only the stops it
  saw), and between two stops or two running snapshots the later (clock, replica) wins;
- the ledger's clock moves past every stamp it has seen, so what it records next comes after.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from promisekeeper.model.errors import InvalidInput, LedgerError, PkError
from promisekeeper.model.events import Event, Made, clock_from_text, clock_text
from promisekeeper.model.promise import Person, name_key
from promisekeeper.model.series import Series
from promisekeeper.services.ledger import Ledger

REMOVED = 1 << 62  # a removed series outranks every snapshot


@dataclass
class Merged:
    """What a merge did."""

    events: int = 0  # events stored
    promises: int = 0  # promises new to this ledger
    changed: int = 0  # promises it held that changed (folded again)
    removed: int = 0  # promises whose making was taken back
    undone: int = 0  # events taken back by tombstones
    tombstones: int = 0  # undone events newly known as undone (held here or not)
    people: list[str] = field(default_factory=list)  # people whose details were taken over
    series: int = 0  # series taken over
    waiting: int = 0  # events waiting for the making of their promise
    # The uuids of the events that waited before the merge, and after it.
    waited: set[str] = field(default_factory=set, repr=False, compare=False)
    waits: set[str] = field(default_factory=set, repr=False, compare=False)

    @property
    def nothing(self) -> bool:
        return not (
            self.waited != self.waits
            or self.events
            or self.promises
            or self.changed
            or self.removed
            or self.undone
            or self.tombstones
            or self.people
            or self.series
        )


# -------------------------------------------------------------------------------------------------
# Outgoing
# -------------------------------------------------------------------------------------------------
def event_record(promise: str, event: Event) -> dict[str, Any]:
    """An event as a sync record."""
    from promisekeeper.services.exchange import event_json

    return {"type": "event", "promise": promise, **event_json(event)}


def outgoing(ledger: Ledger, after: int) -> tuple[list[dict[str, Any]], int]:
    """This replica's records stamped past `after`, in clock order, and the marker to give
    next time (the last stamp given; `after` when there is nothing new)."""
    from promisekeeper.services.exchange import _event_object, person_json
    from promisekeeper.services.series import series_json
    from promisekeeper.store import queries, replica

    def read(conn: Any) -> list[tuple[int, int, str, dict[str, Any]]]:
        me = queries.replica_id(conn)
        found: list[tuple[int, int, str, dict[str, Any]]] = []
        for promise, at, kind, data, uuid, who, clock in replica.own_events(conn, me, after):
            record = {"type": "event", "promise": promise}
            record.update(_event_object(at, kind, data, uuid, who, clock))
            found.append((clock, 0, uuid, record))
        # This replica's events that wait for a making (the one they had was taken back):
        # another replica may hold a making of that promise still.
        for _uuid, _promise, text in replica.waiting(conn):
            record = json.loads(text)
            clock = clock_from_text(record["clock"])
            if record["replica"] == me and clock > after:
                found.append((clock, 0, record["uuid"], record))
        for undo, clock, events in replica.own_undos(conn, me, after):
            record = {
                "type": "undo",
                "uuid": undo,
                "replica": me,
                "clock": clock_text(clock),
                "events": events,
            }
            found.append((clock, 1, undo, record))
        for person, clock in replica.own_people(conn, me, after):
            record = {"type": "person", "replica": me, "clock": clock_text(clock)}
            record.update(person_json(person))
            found.append((clock, 2, name_key(person.name), record))
        for series, clock, reopened, removed in replica.own_series(conn, me, after):
            record = {"type": "series", "replica": me, "clock": clock_text(clock)}
            record.update(series_json(series))
            record["reopened"] = clock_text(reopened)
            record["removed"] = removed
            found.append((clock, 3, series.uuid, record))
        return found

    found = ledger._query(read, default=[])
    found.sort(key=lambda item: item[:3])
    marker = max((item[0] for item in found), default=after)
    return [item[3] for item in found], max(marker, after)


# -------------------------------------------------------------------------------------------------
# Reading records
# -------------------------------------------------------------------------------------------------
@dataclass
class _Undo:
    uuid: str
    replica: str
    clock: int
    events: list[str]


@dataclass
class _Person:
    person: Person
    replica: str
    clock: int


@dataclass
class _Series:
    series: Series
    replica: str
    clock: int
    reopened: int
    removed: bool

    @property
    def rank(self) -> tuple[int, int, int, str]:
        return _series_rank(self.clock, self.reopened, self.replica, self.removed,
                            self.series.stopped_at is not None)  # fmt: skip


def _series_rank(
    clock: int, reopened: int, replica: str, removed: bool, stopped: bool
) -> tuple[int, int, int, str]:
    """Which snapshot of a series wins: the highest rank. Removed first; a stop ranks at its
    clock, above a running snapshot that reopened up to that clock; running ones rank at the
    stop they reopened (0: none), then their clock."""
    if removed:
        return (REMOVED, 2, clock, replica)
    if stopped:
        return (clock, 0, clock, replica)
    return (reopened, 1, clock, replica)


def _short(item: dict[str, Any], key: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value.strip() or len(value) > 100:
        raise InvalidInput(f"{key!r} must be a short non-empty string")
    return value


def _stamp(item: dict[str, Any]) -> tuple[str, int]:
    return _short(item, "replica"), clock_from_text(item.get("clock"))


def _read(item: Any) -> tuple[str, Event] | _Undo | _Person | _Series:
    """One record, checked as an import checks what it holds."""
    if not isinstance(item, dict):
        raise InvalidInput(f"expected an object, got {type(item).__name__}")
    kind = item.get("type")
    if kind == "event":
        from promisekeeper.services.exchange import event_from_json

        promise = _short(item, "promise")
        for key in ("uuid", "replica", "clock"):
            if item.get(key) is None:
                raise InvalidInput(f"the event has no {key!r}")
        if "details" not in item and "data" in item:
            item = {**item, "details": item["data"]}
        event = event_from_json(item, 0, promise, label="the event")
        if isinstance(event.detail, Made) and event.detail.uuid != promise:
            raise InvalidInput(f"the event makes promise {event.detail.uuid}, not {promise}")
        return promise, event
    if kind == "undo":
        replica, clock = _stamp(item)
        events = item.get("events")
        if not isinstance(events, list) or not events:
            raise InvalidInput("'events' must be a non-empty list of event uuids")
        for uuid in events:
            if not isinstance(uuid, str) or not uuid.strip() or len(uuid) > 100:
                raise InvalidInput("'events' must be a non-empty list of event uuids")
        return _Undo(_short(item, "uuid"), replica, clock, list(events))
    if kind == "person":
        from promisekeeper.services.exchange import _person

        replica, clock = _stamp(item)
        return _Person(_person(item), replica, clock)
    if kind == "series":
        from promisekeeper.services.series import series_from_json

        replica, clock = _stamp(item)
        reopened = item.get("reopened")
        removed = item.get("removed", False)
        if not isinstance(removed, bool):
            raise InvalidInput("'removed' must be true or false")
        return _Series(
            series_from_json(item),
            replica,
            clock,
            0 if reopened is None else clock_from_text(reopened),
            removed,
        )
    raise InvalidInput(f"unknown record type {str(kind)[:40]!r}")


def _clock_of(item: tuple[str, Event] | _Undo | _Person | _Series) -> int:
    return item[1].clock if isinstance(item, tuple) else item.clock


# -------------------------------------------------------------------------------------------------
# Merging
# -------------------------------------------------------------------------------------------------
class _NothingNew(Exception):
    """Raised inside the change to leave a ledger untouched by a merge that changes nothing."""


def merge(ledger: Ledger, records: Iterable[dict[str, Any]]) -> Merged:
    """Apply other replicas' records in one change (`pk sync`'s): all of them, or none when
    one cannot be read (InvalidInput names it). Idempotent and order-independent."""
    events: list[tuple[str, Event]] = []
    undos: list[_Undo] = []
    people: dict[str, _Person] = {}
    series: dict[str, _Series] = {}
    last = 0
    for index, item in enumerate(records):
        try:
            found = _read(item)
        except PkError as exc:
            raise InvalidInput(f"record {index}: {exc}; nothing merged") from None
        except (KeyError, TypeError, ValueError, OverflowError, AttributeError) as exc:
            raise InvalidInput(f"record {index}: invalid ({exc}); nothing merged") from None
        last = max(last, _clock_of(found))
        if isinstance(found, tuple):
            events.append(found)
        elif isinstance(found, _Undo):
            undos.append(found)
        elif isinstance(found, _Person):
            key = name_key(found.person.name)
            held = people.get(key)
            if held is None or (found.clock, found.replica) > (held.clock, held.replica):
                people[key] = found
        else:
            held_series = series.get(found.series.uuid)
            if held_series is None or found.rank > held_series.rank:
                series[found.series.uuid] = found
    result = Merged()
    if not (events or undos or people or series):
        return result
    try:
        with ledger.change("sync") as (conn, change):
            _apply(conn, change, events, undos, people, series, last, result)
            if result.nothing:
                raise _NothingNew
    except _NothingNew:
        pass
    return result


def _apply(
    conn: Any,
    change: int,
    incoming: list[tuple[str, Event]],
    undos: list[_Undo],
    people: dict[str, _Person],
    series: dict[str, _Series],
    last: int,
    result: Merged,
) -> None:
    from promisekeeper.model.history import fold
    from promisekeeper.store import queries, replica

    queries.advance_clock(conn, last)
    # Tombstones first: what they name is never stored, and goes where it was stored.
    rows = [(uuid, u.uuid, u.replica, u.clock) for u in undos for uuid in u.events]
    result.tombstones = replica.add_tombstones(conn, rows)
    undone = sorted({uuid for u in undos for uuid in u.events})
    touched, result.undone = replica.take_back(conn, undone)
    # The events: those waiting for their promise's making join the new ones.
    held = replica.waiting(conn)
    pool: dict[str, tuple[str, Event]] = {}
    for _uuid, _promise, text in held:
        waiting_event = _read(json.loads(text))
        assert isinstance(waiting_event, tuple)
        pool[waiting_event[1].uuid] = waiting_event
    fresh: dict[str, tuple[str, Event]] = {}
    for promise, event in incoming:
        if event.uuid not in pool:
            fresh.setdefault(event.uuid, (promise, event))
    uuids = list(pool) + list(fresh)
    dead = replica.tombstoned(conn, uuids)
    # One event held with two stamps (two ledgers imported the same taskwarrior export, whose
    # event uuids come from the tasks): the lower (clock, replica) stands everywhere.
    stamps = replica.event_stamps(conn, list(fresh))
    stored = set(stamps)
    lower = []
    for uuid in stored:
        held_clock, held_replica, held_promise = stamps[uuid]
        event = fresh[uuid][1]
        if (event.clock, event.replica) < (held_clock, held_replica):
            lower.append((event.clock, event.replica, uuid))
            touched.add(held_promise)
    replica.restamp(conn, lower)
    new = [item for uuid, item in fresh.items() if uuid not in dead and uuid not in stored]
    kept_waiting = [item for uuid, item in pool.items() if uuid not in dead]
    by_promise: dict[str, list[Event]] = {}
    for promise, event in [*kept_waiting, *new]:
        by_promise.setdefault(promise, []).append(event)
    ids = replica.promise_ids(conn, list(by_promise))
    writer = queries.HistoryWriter(conn, change)
    to_known: list[Event] = []
    still_waiting: list[tuple[str, str, str]] = []
    for promise, group in by_promise.items():
        if promise in ids:
            for event in group:
                event.promise_id, event.change_id = ids[promise], change
            to_known.extend(group)
            result.events += len(group)
            touched.add(ids[promise])
        elif any(isinstance(e.detail, Made) for e in group):
            made = fold(group)
            assert made is not None
            writer.add(made, group)
            result.promises += 1
            result.events += len(group)
        else:
            still_waiting.extend(
                (e.uuid, promise, json.dumps(event_record(promise, e), ensure_ascii=False))
                for e in group
            )
    queries.append_events(conn, to_known)
    writer.flush()
    # Every promise that gained or lost an event: folded again from its whole history.
    histories = queries.histories_of(conn, sorted(touched))
    for promise_id in sorted(touched):
        history = histories.get(promise_id, [])
        try:
            folded = fold(history)
        except ValueError as exc:  # an event this ledger holds cannot be read (damage)
            raise LedgerError(
                f"promise #{promise_id} holds an event that cannot be read ({exc}); "
                "run pk doctor; nothing merged"
            ) from None
        if folded is None:
            # Its making was taken back: no row; the rest waits for a making that may come.
            uuid = replica.promise_uuid(conn, promise_id)
            still_waiting.extend(
                (e.uuid, uuid, json.dumps(event_record(uuid, e), ensure_ascii=False))
                for e in history
            )
            queries.remove_promise(conn, promise_id)
            result.removed += 1
            continue
        folded.id = promise_id
        queries.save_promise(conn, folded)
        result.changed += 1
    waiting_now = {row[0]: row for row in still_waiting}
    if held or still_waiting:
        replica.set_waiting(conn, list(waiting_now.values()))
    result.waiting = len(waiting_now)
    result.waited = {row[0] for row in held}
    result.waits = set(waiting_now)
    # People and series: the winning snapshot.
    for snapshot in people.values():
        stamp = replica.person_stamp(conn, snapshot.person.name)
        if stamp is None or (snapshot.clock, snapshot.replica) > stamp:
            replica.put_person(conn, snapshot.person, snapshot.replica, snapshot.clock)
            result.people.append(snapshot.person.name)
    for one in series.values():
        state = replica.series_state(conn, one.series.uuid)
        if state is not None:
            clock, reopened, who, removed, stopped = state
            if one.rank <= _series_rank(clock, reopened, who, removed, bool(stopped)):
                continue
        replica.put_series(conn, one.series, one.replica, one.clock, one.reopened, one.removed)
        result.series += 1
