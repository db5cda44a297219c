"""Calendars and spreadsheets (issue 15, part 6): `pk export --format ics | vdir | csv`.

Every check reads what pk wrote with a real reader: icalendar (what pk writes with), vobject (an
independent parser), and the csv module.
"""

from __future__ import annotations

import csv
import io
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import vobject
from conftest import Pk
from icalendar import Calendar

HOSTILE = (
    'Line one\nline two\r\nthree, with commas; semicolons: colons \\ back "quotes" '
    "ünïcödé 🙂 中文 \u202e bidi \x1b[31m escape"
)


def todos(text: str) -> dict[str, Any]:
    """The VTODOs of an ICS text by UID, as icalendar reads them."""
    calendar = Calendar.from_ical(text)
    return {str(todo["UID"]): todo for todo in calendar.walk("VTODO")}


def vtodos(text: str) -> dict[str, Any]:
    """The same, as vobject reads them."""
    calendar = vobject.readOne(text)
    return {todo.uid.value: todo for todo in calendar.vtodo_list}


def promises(ok: Pk) -> dict[str, dict[str, Any]]:
    """Every promise by what, deleted ones too (as the JSON export has them)."""
    return {p["what"]: p for p in ok("export").json["promises"]}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.fixture
def ledger(ok: Pk, make) -> dict[str, dict[str, Any]]:
    """Open, kept (late), broken, released, owed to you, and deleted promises."""
    make("Send the numbers", "alice", "fri", "--tag", "work", "--tag", "q3", "--note", "the Q3 set")
    make("Review the RFC", "bob", "tomorrow 9am", now="2026-11-20T10:00:00+01:00")
    ok("keep", "2", "--at", "2026-11-24T12:00:00+01:00", now="2026-11-24T13:00:00+01:00")
    make("Book the venue", "carol", "wed")
    ok("break", "3", "--reason", "vendor failed")
    make("Call the plumber", "dave", "thu")
    ok("release", "4", "--reason", "fixed it himself")
    ok("expect", "Signed contract", "--from", "erin", "--by", "fri", "--tag", "legal")
    make("Made by mistake", "frank", "fri")
    ok("delete", "6", "--yes")
    make("Two people", "alice", "fri", "--to", "bob", "--includes", "slides", "--source", "mail")
    return promises(ok)


def test_ics_round_trips_through_two_readers(
    ok: Pk, ledger: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    """uid, summary with the person, due, created, status and completion, tags, owed: the
    same through icalendar and vobject; the deleted promise is left out; times in UTC; lines
    end in CRLF (read from a file: the test runner's stdout turns CRLF into LF)."""
    ok("export", "--format", "ics", str(tmp_path / "p.ics"))
    text = (tmp_path / "p.ics").read_bytes().decode("utf-8")
    assert "\n" not in text.replace("\r\n", "")
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:")
    assert text.endswith("END:VCALENDAR\r\n")
    ours, theirs = todos(text), vtodos(text)
    expected = {p["uuid"] for p in ledger.values() if p["what"] != "Made by mistake"}
    assert set(ours) == set(theirs) == expected
    assert ledger["Made by mistake"]["uuid"] not in text
    status = {
        "Send the numbers": "NEEDS-ACTION",
        "Review the RFC": "COMPLETED",
        "Book the venue": "CANCELLED",
        "Call the plumber": "CANCELLED",
        "Signed contract": "NEEDS-ACTION",
        "Two people": "NEEDS-ACTION",
    }
    for what, state in status.items():
        p = ledger[what]
        todo, other = ours[p["uuid"]], theirs[p["uuid"]]
        assert str(todo["STATUS"]) == other.status.value == state
        assert todo.decoded("DUE") == other.due.value == utc(p["due"])
        assert todo.decoded("CREATED") == other.created.value == utc(p["made"])
        assert todo.decoded("DUE").tzinfo is not None
        assert f"DUE:{utc(p['due']):%Y%m%dT%H%M%S}Z" in text
    kept = ledger["Review the RFC"]
    assert ours[kept["uuid"]].decoded("COMPLETED") == utc(kept["kept_at"])
    assert theirs[kept["uuid"]].completed.value == utc("2026-11-24T12:00:00+01:00")
    assert "COMPLETED" not in ours[ledger["Book the venue"]["uuid"]]
    mine, owed = ledger["Send the numbers"], ledger["Signed contract"]
    assert str(ours[mine["uuid"]]["SUMMARY"]) == "Send the numbers → alice"
    assert theirs[owed["uuid"]].summary.value == "Signed contract ← erin"
    assert theirs[owed["uuid"]].description.value == "erin promised you this."
    assert theirs[mine["uuid"]].description.value == "You promised this to alice.\n\nthe Q3 set"
    assert theirs[mine["uuid"]].categories.value == ["work", "q3"]
    assert [str(c) for c in ours[mine["uuid"]]["CATEGORIES"].cats] == ["work", "q3"]
    assert theirs[owed["uuid"]].categories.value == ["legal"]
    two = theirs[ledger["Two people"]["uuid"]]
    assert two.summary.value == "Two people → alice, bob"
    assert [c.value for c in two.contact_list] == ["alice", "bob"]
    assert two.description.value == (
        "You promised this to alice, bob.\n\nIncludes:\n- slides\n\nSource: mail"
    )


def test_dtstamp_is_the_last_change_a_calendar_shows(ok: Pk, make) -> None:
    """Made, then moved on the 24th, then a note and a reminder later: DTSTAMP and
    LAST-MODIFIED are the move's time; the output is the same bytes on every run."""
    make("Send the numbers", "alice", "fri")
    ok("move", "1", "2026-12-01", now="2026-11-24T08:00:00+01:00")
    ok("note", "1", "half done", now="2026-11-25T08:00:00+01:00")
    text = ok("export", "--format", "ics", now="2026-11-26T08:00:00+01:00").stdout
    (todo,) = todos(text).values()
    moved = datetime(2026, 11, 24, 7, tzinfo=UTC)
    assert todo.decoded("DTSTAMP") == todo.decoded("LAST-MODIFIED") == moved
    assert todo.decoded("CREATED") == datetime(2026, 11, 23, 9, tzinfo=UTC)
    assert ok("export", "--format", "ics", now="2026-11-27T08:00:00+01:00").stdout == text


def test_ics_to_a_file_and_to_stdout_are_the_same(
    ok: Pk, ledger: dict[str, Any], tmp_path: Path
) -> None:
    text = ok("export", "--format", "ics").stdout  # CRLF read back as LF by the runner
    assert ok("export", "--format", "ics", "-").stdout == text
    out = ok("export", "--format", "ics", str(tmp_path / "p.ics")).stdout
    assert out == f"Exported to {tmp_path / 'p.ics'}\n"
    written = (tmp_path / "p.ics").read_bytes()
    assert written.replace(b"\r\n", b"\n") == text.encode("utf-8")
    ok("export", "-f", "ics", "--output", str(tmp_path / "o.ics"))
    assert (tmp_path / "o.ics").read_bytes() == written
    ok("export", "-f", "csv", "--output", str(tmp_path / "o.csv"))
    csv_text = (tmp_path / "o.csv").read_bytes()
    assert csv_text.replace(b"\r\n", b"\n") == ok("export", "-f", "csv").stdout.encode()
    assert csv_text.count(b"\r\n") == 7


def test_an_empty_ledger_is_an_empty_calendar(ok: Pk) -> None:
    text = ok("export", "--format", "ics").stdout
    assert todos(text) == {} and vobject.readOne(text).name == "VCALENDAR"
    assert ok("export", "--format", "csv").stdout.startswith("id,uuid,what,to,")


def test_hostile_text_survives_ics_and_csv(ok: Pk, make, tmp_path: Path) -> None:
    """Line breaks, commas, semicolons, backslashes, quotes, unicode and 20,000 characters
    come back the same through both ICS readers and the csv module; control characters,
    which RFC 5545 does not allow, are left out of the ICS only."""
    long = "Lorem ipsum, dolor; sit 🙂 " * 800
    make(HOSTILE, 'Zoë "the" boss; ünïcödé', "fri", "--note", HOSTILE + long, "--tag", "a,b;c")
    text = ok("export", "--format", "ics").stdout
    assert max(len(line.encode("utf-8")) for line in text.split("\n")) <= 75
    assert "\x1b" not in text
    in_ics = HOSTILE.replace("\r\n", "\n").replace("\x1b", "")
    person = 'Zoë "the" boss; ünïcödé'
    (todo,) = todos(text).values()
    (other,) = vtodos(text).values()
    assert str(todo["SUMMARY"]) == other.summary.value == f"{in_ics} → {person}"
    description = f"You promised this to {person}.\n\n{in_ics}{long.strip()}"
    assert str(todo["DESCRIPTION"]) == other.description.value == description
    assert other.categories.value == ["a,b;c"] and other.contact.value == person
    ok("export", "--format", "csv", str(tmp_path / "p.csv"))  # stdout here loses the CR
    with (tmp_path / "p.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 1
    assert rows[0]["what"] == HOSTILE and rows[0]["to"] == person
    assert rows[0]["note"] == HOSTILE + long.strip() and rows[0]["tags"] == "a,b;c"


def test_csv_is_one_row_a_promise(ok: Pk, ledger: dict[str, dict[str, Any]]) -> None:
    text = ok("export", "--format", "csv").stdout
    assert text.splitlines()[0] == (
        "id,uuid,what,to,direction,status,standing,made,due,original_due,kept_at,closed_at,"
        "moves,late_moves,effort_hours,tags,note,includes,excludes,source,series"
    )
    rows = {r["what"]: r for r in csv.DictReader(io.StringIO(text, newline=""))}
    assert set(rows) == set(ledger) - {"Made by mistake"}
    for what, row in rows.items():
        p = ledger[what]
        assert row["uuid"] == p["uuid"] and row["id"] == str(p["id"])
        assert (row["status"], row["standing"], row["due"]) == (
            p["status"],
            p["standing"],
            p["due"],
        )
        assert row["direction"] == p["direction"] and row["kept_at"] == (p["kept_at"] or "")
    assert rows["Two people"]["to"] == "alice; bob" and rows["Two people"]["includes"] == "slides"
    assert rows["Send the numbers"]["tags"] == "work; q3"
    assert rows["Signed contract"]["direction"] == "owed"
    assert rows["Review the RFC"]["kept_at"] == "2026-11-24T11:00:00+00:00"


# -------------------------------------------------------------------------------------------------
# vdir
# -------------------------------------------------------------------------------------------------
def files(directory: Path) -> dict[str, tuple[bytes, int, int]]:
    """The .ics files: name → (bytes, mtime in ns, inode)."""
    found = {}
    for path in directory.iterdir():
        if path.suffix == ".ics":
            info = path.stat()
            found[path.name] = (path.read_bytes(), info.st_mtime_ns, info.st_ino)
    return found


def test_a_vdir_is_kept_in_place(ok: Pk, ledger: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    """One <uuid>.ics per promise not deleted, each a calendar with one to-do; run again,
    nothing is touched; move one: only its file changes; delete one: its file goes; a file
    pk did not write stays; a promise whose making is undone loses its file."""
    vdir = tmp_path / "cal" / "promises"
    out = ok("export", "--format", "vdir", str(vdir)).stdout
    assert out == f"Exported to {vdir}: 6 written, 0 unchanged, 0 removed\n"
    first = files(vdir)
    live = {p["uuid"] for p in ledger.values() if p["what"] != "Made by mistake"}
    assert set(first) == {f"{uuid}.ics" for uuid in live}
    for name, (data, _mtime, _inode) in first.items():
        text = data.decode("utf-8")
        (uid,) = todos(text)
        assert name == f"{uid}.ics" and list(vtodos(text)) == [uid]
    assert todos(first[f"{ledger['Review the RFC']['uuid']}.ics"][0].decode())
    (vdir / "foreign.ics").write_text("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", encoding="utf-8")
    (vdir / "displayname").write_text("Promises", encoding="utf-8")

    out = ok("export", "--format", "vdir", str(vdir), now="2026-11-24T10:00:00+01:00").stdout
    assert out.endswith(": 0 written, 6 unchanged, 0 removed\n")
    assert {k: v for k, v in files(vdir).items() if k != "foreign.ics"} == first

    ok("move", "1", "2026-12-04", now="2026-11-24T10:00:00+01:00")
    ok("note", "5", "chased them", now="2026-11-24T10:00:00+01:00")  # not shown: no rewrite
    out = ok("export", "--format", "vdir", str(vdir), now="2026-11-24T11:00:00+01:00").stdout
    assert out.endswith(": 1 written, 5 unchanged, 0 removed\n")
    second = files(vdir)
    moved = f"{ledger['Send the numbers']['uuid']}.ics"
    assert {name for name in first if second[name] != first[name]} == {moved}
    (todo,) = todos(second[moved][0].decode()).values()
    assert todo.decoded("DUE") == datetime(2026, 12, 4, 16, tzinfo=UTC)

    ok("delete", "1", "--yes")
    make_late = ok("promise", "Undone soon", "--to", "gus", "--due", "fri", "--json").json
    ok("export", "--format", "vdir", str(vdir))
    assert f"{make_late['uuid']}.ics" in files(vdir)
    ok("undo", "--yes")  # takes the making back: the promise leaves the ledger
    out = ok("export", "--format", "vdir", "--output", str(vdir)).stdout
    assert out.endswith(": 0 written, 5 unchanged, 1 removed\n")
    third = files(vdir)
    assert moved not in third and f"{make_late['uuid']}.ics" not in third
    assert "foreign.ics" in third and (vdir / "displayname").read_text() == "Promises"
    assert set(third) == {name for name in first if name != moved} | {"foreign.ics"}
    assert not [p for p in vdir.iterdir() if ".pk-" in p.name]  # no temporary file left


def test_a_vdir_names_files_safely(ok: Pk, tmp_path: Path) -> None:
    """An imported uuid may be any text: one that is not a plain file name gets a file named
    by its hash, inside the directory, and goes when its promise is deleted."""
    record = {"uuid": "../../escape\nme", "what": "Odd", "to": ["alice"], "due": "2026-11-27"}
    (tmp_path / "in.json").write_text(json.dumps([record]), encoding="utf-8")
    ok("import", str(tmp_path / "in.json"))
    vdir = tmp_path / "v"
    ok("export", "--format", "vdir", str(vdir))
    (name,) = files(vdir)
    assert name.startswith("pk-") and not (tmp_path.parent / "escape").exists()
    assert list(todos(files(vdir)[name][0].decode())) == ["../../escape\nme"]
    ok("delete", "1", "--yes")
    assert ok("export", "--format", "vdir", str(vdir)).stdout.endswith(", 1 removed\n")
    assert files(vdir) == {}


def one_line_error(result: Any, code: int, *fragments: str) -> None:
    assert result.exit_code == code, result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("pk: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def test_export_errors_are_one_line(pk: Pk, make, tmp_path: Path) -> None:
    make()
    one_line_error(pk("export", "--format", "xml"), 2, "json, ics, vdir, csv", "'xml'")
    one_line_error(pk("export", "--format", "vdir"), 2, "needs the directory")
    one_line_error(pk("export", "--format", "vdir", "-"), 2, "needs the directory")
    one_line_error(pk("export", "a.ics", "--output", "b.ics"), 2, "not both")
    afile = tmp_path / "afile"
    afile.write_text("keep me", encoding="utf-8")
    one_line_error(pk("export", "--format", "vdir", str(afile)), 1, "not a directory")
    one_line_error(pk("export", "--format", "vdir", str(afile / "sub")), 1, "cannot make")
    one_line_error(pk("export", "--format", "ics", str(tmp_path / "no" / "x.ics")), 1, "cannot")
    assert afile.read_text(encoding="utf-8") == "keep me"
    ledger = tmp_path / "ledger.db"
    one_line_error(pk("export", "--format", "csv", str(ledger)), 1)
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        one_line_error(pk("export", "--format", "vdir", str(locked)), 1, "cannot write")


def test_help_names_the_formats_and_the_vdir_rules(ok: Pk) -> None:
    text = " ".join(ok("export", "--help").stdout.split())
    for fragment in ("ics", "vdir", "csv", "pk export --format vdir", "left alone"):
        assert fragment in text, fragment


# -------------------------------------------------------------------------------------------------
# At size
# -------------------------------------------------------------------------------------------------
def export_peak(ok: Pk, *args: str) -> int:
    """The peak of memory allocated while `pk export ARGS` runs in this process."""
    import tracemalloc

    tracemalloc.start()
    try:
        ok("export", *args)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_calendar_export_memory_does_not_grow_with_the_ledger(ok: Pk, tmp_path: Path) -> None:
    """2,000 then 20,000 promises: the ICS and CSV exports' peaks stay within 1.5x (holding
    every promise or the whole text would take ten times as much for ten times the ledger)."""
    from test_exchange_scale import load, plain

    load(ok, tmp_path, [plain(n, kept=n % 3 == 0) for n in range(2_000)])
    for form in ("ics", "csv"):
        ok("export", "--format", form, str(tmp_path / f"warm.{form}"))  # imports, once
    small = {f: export_peak(ok, "-f", f, str(tmp_path / f"small.{f}")) for f in ("ics", "csv")}
    load(ok, tmp_path, [plain(n, kept=n % 3 == 0) for n in range(2_000, 20_000)], "more.json")
    large = {f: export_peak(ok, "-f", f, str(tmp_path / f"large.{f}")) for f in ("ics", "csv")}
    text = (tmp_path / "large.ics").read_text(encoding="utf-8")
    assert text.count("BEGIN:VTODO") == 20_000 and text.count("STATUS:COMPLETED") == 6_667
    assert len(list(csv.reader((tmp_path / "large.csv").open(newline="")))) == 20_001
    for form in ("ics", "csv"):
        assert large[form] < 1.5 * small[form], (form, small, large)


def test_a_vdir_that_cannot_be_written_says_so_and_leaves_no_debris(
    pk: Pk, ok: Pk, make, tmp_path: Path
) -> None:
    """A directory where a promise's file belongs: one line, no temporary file left, the
    list of what pk wrote as it was; once it is out of the way, the next export finishes."""
    make("First", "alice", "fri")
    make("Second", "bob", "fri")
    vdir = tmp_path / "v"
    ok("export", "--format", "vdir", str(vdir))
    listed = (vdir / ".promisekeeper").read_bytes()
    uuid = promises(ok)["Second"]["uuid"]
    (vdir / f"{uuid}.ics").unlink()
    (vdir / f"{uuid}.ics").mkdir()
    ok("move", "1", "mon")
    one_line_error(
        pk("export", "--format", "vdir", str(vdir)), 1, f"cannot write {vdir}", "next export"
    )
    assert sorted(p.name for p in vdir.iterdir() if ".pk-" in p.name) == []
    assert (vdir / ".promisekeeper").read_bytes() == listed
    (vdir / f"{uuid}.ics").rmdir()
    out = ok("export", "--format", "vdir", str(vdir)).stdout
    assert out.endswith(": 2 written, 0 unchanged, 0 removed\n")


def test_on_a_terminal_csv_and_ics_show_escapes(make, tmp_path: Path) -> None:
    """Written to a terminal, CSV (which keeps control characters) shows them as escapes, as
    every other command does; piped or to a file it is the text itself (tests above)."""
    import sys

    pexpect = pytest.importorskip("pexpect")
    pk = Path(sys.executable).parent / "pk"
    if not pk.exists():
        pytest.skip("needs the installed pk entry point")
    make("Red \x1b[31m alert \u202e", "alice", "fri")
    shown = {}
    for form in ("csv", "ics"):
        child = pexpect.spawn(
            str(pk), ["export", "--format", form], env=dict(os.environ), encoding="utf-8"
        )
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0, child.before
        shown[form] = child.before
        assert "\x1b" not in shown[form] and "\u202e" not in shown[form]
    assert "Red \\x1b[31m alert \\u202e" in shown["csv"]
    assert "SUMMARY:Red [31m alert \\u202e → alice" in shown["ics"]  # no control in ICS
