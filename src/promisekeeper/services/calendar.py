"""Promises for calendars and spreadsheets: `pk export --format ics | vdir | csv`.

Every promise that is not deleted, yours and owed to you, open and closed, becomes one RFC 5545
VTODO (the to-do component todoman, Thunderbird, Nextcloud Tasks and iOS Reminders read):

    UID            the promise's uuid (the same on every machine)
    SUMMARY        "what → alice, bob" for yours, "what ← bob" for one owed to you (as pk shows
                   them): every client's task list shows the summary, so the person is seen
    CONTACT        each person's name (plain text; ATTENDEE is not used: it makes a task an
                   invitation that CalDAV servers may e-mail to the person)
    DUE            the due date in force; CREATED when it was made
    STATUS         NEEDS-ACTION (open), COMPLETED with COMPLETED = when it was kept, or
                   CANCELLED (broken, or released by them)
    CATEGORIES     its tags
    DESCRIPTION    who promised whom ("alice promised you this."), the note and the terms
    DTSTAMP and    the last time something a calendar shows changed (made, moved, kept, broken,
    LAST-MODIFIED  released, reopened, edited): reminders and notices do not count, so an
                   export of an unchanged promise is the same bytes every time

Times are UTC (written with Z). Control characters, which RFC 5545 does not allow in text, are
left out of the text (line breaks are kept). The ICS and CSV are written a promise at a time,
read in one pass of the export's query (services.exchange), so memory does not grow with the
ledger; icalendar is imported only here, and only when one of these formats is asked for.

A vdir is a directory with one `<uuid>.ics` per promise (a VCALENDAR with one VTODO), the layout
vdirsyncer syncs with any CalDAV server. `vdir` keeps it up to date: a file is written only when
its bytes change; a deleted promise's file is removed, and so is the file of a promise that
left the ledger altogether (its making undone) when pk wrote it (the list of what pk wrote is
kept in the directory's `.promisekeeper` file). Files pk did not write are never touched.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from promisekeeper.model.errors import PkError
from promisekeeper.model.events import CLOSING
from promisekeeper.model.promise import Promise
from promisekeeper.services.ledger import Ledger
from promisekeeper.store.queries import StoredEvent

if TYPE_CHECKING:
    from promisekeeper.store.files import FileBatch

PRODID = "-//PromiseKeeper//pk//EN"  # no version: an upgrade of pk rewrites no file
CHUNK = 1 << 16  # characters gathered before a piece of ICS or CSV text is handed on
MANIFEST = ".promisekeeper"  # in a vdir: the uuids of the files pk wrote there

# The events that change what a calendar shows of a promise (see last_shown_change).
SHOWN_KINDS = frozenset({"made", "moved", *CLOSING, "reopened", "edited"})

# RFC 5545 allows no control character in text but the tab (line breaks are escaped as \n).
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class CalendarError(PkError):
    """A calendar export that cannot be written where it was asked to go."""


def last_shown_change(promise: Promise, history: Iterable[StoredEvent]) -> datetime:
    """When something a calendar shows of `promise` last changed: the time of its latest
    making, move, closing, reopening or edit (reminders, notices, notes and checkpoints do not
    count); when the history has none of them, when it was made."""
    times = [event[0] for event in history if event[1] in SHOWN_KINDS]
    return max(times, default=promise.made)


def _text(value: str) -> str:
    return _CONTROLS.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def summary(promise: Promise) -> str:
    """The task's title: what, and the person, as pk shows it ('→ alice'; owed: '← bob')."""
    arrow = "←" if promise.owed else "→"
    return f"{promise.what} {arrow} {', '.join(promise.to)}"


def description(promise: Promise) -> str:
    """Who promised whom, the note, and the terms, one paragraph each."""
    names = ", ".join(promise.to)
    parts = [f"{names} promised you this." if promise.owed else f"You promised this to {names}."]
    if promise.note:
        parts.append(promise.note)
    for label, items in (("Includes", promise.includes), ("Excludes", promise.excludes)):
        if items:
            parts.append(f"{label}:\n" + "\n".join(f"- {item}" for item in items))
    if promise.source:
        parts.append(f"Source: {promise.source}")
    return "\n\n".join(parts)


ICS_STATUS = {
    "open": "NEEDS-ACTION",
    "kept": "COMPLETED",
    "broken": "CANCELLED",
    "released": "CANCELLED",
}


def vtodo(promise: Promise, changed: datetime) -> Any:
    """The promise as an icalendar Todo (see the module's table)."""
    from icalendar import Todo

    todo = Todo()
    todo.add("uid", promise.uuid)
    todo.add("summary", _text(summary(promise)))
    for name in promise.to:
        todo.add("contact", _text(name))
    todo.add("dtstamp", changed)
    todo.add("created", promise.made)
    todo.add("last-modified", changed)
    todo.add("due", promise.due)
    todo.add("status", ICS_STATUS[promise.status])
    if promise.kept_at is not None:
        todo.add("completed", promise.kept_at)
        todo.add("percent-complete", 100)
    if promise.tags:
        todo.add("categories", [_text(tag) for tag in promise.tags])
    todo.add("description", _text(description(promise)))
    return todo


def _todo_text(promise: Promise, history: list[StoredEvent]) -> str:
    return vtodo(promise, last_shown_change(promise, history)).to_ical().decode("utf-8")


def _live(ledger: Ledger) -> Iterator[tuple[Promise, list[StoredEvent]]]:
    return (
        (promise, history)
        for promise, history in ledger.export_histories()
        if promise.deleted_at is None
    )


_HEAD = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:{PRODID}\r\nCALSCALE:GREGORIAN\r\n"
_TAIL = "END:VCALENDAR\r\n"


def ics(ledger: Ledger) -> Iterator[str]:
    """One VCALENDAR with a VTODO for every promise not deleted, as text a piece at a time."""
    parts, size = [_HEAD, "X-WR-CALNAME:Promises\r\n"], 0
    for promise, history in _live(ledger):
        text = _todo_text(promise, history)
        parts.append(text)
        size += len(text)
        if size >= CHUNK:
            yield "".join(parts)
            parts, size = [], 0
    parts.append(_TAIL)
    yield "".join(parts)


def calendar_of_one(promise: Promise, history: list[StoredEvent]) -> str:
    """A vdir item: a VCALENDAR holding the promise's VTODO alone."""
    return _HEAD + _todo_text(promise, history) + _TAIL


# -------------------------------------------------------------------------------------------------
# vdir
# -------------------------------------------------------------------------------------------------
_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@+-]{0,199}", re.ASCII)


def file_name(uuid: str) -> str:
    """The promise's file in a vdir: `<uuid>.ics`; a uuid that is not a plain file name (an
    imported one may be anything) is named by its SHA-256 instead."""
    if _PLAIN_NAME.fullmatch(uuid):
        return f"{uuid}.ics"
    return f"pk-{hashlib.sha256(uuid.encode('utf-8', 'surrogatepass')).hexdigest()[:40]}.ics"


@dataclass
class VdirDone:
    """What `vdir` did: files written (new or changed), left as they were, removed."""

    written: int = 0
    unchanged: int = 0
    removed: int = 0


def vdir(ledger: Ledger, directory: Path) -> VdirDone:
    """Bring `directory` up to date with the ledger (see the module's text); created when
    missing. CalendarError when it is not a directory or cannot be written."""
    from promisekeeper.store.files import FileBatch, WriteFailed, atomic_file, directory_writable

    if directory.exists() and not directory.is_dir():
        raise CalendarError(f"{directory} is not a directory; a vdir export writes a directory")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CalendarError(f"cannot make directory {directory}: {exc.strerror or exc}") from None
    if not directory_writable(directory):
        raise CalendarError(f"cannot write in {directory}: permission denied; nothing was written")
    done = VdirDone()
    manifest = directory / MANIFEST
    try:
        with atomic_file(manifest, private=True) as new_manifest, FileBatch() as batch:
            _update(ledger, directory, new_manifest, batch, done)
            batch.flush()  # every file in place before the list of them is
            done.removed += _remove_gone(ledger, directory, manifest)
    except WriteFailed as exc:
        raise CalendarError(
            f"cannot write {exc.dest}: {exc.reason}; other files in {directory} may be "
            "updated already, and the next export finishes the job"
        ) from None
    return done


def _update(
    ledger: Ledger, directory: Path, manifest: Path, batch: FileBatch, done: VdirDone
) -> None:
    """Write, keep or remove each promise's file; list the uuids written in `manifest`."""
    with open(manifest, "w", encoding="utf-8", newline="\n") as listed:
        listed.write("# The promises pk export --format vdir wrote here (do not edit).\n")
        for promise, history in ledger.export_histories():
            path = directory / file_name(promise.uuid)
            if promise.deleted_at is not None:
                done.removed += _remove(path)
                continue
            listed.write(json.dumps(promise.uuid) + "\n")
            data = calendar_of_one(promise, history).encode("utf-8")
            if _same(path, data):
                done.unchanged += 1
                continue
            batch.write(path, data)
            done.written += 1


def _same(path: Path, data: bytes) -> bool:
    try:
        if path.stat().st_size != len(data):
            return False
        return path.read_bytes() == data
    except OSError:
        return False


def _remove(path: Path) -> int:
    try:
        os.unlink(path)
    except FileNotFoundError:
        return 0
    except OSError as exc:
        raise CalendarError(f"cannot remove {path}: {exc.strerror or exc}") from None
    return 1


def _listed(line: str) -> str | None:
    """The uuid on one line of the manifest (a JSON string), or None (the heading, or a line
    that is not one pk writes)."""
    try:
        uuid = json.loads(line)
    except ValueError:
        return None
    return uuid if isinstance(uuid, str) and uuid else None


def _remove_gone(ledger: Ledger, directory: Path, manifest: Path) -> int:
    """Remove the files pk wrote (listed in the old manifest) for promises the ledger no
    longer holds at all, a batch of uuids at a time."""
    try:
        lines = manifest.open(encoding="utf-8")
    except FileNotFoundError:
        return 0
    except OSError as exc:
        raise CalendarError(f"cannot read {manifest}: {exc.strerror or exc}") from None
    removed = 0
    with lines:
        batch: list[str] = []
        for line in (*lines, None):
            if line is not None:
                uuid = _listed(line)
                if uuid is not None:
                    batch.append(uuid)
                if len(batch) < 500:
                    continue
            known = ledger.known_uuids(batch)
            for uuid in batch:
                if uuid not in known:
                    removed += _remove(directory / file_name(uuid))
            batch = []
    return removed


# -------------------------------------------------------------------------------------------------
# CSV
# -------------------------------------------------------------------------------------------------
CSV_FIELDS = (
    "id",
    "uuid",
    "what",
    "to",
    "direction",
    "status",
    "standing",
    "made",
    "due",
    "original_due",
    "kept_at",
    "closed_at",
    "moves",
    "late_moves",
    "effort_hours",
    "tags",
    "note",
    "includes",
    "excludes",
    "source",
    "series",
)


def csv_text(ledger: Ledger) -> Iterator[str]:
    """One header row, then one row per promise not deleted: the main fields of its JSON
    object (times ISO 8601 with their UTC offset; lists joined with '; '; empty for none), as
    RFC 4180 text (CRLF line ends, fields quoted when they need it), a piece at a time."""
    from promisekeeper.services.exchange import promise_json

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_FIELDS)
    for promise, _history in _live(ledger):
        item = promise_json(promise, ledger.standing(promise), ledger.now)
        writer.writerow([_cell(item[key]) for key in CSV_FIELDS])
        if buffer.tell() >= CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(value)
    return str(value)
