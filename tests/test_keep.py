"""`pk keep`: marking a promise kept, on time or late."""

from __future__ import annotations

from conftest import Pk


def test_keep_now_before_the_due_date_is_on_time(ok: Pk, make) -> None:
    pid = make("Send the numbers", "alice", "fri")
    result = ok("keep", str(pid))
    assert result.stdout.strip() == (
        "Kept #1 Send the numbers → alice — on time, 4 days 7 hours early"
    )
    obj = ok("show", str(pid), "--json").json
    assert obj["status"] == "kept"
    assert obj["standing"] == "kept"
    assert obj["kept_at"] == "2026-11-23T09:00:00+00:00"
    assert [e["kind"] for e in obj["history"]] == ["made", "kept"]


def test_keep_after_the_due_date_says_how_late(ok: Pk, make) -> None:
    pid = make("report", "bob", "tomorrow 9am")
    result = ok("keep", str(pid), now="2026-11-24T12:30:00+01:00")
    assert "3 hours 30 minutes late" in result.stdout
    assert ok("show", str(pid), "--json").json["standing"] == "kept_late"


def test_keep_at_a_time_means_the_most_recent_such_time(ok: Pk, make) -> None:
    first = make("report", "bob", "fri")
    second = make("slides", "bob", "fri")
    ok("keep", str(first), "--at", "8am")
    ok("keep", str(second), "--at", "16:00")
    assert ok("show", str(first), "--json").json["kept_at"] == "2026-11-23T07:00:00+00:00"
    assert ok("show", str(second), "--json").json["kept_at"] == "2026-11-22T15:00:00+00:00"


def test_keep_at_in_the_past_counts_for_lateness(ok: Pk, make) -> None:
    pid = make("report", "bob", "tomorrow 9am")
    ok(
        "keep",
        str(pid),
        "--at",
        "2026-11-24 08:00",
        "--note",
        "sent by mail",
        now="2026-11-25T10:00:00+01:00",
    )
    obj = ok("show", str(pid), "--json").json
    assert obj["kept_at"] == "2026-11-24T07:00:00+00:00"
    assert obj["standing"] == "kept"
    assert obj["history"][-1]["details"]["note"] == "sent by mail"


def test_keep_in_the_future_is_refused(pk: Pk, make) -> None:
    pid = make("report", "bob", "fri")
    result = pk("keep", str(pid), "--at", "2026-11-24 08:00")
    assert result.exit_code == 1
    assert "future" in result.stderr


def test_keeping_twice_is_an_error(pk: Pk, ok: Pk, make) -> None:
    pid = make()
    ok("keep", str(pid))
    again = pk("keep", str(pid))
    assert again.exit_code == 1
    assert "already" in again.stderr or "not open" in again.stderr
    assert len(ok("show", str(pid), "--json").json["history"]) == 2


def test_unknown_id(pk: Pk) -> None:
    result = pk("keep", "42")
    assert result.exit_code == 1
    assert result.stderr == "pk: no promise with id 42\n"


def test_bad_id_is_a_usage_error(pk: Pk) -> None:
    assert pk("keep", "abc").exit_code == 2
    assert pk("keep").exit_code == 2
