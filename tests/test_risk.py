"""The standing rule (rules.standing), on its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from promisekeeper.model.promise import Promise
from promisekeeper.rules.standing import is_at_risk, standing
from promisekeeper.rules.timing import kept_on_time

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
WINDOW = timedelta(hours=24)


def promise(made: datetime, due: datetime, **kw) -> Promise:
    return Promise(uuid="u", what="w", to=["a"], made=made, due=due, original_due=due, **kw)


@pytest.mark.parametrize(
    ("made", "due", "expected"),
    [
        (NOW - DAY, NOW + 3 * DAY, "on_track"),
        (NOW - DAY, NOW + 23 * timedelta(hours=1), "at_risk"),  # inside the window
        (NOW - DAY, NOW + WINDOW, "at_risk"),  # the edge of the window counts
        (NOW - 30 * DAY, NOW + 5 * DAY, "at_risk"),  # 5 of 35 days left: under 20%
        (NOW - 20 * DAY, NOW + 5 * DAY, "on_track"),  # 5 of 25 days: exactly 20%, not under
        (NOW - DAY, NOW, "overdue"),
        (NOW - DAY, NOW - timedelta(seconds=1), "overdue"),
        (NOW + DAY, NOW + 2 * DAY, "on_track"),  # made "in the future" (clock skew): no crash
    ],
)
def test_open_standings(made: datetime, due: datetime, expected: str) -> None:
    assert standing(promise(made, due), NOW, WINDOW, 0.2) == expected


def test_closed_standings() -> None:
    due = NOW + DAY
    kept = promise(NOW - DAY, due, status="kept", closed_at=due)
    assert standing(kept, NOW, WINDOW, 0.2) == "kept"
    late = promise(NOW - DAY, due, status="kept", closed_at=due + timedelta(minutes=1))
    assert standing(late, NOW, WINDOW, 0.2) == "kept_late"
    moved_late = promise(NOW - DAY, due, status="kept", closed_at=NOW, late_moves=1)
    assert standing(moved_late, NOW, WINDOW, 0.2) == "kept_late"
    assert not kept_on_time(moved_late)
    assert standing(promise(NOW, due, status="broken"), NOW, WINDOW, 0.2) == "broken"
    assert standing(promise(NOW, due, status="released"), NOW, WINDOW, 0.2) == "released"


def test_closed_promises_are_never_at_risk() -> None:
    closed = promise(NOW - DAY, NOW + timedelta(hours=1), status="kept", closed_at=NOW)
    assert not is_at_risk(closed, NOW, WINDOW, 0.2)


@pytest.mark.parametrize(
    ("made", "due", "effort", "expected"),
    [
        (NOW - DAY, NOW - timedelta(minutes=1), None, "overdue"),
        (NOW - DAY, NOW + WINDOW, None, "window"),
        (NOW - 30 * DAY, NOW + 5 * DAY, None, "fraction"),
        (NOW - DAY, NOW + 3 * DAY, None, ""),
        # Mon 09:00 UTC to Wed 09:00 UTC: 16 working hours (Berlin) for 40 hours of work.
        (NOW - DAY, NOW + 2 * DAY, timedelta(hours=40), "effort"),
        # Within the window, the window is the first reason, whatever the effort.
        (NOW - DAY, NOW + timedelta(hours=2), timedelta(hours=40), "window"),
    ],
)
def test_the_reason_a_promise_needs_attention(
    made: datetime, due: datetime, effort: timedelta | None, expected: str
) -> None:
    from promisekeeper.rules.standing import risk_reason
    from promisekeeper.rules.worktime import EffortRule

    rule = EffortRule() if effort else None
    p = promise(made, due, effort=effort)
    assert risk_reason(p, NOW, WINDOW, 0.2, rule) == expected
    # at risk means exactly one of the at-risk reasons
    assert is_at_risk(p, NOW, WINDOW, 0.2, rule) == (expected in ("window", "effort", "fraction"))


def test_lateness_counts_a_move_after_the_deadline() -> None:
    from promisekeeper.rules.timing import early_by, lateness

    due = NOW + DAY
    on_time = promise(NOW - DAY, due, status="kept", closed_at=due - timedelta(hours=3))
    assert lateness(on_time, NOW) == -timedelta(hours=3)
    assert early_by(on_time) == timedelta(hours=3)
    late = promise(NOW - DAY, due, status="kept", closed_at=due + timedelta(hours=2))
    assert lateness(late, NOW) == timedelta(hours=2) and early_by(late) == timedelta(0)
    moved_late = promise(
        NOW - DAY,
        due,
        status="kept",
        closed_at=due - timedelta(hours=5),
        late_moves=1,
        moved_late_by=timedelta(hours=18),
    )
    assert lateness(moved_late, NOW) == timedelta(hours=18) and early_by(moved_late) == timedelta(0)
    open_late = promise(NOW - 2 * DAY, NOW - DAY)
    assert lateness(open_late, NOW) == DAY


def test_past_due_is_the_moment_the_due_time_comes() -> None:
    from promisekeeper.rules.timing import past_due

    p = promise(NOW - DAY, NOW)
    assert past_due(p, NOW) and past_due(p, NOW + timedelta(seconds=1))
    assert not past_due(p, NOW - timedelta(seconds=1))
    assert standing(p, NOW, WINDOW, 0.2) == "overdue"
