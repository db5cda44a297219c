"""The ledger's nouns as plain dataclasses: a promise and an event in its history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

STATUSES = ("open", "kept", "broken", "released")

# The kinds of event a promise's history holds. The history is append-only apart from `pk undo`,
# and the promise row is always the result of folding it (see history.apply).
EVENT_KINDS = (
    "made",
    "moved",
    "note",
    "kept",
    "broken",
    "released",
    "reopened",
    "edited",
    "deleted",
    "notified",
    "snoozed",
    "reminded",
)


@dataclass
class Promise:
    """Something promised to one or more people by a due time.

    `due` is the date in force; `original_due` the first one promised. `late_moves` counts moves
    made after the deadline they replaced: such a move never erases the lateness.
    """

    uuid: str
    what: str
    to: list[str]
    made: datetime
    due: datetime
    original_due: datetime
    status: str = "open"
    closed_at: datetime | None = None
    moves: int = 0
    late_moves: int = 0
    tags: list[str] = field(default_factory=list)
    note: str = ""
    deleted_at: datetime | None = None
    effort: timedelta | None = None
    id: int | None = None
    # Read from the history with the row (never stored): who was told when, and the prompt's
    # "skip for today".
    told_at: datetime | None = None
    told_before_deadline: bool | None = None
    told_event: int = 0
    moved_event: int = 0
    snoozed_until: datetime | None = None

    @property
    def moved_since_told(self) -> bool:
        """The date moved after the people were last told (event order, not clock time)."""
        return self.moved_event > self.told_event

    @property
    def kept_at(self) -> datetime | None:
        return self.closed_at if self.status == "kept" else None


@dataclass
class Event:
    """One thing that happened to a promise, with the details needed to replay it."""

    kind: str
    at: datetime
    data: dict[str, Any] = field(default_factory=dict)
    promise_id: int | None = None
    change_id: int | None = None
    id: int | None = None


@dataclass
class Person:
    """Someone you promise things to; matched case-insensitively by name."""

    name: str
    email: str | None = None
    handle: str | None = None
    channel: str | None = None
    note: str | None = None
    id: int | None = None
