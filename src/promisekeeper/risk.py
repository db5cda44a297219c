"""Standing: how a promise stands right now, derived from its status, due time and the clock.

The rule lives here and nowhere else, so later refinements (effort, your track record) change
one function. `today_bounds` gives the database a superset filter for the same rule, so the daily
view reads only the rows it may show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from promisekeeper.model import Promise


def kept_on_time(promise: Promise) -> bool:
    """Kept by the due date in force, and no move of that date came after its deadline."""
    return (
        promise.status == "kept"
        and promise.closed_at is not None
        and promise.closed_at <= promise.due
        and promise.late_moves == 0
    )


@dataclass(frozen=True)
class EffortRule:
    """For promises with an effort: your working hours (Monday to Friday, local time) and your
    slip factor (how much longer things take you than you plan)."""

    day_starts: time = time(9, 0)
    day_ends: time = time(17, 0)
    slip: float = 1.0


MAX_DAYS_COUNTED = 400  # beyond a year of working days, "plenty of time" is exact enough


def working_time(start: datetime, end: datetime, rule: EffortRule) -> timedelta:
    """Working time between two instants: the parts of weekdays between day_starts and
    day_ends, in local wall time."""
    if end <= start:
        return timedelta(0)
    local_start = start.astimezone().replace(tzinfo=None)
    local_end = end.astimezone().replace(tzinfo=None)
    total = timedelta(0)
    day = local_start.date()
    for _ in range(MAX_DAYS_COUNTED):
        if day > local_end.date():
            break
        if day.weekday() < 5:
            opens = max(datetime.combine(day, rule.day_starts), local_start)
            closes = min(datetime.combine(day, rule.day_ends), local_end)
            if closes > opens:
                total += closes - opens
        day += timedelta(days=1)
    else:
        total += timedelta(days=3650)
    return total


def short_of_time(promise: Promise, now: datetime, rule: EffortRule | None) -> bool:
    """The working time left is less than the effort times your slip factor."""
    if promise.effort is None or rule is None:
        return False
    return working_time(now, promise.due, rule) < promise.effort * rule.slip


def is_at_risk(
    promise: Promise,
    now: datetime,
    window: timedelta,
    fraction: float,
    effort: EffortRule | None = None,
) -> bool:
    """Open, not yet due, and too little time left: within `window`, or under `fraction`
    of the span from making it to its due time."""
    if promise.status != "open" or now >= promise.due:
        return False
    left = promise.due - now
    if left <= window or short_of_time(promise, now, effort):
        return True
    span = promise.due - promise.made
    return span.total_seconds() > 0 and left < span * fraction


def standing(
    promise: Promise,
    now: datetime,
    window: timedelta,
    fraction: float,
    effort: EffortRule | None = None,
) -> str:
    """One of model.STANDINGS."""
    if promise.status == "kept":
        return "kept" if kept_on_time(promise) else "kept_late"
    if promise.status in ("broken", "released"):
        return promise.status
    if now >= promise.due:
        return "overdue"
    if is_at_risk(promise, now, window, fraction, effort):
        return "at_risk"
    return "on_track"


def lateness(promise: Promise, now: datetime) -> timedelta:
    """How late (positive) or early (negative) the promise is or was, against the date in force."""
    end = promise.closed_at if promise.status != "open" and promise.closed_at else now
    return end - promise.due


def risk_start(promise: Promise, window: timedelta, fraction: float) -> datetime:
    """The moment an open promise becomes at risk: the later of `window` before the due time
    and the point where only `fraction` of its span is left."""
    span = max(promise.due - promise.made, timedelta(0))
    return promise.due - max(window, span * fraction)


def needs_telling(
    promise: Promise,
    now: datetime,
    window: timedelta,
    fraction: float,
    effort: EffortRule | None = None,
) -> bool:
    """Overdue or at risk, and the person has not been told since it became so; or moved
    without telling them the new date.

    Telling them once is enough until something changes: the due date passes (a heads-up does
    not cover the miss) or the date is moved again. "Skip for today" silences it until the
    snooze ends.
    """
    if promise.status != "open":
        return False
    if promise.snoozed_until is not None and now < promise.snoozed_until:
        return False
    if promise.moved_since_told:
        return True  # they still expect the old date: a surprise waiting to happen
    state = standing(promise, now, window, fraction, effort)
    if state not in ("overdue", "at_risk"):
        return False
    if promise.told_at is None:
        return True
    if state == "overdue":
        became = promise.due
    elif is_at_risk(promise, now, window, fraction):
        became = risk_start(promise, window, fraction)
    else:  # at risk only by its effort: any word since it was made (or moved) counts
        became = promise.made
    return promise.told_at < became
