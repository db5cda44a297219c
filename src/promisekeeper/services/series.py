"""Recurring promises: making a series, making its occurrences when they are due to exist,
stopping it, and describing it.

An occurrence is an ordinary promise whose `made` event names its series and the time it was
scheduled for; its uuid comes from those two (model.series.occurrence_uuid), so two ledgers
that make the same occurrence make the same promise, and an import never duplicates one.

The next occurrence exists once the previous one is closed (kept, broken, released, or
deleted), or once its date is within the risk window (rules.standing's window, as the ledger
sets it). An "after done" series waits for the previous one to be closed, and counts from when
it was. Occurrences are made by the commands that write (promise, keep, break, release, move)
and by `pk today` and `pk remind`, only when one is due to exist; a ledger without series pays
one query on an empty table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from promisekeeper.model.errors import InvalidInput, PkError
from promisekeeper.model.series import Series, occurrence_uuid
from promisekeeper.model.times import in_range, iso
from promisekeeper.rules import recurrence
from promisekeeper.store import queries

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up)
if TYPE_CHECKING:
    from typing import Any

    from promisekeeper.model.promise import Promise
    from promisekeeper.store.connection import Connection

# At most this many occurrences are made for one series at a time (a daily series left alone
# for years does not flood the ledger in one go; the next run makes the next ones).
MAX_CATCH_UP = 60


def local(moment: datetime) -> datetime:
    """An aware time as naive local wall time (the system zone, TZ honoured)."""
    return moment.astimezone().replace(tzinfo=None)


def utc(wall: datetime) -> datetime:
    """Naive local wall time as aware UTC, whole seconds (DST-correct via the system zone)."""
    return wall.astimezone(UTC).replace(microsecond=0)


def rule_of(series: Series) -> recurrence.Rule | None:
    """The stored rule, read; None for one this pk cannot read (a damaged or newer ledger):
    such a series makes nothing."""
    try:
        rule = recurrence.parse_every(series.rule)
    except PkError:
        return None
    return rule if rule.at is not None else None


def next_date(
    conn: Connection, series: Series, rule: recurrence.Rule, last: queries.Occurrence | None
) -> datetime | None:
    """The local wall time of the series' next occurrence after `last` (None: the first), or
    None when there is none (yet): it ended by count or date, or an "after done" series waits
    for `last` to be closed."""
    if last is None:
        wall = series.start
    elif rule.after_done:
        done = last.closed_at or last.deleted_at
        if done is None:
            return None
        if (
            series.count is not None
            and queries.count_occurrences(conn, series.uuid) >= series.count
        ):
            return None
        wall = recurrence.step_after_done(rule, local(done))
    else:
        found = recurrence.following(rule, series.start, local(last.scheduled), count=series.count)
        if found is None:
            return None
        wall = found
    due = utc(wall)
    if not in_range(due) or (series.until is not None and due > series.until):
        return None
    return wall


def _due_to_exist(
    last: queries.Occurrence | None, due: datetime, now: datetime, window: timedelta
) -> bool:
    """Whether an occurrence due at `due` exists now: the previous one is closed (or gone),
    or its date is within the risk window."""
    previous_done = last is None or last.status != "open" or last.deleted_at is not None
    return previous_done or due - now <= window


def pending(conn: Connection, now: datetime, window: timedelta) -> bool:
    """Whether any active series has an occurrence due to exist that is not made yet (read
    only: `pk today` writes only when this says so)."""
    for series in queries.active_series(conn):
        rule = rule_of(series)
        if rule is None:
            continue
        last = queries.latest_occurrence(conn, series.uuid)
        wall = next_date(conn, series, rule, last)
        if wall is not None and _due_to_exist(last, utc(wall), now, window):
            return True
    return False


def catch_up(
    conn: Connection,
    change: int,
    now: datetime,
    window: timedelta,
    only: list[Series] | None = None,
) -> list[Promise]:
    """Make every occurrence due to exist of the active series (or of `only`), in `change`."""
    from promisekeeper.model.events import Event, Made
    from promisekeeper.model.history import apply

    made: list[Promise] = []
    for series in queries.active_series(conn) if only is None else only:
        rule = rule_of(series)
        if rule is None:
            continue
        last = queries.latest_occurrence(conn, series.uuid)
        for _ in range(MAX_CATCH_UP):
            wall = next_date(conn, series, rule, last)
            if wall is None:
                break
            due = utc(wall)
            if not _due_to_exist(last, due, now, window):
                break
            uuid = occurrence_uuid(series.uuid, wall)
            if queries.has_promise_uuid(conn, uuid):
                break  # made already (and deleted, or imported out of order): never twice
            detail = Made(
                uuid=uuid,
                what=series.what,
                to=[queries.canonical_name(conn, name) for name in series.to],
                due=due,
                made=min(now, due),
                note=series.note,
                tags=list(series.tags),
                series=series.uuid,
                occurrence=due,
            )
            event = Event.of(detail, now, change_id=change)
            promise = apply(None, event)
            assert promise is not None
            event.promise_id = queries.save_promise(conn, promise)
            queries.append_event(conn, event)
            made.append(promise)
            last = queries.Occurrence(promise.id or 0, due, due, "open", None, None)
    return made


def new_series(
    what: str,
    to: list[str],
    every: str,
    now: datetime,
    *,
    day_ends: Any,
    until: datetime | None = None,
    count: int | None = None,
    note: str = "",
    tags: list[str] | None = None,
) -> Series:
    """A series from `pk promise --every`: the rule read (its time of day the end of the
    working day when the phrase gives none), the first occurrence the first date after now.
    `--until` before the first occurrence and `--count` below 1 are refused."""
    import uuid as uuidlib

    from promisekeeper.rules.dates import format_day_time

    rule = recurrence.with_time(recurrence.parse_every(every), day_ends)
    start = recurrence.first(rule, local(now))
    if not in_range(utc(start)):
        raise InvalidInput(f'--every "{every[:60]}": the first date is out of range')
    if count is not None and count < 1:
        raise InvalidInput(f"--count must be 1 or more, not {count}")
    if until is not None and until < utc(start):
        raise InvalidInput(
            f"--until {format_day_time(until, now)} is before the first occurrence, "
            f"{format_day_time(utc(start), now)}: nothing would be promised"
        )
    return Series(
        uuid=str(uuidlib.uuid4()),
        what=what,
        to=list(to),
        rule=recurrence.words(rule),
        start=start,
        made=now,
        until=until,
        count=count,
        note=note,
        tags=list(tags or []),
    )


@dataclass
class SeriesView:
    """A series as `pk show` and `pk list --series` describe it."""

    series: Series
    occurrences: list[Promise]
    next_dates: list[datetime]
    after_done: bool

    @property
    def latest(self) -> Promise | None:
        return self.occurrences[-1] if self.occurrences else None


def view(conn: Connection, series: Series, n: int = 3) -> SeriesView:
    """The series, its occurrences (not deleted), and its next `n` dates after the latest
    occurrence (none once stopped, or for an "after done" series, whose dates follow the
    keep times)."""
    occurrences = queries.series_promises(conn, series.uuid)
    rule = rule_of(series)
    dates: list[datetime] = []
    if rule is not None and series.stopped_at is None and not rule.after_done:
        last = queries.latest_occurrence(conn, series.uuid)
        previous = local(last.scheduled) if last is not None else None
        walls = (
            recurrence.upcoming(rule, series.start, previous, n, count=series.count)
            if previous is not None
            else [series.start]
        )
        dates = [utc(w) for w in walls if series.until is None or utc(w) <= series.until]
    return SeriesView(series, occurrences, dates, rule is not None and rule.after_done)


def series_json(item: SeriesView | Series) -> dict[str, Any]:
    """A series as `pk list --series --json`, `pk show --json` and `pk export` give it."""
    series = item.series if isinstance(item, SeriesView) else item
    data: dict[str, Any] = {
        "uuid": series.uuid,
        "what": series.what,
        "to": list(series.to),
        "rule": series.rule,
        "start": series.start.isoformat(timespec="minutes"),
        "until": None if series.until is None else iso(series.until),
        "count": series.count,
        "made": iso(series.made),
        "note": series.note,
        "tags": list(series.tags),
        "stopped_at": None if series.stopped_at is None else iso(series.stopped_at),
    }
    if isinstance(item, SeriesView):
        data["occurrences"] = [p.id for p in item.occurrences]
        data["open"] = [p.id for p in item.occurrences if p.status == "open"]
        data["next"] = [iso(d) for d in item.next_dates]
    return data


def series_from_json(item: Any) -> Series:
    """A series of an export, checked; InvalidInput when it is not one pk writes."""
    from promisekeeper.model.times import from_iso
    from promisekeeper.rules.fields import clean_people, clean_tags, clean_text

    if not isinstance(item, dict):
        raise InvalidInput(f"expected an object, got {type(item).__name__}")
    for key in ("uuid", "what", "to", "rule", "start", "made"):
        if key not in item:
            raise InvalidInput(f"missing {key!r}")
    uuid, rule, start = item["uuid"], item["rule"], item["start"]
    if not isinstance(uuid, str) or not uuid.strip() or len(uuid) > 100:
        raise InvalidInput("'uuid' must be a short non-empty string")
    if not isinstance(rule, str):
        raise InvalidInput("'rule' must be a string")
    parsed = recurrence.parse_every(rule)
    if parsed.at is None:
        raise InvalidInput(f"'rule' must give a time of day, as pk writes it: {rule[:60]!r}")
    rule = recurrence.words(parsed)  # kept in the one form pk writes
    if not isinstance(start, str) or len(start) > 40:
        raise InvalidInput("'start' must be a local date and time like 2026-11-30T10:00")
    try:
        wall = datetime.fromisoformat(start)
    except ValueError:
        raise InvalidInput(f"'start' is not a local date and time: {start[:40]!r}") from None
    if wall.tzinfo is not None or not in_range(utc(wall)):
        raise InvalidInput(f"'start' must be a local date and time in range: {start[:40]!r}")
    to = item["to"]
    if not isinstance(to, list) or not all(isinstance(n, str) for n in to):
        raise InvalidInput("'to' must be a list of names")
    tags = item.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise InvalidInput("'tags' must be a list of strings")
    count = item.get("count")
    if count is not None and (not isinstance(count, int) or isinstance(count, bool) or count < 1):
        raise InvalidInput("'count' must be a whole number, 1 or more, or null")
    note = item.get("note") or ""
    if not isinstance(note, str) or not isinstance(item["what"], str):
        raise InvalidInput("'what' and 'note' must be strings")

    def moment(key: str) -> datetime | None:
        value = item.get(key)
        if value is None:
            return None
        try:
            found = from_iso(value)
        except PkError:
            raise InvalidInput(f"{key!r} must be an ISO 8601 time") from None
        if not in_range(found):
            raise InvalidInput(f"{key!r} is out of range")
        return found

    made = moment("made")
    assert made is not None
    return Series(
        uuid=uuid,
        what=clean_text(item["what"], "what"),
        to=clean_people(to),
        rule=rule,
        start=wall.replace(second=0, microsecond=0),
        made=made,
        until=moment("until"),
        count=count,
        note=clean_text(note, "note", allow_empty=True),
        tags=clean_tags(tags),
        stopped_at=moment("stopped_at"),
    )
