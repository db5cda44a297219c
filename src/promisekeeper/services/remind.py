"""What `pk remind` says, for a cron job: what needs you, and the command to run next.

`due` lists everything that needs you now, each marked `new` unless a reminder today already
said it at the same or a worse standing for the same due time; the reminders recorded as
`reminded` events (the standing, and the due time then in force) make this hold across runs,
reboots and machines sharing the ledger, and let the next reminder say what changed since
the last one ("now overdue", "now at risk", "moved").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from promisekeeper.model.promise import Promise
from promisekeeper.rules.worktime import end_of_working_day, local_day

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up)
if TYPE_CHECKING:
    from typing import Any

    from promisekeeper.model.events import Event, Reminded
    from promisekeeper.services.ledger import Ledger

SEVERITY = {"on_track": 0, "at_risk": 1, "overdue": 2}


@dataclass
class Reminder:
    """One promise that needs you: why, what to type next, and what changed since the last
    reminder of it."""

    promise: Promise
    standing: str
    reason: str
    next: str
    new: bool = True  # not said yet today at this standing (or a worse one) for this due time
    was: str | None = None  # the standing at the last reminder, if there was one
    last: datetime | None = None  # when that was
    moved: bool = False  # its due time changed since the last reminder
    asked: Any = None  # owed to you: when you last nudged them (rules.owed.Asked; None: never)

    @property
    def change(self) -> str:
        """'worse', 'moved' or '' (first reminder, or nothing changed)."""
        if self.was is None:
            return ""
        if self.moved:
            return "moved"
        if SEVERITY.get(self.standing, 0) > SEVERITY.get(self.was, 0):
            return "worse"
        return ""


def window_end(ledger: Ledger, within: timedelta | None) -> datetime:
    """The default window is the rest of the working day plus the risk window."""
    if within is not None:
        return ledger.now + within
    day_end = end_of_working_day(ledger.now, ledger.config.day_ends)
    return max(ledger.now, day_end) + ledger.risk_window


def due(ledger: Ledger, within: timedelta | None = None) -> list[Reminder]:
    """Everything that needs you now (see `needs_you`), whatever earlier reminders said; each
    marked `new` or not and with what changed since its last reminder."""
    end = window_end(ledger, within)
    found: dict[int, Promise] = {}
    view = ledger.today()
    for promise in view.overdue + view.due_today + view.at_risk:
        found[promise.id or 0] = promise
    for promise in ledger.list(
        status="open", due_before=end + timedelta(seconds=1), direction="mine"
    ):
        found.setdefault(promise.id or 0, promise)
    needing: list[tuple[Promise, str, str]] = []
    for promise in sorted(found.values(), key=lambda p: (p.due, p.id or 0)):
        state = ledger.standing(promise)
        reason = needs_you(ledger, promise, state, end)
        if reason is not None:
            needing.append((promise, state, reason))
    # What others owe you that is overdue or due soon: a nudge is the next step.
    from promisekeeper.services.owed import worth_a_nudge

    expected = worth_a_nudge(ledger, end, view.owed)
    asked = {e.promise.id or 0: e.asked for e in expected}
    nexts = {e.promise.id or 0: e.next for e in expected}
    needing += [(e.promise, e.standing, f"owed_{e.reason}") for e in expected]
    said = ledger.reminded([p.id or 0 for p, _state, _reason in needing]) if needing else {}
    today, _end = local_day(ledger.now)
    reminders = []
    for promise, state, reason in needing:
        earlier = said.get(promise.id or 0, [])
        pid = promise.id or 0
        step = nexts.get(pid) or _next_command(ledger, promise)
        reminder = Reminder(promise, state, reason, step)
        reminder.asked = asked.get(pid)
        reminder.new = not any(_covers(e, state, promise.due) for e in earlier if e.at >= today)
        if earlier:
            last = earlier[-1]
            was = _said(last)
            reminder.was, reminder.last = was.standing or None, last.at
            reminder.moved = was.due is not None and was.due != promise.due
        reminders.append(reminder)
    return reminders


def needs_you(ledger: Ledger, promise: Promise, state: str, end: datetime) -> str | None:
    """The one rule for what needs you now, and why: "overdue"; "due_soon" (due by the end of
    the reminder window); "at_risk" with its people not told; None when nothing does."""
    if state == "overdue":
        return "overdue"
    if promise.due <= end:
        return "due_soon"
    if state == "at_risk" and ledger.needs_telling(promise):
        return "at_risk"
    return None


def _said(event: Event) -> Reminded:
    """What an earlier reminder said (nothing, if its details were unreadable)."""
    from promisekeeper.model.events import Reminded

    detail = event.detail
    return detail if isinstance(detail, Reminded) else Reminded("")


def _covers(event: Event, state: str, due: datetime) -> bool:
    """Whether an earlier reminder already said this: the same or a worse standing, about the
    same due time (old reminders, which kept no due time, count as the same)."""
    said = _said(event)
    if said.due is not None and said.due != due:
        return False
    return SEVERITY.get(state, 0) <= SEVERITY.get(said.standing, 0)


def _next_command(ledger: Ledger, promise: Promise) -> str:
    """Tell them if they haven't heard; otherwise finish it."""
    if ledger.needs_telling(promise):
        return f"pk notify {promise.id}"
    return f"pk keep {promise.id}"


def record(ledger: Ledger, reminders: list[Reminder]) -> None:
    """Remember the new reminders (the others were recorded by the run that said them)."""
    ledger.record_reminded([(r.promise, r.standing) for r in reminders if r.new])
