"""Folding the event history into the state of a promise.

Every change goes through `apply`, both when a command records a new event and when `pk undo`,
`pk import` or a sync rebuilds a promise from its history, so the stored row can never disagree
with it. `fold` replays a history in its one order (clock, replica, uuid), whatever order the
events arrived in, so every replica that holds the same events holds the same promise.

`apply` is total: two replicas can record changes to one promise without seeing each other's,
and whatever the interleaving, every event either changes the promise or stays in its history
only ("history only": shown by `pk show`, exported, counted nowhere else). The local commands
still refuse what makes no sense on the promise as they see it (keeping a kept promise, moving
a deleted one), so these rules decide only between concurrent changes:

- The first `made` in the order makes the promise; a second one (a series occurrence made on
  two machines has one uuid, from its series and date) is history only. Anything ordered before
  the first `made` is history only.
- Deleted wins: once a promise is deleted, every later event (edits, notes, moves, closes, a
  second delete) is history only. Only undoing the delete brings it back, with those changes.
- Two closes (kept, broken, released): the first in the order wins; the other is history only.
  A reopen opens what is closed, whichever close it follows.
- A move after a close keeps the close: the move is history only, so `due` stays the date in
  force when the promise was closed, and whether it was kept on time is judged against that
  date. A move can never turn a late keep into an on-time one after the fact, and the count of
  moves counts the moves that changed the date.
- Edits: per field, the later edit in the order wins (each edit sets only the fields it names).
- Checkpoints: concurrent adds all land, in the order, up to the most a promise holds (the rest
  are history only). A tick names its checkpoint by the uuid of the event that added it; one
  naming a checkpoint the promise does not hold (its adding was undone) or one ticked off
  already is history only. Ticks recorded before they named their checkpoint are read by
  number.
- Every original due date is kept: `original_due` is the due date of the making, and each move
  records the date it replaced.
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
    """The promise after `event`: total (see the module's rules), so any interleaving of two
    replicas' histories folds; an event that cannot change the promise leaves it as it is."""
    detail = event.detail
    if isinstance(detail, Unreadable):
        raise ValueError(f"a {event.kind!r} event that cannot be read: {detail.problem}")
    if state is None:
        return _made(detail, event) if isinstance(detail, Made) else None
    if state.deleted_at is not None or isinstance(detail, Made):
        return state  # deleted wins; a second making is history only
    if isinstance(detail, Moved):
        if state.status != "open":
            return state  # a move after a close keeps the close
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
        if state.status != "open":
            return state  # the first close wins
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
            return state
        added = Checkpoint(detail.what, detail.by, ref=event.uuid)
        return replace(state, checkpoints=[*state.checkpoints, added])
    if isinstance(detail, CheckpointKept):
        index = _checkpoint_index(state, detail)
        if index is None:
            return state
        checkpoints = list(state.checkpoints)
        checkpoints[index] = replace(checkpoints[index], done_at=detail.done_at or event.at)
        return replace(state, checkpoints=checkpoints)
    if isinstance(detail, Deleted):
        return replace(state, deleted_at=event.at)
    # Kinds that only add to the story (note, notified, snoozed, reminded, nudged) leave it
    # as it is.
    return state


def _made(detail: Made, event: Event) -> Promise:
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


def _checkpoint_index(state: Promise, tick: CheckpointKept) -> int | None:
    """Which checkpoint a tick ticks off: the one added by the event it names (else, for a
    tick recorded before ticks named one, by number); None when the promise holds no such
    checkpoint or it is ticked off already."""
    if tick.checkpoint:
        found = [i for i, c in enumerate(state.checkpoints) if c.ref == tick.checkpoint]
        index = found[0] if found else None
    else:
        index = tick.number - 1 if tick.number <= len(state.checkpoints) else None
    if index is None or state.checkpoints[index].done_at is not None:
        return None
    return index


def in_order(events: list[Event]) -> list[Event]:
    """A history in its one order: clock, then replica, then uuid."""
    return sorted(events, key=lambda e: e.order)


def fold(events: list[Event]) -> Promise | None:
    """Replay a whole history in its order."""
    state: Promise | None = None
    for event in in_order(events):
        state = apply(state, event)
    return state
