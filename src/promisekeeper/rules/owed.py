"""Promises owed to you: when one is worth a nudge, and when you last asked.

An expectation (`direction: owed`) stands as any promise does (rules.standing): on track, at
risk, overdue, kept on time or late, broken, released. What differs is what you do about it:
you never tell them about their promise; you nudge them, kindly, when it slips or comes due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from promisekeeper.model.promise import Promise

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up)
if TYPE_CHECKING:
    from promisekeeper.model.events import Event

# What a nudge is about, most pressing first.
NUDGE_REASONS = ("overdue", "due_soon")


def nudge_reason(promise: Promise, standing: str, soon_until: datetime) -> str | None:
    """The one rule for when an expectation is worth a nudge: "overdue" once its due time has
    passed; "due_soon" when it is due by `soon_until` (the end of the reminder window) or at
    risk; None otherwise, and always for your own promises and closed ones."""
    if not promise.owed or promise.status != "open":
        return None
    if standing == "overdue":
        return "overdue"
    if promise.due <= soon_until or standing == "at_risk":
        return "due_soon"
    return None


@dataclass(frozen=True)
class Asked:
    """When you last nudged them, and whether anything was recorded on it since (a new
    date, a note, an edit): their news, or yours."""

    at: datetime
    news_since: bool


# Events that are news about an expectation (reminders and nudges themselves are not).
_NEWS = ("moved", "note", "edited")


def last_asked(events: list[Event]) -> Asked | None:
    """The one rule for when you last asked: the latest `nudged` event of a history (in
    history order), and whether news came after it; None when you never asked."""
    last: Asked | None = None
    for event in sorted(events, key=lambda e: e.order):
        if event.kind == "nudged":
            last = Asked(event.at, news_since=False)
        elif last is not None and event.kind in _NEWS:
            last = Asked(last.at, news_since=True)
    return last
