"""The events of a promise's history, typed.

An event is stored as a kind and a JSON object of details; this module is the one place that
turns those details into typed values and back. The store decodes every event it reads
(`Event.detail`), services build new ones from typed details (`Event.of`), and everything above
the store reads fields (`moved.to_due`, `kept.closed_at`), never JSON keys. Times in details are
aware UTC datetimes; a detail that cannot be decoded is refused with InvalidInput, which is
also what keeps a crafted import from reaching the ledger.

Each event also carries its identity for replication: a uuid, the replica (ledger) that wrote
it, and a hybrid-logical-clock stamp. A history is folded in the order (clock, replica, uuid),
so the same set of events gives the same promise on every machine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from promisekeeper.model.errors import InvalidInput, PkError
from promisekeeper.model.promise import (
    MAX_CHECKPOINTS,
    MAX_NAME,
    MAX_TERMS,
    MAX_TEXT,
    effort_in_bounds,
)
from promisekeeper.model.times import YEARS, from_iso, in_range, iso

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up)
if TYPE_CHECKING:
    from typing import Any


# -------------------------------------------------------------------------------------------------
# Reading JSON details
# -------------------------------------------------------------------------------------------------
def _time(data: dict[str, Any], key: str) -> datetime:
    value = data.get(key)
    try:
        moment = from_iso(value)  # type: ignore[arg-type]
    except PkError:
        raise InvalidInput(f"{key!r} must be an ISO 8601 time") from None
    if not in_range(moment):
        raise InvalidInput(f"{key!r} is out of range ({YEARS})")
    return moment


def _optional_time(data: dict[str, Any], key: str) -> datetime | None:
    return None if data.get(key) is None else _time(data, key)


MAX_WORD = 100  # characters in a channel, template, standing or status name


def _text(data: dict[str, Any], key: str, default: str | None = "", limit: int = MAX_TEXT) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise InvalidInput(f"{key!r} must be a string")
    if len(value) > limit:
        raise InvalidInput(f"{key!r} is too long (at most {limit:,} characters)")
    return value


def _word(data: dict[str, Any], key: str) -> str:
    """A short name (a channel, a template, a standing): a string of at most MAX_WORD."""
    return _text(data, key, limit=MAX_WORD)


def _flag(data: dict[str, Any], key: str, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise InvalidInput(f"{key!r} must be true or false")
    return value


def _names(value: Any, key: str) -> list[str]:
    """A list of names (`to`) or tags, each a string of bounded length."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(f"{key!r} must be a list of strings")
    limit = MAX_NAME if key.startswith("to") else MAX_TEXT
    if any(len(v) > limit for v in value) or sum(len(v) for v in value) > MAX_TEXT:
        raise InvalidInput(f"{key!r} holds a name that is too long (at most {limit:,} characters)")
    return list(value)


def _terms(value: Any, key: str) -> list[str]:
    """What a promise includes or excludes: a list of at most MAX_TERMS strings."""
    items = _names(value, key)
    if len(items) > MAX_TERMS:
        raise InvalidInput(f"{key!r} lists more than {MAX_TERMS} items")
    return items


def _seconds(value: Any, key: str) -> int | None:
    """An effort: whole seconds within the bounds of a promise's effort, or None."""
    if value is None:
        return None
    if not effort_in_bounds(value):
        raise InvalidInput(f"{key!r} must be whole seconds between a minute and a year of work")
    return value


# -------------------------------------------------------------------------------------------------
# The details of each kind: values, never changed once made (plain dataclasses rather than
# frozen ones, which take twice as long to define, and `pk promise` defines them all)
# -------------------------------------------------------------------------------------------------
@dataclass
class Made:
    """The promise is made: everything it says, and when it is due."""

    kind = "made"
    uuid: str
    what: str
    to: list[str]
    due: datetime
    made: datetime | None = None  # back-dated making; else the event's time
    note: str = ""
    tags: list[str] = field(default_factory=list)
    effort_s: int | None = None
    # "mine" (you promised it) or "owed" (someone promised it to you); absent in the history
    # of every promise made before expectations existed, which are yours.
    direction: str = "mine"
    # An occurrence of a series: the series' uuid and when it was scheduled for.
    series: str | None = None
    occurrence: datetime | None = None
    # The terms: what you will and won't do, and where it was promised (written only when
    # given, so a promise without terms is recorded as before).
    includes: list[str] = field(default_factory=list)
    excludes: list[str] = field(default_factory=list)
    source: str = ""

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "uuid": self.uuid,
            "what": self.what,
            "to": list(self.to),
            "due": iso(self.due),
        }
        if self.made is not None:
            data["made"] = iso(self.made)
        data["note"] = self.note
        data["tags"] = list(self.tags)
        if self.effort_s is not None:
            data["effort"] = self.effort_s
        if self.direction != "mine":
            data["direction"] = self.direction
        if self.series is not None:
            data["series"] = self.series
        if self.occurrence is not None:
            data["occurrence"] = iso(self.occurrence)
        if self.includes:
            data["includes"] = list(self.includes)
        if self.excludes:
            data["excludes"] = list(self.excludes)
        if self.source:
            data["source"] = self.source
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Made:
        for key in ("uuid", "what", "to", "due"):
            if key not in data:
                raise InvalidInput(f"a made event needs {key!r}")
        return cls(
            uuid=_text(data, "uuid", limit=MAX_WORD),
            what=_text(data, "what"),
            to=_names(data["to"], "to"),
            due=_time(data, "due"),
            made=_optional_time(data, "made"),
            note=_text(data, "note"),
            tags=_names(data.get("tags", []), "tags"),
            effort_s=_seconds(data.get("effort"), "effort"),
            direction=_direction(data),
            series=None if data.get("series") is None else _word(data, "series"),
            occurrence=_optional_time(data, "occurrence"),
            includes=_terms(data.get("includes", []), "includes"),
            excludes=_terms(data.get("excludes", []), "excludes"),
            source=_text(data, "source"),
        )


DIRECTIONS = ("mine", "owed")


def _direction(data: dict[str, Any]) -> str:
    """Whose promise it is: "mine" unless recorded otherwise."""
    value = data.get("direction", "mine")
    if value not in DIRECTIONS:
        raise InvalidInput("'direction' must be \"mine\" or \"owed\"")
    return str(value)


@dataclass
class Moved:
    """The due date was renegotiated; `before_deadline` says whether it was honest notice."""

    kind = "moved"
    from_due: datetime
    to_due: datetime
    before_deadline: bool = True
    reason: str = ""

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "from": iso(self.from_due),
            "to": iso(self.to_due),
            "before_deadline": self.before_deadline,
        }
        if self.reason:
            data["reason"] = self.reason
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Moved:
        return cls(
            from_due=_time(data, "from"),
            to_due=_time(data, "to"),
            before_deadline=_flag(data, "before_deadline", True),
            reason=_text(data, "reason"),
        )


@dataclass
class Closed:
    """Kept, broken (you couldn't) or released (they let you off), at `closed_at`."""

    kind = "closed"
    status: str
    closed_at: datetime | None = None  # else the event's time
    reason: str = ""
    note: str = ""

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.closed_at is not None:
            data["closed_at"] = iso(self.closed_at)
        if self.reason:
            data["reason"] = self.reason
        if self.note:
            data["note"] = self.note
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any], status: str = "kept") -> Closed:
        return cls(
            status=status,
            closed_at=_optional_time(data, "closed_at"),
            reason=_text(data, "reason"),
            note=_text(data, "note"),
        )


@dataclass
class Reopened:
    kind = "reopened"
    previous: str = ""

    def to_data(self) -> dict[str, Any]:
        return {"previous": self.previous} if self.previous else {}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Reopened:
        return cls(previous=_word(data, "previous"))


# What an `edited` event may change.
EDITABLE = ("what", "to", "note", "tags", "effort", "includes", "excludes", "source")


@dataclass
class Edited:
    """Fields changed by `pk edit`: {field: (old, new)}; effort in seconds (or None)."""

    kind = "edited"
    changes: dict[str, tuple[Any, Any]]

    def to_data(self) -> dict[str, Any]:
        return {"changes": {name: [old, new] for name, (old, new) in self.changes.items()}}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Edited:
        changes = data.get("changes")
        if not isinstance(changes, dict) or not changes:
            raise InvalidInput("'changes' must be a non-empty object")
        checked: dict[str, tuple[Any, Any]] = {}
        for name, pair in changes.items():
            if name not in EDITABLE:
                raise InvalidInput(f"'changes' cannot change {name!r}")
            if not isinstance(pair, list | tuple) or len(pair) != 2:
                raise InvalidInput(f"'changes'.{name} must be [old, new]")
            checked[name] = (
                _edited_value(name, pair[0], "old"),
                _edited_value(name, pair[1], "new"),
            )
        return cls(changes=checked)


def _edited_value(name: str, value: Any, side: str) -> Any:
    """One side of an edit: the value the field can hold (what pk edit itself records)."""
    key = f"{name} ({side} value)"
    if name in ("what", "note", "source"):
        return _text({key: value}, key)
    if name in ("to", "tags"):
        return _names(value, key)
    if name in ("includes", "excludes"):
        return _terms(value, key)
    return _seconds(value, key)


@dataclass
class Deleted:
    kind = "deleted"

    def to_data(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Deleted:
        return cls()


@dataclass
class Noted:
    kind = "note"
    text: str

    def to_data(self) -> dict[str, Any]:
        return {"text": self.text}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Noted:
        return cls(text=_text(data, "text"))


@dataclass
class Notified:
    """The people were told: who, how, which message, and whether before the deadline."""

    kind = "notified"
    to: list[str]
    channel: str
    template: str
    subject: str
    message: str
    before_deadline: bool

    def to_data(self) -> dict[str, Any]:
        return {
            "to": list(self.to),
            "channel": self.channel,
            "template": self.template,
            "subject": self.subject,
            "message": self.message,
            "before_deadline": self.before_deadline,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Notified:
        return cls(
            to=_names(data.get("to", []), "to"),
            channel=_word(data, "channel"),
            template=_word(data, "template"),
            subject=_text(data, "subject"),
            message=_text(data, "message"),
            before_deadline=_flag(data, "before_deadline", False),
        )


@dataclass
class Snoozed:
    """ "Skip for today": not asked about again until `until`."""

    kind = "snoozed"
    until: datetime

    def to_data(self) -> dict[str, Any]:
        return {"until": iso(self.until)}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Snoozed:
        return cls(until=_time(data, "until"))


@dataclass
class Reminded:
    """What `pk remind` said: the standing it reminded of and the due time then in force, so
    it is not repeated the same day and the next reminder can say what changed. Reminders
    recorded before the due time was kept have `due` None."""

    kind = "reminded"
    standing: str
    due: datetime | None = None

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"standing": self.standing}
        if self.due is not None:
            data["due"] = iso(self.due)
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Reminded:
        return cls(standing=_word(data, "standing"), due=_optional_time(data, "due"))


@dataclass
class Nudged:
    """You reminded them of what they promised you (`pk nudge`): who, how, which message, and
    the reason you gave (what depends on it), if any."""

    kind = "nudged"
    to: list[str]
    channel: str
    subject: str
    message: str
    reason: str = ""

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "to": list(self.to),
            "channel": self.channel,
            "subject": self.subject,
            "message": self.message,
        }
        if self.reason:
            data["reason"] = self.reason
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Nudged:
        return cls(
            to=_names(data.get("to", []), "to"),
            channel=_word(data, "channel"),
            subject=_text(data, "subject"),
            message=_text(data, "message"),
            reason=_text(data, "reason"),
        )


@dataclass
class CheckpointAdded:
    """A dated milestone inside the promise (`pk checkpoint`)."""

    kind = "checkpoint"
    what: str
    by: datetime

    def to_data(self) -> dict[str, Any]:
        return {"what": self.what, "by": iso(self.by)}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> CheckpointAdded:
        if "what" not in data or "by" not in data:
            raise InvalidInput("a checkpoint event needs 'what' and 'by'")
        return cls(what=_text(data, "what"), by=_time(data, "by"))


@dataclass
class CheckpointKept:
    """Checkpoint `number` (from 1, in the order they were added) was done at `done_at`
    (else the event's time): it does not keep the promise. `checkpoint` names it without
    doubt: the uuid of the event that added it (concurrent adds on two replicas can change
    which number a checkpoint has); ticks recorded before it existed have "" and are read by
    number."""

    kind = "checkpoint_kept"
    number: int
    done_at: datetime | None = None
    note: str = ""
    checkpoint: str = ""

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"number": self.number}
        if self.done_at is not None:
            data["done_at"] = iso(self.done_at)
        if self.note:
            data["note"] = self.note
        if self.checkpoint:
            data["checkpoint"] = self.checkpoint
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> CheckpointKept:
        number = data.get("number")
        if (
            not isinstance(number, int)
            or isinstance(number, bool)
            or not 1 <= number <= MAX_CHECKPOINTS
        ):
            raise InvalidInput(f"'number' must be a checkpoint number, 1 to {MAX_CHECKPOINTS}")
        return cls(
            number=number,
            done_at=_optional_time(data, "done_at"),
            note=_text(data, "note"),
            checkpoint=_text(data, "checkpoint", limit=MAX_WORD),
        )


@dataclass
class Unreadable:
    """A stored event whose details cannot be decoded (a damaged or tampered ledger): kept so
    the history can still be shown and exported, refused by the fold."""

    kind = "unreadable"
    problem: str

    def to_data(self) -> dict[str, Any]:
        return {}


Detail = (
    Unreadable
    | Made
    | Moved
    | Closed
    | Reopened
    | Edited
    | Deleted
    | Noted
    | Notified
    | Snoozed
    | Reminded
    | Nudged
    | CheckpointAdded
    | CheckpointKept
)
CLOSING = ("kept", "broken", "released")
_DECODERS: dict[str, Any] = {
    "made": Made,
    "moved": Moved,
    "reopened": Reopened,
    "edited": Edited,
    "deleted": Deleted,
    "note": Noted,
    "notified": Notified,
    "snoozed": Snoozed,
    "reminded": Reminded,
    "nudged": Nudged,
    "checkpoint": CheckpointAdded,
    "checkpoint_kept": CheckpointKept,
}
# The kinds of event a history holds.
EVENT_KINDS = (
    "made",
    "moved",
    "note",
    *CLOSING,
    "reopened",
    "edited",
    "deleted",
    "notified",
    "snoozed",
    "reminded",
    "nudged",
    "checkpoint",
    "checkpoint_kept",
)


def decode(kind: str, data: Any) -> Detail:
    """The typed detail of a stored or imported event; InvalidInput when it cannot be one."""
    if not isinstance(data, dict):
        raise InvalidInput("event details must be an object")
    if kind in CLOSING:
        return Closed.from_data(data, kind)
    decoder = _DECODERS.get(kind)
    if decoder is None:
        raise InvalidInput(f"unknown event kind {kind!r}")
    try:
        return decoder.from_data(data)
    except (TypeError, ValueError, OverflowError) as exc:
        raise InvalidInput(f"bad {kind} event: {exc}") from None


def kind_of(detail: Detail) -> str:
    return detail.status if isinstance(detail, Closed) else detail.kind


# -------------------------------------------------------------------------------------------------
# The envelope
# -------------------------------------------------------------------------------------------------
@dataclass
class Event:
    """One thing that happened to a promise: its kind, when, its details (as recorded, and
    typed in `detail`), and its identity (uuid, replica, hybrid-logical clock)."""

    kind: str
    at: datetime
    data: dict[str, Any] = field(default_factory=dict)
    promise_id: int | None = None
    change_id: int | None = None
    id: int | None = None
    uuid: str = ""
    replica: str = ""
    clock: int = 0
    detail: Detail | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.detail is None:
            self.detail = decode(self.kind, self.data)

    @classmethod
    def of(cls, detail: Detail, at: datetime, **envelope: Any) -> Event:
        """A new event from its typed detail; the JSON details are written from it."""
        return cls(kind=kind_of(detail), at=at, data=detail.to_data(), detail=detail, **envelope)

    @property
    def order(self) -> tuple[int, str, str]:
        """Where the event stands in its history: by clock, then replica, then uuid."""
        return (self.clock, self.replica, self.uuid)


# -------------------------------------------------------------------------------------------------
# The hybrid logical clock
# -------------------------------------------------------------------------------------------------
LOGICAL_BITS = 16  # a stamp is milliseconds << 16 | a counter for events in the same millisecond
# The wall part's last millisecond (in the year 4199): stamps stay far inside SQLite's 64-bit
# integers, however many events follow; an event dated later is stamped as of then.
MAX_MILLIS = 2**46


def tick(now: datetime, last: int) -> int:
    """The next clock stamp after `last` at wall time `now`: the wall time when it is ahead,
    else one more than `last`, so stamps only grow on one replica, whatever the wall clock
    does, and stay close to real time."""
    wall = min(int(now.timestamp() * 1000), MAX_MILLIS) << LOGICAL_BITS
    return max(wall, last + 1)


def new_uuid() -> str:
    """A new random identity (a version 4 uuid, as text: what str(uuid.uuid4()) gives), for a
    promise or an event. Made here from os.urandom, as uuid4 makes it: the uuid module loads
    `platform` on import, which every `pk promise` and `pk remind` would pay for."""
    import os

    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # the RFC 4122 variant
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def clock_text(stamp: int) -> str:
    """A stamp as JSON shows it: '<milliseconds>.<counter>', zero-padded so text order is
    clock order."""
    return f"{stamp >> LOGICAL_BITS:014d}.{stamp & ((1 << LOGICAL_BITS) - 1):05d}"


def clock_from_text(text: Any) -> int:
    if not isinstance(text, str):
        raise InvalidInput("'clock' must be a string like '01795395600000.00000'")
    millis, dot, counter = text.partition(".")
    digits = text.isascii() and millis.isdigit() and (not dot or counter.isdigit())
    if not digits or len(millis) > 15:
        raise InvalidInput(f"'clock' is not a clock stamp: {text[:40]!r}")
    count = int(counter or 0)
    if count >= 1 << LOGICAL_BITS or len(counter) > 5 or int(millis) > MAX_MILLIS:
        raise InvalidInput(f"'clock' is out of range: {text[:40]!r}")
    return int(millis) << LOGICAL_BITS | count
