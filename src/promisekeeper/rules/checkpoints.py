"""Checkpoints inside a promise: how each one stands, and which one was missed.

A checkpoint is done on time when it was ticked off by its date, done late when after it,
missed when its date has passed and it is not ticked off, and upcoming until then. A missed
checkpoint of an open promise puts the promise at risk: rules.standing asks `first_missed`.
"""

from __future__ import annotations

from datetime import datetime

from promisekeeper.model.promise import Checkpoint, Promise

CHECKPOINT_STANDINGS = ("done_on_time", "done_late", "missed", "upcoming")


def checkpoint_standing(checkpoint: Checkpoint, now: datetime) -> str:
    """One of done_on_time, done_late, missed, upcoming."""
    if checkpoint.done_at is not None:
        return "done_on_time" if checkpoint.done_at <= checkpoint.by else "done_late"
    return "missed" if now > checkpoint.by else "upcoming"


def first_missed(promise: Promise, now: datetime) -> tuple[int, Checkpoint] | None:
    """(its number, the checkpoint) of the earliest-dated missed checkpoint, or None."""
    missed = [
        (checkpoint.by, number, checkpoint)
        for number, checkpoint in enumerate(promise.checkpoints, start=1)
        if checkpoint_standing(checkpoint, now) == "missed"
    ]
    if not missed:
        return None
    _by, number, checkpoint = min(missed, key=lambda found: (found[0], found[1]))
    return number, checkpoint
