"""The track record from SQL (issue 13): `pk stats` and `pk trust` are counted by SQLite.

The rules are written once, in Python, over histories (rules.track: `stats`, `accounts`, from
rules.timing and rules.notice); store.track holds their SQL twins. Here the two are run on the
same generated ledgers and must agree figure for figure, entry for entry; and the memory the
commands use must not grow with the ledger.
"""

from __future__ import annotations

import dataclasses
import random
import tempfile
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promisekeeper.model.events import Closed, Event, Made, Moved, Notified, Reopened
from promisekeeper.model.settings import Config
from promisekeeper.rules import track
from promisekeeper.rules.notice import KINDS, NOTICE_KINDS
from promisekeeper.services.ledger import Ledger

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PEOPLE = ["alice", "Bob", "carol", "dan"]
HOUR = 3600


def when(offset_s: int) -> datetime:
    return NOW + timedelta(seconds=offset_s)


# Ways an export or another tool may write a time: pk writes the first; SQLite reads some of the
# others and not the rest (those moves are judged in Python), and must agree where it reads them.
FORMATS = [
    lambda d: d.isoformat(),
    lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ"),
    lambda d: d.strftime("%Y-%m-%dT%H:%M:%Sz"),
    lambda d: d.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" "),
    lambda d: d.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.750+00:00"),
    lambda d: d.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ"),
    lambda d: d.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000"),
    lambda d: d.astimezone(UTC).strftime("%Y-%m-%dt%H:%M:%S"),
]


def history(
    rng: random.Random, person: list[str], forms: list[Any] = FORMATS, owed: float = 0.0
) -> list[Event]:
    """One promise's history: made (owed to you with probability `owed`), perhaps moved
    (earlier or later, before or after the deadline, its dates written in any form), told
    (news or not, before the deadline or not), closed, reopened."""
    made_at = when(-rng.randrange(1, 120 * 24) * HOUR)
    due = made_at + timedelta(seconds=rng.randrange(HOUR, 40 * 24 * HOUR))
    direction = "owed" if rng.random() < owed else "mine"
    made = Made(
        uuid=str(uuid.UUID(int=rng.getrandbits(128))),
        what="x",
        to=person,
        due=due,
        direction=direction,
    )
    events = [Event.of(made, made_at)]
    at = made_at
    for _ in range(rng.choice([0, 0, 1, 2, 3, 4])):
        step = 0 if rng.random() < 0.25 else rng.randrange(60, 10 * 24 * HOUR)  # or same time
        at = min(at + timedelta(seconds=step), NOW)
        roll = rng.random()
        if roll < 0.35:
            new = due + timedelta(seconds=rng.randrange(-3 * 24 * HOUR, 6 * 24 * HOUR))
            new = due if rng.random() < 0.15 else new  # to the same time: no slip
            form = rng.choice(forms)
            data = {"from": form(due), "to": form(new), "before_deadline": at < due}
            if rng.random() < 0.2:
                del data["before_deadline"]  # older ledgers: true unless recorded false
            events.append(Event(kind="moved", at=at, data=data))
            due = Moved.from_data(data).to_due
        elif roll < 0.65:
            told = Notified(
                to=person,
                channel="print",
                template=rng.choice([*KINDS, *NOTICE_KINDS, *NOTICE_KINDS]),
                subject="s",
                message="m",
                before_deadline=rng.random() < 0.6,
            )
            events.append(Event.of(told, at))
        elif roll < 0.9:
            status = rng.choice(["kept", "kept", "broken", "released"])
            closed = at if rng.random() < 0.7 else due + timedelta(hours=rng.randrange(-30, 30))
            events.append(Event.of(Closed(status, closed_at=min(closed, NOW)), at))
        else:
            events.append(Event.of(Reopened(), at))
    return events


def build(path: Path, histories: list[list[Event]], now: datetime = NOW) -> Ledger:
    ledger = Ledger(path, now=now, create_dirs=True)
    ledger.add_histories("import", histories)
    return ledger


def random_histories(
    rng: random.Random, count: int, forms: list[Any] = FORMATS, owed: float = 0.0
) -> list[list[Event]]:
    return [
        history(rng, rng.sample(PEOPLE, rng.choice([1, 1, 1, 2])), forms, owed)
        for _ in range(count)
    ]


def by_fold(
    ledger: Ledger, to: str | None = None, since: datetime | None = None, direction: str = "mine"
) -> Any:
    found = [
        (p, e)
        for p, e in ledger.histories()
        if (to is None or to.casefold() in {n.casefold() for n in p.to})
        and (since is None or p.made >= since)
    ]
    return track.outcomes(found, ledger.now, direction)


def same_accounts(sql: list[track.Account], fold: list[track.Account]) -> None:
    assert [a.person for a in sql] == [a.person for a in fold]
    for mine, theirs in zip(sql, fold, strict=True):
        assert {k: v for k, v in mine.counts.items() if v[0]} == theirs.counts, mine.person
        assert mine.recent == theirs.recent, mine.person
        assert (mine.balance, mine.deposits, mine.withdrawals, mine.trend) == (
            theirs.balance,
            theirs.deposits,
            theirs.withdrawals,
            theirs.trend,
        )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32),
    count=st.integers(0, 40),
    to=st.sampled_from([None, "alice", "BOB"]),
    since_days=st.sampled_from([None, 10, 60]),
    weeks=st.integers(1, 20),
    owed=st.sampled_from([0.0, 0.3, 1.0]),
)
def test_sql_counts_what_the_rules_fold(
    seed: int, count: int, to: str | None, since_days: int | None, weeks: int, owed: float
) -> None:
    """The figures of `pk stats` and every trust account, counted in SQL, are the ones the
    rules give when folded over every history, on any ledger; both count only your own
    promises, whatever others promised you (`owed`: the share of those), and their record
    with you (`pk trust PERSON`) is the same fold over theirs."""
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        ledger = build(Path(tmp) / "ledger.db", random_histories(rng, count, owed=owed))
        since = None if since_days is None else NOW - timedelta(days=since_days)
        if to is not None and ledger.person(to) is None:
            return
        assert ledger.track_record(to=to, since=since, weeks=weeks) == track.stats(
            by_fold(ledger, to, since), NOW, weeks
        )
        same_accounts(ledger.trust(), track.accounts(by_fold(ledger), NOW))
        with pytest.MonkeyPatch.context() as patch:  # every entry, not only the latest five
            patch.setattr(track, "RECENT_ENTRIES", 10_000)
            same_accounts(ledger.trust(), track.accounts(by_fold(ledger), NOW))
        weights = dict(track.DEFAULT_WEIGHTS, kept_early=0, broken=-2.5)
        ledger.config = Config(trust=weights)
        same_accounts(ledger.trust(), track.accounts(by_fold(ledger), NOW, weights))
        if to is not None:
            one = track.accounts(by_fold(ledger, to), NOW, weights)
            same_accounts(
                ledger.trust(to), [a for a in one if a.person.casefold() == to.casefold()]
            )
            theirs = track.tally(by_fold(ledger, to, direction="owed"))
            record = ledger.their_record(to)
            assert record == {
                "made": theirs.made,
                "open": theirs.open,
                "overdue": theirs.overdue,
                "kept": theirs.kept,
                "kept_on_time": theirs.kept_on_time,
                "broken": theirs.broken,
                "released": theirs.released,
                "kept_late": theirs.kept - theirs.kept_on_time,
            }
        if owed == 1.0:  # nothing of yours: an empty record, whatever they promised
            assert ledger.track_record(weeks=weeks)["made"] == 0
            assert ledger.trust() == []
        ledger.close()


def test_a_move_written_in_a_form_sqlite_cannot_read_is_judged_by_the_rule(
    tmp_path: Path,
) -> None:
    """An import may write a move's dates in any ISO 8601 form; SQLite reads only some. The
    others are decoded in Python and judged by rules.notice.slips, so a slip is a slip."""
    made = Event.of(Made(uuid="u1", what="x", to=["alice"], due=when(2 * HOUR)), when(-HOUR))
    moved = Event(
        kind="moved",
        at=when(0),
        data={
            "from": "20261123T110000Z",
            "to": "2026-11-24T12:00:00+0100",
            "before_deadline": True,
        },
    )
    earlier = Event(
        kind="moved",
        at=when(60),
        data={"from": "2026-11-24T12:00:00+0100", "to": "20261124T100000Z"},
    )
    ledger = build(tmp_path / "ledger.db", [[made, moved, earlier]])
    record = ledger.track_record()
    assert (record["moved"], record["moved_before_deadline"], record["slipped"]) == (2, 2, 1)
    [alice] = ledger.trust()
    assert [e.kind for e in alice.recent] == ["moved_in_advance"]


def test_figures_of_an_empty_or_missing_ledger(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "none.db", now=NOW)
    figures = ledger.track_record(weeks=3)
    assert figures == track.stats([], NOW, 3)
    assert ledger.trust() == []
    assert not (tmp_path / "none.db").exists()


# -------------------------------------------------------------------------------------------------
# Memory that does not grow with the ledger
# -------------------------------------------------------------------------------------------------
def peak_of(fn: Any) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture(scope="module")
def ledgers(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Ledger]:
    rng = random.Random(13)
    found = {}
    for size in (2_000, 20_000):
        path = tmp_path_factory.mktemp(f"n{size}") / "ledger.db"
        # Dates as pk writes them: a move in a form SQLite cannot read costs an id in memory.
        found[size] = build(path, random_histories(rng, size, FORMATS[:1]))
    return found


@pytest.mark.slow
@pytest.mark.parametrize("command", ["stats", "trust", "trust alice"])
def test_memory_does_not_grow_with_the_ledger(ledgers: dict[int, Ledger], command: str) -> None:
    """The peak of Python memory while counting the track record or the trust bank is about
    the same for 2,000 promises as for 20,000 (folding every history took ten times more)."""
    peaks = {}
    for size, ledger in ledgers.items():
        run = {
            "stats": ledger.track_record,
            "trust": ledger.trust,
            "trust alice": lambda ledger=ledger: ledger.trust("alice"),
        }[command]
        run()  # connection opened, modules imported
        peaks[size] = peak_of(run)
    assert peaks[20_000] < 1.5 * peaks[2_000], peaks


# -------------------------------------------------------------------------------------------------
# Being realistic (pk promise): your record for promises like a new one
# -------------------------------------------------------------------------------------------------
TAGS = ["reports", "ops", "q3"]


def tagged(rng: random.Random, events: list[Event]) -> list[Event]:
    """The same history, its promise tagged with some of TAGS (perhaps none)."""
    made = events[0].detail
    assert isinstance(made, Made)
    tags = rng.sample(TAGS, rng.choice([0, 0, 1, 2]))
    return [Event.of(dataclasses.replace(made, tags=tags), events[0].at), *events[1:]]


def record_by_fold(ledger: Ledger, to: list[str], tags: list[str], limit: int) -> Any:
    """rules.track.record_like over the latest `limit` finished promises like the new one,
    folded from every history."""
    people = {name.casefold() for name in to}
    similar = [
        o
        for o in by_fold(ledger)
        if o.promise.status in ("kept", "broken")
        and ({n.casefold() for n in o.promise.to} & people or set(o.promise.tags) & set(tags))
    ]
    similar.sort(key=lambda o: (o.promise.closed_at or NOW, o.promise.id or 0), reverse=True)
    return track.record_like(similar[:limit], to, tags)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32),
    count=st.integers(0, 40),
    to=st.sampled_from([["alice"], ["BOB", "carol"], ["alice", "Bob", "dan"], ["zoe"]]),
    tags=st.sampled_from([[], ["reports"], ["ops", "q3"]]),
    limit=st.sampled_from([3, 7, 50]),
    owed=st.sampled_from([0.0, 0.3]),
)
def test_the_record_like_a_new_promise_is_the_one_the_rules_fold(
    seed: int, count: int, to: list[str], tags: list[str], limit: int, owed: float
) -> None:
    """`pk promise` reads your record for promises like the new one (same people, or same
    tags) from the promise rows in one query; it is the record rules.track.record_like makes
    of the same latest finished promises, folded from their histories: on time, lateness,
    the slip factor, the count, whoever they were made to and however many share a name."""
    rng = random.Random(seed)
    histories = [tagged(rng, h) for h in random_histories(rng, count, owed=owed)]
    with tempfile.TemporaryDirectory() as tmp:
        ledger = build(Path(tmp) / "ledger.db", histories)
        assert ledger.record_like(to, tags, limit) == record_by_fold(ledger, to, tags, limit)
        ledger.close()


def test_the_record_like_a_new_promise_reads_no_history(tmp_path: Path) -> None:
    """The record is read from the promise rows in one query, walking from the people to
    their promises: no event is read, and SQLite does not walk your promises to find them."""
    from promisekeeper.store.track import Scope, finished_like

    ledger = build(tmp_path / "ledger.db", random_histories(random.Random(7), 60))
    conn = ledger._reader()
    assert conn is not None
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    ledger.record_like(["alice"], [], 50)
    conn.set_trace_callback(None)
    assert len(statements) == 1 and "events" not in statements[0], statements

    class Explain:
        plan: list[str] = []

        def execute(self, sql: str, params: dict[str, Any]) -> list[Any]:
            self.plan = [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
            return []

    explain = Explain()
    finished_like(explain, Scope(now=NOW, notice_kinds=()), ["alice"], [], 50)  # type: ignore[arg-type]
    assert "SEARCH p USING INTEGER PRIMARY KEY (rowid=?)" in explain.plan, explain.plan
    walked = [step for step in explain.plan if step.startswith(("SCAN p", "SEARCH p USING INDEX"))]
    assert not walked, explain.plan
    ledger.close()
