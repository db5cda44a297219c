"""What `--since` means (rules.since): the start of a period, always in the past."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from conftest import Pk
from hypothesis import given, settings
from hypothesis import strategies as st

from promisekeeper.model.errors import PkError
from promisekeeper.rules.since import parse_since

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday 10:00 in Berlin (the tests' TZ)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("60d", datetime(2026, 9, 24, 9, 0, tzinfo=UTC)),
        ("2w", datetime(2026, 11, 9, 9, 0, tzinfo=UTC)),
        ("3 months", datetime(2026, 8, 23, 9, 0, tzinfo=UTC)),
        ("1y", datetime(2025, 11, 23, 9, 0, tzinfo=UTC)),
        ("90min", datetime(2026, 11, 23, 7, 30, tzinfo=UTC)),
        ("today", datetime(2026, 11, 22, 23, 0, tzinfo=UTC)),
        ("yesterday", datetime(2026, 11, 21, 23, 0, tzinfo=UTC)),
        ("mon", datetime(2026, 11, 22, 23, 0, tzinfo=UTC)),  # today is Monday: today
        ("fri", datetime(2026, 11, 19, 23, 0, tzinfo=UTC)),  # the last Friday
        ("last Friday", datetime(2026, 11, 19, 23, 0, tzinfo=UTC)),
        ("2026-11-01", datetime(2026, 10, 31, 23, 0, tzinfo=UTC)),  # from the start of the day
    ],
)
def test_since_is_always_the_past(text: str, expected: datetime) -> None:
    assert parse_since(text, NOW) == expected


@pytest.mark.parametrize("text", ["in 3 days", "+2d", "tomorrow", "2026-12-01", "99999999 days"])
def test_a_future_or_impossible_since_is_refused(text: str) -> None:
    with pytest.raises(PkError):
        parse_since(text, NOW)


@pytest.mark.parametrize("command", ["stats", "report"])
def test_every_command_reads_since_the_same_way(command: str, ok: Pk, pk: Pk, make) -> None:
    make("Send the numbers", "alice", "fri")
    assert ok(command, "--since", "60d").exit_code == 0
    refused = pk(command, "--since", "in 3 days")
    assert refused.exit_code == 1 and "--since is a time in the past" in refused.stderr


SATURDAY = datetime(2026, 12, 12, 9, 0, tzinfo=UTC)  # Saturday 12 Dec, 10:00 in Berlin


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("thu", "MDY", datetime(2026, 12, 9, 23, 0, tzinfo=UTC)),
        ("sat", "MDY", datetime(2026, 12, 11, 23, 0, tzinfo=UTC)),  # today, from its start
        ("last sat", "MDY", datetime(2026, 12, 4, 23, 0, tzinfo=UTC)),  # the one before today
        ("last thu", "MDY", datetime(2026, 12, 9, 23, 0, tzinfo=UTC)),
        ("this monday", "MDY", datetime(2026, 12, 6, 23, 0, tzinfo=UTC)),
        ("01/12", "DMY", datetime(2026, 11, 30, 23, 0, tzinfo=UTC)),  # 1 Dec, read day first
        ("12/01", "MDY", datetime(2026, 11, 30, 23, 0, tzinfo=UTC)),
        ("1.11.2026", "DMY", datetime(2026, 10, 31, 23, 0, tzinfo=UTC)),
    ],
)
def test_since_reads_weekdays_and_numeric_dates(text: str, order: str, expected) -> None:
    assert parse_since(text, SATURDAY, date_order=order) == expected


def test_since_examples_are_valid_when_printed() -> None:
    for now in (NOW, SATURDAY, datetime(2027, 1, 1, 0, 30, tzinfo=UTC)):
        with pytest.raises(PkError) as caught:
            parse_since("in 3 days", now)
        shown = re.findall(r'"([^"]+)"', str(caught.value))
        assert len(shown) == 4
        for example in shown:
            assert parse_since(example, now) <= now


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(
        min_value=datetime(1901, 1, 8), max_value=datetime(9997, 1, 1), timezones=st.just(UTC)
    ),
    st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]),
)
def test_since_a_weekday_is_within_the_last_week(now: datetime, name: str) -> None:
    since = parse_since(name, now)
    # Within the last seven local days (a week across a clock change is 7 days ± 1 hour).
    assert since <= now
    assert 0 <= (now.astimezone().date() - since.astimezone().date()).days < 7
    assert since.astimezone().strftime("%a").lower() == name


def test_since_reads_numeric_dates_by_the_config(ok: Pk, isolated) -> None:
    assert "Period: Sun 11 Jan 2026 – " in ok("report", "--since", "01/11").stdout
    (isolated.parent / "config.toml").write_text('date_order = "DMY"\n')
    assert "Period: Sun 1 Nov 2026 – " in ok("report", "--since", "01/11").stdout
