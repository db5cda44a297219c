"""Standing and risk: how a promise stands right now, from its status, due time and the clock;
when it becomes at risk; and whether its people need telling.

Each rule lives here and nowhere else, so refinements (effort, your track record) change one
function. The store's daily-view query is only a superset filter; these functions decide.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from promisekeeper.model.promise import Promise
from promisekeeper.rules.checkpoints import first_missed
from promisekeeper.rules.notice import untold_new_date
from promisekeeper.rules.timing import kept_on_time, past_due
from promisekeeper.rules.worktime import EffortRule, short_of_time

AT_RISK = ("checkpoint", "window", "effort", "fraction")


def risk_reason(
    promise: Promise,
    now: datetime,
    window: timedelta,
    fraction: float,
    effort: EffortRule | None = None,
) -> str:
    """Why an open promise needs attention, first reason first: "overdue"; or at risk because
    one of its checkpoints was missed (its date passed, not ticked off: "checkpoint"), because
    it is due within `window` ("window"), because the working time left is short of its effort
    ("effort"), or because under `fraction` of the span from making it to its due time is left
    ("fraction"); "" when none of these holds."""
    if promise.status != "open":
        return ""
    if past_due(promise, now):
        return "overdue"
    if first_missed(promise, now) is not None:
        return "checkpoint"
    return _time_reason(promise, now, window, fraction, effort)


def _time_reason(
    promise: Promise,
    now: datetime,
    window: timedelta,
    fraction: float,
    effort: EffortRule | None = None,
) -> str:
    """The reasons of risk_reason that come from the time left alone (window, effort,
    fraction), for an open promise not yet due."""
    left = promise.due - now
    if left <= window:
        return "window"
    if short_of_time(promise, now, effort):
        return "effort"
    span = promise.due - promise.made
    if span.total_seconds() > 0 and left < span * fraction:
        return "fraction"
    return ""


def is_at_risk(
    promise: Promise,
    now: datetime,
    window: timedelta,
    fraction: float,
    effort: EffortRule | None = None,
) -> bool:
    """Open, not yet due, and too little time left (see risk_reason)."""
    return risk_reason(promise, now, window, fraction, effort) in AT_RISK


def standing(
    promise: Promise,
    now: datetime,
    window: timedelta,
    fraction: float,
    effort: EffortRule | None = None,
) -> str:
    """One of overdue, at_risk, on_track, kept, kept_late, broken, released."""
    if promise.status == "kept":
        return "kept" if kept_on_time(promise) else "kept_late"
    if promise.status in ("broken", "released"):
        return promise.status
    if past_due(promise, now):
        return "overdue"
    if is_at_risk(promise, now, window, fraction, effort):
        return "at_risk"
    return "on_track"


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
    """Whether its people should hear from you now: it was moved to a later date they have not
    heard; or it became overdue or at risk after they last heard its date.

    They hear the date when the promise is made and whenever you tell them, so one made
    minutes ago and already due within the risk window is no news (unless it is overdue), a
    checkpoint missed since they last heard from you is news, and
    telling them once is enough until something changes: the due date passes (a heads-up does
    not cover the miss) or the date moves later again. A move earlier is no news. "Skip for
    today" silences it until the snooze ends. A promise owed to you is theirs to tell you
    about: you never need to tell them (you nudge them: rules.owed).
    """
    if promise.status != "open" or promise.owed:
        return False
    if promise.snoozed_until is not None and now < promise.snoozed_until:
        return False
    if untold_new_date(promise):
        return True  # they still expect the old date: a surprise waiting to happen
    state = standing(promise, now, window, fraction, effort)
    if state == "overdue":
        return promise.told_at is None or promise.told_at < promise.due
    if state != "at_risk":
        return False
    missed = first_missed(promise, now)
    if missed is not None and (promise.told_at is None or promise.told_at < missed[1].by):
        return True  # a checkpoint was missed since they last heard from you
    if _time_reason(promise, now, window, fraction) not in AT_RISK:
        # At risk only by its effort, or by a checkpoint they heard about since it was
        # missed: any word since it was made (or moved) counts.
        return promise.told_at is None
    heard = max(promise.made, promise.told_at) if promise.told_at else promise.made
    return heard < risk_start(promise, window, fraction)
