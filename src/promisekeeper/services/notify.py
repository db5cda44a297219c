"""Telling a person about a promise: the message that fits, in the user's own words.

The face asks for a draft and sends it; this module decides what the draft says from the
record: which kind fits the standing (rules.notice), the date the person last heard, the
reason the user gave (now, else with the latest move or break; never an invented one), and
the deadline a late delivery missed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from promisekeeper.telling.messages import NotifyError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up)
if TYPE_CHECKING:
    from promisekeeper.model.events import Event
    from promisekeeper.model.promise import Promise
    from promisekeeper.services.ledger import Ledger
    from promisekeeper.telling.messages import Draft

ARTICLES = {"heads-up": "a heads-up", "apology": "an apology"}


@dataclass
class Story:
    """What the history says that a message needs."""

    reason: str = ""  # the latest reason given with a move or a break/release
    last_move_from: datetime | None = None  # the date in force before the latest move
    missed: datetime | None = None  # the deadline the latest move after the deadline missed
    late_move_untold: bool = False  # the untold new date came from a move after the deadline


def story(promise: Promise, events: list[Event]) -> Story:
    from promisekeeper.model.events import Closed, Moved, Notified

    found = Story()
    late_since_told = False
    for event in events:
        detail = event.detail
        if isinstance(detail, Moved):
            found.last_move_from = detail.from_due
            if not detail.before_deadline:
                found.missed = detail.from_due
                late_since_told = True
            if detail.reason:
                found.reason = detail.reason
        elif isinstance(detail, Closed) and detail.reason:
            found.reason = detail.reason
        elif isinstance(detail, Notified):
            late_since_told = False
    found.late_move_untold = late_since_told
    return found


def choose_kind(ledger: Ledger, promise: Promise, events: list[Event] | None = None) -> str:
    """The message that fits where the promise stands now (rules.notice.fitting_kind)."""
    from promisekeeper.rules.notice import fitting_kind, untold_new_date

    late_move = False
    if untold_new_date(promise):
        if events is None:
            events = ledger.history(promise.id or 0)
        late_move = story(promise, events).late_move_untold
    return fitting_kind(ledger.standing(promise), promise, late_move)


def check_fits(
    ledger: Ledger, promise: Promise, kind: str, events: list[Event] | None = None
) -> None:
    """Refuse a message that would say something untrue of the record."""
    from promisekeeper.rules.notice import KINDS, fits
    from promisekeeper.telling.words import STANDING_WORDS

    check_mine(promise)
    if kind not in KINDS:
        raise NotifyError(f"unknown message kind {kind!r}; use one of {', '.join(KINDS)}")
    standing = ledger.standing(promise)
    if kind == "new-date" and fits(kind, standing, promise):
        if events is None:
            events = ledger.history(promise.id or 0)
        heard = _promised_before_move(promise, story(promise, events))
        if promise.due <= heard:
            raise NotifyError(
                f"#{promise.id} is not later than the {_day(ledger, heard)} they heard: there is "
                "no new date to tell (pk notify --message to say something else)"
            )
    if not fits(kind, standing, promise):
        fitting = choose_kind(ledger, promise, events)
        name = ARTICLES.get(kind, f"a {kind!r} message")
        raise NotifyError(
            f"{name} is not true of #{promise.id}: it is {STANDING_WORDS[standing]} "
            f"(the message that fits is {fitting})"
        )


def check_mine(promise: Promise) -> None:
    """Messages of `pk notify` are about your own promises: one owed to you is theirs to
    tell you about, and yours to nudge."""
    if promise.owed:
        from promisekeeper.telling.words import people

        raise NotifyError(
            f"#{promise.id} is what {people(promise)} promised you, not yours to tell them "
            f"about; to remind them, use pk nudge {promise.id}"
        )


def prepare(
    ledger: Ledger,
    promise: Promise,
    kind: str,
    *,
    reason: str = "",
    new_due: datetime | None = None,
    offer: str = "",
    to: list[str] | None = None,
    events: list[Event] | None = None,
) -> Draft:
    """The draft of `kind` for `promise`, filled from its record."""
    from promisekeeper.telling.messages import draft
    from promisekeeper.telling.words import delivered

    if events is None:
        events = ledger.history(promise.id or 0)
    told = story(promise, events)
    from promisekeeper.rules.notice import untold_new_date

    promised = promise.due
    if kind == "new-date" or (kind == "apology" and untold_new_date(promise)):
        # The date they last heard, and the one now in force as the new date.
        promised = _promised_before_move(promise, told)
        new_due = new_due or promise.due
    return draft(
        promise,
        kind,
        now=ledger.now,
        to=to,
        reason=reason.strip() or told.reason,
        new_due=new_due,
        promised_due=promised,
        delivered=delivered(promise, ledger.now, told.missed),
        offer=offer,
        directory=ledger.config.directory,
    )


def _promised_before_move(promise: Promise, told: Story) -> datetime:
    """The date a new-date message says was promised: the one they last heard."""
    return promise.heard_due or told.last_move_from or promise.original_due


def _day(ledger: Ledger, moment: datetime) -> str:
    from promisekeeper.rules.dates import format_day_time

    return format_day_time(moment, ledger.now)
