"""`pk export` and `pk import` through the CLI: round trips, de-duplication, plain lists, errors.

An import is all or nothing: every failing case checks that the ledger is byte-identical and
lists the same promises afterwards.
"""

from __future__ import annotations

import gc
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import Pk

MADE = "2026-11-23T10:00:00+01:00"  # the pinned "now" of conftest
DUE = "2026-12-01T16:00:00+00:00"


# -------------------------------------------------------------------------------------------------
# Helpers
# -------------------------------------------------------------------------------------------------
def db_args(db: Path | None) -> tuple[str, ...]:
    """The global option that picks a ledger; it goes before the subcommand."""
    return ("--db", str(db)) if db is not None else ()


def listed(ok: Pk, db: Path | None = None) -> list[dict[str, Any]]:
    return ok(*db_args(db), "list", "--status", "all", "--json").json


def exported(ok: Pk, db: Path | None = None) -> dict[str, Any]:
    return ok(*db_args(db), "export").json


def without(obj: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in keys}


def ledger_bytes(db: Path) -> dict[str, bytes]:
    """The ledger file and its WAL, as bytes (connections of earlier runs closed first)."""
    gc.collect()
    found = {}
    for path in (db, db.with_name(db.name + "-wal")):
        if path.exists():
            found[path.name] = path.read_bytes()
    return found


def write_json(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value), encoding="utf-8")
    return path


def plain(i: int, **extra: Any) -> dict[str, Any]:
    return {"what": f"Promise {i}", "to": f"person{i % 7}", "due": DUE, **extra}


def made_event(uuid: str = "u-1", **details: Any) -> dict[str, Any]:
    base = {"uuid": uuid, "what": "Ship it", "to": ["alice"], "due": DUE, "made": MADE}
    return {"at": MADE, "kind": "made", "details": {**base, **details}}


# -------------------------------------------------------------------------------------------------
# Round trip
# -------------------------------------------------------------------------------------------------
@pytest.fixture
def rich_ledger(ok: Pk, make: Callable[..., int]) -> dict[str, int]:
    """A ledger that has been through every kind of change, at several moments."""
    ids: dict[str, int] = {}
    ids["plain"] = make(
        "Send the Q3 numbers", "alice", "fri", "--to", "Bob", "--tag", "finance", "--note", "CFO"
    )
    ids["unicode"] = make("Grüße an Zoë 🎉 — with a\nsecond line", "Zoë", "in 3 days")
    ids["escape"] = make("red \x1b[31malert\x1b[0m", "mallory", "next week")

    ids["moved"] = make("Review the RFC", "carol", "tomorrow 9am")
    ok("move", str(ids["moved"]), "fri", "--reason", "waiting for data")

    ids["late_move"] = make("Fix the login bug", "dave", "tomorrow 9am")
    ok("move", str(ids["late_move"]), "fri", "--force", now="2026-11-25T12:00:00+01:00")

    ids["kept"] = make("Book the room", "erin", "wed")
    ok("keep", str(ids["kept"]), "--note", "booked room 4", now="2026-11-24T15:30:00+01:00")

    ids["kept_late"] = make("Call the vendor", "frank", "tomorrow 9am")
    ok("keep", str(ids["kept_late"]), now="2026-11-24T11:00:00+01:00")

    ids["broken"] = make("Write the docs", "grace", "fri")
    ok("break", str(ids["broken"]), "--reason", "vendor never delivered")

    ids["released"] = make("Draft the plan", "heidi", "fri")
    ok("release", str(ids["released"]), "--reason", "project cancelled")

    ids["reopened"] = make("Send the invoice", "ivan", "fri")
    ok("keep", str(ids["reopened"]))
    ok("reopen", str(ids["reopened"]))

    ids["edited"] = make("Old text", "judy", "fri", "--tag", "draft")
    ok(
        "edit",
        str(ids["edited"]),
        "--what",
        "New text",
        "--to",
        "judy",
        "--to",
        "ken",
        "--note",
        "changed",
        "--tag",
        "final",
        "--untag",
        "draft",
    )

    ids["noted"] = make("Prepare the demo", "leo", "fri")
    ok("note", str(ids["noted"]), "slides done", now="2026-11-23T16:00:00+01:00")

    ids["deleted"] = make("Recorded by mistake", "mallory", "fri")
    ok("note", str(ids["deleted"]), "about to go")
    ok("delete", str(ids["deleted"]), "--yes")
    return ids


def test_round_trip_keeps_every_field_and_the_full_history(
    ok: Pk, pk: Pk, rich_ledger: dict[str, int], tmp_path: Path
) -> None:
    backup = tmp_path / "backup.json"
    ok("export", "--output", str(backup))
    other = tmp_path / "other.db"
    result = ok("--db", str(other), "import", str(backup))
    assert result.stdout.strip() == f"Imported {len(rich_ledger)} promises"

    imported_ids = {p["uuid"]: p["id"] for p in listed(ok, other)}
    for name, pid in rich_ledger.items():
        if name == "deleted":
            continue
        original = ok("show", str(pid), "--json").json
        assert original["uuid"] in imported_ids, name
        copy = ok("--db", str(other), "show", str(imported_ids[original["uuid"]]), "--json").json
        assert without(copy, "id") == without(original, "id"), name
        assert len(copy["history"]) >= 1

    # The kinds really were exercised (so the comparison above covers them).
    kinds = {
        event["kind"] for promise in exported(ok, other)["promises"] for event in promise["history"]
    }
    assert kinds == {
        "made", "moved", "kept", "broken", "released", "reopened", "edited", "note", "deleted"
    }  # fmt: skip
    standings = {p["standing"] for p in listed(ok, other)}
    assert {"kept", "kept_late", "broken", "released"} <= standings
    late = next(p for p in listed(ok, other) if p["what"] == "Fix the login bug")
    assert (late["moves"], late["late_moves"]) == (1, 1)


def test_deleted_promise_stays_deleted_with_its_history(
    ok: Pk, pk: Pk, rich_ledger: dict[str, int], tmp_path: Path
) -> None:
    backup = tmp_path / "backup.json"
    ok("export", "--output", str(backup))
    other = tmp_path / "other.db"
    ok("--db", str(other), "import", str(backup))

    original = next(p for p in exported(ok)["promises"] if p["id"] == rich_ledger["deleted"])
    assert original["deleted_at"] is not None
    copies = [p for p in exported(ok, other)["promises"] if p["uuid"] == original["uuid"]]
    assert len(copies) == 1
    copy = copies[0]
    assert without(copy, "id") == without(original, "id")
    assert [e["kind"] for e in copy["history"]] == ["made", "note", "deleted"]
    # Not visible anywhere but the export.
    assert original["uuid"] not in {p["uuid"] for p in listed(ok, other)}
    assert pk("--db", str(other), "show", str(copy["id"])).exit_code == 1


def test_whole_exports_of_both_ledgers_agree(
    ok: Pk, rich_ledger: dict[str, int], tmp_path: Path
) -> None:
    backup = tmp_path / "backup.json"
    ok("export", "--output", str(backup))
    other = tmp_path / "other.db"
    ok("--db", str(other), "import", str(backup))

    def by_uuid(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {p["uuid"]: without(p, "id") for p in doc["promises"]}

    first, second = exported(ok), exported(ok, other)
    assert len(first["promises"]) == len(rich_ledger)
    assert by_uuid(second) == by_uuid(first)
    assert without(second, "promises") == without(first, "promises")


def test_export_piped_to_import_from_stdin(ok: Pk, make, tmp_path: Path) -> None:
    make("One", "alice", "fri")
    make("Two", "bob", "tomorrow")
    text = ok("export").stdout
    other = tmp_path / "other.db"
    assert ok("--db", str(other), "import", "-", input=text).stdout.strip() == "Imported 2 promises"
    assert sorted(p["what"] for p in listed(ok, other)) == ["One", "Two"]


def test_import_into_a_ledger_with_the_same_person_in_another_case(
    ok: Pk, make, tmp_path: Path
) -> None:
    other = tmp_path / "other.db"
    ok("--db", str(other), "promise", "Existing", "--to", "Alice", "--due", "fri")
    make("Imported", "alice", "fri")
    backup = tmp_path / "b.json"
    ok("export", "--output", str(backup))
    ok("--db", str(other), "import", str(backup))
    people = {p["what"]: p["to"] for p in listed(ok, other)}
    assert people == {"Existing": ["Alice"], "Imported": ["Alice"]}
    assert len(ok("--db", str(other), "list", "--to", "ALICE", "--json").json) == 2


def assert_doctor_clean(pk: Pk, db: Path | None = None) -> None:
    result = pk(*db_args(db), "doctor")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "differ from their history" not in result.stdout
    assert result.stdout.rstrip().endswith("No problems found.")


def imported_id(ok: Pk, uuid: str, db: Path | None = None) -> int:
    return next(p["id"] for p in listed(ok, db) if p["uuid"] == uuid)


KNOWN_NAME_RECORDS = {
    "plain": {"uuid": "u-plain", "what": "Ship it", "to": "alice", "due": DUE},
    "history": {"uuid": "u-history", "history": [made_event("u-history", to=["alice"])]},
}


@pytest.mark.parametrize("form", sorted(KNOWN_NAME_RECORDS))
def test_import_to_a_known_name_in_another_case_keeps_the_doctor_happy(
    form: str, ok: Pk, pk: Pk, make, tmp_path: Path
) -> None:
    """Regression: the row said "Alice" while the history said "alice", and `pk doctor`
    reported the imported promise as differing from its history."""
    make("Existing", "Alice", "fri")
    record = KNOWN_NAME_RECORDS[form]
    ok("import", str(write_json(tmp_path / "in.json", [record])))
    assert_doctor_clean(pk)
    shown = ok("show", str(imported_id(ok, record["uuid"])), "--json").json
    assert shown["to"] == ["Alice"]
    assert shown["history"][0]["details"]["to"] == ["Alice"]

    # Exported and imported again into a fresh ledger: still one person, still sound.
    backup = tmp_path / "backup.json"
    ok("export", "--output", str(backup))
    fresh = tmp_path / "fresh.db"
    ok("--db", str(fresh), "import", str(backup))
    assert_doctor_clean(pk, fresh)
    copy = ok("--db", str(fresh), "show", str(imported_id(ok, record["uuid"], fresh)), "--json")
    assert copy.json["to"] == ["Alice"]
    assert [p["name"] for p in ok("--db", str(fresh), "people", "--json").json] == ["Alice"]


def test_import_of_an_edit_to_a_known_name_in_another_case(
    ok: Pk, pk: Pk, make, tmp_path: Path
) -> None:
    make("Existing", "Bob", "fri")
    edited = {
        "at": "2026-11-23T11:00:00+01:00",
        "kind": "edited",
        "details": {"changes": {"to": [["alice"], ["alice", "BOB"]]}},
    }
    record = {"uuid": "u-edit", "history": [made_event("u-edit"), edited]}
    ok("import", str(write_json(tmp_path / "in.json", [record])))
    assert_doctor_clean(pk)
    shown = ok("show", str(imported_id(ok, "u-edit")), "--json").json
    assert shown["to"] == ["alice", "Bob"]
    assert shown["history"][1]["details"]["changes"]["to"] == [["alice"], ["alice", "Bob"]]

    backup = tmp_path / "backup.json"
    ok("export", "--output", str(backup))
    fresh = tmp_path / "fresh.db"
    ok("--db", str(fresh), "import", str(backup))
    assert_doctor_clean(pk, fresh)
    copy = ok("--db", str(fresh), "show", str(imported_id(ok, "u-edit", fresh)), "--json")
    assert copy.json["to"] == ["alice", "Bob"]


# -------------------------------------------------------------------------------------------------
# People: an export is a whole backup
# -------------------------------------------------------------------------------------------------
ODD_DETAILS = {
    "email": "Zoë <zoe+pk@exämple.org>",
    "handle": "  @zoë\t(work)  ",
    "channel": "command",
    "note": "prefers mornings\nsecond line 🎉 \x1b[31m",
}


def people_json(ok: Pk, db: Path | None = None) -> dict[str, dict[str, Any]]:
    return {
        p["name"]: without(p, "open", "at_risk") for p in ok(*db_args(db), "people", "--json").json
    }


def test_round_trip_keeps_peoples_details_byte_for_byte(ok: Pk, make, tmp_path: Path) -> None:
    make("Send the numbers", "Zoë", "fri")
    make("Review", "bob", "fri")
    ok("person", "bob", "--email", "bob@example.com", "--channel", "email")
    ok("person", "carol", "--note", "no promise yet, only a note")
    db = tmp_path / "ledger.db"
    # Set Zoë's details verbatim, as an import from elsewhere could hold them (the CLI strips
    # surrounding white space; the export must still carry what the ledger holds, exactly).
    ok(
        "import",
        str(
            write_json(
                tmp_path / "z.json", {"promises": [], "people": [{"name": "zoë", **ODD_DETAILS}]}
            )
        ),
    )
    original = people_json(ok)
    assert original["Zoë"] == {"name": "Zoë", **ODD_DETAILS}

    backup = tmp_path / "backup.json"
    ok("export", "--output", str(backup))
    document = json.loads(backup.read_text(encoding="utf-8"))
    assert {p["name"] for p in document["people"]} == {"bob", "carol", "Zoë"}
    fresh = tmp_path / "fresh.db"
    result = ok("--db", str(fresh), "import", str(backup))
    assert result.stdout.splitlines() == [
        "Imported 2 promises",
        "  added 3 people with their details: bob, carol, Zoë",
    ]
    assert people_json(ok, fresh) == original
    assert exported(ok, fresh)["people"] == document["people"]
    assert db.exists()
    assert_doctor_clean(ok, fresh)


def test_import_merges_people_into_a_ledger_that_knows_them(ok: Pk, make, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    ok("--db", str(other), "promise", "Theirs", "--to", "alice", "--due", "fri")
    ok("--db", str(other), "person", "alice", "--email", "alice@home.example", "--handle", "@al")
    ok("--db", str(other), "person", "dan", "--channel", "print")
    source = write_json(
        tmp_path / "people.json",
        {
            "format": "promisekeeper",
            "version": 1,
            "promises": [plain(1, to="ALICE", uuid="p-1")],
            "people": [
                # The ledger's e-mail wins; an empty handle erases nothing; note and channel
                # were unknown and are taken.
                {
                    "name": "ALICE",
                    "email": "alice@work.example",
                    "handle": "",
                    "channel": "email",
                    "note": "met at the offsite",
                },
                {"name": "Dan", "email": None, "handle": None, "channel": "print", "note": "  "},
                {"name": "erin", "email": "erin@example.com"},
                {"name": "frank", "email": None, "handle": None, "channel": None, "note": None},
            ],
        },
    )
    result = ok("--db", str(other), "import", str(source))
    assert result.stdout.splitlines() == [
        "Imported 1 promise",
        "  added 1 person with their details: erin",
        "  added details from the import to 1 person: alice",
        "  kept this ledger's email for alice: alice@home.example"
        " (the import had alice@work.example)",
    ]
    people = people_json(ok, other)
    assert people["alice"] == {
        "name": "alice",
        "email": "alice@home.example",
        "handle": "@al",
        "channel": "email",
        "note": "met at the offsite",
    }
    assert people["dan"] == {
        "name": "dan",
        "email": None,
        "handle": None,
        "channel": "print",
        "note": None,
    }
    assert people["erin"]["email"] == "erin@example.com"
    assert "frank" not in people  # a name alone, with no promise: nothing to keep
    assert [p["to"] for p in listed(ok, other) if p["uuid"] == "p-1"] == [["alice"]]

    # The same file again: nothing new, and the ledger still says which value it kept.
    again = ok("--db", str(other), "import", str(source))
    assert again.stdout.splitlines() == [
        "Imported 0 promises (1 already in the ledger, skipped)",
        "  kept this ledger's email for alice: alice@home.example"
        " (the import had alice@work.example)",
    ]
    assert people_json(ok, other) == people


def test_old_exports_without_people_still_import(ok: Pk, make, tmp_path: Path) -> None:
    make("One", "alice", "fri")
    ok("person", "alice", "--email", "alice@example.com")
    document = exported(ok)
    del document["people"]
    other = tmp_path / "other.db"
    result = ok("--db", str(other), "import", str(write_json(tmp_path / "old.json", document)))
    assert result.stdout.splitlines() == ["Imported 1 promise"]
    assert people_json(ok, other)["alice"]["email"] is None


@pytest.mark.parametrize(
    ("people", "words"),
    [
        ({"name": "x"}, ['"people" must be a list']),
        ([{"name": "x"}, "bob"], ["people[1]", "expected an object"]),
        ([{"email": "x@y"}], ["people[0]", "'name'"]),
        ([{"name": "  "}], ["people[0]"]),
        ([{"name": "a, b"}], ["people[0]", "one name"]),
        ([{"name": "x", "email": 5}], ["people[0]", "'email'"]),
        ([{"name": "x", "channel": "fax"}], ["people[0]", "'channel'"]),
        ([{"name": "Al"}, {"name": "al"}], ["people[1]", "named twice"]),
    ],
)
def test_bad_people_import_nothing(
    people: Any, words: list[str], pk: Pk, ok: Pk, make, tmp_path: Path
) -> None:
    make("Before", "alice", "fri")
    ok("person", "alice", "--email", "alice@example.com")
    before = (listed(ok), people_json(ok))
    document = {"promises": [plain(1, uuid="new")], "people": people}
    result = pk("import", str(write_json(tmp_path / "bad.json", document)))
    assert_one_line_error(result, *words)
    assert (listed(ok), people_json(ok)) == before


# -------------------------------------------------------------------------------------------------
# De-duplication by uuid
# -------------------------------------------------------------------------------------------------
def test_importing_the_same_file_twice_skips_everything_the_second_time(
    ok: Pk, make, tmp_path: Path
) -> None:
    for i in range(3):
        make(f"Promise {i}", "alice", "fri")
    backup = tmp_path / "b.json"
    ok("export", "--output", str(backup))
    other = tmp_path / "other.db"
    assert ok("--db", str(other), "import", str(backup)).stdout.strip() == "Imported 3 promises"
    before = listed(ok, other)
    second = ok("--db", str(other), "import", str(backup))
    assert second.stdout.strip() == "Imported 0 promises (3 already in the ledger, skipped)"
    assert listed(ok, other) == before


def test_importing_an_export_into_its_own_ledger_changes_nothing(
    ok: Pk, make, tmp_path: Path
) -> None:
    make("A", "alice", "fri")
    make("B", "bob", "fri")
    backup = tmp_path / "b.json"
    ok("export", "--output", str(backup))
    before = listed(ok)
    result = ok("import", str(backup))
    assert "Imported 0 promises" in result.stdout and "2 already" in result.stdout
    assert listed(ok) == before


def test_duplicate_uuids_within_one_file_are_imported_once(ok: Pk, tmp_path: Path) -> None:
    records = [plain(1, uuid="same"), plain(2, uuid="same"), plain(3, uuid="other")]
    result = ok("import", str(write_json(tmp_path / "d.json", records)))
    assert result.stdout.strip().startswith("Imported 2 promises")
    assert "1 already" in result.stdout
    found = listed(ok)
    assert sorted(p["uuid"] for p in found) == ["other", "same"]
    assert next(p for p in found if p["uuid"] == "same")["what"] == "Promise 1"


# -------------------------------------------------------------------------------------------------
# Plain lists
# -------------------------------------------------------------------------------------------------
def test_plain_list_of_objects(ok: Pk, tmp_path: Path) -> None:
    records = [
        {"what": "Only the basics", "to": "alice", "due": "2026-12-01T17:00:00+01:00"},
        {
            "what": "  Several people  ",
            "to": ["bob", "carol"],
            "due": "2026-11-30T09:00:00Z",
            "made": "2026-11-20T08:00:00+00:00",
            "tags": ["work", "q4"],
            "note": "from the old tool",
        },
        {
            "what": "Already done",
            "to": "dave",
            "due": "2026-11-20T16:00:00+00:00",
            "made": "2026-11-10T08:00:00+00:00",
            "status": "kept",
            "kept_at": "2026-11-19T10:00:00+00:00",
        },
        {
            "what": "Could not",
            "to": "erin",
            "due": "2026-11-20T16:00:00+00:00",
            "made": "2026-11-10T08:00:00+00:00",
            "status": "broken",
            "kept_at": "2026-11-21T10:00:00+00:00",
        },
    ]
    result = ok("import", str(write_json(tmp_path / "plain.json", records)))
    assert result.stdout.strip() == "Imported 4 promises"
    found = {p["what"]: p for p in listed(ok)}
    assert set(found) == {"Only the basics", "Several people", "Already done", "Could not"}

    basic = found["Only the basics"]
    assert basic["to"] == ["alice"]
    assert basic["due"] == "2026-12-01T16:00:00+00:00"
    assert basic["original_due"] == basic["due"]
    assert basic["made"] == "2026-11-23T09:00:00+00:00"  # made defaults to now
    assert (basic["status"], basic["tags"], basic["note"]) == ("open", [], "")
    assert basic["uuid"]

    several = found["Several people"]
    assert several["to"] == ["bob", "carol"]
    assert several["due"] == "2026-11-30T09:00:00+00:00"
    assert several["made"] == "2026-11-20T08:00:00+00:00"
    assert several["tags"] == ["work", "q4"]
    assert several["note"] == "from the old tool"

    done = found["Already done"]
    assert done["status"] == "kept"
    assert done["kept_at"] == "2026-11-19T10:00:00+00:00"
    assert done["standing"] == "kept"
    history = ok("show", str(done["id"]), "--json").json["history"]
    assert [e["kind"] for e in history] == ["made", "kept"]

    broken = found["Could not"]
    assert (broken["status"], broken["kept_at"]) == ("broken", None)
    assert broken["closed_at"] == "2026-11-21T10:00:00+00:00"

    # Each got its own uuid; importing the same plain file again makes new ones (no uuid to match).
    assert len({p["uuid"] for p in found.values()}) == 4


@pytest.mark.parametrize("status", ["broken", "released"])
def test_plain_broken_or_released_without_a_close_time(status: str, ok: Pk, tmp_path: Path) -> None:
    """Closed at the due time, or at the time of import when that is earlier."""
    records = [
        plain(0, status=status, due="2026-11-20T16:00:00+00:00", made="2026-11-10T08:00:00Z"),
        plain(1, status=status),  # due 1 Dec, after the import: closed now
    ]
    result = ok("import", str(write_json(tmp_path / "closed.json", records)))
    assert result.stdout.strip() == "Imported 2 promises"
    found = {p["what"]: p for p in listed(ok)}
    past, future = found["Promise 0"], found["Promise 1"]
    assert (past["status"], past["standing"], past["kept_at"]) == (status, status, None)
    assert past["closed_at"] == "2026-11-20T16:00:00+00:00"
    assert (future["status"], future["closed_at"]) == (status, "2026-11-23T09:00:00+00:00")
    history = ok("show", str(past["id"]), "--json").json["history"]
    assert [e["kind"] for e in history] == ["made", status]
    assert_doctor_clean(ok)


def test_plain_status_kept_without_kept_at_is_an_error(pk: Pk, ok: Pk, tmp_path: Path) -> None:
    records = [plain(0), plain(1, status="kept")]
    result = pk("import", str(write_json(tmp_path / "k.json", records)))
    assert result.exit_code == 1, result.stdout + result.stderr
    assert result.stderr.startswith("pk: record 1: ")
    assert "kept_at" in result.stderr
    assert listed(ok) == []


# -------------------------------------------------------------------------------------------------
# Errors: one line, exit 1, nothing changed
# -------------------------------------------------------------------------------------------------
GOOD_HISTORY = [made_event()]
ERROR_CASES: dict[str, tuple[str, list[str]]] = {
    "invalid JSON": ('[{"what": "x",}]', ["not valid JSON", "line 1, column 15"]),
    "invalid JSON on line 3": (
        '[\n  {"what": "x", "to": "a", "due": "2026-12-01"}\n  {"what": "y"}\n]',
        ["not valid JSON", "line 3, column 3"],
    ),
    "object without promises": ('{"items": []}', ['"promises"']),
    "promises not a list": ('{"promises": {"what": "x"}}', ['"promises" must be a list']),
    "not an object": (json.dumps([plain(0), "just text"]), ["record 1", "expected an object"]),
    "what is a number": (json.dumps([{**plain(0), "what": 5}]), ["record 0", "'what'"]),
    "what is empty": (json.dumps([{**plain(0), "what": "  "}]), ["record 0", "what"]),
    "to is a number": (json.dumps([{**plain(0), "to": 7}]), ["record 0", "'to'"]),
    "to is empty": (json.dumps([{**plain(0), "to": []}]), ["record 0", "person"]),
    "due not a date": (json.dumps([{**plain(0), "due": "not a date"}]), ["record 0", "'due'"]),
    "due missing": (json.dumps([{"what": "x", "to": "a"}]), ["record 0", "'due'"]),
    "tags a string": (json.dumps([{**plain(0), "tags": "x"}]), ["record 0", "'tags'"]),
    "note a number": (json.dumps([{**plain(0), "note": 5}]), ["record 0", "'note'"]),
    "unknown status": (json.dumps([{**plain(0), "status": "done"}]), ["record 0", "status"]),
    "bad record in the middle of 100": (
        json.dumps(
            [plain(i) for i in range(50)]
            + [{**plain(50), "due": "soon"}]
            + [plain(i) for i in range(51, 100)]
        ),
        ["record 50", "'due'"],
    ),  # fmt: skip
    "unknown history kind": (
        json.dumps([plain(0), {"history": [made_event(), {"at": MADE, "kind": "teleported"}]}]),
        ["record 1", "unknown kind 'teleported'"],
    ),
    "history not starting with made": (
        json.dumps([{"history": [{"at": MADE, "kind": "kept", "details": {}}, made_event()]}]),
        ["record 0", "start with a 'made' event"],
    ),
    "history with a second made": (
        json.dumps([{"history": [made_event(), made_event("u-2")]}]),
        ["record 0", "'made'"],
    ),
    "history not a list": (json.dumps([{"history": {"kind": "made"}}]), ["record 0", "history"]),
    "history event without time": (
        json.dumps([{"history": [{**made_event(), "at": None}]}]),
        ["record 0", "'at'"],
    ),
    "made details with tags as a string": (
        json.dumps([{"history": [made_event(tags="urgent")]}]),
        ["record 0", "'tags'"],
    ),
    "made details with a number for a name": (
        json.dumps([{"history": [made_event(to=["alice", 7])]}]),
        ["record 0", "'to'"],
    ),
    "edited changes not an object": (
        json.dumps(
            [
                {
                    "history": [
                        made_event(),
                        {"at": MADE, "kind": "edited", "details": {"changes": "x"}},
                    ]
                }
            ]
        ),
        ["record 0", "changes"],
    ),  # fmt: skip
    "edited changes the due date": (
        json.dumps(
            [
                {
                    "history": [
                        made_event(),
                        {
                            "at": MADE,
                            "kind": "edited",
                            "details": {"changes": {"due": [DUE, "tomorrow"]}},
                        },
                    ]
                }
            ]
        ),
        ["record 0", "'due'"],
    ),  # fmt: skip
    "edited to a string of names": (
        json.dumps(
            [
                {
                    "history": [
                        made_event(),
                        {
                            "at": MADE,
                            "kind": "edited",
                            "details": {"changes": {"to": [["alice"], "zed"]}},
                        },
                    ]
                }
            ]
        ),
        ["record 0", "'to'"],
    ),  # fmt: skip
    "edited what to a number": (
        json.dumps(
            [
                {
                    "history": [
                        made_event(),
                        {
                            "at": MADE,
                            "kind": "edited",
                            "details": {"changes": {"what": ["Ship it", 5]}},
                        },
                    ]
                }
            ]
        ),
        ["record 0", "'what'"],
    ),  # fmt: skip
    "moved without a date": (
        json.dumps([{"history": [made_event(), {"at": MADE, "kind": "moved", "details": {}}]}]),
        ["record 0"],
    ),
    "kept at garbage": (
        json.dumps(
            [
                {
                    "history": [
                        made_event(),
                        {"at": MADE, "kind": "kept", "details": {"closed_at": "garbage"}},
                    ]
                }
            ]
        ),
        ["record 0"],
    ),  # fmt: skip
    "export of a newer format": (
        json.dumps({"format": "promisekeeper", "version": 99, "promises": [plain(0)]}),
        ["newer"],
    ),
    "deeply nested JSON": ("[" * 100_000 + "]" * 100_000, ["JSON"]),
}


@pytest.fixture
def seeded(make: Callable[..., int], tmp_path: Path) -> Path:
    """A ledger with two promises already in it; returns its path."""
    make("Existing one", "alice", "fri")
    make("Existing two", "bob", "tomorrow")
    return tmp_path / "ledger.db"


def assert_one_line_error(result: Any, *fragments: str) -> None:
    assert result.exit_code == 1, result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("pk: "), result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "internal error" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


@pytest.mark.parametrize("case", list(ERROR_CASES))
def test_bad_import_changes_nothing(
    case: str, pk: Pk, ok: Pk, seeded: Path, tmp_path: Path
) -> None:
    text, fragments = ERROR_CASES[case]
    source = tmp_path / "bad.json"
    source.write_text(text, encoding="utf-8")
    before_list = listed(ok)
    before_bytes = ledger_bytes(seeded)
    assert len(before_list) == 2

    result = pk("import", str(source))
    assert_one_line_error(result, *fragments)
    assert "nothing imported" in result.stderr or "record" not in result.stderr

    assert ledger_bytes(seeded) == before_bytes
    assert listed(ok) == before_list
    # Nothing to undo from the failed import: undo takes back the last promise instead.
    assert "Undid `pk promise`" in ok("undo").stdout


# The bounds pk promise and pk edit enforce (rules.fields), broken by an imported history: in
# the made event and in an edited event alike, refused with the words the commands use.
BOUNDS_CASES: dict[str, tuple[str, Any, str]] = {
    "what empty": ("what", "  ", "what cannot be empty"),
    "what too long": ("what", "x" * 1_000_001, "what is too long"),
    "note too long": ("note", "x" * 1_000_001, "note is too long"),
    "name too long": ("to", ["a" * 201], "at most 200 characters"),
    "nobody": ("to", [" , "], "needs a person"),
    "empty tag": ("tags", [" + "], "a tag cannot be empty"),
    "tag with a space": ("tags", ["two words"], "cannot contain spaces"),
    "effort under a minute": ("effort", 59, "between 1 minute and a year"),
    "effort over a year": ("effort", 366 * 24 * 3600 + 1, "between 1 minute and a year"),
    "effort as text": ("effort", "6h", "between 1 minute and a year"),
}


@pytest.mark.parametrize("where", ["made", "edited"])
@pytest.mark.parametrize("case", list(BOUNDS_CASES))
def test_imported_fields_are_held_to_the_bounds_of_the_commands(
    case: str, where: str, pk: Pk, ok: Pk, seeded: Path, tmp_path: Path
) -> None:
    name, value, message = BOUNDS_CASES[case]
    if where == "made":
        history = [made_event(**{name: value})]
    else:
        old = None if name == "effort" else made_event()["details"].get(name, "")
        change = {"at": MADE, "kind": "edited", "details": {"changes": {name: [old, value]}}}
        history = [made_event(), change]
    source = write_json(tmp_path / "bad.json", [{"history": history}])
    before = ledger_bytes(seeded)
    assert_one_line_error(pk("import", str(source)), "record 0", message, "nothing imported")
    assert ledger_bytes(seeded) == before


@pytest.mark.parametrize("case", ["invalid JSON", "what is a number", "unknown history kind"])
def test_bad_import_from_stdin_changes_nothing(case: str, pk: Pk, ok: Pk, seeded: Path) -> None:
    text, fragments = ERROR_CASES[case]
    before_list = listed(ok)
    before_bytes = ledger_bytes(seeded)
    assert_one_line_error(pk("import", "-", input=text), *fragments)
    assert ledger_bytes(seeded) == before_bytes
    assert listed(ok) == before_list


def test_good_import_from_stdin(ok: Pk) -> None:
    result = ok("import", "-", input=json.dumps([plain(1), plain(2)]))
    assert result.stdout.strip() == "Imported 2 promises"
    assert sorted(p["what"] for p in listed(ok)) == ["Promise 1", "Promise 2"]


def test_bad_import_into_a_missing_ledger_creates_nothing(pk: Pk, tmp_path: Path) -> None:
    source = write_json(tmp_path / "bad.json", [{**plain(0), "what": 5}])
    assert_one_line_error(pk("import", str(source)), "record 0")
    assert not (tmp_path / "ledger.db").exists()


def test_missing_import_file(pk: Pk, ok: Pk, seeded: Path, tmp_path: Path) -> None:
    before_list = listed(ok)
    before_bytes = ledger_bytes(seeded)
    missing = tmp_path / "no-such-file.json"
    result = pk("import", str(missing))
    assert_one_line_error(result, "cannot read", str(missing), "No such file")
    assert ledger_bytes(seeded) == before_bytes
    assert listed(ok) == before_list


def test_import_file_that_is_not_utf8(pk: Pk, ok: Pk, seeded: Path, tmp_path: Path) -> None:
    source = tmp_path / "latin1.json"
    text = '[{"what": "Gr\u00fc\u00dfe", "to": "a", "due": "2026-12-01"}]'
    source.write_bytes(text.encode("latin-1"))
    before_bytes = ledger_bytes(seeded)
    assert_one_line_error(pk("import", str(source)), "cannot read")
    assert ledger_bytes(seeded) == before_bytes


def test_import_of_a_directory(pk: Pk, seeded: Path, tmp_path: Path) -> None:
    before_bytes = ledger_bytes(seeded)
    assert_one_line_error(pk("import", str(tmp_path)), "cannot read")
    assert ledger_bytes(seeded) == before_bytes


# -------------------------------------------------------------------------------------------------
# Size, undo, export options
# -------------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_import_of_10000_plain_records(ok: Pk, tmp_path: Path) -> None:
    source = write_json(tmp_path / "big.json", [plain(i) for i in range(10_000)])
    started = time.perf_counter()
    result = ok("import", str(source))
    elapsed = time.perf_counter() - started
    print(f"imported 10,000 records in {elapsed:.2f}s")
    assert result.stdout.strip() == "Imported 10000 promises"
    found = listed(ok)
    assert len(found) == 10_000
    assert {p["what"] for p in found} == {f"Promise {i}" for i in range(10_000)}


def test_undo_after_import_removes_everything_it_added(ok: Pk, make, tmp_path: Path) -> None:
    make("Before the import", "alice", "fri")
    before = listed(ok)
    source = write_json(tmp_path / "i.json", [plain(i) for i in range(5)])
    ok("import", str(source))
    assert len(listed(ok)) == 6
    undone = ok("undo")
    assert "Undid `pk import`" in undone.stdout
    assert listed(ok) == before
    # The same file imports again in full: the undone promises left no uuids behind.
    assert ok("import", str(source)).stdout.strip() == "Imported 5 promises"


def test_undo_after_an_export_import_removes_moved_and_deleted_promises(
    ok: Pk, rich_ledger: dict[str, int], tmp_path: Path
) -> None:
    backup = tmp_path / "backup.json"
    ok("export", "--output", str(backup))
    other = tmp_path / "other.db"
    ok("--db", str(other), "promise", "Mine", "--to", "me", "--due", "fri")
    before = exported(ok, other)["promises"]
    ok("--db", str(other), "import", str(backup))
    assert len(exported(ok, other)["promises"]) == len(rich_ledger) + 1
    # Changes from another ledger are taken back on purpose, by their id (finding 9).
    last = ok("--db", str(other), "undo", "--list", "--json").json[0]
    assert (last["command"], last["other_ledger"]) == ("import", True)
    ok("--db", str(other), "undo", "--change", str(last["change"]))
    assert exported(ok, other)["promises"] == before


def test_undo_after_an_import_that_added_nothing(ok: Pk, tmp_path: Path) -> None:
    source = write_json(tmp_path / "i.json", [plain(1, uuid="a"), plain(2, uuid="b")])
    ok("import", str(source))
    assert "Imported 0 promises" in ok("import", str(source)).stdout
    # The empty import is nothing to take back: undo removes the first import's promises.
    assert "Undid `pk import`" in ok("undo").stdout
    assert listed(ok) == []


def test_export_output_writes_the_file(ok: Pk, make, tmp_path: Path) -> None:
    make("One", "alice", "fri")
    make("Two", "bob", "tomorrow")
    target = tmp_path / "out" / "backup.json"
    target.parent.mkdir()
    result = ok("export", "--output", str(target))
    assert result.stdout.strip() == f"Exported to {target}"
    document = json.loads(target.read_text(encoding="utf-8"))
    assert document["format"] == "promisekeeper"
    assert document["version"] == 1
    assert document["exported_at"] == "2026-11-23T09:00:00+00:00"
    assert sorted(p["what"] for p in document["promises"]) == ["One", "Two"]
    assert all(p["history"][0]["kind"] == "made" for p in document["promises"])
    assert document == ok("export").json
    assert sorted(os.listdir(target.parent)) == ["backup.json"]  # no temporary file left


def test_export_output_replaces_an_existing_file(ok: Pk, make, tmp_path: Path) -> None:
    target = tmp_path / "backup.json"
    target.write_text("old contents that are much longer than nothing" * 100)
    make("One", "alice", "fri")
    ok("export", "-o", str(target))
    assert len(json.loads(target.read_text())["promises"]) == 1


def test_export_output_into_a_missing_directory(pk: Pk, make, tmp_path: Path) -> None:
    make()
    target = tmp_path / "nope" / "backup.json"
    assert_one_line_error(pk("export", "--output", str(target)), "cannot write")
    assert not target.parent.exists()


def test_export_of_an_empty_ledger(ok: Pk, tmp_path: Path) -> None:
    assert ok("export").json["promises"] == []
    assert not (tmp_path / "ledger.db").exists()


def test_an_unknown_export_format_is_a_usage_error(pk: Pk, make, tmp_path: Path) -> None:
    make()
    target = tmp_path / "x.xml"
    result = pk("export", "--format", "xml", "--output", str(target))
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "json, ics, vdir, csv" in result.stderr
    assert not target.exists()
    assert result.stdout == ""
