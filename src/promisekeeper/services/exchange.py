"""The JSON contract: promise and event objects for --json, and export/import of whole ledgers.

Every listing command prints the same promise objects, so scripts can rely on one shape. An
export is those objects with their histories; an import replays the histories, so an imported
promise is exactly the promise that was exported.
"""

from __future__ import annotations

import json
import uuid as uuidlib
from datetime import UTC, datetime
from typing import Any

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
from promisekeeper.model.promise import STATUSES, Promise
from promisekeeper.model.times import YEARS, in_range, iso
from promisekeeper.rules.fields import (
    check_effort_seconds,
    clean_people,
    clean_tags,
    clean_text,
)
from promisekeeper.services.ledger import Ledger

FORMAT_NAME = "promisekeeper"
FORMAT_VERSION = 1


def promise_json(promise: Promise, standing: str) -> dict[str, Any]:
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
        "tags": list(promise.tags),
        "note": promise.note,
    }


def event_json(event: Event) -> dict[str, Any]:
    """An event as `pk show --json` and `pk export` give it: what, when, and its identity."""
    return {
        "at": iso(event.at),
        "kind": event.kind,
        "details": dict(event.data),
        "uuid": event.uuid,
        "replica": event.replica,
        "clock": clock_text(event.clock),
    }


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)


# -------------------------------------------------------------------------------------------------
# Export
# -------------------------------------------------------------------------------------------------
def export(ledger: Ledger) -> dict[str, Any]:
    """Every promise (deleted ones included, so nothing is lost) with its full history."""
    promises = []
    for promise in ledger.list(status="all", include_deleted=True):
        assert promise.id is not None
        item = promise_json(promise, ledger.standing(promise))
        item["deleted_at"] = iso(promise.deleted_at) if promise.deleted_at else None
        item["history"] = [event_json(e) for e in ledger.raw_history(promise.id)]
        promises.append(item)
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "exported_at": iso(ledger.now),
        "promises": promises,
    }


# -------------------------------------------------------------------------------------------------
# Import
# -------------------------------------------------------------------------------------------------
class ImportError_(PkError):
    """A record that cannot be imported; nothing of the file is."""


def parse_document(text: str) -> list[Any]:
    """The records of an export document, or of a plain JSON list of promise objects."""
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
        records = document["promises"]
    else:
        records = document
    if not isinstance(records, list):
        raise ImportError_('"promises" must be a list')
    return records


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
    events = []
    for position, item in enumerate(history):
        if not isinstance(item, dict):
            raise InvalidInput(f"history[{position}] must be an object")
        kind = item.get("kind")
        if kind not in EVENT_KINDS:
            raise InvalidInput(f"history[{position}] has unknown kind {kind!r}")
        details = item.get("details", {})
        if not isinstance(details, dict):
            raise InvalidInput(f"history[{position}].details must be an object")
        if (kind == "made") != (position == 0):
            raise InvalidInput("history must start with a 'made' event, and have only one")
        details = dict(details)
        if kind == "made":
            details.setdefault("uuid", record.get("uuid") or str(uuidlib.uuid4()))
            _check_made(details)
        elif kind == "edited":
            details = {"changes": _check_changes(details.get("changes"), position)}
        at = _when(item.get("at"), "at")
        try:
            detail = decode(kind, details)
        except InvalidInput as exc:
            raise InvalidInput(f"history[{position}]: {exc}") from None
        events.append(Event.of(detail, at, **_identity(item, position)))
    return events


def _identity(item: dict[str, Any], position: int) -> dict[str, Any]:
    """An exported event's uuid, replica and clock, kept so that the same event is the same
    everywhere; an event without them (an older export) gets this ledger's when stored."""
    found: dict[str, Any] = {}
    for key in ("uuid", "replica"):
        value = item.get(key)
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip() or len(value) > 100:
            raise InvalidInput(f"history[{position}].{key} must be a short non-empty string")
        found[key] = value
    if item.get("clock") is not None:
        try:
            found["clock"] = clock_from_text(item["clock"])
        except InvalidInput as exc:
            raise InvalidInput(f"history[{position}]: {exc}") from None
    return found


def _events_from_plain(record: dict[str, Any], now: datetime) -> list[Event]:
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
    made = {
        "uuid": record.get("uuid") or str(uuidlib.uuid4()),
        "what": record["what"],
        "to": to,
        "due": iso(_when(record["due"], "due")),
        "made": iso(made_at),
        "note": record.get("note") or "",
        "tags": tags,
    }
    _check_made(made)
    events = [Event(kind="made", at=made_at, data=made)]
    # (Event decodes its details: a made record that is not one is refused here.)
    status = record.get("status") or "open"
    if status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    if status != "open":
        closed = record.get("kept_at") or record.get("closed_at")
        if not closed:
            raise InvalidInput(f"status {status!r} needs 'kept_at' (or 'closed_at')")
        closed_at = _when(closed, "kept_at")
        events.append(Event(kind=status, at=closed_at, data={"closed_at": iso(closed_at)}))
    return events


def _check_made(made: dict[str, Any]) -> None:
    for key in ("what", "to", "due"):
        if key not in made:
            raise InvalidInput(f"missing {key!r}")
    made["what"] = _check_field("what", made["what"])
    made["to"] = _check_field("to", made["to"])
    made["tags"] = _check_field("tags", made.get("tags") or [])
    made["note"] = _check_field("note", made.get("note", ""))
    if made.get("effort") is not None:
        made["effort"] = _check_field("effort", made["effort"])
    if not isinstance(made.get("uuid"), str) or not made["uuid"].strip():
        raise InvalidInput("'uuid' must be a non-empty string")
    for key in ("due", "made"):
        if made.get(key) is not None:
            made[key] = iso(_when(made[key], key))


def _check_field(name: str, value: Any) -> Any:
    """A promise field as `pk` itself would store it; wrong types are refused, never coerced
    (str() of a number, or a string taken for a list of one-letter names or tags)."""
    if name == "effort":  # seconds, or null for none
        if value is None:
            return None
        return check_effort_seconds(value, "'effort' (whole seconds)")
    if name in ("what", "note"):
        if not isinstance(value, str):
            raise InvalidInput(f"{name!r} must be a string")
        return clean_text(value, name, allow_empty=name == "note")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        kind = "names" if name == "to" else "strings"
        raise InvalidInput(f"{name!r} must be a list of {kind}")
    return clean_people(value) if name == "to" else clean_tags(value)


def _check_changes(changes: Any, position: int) -> dict[str, list[Any]]:
    """The `changes` of an edited event: {field: [old, new]} for the fields pk edit changes."""
    where = f"history[{position}].details.changes"
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


def import_records(ledger: Ledger, records: list[Any]) -> tuple[int, int]:
    """Import all records in one change, or none. Returns (imported, skipped as duplicates)."""
    prepared: list[tuple[str, list[Event]]] = []
    for index, record in enumerate(records):
        try:
            events = build_events(record, ledger.now)
            promise = fold(events)
        except PkError as exc:
            raise ImportError_(f"record {index}: {exc}; nothing imported") from None
        except (KeyError, TypeError, ValueError, OverflowError, AttributeError) as exc:
            raise ImportError_(f"record {index}: invalid ({exc}); nothing imported") from None
        assert promise is not None
        prepared.append((promise.uuid, events))
    return ledger.add_histories("import", [events for _uuid, events in prepared])
