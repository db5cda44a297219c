"""Recurring promises through the CLI: `pk promise --every`, occurrences made on demand, each
kept, late or broken on its own; `pk stop`; `pk list --series`; `pk show`; and export/import
never duplicating an occurrence."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import Pk
from ledger_checks import assert_sound

BERLIN = "+01:00"


def at(local: str) -> str:
    """'2026-11-30 09:30' (Berlin, winter) as PK_NOW."""
    return local.replace(" ", "T") + ":00" + BERLIN


def listed(ok: Pk, *args: str, now: str | None = None) -> list[dict[str, Any]]:
    return ok("list", "--status", "all", "--json", *args, now=now).json


def series_rows(db: Path) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT uuid, rule, stopped_ts FROM series").fetchall()
    finally:
        conn.close()


def changes(db: Path) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT id, command FROM changes ORDER BY id").fetchall()
    finally:
        conn.close()


# -------------------------------------------------------------------------------------------------
# Done when: a weekly series over six weeks
# -------------------------------------------------------------------------------------------------
def six_weeks(ok: Pk, db: list[str] | None = None) -> None:
    """A weekly status for alice, Mondays 10:00, from Mon 30 Nov: #1 kept on time, #2 kept
    late, #3 moved a day and kept on the new date, #4 broken, #5 and #6 kept on time."""
    extra = db or []
    ok(*extra, "promise", "Weekly status", "--to", "alice", "--every", "monday 10am")
    ok(*extra, "keep", "1", now=at("2026-11-30 09:30"))
    ok(*extra, "keep", "2", now=at("2026-12-07 15:00"))
    ok(*extra, "move", "3", "2026-12-15 10:00", now=at("2026-12-12 12:00"))
    ok(*extra, "keep", "3", now=at("2026-12-15 09:00"))
    ok(*extra, "break", "4", "--reason", "off sick", now=at("2026-12-20 18:00"))
    ok(*extra, "keep", "5", now=at("2026-12-28 09:00"))
    ok(*extra, "today", "--no-prompt", now=at("2027-01-04 08:00"))
    ok(*extra, "keep", "6", now=at("2027-01-04 09:00"))


def test_a_weekly_series_over_six_weeks(ok: Pk, isolated: Path) -> None:
    out = ok("promise", "Weekly status", "--to", "alice", "--every", "monday 10am").stdout
    assert "Promised #1 Weekly status → alice" in out
    assert "every monday at 10:00; first due Mon 30 Nov 10:00, in 7 days" in out
    # Only the first occurrence exists: the next waits until this one is closed or due soon.
    assert [p["id"] for p in listed(ok)] == [1]
    ok("keep", "1", now=at("2026-11-30 09:30"))
    ok("keep", "2", now=at("2026-12-07 15:00"))
    ok("move", "3", "2026-12-15 10:00", now=at("2026-12-12 12:00"))
    ok("keep", "3", now=at("2026-12-15 09:00"))
    ok("break", "4", "--reason", "off sick", now=at("2026-12-20 18:00"))
    ok("keep", "5", now=at("2026-12-28 09:00"))
    ok("today", "--no-prompt", now=at("2027-01-04 08:00"))
    ok("keep", "6", now=at("2027-01-04 09:00"))
    found = listed(ok, now=at("2027-01-04 09:00"))
    assert [(p["id"], p["due"], p["standing"]) for p in found] == [
        (1, "2026-11-30T09:00:00+00:00", "kept"),
        (2, "2026-12-07T09:00:00+00:00", "kept_late"),
        (3, "2026-12-15T09:00:00+00:00", "kept"),  # moved a day: the series was not
        (4, "2026-12-21T09:00:00+00:00", "broken"),
        (5, "2026-12-28T09:00:00+00:00", "kept"),
        (6, "2027-01-04T09:00:00+00:00", "kept"),
        (7, "2027-01-11T09:00:00+00:00", "on_track"),
    ]
    assert len({p["series"] for p in found}) == 1 and found[0]["series"]
    assert len({p["uuid"] for p in found}) == 7
    # Each occurrence counts on its own in the record.
    stats = ok("stats", "--json", now=at("2027-01-04 09:00")).json
    assert (stats["made"], stats["kept"], stats["kept_on_time"], stats["kept_late"]) == (7, 5, 4, 1)
    assert (stats["broken"], stats["open"], stats["moved"]) == (1, 1, 1)
    trust = ok("trust", "alice", "--json", now=at("2027-01-04 09:00")).stdout
    assert "alice" in trust
    assert_sound(isolated)


def test_the_next_occurrence_appears_within_the_risk_window(ok: Pk, isolated: Path) -> None:
    ok("promise", "Weekly status", "--to", "alice", "--every", "monday 10am")
    # #1 (Mon 30 Nov) left open and overdue: #2 (Mon 7 Dec) exists only once it is due within
    # the risk window (24 hours), and `pk today` makes it then.
    ok("today", "--no-prompt", now=at("2026-12-06 09:00"))
    assert [p["id"] for p in listed(ok, now=at("2026-12-06 09:00"))] == [1]
    out = ok("today", "--no-prompt", now=at("2026-12-06 10:30")).stdout
    assert "#2  Weekly status → alice" in out
    assert [p["id"] for p in listed(ok, now=at("2026-12-06 10:30"))] == [1, 2]
    assert changes(isolated)[-1][1] == "repeat"
    # and `pk undo` passes that bookkeeping by: it takes back the user's own last change.
    out = ok("undo", "--dry-run", now=at("2026-12-06 10:30")).stdout
    assert "pk promise" in out


def test_pk_today_writes_nothing_when_no_occurrence_is_due(ok: Pk, isolated: Path) -> None:
    ok("promise", "Send the numbers", "--to", "bob", "--due", "fri")
    before = changes(isolated)
    ok("today", "--no-prompt")
    assert changes(isolated) == before  # no series at all
    ok("promise", "Weekly status", "--to", "alice", "--every", "monday 10am")
    before = changes(isolated)
    ok("today", "--no-prompt", now=at("2026-11-25 10:00"))
    ok("remind", now=at("2026-11-25 10:00"))
    assert [c for c in changes(isolated) if c[1] != "remind"] == before


def test_a_ledger_without_series_pays_one_indexed_query(ok: Pk, isolated: Path) -> None:
    from promisekeeper.model.settings import Config
    from promisekeeper.services.ledger import Ledger

    ok("promise", "Send the numbers", "--to", "bob", "--due", "fri")
    ledger = Ledger(
        isolated, now=datetime.fromisoformat("2026-11-23T10:00:00+01:00"), config=Config()
    )
    ledger.today()
    statements: list[str] = []
    assert ledger._conn is not None
    ledger._conn.set_trace_callback(statements.append)
    assert ledger.repeat_due() == []
    ledger._conn.set_trace_callback(None)
    assert len(statements) == 1 and "FROM series" in statements[0]
    plan = " ".join(row[3] for row in ledger._conn.execute(f"EXPLAIN QUERY PLAN {statements[0]}"))
    assert "series_active" in plan
    ledger.close()


# -------------------------------------------------------------------------------------------------
# "after done"
# -------------------------------------------------------------------------------------------------
def test_every_3_days_after_done_follows_the_keep_times(ok: Pk) -> None:
    out = ok("promise", "Water the plants", "--to", "carol", "--every", "every 3 days after done")
    assert "every 3 days at 17:00 after done; first due Thu 26 Nov 17:00" in out.stdout
    ok("keep", "1", now=at("2026-11-25 20:00"))  # a day early: the next counts from then
    ok("today", "--no-prompt", now=at("2026-11-30 09:00"))
    ok("keep", "2", now=at("2026-11-30 12:00"))  # two days late: again from then
    ok("today", "--no-prompt", now=at("2026-12-05 09:00"))  # #3 open and overdue: no #4 yet
    found = listed(ok, now=at("2026-12-05 09:00"))
    assert [(p["id"], p["due"], p["standing"]) for p in found] == [
        (1, "2026-11-26T16:00:00+00:00", "kept"),
        (2, "2026-11-28T16:00:00+00:00", "kept_late"),
        (3, "2026-12-03T16:00:00+00:00", "overdue"),
    ]
    shown = ok("show", "3", now=at("2026-12-05 09:00")).stdout
    assert "every 3 days at 17:00 after done · next counted from when the open one is done" in shown


# -------------------------------------------------------------------------------------------------
# Ends: --count, --until, pk stop
# -------------------------------------------------------------------------------------------------
def test_count_ends_the_series(ok: Pk) -> None:
    ok("promise", "Stand-up notes", "--to", "team", "--every", "weekday 9am", "--count", "2")
    ok("keep", "1", now=at("2026-11-24 09:00"))
    ok("keep", "2", now=at("2026-11-25 09:00"))
    ok("today", "--no-prompt", now=at("2026-11-26 08:00"))
    assert [p["id"] for p in listed(ok, now=at("2026-11-26 08:00"))] == [1, 2]
    views = ok("list", "--series", "--json").json
    assert views[0]["count"] == 2 and views[0]["next"] == []


def test_until_ends_the_series(ok: Pk) -> None:
    ok("promise", "Status", "--to", "alice", "--every", "monday 10am", "--until", "2026-12-08")
    ok("keep", "1", now=at("2026-11-30 10:00"))
    ok("keep", "2", now=at("2026-12-07 10:00"))
    assert [p["id"] for p in listed(ok, now=at("2026-12-07 10:00"))] == [1, 2]


def test_stop_ends_the_series_and_open_occurrences_stay(ok: Pk, isolated: Path) -> None:
    ok("promise", "Weekly status", "--to", "alice", "--every", "monday 10am")
    out = ok("stop", "1").stdout
    assert "Stopped the series Weekly status (every monday at 10:00): no more occurrences." in out
    assert "Still promised: #1 Weekly status → alice" in out
    ok("keep", "1", now=at("2026-11-30 10:00"))
    assert [p["id"] for p in listed(ok, now=at("2026-11-30 10:00"))] == [1]
    text = ok("list", "--series").stdout
    assert "stopped Mon 23 Nov 10:00" in text and "0 running" in text
    assert "pk stop" not in text.split("\n")[1]


def test_stop_drop_open_releases_them(ok: Pk, pk: Pk) -> None:
    ok("promise", "Weekly status", "--to", "alice", "--every", "monday 10am")
    result = ok("stop", "#1", "--drop-open", "--json").json
    assert result["stopped_at"] == "2026-11-23T09:00:00+00:00"
    assert [(p["id"], p["status"]) for p in result["released"]] == [(1, "released")]
    history = ok("show", "1", "--json").json["history"]
    assert history[-1]["details"]["reason"] == "the series was stopped (pk stop --drop-open)"
    again = pk("stop", "1")
    assert again.exit_code == 1
    assert again.stderr.strip() == "pk: the series of promise 1 is stopped already"


def test_undo_takes_back_a_stop_and_a_series(ok: Pk, isolated: Path) -> None:
    ok("promise", "Weekly status", "--to", "alice", "--every", "monday 10am")
    ok("stop", "1")
    ok("undo", "--yes")
    assert series_rows(isolated)[0][2] is None  # running again
    ok("undo", "--yes")
    # The series is gone; its row stays, marked removed, so the undo travels to the other
    # replicas and an import cannot bring it back.
    conn = sqlite3.connect(isolated)
    assert conn.execute("SELECT removed FROM series").fetchall() == [(1,)]
    conn.close()
    assert ok("list", "--series", "--json").json == []
    assert listed(ok) == []
    assert_sound(isolated)


# -------------------------------------------------------------------------------------------------
# show, list --series, --json
# -------------------------------------------------------------------------------------------------
def test_show_names_the_series_and_its_next_dates(ok: Pk) -> None:
    ok("promise", "Weekly status", "--to", "alice", "--every", "monday 10am", "--count", "3")
    out = ok("show", "1").stdout
    assert (
        "Series    every monday at 10:00 · 3 in all · next Mon 7 Dec 10:00, Mon 14 Dec 10:00" in out
    )
    data = ok("show", "1", "--json").json
    assert data["series"] == data["recurrence"]["uuid"]
    assert data["recurrence"]["rule"] == "every monday at 10:00"
    assert data["recurrence"]["next"] == ["2026-12-07T09:00:00+00:00", "2026-12-14T09:00:00+00:00"]
    plain = ok("promise", "Other", "--to", "bob", "--due", "fri", "--json").json
    assert plain["series"] is None
    assert "Series" not in ok("show", str(plain["id"])).stdout


def test_list_series(ok: Pk) -> None:
    assert ok("list", "--series").stdout.startswith("No series.")
    assert ok("list", "--series", "--json").json == []
    ok("promise", "Weekly status", "--to", "alice", "--every", "monday 10am")
    ok("promise", "Invoices", "--to", "bob", "--every", "monthly on the 1st", "--tag", "money")
    ok("keep", "1", now=at("2026-11-30 10:00"))
    out = ok("list", "--series", now=at("2026-11-30 10:00")).stdout.splitlines()
    assert out[0] == "#3  Weekly status → alice"
    # The details are packed at " · " into lines that fit 80 columns.
    assert out[1:3] == [
        "    every monday at 10:00",
        "    next Mon 14 Dec 10:00, Mon 21 Dec 10:00, Mon 28 Dec 10:00 · 2 made, 1 kept",
    ]
    assert out[3] == "    pk stop 3"
    assert all(len(line) <= 80 for line in out)
    assert out[4] == "#2  Invoices → bob"
    assert out[-1] == "2 series · 2 running"
    views = ok("list", "--series", "--json", now=at("2026-11-30 10:00")).json
    assert [v["occurrences"] for v in views] == [[1, 3], [2]]
    assert views[1]["tags"] == ["money"] and views[1]["rule"] == "every month on the 1st at 17:00"


# -------------------------------------------------------------------------------------------------
# Bad input: one line, nothing written
# -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--every", "fortnightly"],
            'pk: cannot understand --every "fortnightly"; try e.g. "monday 10am", '
            '"every weekday 9am", "every 2 weeks fri", "monthly on the 1st", '
            '"every 3 days after done"',
        ),
        (
            ["--every", "monday 10am", "--until", "fri"],
            "pk: --until Fri 27 Nov 17:00 is before the first occurrence, Mon 30 Nov 10:00: "
            "nothing would be promised",
        ),
        (["--every", "monday 10am", "--count", "0"], "pk: --count must be 1 or more, not 0"),
        (["--every", "monday 10am", "--count", "-3"], "pk: --count must be 1 or more, not -3"),
        (["--every", "monday", "--until", "someday"], "pk: cannot understand date"),
    ],
)
def test_bad_every_is_refused_in_one_line(
    pk: Pk, isolated: Path, args: list[str], message: str
) -> None:
    result = pk("promise", "Weekly status", "--to", "alice", *args)
    assert result.exit_code == 1
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1
    assert not isolated.exists() or series_rows(isolated) == []


@pytest.mark.parametrize(
    "args",
    [
        ["--every", "monday", "--due", "fri"],
        ["--until", "fri", "--due", "fri"],
        ["--every", "monday", "--until", "2027-01-01", "--count", "3"],
        ["--every", "monday", "--count", "three"],
    ],
)
def test_conflicting_options_are_usage_errors(pk: Pk, args: list[str]) -> None:
    result = pk("promise", "Weekly status", "--to", "alice", *args)
    assert result.exit_code == 2
    assert "Traceback" not in result.stdout + result.stderr


def test_stop_needs_an_occurrence(ok: Pk, pk: Pk) -> None:
    ok("promise", "Send the numbers", "--to", "bob", "--due", "fri")
    result = pk("stop", "1")
    assert (result.exit_code, result.stderr) == (1, "pk: promise 1 is not part of a series\n")
    result = pk("stop", "9")
    assert (result.exit_code, result.stderr) == (1, "pk: no promise with id 9\n")


def test_help_has_examples(ok: Pk) -> None:
    assert (
        'pk promise "Weekly status" --to alice --every "monday 10am"'
        in ok("promise", "--help").stdout
    )
    assert "pk stop 12 --drop-open" in ok("stop", "--help").stdout
    assert "pk list --series" in ok("list", "--help").stdout


# -------------------------------------------------------------------------------------------------
# Replicas: the same export twice, two ledgers importing each other's exports
# -------------------------------------------------------------------------------------------------
def test_importing_the_same_export_twice_never_duplicates(
    ok: Pk, isolated: Path, tmp_path: Path
) -> None:
    six_weeks(ok)
    exported = tmp_path / "a.json"
    ok("export", "--output", str(exported), now=at("2027-01-04 09:00"))
    document = json.loads(exported.read_text(encoding="utf-8"))
    assert len(document["series"]) == 1
    assert document["series"][0]["rule"] == "every monday at 10:00"
    other = ["--db", str(tmp_path / "b.db")]
    ok(*other, "import", str(exported), now=at("2027-01-04 10:00"))
    ok(*other, "import", str(exported), now=at("2027-01-04 10:00"))
    found = listed(ok, *other, now=at("2027-01-04 10:00"))
    assert len(found) == 7 and len({p["uuid"] for p in found}) == 7
    assert ok(*other, "list", "--series", "--json").json[0]["occurrences"] == [1, 2, 3, 4, 5, 6, 7]
    assert_sound(tmp_path / "b.db")


def test_two_ledgers_importing_each_others_exports_never_duplicate(
    ok: Pk, isolated: Path, tmp_path: Path
) -> None:
    a, b = ["--db", str(tmp_path / "a.db")], ["--db", str(tmp_path / "b.db")]
    ok(*a, "promise", "Weekly status", "--to", "alice", "--every", "monday 10am")
    ok(*a, "export", "--output", str(tmp_path / "a1.json"))
    ok(*b, "import", str(tmp_path / "a1.json"))
    # Both keep #1 on their own machine, each making the next occurrence (Mon 7 Dec) itself;
    # then both run the daily view when the one after comes due within the risk window.
    ok(*a, "keep", "1", now=at("2026-11-30 09:00"))
    ok(*b, "keep", "1", now=at("2026-11-30 09:30"))
    ok(*a, "keep", "2", now=at("2026-12-07 09:00"))
    ok(*b, "today", "--no-prompt", now=at("2026-12-13 11:00"))
    ok(*a, "export", "--output", str(tmp_path / "a2.json"), now=at("2026-12-13 12:00"))
    ok(*b, "export", "--output", str(tmp_path / "b2.json"), now=at("2026-12-13 12:00"))
    ok(*a, "import", str(tmp_path / "b2.json"), now=at("2026-12-13 12:00"))
    ok(*b, "import", str(tmp_path / "a2.json"), now=at("2026-12-13 12:00"))
    for ledger in (a, b):
        found = listed(ok, *ledger, now=at("2026-12-13 12:00"))
        scheduled = [p["original_due"] for p in found]
        assert scheduled == [
            "2026-11-30T09:00:00+00:00",
            "2026-12-07T09:00:00+00:00",
            "2026-12-14T09:00:00+00:00",
        ], ledger
        assert len({p["uuid"] for p in found}) == 3
    uuids_a = {p["uuid"] for p in listed(ok, *a, now=at("2026-12-13 12:00"))}
    uuids_b = {p["uuid"] for p in listed(ok, *b, now=at("2026-12-13 12:00"))}
    assert uuids_a == uuids_b
    assert len(ok(*a, "list", "--series", "--json").json) == 1


def test_a_stop_travels_with_the_export(ok: Pk, tmp_path: Path) -> None:
    a, b = ["--db", str(tmp_path / "a.db")], ["--db", str(tmp_path / "b.db")]
    ok(*a, "promise", "Weekly status", "--to", "alice", "--every", "monday 10am")
    ok(*a, "export", "--output", str(tmp_path / "a1.json"))
    ok(*b, "import", str(tmp_path / "a1.json"))
    ok(*a, "stop", "1", now=at("2026-11-24 10:00"))
    ok(*a, "export", "--output", str(tmp_path / "a2.json"), now=at("2026-11-24 10:00"))
    ok(*b, "import", str(tmp_path / "a2.json"), now=at("2026-11-24 11:00"))
    view = ok(*b, "list", "--series", "--json").json[0]
    assert view["stopped_at"] == "2026-11-24T09:00:00+00:00"
    ok(*b, "keep", "1", now=at("2026-11-30 10:00"))
    assert len(listed(ok, *b, now=at("2026-11-30 10:00"))) == 1


def test_a_bad_series_in_an_import_is_refused_whole(ok: Pk, pk: Pk, tmp_path: Path) -> None:
    ok("promise", "Weekly status", "--to", "alice", "--every", "monday 10am")
    document = json.loads(ok("export").stdout)
    document["series"][0]["rule"] = "whenever"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document), encoding="utf-8")
    result = pk("--db", str(tmp_path / "other.db"), "import", str(bad))
    assert result.exit_code == 1
    assert result.stderr.startswith('pk: series[0]: cannot understand --every "whenever"')
    assert result.stderr.rstrip().endswith("nothing imported")


def test_undo_of_a_keep_takes_back_the_occurrence_it_made(ok: Pk, isolated: Path) -> None:
    ok("promise", "Weekly status", "--to", "alice", "--every", "monday 10am")
    out = ok("keep", "1", now=at("2026-11-30 09:00")).stdout
    assert out.splitlines()[:2] == [
        "Kept #1 Weekly status → alice — on time, 1 hour early",
        "  next in the series: #2 Weekly status → alice, due Mon 7 Dec 10:00, in 7 days",
    ]
    assert [p["id"] for p in listed(ok, now=at("2026-11-30 09:00"))] == [1, 2]
    out = ok("undo", "--yes", now=at("2026-11-30 09:05")).stdout
    assert "#2 Weekly status" in out
    found = listed(ok, now=at("2026-11-30 09:05"))
    assert [(p["id"], p["status"]) for p in found] == [(1, "open")]
    # and keeping it again makes the same occurrence again: the same identity
    ok("keep", "1", now=at("2026-11-30 09:10"))
    again = listed(ok, now=at("2026-11-30 09:10"))
    assert len(again) == 2 and again[1]["due"] == "2026-12-07T09:00:00+00:00"
    assert_sound(isolated)


def test_a_monday_10am_series_stays_at_10_local_across_the_clock_change(ok: Pk) -> None:
    # Berlin moves to summer time on Sun 28 Mar 2027: 10:00 local is 09:00 UTC before, 08:00
    # after.
    start = "2027-03-15T12:00:00+01:00"
    ok("promise", "Weekly status", "--to", "alice", "--every", "monday 10am", now=start)
    ok("keep", "1", now="2027-03-22T09:00:00+01:00")
    ok("keep", "2", now="2027-03-29T09:00:00+02:00")
    found = listed(ok, now="2027-03-29T09:00:00+02:00")
    assert [p["due"] for p in found] == [
        "2027-03-22T09:00:00+00:00",
        "2027-03-29T08:00:00+00:00",
        "2027-04-05T08:00:00+00:00",
    ]
    shown = ok("show", "3", now="2027-03-29T09:00:00+02:00").stdout
    assert "Due       Mon 5 Apr 10:00" in shown


def test_promise_every_json(ok: Pk) -> None:
    made = ok("promise", "Invoices", "--to", "bob", "--every", "monthly on the 1st", "--json").json
    assert made["id"] == 1 and made["due"] == "2026-12-01T16:00:00+00:00"
    assert made["series"] == made["recurrence"]["uuid"]
    assert made["recurrence"]["rule"] == "every month on the 1st at 17:00"
    assert made["recurrence"]["start"] == "2026-12-01T17:00"


@pytest.mark.parametrize(
    ("rule", "stored"),
    [
        ("monday\x1f10am", "every monday at 10:00"),
        ("EVERY Monday\u2028at 10:00", "every monday at 10:00"),
        ("monday", None),
    ],
)
def test_an_imported_rule_is_kept_in_the_one_form_pk_writes(
    ok: Pk, pk: Pk, tmp_path: Path, rule: str, stored: str | None
) -> None:
    ok("promise", "Weekly status", "--to", "alice", "--every", "monday 10am")
    document = json.loads(ok("export").stdout)
    document["series"][0]["rule"] = rule
    path = tmp_path / "in.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    other = ["--db", str(tmp_path / "other.db")]
    result = pk(*other, "import", str(path))
    if stored is None:
        assert result.exit_code == 1
        assert "'rule' must give a time of day" in result.stderr
        return
    assert result.exit_code == 0, result.stderr
    assert ok(*other, "list", "--series", "--json").json[0]["rule"] == stored
    assert "\x1f" not in ok(*other, "list", "--series").stdout
