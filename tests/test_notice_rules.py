"""rules.notice and rules.standing.needs_telling: which message fits, what counts as notice,
and when a person needs to hear from you."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from promisekeeper.model.events import Moved, Notified
from promisekeeper.model.promise import Promise
from promisekeeper.rules.notice import (
    counts_as_notice,
    fits,
    fitting_kind,
    gives_notice,
    slips,
    untold_new_date,
)
from promisekeeper.rules.standing import needs_telling

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)
WINDOW, FRACTION = timedelta(hours=24), 0.2


def promise(due_in: timedelta, made_ago: timedelta = timedelta(days=7), **kw) -> Promise:
    due = NOW + due_in
    return Promise(
        uuid="u", what="x", to=["a"], made=NOW - made_ago, due=due, original_due=due, **kw
    )


def test_a_move_later_slips_and_one_earlier_does_not() -> None:
    a, b = NOW, NOW + timedelta(hours=2)
    assert slips(Moved(from_due=a, to_due=b))
    assert not slips(Moved(from_due=b, to_due=a))
    assert not slips(Moved(from_due=a, to_due=a))


def test_untold_new_date_only_when_later_than_what_they_heard() -> None:
    p = promise(timedelta(days=3))
    assert not untold_new_date(p)
    p.heard_due = p.due - timedelta(days=1)
    assert untold_new_date(p)
    p.heard_due = p.due + timedelta(days=1)
    assert not untold_new_date(p)


@pytest.mark.parametrize(
    ("standing", "late_move", "kind"),
    [
        ("kept", False, "delivered"),
        ("kept_late", False, "delivered-late"),
        ("broken", False, "cannot-do"),
        ("released", False, "released"),
        ("overdue", False, "apology"),
        ("at_risk", False, "heads-up"),
        ("on_track", False, "heads-up"),
    ],
)
def test_fitting_kind(standing: str, late_move: bool, kind: str) -> None:
    assert fitting_kind(standing, promise(timedelta(days=1)), late_move) == kind


def test_an_untold_later_date_gets_new_date_or_an_apology_after_a_late_move() -> None:
    p = promise(timedelta(days=3))
    p.heard_due = NOW - timedelta(days=1)
    assert fitting_kind("on_track", p) == "new-date"
    assert fitting_kind("on_track", p, late_move=True) == "apology"


def test_fits_never_a_heads_up_for_a_closed_promise() -> None:
    p = promise(timedelta(days=1))
    for standing in ("broken", "released", "kept", "kept_late", "overdue"):
        assert not fits("heads-up", standing, p)
    assert not fits("delivered", "kept_late", p)
    assert not fits("apology", "on_track", p)
    p.late_moves = 1
    assert fits("apology", "on_track", p)


def test_only_news_before_the_deadline_is_notice() -> None:
    p = promise(timedelta(days=1))
    assert gives_notice("heads-up", p, NOW) and gives_notice("new-date", p, NOW)
    assert not gives_notice("delivered", p, NOW)
    assert not gives_notice("heads-up", p, p.due)
    p.status = "broken"
    assert not gives_notice("cannot-do", p, NOW) and not gives_notice("heads-up", p, NOW)


def test_older_records_of_delivered_notes_are_not_notice() -> None:
    def told(template: str, before: bool) -> Notified:
        return Notified(["a"], "print", template, "s", "m", before)

    assert counts_as_notice(told("heads-up", True))
    assert not counts_as_notice(told("heads-up", False))
    assert not counts_as_notice(told("delivered", True))


def test_made_minutes_ago_inside_the_window_is_no_news() -> None:
    fresh = promise(timedelta(hours=5), made_ago=timedelta(minutes=3))
    assert not needs_telling(fresh, NOW, WINDOW, FRACTION)
    old = promise(timedelta(hours=5))
    assert needs_telling(old, NOW, WINDOW, FRACTION)


def test_overdue_needs_telling_even_when_just_made() -> None:
    late = promise(-timedelta(hours=1), made_ago=timedelta(minutes=3))
    assert needs_telling(late, NOW, WINDOW, FRACTION)
    late.told_at = NOW - timedelta(minutes=1)
    assert not needs_telling(late, NOW, WINDOW, FRACTION)


def test_told_after_it_became_at_risk_is_enough() -> None:
    p = promise(timedelta(hours=5))
    p.told_at = NOW - timedelta(hours=2)
    assert not needs_telling(p, NOW, WINDOW, FRACTION)
    p.told_at = NOW - timedelta(days=3)  # before it became at risk
    assert needs_telling(p, NOW, WINDOW, FRACTION)
