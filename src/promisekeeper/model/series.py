"""A series: a recurring promise, of which each dated occurrence is a promise of its own."""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass, field
from datetime import datetime

# Occurrence identities live in their own namespace: uuid5(namespace, "<series>/<local time>").
OCCURRENCES = uuidlib.UUID("6f1c2a4e-5b7d-4c1e-9a3f-0d8e7b6a5c41")


def occurrence_uuid(series: str, scheduled: datetime) -> str:
    """The identity of a series' occurrence scheduled at local wall time `scheduled` (naive):
    derived from the series and the date alone, never from the machine that made it, so two
    ledgers that make the same occurrence make the same promise."""
    return str(uuidlib.uuid5(OCCURRENCES, f"{series}/{scheduled:%Y-%m-%dT%H:%M}"))


@dataclass
class Series:
    """A recurring promise: what, to whom, the rule in words (rules.recurrence reads it), the
    local wall time of its first occurrence, and an end (`until`, aware UTC, or `count`).

    `stopped_at` is set by `pk stop`: no occurrence is made after it."""

    uuid: str
    what: str
    to: list[str]
    rule: str
    start: datetime  # naive local wall time of the first occurrence
    made: datetime
    until: datetime | None = None
    count: int | None = None
    note: str = ""
    tags: list[str] = field(default_factory=list)
    stopped_at: datetime | None = None
