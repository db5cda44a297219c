"""Folding the event history into a promise (history.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from promisekeeper.model.events import Event, Unreadable
from promisekeeper.model.history import apply, fold

AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
MADE = Event(
    kind="made",
    at=AT,
    data={
        "uuid": "u-1",
        "what": "report",
        "to": ["alice"],
        "due": "2026-11-27T16:00:00+00:00",
        "made": "2026-11-23T09:00:00+00:00",
        "note": "",
        "tags": ["q3"],
    },
)


def test_fold_replays_moves_and_keep() -> None:
    events = [
        MADE,
        Event(
            "moved",
            AT,
            {
                "from": "2026-11-27T16:00:00+00:00",
                "to": "2026-11-30T16:00:00+00:00",
                "before_deadline": True,
            },
        ),
        Event(
            "moved",
            AT,
            {
                "from": "2026-11-30T16:00:00+00:00",
                "to": "2026-12-01T16:00:00+00:00",
                "before_deadline": False,
            },
        ),
        Event("note", AT, {"text": "hi"}),
        Event("kept", AT, {"closed_at": "2026-11-29T10:00:00+00:00"}),
    ]
    promise = fold(events)
    assert promise is not None
    assert promise.due == datetime(2026, 12, 1, 16, tzinfo=UTC)
    assert promise.original_due == datetime(2026, 11, 27, 16, tzinfo=UTC)
    assert (promise.moves, promise.late_moves) == (2, 1)
    assert promise.status == "kept"
    assert promise.closed_at == datetime(2026, 11, 29, 10, tzinfo=UTC)


def test_edit_reopen_delete() -> None:
    promise = fold(
        [
            MADE,
            Event(
                "edited",
                AT,
                {"changes": {"what": ["report", "Q3 report"], "to": [["alice"], ["bob"]]}},
            ),
            Event("broken", AT, {}),
            Event("reopened", AT, {"previous": "broken"}),
            Event("deleted", AT, {}),
        ]
    )
    assert promise is not None
    assert (promise.what, promise.to, promise.status) == ("Q3 report", ["bob"], "open")
    assert promise.closed_at is None and promise.deleted_at == AT


def test_no_history_is_no_promise_and_events_before_a_made_change_nothing() -> None:
    assert fold([]) is None
    assert apply(None, Event("kept", AT, {})) is None
    with pytest.raises(ValueError):
        apply(None, Event("kept", AT, {}, detail=Unreadable("damaged")))


# -------------------------------------------------------------------------------------------------
# The rules for concurrent histories (the module docstring): apply is total
# -------------------------------------------------------------------------------------------------
DUE = "2026-11-27T16:00:00+00:00"


def _at(clock: int, kind: str, data: dict, replica: str = "a") -> Event:
    """An event at clock `clock` (its time the same number of hours after AT)."""
    from datetime import timedelta

    return Event(kind, AT + timedelta(hours=clock), data, uuid=f"{replica}-{clock}",
                 replica=replica, clock=clock)  # fmt: skip


def _made(clock: int = 1, replica: str = "a") -> Event:
    return _at(clock, "made", MADE.data, replica)


def test_a_second_making_of_the_same_promise_is_history_only() -> None:
    other = dict(MADE.data, what="made again elsewhere", due="2026-12-01T16:00:00+00:00")
    promise = fold([_made(1), _at(2, "made", other, "b")])
    assert promise is not None
    assert (promise.what, promise.original_due.isoformat()) == ("report", DUE)


def test_a_move_after_a_close_keeps_the_close_and_the_date_in_force() -> None:
    moved = {"from": DUE, "to": "2026-12-04T16:00:00+00:00", "before_deadline": True}
    promise = fold([_made(), _at(3, "kept", {}, "b"), _at(4, "moved", moved, "a")])
    assert promise is not None
    assert promise.status == "kept" and promise.due.isoformat() == DUE and promise.moves == 0
    # Ordered before the close, the same move counts and the close is judged against it.
    promise = fold([_made(), _at(3, "moved", moved, "a"), _at(4, "kept", {}, "b")])
    assert promise is not None
    assert promise.due.isoformat() == "2026-12-04T16:00:00+00:00" and promise.moves == 1


def test_of_two_closes_the_first_in_the_order_wins() -> None:
    broken, kept = _at(5, "broken", {"reason": "no"}, "b"), _at(4, "kept", {}, "a")
    for events in ([_made(), broken, kept], [kept, broken, _made()]):
        promise = fold(events)
        assert promise is not None
        assert promise.status == "kept" and promise.closed_at == kept.at
    # A reopen opens what is closed, and a close after it closes again.
    promise = fold([_made(), kept, broken, _at(6, "reopened", {}), _at(7, "released", {}, "b")])
    assert promise is not None and promise.status == "released"


def test_later_edit_wins_per_field() -> None:
    one = _at(3, "edited", {"changes": {"what": ["report", "A"], "note": ["", "from a"]}}, "a")
    two = _at(3, "edited", {"changes": {"what": ["report", "B"]}}, "b")  # same clock: replica b
    promise = fold([two, _made(), one])
    assert promise is not None and (promise.what, promise.note) == ("B", "from a")


def test_delete_wins_over_concurrent_edits_notes_and_closes() -> None:
    events = [
        _made(),
        _at(3, "deleted", {}, "a"),
        _at(4, "edited", {"changes": {"what": ["report", "B"]}}, "b"),
        _at(5, "note", {"text": "still on it"}, "b"),
        _at(6, "kept", {}, "b"),
        _at(7, "deleted", {}, "b"),
    ]
    promise = fold(events)
    assert promise is not None
    assert promise.deleted_at == events[1].at and promise.what == "report"
    assert promise.status == "open"
    # Undo the delete (its event gone): the concurrent changes apply.
    back = fold([e for e in events if e.uuid not in ("a-3", "b-7")])
    assert back is not None and back.deleted_at is None
    assert (back.what, back.status) == ("B", "kept")


def test_ticks_name_their_checkpoint_whatever_the_numbering() -> None:
    by = "2026-11-25T16:00:00+00:00"
    add_a = _at(3, "checkpoint", {"what": "draft", "by": by}, "a")
    add_b = _at(2, "checkpoint", {"what": "numbers", "by": by}, "b")  # added concurrently
    tick = _at(4, "checkpoint_kept", {"number": 1, "checkpoint": "a-3"}, "a")
    promise = fold([_made(), add_a, add_b, tick])
    assert promise is not None
    assert [(c.what, c.done_at is not None) for c in promise.checkpoints] == [
        ("numbers", False),
        ("draft", True),
    ]
    # A second tick of it, or a tick of a checkpoint whose adding was undone: history only.
    twice = _at(5, "checkpoint_kept", {"number": 2, "checkpoint": "a-3"}, "b")
    gone = _at(6, "checkpoint_kept", {"number": 1, "checkpoint": "c-9"}, "c")
    again = fold([_made(), add_a, add_b, tick, twice, gone])
    assert again is not None and again.checkpoints == promise.checkpoints
    # An older tick without a name is read by number.
    old = fold([_made(), add_b, _at(4, "checkpoint_kept", {"number": 1})])
    assert old is not None and old.checkpoints[0].done_at is not None


def test_every_interleaving_of_two_histories_folds() -> None:
    """Whatever the clocks say, two replicas' events always fold (no ValueError)."""
    import itertools

    a = [
        _at(2, "moved", {"from": DUE, "to": "2026-12-04T16:00:00+00:00"}, "a"),
        _at(3, "kept", {}, "a"),
        _at(4, "checkpoint_kept", {"number": 1, "checkpoint": "b-1"}, "a"),
    ]
    b = [
        _at(1, "checkpoint", {"what": "x", "by": DUE}, "b"),
        _at(5, "deleted", {}, "b"),
        _at(6, "reopened", {}, "b"),
    ]
    for order in itertools.permutations(range(7)):
        events = [_made(), *a, *b]
        for event, clock in zip(events, order, strict=True):
            event.clock = clock
        fold(events)  # never raises
