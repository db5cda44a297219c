"""Our words for where a promise stands, shared by the terminal, messages and reports."""

from __future__ import annotations

from datetime import datetime

from promisekeeper.model.promise import Promise
from promisekeeper.rules.dates import format_relative, format_span
from promisekeeper.rules.timing import lateness
from promisekeeper.telling.text import safe

STANDING_WORDS = {
    "overdue": "overdue",
    "at_risk": "at risk",
    "on_track": "on track",
    "kept": "kept on time",
    "kept_late": "kept late",
    "broken": "broken",
    "released": "released",
}


def people(promise: Promise) -> str:
    return ", ".join(safe(name) for name in promise.to)


def timing(promise: Promise, now: datetime) -> str:
    """How the promise stands against its date, in words: 'in 4 days', '3 hours late', 'on time'."""
    late = lateness(promise, now)
    if promise.status == "open":
        if late.total_seconds() >= 0:
            return f"{format_span(late)} late"
        return format_relative(promise.due, now)
    if promise.status == "kept":
        if late.total_seconds() > 0:
            return f"{format_span(late)} late"
        if promise.late_moves:
            return "on the moved date, moved after the deadline"
        early = -late
        return "on time" if early.total_seconds() < 3600 else f"on time, {format_span(early)} early"
    return STANDING_WORDS[promise.status]
