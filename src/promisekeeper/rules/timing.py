"""Timing: on time, late, and by how much, against the date in force.

A promise is kept **on time** when it was kept by the due date in force and no move of that date
came after the deadline it replaced; otherwise it was kept **late**. A move after the deadline
never erases the lateness.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from promisekeeper.model.promise import Promise


def past_due(promise: Promise, now: datetime) -> bool:
    """The due time in force has come: from that moment an open promise is overdue, and
    anything said or changed comes after the deadline."""
    return now >= promise.due


def kept_on_time(promise: Promise) -> bool:
    """Kept by the due date in force, and no move of that date came after its deadline."""
    return (
        promise.status == "kept"
        and promise.closed_at is not None
        and promise.closed_at <= promise.due
        and promise.late_moves == 0
    )


def lateness(promise: Promise, now: datetime) -> timedelta:
    """How late (positive) or early (negative) the promise is or was, against the date in force.

    One kept after a move that came after the deadline is at least as late as that move came
    (how long after the missed deadline), even when it was delivered by the new date: the move
    does not erase the lateness, and delivering later never makes it smaller.
    """
    end = promise.closed_at if promise.status != "open" and promise.closed_at else now
    late = end - promise.due
    if promise.status == "kept" and promise.late_moves:
        return max(late, promise.moved_late_by)
    return late


def early_by(promise: Promise) -> timedelta:
    """How long before the due date a promise kept on time was delivered (zero otherwise)."""
    if not kept_on_time(promise) or promise.closed_at is None:
        return timedelta(0)
    return promise.due - promise.closed_at
