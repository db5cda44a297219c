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
