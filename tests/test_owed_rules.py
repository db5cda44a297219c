"""The rules of promises owed to you (rules.owed): when one is worth a nudge, and when you last
asked. Each in one function, tested here on its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from promisekeeper.model.events import Event, Made, Moved, Noted, Nudged, Reminded
from promisekeeper.model.promise import Promise
from promisekeeper.rules.owed import Asked, last_asked, nudge_reason

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SOON = NOW + timedelta(hours=32)  # the end of a reminder window


def owed(due: datetime, status: str = "open", direction: str = "owed") -> Promise:
    made = NOW - timedelta(days=7)
    return Promise(
        uuid="u", what="x", to=["bob"], made=made, due=due, original_due=due, status=status,
        direction=direction,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("due", "standing", "status", "direction", "reason"),
    [
        (NOW - timedelta(hours=1), "overdue", "open", "owed", "overdue"),
        (NOW + timedelta(hours=5), "at_risk", "open", "owed", "due_soon"),
        (SOON, "on_track", "open", "owed", "due_soon"),  # due at the end of the window
        (SOON + timedelta(seconds=1), "on_track", "open", "owed", None),
        (NOW + timedelta(days=5), "at_risk", "open", "owed", "due_soon"),  # at risk by its span
        (NOW - timedelta(hours=1), "overdue", "open", "mine", None),  # yours: pk notify's
        (NOW - timedelta(hours=1), "kept_late", "kept", "owed", None),  # arrived
        (NOW - timedelta(hours=1), "broken", "broken", "owed", None),
        (NOW + timedelta(hours=1), "released", "released", "owed", None),
    ],
)
def test_nudge_reason(
    due: datetime, standing: str, status: str, direction: str, reason: str | None
) -> None:
    assert nudge_reason(owed(due, status, direction), standing, SOON) == reason


def event(detail: object, hours: int, clock: int) -> Event:
    return Event.of(detail, NOW + timedelta(hours=hours), clock=clock, uuid=str(clock))  # type: ignore[arg-type]


NUDGE = Nudged(to=["bob"], channel="print", subject="s", message="m")


def test_never_asked() -> None:
    made = Made(uuid="u", what="x", to=["bob"], due=NOW, direction="owed")
    assert last_asked([event(made, -100, 1)]) is None
    assert last_asked([]) is None


def test_the_latest_nudge_in_history_order_whatever_the_list_order() -> None:
    first, second = event(NUDGE, -48, 2), event(NUDGE, -24, 3)
    assert last_asked([second, first]) == Asked(NOW - timedelta(hours=24), news_since=False)


def test_news_after_the_last_nudge_and_only_after_it() -> None:
    moved = Moved(from_due=NOW, to_due=NOW + timedelta(days=2))
    before = [event(Noted("called"), -50, 1), event(NUDGE, -48, 2)]
    assert last_asked(before) == Asked(NOW - timedelta(hours=48), news_since=False)
    assert last_asked([*before, event(moved, -10, 3)]).news_since is True  # type: ignore[union-attr]
    assert last_asked([*before, event(Noted("n"), -9, 3)]).news_since is True  # type: ignore[union-attr]
    # A reminder of pk remind is no news; a new nudge starts again.
    assert last_asked([*before, event(Reminded("overdue"), -5, 3)]).news_since is False  # type: ignore[union-attr]
    later = [*before, event(moved, -10, 3), event(NUDGE, -2, 4)]
    assert last_asked(later) == Asked(NOW - timedelta(hours=2), news_since=False)


def test_a_nudge_reads_back_as_it_was_written() -> None:
    with_reason = Nudged(to=["bob"], channel="copy", subject="s", message="m", reason="launch")
    written = Event.of(with_reason, NOW)
    assert Event(kind="nudged", at=NOW, data=written.data).detail == with_reason
    assert "reason" not in Event.of(NUDGE, NOW).data


def test_made_direction_defaults_to_yours_and_is_written_only_when_owed() -> None:
    base = {"uuid": "u", "what": "x", "to": ["bob"], "due": "2026-11-27T16:00:00+00:00"}
    assert Made.from_data(base).direction == "mine"
    assert "direction" not in Made.from_data(base).to_data()
    owed_made = Made.from_data({**base, "direction": "owed"})
    assert owed_made.direction == "owed" and owed_made.to_data()["direction"] == "owed"
