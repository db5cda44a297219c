"""Your track record and the trust bank, computed from the event history alone.

No counters are kept anywhere: every figure here is a fold over the history of each promise,
so it can always be recomputed, and undo or import can never leave it out of step.

Definitions (the README's "How reliable am I?" repeats them):
- kept **on time** and **lateness**: rules.timing (kept_on_time, lateness).
- **on-time rate**: kept on time / (kept + broken). Released promises are not your failure.
- **slipped**: moved to a later date, kept late, broken, or overdue now. The **no-surprise
  rate** is the share of slipped promises whose people were given notice before the deadline
  (a heads-up or a new date: rules.notice.counts_as_notice).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from promisekeeper.model.promise import Promise, name_key
from promisekeeper.rules.timing import early_by, kept_on_time, lateness, past_due

if TYPE_CHECKING:
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
    from promisekeeper.rules.notice import counts_as_notice

    result = Outcome(promise)
    for event in events:
        detail = event.detail
        if isinstance(detail, Moved):
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


def outcomes(histories: list[tuple[Promise, list[Event]]], now: datetime) -> list[Outcome]:
    return [outcome(p, events, now) for p, events in histories]


# -------------------------------------------------------------------------------------------------
# pk stats
# -------------------------------------------------------------------------------------------------
def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0..100) by linear interpolation; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _hours(value: float | None) -> float | None:
    return None if value is None else round(value / 3600, 2)


def stats(found: list[Outcome], now: datetime, weeks: int = 12) -> dict[str, Any]:
    """The figures of `pk stats`, with the field names of its --json."""
    kept = [o for o in found if o.promise.status == "kept"]
    on_time = [o for o in kept if o.on_time]
    broken = [o for o in found if o.promise.status == "broken"]
    moves = [move for o in found for _at, move in o.moves]
    slipped = [o for o in found if o.slipped]
    late_seconds = [o.lateness.total_seconds() for o in kept if o.late and o.lateness is not None]
    return {
        "made": len(found),
        "open": sum(1 for o in found if o.promise.status == "open"),
        "overdue": sum(1 for o in found if o.overdue),
        "kept": len(kept),
        "kept_on_time": len(on_time),
        "kept_late": len(kept) - len(on_time),
        "broken": len(broken),
        "released": sum(1 for o in found if o.promise.status == "released"),
        "moved": len(moves),
        "moved_before_deadline": sum(1 for m in moves if m.before_deadline),
        "slipped": len(slipped),
        "told_before_deadline": sum(1 for o in slipped if o.told_early),
        "on_time_rate": _ratio(len(on_time), len(kept) + len(broken)),
        "no_surprise_rate": _ratio(sum(1 for o in slipped if o.told_early), len(slipped)),
        "lateness_median_hours": _hours(percentile(late_seconds, 50)),
        "lateness_p90_hours": _hours(percentile(late_seconds, 90)),
        "weeks": week_by_week(found, now, weeks),
    }


def week_by_week(found: list[Outcome], now: datetime, weeks: int) -> list[dict[str, Any]]:
    """For each of the last `weeks` local weeks (Monday first): promises that came due that
    week and were kept or broken, and how many of them were kept on time."""
    local_now = now.astimezone().replace(tzinfo=None)
    this_monday = (local_now - timedelta(days=local_now.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    rows = []
    for back in range(weeks - 1, -1, -1):
        start = this_monday - timedelta(weeks=back)
        end = start + timedelta(weeks=1)
        due = [
            o
            for o in found
            if o.promise.status in ("kept", "broken")
            and start <= o.promise.due.astimezone().replace(tzinfo=None) < end
        ]
        kept_in_time = sum(1 for o in due if o.on_time)
        iso_year, iso_week, _ = start.isocalendar()
        rows.append(
            {
                "week": f"{iso_year}-W{iso_week:02d}",
                "start": start.date().isoformat(),
                "due": len(due),
                "on_time": kept_in_time,
                "on_time_rate": _ratio(kept_in_time, len(due)),
            }
        )
    return rows


# -------------------------------------------------------------------------------------------------
# pk trust
# -------------------------------------------------------------------------------------------------
@dataclass
class Entry:
    at: datetime
    kind: str
    amount: float
    promise: int


@dataclass
class Account:
    person: str
    entries: list[Entry] = field(default_factory=list)

    @property
    def balance(self) -> float:
        return sum(e.amount for e in self.entries)

    @property
    def deposits(self) -> float:
        return sum(e.amount for e in self.entries if e.amount > 0)

    @property
    def withdrawals(self) -> float:
        return sum(e.amount for e in self.entries if e.amount < 0)

    def trend(self, now: datetime) -> float:
        """The net change over the last 30 days."""
        since = now - timedelta(days=TREND_DAYS)
        return sum(e.amount for e in self.entries if e.at >= since)


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


def accounts(
    found: list[Outcome], now: datetime, weights: dict[str, float] | None = None
) -> list[Account]:
    """Everyone's trust bank, weakest balance first."""
    weights = weights or DEFAULT_WEIGHTS
    by_person: dict[str, Account] = {}
    for result in found:
        made = entries_for(result, now, weights)
        for name in result.promise.to:
            account = by_person.setdefault(name_key(name), Account(person=name))
            account.entries.extend(made)
    for account in by_person.values():
        account.entries.sort(key=lambda e: (e.at, e.promise))
    return sorted(by_person.values(), key=lambda a: (a.balance, name_key(a.person)))


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


MIN_RECORD = 3


def slip_ratios(spans: Sequence[tuple[float, float]]) -> list[float]:
    """(time taken / time promised) for each (seconds promised, seconds taken) of a kept
    promise: how much longer things took than promised. A promise given no time (promised
    <= 0) says nothing and is skipped; time taken counts from 0 (kept before it was made)."""
    return [max(taken, 0) / promised for promised, taken in spans if promised > 0]


def slip_factor(ratios: list[float], q: float) -> float | None:
    """Your slip factor: the q-th percentile of slip_ratios (None without any). The record
    for promises like a new one takes the 80th; the ledger's working-time rule the median."""
    return percentile(ratios, q)


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
    if len(similar) < MIN_RECORD:
        return None
    kept = [o for o in similar if o.promise.status == "kept"]
    spans = [
        (
            (o.promise.original_due - o.promise.made).total_seconds(),
            ((o.promise.closed_at or o.promise.due) - o.promise.made).total_seconds(),
        )
        for o in kept
    ]
    late = [o.lateness.total_seconds() for o in kept if o.late and o.lateness is not None]
    on_time = sum(1 for o in kept if o.on_time)
    basis = " or ".join(
        part
        for part in (", ".join(sorted(to)) if to else "", " ".join(f"+{t}" for t in tags))
        if part
    )
    median_late = percentile(late, 50)
    return Record(
        basis=basis,
        count=len(similar),
        on_time_rate=_ratio(on_time, len(similar)),
        typical_lateness=None if median_late is None else timedelta(seconds=median_late),
        slip_factor=slip_factor(slip_ratios(spans), 80),
    )


def suggested_due(made: datetime, due: datetime, record: Record | None) -> datetime | None:
    """A due date you would have met 80% of the time, when your record says you need longer."""
    if record is None or record.slip_factor is None or record.slip_factor <= 1.05:
        return None
    return made + (due - made) * record.slip_factor


MAX_LEAD = timedelta(hours=72)


def learned_lead_from(late_seconds: list[float]) -> timedelta:
    """How much earlier promises should count as at risk: the median of these latenesses
    (with at least three), capped at MAX_LEAD. The ledger passes its latest late promises."""
    if len(late_seconds) < MIN_RECORD:
        return timedelta(0)
    median = percentile(late_seconds, 50) or 0
    return min(timedelta(seconds=median), MAX_LEAD)
