"""`pk move`: renegotiating the due date honestly."""

from __future__ import annotations

from conftest import Pk


def test_move_before_the_deadline_keeps_original_and_counts(ok: Pk, make) -> None:
    pid = make("report", "alice", "fri")
    result = ok("move", str(pid), "next monday", "--reason", "waiting for data")
    assert "now due Mon 30 Nov 17:00, in 7 days (move 1)" in result.stdout
    assert "Moved before the deadline. Tell alice" in result.stdout
    obj = ok("show", str(pid), "--json").json
    assert obj["due"] == "2026-11-30T16:00:00+00:00"
    assert obj["original_due"] == "2026-11-27T16:00:00+00:00"
    assert obj["moves"] == 1
    moved = obj["history"][-1]
    assert moved["kind"] == "moved"
    assert moved["details"] == {
        "from": "2026-11-27T16:00:00+00:00",
        "to": "2026-11-30T16:00:00+00:00",
        "before_deadline": True,
        "reason": "waiting for data",
    }


def test_move_after_the_deadline_does_not_erase_lateness(ok: Pk, make) -> None:
    pid = make("report", "alice", "tomorrow 9am")
    result = ok("move", str(pid), "fri", now="2026-11-24T12:00:00+01:00")
    assert "after the deadline" in result.stdout
    obj = ok("show", str(pid), "--json", now="2026-11-24T12:00:00+01:00").json
    assert obj["standing"] == "on_track"
    assert obj["history"][-1]["details"]["before_deadline"] is False
    # Kept on the new date, but the lateness stays on the record.
    ok("keep", str(pid), now="2026-11-26T10:00:00+01:00")
    assert ok("show", str(pid), "--json").json["standing"] == "kept_late"


def test_moves_are_counted(ok: Pk, make) -> None:
    pid = make("report", "alice", "fri")
    ok("move", str(pid), "mon")
    ok("move", str(pid), "tue")
    assert ok("show", str(pid), "--json").json["moves"] == 2


def test_move_to_the_past_or_same_date_or_closed_is_refused(pk: Pk, ok: Pk, make) -> None:
    pid = make("report", "alice", "fri")
    assert pk("move", str(pid), "yesterday").exit_code == 1
    same = pk("move", str(pid), "fri")
    assert same.exit_code == 1 and "already due" in same.stderr
    ok("keep", str(pid))
    closed = pk("move", str(pid), "mon")
    assert closed.exit_code == 1 and "reopen" in closed.stderr
    assert pk("move", str(pid), "gibberish").exit_code == 1
    assert pk("move", "99", "mon").exit_code == 1
