"""Folding the event history into the state of a promise.

Every change goes through `apply`, both when a command records a new event and when `pk undo` or
`pk import` rebuilds a promise from its history, so the stored row can never disagree with it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from promisekeeper.model.promise import Event, Promise


def _time(value: str) -> datetime:
    from promisekeeper.model.times import from_iso

    return from_iso(value)


def _effort(seconds: float | None) -> timedelta | None:
    """Effort is kept in the history as seconds (or null)."""
    return None if seconds is None else timedelta(seconds=seconds)


def apply(state: Promise | None, event: Event) -> Promise | None:
    """The promise after `event`; `made` starts one, every other kind needs one."""
    data = event.data
    if event.kind == "made":
        due = _time(data["due"])
        return Promise(
            uuid=data["uuid"],
            what=data["what"],
            to=list(data["to"]),
            made=_time(data["made"]) if data.get("made") else event.at,
            due=due,
            original_due=due,
            tags=list(data.get("tags", [])),
            note=data.get("note", ""),
            effort=_effort(data.get("effort")),
        )
    if state is None:
        raise ValueError(f"a {event.kind!r} event before the promise was made")
    if event.kind == "moved":
        late = 0 if data.get("before_deadline", True) else 1
        return replace(
            state, due=_time(data["to"]), moves=state.moves + 1, late_moves=state.late_moves + late
        )
    if event.kind in ("kept", "broken", "released"):
        closed = _time(data["closed_at"]) if data.get("closed_at") else event.at
        return replace(state, status=event.kind, closed_at=closed)
    if event.kind == "reopened":
        return replace(state, status="open", closed_at=None)
    if event.kind == "edited":
        changes = {name: new for name, (_old, new) in data["changes"].items()}
        if "effort" in changes:
            changes["effort"] = _effort(changes["effort"])
        return replace(state, **changes)
    if event.kind == "deleted":
        return replace(state, deleted_at=event.at)
    # Kinds that only add to the story (note, notified, reminded) leave the state as it is.
    return state


def fold(events: list[Event]) -> Promise | None:
    """Replay a whole history, oldest first."""
    state: Promise | None = None
    for event in events:
        state = apply(state, event)
    return state
