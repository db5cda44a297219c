"""`pk report`: reading the ledger into a report (the data; telling.report writes it out).

The ledger may hold a hundred thousand promises; a report is a page to send someone. So SQLite
picks what belongs in the period and counts each section (store.reports), and only the first
few of each section are read (`LIMIT`, or every one with limit=None), with their moves and
closings in one batch: time and memory follow what the report shows, not the ledger.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from promisekeeper.model.errors import InvalidInput
from promisekeeper.model.events import Closed, Moved, Reopened
from promisekeeper.model.promise import Promise, name_key
from promisekeeper.rules.worktime import local_day
from promisekeeper.services.ledger import Ledger
from promisekeeper.telling.report import Counts, Group, Item, Move, Report

DEFAULT_PERIOD = timedelta(days=30)
LIMIT = 10  # promises listed in each section of each person's part (the rest counted)
_SECTIONS = ("delivered", "in_progress", "closed")


def default_since(now: datetime) -> datetime:
    """The start of the local day thirty days ago."""
    return local_day(now - DEFAULT_PERIOD)[0]


def build(
    ledger: Ledger,
    *,
    to: str | None = None,
    since: datetime | None = None,
    limit: int | None = LIMIT,
) -> Report:
    """The report for one person (matched case-insensitively) or everyone, since `since`.

    A promise belongs when it was made, closed or due in the period, or is still open. Each
    section of each person lists its first `limit` promises (None: all of them): the latest
    delivered and closed, the most urgent in progress; the counts are always of all.
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
    report = Report(person=person, since=since, now=now, groups=[], counts=Counts(), limit=limit)
    # One reader for all the queries (a ledger that does not exist yet reads as empty).
    ledger._query(_read, ledger, report)
    if person is not None and not report.groups:
        report.groups = [Group(person=person)]
    return report


def _read(conn: Any, ledger: Ledger, report: Report) -> None:
    """Fill `report` from the ledger through `conn`."""
    from promisekeeper.store import reports as sql

    now, cfg = ledger.now, ledger.config
    scope = sql.ReportScope(
        now=now,
        since=report.since,
        person_key=None if report.person is None else name_key(report.person),
    )
    # Which open promises are at risk is the rules' call; SQL only narrows the candidates.
    at_risk: list[Promise] = [
        p
        for p in sql.at_risk_candidates(
            conn,
            scope,
            before=now + ledger.risk_window + timedelta(seconds=1),
            fraction=cfg.risk_fraction,
        )
        if ledger.standing(p) == "at_risk"
    ]
    scope.at_risk = sorted(p.id or 0 for p in at_risk)

    report.counts = _counts(sql.counts(conn, scope), len(at_risk))
    groups: dict[str, Group] = {}
    for name, counted in sql.counts_by_person(conn, scope):
        risky = sum(
            1
            for p in at_risk
            if report.person is not None or name_key(name) in {name_key(n) for n in p.to}
        )
        groups[name_key(name)] = Group(
            person=report.person if report.person is not None else name,
            counts=_counts(counted, risky),
        )

    picked = list(sql.shown(conn, scope, report.limit))
    items = {
        p.id: _item(ledger, p) for p in sql.promises(conn, sorted({pid for *_, pid in picked}))
    }
    _histories(conn, items)
    for name, section, promise_id in picked:
        group = groups[name_key(name)]
        getattr(group, _SECTIONS[section]).append(items[promise_id])
    urgency = {"overdue": 0, "at_risk": 1, "on_track": 2}
    for group in groups.values():
        group.delivered.sort(key=lambda i: (i.promise.closed_at or now, i.promise.id or 0))
        group.in_progress.sort(
            key=lambda i: (urgency.get(i.standing, 2), i.promise.due, i.promise.id or 0)
        )
        group.closed.sort(key=lambda i: (i.promise.closed_at or now, i.promise.id or 0))
    report.groups = sorted(groups.values(), key=lambda g: name_key(g.person))


def _counts(counted: dict[str, int], at_risk: int) -> Counts:
    return Counts(at_risk=at_risk, **counted)


def _item(ledger: Ledger, promise: Promise) -> Item:
    return Item(promise=promise, standing=ledger.standing(promise))


def _histories(conn: Any, items: dict[int | None, Item]) -> None:
    """The moves of the items, and why each closed one was closed, in one query."""
    from promisekeeper.store import reports as sql

    wanted = [pid for pid, item in items.items() if pid is not None and _has_history(item.promise)]
    closing: dict[int, Closed | None] = {}
    for promise_id, at, detail in sql.moves_and_closings(conn, wanted):
        if isinstance(detail, Moved):
            items[promise_id].moves.append(
                Move(
                    at=at,
                    old=detail.from_due,
                    new=detail.to_due,
                    before_deadline=detail.before_deadline,
                    reason=detail.reason,
                )
            )
        elif isinstance(detail, Closed):
            closing[promise_id] = detail
        elif isinstance(detail, Reopened):
            closing[promise_id] = None
    for promise_id, closed in closing.items():
        if closed is not None:
            items[promise_id].reason = closed.reason
            items[promise_id].note = closed.note


def _has_history(promise: Promise) -> bool:
    """Whether the history holds anything the report shows: a move, or why it closed."""
    return bool(promise.moves) or promise.status != "open"
