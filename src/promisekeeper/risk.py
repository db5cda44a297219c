"""Standing: how a promise stands right now, derived from its status, due time and the clock.

The rule lives here and nowhere else, so later refinements (effort, your track record) change
one function. `today_bounds` gives the database a superset filter for the same rule, so the daily
view reads only the rows it may show.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from promisekeeper.model import Promise


def kept_on_time(promise: Promise) -> bool:
    """Kept by the due date in force, and no move of that date came after its deadline."""
    return (
        promise.status == "kept"
        and promise.closed_at is not None
        and promise.closed_at <= promise.due
        and promise.late_moves == 0
    )


def is_at_risk(promise: Promise, now: datetime, window: timedelta, fraction: float) -> bool:
    """Open, not yet due, and too little time left: within `window`, or under `fraction`
    of the span from making it to its due time."""
    if promise.status != "open" or now >= promise.due:
        return False
    left = promise.due - now
    if left <= window:
        return True
    span = promise.due - promise.made
    return span.total_seconds() > 0 and left < span * fraction


def standing(promise: Promise, now: datetime, window: timedelta, fraction: float) -> str:
    """One of model.STANDINGS."""
    if promise.status == "kept":
        return "kept" if kept_on_time(promise) else "kept_late"
    if promise.status in ("broken", "released"):
        return promise.status
    if now >= promise.due:
        return "overdue"
    if is_at_risk(promise, now, window, fraction):
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


def needs_telling(promise: Promise, now: datetime, window: timedelta, fraction: float) -> bool:
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
    state = standing(promise, now, window, fraction)
    if state not in ("overdue", "at_risk"):
        return False
    if promise.told_at is None:
        return True
    became = promise.due if state == "overdue" else risk_start(promise, window, fraction)
    return promise.told_at < became
