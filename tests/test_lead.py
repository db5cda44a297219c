"""The learned lead (rules.lead): promises count as at risk earlier by the median of your
recent latenesses, from three late promises on, never by more than MAX_LEAD; and the
percentile arithmetic that the track record shares."""

from __future__ import annotations

from datetime import timedelta

import pytest

from promisekeeper.rules.lead import (
    MAX_LEAD,
    MIN_RECORD,
    interpolate,
    learned_lead_from,
    percentile,
    percentile_ranks,
)

HOUR = 3600.0


def test_fewer_late_promises_than_the_minimum_teach_nothing() -> None:
    assert MIN_RECORD == 3
    assert learned_lead_from([]) == timedelta(0)
    assert learned_lead_from([5 * HOUR, 7 * HOUR]) == timedelta(0)


def test_the_lead_is_the_median_lateness() -> None:
    assert learned_lead_from([10 * HOUR, 2 * HOUR, 4 * HOUR]) == timedelta(hours=4)
    assert learned_lead_from([1 * HOUR, 2 * HOUR, 4 * HOUR, 8 * HOUR]) == timedelta(hours=3)


def test_the_lead_is_capped() -> None:
    assert learned_lead_from([500 * HOUR] * 5) == MAX_LEAD == timedelta(hours=72)


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([], 50, None),
        ([7.0], 90, 7.0),
        ([1.0, 2.0, 3.0, 4.0], 50, 2.5),
        ([4.0, 1.0, 3.0, 2.0], 0, 1.0),
        ([4.0, 1.0, 3.0, 2.0], 100, 4.0),
        ([10.0, 20.0], 80, 18.0),
    ],
)
def test_percentile_interpolates_between_the_ordered_values(
    values: list[float], q: float, expected: float | None
) -> None:
    got = percentile(values, q)
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected)


def test_percentile_ranks_say_where_the_percentile_lies() -> None:
    assert percentile_ranks(5, 50) == (2, 2, 0.0)
    low, high, fraction = percentile_ranks(4, 50)
    assert (low, high) == (1, 2) and fraction == pytest.approx(0.5)
    assert interpolate(10, 20, 0.25) == 12.5
