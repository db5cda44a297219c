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
    first = make("report", "bob", "fri", now="2026-11-20T10:00:00+01:00")
    second = make("slides", "bob", "fri", now="2026-11-20T10:00:00+01:00")
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


def test_keep_at_before_the_promise_was_made_is_refused(pk: Pk, ok: Pk, make) -> None:
    # Made Mon 7 Dec 10:00; "yesterday 16:00" is before it existed, not "8 days early".
    pid = make("report", "bob", "tue", now="2026-12-07T10:00:00+01:00")
    result = pk("keep", str(pid), "--at", "yesterday 16:00", now="2026-12-07T11:00:00+01:00")
    assert result.exit_code == 1
    assert result.stderr == (
        f"pk: cannot keep promise {pid} at Sun 6 Dec 16:00: it was made later, Mon 7 Dec 10:00\n"
    )
    obj = ok("show", str(pid), "--json").json
    assert obj["status"] == "open" and [e["kind"] for e in obj["history"]] == ["made"]


def test_keep_at_a_weekday_means_the_latest_one(ok: Pk, make) -> None:
    # On Saturday 12 Dec, "thu 12:00" is two days ago, not next Thursday ("in the future").
    pid = make("report", "bob", "fri", now="2026-12-07T10:00:00+01:00")
    result = ok("keep", str(pid), "--at", "thu 12:00", now="2026-12-12T10:00:00+01:00")
    assert "on time, 1 day 5 hours early" in result.stdout
    assert "  delivered Thu 10 Dec 12:00, 1 day ago" in result.stdout
    assert ok("show", str(pid), "--json").json["kept_at"] == "2026-12-10T11:00:00+00:00"


def test_keep_at_echoes_the_numeric_date_it_understood(ok: Pk, make, isolated) -> None:
    (isolated.parent / "config.toml").write_text('date_order = "DMY"\n')
    pid = make("report", "bob", "2026-12-20", now="2026-12-01T10:00:00+01:00")
    result = ok("keep", str(pid), "--at", "10/12 9am", now="2026-12-12T10:00:00+01:00")
    assert "  delivered Thu 10 Dec 09:00, 2 days ago" in result.stdout


def test_keep_in_the_future_names_the_time(pk: Pk, make) -> None:
    pid = make("report", "bob", "fri")
    result = pk("keep", str(pid), "--at", "2026-11-24 08:00")
    assert result.stderr == (
        "pk: cannot keep a promise in the future (Tue 24 Nov 08:00); leave out --at to mean now\n"
    )


def test_keep_at_a_bad_date_suggests_words_and_valid_examples(pk: Pk, make) -> None:
    pid = make("report", "bob", "fri")
    typo = pk("keep", str(pid), "--at", "yesterdy 16:00")
    assert typo.stderr == (
        'pk: cannot understand date "yesterdy 16:00"; did you mean "yesterday 16:00"?\n'
    )
    junk = pk("keep", str(pid), "--at", "whenever")
    assert junk.stderr == (
        'pk: cannot understand date "whenever"; try e.g. "yesterday", "fri 3pm", '
        '"2026-11-16 14:00"\n'
    )
