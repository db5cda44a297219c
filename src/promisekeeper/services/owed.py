"""Promises owed to you: the nudge that reminds them kindly, and which expectations are worth
a nudge now (for `pk remind`).

A nudge says what they promised, for when, what depends on it (the reason you give: now with
--reason, else the one you gave with your last nudge; never an invented one), and, when you
asked before, when that was. It is sent through the same channels as `pk notify` and
recorded as a `nudged` event, which is how "asked 6 days ago" is known (rules.owed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up)
if TYPE_CHECKING:
    from typing import Any

    from promisekeeper.model.events import Event
    from promisekeeper.model.promise import Promise
    from promisekeeper.services.ledger import Ledger
    from promisekeeper.telling.messages import Draft


def check_nudge(promise: Promise) -> None:
    """A nudge is for an open promise owed to you; anything else says what to use instead."""
    from promisekeeper.telling.messages import NotifyError
    from promisekeeper.telling.words import people

    if not promise.owed:
        raise NotifyError(
            f"#{promise.id} is your promise to {people(promise)}, not theirs; "
            f"to tell them about it, use pk notify {promise.id}"
        )
    if promise.status == "kept":
        raise NotifyError(
            f"#{promise.id} from {people(promise)} has arrived (kept); nothing to nudge "
            f"(pk reopen {promise.id} first if it did not)"
        )
    if promise.status != "open":
        raise NotifyError(
            f"#{promise.id} from {people(promise)} is {promise.status}; nothing to nudge "
            f"(pk reopen {promise.id} first if you still expect it)"
        )


def given_reason(events: list[Event]) -> str:
    """The reason you gave with your latest nudge ('' when none)."""
    from promisekeeper.model.events import Nudged

    found = ""
    for event in sorted(events, key=lambda e: e.order):
        if isinstance(event.detail, Nudged):
            found = event.detail.reason
    return found


def prepare(
    ledger: Ledger,
    promise: Promise,
    *,
    reason: str = "",
    to: list[str] | None = None,
    events: list[Event] | None = None,
) -> Draft:
    """The nudge for `promise`, filled from its record (telling/templates/nudge.txt)."""
    from promisekeeper.rules.dates import format_day_time
    from promisekeeper.rules.owed import last_asked
    from promisekeeper.telling.messages import draft

    check_nudge(promise)
    if events is None:
        events = ledger.history(promise.id or 0)
    asked = last_asked(events)
    asked_text = f"I last asked on {format_day_time(asked.at, ledger.now)}. " if asked else ""
    return draft(
        promise,
        "nudge",
        now=ledger.now,
        to=to,
        reason=reason.strip() or given_reason(events),
        directory=ledger.config.directory,
        asked=asked_text,
    )


@dataclass
class Expected:
    """An expectation worth a nudge now: why (rules.owed.nudge_reason), and when you last
    asked (None: never)."""

    promise: Promise
    standing: str
    reason: str
    asked: Any = None

    @property
    def next(self) -> str:
        return f"pk nudge {self.promise.id}"


def worth_a_nudge(
    ledger: Ledger, soon_until: datetime, looked_at: list[Promise] | None = None
) -> list[Expected]:
    """Open promises owed to you that are overdue, or due by `soon_until` or at risk, soonest
    due first, each with when you last asked. `looked_at`: the daily view's `owed`, when the
    caller has it already."""
    from promisekeeper.rules.owed import nudge_reason

    owed = ledger.today().owed if looked_at is None else looked_at
    candidates = {p.id: p for p in owed}
    for promise in ledger.list(
        status="open", due_before=soon_until + timedelta(seconds=1), direction="owed"
    ):
        candidates.setdefault(promise.id, promise)
    found = []
    for promise in sorted(candidates.values(), key=lambda p: (p.due, p.id or 0)):
        standing = ledger.standing(promise)
        reason = nudge_reason(promise, standing, soon_until)
        if reason is not None:
            found.append(Expected(promise, standing, reason))
    asked = ledger.asked([e.promise.id or 0 for e in found]) if found else {}
    for expected in found:
        expected.asked = asked.get(expected.promise.id or 0)
    return found
