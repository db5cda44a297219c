"""The JSON contract: promise and event objects for --json, and export/import of whole ledgers.

Every listing command prints the same promise objects, so scripts can rely on one shape. An
export is those objects with their histories; an import replays the histories, so an imported
promise is exactly the promise that was exported.

An export document (format "promisekeeper", version 1) is an object:

    {"format": "promisekeeper", "version": 1, "exported_at": TIME,
     "promises": [PROMISE with "deleted_at" and "history", ...],
     "people": [{"name", "email", "handle", "channel", "note"}, ...]}

"people" (added in issue 11; still version 1, since readers ignore keys they do not know)
holds everyone the ledger knows, with their contact details as stored (null when not set), so
that an export is a whole backup. On import:

- a document without "people" (an older export) or a plain JSON list of promises imports its
  promises alone, as before;
- people are matched by name, ignoring case (model.promise.name_key). Someone new is added
  with the details given, their name as spelled in the export. For someone the ledger knows,
  each detail is merged by `merge_person`: an empty incoming value (null, missing or blank)
  never erases a known one; a known empty value takes the incoming one; when both are set and
  differ, the ledger's own value wins and the import says so in its summary;
- people are merged in the same change as the promises: all or nothing. `pk undo` of an
  import takes its promises back; the details it merged into people stay.

A plain record (no "history") needs "what", "to" and "due"; "made" defaults to the time of
import and "status" to open. A kept record needs "kept_at" (or "closed_at"); a broken or
released record without them is closed at its due time, or at the time of import when that
is earlier (never before it was made).
"""

from __future__ import annotations

import json
import re
import uuid as uuidlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, TextIO

from promisekeeper.model.errors import InvalidInput, PkError
from promisekeeper.model.events import (
    EDITABLE,
    EVENT_KINDS,
    Event,
    clock_from_text,
    clock_text,
    decode,
    tick,
)
from promisekeeper.model.history import fold
from promisekeeper.model.promise import MAX_TEXT, STATUSES, Person, Promise, name_key
from promisekeeper.model.settings import CHANNELS
from promisekeeper.model.times import YEARS, in_range, iso
from promisekeeper.rules.fields import (
    check_effort_seconds,
    clean_people,
    clean_tags,
    clean_terms,
    clean_text,
)
from promisekeeper.services.ledger import Ledger

FORMAT_NAME = "promisekeeper"
FORMAT_VERSION = 1


def promise_json(promise: Promise, standing: str, now: datetime | None = None) -> dict[str, Any]:
    """A promise as scripts see it; times in ISO 8601 with an explicit UTC offset."""
    return {
        "id": promise.id,
        "uuid": promise.uuid,
        "what": promise.what,
        "to": list(promise.to),
        "due": iso(promise.due),
        "original_due": iso(promise.original_due),
        "made": iso(promise.made),
        "status": promise.status,
        "standing": standing,
        "kept_at": iso(promise.kept_at) if promise.kept_at else None,
        "closed_at": iso(promise.closed_at) if promise.closed_at else None,
        "effort_hours": None
        if promise.effort is None
        else round(promise.effort.total_seconds() / 3600, 2),
        "moves": promise.moves,
        "late_moves": promise.late_moves,
        "includes": list(promise.includes),
        "excludes": list(promise.excludes),
        "source": promise.source,
        "checkpoints": checkpoints_json(promise, now or datetime.now(UTC)),
        "tags": list(promise.tags),
        "direction": promise.direction,  # "mine", or "owed": someone promised it to you
        "note": promise.note,
        "series": promise.series,
    }


def checkpoints_json(promise: Promise, now: datetime) -> list[dict[str, Any]]:
    """A promise's checkpoints as scripts see them: numbered as `pk show` lists them, with
    their standing at `now` (rules.checkpoints)."""
    from promisekeeper.rules.checkpoints import checkpoint_standing

    return [
        {
            "number": number,
            "what": c.what,
            "by": iso(c.by),
            "done_at": iso(c.done_at) if c.done_at else None,
            "standing": checkpoint_standing(c, now),
        }
        for number, c in enumerate(promise.checkpoints, start=1)
    ]


def event_json(event: Event) -> dict[str, Any]:
    """An event as `pk show --json` and `pk export` give it: what, when, and its identity."""
    data = dict(event.data)
    return _event_object(event.at, event.kind, data, event.uuid, event.replica, event.clock)


def _event_object(
    at: datetime,
    kind: str,
    data: dict[str, Any],
    uuid: str | None,
    replica: str | None,
    clock: int,
) -> dict[str, Any]:
    return {
        "at": iso(at),
        "kind": kind,
        "details": data,
        "uuid": uuid,
        "replica": replica,
        "clock": clock_text(clock),
    }


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)


# -------------------------------------------------------------------------------------------------
# Export
# -------------------------------------------------------------------------------------------------
def export(ledger: Ledger) -> Iterator[str]:
    """The export document as JSON text, a piece at a time: every promise (deleted ones
    included, so nothing is lost) with its full history, then everyone's details.

    Written as it is read, so memory does not grow with the ledger: the document's own keys
    one a line, then one promise a line, then one person a line (each by the C JSON encoder);
    the same JSON value, key for key, as one json.dumps of the whole document. Pieces are
    about CHUNK characters; a ledger that cannot be opened fails before the first one."""
    encode = json.JSONEncoder(ensure_ascii=False).encode
    parts = [
        "{\n",
        f'  "format": {encode(FORMAT_NAME)},\n',
        f'  "version": {encode(FORMAT_VERSION)},\n',
        f'  "exported_at": {encode(iso(ledger.now))},\n',
        '  "promises": [',
    ]
    size = 0
    separator = "\n    "
    for promise, history in ledger.export_histories():
        item = promise_json(promise, ledger.standing(promise), ledger.now)
        item["deleted_at"] = iso(promise.deleted_at) if promise.deleted_at else None
        item["history"] = [_event_object(*event) for event in history]
        line = encode(item)
        parts += (separator, line)
        separator = ",\n    "
        size += len(line)
        if size >= CHUNK:
            yield "".join(parts)
            parts, size = [], 0
    parts.append("\n  ],\n" if separator != "\n    " else "],\n")
    parts.append('  "people": [')
    separator = "\n    "
    for person in ledger.all_people():
        parts += (separator, encode(person_json(person)))
        separator = ",\n    "
    parts.append("\n  ],\n" if separator != "\n    " else "],\n")
    # Recurring promises (issue 14): each series once; its occurrences are promises above.
    from promisekeeper.services.series import series_json

    parts.append('  "series": [')
    separator = "\n    "
    for one in ledger.export_series():
        parts += (separator, encode(series_json(one)))
        separator = ",\n    "
    parts.append("\n  ]\n}\n" if separator != "\n    " else "]\n}\n")
    yield "".join(parts)


CHUNK = 1 << 16


PERSON_DETAILS = ("email", "handle", "channel", "note")


def person_json(person: Person) -> dict[str, Any]:
    """A person as `pk people --json`, `pk person --json` and `pk export` give them."""
    return {"name": person.name, **{key: getattr(person, key) for key in PERSON_DETAILS}}


# -------------------------------------------------------------------------------------------------
# Import
# -------------------------------------------------------------------------------------------------
class ImportError_(PkError):
    """A record that cannot be imported; nothing of the file is."""


@dataclass
class Document:
    """What an import file holds: promise records, and people (none in older exports). The
    records are a list, or (read by `stream_document`) an iterable that reads them from the
    file one at a time."""

    records: Iterable[Any]
    people: list[Person] = field(default_factory=list)
    series: list[Any] = field(default_factory=list)  # model.series.Series


def parse_document(text: str) -> Document:
    """The records (and people) of an export document, or of a plain JSON list of promises."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportError_(
            f"not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}; nothing imported"
        ) from None
    except (ValueError, RecursionError) as exc:
        raise ImportError_(f"not valid JSON: {exc}; nothing imported") from None
    if isinstance(document, dict):
        if "promises" not in document:
            raise ImportError_('expected a list of promises or an object with "promises"')
        _check_version(document)
        records = document["promises"]
        people = _people(document.get("people"))
        series = _series(document.get("series"))
    else:
        records, people, series = document, [], []
    if not isinstance(records, list):
        raise ImportError_('"promises" must be a list')
    return Document(records, people, series)


def _series(items: Any) -> list[Any]:
    """The "series" of an export (none in older ones), each checked; a series named twice
    is refused."""
    if items is None:
        return []
    if not isinstance(items, list):
        raise ImportError_('"series" must be a list; nothing imported')
    from promisekeeper.services.series import series_from_json

    found: list[Any] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        try:
            one = series_from_json(item)
        except PkError as exc:
            raise ImportError_(f"series[{index}]: {exc}; nothing imported") from None
        if one.uuid in seen:
            raise ImportError_(f"series[{index}]: {one.uuid!r} is there twice; nothing imported")
        seen.add(one.uuid)
        found.append(one)
    return found


def _check_version(document: dict[str, Any]) -> None:
    version = document.get("version")
    if (
        document.get("format") == FORMAT_NAME
        and isinstance(version, int)
        and version > FORMAT_VERSION
    ):
        raise ImportError_(
            f"this export was written by a newer PromiseKeeper (format version {version}, "
            f"this pk reads {FORMAT_VERSION}); upgrade pk to import it"
        )


# -------------------------------------------------------------------------------------------------
# Reading an import a record at a time
# -------------------------------------------------------------------------------------------------
class _Whole(Exception):
    """The input is not one `stream_document` reads (or not valid JSON): read it whole, as
    `parse_document` does, which says what is wrong in its own words."""


_READ = 1 << 16
_SPACE = re.compile(r"[ \t\n\r]*")


class _Values:
    """JSON text read from a stream a value at a time (the C decoder's raw_decode over a
    buffer), so that a document of any size is never held whole."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.buffer = ""
        self.pos = 0
        self.eof = False
        self.decode = json.JSONDecoder().raw_decode

    def _more(self, size: int = _READ) -> bool:
        chunk = self.stream.read(size)
        if not chunk:
            self.eof = True
            return False
        self.buffer = self.buffer[self.pos :] + chunk
        self.pos = 0
        return True

    def peek(self) -> str:
        """The next character that is not white space ("" at the end)."""
        if self.pos < len(self.buffer) and self.buffer[self.pos] not in " \t\n\r":
            return self.buffer[self.pos]
        while True:
            match = _SPACE.match(self.buffer, self.pos)
            self.pos = match.end() if match else self.pos
            if self.pos < len(self.buffer):
                return self.buffer[self.pos]
            if not self._more():
                return ""

    def take(self, char: str) -> bool:
        if self.peek() == char:
            self.pos += 1
            return True
        return False

    def value(self) -> Any:
        self.peek()
        size = _READ
        while True:
            try:
                value, end = self.decode(self.buffer, self.pos)
            except (ValueError, RecursionError):
                # Perhaps only cut off where the buffer ends: read on (more each time).
                if self.eof or not self._more(size):
                    raise _Whole from None
                size *= 2
                continue
            if end == len(self.buffer) and not self.eof and self._more(size):
                continue  # a number may go on in the text not read yet
            self.pos = end
            return value


@dataclass
class _Shape:
    """What a first reading found: the document's own keys (with "people"), or a plain list,
    and how many records it holds."""

    keys: dict[str, Any] | None = None
    count: int = 0


def _walk(stream: TextIO, shape: _Shape) -> Iterator[Any]:
    """The records of an export document or a plain list, one at a time; the document's other
    keys are kept in `shape`. _Whole for anything else, or for JSON that is not valid."""
    values = _Values(stream)
    if values.take("["):
        yield from _array(values)
    elif values.take("{"):
        shape.keys = {}
        records = False
        if not values.take("}"):
            while True:
                key = values.value()
                if not isinstance(key, str) or key in shape.keys or not values.take(":"):
                    raise _Whole  # (json.loads keeps the last of two same keys: rare)
                if key == "promises" and values.take("["):
                    shape.keys[key] = records = True
                    yield from _array(values)
                else:
                    shape.keys[key] = values.value()
                if values.take("}"):
                    break
                if not values.take(","):
                    raise _Whole
        if not records:
            raise _Whole
    else:
        raise _Whole
    if values.peek() != "":
        raise _Whole


def _array(values: _Values) -> Iterator[Any]:
    if values.take("]"):
        return
    while True:
        yield values.value()
        if values.take("]"):
            return
        if not values.take(","):
            raise _Whole


def stream_document(open_text: Callable[[], Any]) -> Document | None:
    """The document in the text `open_text` gives (each call from the start), read twice a
    record at a time: once now, to check it whole (valid JSON, its version, its people) as
    `parse_document` would, and again while importing, so memory does not grow with its size.
    None when it is not an export document or a plain list, or is not valid JSON: then read it
    whole with `parse_document`, which says what is wrong. OSError and UnicodeDecodeError
    when the text cannot be read."""
    shape = _Shape()
    try:
        with open_text() as stream:
            for _record in _walk(stream, shape):
                shape.count += 1
    except _Whole:
        return None
    people: list[Person] = []
    series: list[Any] = []
    if shape.keys is not None:
        _check_version(shape.keys)
        people = _people(shape.keys.get("people"))
        series = _series(shape.keys.get("series"))
    return Document(_again(open_text, shape.count), people, series)


def _again(open_text: Callable[[], Any], count: int) -> Iterator[Any]:
    """The records read a second time; refused if the text changed in between."""
    seen = 0
    try:
        with open_text() as stream:
            for record in _walk(stream, _Shape()):
                seen += 1
                yield record
    except (_Whole, OSError, UnicodeDecodeError):
        seen = -1
    if seen != count:
        raise ImportError_("the file changed while it was being imported; nothing imported")


def _people(items: Any) -> list[Person]:
    """The "people" of an export, checked as `pk person` would check them; blank details are
    None (no value). A person named twice (ignoring case) is refused: which would win?"""
    if items is None:
        return []
    if not isinstance(items, list):
        raise ImportError_('"people" must be a list; nothing imported')
    people: list[Person] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        try:
            person = _person(item)
        except PkError as exc:
            raise ImportError_(f"people[{index}]: {exc}; nothing imported") from None
        if name_key(person.name) in seen:
            raise ImportError_(f"people[{index}]: {person.name!r} is named twice; nothing imported")
        seen.add(name_key(person.name))
        people.append(person)
    return people


def _person(item: Any) -> Person:
    if not isinstance(item, dict):
        raise InvalidInput(f"expected an object, got {type(item).__name__}")
    name = item.get("name")
    if not isinstance(name, str):
        raise InvalidInput("'name' must be a string")
    names = clean_people([name])
    if len(names) != 1 or names[0] != name.strip():
        raise InvalidInput(f"'name' must be one name, not {name[:40]!r}")
    details: dict[str, str | None] = {}
    for key in PERSON_DETAILS:
        value = item.get(key)
        if value is not None and not isinstance(value, str):
            raise InvalidInput(f"{key!r} must be a string or null")
        if value is not None and len(value) > MAX_TEXT:
            raise InvalidInput(f"{key!r} is too long (at most {MAX_TEXT:,} characters)")
        details[key] = value if value and value.strip() else None
    if details["channel"] is not None and details["channel"] not in CHANNELS:
        raise InvalidInput(f"'channel' must be one of {', '.join(CHANNELS)}")
    return Person(name=names[0], **details)


@dataclass
class Kept:
    """A detail the ledger kept although the import held another value for it."""

    name: str
    detail: str
    ours: str
    theirs: str


def merge_person(known: Person, incoming: Person) -> tuple[Person, list[Kept]]:
    """`known` with `incoming`'s details merged in: an empty incoming value never erases a
    known one, a known empty value takes the incoming one, and where both are set and differ
    the ledger's own value wins (and is reported). The name stays as the ledger spells it."""
    merged = replace(known)
    kept: list[Kept] = []
    for key in PERSON_DETAILS:
        ours, theirs = getattr(known, key), getattr(incoming, key)
        if not theirs:
            continue
        if not ours:
            setattr(merged, key, theirs)
        elif ours != theirs:
            kept.append(Kept(known.name, key, ours, theirs))
    return merged, kept


def build_events(record: Any, now: datetime) -> list[Event]:
    """The history that recreates `record`: its own history when exported by pk, else made
    (+ closed) events built from the plain fields."""
    if not isinstance(record, dict):
        raise InvalidInput(f"expected an object, got {type(record).__name__}")
    history = record.get("history")
    if history:
        events = _events_from_history(history, record)
    else:
        events = _events_from_plain(record, now)
    # An event without a clock (an older export, a plain record) comes right after the one
    # before it, so the history keeps the order it was written in.
    previous = 0
    for event in events:
        event.clock = event.clock or tick(event.at, previous)
        previous = event.clock
    return events


def _events_from_history(history: Any, record: dict[str, Any]) -> list[Event]:
    if not isinstance(history, list):
        raise InvalidInput("history must be a list")
    events: list[Event] = []
    for position, item in enumerate(history):
        if isinstance(item, dict) and position == 0 and item.get("kind") != "made":
            raise InvalidInput("history must start with a 'made' event")
        event = event_from_json(item, position, record.get("uuid"))
        # A second making of the same promise is history only (a series occurrence made on
        # two synced machines has one uuid); one of another promise is refused.
        if position and event.kind == "made" and event.data["uuid"] != events[0].data["uuid"]:
            raise InvalidInput("history must start with a 'made' event, and make one promise")
        events.append(event)
    return events


def event_from_json(
    item: Any, position: int, promise_uuid: Any = None, *, label: str | None = None
) -> Event:
    """One exported event, checked as an import checks it (the typed event model is the one
    judge of what a detail may hold), with its identity when it has one; a made event
    without a uuid gets `promise_uuid` (else a new one). InvalidInput names what is wrong,
    as history[position] (or `label`)."""
    where = label or f"history[{position}]"
    if not isinstance(item, dict):
        raise InvalidInput(f"{where} must be an object")
    kind = item.get("kind")
    if kind not in EVENT_KINDS:
        raise InvalidInput(f"{where} has unknown kind {kind!r}")
    details = item.get("details", {})
    if not isinstance(details, dict):
        raise InvalidInput(f"{where}.details must be an object")
    details = dict(details)
    try:
        if kind == "made":
            details.setdefault("uuid", promise_uuid or str(uuidlib.uuid4()))
            _check_made(details)
        elif kind == "edited":
            details = {"changes": _check_changes(details.get("changes"), position, where)}
        at = _when(item.get("at"), "at")
        detail = decode(kind, details)
    except InvalidInput as exc:
        raise InvalidInput(f"{label or f'event {position}'} ({kind}): {exc}") from None
    return Event.of(detail, at, **_identity(item, position, where))


def _identity(item: dict[str, Any], position: int, where: str = "") -> dict[str, Any]:
    """An exported event's uuid, replica and clock, kept so that the same event is the same
    everywhere; an event without them (an older export) gets this ledger's when stored."""
    where = where or f"history[{position}]"
    found: dict[str, Any] = {}
    for key in ("uuid", "replica"):
        value = item.get(key)
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip() or len(value) > 100:
            raise InvalidInput(f"{where}.{key} must be a short non-empty string")
        found[key] = value
    if item.get("clock") is not None:
        try:
            found["clock"] = clock_from_text(item["clock"])
        except InvalidInput as exc:
            raise InvalidInput(f"{where}: {exc}") from None
    return found


def _events_from_plain(record: dict[str, Any], now: datetime) -> list[Event]:
    """A plain record's history: made, then closed when its status says so (a broken or
    released one without a close time at its due time, or now when that is earlier)."""
    for key in ("what", "to", "due"):
        if key not in record:
            raise InvalidInput(f"missing {key!r}")
    to = record["to"]
    to = [to] if isinstance(to, str) else to
    if not isinstance(to, list) or not all(isinstance(n, str) for n in to):
        raise InvalidInput("'to' must be a name or a list of names")
    made_at = _when(record["made"], "made") if record.get("made") else now
    tags = record.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise InvalidInput("'tags' must be a list of strings")
    due = _when(record["due"], "due")
    made = {
        "uuid": record.get("uuid") or str(uuidlib.uuid4()),
        "what": record["what"],
        "to": to,
        "due": iso(due),
        "made": iso(made_at),
        "note": record.get("note") or "",
        "tags": tags,
    }
    if record.get("direction") is not None:
        made["direction"] = record["direction"]  # the made event says whether it can be one
    for key in ("includes", "excludes", "source"):
        if record.get(key):
            made[key] = record[key]
    _check_made(made, times_read=True)
    events = [Event(kind="made", at=made_at, data=made)]
    # (Event decodes its details: a made record that is not one is refused here.)
    status = record.get("status") or "open"
    if status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    if status != "open":
        closed = record.get("kept_at") or record.get("closed_at")
        if closed:
            closed_at = _when(closed, "kept_at" if record.get("kept_at") else "closed_at")
        elif status == "kept":
            raise InvalidInput("status 'kept' needs 'kept_at' (or 'closed_at'): when was it kept?")
        else:
            closed_at = max(min(due, now), made_at)
        events.append(Event(kind=status, at=closed_at, data={"closed_at": iso(closed_at)}))
    return events


def _check_made(made: dict[str, Any], *, times_read: bool = False) -> None:
    """A made event's details as pk would store them; `times_read`: its due and made are
    already times as iso() writes them, read by _when (a plain record's)."""
    for key in ("what", "to", "due"):
        if key not in made:
            raise InvalidInput(f"missing {key!r}")
    made["what"] = _check_field("what", made["what"])
    made["to"] = _check_field("to", made["to"])
    made["tags"] = _check_field("tags", made.get("tags") or [])
    made["note"] = _check_field("note", made.get("note", ""))
    if made.get("effort") is not None:
        made["effort"] = _check_field("effort", made["effort"])
    for key in ("includes", "excludes", "source"):
        if key in made:
            made[key] = _check_field(key, made[key])
    if not isinstance(made.get("uuid"), str) or not made["uuid"].strip():
        raise InvalidInput("'uuid' must be a non-empty string")
    for key in () if times_read else ("due", "made"):
        if made.get(key) is not None:
            made[key] = iso(_when(made[key], key))


def _check_field(name: str, value: Any) -> Any:
    """A promise field as `pk` itself would store it; wrong types are refused, never coerced
    (str() of a number, or a string taken for a list of one-letter names or tags)."""
    if name == "effort":  # seconds, or null for none
        if value is None:
            return None
        return check_effort_seconds(value, "'effort' (whole seconds)")
    if name in ("what", "note", "source"):
        if not isinstance(value, str):
            raise InvalidInput(f"{name!r} must be a string")
        return clean_text(value, name, allow_empty=name != "what")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        kind = "names" if name == "to" else "strings"
        raise InvalidInput(f"{name!r} must be a list of {kind}")
    if name in ("includes", "excludes"):
        return clean_terms(value, repr(name))
    return clean_people(value) if name == "to" else clean_tags(value)


def _check_changes(changes: Any, position: int, at: str = "") -> dict[str, list[Any]]:
    """The `changes` of an edited event: {field: [old, new]} for the fields pk edit changes."""
    where = f"{at or f'history[{position}]'}.details.changes"
    if not isinstance(changes, dict) or not changes:
        raise InvalidInput(f"{where} must be a non-empty object")
    checked: dict[str, list[Any]] = {}
    for name, pair in changes.items():
        if name not in EDITABLE:
            raise InvalidInput(f"{where} cannot change {name!r}")
        if not isinstance(pair, list) or len(pair) != 2:
            raise InvalidInput(f"{where}.{name} must be [old, new]")
        checked[name] = [pair[0], _check_field(name, pair[1])]
    return checked


def _when(value: Any, name: str) -> datetime:
    if not isinstance(value, str):
        raise InvalidInput(f"{name!r} must be an ISO 8601 time string")
    from promisekeeper.model.times import from_iso

    try:
        parsed = from_iso(value)
    except (PkError, ValueError, OverflowError):
        raise InvalidInput(f"{name!r} is not an ISO 8601 time: {value[:40]!r}") from None
    if not in_range(parsed):
        raise InvalidInput(f"{name!r} is out of range ({YEARS}): {value[:40]!r}")
    return parsed.astimezone(UTC)


@dataclass
class Imported:
    """What an import did: promises added and skipped, people added and given details, and
    the details where the ledger kept its own value."""

    promises: int = 0
    skipped: int = 0
    people_added: list[str] = field(default_factory=list)
    people_updated: list[str] = field(default_factory=list)
    kept: list[Kept] = field(default_factory=list)
    # Records without a uuid found in the ledger already: (record index, promise id).
    present: list[tuple[int, int]] = field(default_factory=list)


def import_document(ledger: Ledger, document: Document) -> Imported:
    """Import a document's promises and people in one change, or nothing."""
    result = Imported()

    def merge(known: Person | None, incoming: Person) -> Person | None:
        if known is None:
            if not any(getattr(incoming, key) for key in PERSON_DETAILS):
                return None  # a name alone: its promises bring it in
            result.people_added.append(incoming.name)
            return incoming
        merged, kept = merge_person(known, incoming)
        result.kept.extend(kept)
        if merged == known:
            return None
        result.people_updated.append(known.name)
        return merged

    result.promises, result.skipped = import_records(
        ledger,
        document.records,
        people=document.people,
        merge=merge,
        present=result.present,
        series=document.series,
    )
    return result


def import_records(
    ledger: Ledger,
    records: Iterable[Any],
    *,
    people: list[Person] | None = None,
    merge: Callable[[Person | None, Person], Person | None] | None = None,
    present: list[tuple[int, int]] | None = None,
    series: list[Any] | None = None,
) -> tuple[int, int]:
    """Import all records in one change, or none. Returns (imported, skipped as duplicates).
    A plain record without a uuid is a duplicate of a promise with the same what, people and
    due (and made, when it gives one); those found are added to `present`. Records are read,
    checked and stored a batch at a time (a list's are let go of, None in `records`, once
    their histories are built), so the import holds a batch, not the whole file."""
    from promisekeeper.services.ledger import Incoming

    def prepared() -> Iterator[Incoming]:
        for index, record in enumerate(records):
            by_content = None
            if isinstance(record, dict) and not record.get("history") and not record.get("uuid"):
                by_content = bool(record.get("made"))
            try:
                events = build_events(record, ledger.now)
                promise = fold(events)
            except PkError as exc:
                raise ImportError_(f"record {index}: {exc}; nothing imported") from None
            except (KeyError, TypeError, ValueError, OverflowError, AttributeError) as exc:
                raise ImportError_(f"record {index}: invalid ({exc}); nothing imported") from None
            assert promise is not None
            if isinstance(records, list):
                records[index] = None
            yield Incoming(events, promise, by_content)

    from promisekeeper.store.connection import DiskFull

    try:
        return ledger.add_histories(
            "import",
            prepared(),
            people=people or [],
            merge=merge,
            present=present,
            series=series,
        )
    except DiskFull:
        raise ImportError_(
            f"no space left on the device holding ledger {ledger.path} while importing; "
            "nothing was imported"
        ) from None
