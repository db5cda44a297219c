"""pk import --from taskwarrior: the mapping of a task to a promise, the summary that accounts
for every task, importing twice, bad input, and a round with the real `task` (2.6)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import Pk
from hypothesis import given, settings
from hypothesis import strategies as st
from ledger_checks import snapshot

from promisekeeper.model.errors import PkError
from promisekeeper.services import taskwarrior as tw


def task(uuid: str = "a0000000-0000-4000-8000-000000000001", **fields: Any) -> dict[str, Any]:
    """A task as `task export` writes it."""
    base = {
        "id": 1,
        "description": "Send the Q3 numbers",
        "entry": "20261120T090000Z",
        "modified": "20261120T090000Z",
        "status": "pending",
        "uuid": uuid,
        "urgency": 1.5,
    }
    base.update(fields)
    return base


def uid(n: int) -> str:
    return f"a0000000-0000-4000-8000-{n:012d}"


# -------------------------------------------------------------------------------------------------
# The mapping (pure)
# -------------------------------------------------------------------------------------------------
def test_a_pending_task_becomes_an_open_promise_with_its_notes() -> None:
    one = task(
        due="20261127T160000Z",
        tags=["alice", "finance"],
        project="Q3 board",
        annotations=[
            {"entry": "20261122T080000Z", "description": "asked for the draft"},
            {"entry": "20261121T080000Z", "description": "figures in"},
        ],
    )
    planned = tw.plan([one], tw.Mapping(person="tag"))
    assert planned.skipped == []
    (record,) = planned.records
    assert record["uuid"] == tw.promise_uuid(one["uuid"])
    made, first, second = record["history"]
    assert made["kind"] == "made" and made["at"] == "2026-11-20T09:00:00+00:00"
    assert made["details"] == {
        "what": "Send the Q3 numbers",
        "to": ["alice"],
        "due": "2026-11-27T16:00:00+00:00",
        "made": "2026-11-20T09:00:00+00:00",
        "note": "",
        "tags": ["finance", "project:Q3_board"],
    }
    # Notes in time order, at their own times.
    assert [(e["kind"], e["at"], e["details"]["text"]) for e in (first, second)] == [
        ("note", "2026-11-21T08:00:00+00:00", "figures in"),
        ("note", "2026-11-22T08:00:00+00:00", "asked for the draft"),
    ]


@pytest.mark.parametrize(
    ("status", "kind", "details"),
    [
        ("completed", "kept", {"closed_at": "2026-11-25T12:00:00+00:00"}),
        (
            "deleted",
            "released",
            {"closed_at": "2026-11-25T12:00:00+00:00", "reason": "deleted in taskwarrior"},
        ),
    ],
)
def test_a_closed_task_is_closed_at_its_end(status: str, kind: str, details: dict) -> None:
    one = task(status=status, due="20261127T160000Z", end="20261125T120000Z", tags=["bob"])
    (record,) = tw.plan([one], tw.Mapping(person="tag")).records
    closing = record["history"][-1]
    assert (closing["kind"], closing["at"], closing["details"]) == (
        kind,
        "2026-11-25T12:00:00+00:00",
        details,
    )


def test_a_waiting_task_is_open() -> None:
    one = task(status="waiting", due="20261127T160000Z", wait="20261126T000000Z")
    (record,) = tw.plan([one], tw.Mapping(to="carol")).records
    assert [e["kind"] for e in record["history"]] == ["made"]
    assert record["history"][0]["details"]["to"] == ["carol"]


@pytest.mark.parametrize(
    ("source", "fields", "person", "tags"),
    [
        ("tag", {"tags": ["alice", "x"], "project": "p"}, "alice", ["x", "project:p"]),
        ("project", {"tags": ["alice"], "project": "Acme"}, "Acme", ["alice"]),
        ("uda:client", {"tags": ["x"], "client": "Dana"}, "Dana", ["x"]),
    ],
)
def test_the_person_comes_from_the_source_asked_for_and_is_not_also_a_tag(
    source: str, fields: dict, person: str, tags: list[str]
) -> None:
    one = task(due="20261127T160000Z", **fields)
    (record,) = tw.plan([one], tw.Mapping(person=source)).records
    made = record["history"][0]["details"]
    assert (made["to"], made["tags"]) == ([person], tags)


def test_a_task_without_the_value_goes_to_the_fixed_person_or_is_skipped() -> None:
    tasks = [task(uid(1), due="20261127T160000Z"), task(uid(2), due="20261127T160000Z", tags=["b"])]
    alone = tw.plan(tasks, tw.Mapping(person="tag"))
    assert [(s.uuid, s.reason) for s in alone.skipped] == [(uid(1), "no_person")]
    with_to = tw.plan(tasks, tw.Mapping(person="tag", to="erin"))
    assert [r["history"][0]["details"]["to"] for r in with_to.records] == [["erin"], ["b"]]


def test_skips_are_counted_by_reason_and_every_task_is_accounted_for() -> None:
    tasks = [
        task(uid(1), due="20261127T160000Z", tags=["a"]),
        task(uid(2), tags=["a"]),  # no due
        task(uid(3), due="20261127T160000Z", status="recurring", recur="weekly", tags=["a"]),
        task(uid(4), due="20261127T160000Z"),  # no tag
        task(uid(1), due="20261127T160000Z", tags=["a"]),  # the same task again
    ]
    planned = tw.plan(tasks, tw.Mapping(person="tag"))
    assert len(planned.records) == 1
    assert [s.reason for s in planned.skipped] == [
        "no_due",
        "recurring_template",
        "no_person",
        "duplicate",
    ]
    due = datetime(2026, 12, 4, 16, tzinfo=UTC)
    given = tw.plan(tasks, tw.Mapping(person="tag", default_due=due))
    assert given.records[1]["history"][0]["details"]["due"] == "2026-12-04T16:00:00+00:00"


def test_the_promise_uuid_is_derived_from_the_task_uuid() -> None:
    first = tw.promise_uuid("E68DA0DA-3CCA-4B1D-BA8D-74D358814384")
    assert first == tw.promise_uuid("e68da0da-3cca-4b1d-ba8d-74d358814384")
    assert first != tw.promise_uuid("e68da0da-3cca-4b1d-ba8d-74d358814385")


def test_both_forms_of_task_export_are_read() -> None:
    tasks = [task(uid(1)), task(uid(2))]
    array = json.dumps(tasks, indent=1)
    lines = "\n".join(json.dumps(t) for t in tasks) + "\n"
    with_commas = ",\n".join(json.dumps(t) for t in tasks) + "\n"
    assert tw.read_tasks(array) == tw.read_tasks(lines) == tw.read_tasks(with_commas) == tasks


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("not json at all", "not valid JSON at line 1"),
        ('{"format": "promisekeeper", "promises": []}', "has no 'uuid'"),
        ("[1, 2]", "task 1 is a number"),
        ('"tasks"', "not a string"),
        (json.dumps([{"uuid": "x", "description": "d", "status": "pending"}]), "no 'entry'"),
    ],
)
def test_what_is_not_a_task_export_is_refused(text: str, message: str) -> None:
    with pytest.raises(PkError, match=message):
        tw.read_tasks(text)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"due": "tomorrow"}, "'due' is not a taskwarrior date: 'tomorrow'"),
        ({"due": "20261327T160000Z"}, "'due' is not a taskwarrior date"),
        ({"entry": "2026", "due": "20261127T160000Z"}, "'entry' is not a taskwarrior date"),
        ({"due": "99991231T230000Z"}, "'due' is out of range"),
        ({"status": "frozen", "due": "20261127T160000Z"}, "unknown status 'frozen'"),
        ({"tags": "a", "due": "20261127T160000Z"}, "'tags' must be a list"),
    ],
)
def test_a_bad_task_names_itself(fields: dict, message: str) -> None:
    with pytest.raises(PkError, match=message) as caught:
        tw.plan([task(uid(7), **fields)], tw.Mapping(to="a"))
    assert str(caught.value).startswith(f"task 1 ({uid(7)}): ")


def test_a_person_source_is_checked() -> None:
    assert tw.person_source("uda:client") == "uda:client"
    for bad in ("tags", "uda:", "uda:a b", "first tag"):
        with pytest.raises(PkError, match="--person must be tag, project or uda:NAME"):
            tw.person_source(bad)


def test_a_value_that_cannot_name_a_person_is_refused() -> None:
    one = task(due="20261127T160000Z", project="acme,inc")
    with pytest.raises(PkError, match="its 'project' .* cannot be a person's name"):
        tw.plan([one], tw.Mapping(person="project", to="a"))


TASKS = st.lists(
    st.fixed_dictionaries(
        {
            "uuid": st.sampled_from([uid(n) for n in range(6)]),
            "description": st.text(min_size=1, max_size=20).filter(str.strip),
            "status": st.sampled_from(["pending", "waiting", "completed", "deleted", "recurring"]),
            "entry": st.just("20261120T090000Z"),
            "end": st.just("20261122T090000Z"),
        },
        optional={
            "due": st.sampled_from(["20261127T160000Z", "20261101T000000Z"]),
            "tags": st.lists(st.sampled_from(["alice", "bob", "x"]), max_size=3, unique=True),
            "project": st.sampled_from(["acme", "home office"]),
        },
    ),
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(
    tasks=TASKS,
    person=st.sampled_from([None, "tag", "project"]),
    to=st.sampled_from([None, "zoe"]),
)
def test_every_task_is_imported_or_skipped_once_with_a_reason(
    tasks: list[dict[str, Any]], person: str | None, to: str | None
) -> None:
    if person is None and to is None:
        to = "zoe"
    planned = tw.plan(tasks, tw.Mapping(person=person, to=to))
    assert len(planned.records) + len(planned.skipped) == len(tasks)
    assert {s.reason for s in planned.skipped} <= set(tw.REASONS)
    uuids = [r["uuid"] for r in planned.records]
    assert len(set(uuids)) == len(uuids)  # never one promise twice
    # Both forms of the file read the same.
    lines = "\n".join(json.dumps(t) for t in tasks)
    assert tasks == [] or tw.read_tasks(lines) == tw.read_tasks(json.dumps(tasks)) == tasks


# -------------------------------------------------------------------------------------------------
# Through pk
# -------------------------------------------------------------------------------------------------
def sample() -> list[dict[str, Any]]:
    return [
        task(uid(1), due="20261127T160000Z", tags=["alice"], project="finance"),
        task(
            uid(2),
            description="Review the RFC",
            due="20261124T160000Z",
            tags=["bob", "urgent"],
            annotations=[{"entry": "20261121T100000Z", "description": "read half"}],
        ),
        task(
            uid(3),
            description="Book the venue",
            status="completed",
            due="20261122T160000Z",
            end="20261121T150000Z",
            tags=["carol"],
        ),
        task(
            uid(4),
            description="Old idea",
            status="deleted",
            due="20261130T160000Z",
            end="20261122T150000Z",
            tags=["dana"],
        ),
        task(uid(5), description="Someday", tags=["erin"]),
        task(uid(6), description="Weekly", status="recurring", due="20261130T090000Z", tags=["f"]),
    ]


def write(path: Path, tasks: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps(tasks), encoding="utf-8")
    return path


def listing(ok: Pk) -> list[dict[str, Any]]:
    return ok("list", "--status", "all", "--json").json


def test_import_accounts_for_every_task(ok: Pk, tmp_path: Path) -> None:
    source = write(tmp_path / "tasks.json", sample())
    out = ok("import", "--from", "taskwarrior", "--person", "tag", str(source)).stdout
    assert out.splitlines() == [
        "Read 6 tasks from taskwarrior: imported 4, skipped 2",
        "  skipped 1 task without a due date (--default-due WHEN gives them one)",
        "  skipped 1 recurring template (their occurrences are tasks of their own)",
    ]
    got = {p["what"]: p for p in listing(ok)}
    assert sorted(got) == ["Book the venue", "Old idea", "Review the RFC", "Send the Q3 numbers"]
    assert got["Send the Q3 numbers"]["to"] == ["alice"]
    assert got["Send the Q3 numbers"]["tags"] == ["project:finance"]
    assert got["Send the Q3 numbers"]["made"] == "2026-11-20T09:00:00+00:00"
    assert got["Review the RFC"]["tags"] == ["urgent"]
    assert got["Review the RFC"]["status"] == "open"
    assert got["Book the venue"]["status"] == "kept"
    assert got["Book the venue"]["standing"] == "kept"  # kept a day before it was due
    assert got["Book the venue"]["kept_at"] == "2026-11-21T15:00:00+00:00"
    assert got["Old idea"]["status"] == "released"
    assert got["Old idea"]["closed_at"] == "2026-11-22T15:00:00+00:00"
    assert got["Send the Q3 numbers"]["uuid"] == tw.promise_uuid(uid(1))
    shown = ok("show", str(got["Review the RFC"]["id"]), "--json").json
    assert [(e["kind"], e["details"].get("text")) for e in shown["history"]] == [
        ("made", None),
        ("note", "read half"),
    ]
    released = ok("show", str(got["Old idea"]["id"]), "--json").json["history"][-1]
    assert released["details"]["reason"] == "deleted in taskwarrior"


def test_importing_the_same_export_twice_changes_nothing(
    ok: Pk, tmp_path: Path, isolated: Path
) -> None:
    source = write(tmp_path / "tasks.json", sample())
    ok("import", "--from", "taskwarrior", "--person", "tag", str(source))
    before = ok("export").json["promises"]
    again = ok("import", "--from", "taskwarrior", "--person", "tag", str(source), "--json").json
    assert again == {
        "tasks": 6,
        "imported": 0,
        "already_present": 4,
        "skipped": {"no_due": 1, "recurring_template": 1},
        "skipped_tasks": [
            {"uuid": uid(5), "description": "Someday", "reason": "no_due"},
            {"uuid": uid(6), "description": "Weekly", "reason": "recurring_template"},
        ],
    }
    assert ok("export").json["promises"] == before


def test_a_task_completed_since_is_reported_as_already_present(ok: Pk, tmp_path: Path) -> None:
    tasks = sample()
    ok("import", "--from", "taskwarrior", "--to", "zoe", str(write(tmp_path / "a.json", tasks)))
    tasks[0].update(status="completed", end="20261123T080000Z")
    out = ok(
        "import", "--from", "taskwarrior", "--to", "zoe", str(write(tmp_path / "b.json", tasks))
    )
    assert out.stdout.splitlines()[:2] == [
        "Read 6 tasks from taskwarrior: imported 0, 4 already in the ledger, skipped 2",
        "  already in the ledger: 4 tasks imported before "
        "(left as is, even if changed in taskwarrior since)",
    ]
    first = next(p for p in listing(ok) if p["what"] == "Send the Q3 numbers")
    assert first["status"] == "open"  # as the record says: pk keep records the keeping


def test_default_due_and_the_fixed_person(ok: Pk, tmp_path: Path) -> None:
    source = write(tmp_path / "tasks.json", sample())
    summary = ok(
        "import", "--from", "taskwarrior", "--person", "project", "--to", "zoe",
        "--default-due", "fri", "--json", str(source),
    ).json  # fmt: skip
    assert summary["imported"] == 5 and summary["skipped"] == {"recurring_template": 1}
    got = {p["what"]: p for p in listing(ok)}
    assert got["Send the Q3 numbers"]["to"] == ["finance"]
    assert got["Send the Q3 numbers"]["tags"] == ["alice"]
    assert got["Review the RFC"]["to"] == ["zoe"]
    assert got["Someday"]["due"] == "2026-11-27T16:00:00+00:00"  # fri, at the end of the day


def test_tasks_without_a_person_and_tasks_listed_twice_are_counted(ok: Pk, tmp_path: Path) -> None:
    tasks = [*sample()[:2], task(uid(8), due="20261127T160000Z"), sample()[0]]
    out = ok(
        "import", "--from", "taskwarrior", "--person", "tag", str(write(tmp_path / "t", tasks))
    )
    assert out.stdout.splitlines() == [
        "Read 4 tasks from taskwarrior: imported 2, skipped 2",
        "  skipped 1 task without a person (--to NAME gives them one)",
        "  skipped 1 task listed twice in the file (imported once)",
    ]
    assert len(listing(ok)) == 2


def test_json_lines_from_stdin(ok: Pk) -> None:
    lines = "\n".join(json.dumps(t) for t in sample()[:2])
    out = ok("import", "--from", "taskwarrior", "--person", "tag", "-", input=lines)
    assert out.stdout.startswith("Read 2 tasks from taskwarrior: imported 2")
    assert [p["what"] for p in listing(ok)] == ["Review the RFC", "Send the Q3 numbers"]


def one_line_error(result: Any, fragment: str, code: int = 1) -> None:
    assert result.exit_code == code, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert fragment in result.stderr, result.stderr
    if code == 1:
        assert result.stderr.startswith("pk: ") and result.stderr.count("\n") == 1, result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "taskwarrior"], "needs --person tag|project|uda:NAME or --to NAME"),
        (["--from", "taskwarrior", "--person", "first"], "--person must be tag, project"),
        (["--from", "taskwarrior", "--to", " "], "a promise needs a person"),
        (["--from", "todoist", "--to", "a"], "--from must be pk or taskwarrior"),
        (["--person", "tag"], "--person goes with --from taskwarrior"),
        (["--default-due", "fri"], "--default-due goes with --from taskwarrior"),
    ],
)
def test_usage_mistakes(pk: Pk, tmp_path: Path, args: list[str], message: str) -> None:
    source = write(tmp_path / "tasks.json", sample())
    one_line_error(pk("import", *args, str(source)), message, code=2)


BAD_FILES = {
    "not json": ("here are my tasks\n", "not valid JSON at line 1"),
    "a pk export": (json.dumps({"format": "promisekeeper", "promises": []}), "has no 'uuid'"),
    "bad date": (json.dumps([*sample(), task(uid(9), due="2026-13-45")]), "task 7 ("),
    "empty what": (json.dumps([*sample(), task(uid(9), description=" ", tags=["a"])]), "task 7"),
    "long what": (
        json.dumps([*sample(), task(uid(9), tags=["a"], description="x" * 1_000_001)]),
        "too long",
    ),
    "not utf-8": (b"[\xff]", "not UTF-8"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_input_imports_nothing(
    case: str, pk: Pk, ok: Pk, tmp_path: Path, isolated: Path
) -> None:
    ok("promise", "Already here", "--to", "alice", "--due", "fri")
    content, message = BAD_FILES[case]
    source = tmp_path / "tasks.json"
    if isinstance(content, bytes):
        source.write_bytes(content)
    else:
        source.write_text(content, encoding="utf-8")
    before = snapshot(isolated.parent)
    args = ["import", "--from", "taskwarrior", "--person", "tag", "--default-due", "fri"]
    one_line_error(pk(*args, str(source)), message)
    assert snapshot(isolated.parent) == before


def test_a_huge_file_is_refused_before_it_is_read_whole(
    pk: Pk, ok: Pk, tmp_path: Path, isolated: Path
) -> None:
    ok("promise", "Already here", "--to", "alice", "--due", "fri")
    source = tmp_path / "huge.json"
    with source.open("wb") as stream:
        stream.truncate(tw.MAX_BYTES + 1)
    before = snapshot(isolated.parent)
    one_line_error(
        pk("import", "--from", "taskwarrior", "--to", "a", str(source)), "larger than 64 MiB"
    )
    assert snapshot(isolated.parent) == before


def test_a_bad_default_due_is_one_line(pk: Pk, tmp_path: Path) -> None:
    source = write(tmp_path / "tasks.json", sample())
    args = ["import", "--from", "taskwarrior", "--to", "a", "--default-due", "someday"]
    one_line_error(pk(*args, str(source)), "someday")
    assert pk("list", "--status", "all", "--json").json == []


def test_undo_takes_the_import_back(ok: Pk, tmp_path: Path) -> None:
    source = write(tmp_path / "tasks.json", sample())
    ok("import", "--from", "taskwarrior", "--person", "tag", str(source))
    ok("undo", "--yes")
    assert listing(ok) == []


# -------------------------------------------------------------------------------------------------
# A real taskwarrior
# -------------------------------------------------------------------------------------------------
TASK = shutil.which("task")


@pytest.mark.skipif(TASK is None, reason="taskwarrior (task) is not installed")
def test_a_real_task_export_imports_with_every_task_accounted_for(ok: Pk, tmp_path: Path) -> None:
    home = tmp_path / "tw"
    home.mkdir()
    (home / "taskrc").write_text("")
    env = {
        **os.environ,
        "TASKDATA": str(home / "data"),
        "TASKRC": str(home / "taskrc"),
        "TZ": "UTC",
    }
    env.pop("PK_NOW", None)

    def task_(*args: str) -> str:
        done = subprocess.run(
            [TASK, "rc.confirmation=off", "rc.hooks=off", "rc.verbose=nothing", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return done.stdout

    task_("add", "Send the Q3 numbers", "due:2030-11-27T16:00", "+alice", "project:finance")
    task_("add", "Review the RFC", "due:2030-11-24", "+bob", "+urgent")
    task_("2", "annotate", "read half of it")
    task_("add", "Book the venue", "due:2030-11-22", "+carol")
    task_("add", "Old idea", "due:2030-11-30", "+dana")
    task_("add", "Someday, maybe", "+erin")
    task_("add", "Weekly status", "due:2030-11-25", "recur:weekly", "+fred")
    venue, idea = task_("_get", "3.uuid", "4.uuid").split()
    task_(venue, "done")  # (ids change when a task is done: uuids do not)
    task_(idea, "delete")
    export = task_("export")
    tasks = json.loads(export)
    by_status: dict[str, int] = {}
    for one in tasks:
        by_status[one["status"]] = by_status.get(one["status"], 0) + 1
    # (the recurring task: its template and its first occurrence)
    assert by_status == {"pending": 4, "completed": 1, "deleted": 1, "recurring": 1}
    # The other form taskwarrior writes (rc.json.array=off: one object a line) reads the same.
    lines = task_("rc.json.array=off", "export")
    assert not lines.lstrip().startswith("[")
    assert [(t["uuid"], t["status"]) for t in tw.read_tasks(lines)] == [
        (t["uuid"], t["status"]) for t in tasks
    ]
    source = tmp_path / "export.json"
    source.write_text(export, encoding="utf-8")
    now = datetime.now(UTC).isoformat()
    summary = ok(
        "import", "--from", "taskwarrior", "--person", "tag", "--json", str(source), now=now
    ).json
    assert summary["tasks"] == len(tasks) == 7
    assert (summary["imported"], summary["already_present"]) == (5, 0)
    assert summary["skipped"] == {"no_due": 1, "recurring_template": 1}
    assert sum(summary["skipped"].values()) + summary["imported"] == len(tasks)
    promises = ok("list", "--status", "all", "--json", now=now).json
    assert len(promises) == 5
    by_uuid = {p["uuid"]: p for p in promises}
    for one in tasks:
        if one["status"] == "recurring" or "due" not in one:
            assert tw.promise_uuid(one["uuid"]) not in by_uuid
            continue
        promise = by_uuid[tw.promise_uuid(one["uuid"])]
        assert promise["what"] == one["description"]
        assert promise["to"] == one["tags"][:1]
        assert promise["tags"] == one["tags"][1:] + (
            [f"project:{one['project']}"] if "project" in one else []
        )
        assert promise["due"] == tw.when(one["due"], "", "due").isoformat()
        assert promise["made"] == tw.when(one["entry"], "", "entry").isoformat()
        status = {"pending": "open", "completed": "kept", "deleted": "released"}[one["status"]]
        assert promise["status"] == status
        if status != "open":
            assert promise["closed_at"] == tw.when(one["end"], "", "end").isoformat()
        notes = [
            e["details"]["text"]
            for e in ok("show", str(promise["id"]), "--json", now=now).json["history"]
            if e["kind"] == "note"
        ]
        assert notes == [a["description"] for a in one.get("annotations", [])]
    assert sorted(p["what"] for p in promises) == [
        "Book the venue",
        "Old idea",
        "Review the RFC",
        "Send the Q3 numbers",
        "Weekly status",
    ]
    # Importing the same export again changes nothing.
    before = ok("export", now=now).json["promises"]
    again = ok(
        "import", "--from", "taskwarrior", "--person", "tag", "--json", str(source), now=now
    ).json
    assert (again["imported"], again["already_present"]) == (0, 5)
    assert ok("export", now=now).json["promises"] == before
