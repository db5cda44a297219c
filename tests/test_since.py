"""What `--since` means (rules.since): the start of a period, always in the past."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from conftest import Pk

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
