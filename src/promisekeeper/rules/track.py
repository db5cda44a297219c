"""Your track record and the trust bank, computed from the event history alone.

No counters are kept anywhere, so every figure can always be recomputed, and undo or import can
never leave it out of step. The rules are here, written over one promise's history (`outcome`,
`entries_for`) and folded over many (`stats`, `accounts`): that fold is the definition. The
commands count the same things with SQL aggregates over the promise rows and the events that
matter (store.track), whose expressions are twins of these rules; tests/test_track_sql.py
checks on generated ledgers that the two agree. Both end in `figures_json`, `week_rows` and
`Account`, so what is shown is worked out in one place.

Definitions (the README's "How reliable am I?" repeats them):
- kept **on time** and **lateness**: rules.timing (kept_on_time, lateness).
- **on-time rate**: kept on time / (kept + broken). Released promises are not your failure.
- **slipped**: moved to a later date, kept late, broken, or overdue now. The **no-surprise
  rate** is the share of slipped promises whose people were given notice before the deadline
  (a heads-up or a new date: rules.notice.counts_as_notice).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from promisekeeper.model.promise import Promise, name_key
from promisekeeper.rules.lead import MIN_RECORD, percentile
from promisekeeper.rules.timing import early_by, kept_on_time, lateness, past_due

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up)
if TYPE_CHECKING:
    from typing import Any

    from promisekeeper.model.events import Event, Moved

# The trust bank's weights: deposits positive, withdrawals negative. Override any of them
# under [trust] in config.toml.
DEFAULT_WEIGHTS: dict[str, float] = {
    "kept_on_time": 3,
    "kept_early": 1,  # on top of kept_on_time, when kept a day or more early
    "told_before_deadline": 1,
    "moved_in_advance": 1,
    "broken": -5,
    "kept_late_without_notice": -3,
    "kept_late_with_notice": -1,
    "overdue_without_notice": -2,
    "moved_after_deadline": -2,
}
TREND_DAYS = 30
EARLY_DEPOSIT = timedelta(days=1)  # kept this early earns kept_early on top of kept_on_time


@dataclass
class Outcome:
    """What became of one promise, read from its history."""

    promise: Promise
    moves: list[tuple[datetime, Moved]] = field(default_factory=list)  # (when, the move)
    told_before_deadline: list[datetime] = field(default_factory=list)
    on_time: bool = False
    late: bool = False
    lateness: timedelta | None = None
    overdue: bool = False

    @property
    def slips(self) -> list[tuple[datetime, Moved]]:
        """The moves to a later date (rules.notice.slips): a move earlier is no slip."""
        from promisekeeper.rules.notice import slips

        return [(at, move) for at, move in self.moves if slips(move)]

    @property
    def slipped(self) -> bool:
        return bool(self.slips) or self.late or self.overdue or self.promise.status == "broken"

    @property
    def told_early(self) -> bool:
        return bool(self.told_before_deadline)


def outcome(promise: Promise, events: list[Event], now: datetime) -> Outcome:
    from promisekeeper.model.events import Moved, Notified
    from promisekeeper.model.history import apply, in_order
    from promisekeeper.rules.notice import counts_as_notice

    result = Outcome(promise)
    state: Promise | None = None
    for event in in_order(events):
        detail = event.detail
        before = state
        try:
            state = apply(state, event)
        except ValueError:
            continue  # an event that cannot be read is no event to the track record
        if isinstance(detail, Moved):
            # Only a move the fold applied counts: one after a close is history only.
            if before is not None and state is not None and state.moves > before.moves:
                result.moves.append((event.at, detail))
        elif isinstance(detail, Notified) and counts_as_notice(detail):
            result.told_before_deadline.append(event.at)
    if promise.status == "kept":
        result.on_time = kept_on_time(promise)
        result.late = not result.on_time
        if result.late:
            result.lateness = lateness(promise, now)
    elif promise.status == "open" and past_due(promise, now):
        result.overdue = True
    return result


def outcomes(
    histories: list[tuple[Promise, list[Event]]], now: datetime, direction: str = "mine"
) -> list[Outcome]:
    """What became of each promise of one direction: yours ("mine", your track record and
    trust bank, which never count what others promised you) or theirs ("owed")."""
    return [outcome(p, events, now) for p, events in histories if p.direction == direction]


# -------------------------------------------------------------------------------------------------
# pk stats
# -------------------------------------------------------------------------------------------------
def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _hours(value: float | None) -> float | None:
    return None if value is None else round(value / 3600, 2)


@dataclass
class Figures:
    """The counts the track record is made of (the field names of `pk stats --json`)."""

    made: int = 0
    open: int = 0
    overdue: int = 0
    kept: int = 0
    kept_on_time: int = 0
    broken: int = 0
    released: int = 0
    moved: int = 0
    moved_before_deadline: int = 0
    slipped: int = 0
    told_before_deadline: int = 0  # of the slipped ones


def tally(found: list[Outcome]) -> Figures:
    """The counts, folded over the outcomes of promises."""
    moves = [move for o in found for _at, move in o.moves]
    slipped = [o for o in found if o.slipped]
    return Figures(
        made=len(found),
        open=sum(1 for o in found if o.promise.status == "open"),
        overdue=sum(1 for o in found if o.overdue),
        kept=sum(1 for o in found if o.promise.status == "kept"),
        kept_on_time=sum(1 for o in found if o.promise.status == "kept" and o.on_time),
        broken=sum(1 for o in found if o.promise.status == "broken"),
        released=sum(1 for o in found if o.promise.status == "released"),
        moved=len(moves),
        moved_before_deadline=sum(1 for m in moves if m.before_deadline),
        slipped=len(slipped),
        told_before_deadline=sum(1 for o in slipped if o.told_early),
    )


def figures_json(
    f: Figures,
    lateness_median_s: float | None,
    lateness_p90_s: float | None,
    weeks: list[dict[str, Any]],
) -> dict[str, Any]:
    """The figures of `pk stats`, with the field names of its --json: the rates from the
    counts, lateness (seconds) in hours."""
    return {
        "made": f.made,
        "open": f.open,
        "overdue": f.overdue,
        "kept": f.kept,
        "kept_on_time": f.kept_on_time,
        "kept_late": f.kept - f.kept_on_time,
        "broken": f.broken,
        "released": f.released,
        "moved": f.moved,
        "moved_before_deadline": f.moved_before_deadline,
        "slipped": f.slipped,
        "told_before_deadline": f.told_before_deadline,
        "on_time_rate": _ratio(f.kept_on_time, f.kept + f.broken),
        "no_surprise_rate": _ratio(f.told_before_deadline, f.slipped),
        "lateness_median_hours": _hours(lateness_median_s),
        "lateness_p90_hours": _hours(lateness_p90_s),
        "weeks": weeks,
    }


def stats(found: list[Outcome], now: datetime, weeks: int = 12) -> dict[str, Any]:
    """The figures of `pk stats`, with the field names of its --json."""
    kept = [o for o in found if o.promise.status == "kept"]
    late_seconds = [o.lateness.total_seconds() for o in kept if o.late and o.lateness is not None]
    return figures_json(
        tally(found),
        percentile(late_seconds, 50),
        percentile(late_seconds, 90),
        week_by_week(found, now, weeks),
    )


def local_naive(moment: datetime) -> datetime:
    """A time as the local wall clock shows it, without its zone (how weeks are cut)."""
    return moment.astimezone().replace(tzinfo=None)


def week_starts(now: datetime, weeks: int) -> list[datetime]:
    """The local Mondays (midnight, naive) that start each of the last `weeks` weeks."""
    local_now = local_naive(now)
    this_monday = (local_now - timedelta(days=local_now.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    return [this_monday - timedelta(weeks=back) for back in range(weeks - 1, -1, -1)]


def counts_in_week_chart(status: str) -> bool:
    """The chart counts promises that came due and were kept or broken."""
    return status in ("kept", "broken")


def week_rows(
    now: datetime, weeks: int, by_day: dict[date, tuple[int, int]]
) -> list[dict[str, Any]]:
    """The rows of the week-by-week chart from (due, kept on time) per local due date."""
    rows = []
    for start in week_starts(now, weeks):
        days = [(start + timedelta(days=n)).date() for n in range(7)]
        due = sum(by_day.get(day, (0, 0))[0] for day in days)
        kept_in_time = sum(by_day.get(day, (0, 0))[1] for day in days)
        iso_year, iso_week, _ = start.isocalendar()
        rows.append(
            {
                "week": f"{iso_year}-W{iso_week:02d}",
                "start": start.date().isoformat(),
                "due": due,
                "on_time": kept_in_time,
                "on_time_rate": _ratio(kept_in_time, due),
            }
        )
    return rows


def week_by_week(found: list[Outcome], now: datetime, weeks: int) -> list[dict[str, Any]]:
    """For each of the last `weeks` local weeks (Monday first): promises that came due that
    week and were kept or broken, and how many of them were kept on time."""
    by_day: dict[date, tuple[int, int]] = {}
    for o in found:
        if counts_in_week_chart(o.promise.status):
            day = local_naive(o.promise.due).date()
            due, on_time = by_day.get(day, (0, 0))
            by_day[day] = (due + 1, on_time + o.on_time)
    return week_rows(now, weeks, by_day)


# -------------------------------------------------------------------------------------------------
# pk trust
# -------------------------------------------------------------------------------------------------
RECENT_ENTRIES = 5  # the entries an account shows


@dataclass
class Entry:
    at: datetime
    kind: str
    amount: float
    promise: int


@dataclass
class Account:
    """One person's trust bank: how many entries of each kind it holds (and how many of them
    in the last TREND_DAYS), valued at `weights`, and its latest entries, newest first."""

    person: str
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)  # kind: (all, recent)
    recent: list[Entry] = field(default_factory=list)

    def _total(self, which: int, sign: int = 0) -> float:
        total: float = 0
        for kind, weight in self.weights.items():  # always in the one order of the weights
            count = self.counts.get(kind, (0, 0))[which]
            if weight and count and (not sign or weight * sign > 0):
                total += count * weight
        return total

    @property
    def balance(self) -> float:
        return self._total(0)

    @property
    def deposits(self) -> float:
        return self._total(0, 1)

    @property
    def withdrawals(self) -> float:
        return self._total(0, -1)

    @property
    def trend(self) -> float:
        """The net change over the last TREND_DAYS days."""
        return self._total(1)


def trend_since(now: datetime) -> datetime:
    """Entries from this moment on make an account's trend."""
    return now - timedelta(days=TREND_DAYS)


def entry_order(entry: Entry) -> tuple[datetime, int]:
    """Entries in the order they happened; one promise's entries of the same moment in the
    order entries_for makes them (a stable sort)."""
    return (entry.at, entry.promise)


def entries_for(result: Outcome, now: datetime, weights: dict[str, float]) -> list[Entry]:
    """The deposits and withdrawals one promise makes, each dated when it happened."""
    promise = result.promise
    pid = promise.id or 0
    out: list[Entry] = []

    def add(at: datetime, kind: str) -> None:
        if weights.get(kind, 0):
            out.append(Entry(at, kind, weights[kind], pid))

    if result.told_early:
        add(result.told_before_deadline[0], "told_before_deadline")
    for at, move in result.slips:
        add(at, "moved_in_advance" if move.before_deadline else "moved_after_deadline")
    closed = promise.closed_at or now
    if promise.status == "kept":
        if result.on_time:
            add(closed, "kept_on_time")
            if early_by(promise) >= EARLY_DEPOSIT:
                add(closed, "kept_early")
        else:
            add(
                closed, "kept_late_with_notice" if result.told_early else "kept_late_without_notice"
            )
    elif promise.status == "broken":
        add(closed, "broken")
    elif result.overdue and not result.told_early:
        add(promise.due, "overdue_without_notice")
    return out


def active_kinds(weights: dict[str, float]) -> list[str]:
    """The kinds of entry that count: a weight of 0 makes no entry at all."""
    return [kind for kind, weight in weights.items() if weight]


def accounts(
    found: list[Outcome], now: datetime, weights: dict[str, float] | None = None
) -> list[Account]:
    """Everyone's trust bank, weakest balance first."""
    weights = weights or DEFAULT_WEIGHTS
    since = trend_since(now)
    by_person: dict[str, tuple[Account, list[Entry]]] = {}
    for result in found:
        made = entries_for(result, now, weights)
        for name in result.promise.to:
            account, entries = by_person.setdefault(
                name_key(name), (Account(person=name, weights=weights), [])
            )
            entries.extend(made)
    for account, entries in by_person.values():
        for entry in entries:
            count, recent = account.counts.get(entry.kind, (0, 0))
            account.counts[entry.kind] = (count + 1, recent + (entry.at >= since))
        entries.sort(key=entry_order)
        account.recent = entries[-RECENT_ENTRIES:][::-1]
    return ranked([account for account, _entries in by_person.values()])


def ranked(found: list[Account]) -> list[Account]:
    """Accounts weakest balance first, then by name."""
    return sorted(found, key=lambda a: (a.balance, name_key(a.person)))


# -------------------------------------------------------------------------------------------------
# Being realistic: your record for promises like a new one
# -------------------------------------------------------------------------------------------------
@dataclass
class Record:
    """How promises like this one went: basis, on-time rate, typical lateness, slip factor."""

    basis: str
    count: int
    on_time_rate: float | None
    typical_lateness: timedelta | None
    slip_factor: float | None  # the 80th percentile of (time taken / time promised)



def slip_ratios(spans: Sequence[tuple[float, float]]) -> list[float]:
    """(time taken / time promised) for each (seconds promised, seconds taken) of a kept
    promise: how much longer things took than promised. A promise given no time (promised
    <= 0) says nothing and is skipped; time taken counts from 0 (kept before it was made)."""
    return [max(taken, 0) / promised for promised, taken in spans if promised > 0]


def slip_factor(ratios: list[float], q: float) -> float | None:
    """Your slip factor: the q-th percentile of slip_ratios (None without any). The record
    for promises like a new one takes the 80th; the ledger's working-time rule the median."""
    return percentile(ratios, q)


# What the record of one finished promise is made of: (status, kept on time, lateness in
# seconds, seconds promised, seconds taken). The fold gives it (`finished_facts`); the store
# reads the same from the promise rows with the SQL twins of these rules
# (store.track.finished_like).
Finished = tuple[str, bool, float | None, float | None, float | None]


def finished_facts(found: Outcome) -> Finished:
    """The facts of one kept or broken promise the record is made of, from its outcome."""
    p = found.promise
    return (
        p.status,
        found.on_time,
        None if found.lateness is None else found.lateness.total_seconds(),
        (p.original_due - p.made).total_seconds(),
        ((p.closed_at or p.due) - p.made).total_seconds(),
    )


def record_like(found: list[Outcome], to: list[str], tags: list[str]) -> Record | None:
    """Your record for finished promises to the same person or with the same tag."""
    people = {name_key(name) for name in to}
    wanted = set(tags)
    similar = [
        o
        for o in found
        if o.promise.status in ("kept", "broken")
        and ({name_key(n) for n in o.promise.to} & people or set(o.promise.tags) & wanted)
    ]
    return record_from([finished_facts(o) for o in similar], to, tags)


def record_from(finished: Sequence[Finished], to: list[str], tags: list[str]) -> Record | None:
    """The record made of these finished promises (kept or broken) to `to` or tagged `tags`:
    None for fewer than MIN_RECORD."""
    if len(finished) < MIN_RECORD:
        return None
    kept = [f for f in finished if f[0] == "kept"]
    spans = [(f[3], f[4]) for f in kept if f[3] is not None and f[4] is not None]
    late = [f[2] for f in kept if not f[1] and f[2] is not None]
    on_time = sum(1 for f in kept if f[1])
    basis = " or ".join(
        part
        for part in (", ".join(sorted(to)) if to else "", " ".join(f"+{t}" for t in tags))
        if part
    )
    median_late = percentile(late, 50)
    return Record(
        basis=basis,
        count=len(finished),
        on_time_rate=_ratio(on_time, len(finished)),
        typical_lateness=None if median_late is None else timedelta(seconds=median_late),
        slip_factor=slip_factor(slip_ratios(spans), 80),
    )


def suggested_due(made: datetime, due: datetime, record: Record | None) -> datetime | None:
    """A due date you would have met 80% of the time, when your record says you need longer."""
    if record is None or record.slip_factor is None or record.slip_factor <= 1.05:
        return None
    return made + (due - made) * record.slip_factor
