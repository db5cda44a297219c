"""`pk report` at scale (issue 13): each section lists its first 10 and counts the rest, the
period and the counts come from SQL and agree with the rule, and memory does not grow with the
ledger."""

from __future__ import annotations

import random
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import Pk

from promisekeeper.model.events import Closed, Event, Made, Moved
from promisekeeper.services.ledger import Ledger
from promisekeeper.services.reports import build
from promisekeeper.telling.report import Counts, render

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # conftest's NOW
DAY = timedelta(days=1)


def made(what: str, to: list[str], due: datetime, at: datetime) -> Event:
    uid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{what}/{to}/{due}/{at}"))
    return Event.of(Made(uuid=uid, what=what, to=to, due=due, made=at), at)


def promise(what: str, to: list[str], *, due: datetime, at: datetime, **closing: Any) -> list:
    """One history: made at `at`, due `due`; closed (status, closed_at) when given."""
    events = [made(what, to, due, at)]
    if closing:
        status, when = closing["status"], closing["closed_at"]
        events.append(Event.of(Closed(status, closed_at=when), when))
    return events


def load(path: Path, histories: list[list[Event]], now: datetime = NOW) -> Ledger:
    ledger = Ledger(path, now=now, create_dirs=True)
    ledger.add_histories("import", histories)
    return ledger


def items(text: str, heading: str) -> list[str]:
    """The titles listed under one section of a text report."""
    body = text.split(f"\n{heading} (", 1)[1].split("\n\n", 1)[0]
    return [line[4:] for line in body.splitlines() if line.startswith("  - ")]


@pytest.fixture
def busy(isolated: Path) -> Path:
    """alice: 13 open (one overdue), 12 delivered (the last late), 11 broken, in 30 days."""
    histories = [
        promise("Late one", ["alice"], due=NOW - DAY, at=NOW - 5 * DAY),
        *(promise(f"Open {i:02}", ["alice"], due=NOW + (i + 3) * DAY, at=NOW) for i in range(12)),
        *(
            promise(
                f"Kept {i:02}",
                ["alice"],
                due=NOW - i * DAY,
                at=NOW - 25 * DAY,
                status="kept",
                closed_at=NOW - (20 - i) * DAY,
            )  # fmt: skip
            for i in range(12)
        ),
        *(
            promise(
                f"Broken {i:02}",
                ["alice"],
                due=NOW - i * DAY,
                at=NOW - 25 * DAY,
                status="broken",
                closed_at=NOW - (20 - i) * DAY,
            )  # fmt: skip
            for i in range(11)
        ),
    ]
    load(isolated, histories)
    return isolated


def test_each_section_lists_its_first_ten_and_counts_the_rest(ok: Pk, busy: Path) -> None:
    out = ok("report", "--to", "alice").stdout
    assert "12 delivered (11 on time) · 13 in progress (1 overdue) · 11 broken." in out
    assert "\nIn progress (13)\n" in out
    assert items(out, "In progress") == ["Late one", *(f"Open {i:02}" for i in range(9))]
    assert "\n  … and 3 more in progress: pk list --to alice\n" in out
    # The latest deliveries and closings, still in the order they happened.
    assert items(out, "Delivered") == [f"Kept {i:02}" for i in range(2, 12)]
    assert "\n  … and 2 more delivered before these (--all lists every one)\n" in out
    assert items(out, "Closed otherwise") == [f"Broken {i:02}" for i in range(1, 11)]
    assert "\n  … and 1 more closed before these (--all lists every one)\n" in out

    every = ok("report", "--to", "alice", "--all").stdout
    assert "…" not in every
    assert items(every, "In progress") == ["Late one", *(f"Open {i:02}" for i in range(12))]
    assert items(every, "Delivered") == [f"Kept {i:02}" for i in range(12)]
    assert items(every, "Closed otherwise") == [f"Broken {i:02}" for i in range(11)]
    assert ok("report", "--all").stdout.replace("everyone", "alice").count("Open 11") == 1


def test_the_bound_in_markdown_and_html(ok: Pk, busy: Path) -> None:
    md = ok("report", "--to", "alice", "--format", "markdown").stdout
    assert "## In progress (13)" in md
    assert "\n\n… and 3 more in progress: pk list --to alice\n" in md
    page = ok("report", "--format", "html").stdout
    assert '<span class="n">13</span>' in page
    assert '<p class="more">… and 3 more in progress: pk list --to alice</p>' in page
    assert '<p class="more">… and 2 more delivered before these (--all lists every one)</p>' in (
        page
    )


def test_what_is_left_out_says_how_many_are_overdue_or_at_risk(ok: Pk, isolated: Path) -> None:
    histories = [
        promise(f"Overdue {i:02}", ["<i>eve</i> & co"], due=NOW - (i + 1) * DAY, at=NOW - 30 * DAY)
        for i in range(12)
    ]
    load(isolated, histories)
    out = ok("report").stdout
    assert items(out, "In progress") == [f"Overdue {i:02}" for i in range(11, 1, -1)]
    assert "  … and 2 more in progress (2 overdue): pk list --to '<i>eve</i> & co'\n" in out
    page = ok("report", "--format", "html").stdout
    assert (
        "… and 2 more in progress (2 overdue): pk list --to &#x27;&lt;i&gt;eve&lt;/i&gt; &amp; co"
        in page
    )
    assert "<i>eve" not in page


def test_in_progress_most_urgent_first(ok: Pk, isolated: Path) -> None:
    """At risk before on track, even when the promise at risk is due later."""
    histories = [
        promise("On track, due sooner", ["bob"], due=NOW + timedelta(hours=26), at=NOW),
        promise("At risk, due later", ["bob"], due=NOW + timedelta(hours=30), at=NOW - 10 * DAY),
        promise("Overdue", ["bob"], due=NOW - DAY, at=NOW - 10 * DAY),
    ]
    load(isolated, histories)
    out = ok("report", "--to", "bob").stdout
    assert items(out, "In progress") == ["Overdue", "At risk, due later", "On track, due sooner"]
    assert "1 in progress" not in out and "3 in progress (1 at risk, 1 overdue)" in out


def test_counts_are_written_with_thousands_separators() -> None:
    counts = Counts(delivered=12_345, on_time=1_000, in_progress=30_000, at_risk=6, overdue=1_200)
    assert counts.words() == (
        "12,345 delivered (1,000 on time) · 30,000 in progress (6 at risk, 1,200 overdue)"
    )


# -------------------------------------------------------------------------------------------------
# SQL picks the period as the rule says
# -------------------------------------------------------------------------------------------------
def random_ledger(path: Path, size: int, seed: int, calm: bool = False) -> Ledger:
    """`size` promises to four people, a third open, made over the last 120 days, some moved.
    `calm`: as in a real ledger (and bench/run.py), the open promises that are at risk are a
    handful whatever the size; the others are overdue or have time enough left."""
    rng = random.Random(seed)
    people = ["alice", "Bob", "carol", "dan"]
    histories = []
    for i in range(size):
        at = NOW - timedelta(hours=rng.randrange(1, 120 * 24))
        due = at + timedelta(hours=rng.randrange(2, 40 * 24))
        if calm and i >= 8 and due > NOW:
            due = NOW + max(due - NOW, (NOW - at) / 3, timedelta(days=2))
        to = rng.sample(people, rng.choice([1, 1, 2]))
        events = [made(f"Promise {i}", to, due, at)]
        if rng.random() < 0.2:
            when = min(at + timedelta(hours=rng.randrange(1, 200)), NOW)
            new = due + timedelta(hours=rng.randrange(1, 100))
            moved = Moved(from_due=due, to_due=new, before_deadline=when < due, reason="r")
            events.append(Event.of(moved, when))
            due = new
        if rng.random() < 0.66:
            closed = min(due + timedelta(hours=rng.randrange(-100, 60)), NOW)
            closed = max(closed, at)
            status = rng.choice(["kept", "kept", "kept", "broken", "released"])
            events.append(Event.of(Closed(status, closed_at=closed), max(closed, events[-1].at)))
        histories.append(events)
    return load(path, histories)


@pytest.mark.parametrize("days", [1, 7, 30, 90])
def test_the_period_and_counts_agree_with_the_rule(tmp_path: Path, days: int) -> None:
    """A promise is in the report when it was made, closed or due in the period, or is open;
    each counted once in the summary and once under each of its people."""
    ledger = random_ledger(tmp_path / "ledger.db", 400, seed=days)
    since = NOW - timedelta(days=days)
    report = build(ledger, since=since, limit=None)
    expected, by_person = Counts(), {}
    for p in ledger.list(status="all"):
        closed = p.closed_at is not None and since <= p.closed_at
        if not (p.status == "open" or since <= p.made <= NOW or closed or since <= p.due <= NOW):
            continue
        for counts in (expected, *(by_person.setdefault(n, Counts()) for n in p.to)):
            state = ledger.standing(p)
            counts.delivered += state in ("kept", "kept_late")
            counts.on_time += state == "kept"
            counts.in_progress += state in ("on_track", "at_risk", "overdue")
            counts.at_risk += state == "at_risk"
            counts.overdue += state == "overdue"
            counts.broken += state == "broken"
            counts.released += state == "released"
    assert report.counts == expected
    assert {g.person: g.counts for g in report.groups} == by_person
    for group in report.groups:
        assert len(group.delivered) == group.counts.delivered
        assert len(group.in_progress) == group.counts.in_progress
        assert len(group.closed) == group.counts.broken + group.counts.released
        assert all(item.standing == ledger.standing(item.promise) for item in group.in_progress)
        moved = [item for item in group.delivered + group.in_progress if item.promise.moves]
        assert all(len(item.moves) == item.promise.moves for item in moved)


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


@pytest.mark.slow
def test_memory_does_not_grow_with_the_ledger(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The peak of Python memory while building and writing the report (everyone, and one
    person; text and HTML) is about the same for 2,000 promises as for 20,000."""
    ledgers = {
        size: random_ledger(
            tmp_path_factory.mktemp(f"n{size}") / "ledger.db", size, seed=13, calm=True
        )
        for size in (2_000, 20_000)
    }
    for to in (None, "alice"):
        for fmt in ("text", "html"):
            peaks = {}
            for size, ledger in ledgers.items():

                def run(ledger: Ledger = ledger, to: Any = to, fmt: str = fmt) -> None:
                    render(build(ledger, to=to), fmt)

                run()  # connection opened, modules imported
                peaks[size] = peak_of(run)
            assert peaks[20_000] < 1.5 * peaks[2_000], (to, fmt, peaks)
