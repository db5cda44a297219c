"""Telling: which message fits where a promise stands, and which messages count as notice.

The trust bank credits "told before the deadline" only for news given while the promise was
still open and not yet due (a heads-up, a new date). A note sent after a break, a release or a
delivery is recorded as what it was, and earns nothing on its own.
"""

from __future__ import annotations

from datetime import datetime

from promisekeeper.model.promise import Promise
from promisekeeper.rules.timing import past_due

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up)
if TYPE_CHECKING:  # the daily view reads rows, never typed events
    from promisekeeper.model.events import Moved, Notified

# Every message pk can draft, in the order a promise meets them.
KINDS = (
    "heads-up",  # open, not yet due: it might slip
    "new-date",  # moved to a later date the person has not heard yet
    "apology",  # overdue (or moved after the deadline): owns the miss
    "cannot-do",  # broken: you can't do it after all
    "released",  # they let you off: an acknowledgement
    "delivered",  # kept on time
    "delivered-late",  # kept late: owns the delay
)
NOTICE_KINDS = ("heads-up", "new-date")  # news given before the deadline

# Where each kind is true to the record (standings: rules.standing.standing).
FITS = {
    "heads-up": ("on_track", "at_risk"),
    "new-date": ("on_track", "at_risk"),
    "apology": ("overdue",),  # or open again after a move that came after the deadline
    "cannot-do": ("broken",),
    "released": ("released",),
    "delivered": ("kept",),
    "delivered-late": ("kept_late",),
}


def untold_new_date(promise: Promise) -> bool:
    """The date in force is later than the one its people last heard: a surprise waiting to
    happen. A move to an earlier or the same time is no news they need."""
    return promise.heard_due is not None and promise.due > promise.heard_due


def slips(move: Moved) -> bool:
    """A move to a later time is a slip; one to an earlier or the same time is not."""
    return move.to_due > move.from_due


def fitting_kind(standing: str, promise: Promise, late_move: bool = False) -> str:
    """The message that fits where the promise stands. `late_move`: the untold new date came
    from a move after the deadline, so the message owns the miss (an apology)."""
    if standing == "kept":
        return "delivered"
    if standing == "kept_late":
        return "delivered-late"
    if standing == "broken":
        return "cannot-do"
    if standing == "released":
        return "released"
    if standing == "overdue":
        return "apology"
    if untold_new_date(promise):
        return "apology" if late_move else "new-date"
    return "heads-up"


def fits(kind: str, standing: str, promise: Promise) -> bool:
    """Whether a message of `kind` says what is true of a promise in `standing`: never a
    heads-up for a broken promise, never 'delivered' for one kept late, never an apology for
    a date not missed."""
    if kind == "apology" and promise.status == "open" and promise.late_moves:
        return True
    return standing in FITS.get(kind, ())


def gives_notice(kind: str, promise: Promise, now: datetime) -> bool:
    """Whether telling the person now, with a message of `kind`, is notice before the
    deadline: news (a heads-up, a new date) while the promise is open and not yet due."""
    return kind in NOTICE_KINDS and promise.status == "open" and not past_due(promise, now)


def counts_as_notice(told: Notified) -> bool:
    """A recorded message that earns "told before the deadline" (older ledgers marked every
    message sent before the due time, a delivered note too: only news counts)."""
    return told.before_deadline and told.template in NOTICE_KINDS
