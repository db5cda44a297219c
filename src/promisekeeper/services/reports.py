"""`pk report`: reading the ledger into a report (the data; telling.report writes it out)."""

from __future__ import annotations

from datetime import datetime, timedelta

from promisekeeper.model.errors import InvalidInput
from promisekeeper.model.events import Closed, Moved, Reopened
from promisekeeper.model.promise import Promise, name_key
from promisekeeper.rules.worktime import local_day
from promisekeeper.services.ledger import Ledger
from promisekeeper.telling.report import Counts, Group, Item, Move, Report

DEFAULT_PERIOD = timedelta(days=30)


def default_since(now: datetime) -> datetime:
    """The start of the local day thirty days ago."""
    return local_day(now - DEFAULT_PERIOD)[0]


def build(ledger: Ledger, *, to: str | None = None, since: datetime | None = None) -> Report:
    """The report for one person (matched case-insensitively) or everyone, since `since`.

    A promise belongs when it was made, closed or due in the period, or is still open.
    """
    now = ledger.now
    since = default_since(now) if since is None else since
    person = None
    if to is not None:
        found = ledger.person(to.strip())
        if found is None:
            similar = ledger.similar_person(to.strip())
            hint = f"; did you mean {similar!r}?" if similar else ""
            raise InvalidInput(f"no promises to anyone called {to.strip()!r}{hint}")
        person = found.name
    counts = Counts()
    groups: dict[str, Group] = {}
    for promise in ledger.list(to=person, status="all"):
        if not _belongs(promise, since, now):
            continue
        item = _item(ledger, promise)
        counts.add(item)
        names = [person] if person is not None else promise.to
        for name in names:
            group = groups.setdefault(name_key(name), Group(person=name))
            group.counts.add(item)
            if item.standing in ("kept", "kept_late"):
                group.delivered.append(item)
            elif item.standing in ("broken", "released"):
                group.closed.append(item)
            else:
                group.in_progress.append(item)
    if person is not None and not groups:
        groups[name_key(person)] = Group(person=person)
    for group in groups.values():
        group.delivered.sort(key=lambda i: (i.promise.closed_at or now, i.promise.id or 0))
        group.in_progress.sort(key=lambda i: (i.promise.due, i.promise.id or 0))
        group.closed.sort(key=lambda i: (i.promise.closed_at or now, i.promise.id or 0))
    ordered = sorted(groups.values(), key=lambda g: name_key(g.person))
    return Report(person=person, since=since, now=now, groups=ordered, counts=counts)


def _belongs(promise: Promise, since: datetime, now: datetime) -> bool:
    if promise.status == "open":
        return True
    closed = promise.closed_at is not None and since <= promise.closed_at
    return since <= promise.made <= now or closed or since <= promise.due <= now


def _item(ledger: Ledger, promise: Promise) -> Item:
    item = Item(promise=promise, standing=ledger.standing(promise))
    if not promise.moves and promise.status == "open":
        return item  # nothing in the history the report would show
    closing: Closed | None = None
    for event in ledger.raw_history(promise.id or 0):
        detail = event.detail
        if isinstance(detail, Moved):
            item.moves.append(
                Move(
                    at=event.at,
                    old=detail.from_due,
                    new=detail.to_due,
                    before_deadline=detail.before_deadline,
                    reason=detail.reason,
                )
            )
        elif isinstance(detail, Closed):
            closing = detail
        elif isinstance(detail, Reopened):
            closing = None
    if closing is not None:
        item.reason = closing.reason
        item.note = closing.note
    return item
