"""--effort: a promise is at risk when the working time left is less than the work it takes
times your slip factor."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import Pk
from hypothesis import given, settings
from hypothesis import strategies as st

from promisekeeper.model.errors import DateParseError
from promisekeeper.rules.dates import parse_effort
from promisekeeper.rules.worktime import (
    EffortRule,
    is_working_day,
    next_end_of_working_day,
    working_time,
)

BERLIN = ZoneInfo("Europe/Berlin")
RULE = EffortRule(day_starts=time(9), day_ends=time(17))


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        (local(23, 10), local(23, 15), 5),  # Monday, within the day
        (local(23, 8), local(23, 20), 8),  # the whole working day
        (local(23, 10), local(27, 17), 39),  # Mon 10:00 to Fri 17:00
        (local(27, 16), local(30, 10), 2),  # Fri 16-17 and Mon 9-10: the weekend counts nothing
        (local(28, 10), local(29, 18), 0),  # Saturday to Sunday
        (local(23, 15), local(23, 10), 0),  # backwards
    ],
)
def test_working_time(start: datetime, end: datetime, hours: float) -> None:
    assert working_time(start, end, RULE) == timedelta(hours=hours)


@pytest.mark.parametrize(
    ("text", "hours"),
    [("6h", 6), ("2d", 16), ("1w", 40), ("1d4h", 12), ("90min", 1.5), ("in 2 days", 16)],
)
def test_parse_effort_counts_working_days(text: str, hours: float) -> None:
    assert parse_effort(text, timedelta(hours=8)) == timedelta(hours=hours)


def test_parse_effort_refuses_nonsense() -> None:
    with pytest.raises(DateParseError):
        parse_effort("a lot", timedelta(hours=8))


def test_effort_puts_a_promise_at_risk_when_working_time_runs_short(ok: Pk) -> None:
    big = ok("promise", "migration", "-t", "alice", "-d", "fri", "--effort", "5d", "--json").json
    small = ok("promise", "fix", "-t", "bob", "-d", "fri", "--effort", "2d", "--json").json
    assert big["standing"] == "at_risk" and big["effort_hours"] == 40
    assert small["standing"] == "on_track" and small["effort_hours"] == 16
    shown = ok("show", str(big["id"])).stdout
    assert "At risk: 39 working hours left for about 40 hours of work." in shown
    assert "40 hours of work" in shown
    assert [p["id"] for p in ok("today", "--json").json["at_risk"]] == [big["id"]]


def test_effort_far_ahead_is_still_seen_by_the_daily_view(ok: Pk) -> None:
    # Due in three weeks, but six weeks of work: at risk today, whatever its due date.
    pid = ok("promise", "rewrite", "-t", "a", "-d", "2026-12-14", "--effort", "6w", "--json").json
    assert [p["id"] for p in ok("today", "--json").json["at_risk"]] == [pid["id"]]


def test_slip_factor_from_your_record(ok: Pk, make) -> None:
    # Three promises that each took 1.5x the time promised: work takes you 1.5x longer.
    for start in (2, 9, 16):
        pid = make(
            "report",
            "frank",
            f"2026-11-{start + 2:02d} 10:00",
            now=f"2026-11-{start:02d}T10:00:00+01:00",
        )
        ok("keep", str(pid), now=f"2026-11-{start + 3:02d}T10:00:00+01:00")
    calm = ok("promise", "a", "-t", "x", "-d", "fri", "--effort", "3d", "--json").json
    assert calm["standing"] == "on_track"  # 24 h x 1.5 = 36 h < 39 h left
    tight = ok("promise", "b", "-t", "x", "-d", "fri", "--effort", "3.5d", "--json").json
    assert tight["standing"] == "at_risk"  # 28 h x 1.5 = 42 h > 39 h left
    assert "your slip factor 1.5x included" in ok("show", str(tight["id"])).stdout


def test_edit_effort_and_remove_it(ok: Pk, pk: Pk) -> None:
    pid = str(ok("promise", "x", "-t", "a", "-d", "fri", "--json").json["id"])
    ok("edit", pid, "--effort", "5d")
    assert ok("show", pid, "--json").json["standing"] == "at_risk"
    ok("edit", pid, "--effort", "0")
    obj = ok("show", pid, "--json").json
    assert obj["effort_hours"] is None and obj["standing"] == "on_track"
    assert obj["history"][-1]["details"]["changes"]["effort"] == [144000, None]
    assert pk("promise", "y", "-t", "a", "-d", "fri", "--effort", "10s").exit_code == 1
    assert pk("promise", "y", "-t", "a", "-d", "fri", "--effort", "lots").exit_code == 1


def test_effort_survives_export_and_import(ok: Pk, tmp_path) -> None:
    ok("promise", "x", "-t", "a", "-d", "fri", "--effort", "1d")
    dump = tmp_path / "dump.json"
    ok("export", "--output", str(dump))
    other = str(tmp_path / "other.db")
    ok("--db", other, "import", str(dump))
    assert ok("--db", other, "show", "1", "--json").json["effort_hours"] == 8


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_parse_effort_never_crashes(text: str) -> None:
    try:
        result = parse_effort(text, timedelta(hours=8))
    except DateParseError:
        return
    assert result >= timedelta(0)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (local(23, 10), local(23, 17)),  # Monday morning: today's end
        (local(23, 17), local(23, 17)),
        (local(23, 18), local(24, 17)),  # after hours: tomorrow's
        (local(27, 18), local(30, 17)),  # Friday evening: Monday's
        (local(28, 10), local(30, 17)),  # Saturday
        (local(29, 23), local(30, 17)),  # Sunday night
    ],
)
def test_next_end_of_working_day_skips_the_weekend(moment: datetime, expected: datetime) -> None:
    result = next_end_of_working_day(moment, time(17))
    assert result == expected and is_working_day(result.astimezone().date())
