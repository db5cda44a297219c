"""How much earlier promises count as at risk, learned from how late you have run: the median
of your recent latenesses. Apart from rules.track (the whole track record) because the daily
view needs only this, and starting `pk today` should not load the rest."""

from __future__ import annotations

import math
from datetime import timedelta

MIN_RECORD = 3  # fewer late (or kept) promises than this teach nothing
MAX_LEAD = timedelta(hours=72)


def percentile_ranks(count: int, q: float) -> tuple[int, int, float]:
    """Where the q-th percentile (0..100) of `count` ordered values lies: the positions of the
    two values around it and how far between them (linear interpolation)."""
    rank = (count - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return low, high, rank - low


def interpolate(low_value: float, high_value: float, fraction: float) -> float:
    return low_value + (high_value - low_value) * fraction


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0..100) by linear interpolation; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    low, high, fraction = percentile_ranks(len(ordered), q)
    return interpolate(ordered[low], ordered[high], fraction)



def learned_lead_from(late_seconds: list[float]) -> timedelta:
    """How much earlier promises should count as at risk: the median of these latenesses
    (with at least three), capped at MAX_LEAD. The ledger passes its latest late promises."""
    if len(late_seconds) < MIN_RECORD:
        return timedelta(0)
    median = percentile(late_seconds, 50) or 0
    return min(timedelta(seconds=median), MAX_LEAD)
