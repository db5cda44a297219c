"""The ledger: making, keeping, moving and dropping promises, and the views over them.

Every command that changes something is one `change`: its events are appended and the promise rows
are re-derived from them inside one transaction, so a change lands whole or not at all and
`pk undo` can take it back. This module knows nothing about the terminal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from itertools import islice
from pathlib import Path

from promisekeeper.model.errors import AmbiguousId, InvalidInput, PkError, PromiseNotFound
from promisekeeper.model.promise import Person, Promise, name_key
from promisekeeper.model.settings import Config
from promisekeeper.rules.fields import (
    clean_people,
    clean_tags,
    clean_terms,
    clean_text,
    effort_seconds,
)
from promisekeeper.rules.standing import is_at_risk, needs_telling, risk_reason, standing
from promisekeeper.rules.timing import kept_on_time, lateness, past_due
from promisekeeper.rules.worktime import EffortRule, local_day, local_month_start
from promisekeeper.store import connection, queries
from promisekeeper.store.connection import Connection

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up)
if TYPE_CHECKING:
    from typing import Any

    from promisekeeper.model.events import Detail, Event
    from promisekeeper.rules.ids import IdText

# The event types and the fold are imported where a change is recorded: the daily view reads
# promise rows only and never needs them.
RECENTLY_KEPT = timedelta(days=14)
SHOWN_CHOICES = 5  # promises an ambiguous start of a uuid names
# What `pk trust PERSON` says of their record with you (with kept_late: kept - kept_on_time).
THEIR_RECORD = ("made", "open", "overdue", "kept", "kept_on_time", "broken", "released")


@dataclass
class Today:
    """What `pk today` shows: what needs attention now, and what was kept today."""

    overdue: list[Promise] = field(default_factory=list)
    due_today: list[Promise] = field(default_factory=list)
    at_risk: list[Promise] = field(default_factory=list)
    kept_today: list[Promise] = field(default_factory=list)
    # Promises owed to you that are overdue, due today or at risk (their own section).
    owed: list[Promise] = field(default_factory=list)


@dataclass
class Status:
    """What `pk status` shows, grouped by standing, plus the summary figures."""

    overdue: list[Promise] = field(default_factory=list)
    at_risk: list[Promise] = field(default_factory=list)
    on_track: list[Promise] = field(default_factory=list)
    recently_kept: list[Promise] = field(default_factory=list)
    kept_on_time_this_month: int = 0
    # How many there are in all, when status(limit=...) read only the first few.
    on_track_total: int = 0
    recently_kept_total: int = 0
    # Open promises owed to you, soonest due first (their own section), and how many in all.
    owed: list[Promise] = field(default_factory=list)
    owed_total: int = 0


@dataclass
class Incoming:
    """A history to import: its events, the promise they fold into (when already folded, in
    the order given), and for a record without a uuid whether its making time was given (it
    is then matched by content; None: by uuid)."""

    events: list[Event]
    promise: Promise | None = None
    by_content: bool | None = None


_IMPORT_BATCH = 500  # histories stored together, and asked about together


@dataclass
class TakenBack:
    """What undoing a change does to one promise: the change's events on it, the promise as
    it is, and as it will be (None: removed, because its making is taken back)."""

    promise_id: int
    events: list[Event]
    before: Promise | None
    after: Promise | None


@dataclass
class Terms:
    """What `pk edit` changes in the terms: items to add to and drop from what the promise
    includes and excludes, and a new source (None: as it is; "": none)."""

    add_includes: list[str] = field(default_factory=list)
    drop_includes: list[str] = field(default_factory=list)
    add_excludes: list[str] = field(default_factory=list)
    drop_excludes: list[str] = field(default_factory=list)
    source: str | None = None

    def applied_to(self, promise: Promise, promise_id: int) -> dict[str, Any]:
        """The new values of the fields these changes touch; dropping an item the promise does
        not list is refused (a typo must not look like a change)."""
        wanted: dict[str, Any] = {}
        for name, add, drop, option in (
            ("includes", self.add_includes, self.drop_includes, "--includes"),
            ("excludes", self.add_excludes, self.drop_excludes, "--excludes"),
        ):
            if not add and not drop:
                continue
            current: list[str] = getattr(promise, name)
            dropped = clean_terms(drop, f"--drop-{name}")
            for item in dropped:
                if item not in current:
                    listed = "; ".join(current) if current else "nothing"
                    raise InvalidInput(
                        f"promise {promise_id} does not list {item!r} in {name} (it {name}: "
                        f"{listed})"
                    )
            kept = [item for item in current if item not in dropped]
            wanted[name] = clean_terms(kept + add, option)
        if self.source is not None:
            wanted["source"] = clean_text(self.source, "--source", allow_empty=True)
        return wanted


@dataclass
class Undone:
    """The last change and what taking it back does (`pk undo`, and its preview)."""

    change_id: int
    command: str
    at: datetime
    steps: list[TakenBack] = field(default_factory=list)
    other_ledger: bool = False

    @property
    def promise_ids(self) -> list[int]:
        return [step.promise_id for step in self.steps]


class Ledger:
    """One ledger file, seen at one moment `now` with one set of settings."""

    def __init__(
        self, path: Path, *, now: datetime, config: Config | None = None, create_dirs: bool = False
    ) -> None:
        self.path = path
        self.now = now
        self.config = config or Config()
        self.create_dirs = create_dirs
        self._conn: Connection | None = None
        self._risk_window: timedelta | None = None
        self._effort_rule: EffortRule | None = None
        self._writable = False
        self._write_first = False
        self._riders: list[Callable[[Connection], None]] = []
        self.changed = False  # a change was recorded by this run ([sync] auto follows it)

    # -- connection ---------------------------------------------------------------------------
    def will_write(self) -> None:
        """This command reads, then records a change: open an existing ledger for writing at
        the first read, so the command uses one connection (and one soundness check), not a
        reader and then a writer. A ledger that does not exist yet is still not created
        until the change is recorded."""
        self._write_first = True

    def may_write(self) -> None:
        """A command that records a change only sometimes (cron's `pk remind`): will_write,
        when the ledger can be written; one that cannot is read as before, and only a change
        to record says it cannot be."""
        if self.path.exists() and connection.can_write(self.path):
            self._write_first = True

    def _reader(self) -> Connection | None:
        if self._conn is None:
            if self._write_first and self.path.exists():
                return self._writer()
            self._conn = connection.connect(self.path, write=False, create_dirs=self.create_dirs)
        return self._conn

    def _writer(self) -> Connection:
        if self._conn is None or not self._writable:
            if self._conn is not None:
                self._conn.close()
            self._conn = connection.connect(self.path, write=True, create_dirs=self.create_dirs)
            self._writable = True
        assert self._conn is not None
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    @contextmanager
    def change(
        self, command: str, promise_id: int | None = None
    ) -> Iterator[tuple[Connection, int]]:
        """One command's change; a change to a promise in a ledger that does not exist yet fails
        before anything (the file included) is created."""
        if promise_id is not None and not self.path.exists():
            self._reader()  # a ledger that can never exist (missing directory) says so
            raise PromiseNotFound(f"no promise with id {promise_id}")
        conn = self._writer()
        with connection.guarded(self.path), connection.transaction(conn):
            yield conn, queries.begin_change(conn, command, self.now)
            self._ride(conn)
        self.changed = True

    @contextmanager
    def riding(self, write: Callable[[Connection], None]) -> Iterator[list[bool]]:
        """Inside the block, the next transaction of this ledger (a change or bookkeeping) also
        runs `write(conn)` just before it commits: sync's read offsets land with the records
        they read, or not at all. Yields [ran]: whether it did."""
        ran = [False]

        def rider(conn: Connection) -> None:
            write(conn)
            ran[0] = True

        self._riders.append(rider)
        try:
            yield ran
        finally:
            if rider in self._riders:
                self._riders.remove(rider)

    def _ride(self, conn: Connection) -> None:
        riders, self._riders = self._riders, []
        for write in riders:
            write(conn)

    def bookkeeping(self, write: Callable[[Connection], Any]) -> Any:
        """Run `write(conn)` in a transaction of its own that records no change (pk undo never
        sees it): sync's settings and progress in the meta table."""
        conn = self._writer()
        with connection.guarded(self.path), connection.transaction(conn):
            result = write(conn)
            self._ride(conn)
            return result

    def read(self, fn: Callable[[Connection], Any], default: Any = None) -> Any:
        """A read of the ledger through a store function (`default` when it does not exist)."""
        return self._query(fn, default=default)

    def _query(self, fn: Any, *args: Any, default: Any = None, **kwargs: Any) -> Any:
        """Run a read against the ledger; a missing ledger reads as empty."""
        conn = self._reader()
        if conn is None:
            return default
        with connection.guarded(self.path):
            return fn(conn, *args, **kwargs)

    def _record(self, conn: Connection, change: int, promise: Promise, detail: Detail) -> Promise:
        """Append one event and store the promise as the history now says it is."""
        from promisekeeper.model.events import Event
        from promisekeeper.model.history import apply

        event = Event.of(detail, self.now, promise_id=promise.id, change_id=change)
        new = apply(promise, event)
        assert new is not None
        new.id = promise.id
        queries.save_promise(conn, new)
        queries.append_event(conn, event)
        # Read back: who was told and which date they heard come from the history, not the row.
        return queries.get_promise(conn, new.id or 0) or new

    def _load(self, conn: Connection, promise_id: int) -> Promise:
        found = queries.get_promise(conn, promise_id)
        if found is None or found.deleted_at is not None:
            raise PromiseNotFound(f"no promise with id {promise_id}")
        return found

    # -- reading ------------------------------------------------------------------------------
    def get(self, promise_id: int) -> Promise:
        found = self._query(queries.get_promise, promise_id)
        if found is None or found.deleted_at is not None:
            raise PromiseNotFound(f"no promise with id {promise_id}")
        return found

    def resolve(self, text: str | IdText) -> int:
        """The local id of the promise `text` names (rules.ids): a local id as it is (the
        command then says if there is no such promise), else the one promise whose uuid is or
        begins with it."""
        from promisekeeper.rules.ids import read_id, uuid_forms
        from promisekeeper.telling.text import safe

        ref = read_id(text) if isinstance(text, str) else text
        if ref.local is not None:
            return ref.local
        typed = safe(ref.typed.strip())
        if ref.whole:
            found = self._query(queries.promise_with_uuid, ref.whole)
            if found is None:
                raise PromiseNotFound(f"no promise with id {typed}")
            return int(found)
        total, rows = self._query(
            queries.promises_with_uuid_start,
            uuid_forms(ref.digits),
            SHOWN_CHOICES,
            default=(0, []),
        )
        if total == 0:
            raise PromiseNotFound(f"no promise with id {typed}")
        if total > 1:
            choices = ", ".join(f"{self.shown_id(uuid)} (#{pid})" for pid, uuid in rows)
            more = f" and {total - len(rows):,} more" if total > len(rows) else ""
            raise AmbiguousId(
                f"{typed} could be {total:,} promises: {choices}{more}; "
                "type more of the uuid of the one you mean"
            )
        return rows[0][0]

    def shown_id(self, uuid: str) -> str:
        """The id of the promise with this uuid that is the same on every machine, as pk shows
        it (rules.ids): its shortest start of at least 8 hex digits, with a letter, that no
        other promise's uuid begins with; `u:UUID` when no start of it will do."""
        from promisekeeper.rules.ids import (
            FEWEST_SHOWN,
            can_show,
            hex_digits,
            shown_form,
            uuid_forms,
        )

        digits = hex_digits(uuid)
        for count in range(FEWEST_SHOWN, len(digits or "") + 1):
            start = (digits or "")[:count]
            total, rows = self._query(
                queries.promises_with_uuid_start,
                uuid_forms(start),
                2,
                include_deleted=True,
                default=(0, []),
            )
            if uuid not in (found for _, found in rows) and total < 2:
                break  # a uuid spelled in a way no start of it reaches
            if total == 1 and can_show(start):
                return shown_form(uuid, count)
        return f"u:{uuid}"

    def history(self, promise_id: int) -> list[Event]:
        self.get(promise_id)
        return self._query(queries.events_for, promise_id, default=[])

    def export_histories(self) -> Iterator[tuple[Promise, list[queries.StoredEvent]]]:
        """Every promise, deleted ones included, with its history as stored, a promise at a
        time (queries.export_histories), all read in one snapshot of the ledger."""
        conn = self._reader()
        if conn is None:
            return
        with connection.guarded(self.path):
            yield from queries.export_histories(conn)

    def known_uuids(self, uuids: list[str]) -> set[str]:
        """Which of these promise uuids the ledger holds (deleted ones included)."""
        found: set[str] = self._query(queries.known_promise_uuids, uuids, default=set())
        return found

    def raw_history(self, promise_id: int) -> list[Event]:
        """The history of any promise, deleted ones included (for export)."""
        return self._query(queries.events_for, promise_id, default=[])

    @property
    def risk_window(self) -> timedelta:
        """The configured risk window, widened by how late you usually run (learned_lead)."""
        if self._risk_window is None:
            self._risk_window = self.config.risk_window + self.learned_lead()
        return self._risk_window

    def learned_lead(self) -> timedelta:
        """Your median lateness over recent late promises (see rules.lead.learned_lead_from):
        promises start counting as at risk that much earlier. Off with learn_from_record = false."""
        if not self.config.learn_from_record:
            return timedelta(0)
        from promisekeeper.rules.lead import learned_lead_from

        since = self.now - timedelta(days=180)
        late = [
            p
            for p in self._query(queries.kept_late_since, since, default=[])
            if not kept_on_time(p)
        ]
        seconds = [lateness(p, self.now).total_seconds() for p in late]
        return learned_lead_from(seconds)

    def effort_rule(self, promise: Promise) -> EffortRule | None:
        """Working hours and slip factor, for promises that have an effort (else None)."""
        if promise.effort is None:
            return None
        if self._effort_rule is None:
            self._effort_rule = EffortRule(
                day_starts=self.config.day_starts,
                day_ends=self.config.day_ends,
                slip=self.slip_factor(),
            )
        return self._effort_rule

    def slip_factor(self) -> float:
        """How much longer things take you than you promise: the median of (time taken / time
        promised) over your latest 200 kept promises, at least three; between 1 and 3."""
        from promisekeeper.rules import track

        ratios = track.slip_ratios(self._query(queries.recent_kept_spans, default=[]))
        if len(ratios) < track.MIN_RECORD or not self.config.learn_from_record:
            return 1.0
        return min(max(track.slip_factor(ratios, 50) or 1.0, 1.0), 3.0)

    def risk_reason(self, promise: Promise) -> str:
        """Why the promise needs attention (rules.standing.risk_reason), with these settings."""
        cfg = self.config
        return risk_reason(
            promise, self.now, self.risk_window, cfg.risk_fraction, self.effort_rule(promise)
        )

    def standing(self, promise: Promise) -> str:
        cfg = self.config
        return standing(
            promise, self.now, self.risk_window, cfg.risk_fraction, self.effort_rule(promise)
        )

    def list(
        self,
        *,
        to: str | None = None,
        status: str = "open",
        tag: str | None = None,
        due_before: datetime | None = None,
        include_deleted: bool = False,
        direction: str | None = None,
    ) -> list[Promise]:
        """`pk list`: `direction` "mine", "owed", or None for both."""
        return self._query(
            queries.list_promises,
            to_key=name_key(to) if to else None,
            status=status,
            tag=tag.strip() if tag else None,
            due_before=due_before,
            include_deleted=include_deleted,
            direction=direction,
            default=[],
        )

    def _needing_a_look(self, direction: str) -> list[Promise]:
        _start, end = local_day(self.now)
        found: list[Promise] = self._query(
            queries.open_needing_a_look,
            due_before=max(end, self.now + self.risk_window + timedelta(seconds=1)),
            now=self.now,
            fraction=self.config.risk_fraction,
            direction=direction,
            default=[],
        )
        return found

    def today(self) -> Today:
        cfg = self.config
        start, end = local_day(self.now)
        candidates = self._needing_a_look("mine")
        view = Today()
        view.owed = [
            p
            for p in self._needing_a_look("owed")
            if p.due < end or self.standing(p) in ("overdue", "at_risk")
        ]
        for promise in candidates:
            if past_due(promise, self.now):
                view.overdue.append(promise)
            elif promise.due < end:
                view.due_today.append(promise)
            elif is_at_risk(
                promise,
                self.now,
                self.risk_window,
                cfg.risk_fraction,
                self.effort_rule(promise),
            ):
                view.at_risk.append(promise)
        view.kept_today = self._query(queries.kept_since, start, default=[])
        return view

    def open_summary(self) -> tuple[int, Promise | None]:
        """How many promises are open, and the next one coming due."""
        count = self._query(queries.count_open, default=0)
        upcoming = self._query(queries.open_due_after, self.now, limit=1, default=[])
        return count, (upcoming[0] if upcoming else None)

    def open_owed_count(self) -> int:
        """How many promises others made you are open (pk expect)."""
        count: int = self._query(queries.count_open_owed, default=0)
        return count

    def status(self, limit: int | None = None) -> Status:
        """The full picture. Overdue and at-risk promises always in full; with `limit`, only
        the first few on-track and recently kept ones are read (and the rest counted), so the
        view costs the same with a hundred open promises or ten thousand."""
        view = Status()
        today = self.today()
        view.overdue = today.overdue
        view.at_risk = [p for p in today.due_today + today.at_risk if self.standing(p) == "at_risk"]
        worried = {p.id for p in view.overdue + view.at_risk}
        upcoming = self._query(
            queries.open_due_after,
            self.now,
            limit=None if limit is None else limit + len(worried),
            default=[],
        )
        view.on_track = [p for p in upcoming if p.id not in worried][:limit]
        open_count = self._query(queries.count_open, default=0)
        view.on_track_total = open_count - len(worried)
        since = self.now - RECENTLY_KEPT
        view.recently_kept = self._query(
            queries.kept_since, since, newest_first=True, limit=limit, default=[]
        )
        view.recently_kept_total = self._query(queries.count_kept_since, since, default=0)
        view.kept_on_time_this_month = sum(
            1
            for p in self._query(queries.kept_since, local_month_start(self.now), default=[])
            if kept_on_time(p)
        )
        view.owed = self._query(queries.open_owed, limit=limit, default=[])
        view.owed_total = self._query(queries.count_open_owed, default=0)
        return view

    # -- changing -----------------------------------------------------------------------------
    def make(
        self,
        what: str,
        to: list[str],
        due: datetime,
        *,
        note: str = "",
        tags: list[str] | None = None,
        force: bool = False,
        effort: timedelta | None = None,
        direction: str = "mine",
        includes: list[str] | None = None,
        excludes: list[str] | None = None,
        source: str = "",
    ) -> Promise:
        """Record a promise: yours (`direction` "mine", `to` whom), or one made to you
        ("owed", `to` names who promised it: `pk expect`), with its terms."""
        owed = direction == "owed"
        what = clean_text(what, "what they promise" if owed else "what you promise")
        included = clean_terms(includes or [], "--includes")
        excluded = clean_terms(excludes or [], "--excludes")
        source = clean_text(source, "--source", allow_empty=True)
        people = clean_people(to)
        if due <= self.now and not force:
            raise InvalidInput(
                "that due time is in the past; use --force to record a promise after the fact"
            )
        from promisekeeper.model.events import Event, Made, new_uuid
        from promisekeeper.model.history import apply

        note = clean_text(note, "note", allow_empty=True)
        tags = clean_tags(tags or [])
        effort_s = None if effort is None else effort_seconds(effort)
        with self.change("expect" if owed else "promise") as (conn, change):
            made = Made(
                uuid=new_uuid(),
                what=what,
                to=[queries.canonical_name(conn, name) for name in people],
                due=due,
                made=self.now,
                note=note,
                tags=tags,
                effort_s=effort_s,
                direction=direction,
                includes=included,
                excludes=excluded,
                source=source,
            )
            event = Event.of(made, self.now, change_id=change)
            promise = apply(None, event)
            assert promise is not None
            event.promise_id = queries.save_promise(conn, promise)
            queries.append_event(conn, event)
            self._repeat(conn, change)
        return promise

    # -- series (recurring promises: services.series) -----------------------------------------
    def _repeat(self, conn: Connection, change: int) -> list[Promise]:
        """Make the occurrences of series that are due to exist, in this change; a ledger
        without series pays one query on an empty table."""
        active = queries.active_series(conn)
        if not active:
            return []
        from promisekeeper.services import series

        return series.catch_up(conn, change, self.now, self.risk_window, active)

    def make_series(
        self,
        what: str,
        to: list[str],
        every: str,
        *,
        until: datetime | None = None,
        count: int | None = None,
        note: str = "",
        tags: list[str] | None = None,
    ) -> tuple[Any, Promise]:
        """`pk promise --every`: a series and its first occurrence, in one change."""
        from promisekeeper.services import series

        made = series.new_series(
            clean_text(what, "what you promise"),
            clean_people(to),
            every,
            self.now,
            day_ends=self.config.day_ends,
            until=until,
            count=count,
            note=clean_text(note, "note", allow_empty=True),
            tags=clean_tags(tags or []),
        )
        with self.change("promise") as (conn, change):
            made.to = [queries.canonical_name(conn, name) for name in made.to]
            queries.add_series(conn, made, change)
            first = series.catch_up(conn, change, self.now, self.risk_window, [made])
            self._repeat(conn, change)
        return made, first[0]

    def repeat_due(self) -> list[Promise]:
        """For `pk today` and `pk remind`: make the occurrences due to exist now, if any, in a
        change of their own (`repeat`, which undo passes by: the next run would make them
        again). Reads only, and writes nothing, when none is due; a ledger that cannot be
        written is shown as it is."""
        if not self._query(queries.active_series, default=[]):
            return []  # no series: nothing of theirs is loaded
        from promisekeeper.services import series

        if not self._query(series.pending, self.now, self.risk_window, default=False):
            return []
        try:
            with self.change("repeat") as (conn, change):
                return self._repeat(conn, change)
        except PkError:
            return []

    def series_view(self, promise: Promise) -> Any:
        """The series an occurrence belongs to, described (None for other promises, or when
        the ledger does not hold its series)."""
        if promise.series is None:
            return None
        from promisekeeper.services import series

        def read(conn: Connection) -> Any:
            found = queries.get_series(conn, promise.series or "")
            return None if found is None else series.view(conn, found)

        return self._query(read)

    def series_view_of(self, found: Any) -> Any:
        """A series (model.series.Series), described as it stands now."""
        from promisekeeper.services import series

        return self._query(lambda conn: series.view(conn, found))

    def export_series(self) -> list[Any]:
        """Every series as stored (for export)."""
        return self._query(queries.all_series, default=[])

    def all_series(self) -> list[Any]:
        """Every series, described (`pk list --series`)."""
        from promisekeeper.services import series

        def read(conn: Connection) -> list[Any]:
            return [series.view(conn, s) for s in queries.all_series(conn)]

        return self._query(read, default=[])

    def stop(self, promise_id: int, *, drop_open: bool = False) -> tuple[Any, list[Promise]]:
        """`pk stop ID`: end the series occurrence `promise_id` belongs to; no occurrence is
        made after now. Its open occurrences stay promised, unless `drop_open`: then they are
        released (they agreed the series ends), each with that reason in its history.
        Returns the series and the occurrences released."""
        from promisekeeper.model.events import Closed, Noted

        with self.change("stop", promise_id) as (conn, change):
            promise = self._load(conn, promise_id)
            if promise.series is None:
                raise InvalidInput(f"promise {promise_id} is not part of a series")
            found = queries.get_series(conn, promise.series)
            if found is None:
                raise InvalidInput(
                    f"promise {promise_id} belongs to a series this ledger does not hold; "
                    "import the export that has it"
                )
            if found.stopped_at is not None:
                raise InvalidInput(f"the series of promise {promise_id} is stopped already")
            queries.stop_series(conn, found.uuid, self.now, change)
            released: list[Promise] = []
            occurrences = queries.series_promises(conn, found.uuid)
            for occurrence in occurrences:
                if drop_open and occurrence.status == "open":
                    reason = "the series was stopped (pk stop --drop-open)"
                    released.append(
                        self._record(conn, change, occurrence, Closed("released", self.now, reason))
                    )
            if not released:
                # The stop is recorded in the history of its latest occurrence, so the record
                # says when it ended and undo can take it back.
                latest = occurrences[-1] if occurrences else promise
                self._record(conn, change, latest, Noted(f"Series stopped: {found.rule}"))
            found.stopped_at = self.now
        return found, released

    def keep(self, promise_id: int, *, at: datetime | None = None, note: str = "") -> Promise:
        from promisekeeper.rules.dates import format_day_time

        when = at or self.now
        if when > self.now:
            raise InvalidInput(
                f"cannot keep a promise in the future ({format_day_time(when, self.now)}); "
                "leave out --at to mean now"
            )
        with self.change("keep", promise_id) as (conn, change):
            promise = self._open_promise(conn, promise_id, "keep")
            # --at before the promise existed is refused; keeping it now always works, even
            # when an import dated its making ahead of now.
            if at is not None and at < promise.made:
                raise InvalidInput(
                    f"cannot keep promise {promise_id} at {format_day_time(when, self.now)}: "
                    f"it was made later, {format_day_time(promise.made, self.now)}"
                )
            from promisekeeper.model.events import Closed

            closed = Closed("kept", when, note=clean_text(note, "note") if note else "")
            kept = self._record(conn, change, promise, closed)
            self._repeat(conn, change)
            return kept

    def move(
        self, promise_id: int, due: datetime, *, reason: str = "", force: bool = False
    ) -> Promise:
        if due <= self.now and not force:
            raise InvalidInput("the new due time is in the past; use --force to record it anyway")
        with self.change("move", promise_id) as (conn, change):
            promise = self._open_promise(conn, promise_id, "move")
            if due == promise.due:
                raise InvalidInput(f"promise {promise_id} is already due then")
            from promisekeeper.model.events import Moved

            moved = Moved(
                from_due=promise.due,
                to_due=due,
                before_deadline=not past_due(promise, self.now),
                reason=clean_text(reason, "reason") if reason else "",
            )
            moved_promise = self._record(conn, change, promise, moved)
            self._repeat(conn, change)
            return moved_promise

    def settle(self, promise_id: int, kind: str, *, reason: str = "") -> Promise:
        """Mark a promise broken (you couldn't) or released (they let you off)."""
        assert kind in ("broken", "released")
        verb = "break" if kind == "broken" else "release"
        with self.change(verb, promise_id) as (conn, change):
            promise = self._open_promise(conn, promise_id, verb)
            from promisekeeper.model.events import Closed

            closed = Closed(kind, self.now, reason=clean_text(reason, "reason") if reason else "")
            settled = self._record(conn, change, promise, closed)
            self._repeat(conn, change)
            return settled

    def reopen(self, promise_id: int) -> Promise:
        with self.change("reopen", promise_id) as (conn, change):
            promise = self._load(conn, promise_id)
            if promise.status == "open":
                raise InvalidInput(f"promise {promise_id} is already open")
            from promisekeeper.model.events import Reopened

            return self._record(conn, change, promise, Reopened(promise.status))

    def add_note(self, promise_id: int, text: str) -> Promise:
        with self.change("note", promise_id) as (conn, change):
            promise = self._load(conn, promise_id)
            from promisekeeper.model.events import Noted

            return self._record(conn, change, promise, Noted(clean_text(text, "note")))

    def edit(
        self,
        promise_id: int,
        *,
        what: str | None = None,
        to: list[str] | None = None,
        note: str | None = None,
        add_tags: list[str] | None = None,
        remove_tags: list[str] | None = None,
        effort: timedelta | None = None,
        terms: Terms | None = None,
    ) -> Promise:
        with self.change("edit", promise_id) as (conn, change):
            promise = self._load(conn, promise_id)
            wanted: dict[str, Any] = {}
            if what is not None:
                wanted["what"] = clean_text(what, "what you promise")
            if to:
                wanted["to"] = [queries.canonical_name(conn, name) for name in clean_people(to)]
            if note is not None:
                wanted["note"] = clean_text(note, "note", allow_empty=True)
            if add_tags or remove_tags:
                drop = set(clean_tags(remove_tags or []))
                tags = [t for t in promise.tags if t not in drop]
                wanted["tags"] = clean_tags(tags + (add_tags or []))
            if terms is not None:
                wanted.update(terms.applied_to(promise, promise_id))
            changes: dict[str, tuple[Any, Any]] = {
                name: (getattr(promise, name), value)
                for name, value in wanted.items()
                if getattr(promise, name) != value
            }
            if effort is not None:
                old = None if promise.effort is None else effort_seconds(promise.effort)
                new = effort_seconds(effort) if effort.total_seconds() > 0 else None
                if old != new:
                    changes["effort"] = (old, new)
            if not changes:
                raise InvalidInput(
                    "nothing to change: give --what, --to, --note, --tag, --untag, --effort, "
                    "--includes, --excludes or --source"
                )
            from promisekeeper.model.events import Edited

            return self._record(conn, change, promise, Edited(changes))

    # -- checkpoints --------------------------------------------------------------------------
    def add_checkpoint(self, promise_id: int, what: str, by: datetime) -> Promise:
        """A dated milestone inside an open promise: not in the past (it would be missed the
        moment it is made) and not after the promise's due date (it would not be inside it)."""
        from promisekeeper.model.promise import MAX_CHECKPOINTS
        from promisekeeper.rules.dates import format_day_time

        what = clean_text(what, "the checkpoint")
        if by <= self.now:
            raise InvalidInput(
                f"--by {format_day_time(by, self.now)} is not in the future: a checkpoint in "
                "the past would be missed the moment it is made"
            )
        with self.change("checkpoint", promise_id) as (conn, change):
            promise = self._open_promise(conn, promise_id, "add a checkpoint to")
            if by > promise.due:
                raise InvalidInput(
                    f"--by {format_day_time(by, self.now)} is after promise {promise_id} is "
                    f"due ({format_day_time(promise.due, self.now)}): a checkpoint is a step "
                    f"on the way; pk move {promise_id} first if the whole promise moves"
                )
            if len(promise.checkpoints) >= MAX_CHECKPOINTS:
                raise InvalidInput(
                    f"promise {promise_id} has {MAX_CHECKPOINTS} checkpoints, the most it can hold"
                )
            from promisekeeper.model.events import CheckpointAdded

            return self._record(conn, change, promise, CheckpointAdded(what, by))

    def keep_checkpoint(
        self, promise_id: int, number: int, *, at: datetime | None = None, note: str = ""
    ) -> Promise:
        """Tick checkpoint `number` off (now, or `at`); the promise itself stays open."""
        from promisekeeper.rules.dates import format_day_time

        when = at or self.now
        if when > self.now:
            raise InvalidInput(
                f"cannot tick a checkpoint off in the future ({format_day_time(when, self.now)}); "
                "leave out --at to mean now"
            )
        with self.change("keep", promise_id) as (conn, change):
            promise = self._open_promise(conn, promise_id, "tick off a checkpoint of")
            count = len(promise.checkpoints)
            if not 1 <= number <= count:
                have = (
                    f"it has checkpoints 1 to {count}"
                    if count > 1
                    else "it has checkpoint 1 only"
                    if count
                    else f"it has none (pk checkpoint {promise_id} WHAT --by WHEN adds one)"
                )
                raise InvalidInput(f"promise {promise_id} has no checkpoint {number}: {have}")
            checkpoint = promise.checkpoints[number - 1]
            if checkpoint.done_at is not None:
                raise InvalidInput(
                    f"checkpoint {number} of promise {promise_id} was ticked off already, "
                    f"{format_day_time(checkpoint.done_at, self.now)}"
                )
            if at is not None and at < promise.made:
                raise InvalidInput(
                    f"cannot tick checkpoint {number} off at {format_day_time(when, self.now)}: "
                    f"promise {promise_id} was made later, "
                    f"{format_day_time(promise.made, self.now)}"
                )
            from promisekeeper.model.events import CheckpointKept
            from promisekeeper.model.history import fold

            # The tick names the checkpoint by the event that added it (the row does not keep
            # it): its number can differ on a replica that added another one meanwhile.
            folded = fold(queries.events_for(conn, promise_id)) or promise
            ref = folded.checkpoints[number - 1].ref
            done = CheckpointKept(
                number, when, note=clean_text(note, "note") if note else "", checkpoint=ref
            )
            return self._record(conn, change, replace(folded, id=promise_id), done)

    def delete(self, promise_id: int) -> Promise:
        with self.change("delete", promise_id) as (conn, change):
            promise = self._load(conn, promise_id)
            from promisekeeper.model.events import Deleted

            return self._record(conn, change, promise, Deleted())

    def changes(self, limit: int = 10) -> list[queries.ChangeRow]:
        """The latest changes undo can take back, latest first (`pk undo --list`)."""
        found: list[queries.ChangeRow] = self._query(queries.undoable_changes, limit, default=[])
        return found

    def undo_plan(self, change: int | None = None) -> Undone:
        """What `pk undo` (or `pk undo --change N`) would take back now, changing nothing."""
        if not self.path.exists():
            self._reader()
            raise InvalidInput("nothing to undo")
        return self._query(_plan, change, self.now)

    def undo(self, expect: int | None = None, change: int | None = None) -> Undone:
        """Take back the last change, or the one named by `change`. `expect`: the change the
        caller saw (a preview, or `--expect`); when the last change is another one, nothing is
        undone. The last change is not taken back when it came from another ledger, nor a
        named one that a later change builds on."""
        if not self.path.exists():
            self._reader()
            raise InvalidInput("nothing to undo")
        with self.change("undo") as (conn, _change):
            plan = _plan(conn, change, self.now)
            if expect is not None and plan.change_id != expect:
                raise InvalidInput(
                    f"the last change is now change {plan.change_id} (`pk {plan.command}`), "
                    f"not change {expect}; nothing undone: pk undo --list shows the changes"
                )
            gone = [step.promise_id for step in plan.steps if step.after is None]
            queries.undo_change(conn, plan.change_id, self.now, gone)
            for step in plan.steps:
                if step.after is None:
                    # Its making was undone: reminders recorded since go with it.
                    queries.remove_promise(conn, step.promise_id)
                else:
                    queries.save_promise(conn, replace(step.after, id=step.promise_id))
        return plan

    def add_histories(
        self,
        command: str,
        histories: Iterable[list[Event] | Incoming],
        *,
        people: list[Person] | None = None,
        merge: Callable[[Person | None, Person], Person | None] | None = None,
        present: list[tuple[int, int]] | None = None,
        series: list[Any] | None = None,
    ) -> tuple[int, int]:
        """Store whole histories as one change (import), each starting with its making; a
        promise whose uuid is already in the ledger is skipped. Names are recorded as the
        ledger already knows them, in the events themselves, and every event gets its identity
        before the history is folded, so the row is the fold of the history as stored.
        `people` are stored first, in the same transaction: `merge(known, incoming)` says what
        to store for each (None: nothing). A history given as Incoming with `by_content` set (a
        record without a uuid; the value: whether its making time was given) is skipped when
        a promise with the same what, people and due (and made) is in the ledger, and (its
        index, that id) is added to `present`. Returns (added, skipped).

        Histories are taken a batch at a time (they may be read from a file as they come), and
        what is already in the ledger is asked of it per batch, so memory follows the batch.
        When one cannot be stored, the rest are still read first: a bad record further on is
        what the import reports, as when every record was checked before any was stored."""
        items = (h if isinstance(h, Incoming) else Incoming(h) for h in histories)
        # The first batch is read before the ledger is opened: a bad record in it leaves even
        # a ledger that does not exist yet uncreated.
        batch = list(islice(items, _IMPORT_BATCH))
        with self.change(command) as (conn, change):
            for incoming in people or []:
                known = queries.get_person(conn, incoming.name)
                merged = merge(known, incoming) if merge else None
                if merged is not None:
                    queries.save_person(conn, merged, self.now)
            # Series are merged by uuid: a new one is added, a stop is taken over (the
            # earlier stop wins); their occurrences come with the promises.
            for incoming_series in series or []:
                incoming_series.to = [queries.canonical_name(conn, n) for n in incoming_series.to]
                if not queries.add_series(conn, incoming_series, change) and (
                    incoming_series.stopped_at is not None
                ):
                    queries.stop_series(
                        conn, incoming_series.uuid, incoming_series.stopped_at, None
                    )
            writer = queries.HistoryWriter(conn, change)
            counts = [0, 0]  # added, skipped
            start = 0
            while batch:
                try:
                    self._add_batch(conn, writer, batch, start, counts, present)
                except Exception:
                    for _rest in items:
                        pass
                    raise
                start += len(batch)
                batch = list(islice(items, _IMPORT_BATCH))
            writer.flush()
        return counts[0], counts[1]

    @staticmethod
    def _add_batch(
        conn: Connection,
        writer: queries.HistoryWriter,
        batch: list[Incoming],
        start: int,
        counts: list[int],
        present: list[tuple[int, int]] | None,
    ) -> None:
        from promisekeeper.model.events import Made
        from promisekeeper.model.history import fold

        writer.flush()  # what earlier batches stored is in the ledger, for the questions below
        made_of = [item.events[0].detail for item in batch]
        known = queries.known_promise_uuids(conn, [m.uuid for m in made_of if isinstance(m, Made)])
        in_ledger = queries.known_event_uuids(
            conn, [e.uuid for item in batch for e in item.events if e.uuid]
        )
        seen_events: set[str] = set()
        for index, (item, made) in enumerate(zip(batch, made_of, strict=True), start=start):
            assert isinstance(made, Made)
            if made.uuid in known:
                counts[1] += 1
                continue
            if item.by_content is not None:
                when = made.made if item.by_content else None
                writer.flush()
                same = queries.same_promise(conn, made.what, made.to, made.due, when)
                if same is not None:
                    counts[1] += 1
                    if present is not None:
                        present.append((index, same))
                    continue
            known.add(made.uuid)
            events = [_canonical_names(e, writer.canonical) for e in item.events]
            _refuse_known_events(events, seen_events, in_ledger)
            writer.stamp(events)
            promise = item.promise
            if promise is not None and len({e.clock for e in events}) == len(events):
                # Folded before: the identities given since cannot change the order (every
                # clock differs), and the names only as the ledger spells them.
                promise.to = [writer.canonical(name) for name in promise.to]
            else:
                try:
                    promise = fold(events)
                except ValueError as exc:
                    raise InvalidInput(
                        f"promise {made.uuid}: {exc} (in the order of its events' clocks); "
                        "nothing imported"
                    ) from None
            assert promise is not None
            writer.add(promise, events)
            counts[0] += 1

    # -- telling people -----------------------------------------------------------------------
    def to_tell(self) -> list[Promise]:
        """Promises whose people should hear from you: overdue or at risk and not told since
        it became so, or moved without telling them the new date."""
        view = self.today()
        cfg = self.config
        seen = {p.id for p in view.overdue + view.due_today + view.at_risk}
        moved = [p for p in self._query(queries.open_moved, default=[]) if p.id not in seen]
        return [
            p
            for p in view.overdue + view.due_today + view.at_risk + moved
            if needs_telling(p, self.now, self.risk_window, cfg.risk_fraction, self.effort_rule(p))
        ]

    def needs_telling(self, promise: Promise) -> bool:
        cfg = self.config
        return needs_telling(
            promise, self.now, self.risk_window, cfg.risk_fraction, self.effort_rule(promise)
        )

    def record_told(
        self, promise_id: int, to: list[str], channel: str, kind: str, subject: str, message: str
    ) -> Promise:
        """Remember that people were told: who, how, what, and whether it was notice before
        the deadline (rules.notice.gives_notice: news while the promise is open and not due)."""
        with self.change("notify", promise_id) as (conn, change):
            promise = self._load(conn, promise_id)
            from promisekeeper.model.events import Notified
            from promisekeeper.rules.notice import gives_notice

            told = Notified(
                to=list(to),
                channel=channel,
                template=kind,
                subject=subject,
                message=message,
                before_deadline=gives_notice(kind, promise, self.now),
            )
            return self._record(conn, change, promise, told)

    def record_nudged(
        self, promise_id: int, to: list[str], channel: str, subject: str, message: str, reason: str
    ) -> Promise:
        """Remember that you reminded them of what they promised you (`pk nudge`)."""
        with self.change("nudge", promise_id) as (conn, change):
            promise = self._load(conn, promise_id)
            from promisekeeper.model.events import Nudged

            nudged = Nudged(
                to=list(to), channel=channel, subject=subject, message=message, reason=reason
            )
            return self._record(conn, change, promise, nudged)

    def asked(self, promise_ids: list[int]) -> dict[int, Any]:
        """When you last nudged each of these promises (rules.owed.last_asked; None: never)."""
        from promisekeeper.rules.owed import last_asked

        histories = self._query(queries.histories_of, promise_ids, default={})
        return {pid: last_asked(histories.get(pid, [])) for pid in promise_ids}

    def their_record(self, person: str) -> dict[str, int]:
        """What `person` promised you and what became of it (rules.track.Figures over the
        promises owed to you): counted by SQLite, as your own record is."""

        def read(conn: Connection) -> dict[str, int]:
            from promisekeeper.store import track as sql

            scope = self._track_scope(conn, person, None, direction="owed")
            return sql.figures(conn, scope)

        conn = self._reader()
        figures: dict[str, int] = {}
        if conn is not None:
            with connection.guarded(self.path):
                figures = read(conn)
        record = {key: figures.get(key, 0) for key in THEIR_RECORD}
        record["kept_late"] = record["kept"] - record["kept_on_time"]
        return record

    def snooze(self, promise_id: int) -> Promise:
        """Skip for today: not asked about again until the local day ends."""
        _start, end = local_day(self.now)
        with self.change("skip", promise_id) as (conn, change):
            promise = self._load(conn, promise_id)
            from promisekeeper.model.events import Snoozed

            return self._record(conn, change, promise, Snoozed(end))

    # -- reminders (pk remind) ----------------------------------------------------------------
    def reminded(self, promise_ids: list[int]) -> dict[int, list[Event]]:
        """The reminders `pk remind` recorded for these promises, oldest first."""
        return self._query(queries.reminded_events, promise_ids, default={})

    def record_reminded(self, reminded: list[tuple[Promise, str]]) -> None:
        """Remember what `pk remind` said (the standing, and the due time it was about), so
        the next run the same day does not repeat it and a later one can say what changed."""
        if not reminded:
            return
        from promisekeeper.model.events import Event, Reminded
        from promisekeeper.model.history import apply

        with self.change("remind") as (conn, change):
            found = queries.promises_with_ids(conn, [p.id or 0 for p, _state in reminded])
            events = []
            for promise, state in reminded:
                current = found.get(promise.id or 0)
                if current is None or current.deleted_at is not None:
                    raise PromiseNotFound(f"no promise with id {promise.id}")
                event = Event.of(
                    Reminded(state, promise.due), self.now, promise_id=current.id, change_id=change
                )
                new = apply(current, event)
                if new is not current:  # never, as the fold reads a reminder: history only
                    assert new is not None
                    new.id = current.id
                    queries.save_promise(conn, new)
                events.append(event)
            # One batch, stamped in this order: the clocks, uuids and rows one append each gave.
            queries.append_events(conn, events)

    # -- track record ------------------------------------------------------------------------
    def histories(self) -> list[tuple[Promise, list[Event]]]:
        """Every promise with its history, all in memory: what the track record is defined
        over (rules.track); `track_record` and `trust` count the same in SQL."""
        return self._query(queries.histories, default=[])

    def _track_scope(
        self, conn: Connection, person: str | None, since: datetime | None, direction: str = "mine"
    ) -> Any:
        """Which promises a figure is over, with the verdicts SQL leaves to the rules."""
        from promisekeeper.rules import notice, track
        from promisekeeper.store.track import Scope, judge_odd_moves

        scope = Scope(
            now=self.now,
            notice_kinds=notice.NOTICE_KINDS,
            person_key=None if person is None else name_key(person),
            since=since,
            early_s=track.EARLY_DEPOSIT.total_seconds(),
            direction=direction,
        )
        judge_odd_moves(conn, scope, notice.slips)
        return scope

    def _no_one_called(self, person: str) -> PkError:
        return PkError(f"no one called {person!r} in the ledger")

    def track_record(
        self, *, to: str | None = None, since: datetime | None = None, weeks: int = 12
    ) -> dict[str, Any]:
        """The figures of `pk stats` (rules.track.stats) for promises to `to`, made since
        `since`: counted by SQLite, in memory that does not grow with the ledger."""
        from promisekeeper.rules import lead, track

        def read(conn: Connection) -> dict[str, Any]:
            from promisekeeper.store import track as sql

            scope = self._track_scope(conn, to, since)
            figures = track.Figures(**sql.figures(conn, scope))
            figures.moved, figures.moved_before_deadline = sql.moves(conn, scope)
            if to is not None and not figures.made and queries.get_person(conn, to) is None:
                raise self._no_one_called(to)
            late = figures.kept - figures.kept_on_time
            ranks = {q: lead.percentile_ranks(late, q) for q in (50, 90)} if late else {}
            wanted = [position for low, high, _ in ranks.values() for position in (low, high)]
            values = sql.lateness_at(conn, scope, wanted) if late else {}

            def at(q: float) -> float | None:
                if not late:
                    return None
                low, high, fraction = ranks[q]
                return lead.interpolate(values[low], values[high], fraction)

            starts = track.week_starts(self.now, weeks)
            by_day = {
                date.fromisoformat(day): (due, on_time)
                for day, due, on_time in sql.due_by_day(
                    conn,
                    scope,
                    starts[0].astimezone(),
                    (starts[-1] + timedelta(weeks=1)).astimezone(),
                )
            }
            return track.figures_json(
                figures, at(50), at(90), track.week_rows(self.now, weeks, by_day)
            )

        conn = self._reader()
        if conn is None:
            if to is not None:
                raise self._no_one_called(to)
            return track.figures_json(
                track.Figures(), None, None, track.week_rows(self.now, weeks, {})
            )
        with connection.guarded(self.path):
            return read(conn)

    def trust(self, person: str | None = None) -> list[Any]:
        """The trust bank (rules.track.accounts): everyone's, weakest first, or one person's;
        the entries counted by SQLite, only the latest few of each read."""
        import heapq

        from promisekeeper.rules import track

        weights = self.config.trust or track.DEFAULT_WEIGHTS
        kinds = track.active_kinds(weights)

        def read(conn: Connection) -> list[track.Account]:
            from promisekeeper.store import track as sql

            scope = self._track_scope(conn, person, None)
            found: dict[int, track.Account] = {}
            for person_id, name in sql.trust_people(conn, scope):
                if person is None or name_key(name) == name_key(person):
                    found[person_id] = track.Account(person=name, weights=weights)
            if person is not None and not found and queries.get_person(conn, person) is None:
                raise self._no_one_called(person)
            since = track.trend_since(self.now).timestamp()
            latest: dict[int, list[tuple[Any, ...]]] = {}
            for person_id, kind, at, promise, order in sql.trust_entries(conn, scope, kinds):
                account = found.get(person_id)
                if account is None:
                    continue
                count, recent = account.counts.get(kind, (0, 0))
                account.counts[kind] = (count + 1, recent + (at >= since))
                heap = latest.setdefault(person_id, [])
                item = (order, at, kind, promise)
                if len(heap) < track.RECENT_ENTRIES:
                    heapq.heappush(heap, item)
                elif order > heap[0][0]:
                    heapq.heapreplace(heap, item)
            for person_id, heap in latest.items():
                found[person_id].recent = [
                    track.Entry(queries.from_ts(at) or self.now, kind, weights[kind], promise)
                    for _order, at, kind, promise in sorted(heap, reverse=True)
                ]
            return track.ranked(list(found.values()))

        conn = self._reader()
        if conn is None:
            if person is not None:
                raise self._no_one_called(person)
            return []
        with connection.guarded(self.path):
            return read(conn)

    def titles(self, promise_ids: list[int]) -> dict[int, str]:
        """What was promised, for these promise ids."""
        from promisekeeper.store import track as sql

        return self._query(sql.titles, promise_ids, default={})

    def record_like(self, to: list[str], tags: list[str], limit: int = 50) -> Any:
        """Your record (rules.track.Record, None with too few) over your latest `limit`
        finished promises to the same people or with the same tags: read in one query of
        the promise rows (store.track.finished_like), without scanning the whole ledger."""
        from promisekeeper.rules import track
        from promisekeeper.store.track import Scope, finished_like

        keys = [name_key(name) for name in to]
        scope = Scope(now=self.now, notice_kinds=())
        found = self._query(finished_like, scope, keys, tags, limit, default=[])
        return track.record_from(found, to, tags)

    def open_due_on(self, due: datetime) -> int:
        """How many open promises are due on the same local day as `due`."""
        start, end = local_day(due)
        return self._query(queries.count_open_due_between, start, end, default=0)

    # -- people -------------------------------------------------------------------------------
    def people(self) -> list[tuple[Person, int, int]]:
        """Everyone you have a promise to (open or closed, not deleted), who has one to you,
        or whose details you recorded, with how many open promises you have to them and how
        many are at risk (theirs to you are not counted)."""
        people = self._query(queries.known_people, default=[])
        open_count: dict[str, int] = {}
        worry_count: dict[str, int] = {}
        for promise in self.list(status="open", direction="mine"):
            worried = self.standing(promise) in ("at_risk", "overdue")
            for name in promise.to:
                key = name_key(name)
                open_count[key] = open_count.get(key, 0) + 1
                worry_count[key] = worry_count.get(key, 0) + worried
        return [
            (p, open_count.get(name_key(p.name), 0), worry_count.get(name_key(p.name), 0))
            for p in people
        ]

    def all_people(self) -> list[Person]:
        """Every person the ledger holds, whatever became of their promises (for export)."""
        return self._query(queries.all_people, default=[])

    def person(self, name: str) -> Person | None:
        return self._query(queries.get_person, name)

    def people_for(self, promise: Promise) -> list[Person]:
        """The Person records for a promise's names (contact details may be missing)."""
        return [self.person(name) or Person(name=name) for name in promise.to]

    def similar_person(self, name: str) -> str | None:
        """An existing person whose name is a near-miss of `name` (a typo), if no exact match."""
        if self.person(name) is not None:
            return None
        import difflib

        known = {name_key(p.name): p.name for p in self._query(queries.all_people, default=[])}
        close = difflib.get_close_matches(name_key(name), list(known), n=1, cutoff=0.75)
        return known[close[0]] if close else None

    def save_person(self, name: str, **details: str | None) -> Person:
        """Add someone, or change their contact details; None leaves a detail as it is."""
        [name] = clean_people([name])
        conn = self._writer()
        with connection.guarded(self.path), connection.transaction(conn):
            person = queries.get_person(conn, name) or Person(name=name)
            person.name = name if person.id is None else person.name
            for key, value in details.items():
                if value is not None:
                    setattr(person, key, value.strip() or None)
            queries.save_person(conn, person, self.now)
        return person

    def _open_promise(self, conn: Connection, promise_id: int, verb: str) -> Promise:
        promise = self._load(conn, promise_id)
        if promise.status != "open":
            raise InvalidInput(
                f"promise {promise_id} is {promise.status}, not open;"
                f" `pk reopen {promise_id}` first"
                f" if you want to {verb} it"
            )
        return promise


def _plan(conn: Connection, change: int | None, now: datetime) -> Undone:
    """The change that undo takes back (the last one, or `change`), and each promise as it is
    and as it will be: the fold of its history without the change's events. The last change
    is refused when it came from another ledger (take it back with --change, on purpose); a
    named change is refused when a later change touched one of its promises."""
    from promisekeeper.model.history import fold
    from promisekeeper.rules.dates import format_day_time

    found = queries.undoable_changes(conn, 1, change)
    if not found:
        if change is None:
            raise InvalidInput("nothing to undo")
        raise InvalidInput(
            f"no change {change} that undo can take back; pk undo --list shows the changes"
        )
    last = found[0]
    if change is None and last.other_ledger:
        raise InvalidInput(
            f"the last change, change {last.id} (`pk {last.command}` of "
            f"{format_day_time(last.at, now)}), came from another ledger; "
            f"use pk undo --change {last.id} to take it back on purpose"
        )
    if change is not None:
        later = queries.later_change_on(conn, change)
        if later is not None:
            raise InvalidInput(
                f"change {change} cannot be taken back on its own: change {later[0]} "
                f"(`pk {later[1]}`) changed #{later[2]} after it; take that back first"
            )
    plan = Undone(
        change_id=last.id, command=last.command, at=last.at, other_ledger=last.other_ledger
    )
    for promise_id, (row, events) in queries.histories_of_change(conn, last.id).items():
        taken = [e for e in events if e.change_id == last.id]
        left = [e for e in events if e.change_id != last.id]
        after = fold(left) if any(e.kind == "made" for e in left) else None
        plan.steps.append(TakenBack(promise_id, taken, row, after))
    return plan


def _refuse_known_events(events: list[Event], seen: set[str], in_ledger: set[str]) -> None:
    """An event is recorded once: one whose uuid the ledger (`in_ledger`: those of the import
    it holds) or this import (`seen`) already holds belongs to another promise, and the import
    is refused."""
    incoming = [e.uuid for e in events if e.uuid]
    if len(set(incoming)) != len(incoming):
        raise InvalidInput("two events of one history have the same uuid; nothing imported")
    clash = {uuid for uuid in incoming if uuid in seen or uuid in in_ledger}
    if clash:
        raise InvalidInput(f"event {min(clash)} is already in the ledger; nothing imported")
    seen.update(incoming)


def _canonical_names(event: Event, canonical: Callable[[str], str]) -> Event:
    """The event with the names in it (who it was promised to) as the ledger spells them."""
    from promisekeeper.model.events import Edited, Made

    detail = event.detail
    if isinstance(detail, Made):
        to = [canonical(name) for name in detail.to]
        if to == detail.to:
            return event  # spelled as the ledger spells them already
        detail = replace(detail, to=to)
    elif isinstance(detail, Edited) and "to" in detail.changes:
        old, new = detail.changes["to"]
        detail = Edited({**detail.changes, "to": (old, [canonical(name) for name in new])})
    else:
        return event
    return replace(event, data=detail.to_data(), detail=detail)
