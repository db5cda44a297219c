"""The ledger's nouns as plain dataclasses: a promise and a person (events: model.events)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

STATUSES = ("open", "kept", "broken", "released")

# What a promise may hold (rules.fields checks what is typed, model.events what is read).
MAX_TEXT = 1_000_000  # characters; a pasted e-mail fits, a runaway pipe does not
MAX_NAME = 200  # characters in a person's name
MIN_EFFORT_S, MAX_EFFORT_S = 60, 366 * 24 * 3600  # a minute to a year of work


def effort_in_bounds(seconds: object) -> bool:
    """Whether `seconds` can be a promise's effort: whole seconds, a minute to a year of work."""
    return (
        isinstance(seconds, int)
        and not isinstance(seconds, bool)
        and MIN_EFFORT_S <= seconds <= MAX_EFFORT_S
    )


def name_key(name: str) -> str:
    """How a person's name is matched: ignoring case and surrounding white space."""
    return name.strip().casefold()


MAX_TERMS = 100  # includes or excludes a promise may list
MAX_CHECKPOINTS = 100  # checkpoints inside one promise


@dataclass
class Checkpoint:
    """A dated milestone inside a promise ("draft for review by Wed"); `done_at` when ticked
    off. Numbered from 1 in the order they were added (as `pk show` lists them)."""

    what: str
    by: datetime
    done_at: datetime | None = None
    # The uuid of the event that added it, which a tick names (set by the fold; "" on a row
    # read from the ledger, which does not keep it): not part of what it is.
    ref: str = field(default="", compare=False)


@dataclass
class Promise:
    """Something promised to one or more people by a due time.

    `due` is the date in force; `original_due` the first one promised. `late_moves` counts moves
    made after the deadline they replaced, and `moved_late_by` is how long after its deadline
    the latest of them came: such a move never erases the lateness.
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
    moved_late_by: timedelta = timedelta(0)
    tags: list[str] = field(default_factory=list)
    note: str = ""
    deleted_at: datetime | None = None
    effort: timedelta | None = None
    id: int | None = None
    # Read from the history with the row (never stored): who was told when, and the prompt's
    # "skip for today".
    told_at: datetime | None = None
    told_before_deadline: bool | None = None
    told_clock: int = 0
    # The due date in force when its people were last told (when never told: the first one),
    # read only when the date has moved since; rules.notice.untold_new_date compares it.
    heard_due: datetime | None = None
    snoozed_until: datetime | None = None
    # "mine": you promised it; "owed": someone promised it to you (`to` names them).
    direction: str = "mine"
    # An occurrence of a series (model.series): the series' uuid and the local time it was
    # scheduled for, as UTC (moving the occurrence changes its due, not this).
    series: str | None = None
    occurrence: datetime | None = None
    # The terms (what you will and won't do, where it was promised) and the checkpoints.
    includes: list[str] = field(default_factory=list)
    excludes: list[str] = field(default_factory=list)
    source: str = ""
    checkpoints: list[Checkpoint] = field(default_factory=list)

    @property
    def kept_at(self) -> datetime | None:
        return self.closed_at if self.status == "kept" else None

    @property
    def owed(self) -> bool:
        """Someone promised it to you (an expectation), rather than you to them."""
        return self.direction == "owed"

    @property
    def next_checkpoint_by(self) -> datetime | None:
        """The date of the earliest checkpoint not ticked off (the store keeps it on the row,
        so the daily view finds promises with a missed checkpoint on an index)."""
        return min((c.by for c in self.checkpoints if c.done_at is None), default=None)


@dataclass
class Person:
    """Someone you promise things to; matched case-insensitively by name."""

    name: str
    email: str | None = None
    handle: str | None = None
    channel: str | None = None
    note: str | None = None
    id: int | None = None
