"""Folding the event history into the state of a promise.

Every change goes through `apply`, both when a command records a new event and when `pk undo` or
`pk import` rebuilds a promise from its history, so the stored row can never disagree with it.
`fold` replays a history in its one order (clock, replica, uuid), whatever order the events
arrived in, so every replica that holds the same events holds the same promise.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from promisekeeper.model.events import (
    CheckpointAdded,
    CheckpointKept,
    Closed,
    Deleted,
    Edited,
    Event,
    Made,
    Moved,
    Reopened,
    Unreadable,
)
from promisekeeper.model.promise import MAX_CHECKPOINTS, Checkpoint, Promise


def _effort(seconds: int | None) -> timedelta | None:
    """Effort is kept in the history as seconds (or null)."""
    return None if seconds is None else timedelta(seconds=seconds)


def apply(state: Promise | None, event: Event) -> Promise | None:
    """The promise after `event`; `made` starts one, every other kind needs one."""
    detail = event.detail
    if isinstance(detail, Made):
        return Promise(
            uuid=detail.uuid,
            what=detail.what,
            to=list(detail.to),
            made=detail.made or event.at,
            due=detail.due,
            original_due=detail.due,
            tags=list(detail.tags),
            note=detail.note,
            effort=_effort(detail.effort_s),
            direction=detail.direction,
            series=detail.series,
            occurrence=detail.occurrence,
            includes=list(detail.includes),
            excludes=list(detail.excludes),
            source=detail.source,
        )
    if isinstance(detail, Unreadable):
        raise ValueError(f"a {event.kind!r} event that cannot be read: {detail.problem}")
    if state is None:
        raise ValueError(f"a {event.kind!r} event before the promise was made")
    if isinstance(detail, Moved):
        if detail.before_deadline:
            return replace(state, due=detail.to_due, moves=state.moves + 1)
        # A move after the deadline never erases the lateness: remember how late it came.
        late_by = max(event.at - detail.from_due, timedelta(0))
        return replace(
            state,
            due=detail.to_due,
            moves=state.moves + 1,
            late_moves=state.late_moves + 1,
            moved_late_by=max(state.moved_late_by, late_by),
        )
    if isinstance(detail, Closed):
        return replace(state, status=detail.status, closed_at=detail.closed_at or event.at)
    if isinstance(detail, Reopened):
        return replace(state, status="open", closed_at=None)
    if isinstance(detail, Edited):
        changes = {name: new for name, (_old, new) in detail.changes.items()}
        if "effort" in changes:
            changes["effort"] = _effort(changes["effort"])
        return replace(state, **changes)
    if isinstance(detail, CheckpointAdded):
        if len(state.checkpoints) >= MAX_CHECKPOINTS:
            raise ValueError(f"more than {MAX_CHECKPOINTS} checkpoints")
        return replace(state, checkpoints=[*state.checkpoints, Checkpoint(detail.what, detail.by)])
    if isinstance(detail, CheckpointKept):
        index = detail.number - 1
        if index >= len(state.checkpoints):
            raise ValueError(f"checkpoint {detail.number} ticked off before it was added")
        checkpoints = list(state.checkpoints)
        if checkpoints[index].done_at is not None:
            raise ValueError(f"checkpoint {detail.number} ticked off twice")
        checkpoints[index] = replace(checkpoints[index], done_at=detail.done_at or event.at)
        return replace(state, checkpoints=checkpoints)
    if isinstance(detail, Deleted):
        return replace(state, deleted_at=event.at)
    # Kinds that only add to the story (note, notified, snoozed, reminded, nudged) leave it
    # as it is.
    return state


def in_order(events: list[Event]) -> list[Event]:
    """A history in its one order: clock, then replica, then uuid."""
    return sorted(events, key=lambda e: e.order)


def fold(events: list[Event]) -> Promise | None:
    """Replay a whole history in its order."""
    state: Promise | None = None
    for event in in_order(events):
        state = apply(state, event)
    return state
