"""What `pk remind` says, for a cron job: what needs you, and the command to run next.

A reminder is not repeated the same day unless the promise got worse (on track → at risk →
overdue); what was said is recorded as `reminded` events, so this holds across runs, reboots
and machines sharing the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from promisekeeper.model.promise import Promise
from promisekeeper.rules.worktime import end_of_working_day

if TYPE_CHECKING:
    from promisekeeper.services.ledger import Ledger

SEVERITY = {"on_track": 0, "at_risk": 1, "overdue": 2}


@dataclass
class Reminder:
    """One promise that needs you: why, and what to type next."""

    promise: Promise
    standing: str
    reason: str
    next: str


def window_end(ledger: Ledger, within: timedelta | None) -> datetime:
    """The default window is the rest of the working day plus the risk window."""
    if within is not None:
        return ledger.now + within
    day_end = end_of_working_day(ledger.now, ledger.config.day_ends)
    return max(ledger.now, day_end) + ledger.risk_window


def due(ledger: Ledger, within: timedelta | None = None) -> list[Reminder]:
    """Overdue, due within the window, or at risk with nobody told: minus what was already
    said today at the same or a worse standing."""
    end = window_end(ledger, within)
    found: dict[int, Promise] = {}
    view = ledger.today()
    for promise in view.overdue + view.due_today + view.at_risk:
        found[promise.id or 0] = promise
    for promise in ledger.list(status="open", due_before=end + timedelta(seconds=1)):
        found.setdefault(promise.id or 0, promise)
    already = ledger.reminded_today()
    reminders = []
    for promise in sorted(found.values(), key=lambda p: (p.due, p.id or 0)):
        state = ledger.standing(promise)
        reason = _reason(ledger, promise, state, end)
        if reason is None:
            continue
        said = already.get(promise.id or 0, [])
        if said and SEVERITY.get(state, 0) <= max(SEVERITY.get(s, 0) for s in said):
            continue
        reminders.append(Reminder(promise, state, reason, _next_command(ledger, promise)))
    return reminders


def _reason(ledger: Ledger, promise: Promise, state: str, end: datetime) -> str | None:
    if state == "overdue":
        return "overdue"
    if promise.due <= end:
        return "due_soon"
    if state == "at_risk" and ledger.needs_telling(promise):
        return "at_risk"
    return None


def _next_command(ledger: Ledger, promise: Promise) -> str:
    """Tell them if they haven't heard; otherwise finish it."""
    if ledger.needs_telling(promise):
        return f"pk notify {promise.id}"
    return f"pk keep {promise.id}"


def record(ledger: Ledger, reminders: list[Reminder]) -> None:
    ledger.record_reminded([(r.promise, r.standing) for r in reminders])
