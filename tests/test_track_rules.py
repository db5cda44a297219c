"""The slip factor's one home, rules.track: (time taken / time promised) of kept promises, and
the percentile of those ratios that the ledger (median) and your record (80th) take."""

from __future__ import annotations

import pytest

from promisekeeper.rules import track

DAY = 24 * 3600


def test_slip_ratios_are_time_taken_over_time_promised() -> None:
    assert track.slip_ratios([(DAY, DAY), (DAY, 2 * DAY), (2 * DAY, DAY)]) == [1.0, 2.0, 0.5]


def test_slip_ratios_skip_promises_given_no_time() -> None:
    # Made with a due date at or before the moment it was made (pk promise --force).
    assert track.slip_ratios([(0, DAY), (-3600, DAY), (DAY, 3 * DAY)]) == [3.0]


def test_slip_ratios_count_time_taken_from_zero() -> None:
    # Kept (pk keep --at) before the moment it was recorded as made.
    assert track.slip_ratios([(DAY, -3600), (DAY, 0)]) == [0.0, 0.0]


def test_slip_ratios_of_nothing() -> None:
    assert track.slip_ratios([]) == []


@pytest.mark.parametrize(("q", "expected"), [(0, 1.0), (50, 1.5), (80, 2.4), (100, 3.0)])
def test_slip_factor_is_a_percentile_of_the_ratios(q: float, expected: float) -> None:
    assert track.slip_factor([3.0, 1.0, 2.0, 1.0], q) == pytest.approx(expected)


def test_slip_factor_of_no_ratios_is_unknown() -> None:
    assert track.slip_factor([], 50) is None
    assert track.slip_factor([], 80) is None
