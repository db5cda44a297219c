"""Our words for where a promise stands, shared by the terminal, messages and reports."""

from __future__ import annotations

from datetime import datetime, timedelta

from promisekeeper.model.promise import Checkpoint, Promise
from promisekeeper.rules.dates import (
    format_day_time,
    format_relative,
    format_short_amount,
    format_short_relative,
    format_span,
)
from promisekeeper.rules.timing import early_by, kept_on_time, lateness, past_due
from promisekeeper.telling.text import safe

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up)
if TYPE_CHECKING:
    from typing import Any

STANDING_WORDS = {
    "overdue": "overdue",
    "at_risk": "at risk",
    "on_track": "on track",
    "kept": "kept on time",
    "kept_late": "kept late",
    "broken": "broken",
    "released": "released",
}


CHECKPOINT_WORDS = {
    "done_on_time": "done on time",
    "done_late": "done late",
    "missed": "missed",
    "upcoming": "upcoming",
}


def checkpoint_words(checkpoint: Checkpoint, now: datetime) -> str:
    """'by Wed 25 Nov 17:00 · done on time, Tue 24 Nov 10:00', '… · done 3 hours late, …',
    '… · missed, 2 days ago', '… · upcoming, in 2 days' (standing: rules.checkpoints)."""
    from promisekeeper.rules.checkpoints import checkpoint_standing

    state = checkpoint_standing(checkpoint, now)
    due = f"by {format_day_time(checkpoint.by, now)}"
    if checkpoint.done_at is not None:
        done = format_day_time(checkpoint.done_at, now)
        if state == "done_late":
            return f"{due} · done {format_span(checkpoint.done_at - checkpoint.by)} late, {done}"
        return f"{due} · done on time, {done}"
    return f"{due} · {CHECKPOINT_WORDS[state]}, {format_relative(checkpoint.by, now)}"


def people(promise: Promise) -> str:
    return ", ".join(map(safe, promise.to))


def arrow(promise: Promise) -> str:
    """Who a promise is between: '→ alice' (you promised it to them) or '← bob' (bob
    promised it to you)."""
    return f"{'←' if promise.owed else '→'} {people(promise)}"


def asked_words(asked: Any, now: datetime) -> str:
    """When you last nudged them (rules.owed.last_asked), in words: 'never asked',
    'asked 6 days ago, no news', 'asked 6 days ago' (something was recorded since)."""
    if asked is None:
        return "never asked"
    words = f"asked {format_relative(asked.at, now)}"
    return words if asked.news_since else f"{words}, no news"


def timing(promise: Promise, now: datetime) -> str:
    """How the promise stands against its date, in words: 'in 4 days', '3 hours late', 'on time'."""
    late = lateness(promise, now)
    if promise.status == "open":
        if past_due(promise, now):
            return f"{format_span(late)} late"
        return format_relative(promise.due, now)
    if promise.status == "kept":
        if kept_on_time(promise):
            early = early_by(promise)
            return "on time" if early < MENTION_EARLY else f"on time, {format_span(early)} early"
        moved = ", moved after the deadline" if promise.late_moves else ""
        return f"{format_span(late)} late{moved}"
    return STANDING_WORDS[promise.status]


MENTION_EARLY = timedelta(hours=1)  # earlier than this is just "on time"


def short_timing(promise: Promise, now: datetime) -> str:
    """timing() for a narrow table: 'in 28h', '2d late', 'on time'."""
    if promise.status == "open":
        if past_due(promise, now):
            return f"{format_short_amount(lateness(promise, now))} late"
        return format_short_relative(promise.due, now)
    if promise.status == "kept":
        if kept_on_time(promise):
            return "on time"
        return f"{format_short_amount(lateness(promise, now))} late"
    return STANDING_WORDS[promise.status]


def short_standing(standing: str, promise: Promise, now: datetime) -> str:
    """A standing for a narrow table: 'overdue 2d', 'at risk', 'kept late'."""
    if standing == "overdue":
        return f"overdue {format_short_amount(lateness(promise, now))}"
    return STANDING_WORDS[standing]


def delivered(promise: Promise, now: datetime, missed: datetime | None = None) -> str:
    """How a kept promise was delivered, as the message to the person tells it: 'on time';
    '17 hours after the Mon 14 Dec 17:00 I promised'; or, kept by a date moved after a deadline
    it had already missed (`missed`), 'by the new date, Tue 15 Dec 17:00, but after the
    Fri 11 Dec 17:00 I first promised': never 'on time' for a promise kept late."""
    if kept_on_time(promise):
        return "on time"
    closed = promise.closed_at or now
    if closed > promise.due:
        late = format_span(closed - promise.due)
        return f"{late} after the {format_day_time(promise.due, now)} I promised"
    if missed is not None:
        return (
            f"by the new date, {format_day_time(promise.due, now)}, but after the "
            f"{format_day_time(missed, now)} I first promised"
        )
    return f"{format_span(lateness(promise, now))} late"
