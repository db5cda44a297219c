"""Working time and the local calendar: days, months, the working day, and effort.

"Local" is the system zone (TZ honoured, DST-correct); instants stay aware UTC datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from promisekeeper.model.promise import Promise
from promisekeeper.model.settings import DEFAULT_DAY_ENDS, DEFAULT_DAY_STARTS


@dataclass(frozen=True)
class EffortRule:
    """For promises with an effort: your working hours (Monday to Friday, local time) and your
    slip factor (how much longer things take you than you plan)."""

    day_starts: time = DEFAULT_DAY_STARTS
    day_ends: time = DEFAULT_DAY_ENDS
    slip: float = 1.0


MAX_DAYS_COUNTED = 400  # beyond a year of working days, "plenty of time" is exact enough


def is_working_day(day: date) -> bool:
    """Monday to Friday: the one weekday rule, for working time and for suggested dates."""
    return day.weekday() < 5


def working_time(start: datetime, end: datetime, rule: EffortRule) -> timedelta:
    """Working time between two instants: the parts of weekdays between day_starts and
    day_ends, in local wall time."""
    if end <= start:
        return timedelta(0)
    local_start = start.astimezone().replace(tzinfo=None)
    local_end = end.astimezone().replace(tzinfo=None)
    total = timedelta(0)
    day = local_start.date()
    for _ in range(MAX_DAYS_COUNTED):
        if day > local_end.date():
            break
        if is_working_day(day):
            opens = max(datetime.combine(day, rule.day_starts), local_start)
            closes = min(datetime.combine(day, rule.day_ends), local_end)
            if closes > opens:
                total += closes - opens
        day += timedelta(days=1)
    else:
        total += timedelta(days=3650)
    return total


def short_of_time(promise: Promise, now: datetime, rule: EffortRule | None) -> bool:
    """The working time left is less than the effort times your slip factor."""
    if promise.effort is None or rule is None:
        return False
    return working_time(now, promise.due, rule) < promise.effort * rule.slip


def local_day(now: datetime) -> tuple[datetime, datetime]:
    """Start and end of the local calendar day containing `now`, as UTC datetimes."""
    local = now.astimezone()
    start = local.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    end = start + timedelta(days=1)
    return start.astimezone(UTC), end.astimezone(UTC)


def local_month_start(now: datetime) -> datetime:
    local = now.astimezone().replace(tzinfo=None)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


def working_day_end(day: date, day_ends: time) -> datetime:
    """The end of the working day on `day`, in naive local wall time: what a date without a
    time of day means ("by Friday" is Friday at `day_ends`)."""
    return datetime.combine(day, day_ends)


def end_of_working_day(moment: datetime, day_ends: time) -> datetime:
    """The end of the working day on `moment`'s local date, as an aware UTC datetime."""
    local = moment.astimezone().replace(tzinfo=None)
    return working_day_end(local.date(), day_ends).astimezone(UTC)


def next_end_of_working_day(moment: datetime, day_ends: time) -> datetime:
    """The first end of a working day at or after `moment`, Saturdays and Sundays skipped:
    a time people can say out loud."""
    day = moment.astimezone().date()
    end = working_day_end(day, day_ends).astimezone(UTC)
    while end < moment or not is_working_day(day):
        day += timedelta(days=1)
        end = working_day_end(day, day_ends).astimezone(UTC)
    return end


def workday_length(day_starts: time, day_ends: time) -> timedelta:
    """How long one working day is (a day of effort), from the settings alone."""
    any_day = date(2000, 1, 3)  # the length of a working day does not depend on which day
    return working_day_end(any_day, day_ends) - datetime.combine(any_day, day_starts)
