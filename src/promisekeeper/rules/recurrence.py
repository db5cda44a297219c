"""Recurrence: what `--every` means, in words and in dates.

A phrase ("monday 10am", "every weekday 9am", "every 2 weeks fri", "monthly on the 1st",
"every 3 days after done") is read into a Rule; `words(rule)` writes it back in one canonical
form that reads into the same Rule. Dates are local wall times (naive datetimes in the system
zone), so a "monday 10am" series stays at 10:00 local across clock changes; the caller turns
each into UTC. dateutil.rrule does the arithmetic, imported on first use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from promisekeeper.model.errors import DateParseError, InvalidInput

FREQS = ("daily", "weekly", "monthly")
DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MAX_INTERVAL = 366
EXAMPLES = (
    '"monday 10am"',
    '"every weekday 9am"',
    '"every 2 weeks fri"',
    '"monthly on the 1st"',
    '"every 3 days after done"',
)
_FILLERS = frozenset({"every", "on", "the", "at", "and", "of", "each"})
_UNITS = {
    "day": "daily",
    "days": "daily",
    "daily": "daily",
    "week": "weekly",
    "weeks": "weekly",
    "weekly": "weekly",
    "month": "monthly",
    "months": "monthly",
    "monthly": "monthly",
}


@dataclass(frozen=True)
class Rule:
    """How a series repeats: every `interval` days, weeks or months; on `weekdays` (0 is
    Monday; none: the weekday of the first occurrence) or on day `monthday` of the month;
    at `at` local time (None: the end of the working day); `after_done`: counted from when
    the previous occurrence was closed, not from the calendar."""

    freq: str
    interval: int = 1
    weekdays: tuple[int, ...] = ()
    monthday: int | None = None
    at: time | None = None
    after_done: bool = False


def _not_understood(text: str) -> InvalidInput:
    shown = text if len(text) <= 60 else text[:57] + "..."
    return InvalidInput(f'cannot understand --every "{shown}"; try e.g. {", ".join(EXAMPLES)}')


def _digits(word: str) -> bool:
    """Plain 0-9 digits: str.isdigit() also takes '²' and other digits int() refuses."""
    return word.isascii() and word.isdigit()


def parse_every(text: str) -> Rule:
    """The Rule a phrase means; InvalidInput (repeating the text, with examples) otherwise."""
    from promisekeeper.rules.dates import WEEKDAYS, parse_time_of_day

    if not isinstance(text, str) or len(text) > 200:
        raise _not_understood(str(text)[:200])
    words = text.lower().replace(",", " ").split()
    after_done = words[-2:] == ["after", "done"]
    if after_done:
        words = words[:-2]
    interval: int | None = None
    freq: str | None = None
    weekdays: list[int] = []
    monthday: int | None = None
    at: time | None = None
    for word in words:
        if word in _FILLERS:
            continue
        if _digits(word) and interval is None and freq is None and not weekdays:
            interval = int(word)
            continue
        if word in _UNITS and freq is None:
            freq = _UNITS[word]
            continue
        if word in ("weekday", "weekdays") and not weekdays and freq is None:
            freq, weekdays = "weekly", [0, 1, 2, 3, 4]
            continue
        if word in WEEKDAYS or (word.endswith("s") and word[:-1] in WEEKDAYS):
            day = WEEKDAYS.get(word, WEEKDAYS.get(word[:-1]))
            if day in weekdays:
                raise _not_understood(text)
            weekdays.append(day)  # type: ignore[arg-type]
            continue
        if _digits(word[:-2]) and word[-2:] in ("st", "nd", "rd", "th") and monthday is None:
            monthday = int(word[:-2])
            continue
        if at is None:
            try:
                at = parse_time_of_day(word)
                continue
            except DateParseError:
                pass
        raise _not_understood(text)
    if freq is None and weekdays:
        freq = "weekly"
    if freq is None:
        raise _not_understood(text)
    rule = Rule(
        freq=freq,
        interval=1 if interval is None else interval,
        weekdays=tuple(sorted(weekdays)),
        monthday=monthday,
        at=at,
        after_done=after_done,
    )
    _check(rule, text)
    return rule


def _check(rule: Rule, text: str) -> None:
    if not 1 <= rule.interval <= MAX_INTERVAL:
        raise InvalidInput(
            f'--every "{text[:60]}": the interval must be between 1 and {MAX_INTERVAL}'
        )
    if rule.monthday is not None and (rule.freq != "monthly" or not 1 <= rule.monthday <= 31):
        raise _not_understood(text)
    if rule.weekdays and rule.freq != "weekly":
        raise _not_understood(text)
    if rule.after_done and (rule.weekdays or rule.monthday is not None):
        raise InvalidInput(
            f'--every "{text[:60]}": a series "after done" counts days, weeks or months from '
            "when the last one was done, not set weekdays or days of the month; e.g. "
            '"every 3 days after done"'
        )


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def words(rule: Rule) -> str:
    """The rule in words, in the one form parse_every reads back into the same rule:
    "every monday at 10:00", "every weekday at 09:00", "every 2 weeks on friday",
    "every month on the 1st", "every 3 days at 17:00 after done"."""
    unit = {"daily": "day", "weekly": "week", "monthly": "month"}[rule.freq]
    if rule.weekdays == (0, 1, 2, 3, 4) and rule.interval == 1:
        text = "every weekday"
    elif rule.weekdays and rule.interval == 1:
        text = "every " + " and ".join(DAY_NAMES[d] for d in rule.weekdays)
    else:
        text = f"every {unit}" if rule.interval == 1 else f"every {rule.interval} {unit}s"
        if rule.weekdays:
            text += " on " + " and ".join(DAY_NAMES[d] for d in rule.weekdays)
    if rule.monthday is not None:
        text += f" on the {_ordinal(rule.monthday)}"
    if rule.at is not None:
        text += f" at {rule.at:%H:%M}"
    if rule.after_done:
        text += " after done"
    return text


def with_time(rule: Rule, default: time) -> Rule:
    """The rule with its time of day set: its own, else `default` (the end of the working
    day, as for a date alone), so a stored series reads the same on every machine."""
    if rule.at is not None:
        return rule
    return Rule(rule.freq, rule.interval, rule.weekdays, rule.monthday, default, rule.after_done)


def _clock(rule: Rule) -> time:
    assert rule.at is not None, "a stored rule has its time of day"
    return rule.at


def _rrule(rule: Rule, start: datetime, count: int | None, until: datetime | None) -> object:
    from dateutil import rrule as rr

    freq = {"daily": rr.DAILY, "weekly": rr.WEEKLY, "monthly": rr.MONTHLY}[rule.freq]
    options: dict[str, object] = {"interval": rule.interval, "dtstart": start}
    if rule.weekdays:
        options["byweekday"] = rule.weekdays
    if rule.monthday is not None:
        options["bymonthday"] = rule.monthday
    if count is not None:
        options["count"] = count
    if until is not None:
        options["until"] = until
    return rr.rrule(freq, cache=False, **options)  # type: ignore[arg-type]


def first(rule: Rule, now_local: datetime) -> datetime:
    """The first occurrence strictly after local wall time `now_local` (naive)."""
    if rule.after_done:
        # Nothing done yet: the first one is one step from today, as if just done.
        return step_after_done(rule, now_local)
    anchor = datetime.combine(now_local.date(), _clock(rule))
    found = _rrule(rule, anchor, None, None).after(now_local)  # type: ignore[attr-defined]
    if found is None:  # pragma: no cover - an unbounded rule always has a next date
        raise InvalidInput("that series has no date after now")
    return found


def step_after_done(rule: Rule, done_local: datetime) -> datetime:
    """For an "after done" series: the next occurrence, `interval` days, weeks or months after
    the local day the previous one was done (kept, broken or released), at the rule's time."""
    from promisekeeper.rules.dates import relativedelta

    day: date = done_local.date()
    if rule.freq == "daily":
        day += timedelta(days=rule.interval)
    elif rule.freq == "weekly":
        day += timedelta(weeks=rule.interval)
    else:
        day += relativedelta(months=rule.interval)
    return datetime.combine(day, _clock(rule))


def following(
    rule: Rule,
    start: datetime,
    previous: datetime,
    *,
    count: int | None = None,
    until_local: datetime | None = None,
) -> datetime | None:
    """For a calendar series that started at `start`: the occurrence after the one scheduled
    at `previous` (local wall times), or None when `count` or `until_local` ends it first."""
    found = _rrule(rule, start, count, until_local).after(previous)  # type: ignore[attr-defined]
    return found


def upcoming(
    rule: Rule,
    start: datetime,
    previous: datetime,
    n: int,
    *,
    count: int | None = None,
    until_local: datetime | None = None,
) -> list[datetime]:
    """The next `n` scheduled dates after `previous` (for `pk show`); an "after done" series
    has none fixed in advance."""
    if rule.after_done:
        return []
    found: list[datetime] = []
    moment = previous
    for _ in range(n):
        following_one = following(rule, start, moment, count=count, until_local=until_local)
        if following_one is None:
            break
        found.append(following_one)
        moment = following_one
    return found
