"""The checkpoint rules (rules.checkpoints) and how a missed one puts a promise at risk
(rules.standing): the one home of each, tested on its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from promisekeeper.model.promise import Checkpoint, Promise
from promisekeeper.rules.checkpoints import checkpoint_standing, first_missed
from promisekeeper.rules.standing import is_at_risk, needs_telling, risk_reason, standing

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
WINDOW = timedelta(hours=24)
FRACTION = 0.2


def promise(*checkpoints: Checkpoint, due: timedelta = timedelta(days=10)) -> Promise:
    made = NOW - timedelta(days=2)
    return Promise(
        uuid="u",
        what="w",
        to=["alice"],
        made=made,
        due=NOW + due,
        original_due=NOW + due,
        checkpoints=list(checkpoints),
    )


def test_each_standing_of_a_checkpoint() -> None:
    by = NOW - timedelta(hours=1)
    assert checkpoint_standing(Checkpoint("a", by, done_at=by), NOW) == "done_on_time"
    assert checkpoint_standing(Checkpoint("a", by, done_at=by + timedelta(seconds=1)), NOW) == (
        "done_late"
    )
    assert checkpoint_standing(Checkpoint("a", by), NOW) == "missed"
    assert checkpoint_standing(Checkpoint("a", NOW), NOW) == "upcoming"  # due this very moment
    assert checkpoint_standing(Checkpoint("a", NOW + timedelta(days=1)), NOW) == "upcoming"
    # Done before its date and read long after: still on time.
    assert checkpoint_standing(Checkpoint("a", by, done_at=by - timedelta(days=1)), NOW) == (
        "done_on_time"
    )


def test_first_missed_is_the_earliest_dated_one_not_done() -> None:
    later = Checkpoint("later", NOW - timedelta(hours=1))
    earlier = Checkpoint("earlier", NOW - timedelta(hours=5))
    done = Checkpoint("done", NOW - timedelta(hours=9), done_at=NOW - timedelta(hours=8))
    upcoming = Checkpoint("upcoming", NOW + timedelta(hours=1))
    assert first_missed(promise(done, later, earlier, upcoming), NOW) == (3, earlier)
    assert first_missed(promise(done, upcoming), NOW) is None
    assert first_missed(promise(), NOW) is None


def test_a_missed_checkpoint_puts_an_open_promise_at_risk_with_that_reason() -> None:
    p = promise(Checkpoint("draft", NOW - timedelta(minutes=1)))
    assert risk_reason(p, NOW, WINDOW, FRACTION) == "checkpoint"
    assert is_at_risk(p, NOW, WINDOW, FRACTION)
    assert standing(p, NOW, WINDOW, FRACTION) == "at_risk"
    # Before its date, and once ticked off, it says nothing about the promise.
    assert standing(p, NOW - timedelta(minutes=2), WINDOW, FRACTION) == "on_track"
    p.checkpoints[0].done_at = NOW
    assert risk_reason(p, NOW, WINDOW, FRACTION) == ""
    assert standing(p, NOW, WINDOW, FRACTION) == "on_track"


def test_the_checkpoint_reason_comes_after_overdue_and_before_the_clock() -> None:
    missed = Checkpoint("draft", NOW - timedelta(hours=2))
    soon = promise(missed, due=timedelta(hours=3))  # also within the risk window
    assert risk_reason(soon, NOW, WINDOW, FRACTION) == "checkpoint"
    late = promise(Checkpoint("draft", NOW - timedelta(hours=3)), due=-timedelta(hours=1))
    assert risk_reason(late, NOW, WINDOW, FRACTION) == "overdue"
    assert standing(late, NOW, WINDOW, FRACTION) == "overdue"
    kept = promise(missed)
    kept.status, kept.closed_at = "kept", NOW
    assert risk_reason(kept, NOW, WINDOW, FRACTION) == ""
    assert standing(kept, NOW, WINDOW, FRACTION) == "kept"


def test_a_missed_checkpoint_needs_telling_until_they_hear_of_it() -> None:
    by = NOW - timedelta(hours=2)
    p = promise(Checkpoint("draft", by))
    assert needs_telling(p, NOW, WINDOW, FRACTION)
    p.told_at = by - timedelta(minutes=1)  # told before it was missed: news again
    assert needs_telling(p, NOW, WINDOW, FRACTION)
    p.told_at = by + timedelta(minutes=1)  # told since: not asked again
    assert not needs_telling(p, NOW, WINDOW, FRACTION)
    # ... until the promise also runs short of time after that: told of the missed
    # checkpoint 29 hours ago, then due within the risk window since 21 hours ago.
    short = promise(Checkpoint("draft", NOW - timedelta(hours=30)), due=timedelta(hours=3))
    short.told_at = NOW - timedelta(hours=29)
    assert needs_telling(short, NOW, WINDOW, FRACTION)
    short.told_at = NOW - timedelta(hours=20)
    assert not needs_telling(short, NOW, WINDOW, FRACTION)
    # A snooze silences it, as every other reason.
    p.told_at, p.snoozed_until = None, NOW + timedelta(hours=1)
    assert not needs_telling(p, NOW, WINDOW, FRACTION)
