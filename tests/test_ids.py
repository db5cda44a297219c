"""Ids people can use on every machine (issue 15, part 3): besides its local `#id`, every
promise is named by the start of its uuid, the same in every ledger that holds it. `pk show`
shows the shortest start that names it alone (at least 8 hex digits, with a letter), and every
command that takes an ID takes it, in any case, with the dashes of the uuid or without; a
start made of digits only is a local id, so `u:` marks one (rules.ids)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from conftest import Pk
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

A = "3f9a1c2d-5e6f-4a0b-8c1d-2e3f4a5b6c7d"
B = "3f9a7e01-aaaa-4bbb-8ccc-dddddddddddd"  # begins as A does: 3f9a
C = "31415926-53a8-4979-8323-846264338327"  # digits only until its 11th hex digit
D = "c0ffee00-1234-4abc-9def-0123456789ab"
E = "deadbeef-1111-4000-8000-000000000001"
F = "deadbeef-2222-4000-8000-000000000002"  # the same first 8 hex digits as E
UUIDS = [A, B, C, D, E, F]


def records(uuids: list[str], **extra: object) -> list[dict[str, object]]:
    return [
        {"what": f"Promise {n}", "to": "alice", "due": "2026-12-04T17:00:00+01:00", "uuid": u}
        | extra
        for n, u in enumerate(uuids, start=1)
    ]


def load(ok: Pk, tmp_path: Path, items: list[dict[str, object]], *db: str) -> None:
    source = tmp_path / f"import-{len(list(tmp_path.iterdir()))}.json"
    source.write_text(json.dumps(items), encoding="utf-8")
    ok(*db, "import", str(source))


@pytest.fixture
def six(ok: Pk, tmp_path: Path) -> None:
    """#1-#6: promises to alice with the uuids A-F."""
    load(ok, tmp_path, records(UUIDS))
    assert [p["uuid"] for p in ok("list", "--json").json] == UUIDS


def shown_id(ok: Pk, ident: str, *db: str) -> str:
    """The every-machine id `pk show` shows."""
    line = next(x for x in ok(*db, "show", ident).stdout.splitlines() if x.startswith("Id "))
    here, _, everywhere = line.removeprefix("Id").strip().partition(" here, ")
    assert everywhere.endswith(" on every machine"), line
    return everywhere.removesuffix(" on every machine")


def one_line_error(result: object, code: int = 1) -> str:
    assert result.exit_code == code, (result.stdout, result.stderr)  # type: ignore[attr-defined]
    assert result.stdout == ""  # type: ignore[attr-defined]
    lines = result.stderr.splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1 and lines[0].startswith("pk: "), lines
    assert "Traceback" not in result.stderr  # type: ignore[attr-defined]
    return lines[0]


# -------------------------------------------------------------------------------------------------
# What pk show shows
# -------------------------------------------------------------------------------------------------
def test_show_gives_the_shortest_start_that_names_the_promise_alone(ok: Pk, six: None) -> None:
    assert [shown_id(ok, str(n)) for n in range(1, 7)] == [
        "3f9a1c2d",  # 8 hex digits: no other uuid begins so
        "3f9a7e01",
        "31415926-53a",  # lengthened to its first letter: 3141592653 would be a local id
        "c0ffee00",
        "deadbeef-1",  # deadbeef names two promises
        "deadbeef-2",
    ]
    assert "Id        #2 here, 3f9a7e01 on every machine" in ok("show", "2").stdout
    assert ok("show", "2", "--json").json["uuid"] == B  # --json as it was: the whole uuid


def test_what_show_shows_can_be_typed_back(ok: Pk, six: None) -> None:
    for n in range(1, 7):
        assert ok("show", shown_id(ok, str(n)), "--json").json["id"] == n


# -------------------------------------------------------------------------------------------------
# Every command that takes an ID takes the start of a uuid
# -------------------------------------------------------------------------------------------------
COMMANDS = [
    (["show"], lambda p: p["id"] == 4),
    (["keep"], lambda p: p["status"] == "kept"),
    (["move", "{id}", "dec 10"], lambda p: p["moves"] == 1),
    (["break"], lambda p: p["status"] == "broken"),
    (["release"], lambda p: p["status"] == "released"),
    (["note", "{id}", "draft sent"], lambda p: p["history"][-1]["kind"] == "note"),
    (["edit", "{id}", "--what", "Renamed"], lambda p: p["what"] == "Renamed"),
    (["checkpoint", "{id}", "draft", "--by", "wed"], lambda p: len(p["checkpoints"]) == 1),
    (["notify", "{id}", "--via", "print"], lambda p: p["history"][-1]["kind"] == "notified"),
]


@pytest.mark.parametrize("args,done", COMMANDS, ids=lambda c: c[0] if isinstance(c, list) else "")
@pytest.mark.parametrize("typed", ["c0ffee", "C0FFEE00", "c0ffee00-12", "u:c0ff", D, D.upper()])
def test_each_command_takes_the_start_of_a_uuid(
    ok: Pk, six: None, args: list[str], done: object, typed: str
) -> None:
    argv = [a.replace("{id}", typed) for a in args] if len(args) > 1 else [*args, typed]
    result = ok(*argv)
    assert "#4" in result.stdout or args == ["show"]
    shown = ok("show", "4", "--json").json
    assert done(shown), shown  # type: ignore[operator]
    untouched = ok("show", "3", "--json").json
    assert untouched["status"] == "open" and len(untouched["history"]) == 1


def test_reopen_and_delete_take_it_too(ok: Pk, pk: Pk, six: None) -> None:
    ok("keep", "c0ffee")
    assert ok("reopen", "C0FFEE", "--json").json["status"] == "open"
    ok("delete", "c0ffee00", "--yes")
    assert [p["id"] for p in ok("list", "--status", "all", "--json").json] == [1, 2, 3, 5, 6]
    # a deleted promise is not found by its uuid any more
    assert one_line_error(pk("show", "c0ffee")) == "pk: no promise with id c0ffee"


def test_nudge_takes_it_for_what_is_owed_to_you(ok: Pk, tmp_path: Path) -> None:
    load(ok, tmp_path, records([D], direction="owed"))
    result = ok("nudge", "C0FFEE", "--via", "print")
    assert "#1" in result.stdout
    assert ok("show", "1", "--json").json["history"][-1]["kind"] == "nudged"


def test_stop_takes_it_for_an_occurrence_of_a_series(ok: Pk) -> None:
    ok("promise", "Weekly status", "--to", "alice", "--every", "monday 10am")
    occurrence = ok("list", "--json").json[0]
    typed = shown_id(ok, str(occurrence["id"]))
    assert occurrence["uuid"].startswith(typed)
    result = ok("stop", typed)
    assert "Stopped" in result.stdout or "stopped" in result.stdout, result.stdout


def test_global_db_after_the_id_is_the_ledger_searched(ok: Pk, tmp_path: Path) -> None:
    other = str(tmp_path / "other.db")
    load(ok, tmp_path, records([D]), "--db", other)
    assert ok("show", "c0ffee", "--db", other, "--json").json["uuid"] == D
    assert ok("keep", "c0ffee", "--db", other).stdout.startswith("Kept #1")


# -------------------------------------------------------------------------------------------------
# No match, more than one match, and text that is no id
# -------------------------------------------------------------------------------------------------
def test_an_ambiguous_start_names_how_many_and_what_to_type(pk: Pk, six: None) -> None:
    line = one_line_error(pk("keep", "3f9a"))
    assert line == (
        "pk: 3f9a could be 2 promises: 3f9a1c2d (#1), 3f9a7e01 (#2); "
        "type more of the uuid of the one you mean"
    )
    line = one_line_error(pk("show", "DEADBEEF"))
    assert "DEADBEEF could be 2 promises: deadbeef-1 (#5), deadbeef-2 (#6)" in line
    assert pk("show", "1", "--json").json["status"] == "open"  # nothing was kept


def test_many_matches_are_counted_and_five_named(pk: Pk, ok: Pk, tmp_path: Path) -> None:
    uuids = [f"abcd{n:04x}-0000-4000-8000-000000000000" for n in range(12)]
    load(ok, tmp_path, records(uuids))
    line = one_line_error(pk("move", "abcd", "fri"))
    assert line.startswith("pk: abcd could be 12 promises: abcd0000 (#1), abcd0001 (#2), ")
    assert "abcd0004 (#5) and 7 more; type more" in line


def test_no_match_is_one_line(pk: Pk, six: None, isolated: Path) -> None:
    assert one_line_error(pk("show", "beef")) == "pk: no promise with id beef"
    assert one_line_error(pk("keep", "3f9a1c2e")) == "pk: no promise with id 3f9a1c2e"
    assert one_line_error(pk("break", "u:task-17")) == "pk: no promise with id u:task-17"
    assert one_line_error(pk("show", "beef", "--db", str(isolated.with_name("none.db"))))
    assert not isolated.with_name("none.db").exists()  # a lookup never makes a ledger


@pytest.mark.parametrize(
    "typed",
    ["abc", "3f9g", "#3f9a", "3f9a!", "0", "u:", "u:\u202e3f9a", "x" * 300, "3f9a\x1b[31m"],
)
def test_text_that_is_no_id_is_a_usage_error(pk: Pk, six: None, typed: str) -> None:
    typed = typed.encode().decode("unicode_escape")
    result = pk("show", typed)
    assert result.exit_code == 2, result.stderr
    assert "\x1b" not in result.stderr and "\u202e" not in result.stderr
    assert "Traceback" not in result.stderr


def test_digits_alone_are_a_local_id_and_u_marks_the_start_of_a_uuid(pk: Pk, six: None) -> None:
    assert one_line_error(pk("show", "3141")) == "pk: no promise with id 3141"
    assert one_line_error(pk("show", "31415926")) == "pk: no promise with id 31415926"
    assert pk("show", "u:3141", "--json").json["id"] == 3
    assert pk("show", "U:31415926-53", "--json").json["id"] == 3
    assert pk("show", "31415926-53a", "--json").json["id"] == 3  # as pk show shows it
    assert pk("show", "3", "--json").json["uuid"] == C


def test_a_uuid_that_is_not_hex_is_shown_and_taken_whole(ok: Pk, tmp_path: Path) -> None:
    load(ok, tmp_path, records(["task-17", "TASK-18"]))
    assert shown_id(ok, "1") == "u:task-17"
    assert ok("show", "u:task-17", "--json").json["id"] == 1
    assert ok("keep", "u:TASK-18", "--json").json["id"] == 2


# -------------------------------------------------------------------------------------------------
# The same on every machine
# -------------------------------------------------------------------------------------------------
def test_the_same_promise_has_the_same_id_in_two_ledgers(ok: Pk, tmp_path: Path) -> None:
    there = str(tmp_path / "laptop.db")
    ok("promise", "Send the numbers", "--to", "alice", "--due", "fri")
    ok("promise", "Book the venue", "--to", "bob", "--due", "mon")
    ok("--db", there, "promise", "Only on the laptop", "--to", "carol", "--due", "fri")
    backup = tmp_path / "backup.json"
    backup.write_text(ok("export").stdout, encoding="utf-8")
    ok("--db", there, "import", str(backup))
    here_id = shown_id(ok, "2")
    assert shown_id(ok, "3", "--db", there) == here_id  # #2 here is #3 on the laptop
    assert ok("--db", there, "show", here_id, "--json").json["what"] == "Book the venue"
    assert ok("keep", here_id, "--db", there).stdout.startswith("Kept #3 Book the venue")


# -------------------------------------------------------------------------------------------------
# Fast at 100,000 promises: a range of the uuid index, never a scan
# -------------------------------------------------------------------------------------------------
def test_the_lookup_is_a_range_of_the_uuid_index(ok: Pk, six: None, isolated: Path) -> None:
    from promisekeeper.rules.ids import read_id, uuid_forms
    from promisekeeper.store import queries

    conn = sqlite3.connect(isolated)
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    for typed in ("3f9a", "3f9a1c2d-5e", "C0FFEE00-1234-4ABC"):
        queries.promises_with_uuid_start(conn, uuid_forms(read_id(typed).digits), 5)
        queries.promises_with_uuid_start(conn, uuid_forms(read_id(typed).digits), 1)  # counts
    queries.promise_with_uuid(conn, "task-17")
    conn.set_trace_callback(None)
    assert len(statements) == 10 and sum("count(*)" in s for s in statements) == 3
    for statement in statements:
        plan = [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {statement}")]
        assert plan and not any(s.startswith("SCAN") and "subquery" not in s for s in plan), plan
        searches = [step for step in plan if step.startswith("SEARCH promises")]
        assert searches and all("INDEX sqlite_autoindex_promises" in s for s in searches), plan
        assert all("uuid>? AND uuid<?" in s or "uuid=?" in s for s in searches), plan
    conn.close()


@pytest.mark.slow
def test_a_start_of_a_uuid_is_found_at_once_among_100000_promises(
    ok: Pk, six: None, isolated: Path
) -> None:
    import time
    import uuid

    conn = sqlite3.connect(isolated)
    row = conn.execute("SELECT * FROM promises WHERE id = 1").fetchone()
    columns = [c[1] for c in conn.execute("PRAGMA table_info(promises)")]
    at = columns.index("uuid")
    fill = [
        tuple(str(uuid.uuid4()) if i == at else None if c == "id" else v
              for i, (c, v) in enumerate(zip(columns, row, strict=True)))
        for _ in range(100_000)
    ]  # fmt: skip
    marks = ", ".join("?" for _ in columns)
    conn.executemany(f"INSERT INTO promises VALUES ({marks})", fill)
    conn.commit()
    conn.close()
    start = time.perf_counter()
    assert ok("show", "c0ffee00-1234", "--json").json["id"] == 4
    assert shown_id(ok, "3f9a1c2d") == "3f9a1c2d"
    assert time.perf_counter() - start < 5


# -------------------------------------------------------------------------------------------------
# Any text where an id belongs: the promise it names, or one line
# -------------------------------------------------------------------------------------------------
ID_TEXT = st.one_of(
    st.text(st.sampled_from("0123456789abcdefABCDEF-#u: x\x1b\u202e"), max_size=40),
    st.sampled_from(UUIDS).flatmap(
        lambda u: st.tuples(st.integers(0, 36), st.booleans()).map(
            lambda c: (u[: c[0]].upper() if c[1] else u[: c[0]])
        )
    ),
    st.text(max_size=20),
)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(typed=ID_TEXT)
def test_any_id_text_names_one_promise_or_says_why_not(pk: Pk, six: None, typed: str) -> None:
    if typed.startswith("-") or "\x00" in typed:
        return  # an option to click; no command line holds NUL
    result = pk("show", typed, "--json")
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    if result.exit_code == 0:
        found = result.json
        body = typed.strip()
        if body.removeprefix("#").isdigit():
            assert found["id"] == int(body.removeprefix("#"))
        else:
            digits = body[2:] if body[:2].lower() == "u:" else body
            assert found["uuid"].replace("-", "").startswith(digits.replace("-", "").lower())
            others = [u for u in UUIDS if u != found["uuid"]]
            assert not any(
                u.replace("-", "").startswith(digits.replace("-", "").lower()) for u in others
            )
    else:
        assert result.exit_code in (1, 2), result.stderr
        assert result.stdout == "" and result.stderr.count("\n") == 1, result.stderr
        assert result.stderr.startswith("pk: ")


# -------------------------------------------------------------------------------------------------
# The rule itself (rules.ids), as the commands above use it
# -------------------------------------------------------------------------------------------------
def test_the_rule_reads_what_was_typed() -> None:
    from promisekeeper.model.errors import NotAnId
    from promisekeeper.rules.ids import IdText, read_id, shown_form, uuid_forms

    assert read_id("#12") == IdText("#12", local=12)
    assert read_id(" 3F9A-1c ") == IdText(" 3F9A-1c ", digits="3f9a1c")
    assert read_id("u:3141").digits == "3141"
    assert read_id("U:task-17").whole == "task-17"
    assert read_id(A.upper()).digits == A.replace("-", "")
    for bad in ("abc", "0", "-3f9a", "#3f9a", "u:", "3f9a" * 9, "3f9g", "9" * 20):
        with pytest.raises(NotAnId):
            read_id(bad)
    assert uuid_forms("3f9a") == ["3f9a", "3F9A"]
    assert uuid_forms("3141") == ["3141"]
    assert uuid_forms("3f9a1c2d5e") == ["3f9a1c2d-5e", "3f9a1c2d5e", "3F9A1C2D-5E", "3F9A1C2D5E"]
    assert uuid_forms(A.replace("-", ""))[0] == A
    assert shown_form(C, 11) == "31415926-53a"
    assert shown_form(C.replace("-", ""), 11) == "3141592653a"
