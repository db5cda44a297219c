"""`pk stats` and `pk trust`: every figure checked against a scripted history with known answers."""

from __future__ import annotations

import pytest
from conftest import Pk


def at(day: int, hour: int = 10, minute: int = 0) -> str:
    return f"2026-11-{day:02d}T{hour:02d}:{minute:02d}:00+01:00"


@pytest.fixture
def history(ok: Pk, make) -> None:
    """Eight promises with known fates (Berlin time, "now" is Mon 23 Nov 10:00)."""
    p1 = make("a", "alice", "2026-11-06 17:00", now=at(2))
    ok("keep", str(p1), now=at(5, 12))  # on time, a day and more early
    p2 = make("b", "alice", "2026-11-04 17:00", now=at(2))
    ok("keep", str(p2), now=at(5, 17))  # 24 hours late, nobody told
    p3 = make("c", "bob", "2026-11-11 17:00", now=at(9))
    ok("notify", str(p3), now=at(10))  # told before the deadline
    ok("move", str(p3), "2026-11-13 17:00", now=at(10, 10, 5))  # moved in advance
    ok("keep", str(p3), now=at(13, 12))  # on time on the new date
    p4 = make("d", "bob", "2026-11-10 17:00", now=at(9))
    ok("move", str(p4), "2026-11-12 17:00", now=at(11, 10))  # 17 hours after the deadline
    ok("keep", str(p4), now=at(12, 16))  # kept late: the late move does not erase it
    p5 = make("e", "carol", "2026-11-18 17:00", now=at(16))
    ok("break", str(p5), now=at(19))
    make("f", "carol", "2026-11-20 17:00", now=at(16))  # overdue now, nobody told
    p7 = make("g", "dan", "2026-11-27 17:00", now=at(16))
    ok("release", str(p7), now=at(17))
    make("h", "alice", "2026-11-27 17:00", now=at(23))  # open, on track


def test_stats_figures(ok: Pk, history) -> None:
    s = ok("stats", "--json").json
    assert {
        k: s[k]
        for k in (
            "made",
            "open",
            "overdue",
            "kept",
            "kept_on_time",
            "kept_late",
            "broken",
            "released",
            "moved",
            "moved_before_deadline",
            "slipped",
            "told_before_deadline",
        )
    } == {
        "made": 8,
        "open": 2,
        "overdue": 1,
        "kept": 4,
        "kept_on_time": 2,
        "kept_late": 2,
        "broken": 1,
        "released": 1,
        "moved": 2,
        "moved_before_deadline": 1,
        "slipped": 5,
        "told_before_deadline": 1,
    }
    assert s["on_time_rate"] == 0.4
    assert s["no_surprise_rate"] == 0.2
    assert s["lateness_median_hours"] == 20.5
    assert s["lateness_p90_hours"] == 23.3
    weeks = {w["week"]: (w["due"], w["on_time"], w["on_time_rate"]) for w in s["weeks"]}
    assert len(s["weeks"]) == 12 and s["weeks"][-1]["week"] == "2026-W48"
    assert weeks["2026-W45"] == (2, 1, 0.5)
    assert weeks["2026-W46"] == (2, 1, 0.5)
    assert weeks["2026-W47"] == (1, 0, 0.0)
    assert weeks["2026-W48"] == (0, 0, None)


def test_stats_text_says_the_same(ok: Pk, history) -> None:
    out = ok("stats").stdout
    assert "made 8 · open 2 (1 overdue) · broken 1 · released 1" in out
    assert "kept 4 (2 on time, 2 late)" in out
    assert "on-time rate 40% (2 of 5 kept or broken)" in out
    assert (
        "lateness when late: median 20 hours 30 minutes, 90th percentile 23 hours 18 minutes" in out
    )
    assert "moves 2, 1 of them before the deadline" in out
    assert "no surprises 20%: told before the deadline for 1 of 5 promises that slipped" in out
    assert "  2026-W45  ██████████░░░░░░░░░░  50%  1/2" in out
    assert "  2026-W48  ░░░░░░░░░░░░░░░░░░░░    -" in out


def test_stats_filters(ok: Pk, pk: Pk, history) -> None:
    bob = ok("stats", "--to", "BOB", "--json").json
    assert (bob["made"], bob["kept_on_time"], bob["kept_late"], bob["on_time_rate"]) == (
        2,
        1,
        1,
        0.5,
    )
    recent = ok("stats", "--since", "2026-11-16", "--json").json
    assert (recent["made"], recent["broken"], recent["open"]) == (4, 1, 2)
    assert pk("stats", "--to", "nobody").exit_code == 1
    future = pk("stats", "--since", "2026-11-23 12:00")
    assert future.exit_code == 1 and "--since must be in the past" in future.stderr


def test_stats_since_a_duration_means_that_long_ago(ok: Pk, history) -> None:
    """`--since 60d` is the last sixty days, as in pk report (it once read 60 days ahead)."""
    everything = ok("stats", "--json").json
    assert ok("stats", "--since", "60d", "--json").json["made"] == everything["made"] > 0
    assert ok("stats", "--since", "1d", "--json").json["made"] < everything["made"]


def test_trust_bank_balances_weakest_first(ok: Pk, history) -> None:
    data = ok("trust", "--json").json
    assert [(a["person"], a["balance"], a["deposits"], a["withdrawals"]) for a in data] == [
        ("carol", -7, 0, -7),
        ("bob", 0, 5, -5),
        ("dan", 0, 0, 0),
        ("alice", 1, 4, -3),
    ]
    bob = data[1]
    assert [(e["kind"], e["amount"], e["promise"]) for e in bob["recent"]] == [
        ("kept_on_time", 3, 3),
        ("kept_late_without_notice", -3, 4),
        ("moved_after_deadline", -2, 4),
        ("moved_in_advance", 1, 3),
        ("told_before_deadline", 1, 3),
    ]
    assert bob["recent"][0]["at"] == "2026-11-13T11:00:00+00:00"
    assert bob["trend"] == 0


def test_trust_text_for_one_person(ok: Pk, history) -> None:
    out = ok("trust", "Carol").stdout
    assert "Trust bank: carol" in out
    assert "balance -7 (deposits 0, withdrawals -7); last 30 days -7 ↓" in out
    assert "Fri 20 Nov 17:00   -2  overdue, no notice" in out
    assert "Wed 18 Nov 17:00" not in out  # the withdrawal is dated when it was broken
    assert "Thu 19 Nov 10:00   -5  broken" in out
    table = ok("trust").stdout
    assert table.index("carol") < table.index("bob") < table.index("alice")


def test_trust_weights_from_config(ok: Pk, history, isolated) -> None:
    (isolated.parent / "config.toml").write_text("[trust]\nbroken = -10\n")
    carol = ok("trust", "carol", "--json").json[0]
    assert carol["balance"] == -12


def test_trend_counts_the_last_30_days(ok: Pk, history) -> None:
    later = ok("trust", "alice", "--json", now="2026-12-06T10:00:00+01:00").json[0]
    # By 6 Dec the entries of 5 Nov are older than 30 days, and "h" has gone overdue unannounced.
    assert later["balance"] == -1 and later["trend"] == -2


def test_a_full_day_is_flagged_when_promising(ok: Pk, make) -> None:
    for n in range(3):
        make(f"task {n}", "erin", "fri")
    result = ok("promise", "one more", "--to", "erin", "--due", "fri 10am")
    assert "pk: warning: that day is already full: 3 open promises are due Fri 27 Nov" in (
        result.stderr
    )
    assert len(ok("list", "--json").json) == 4  # warned, and saved


def test_your_record_suggests_a_realistic_date(ok: Pk, pk: Pk, make, monkeypatch) -> None:
    # Three promises to frank, each given 2 days and each taking 3 (1.5x the time promised).
    for start in (2, 9, 16):
        pid = make("report", "frank", f"2026-11-{start + 2:02d} 10:00", now=at(start))
        ok("keep", str(pid), now=at(start + 3))
    result = ok("promise", "another report", "--to", "frank", "--due", "wed 10am")
    warning = result.stderr.strip()
    assert warning.startswith("pk: warning: your record with frank: 0% on time over 3 promises")
    assert "typically 1 day late when late" in warning
    assert "you usually need 1.5x the time you promise — consider Thu 26 Nov 17:00" in warning
    # On a terminal pk offers the suggested date before saving.
    monkeypatch.setattr("promisekeeper.face.commands.common.interactive", lambda: True)
    asked = ok("promise", "third report", "--to", "frank", "--due", "wed 10am", input="y\n")
    assert "Careful: your record with frank" in asked.stdout
    assert ok("show", "5", "--json").json["due"] == "2026-11-26T16:00:00+00:00"
    declined = pk("promise", "x", "-t", "frank", "-d", "wed 10am", input="n\nn\n")
    assert declined.exit_code == 1 and "not promised" in declined.stderr
    assert len(ok("list", "--json").json) == 2


def test_the_realistic_date_is_a_working_day(ok: Pk, make) -> None:
    # 1.5x of Mon 10:00 -> Fri 10:00 lands on Sunday 10:00: pk suggests Monday's day end.
    for start in (2, 9, 16):
        pid = make("report", "frank", f"2026-11-{start + 2:02d} 10:00", now=at(start))
        ok("keep", str(pid), now=at(start + 3))
    result = ok("promise", "another report", "--to", "frank", "--due", "fri 10am")
    assert "consider Mon 30 Nov 17:00" in result.stderr


def test_your_record_is_found_however_names_and_tags_are_typed(ok: Pk, make) -> None:
    """The record is looked up with the names and tags as pk stores them: `--to "FRANK, dana"`
    is frank and dana, `--tag +reports` is the tag reports."""
    for start in (2, 9, 16):
        pid = make(
            "report", "frank", f"2026-11-{start + 2:02d} 10:00", "--tag", "reports", now=at(start)
        )
        ok("keep", str(pid), now=at(start + 3))
    for args in (["--to", "FRANK, dana"], ["--to", "zoe", "--tag", "+reports"]):
        result = ok("promise", "another report", *args, "--due", "wed 10am")
        assert "you usually need 1.5x the time you promise" in result.stderr, args


def test_at_risk_learns_from_your_record(ok: Pk, make, isolated) -> None:
    # Three promises kept 6 hours late: the median lateness is 6 hours.
    for start in (2, 9, 16):
        pid = make("report", "gina", f"2026-11-{start + 2:02d} 10:00", now=at(start))
        ok("keep", str(pid), now=at(start + 2, 16))
    pid = make("next report", "gina", "tomorrow 15:00")  # 29 hours away: beyond 24 hours
    shown = ok("show", str(pid), "--json").json
    assert shown["standing"] == "at_risk"
    out = ok("show", str(pid)).stdout
    assert "At risk: due within 1 day + 6 hours you usually run late (29 hours left)." in out
    (isolated.parent / "config.toml").write_text("learn_from_record = false\n")
    assert ok("show", str(pid), "--json").json["standing"] == "on_track"
