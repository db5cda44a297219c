"""Import from taskwarrior: `task export` output as pk promises.

The mapping (pure: `read_tasks`, `plan`) turns each task into an import record with its whole
history, as `pk export` writes one, and `import_tasks` stores the records through the one
import path (services.exchange.import_records: checked by the event model, all or nothing).

- description → what; entry → made; due → due (the instant taskwarrior recorded: a date
  alone there is midnight); tags → tags; project → the tag `project:NAME` (white space in it
  as `_`); annotations → notes at their entry times.
- status: pending and waiting → open; completed → kept at `end`; deleted → released at `end`
  with the reason "deleted in taskwarrior"; recurring (the template of a recurring task) →
  skipped: its occurrences are tasks of their own and are imported as such.
- the person: the task's first tag (`tag`), its project (`project`) or a user-defined
  attribute (`uda:NAME`), else the fixed `to`; with both, `to` is for tasks without that
  value. The field that names the person is not also made a tag.
- a task without a due date is skipped, or due at `default_due` when given.
- the promise's uuid (and each event's) is derived from the task's uuid, so the same task is
  the same promise on every import and on every machine: importing an export again adds
  nothing, and a task changed in taskwarrior since (completed, say) is reported as already
  present, not updated.

Every task is accounted for: imported, already present, or skipped with its reason.
"""

from __future__ import annotations

import json
import re
import uuid as uuidlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from promisekeeper.model.errors import InvalidInput, PkError
from promisekeeper.model.promise import MAX_NAME
from promisekeeper.model.times import YEARS, from_iso, in_range, iso

if TYPE_CHECKING:
    from promisekeeper.services.ledger import Ledger

# The namespace of the uuids derived from taskwarrior's (uuid5 of it and the task's uuid).
NAMESPACE = uuidlib.UUID("5b0c2a56-6f1e-4d7a-9c39-7a1d2f6c0e15")
MAX_BYTES = 64 << 20  # a bigger export: split it with a filter (task project:X export)
DELETED_REASON = "deleted in taskwarrior"
OPEN_STATUSES = ("pending", "waiting")
CLOSED_STATUSES = {"completed": "kept", "deleted": "released"}
TEMPLATE = "recurring"

# Why a task was not imported, as --json names it, and as the summary says it.
NO_DUE = "no_due"
NO_PERSON = "no_person"
RECURRING_TEMPLATE = "recurring_template"
DUPLICATE = "duplicate"
REASONS = (NO_DUE, NO_PERSON, RECURRING_TEMPLATE, DUPLICATE)

_UDA = re.compile(r"uda:([A-Za-z_][A-Za-z0-9_.-]{0,99})")


class TaskwarriorError(PkError):
    """A file that is not a taskwarrior export pk can import; nothing of it is."""


@dataclass(frozen=True)
class Mapping:
    """Where a task's person comes from (`person`: "tag", "project", "uda:NAME", or None),
    the fixed person (`to`), and the due time of tasks without one (`default_due`)."""

    person: str | None = None
    to: str | None = None
    default_due: datetime | None = None


def person_source(text: str) -> str:
    """A --person value, checked: tag, project or uda:NAME."""
    if text in ("tag", "project") or _UDA.fullmatch(text):
        return text
    raise InvalidInput(f"--person must be tag, project or uda:NAME, not {text[:40]!r}")


@dataclass
class Skipped:
    uuid: str
    description: str
    reason: str


@dataclass
class Plan:
    """What a file's tasks become: import records (with the task each came from), and the
    tasks skipped with their reasons."""

    tasks: int = 0
    records: list[dict[str, Any]] = field(default_factory=list)
    origins: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


# -------------------------------------------------------------------------------------------------
# Reading the export
# -------------------------------------------------------------------------------------------------
def read_tasks(text: str) -> list[dict[str, Any]]:
    """The tasks of `task export` output: a JSON array, or one object a line (what
    taskwarrior writes with rc.json.array=off; a comma at the end of a line is allowed)."""
    if not text.strip():
        raise TaskwarriorError("the file is empty: expected the output of task export")
    try:
        found = json.loads(text)
    except (ValueError, RecursionError):
        found = _lines(text)
    if isinstance(found, dict):
        found = [found]
    if not isinstance(found, list):
        raise TaskwarriorError(
            f"expected a JSON array of tasks (task export), not {_json_kind(found)}"
        )
    for index, task in enumerate(found):
        if not isinstance(task, dict):
            raise TaskwarriorError(
                f"task {index + 1} is {_json_kind(task)}, not an object: "
                "is this the output of task export?"
            )
        for key in ("uuid", "description", "status", "entry"):
            if not isinstance(task.get(key), str):
                raise TaskwarriorError(
                    f"task {index + 1} has no {key!r}: is this the output of task export?"
                )
    return found


def _lines(text: str) -> list[Any]:
    tasks = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip().removesuffix(",").strip()
        if not line or line in ("[", "]"):
            continue
        try:
            tasks.append(json.loads(line))
        except (ValueError, RecursionError) as exc:
            reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
            raise TaskwarriorError(
                f"not valid JSON at line {number}: {reason}; expected the output of task export"
            ) from None
    return tasks


def _json_kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "true or false"}
    if value is None:
        return "null"
    return names.get(type(value), "a number")


def when(value: Any, task: str, key: str) -> datetime:
    """A taskwarrior time ('20261127T170000Z'; ISO 8601 also read) as an aware UTC time."""
    moment = None
    if isinstance(value, str):
        try:
            moment = datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        except ValueError:
            try:
                moment = from_iso(value) if "-" in value else None
            except PkError:
                moment = None
    if moment is None:
        raise TaskwarriorError(f"{task}: {key!r} is not a taskwarrior date: {str(value)[:40]!r}")
    if not in_range(moment):
        raise TaskwarriorError(f"{task}: {key!r} is out of range ({YEARS}): {value[:40]!r}")
    return moment


# -------------------------------------------------------------------------------------------------
# The mapping
# -------------------------------------------------------------------------------------------------
def promise_uuid(task_uuid: str) -> str:
    """The uuid of the promise made from a task: the same for the same task, everywhere."""
    return str(uuidlib.uuid5(NAMESPACE, task_uuid.strip().lower()))


def _event_uuid(task_uuid: str, which: str) -> str:
    return str(uuidlib.uuid5(NAMESPACE, f"{task_uuid.strip().lower()}/{which}"))


def plan(tasks: list[dict[str, Any]], mapping: Mapping) -> Plan:
    """What each task becomes; every task is an import record or skipped with its reason."""
    if mapping.person is None and mapping.to is None:
        raise InvalidInput("taskwarrior tasks need a person: give --person or --to")
    result = Plan(tasks=len(tasks))
    seen: set[str] = set()
    for index, task in enumerate(tasks):
        label = f"task {index + 1} ({task['uuid'][:36]})"
        _check_times(task, label)  # a skipped task too: a bad date is bad input
        reason = _skip_reason(task, mapping, seen)
        seen.add(task["uuid"].strip().lower())
        if reason is not None:
            result.skipped.append(Skipped(task["uuid"], task["description"], reason))
            continue
        person = _person(task, mapping, label)
        if person is None:
            result.skipped.append(Skipped(task["uuid"], task["description"], NO_PERSON))
            continue
        result.records.append(record(task, person, mapping, label))
        result.origins.append(label)
    return result


def _check_times(task: dict[str, Any], label: str) -> None:
    for key in ("entry", "due", "end", "wait", "modified"):
        if task.get(key) is not None and (key == "entry" or task[key] != ""):
            when(task[key], label, key)


def _skip_reason(task: dict[str, Any], mapping: Mapping, seen: set[str]) -> str | None:
    if task["uuid"].strip().lower() in seen:
        return DUPLICATE
    if task["status"] == TEMPLATE:
        return RECURRING_TEMPLATE
    if task.get("due") in (None, "") and mapping.default_due is None:
        return NO_DUE
    return None


def _person(task: dict[str, Any], mapping: Mapping, label: str) -> tuple[str, str] | None:
    """(the person's name, the source it came from: "tag", "project", "uda" or "to"), or
    None when the task gives none and there is no --to."""
    value: Any = None
    source = mapping.person
    if source == "tag":
        tags = task.get("tags") or []
        value = tags[0] if isinstance(tags, list) and tags else None
    elif source == "project":
        value = task.get("project")
    elif source is not None:
        value = task.get(source.removeprefix("uda:"))
    if value is None or (isinstance(value, str) and not value.strip()):
        return None if mapping.to is None else (mapping.to, "to")
    what = "its first tag" if source == "tag" else f"its {source.removeprefix('uda:')!r}"
    if not isinstance(value, str):
        raise TaskwarriorError(f"{label}: {what} is not text, so it cannot name a person")
    if "," in value or len(value.strip()) > MAX_NAME:
        raise TaskwarriorError(
            f"{label}: {what} ({value[:40]!r}) cannot be a person's name "
            f"(no commas, at most {MAX_NAME} characters); give --to NAME instead"
        )
    return value.strip(), source.split(":")[0]  # type: ignore[union-attr]


def record(
    task: dict[str, Any], person: tuple[str, str], mapping: Mapping, label: str
) -> dict[str, Any]:
    """The import record (an exported promise with its history) a task becomes."""
    name, source = person
    task_uuid = task["uuid"]
    made_at = when(task["entry"], label, "entry")
    if task.get("due") in (None, ""):
        assert mapping.default_due is not None
        due = mapping.default_due
    else:
        due = when(task["due"], label, "due")
    tags = _tags(task, label)
    if source == "tag":
        tags = tags[1:]
    project = task.get("project")
    if project is not None and not isinstance(project, str):
        raise TaskwarriorError(f"{label}: 'project' must be text")
    if project and project.strip() and source != "project":
        tags.append("project:" + "_".join(project.split()))
    made = {
        "what": task["description"],
        "to": [name],
        "due": iso(due),
        "made": iso(made_at),
        "note": "",
        "tags": tags,
    }
    history = [_event(made_at, "made", made, _event_uuid(task_uuid, "made"))]
    later = []
    annotations = task.get("annotations") or []
    if not isinstance(annotations, list):
        raise TaskwarriorError(f"{label}: 'annotations' must be a list")
    for number, note in enumerate(annotations):
        if not isinstance(note, dict) or not isinstance(note.get("description"), str):
            raise TaskwarriorError(f"{label}: annotation {number + 1} has no description")
        at = max(when(note.get("entry"), label, f"annotation {number + 1} entry"), made_at)
        later.append((at, "note", {"text": note["description"]}, f"note/{number}"))
    status = task["status"]
    if status in CLOSED_STATUSES:
        end = task.get("end") or task.get("modified")
        closed_at = max(when(end, label, "end"), made_at)
        details: dict[str, Any] = {"closed_at": iso(closed_at)}
        if status == "deleted":
            details["reason"] = DELETED_REASON
        # After the notes of the same moment: a task is closed last.
        later.append((closed_at, CLOSED_STATUSES[status], details, "closed"))
    elif status not in OPEN_STATUSES:
        raise TaskwarriorError(f"{label}: unknown status {status[:40]!r}")
    for at, kind, details, which in sorted(later, key=lambda item: (item[0], item[1] != "note")):
        history.append(_event(at, kind, details, _event_uuid(task_uuid, which)))
    return {"uuid": promise_uuid(task_uuid), "history": history}


def _tags(task: dict[str, Any], label: str) -> list[str]:
    tags = task.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise TaskwarriorError(f"{label}: 'tags' must be a list of text")
    return list(tags)


def _event(at: datetime, kind: str, details: dict[str, Any], uuid: str) -> dict[str, Any]:
    return {"at": iso(at), "kind": kind, "details": details, "uuid": uuid}


# -------------------------------------------------------------------------------------------------
# Importing
# -------------------------------------------------------------------------------------------------
@dataclass
class Summary:
    """What an import from taskwarrior did with every task of the file."""

    tasks: int
    imported: int
    present: int
    skipped: list[Skipped]

    def counts(self) -> dict[str, int]:
        """Skipped tasks by reason (only the reasons that occur)."""
        found = {reason: 0 for reason in REASONS}
        for one in self.skipped:
            found[one.reason] += 1
        return {reason: n for reason, n in found.items() if n}

    def as_json(self) -> dict[str, Any]:
        return {
            "tasks": self.tasks,
            "imported": self.imported,
            "already_present": self.present,
            "skipped": self.counts(),
            "skipped_tasks": [
                {"uuid": s.uuid, "description": s.description, "reason": s.reason}
                for s in self.skipped
            ],
        }


_RECORD = re.compile(r"record (\d+): ")


def import_tasks(ledger: Ledger, tasks: list[dict[str, Any]], mapping: Mapping) -> Summary:
    """Import the tasks as promises in one change, or none; a bad task names itself."""
    from promisekeeper.services.exchange import ImportError_, import_records

    planned = plan(tasks, mapping)
    try:
        imported, present = import_records(ledger, list(planned.records))
    except ImportError_ as exc:
        message = str(exc)
        found = _RECORD.match(message)
        if found and int(found.group(1)) < len(planned.origins):
            message = f"{planned.origins[int(found.group(1))]}: {message[found.end() :]}"
        raise TaskwarriorError(message) from None
    summary = Summary(planned.tasks, imported, present, planned.skipped)
    assert summary.imported + summary.present + len(summary.skipped) == summary.tasks
    return summary
