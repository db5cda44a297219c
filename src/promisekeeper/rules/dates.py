"""Human dates for `pk`: the one place text becomes a moment and a moment becomes words.

Every command (`--due`, `--at`, `move`, `--due-before`) goes through `parse_when`, so
"tomorrow" means the same thing everywhere. Parsing works on naive *local wall time*
(what the user means by "5pm") and converts to UTC only at the end, which keeps day
arithmetic correct across DST changes. Events and JSON use `iso`/`from_iso`.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from promisekeeper.model.errors import DateParseError
from promisekeeper.model.settings import (
    DATE_ORDERS,
    DEFAULT_DATE_ORDER,
    DEFAULT_DAY_ENDS,
    DEFAULT_DAY_STARTS,
)
from promisekeeper.model.times import MAX_YEAR, MIN_YEAR, YEARS
from promisekeeper.rules.worktime import working_day_end

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up)
if TYPE_CHECKING:
    from typing import Any

    from dateutil.relativedelta import relativedelta as RelativeDelta


def relativedelta(**units: int) -> RelativeDelta:
    """dateutil's relativedelta, imported on first use: showing dates and the everyday phrases
    (`fri`, `tomorrow 9am`) never need it, so neither `pk today` nor those load dateutil."""
    from dateutil.relativedelta import relativedelta as delta

    return delta(**units)


DURATION_EXAMPLES = ("2h", "90min", "3d")

_MAX_PHRASE = 100  # nothing sensible is longer; also bounds the work done on junk
_LAST_MINUTE = time(23, 59)
_SHOWN_CHARS = 60
_UNPRINTABLE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})

WEEKDAYS = {
    "mon": 0, "monday": 0,
    "tue": 1, "tues": 1, "tuesday": 1,
    "wed": 2, "weds": 2, "wednesday": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3,
    "fri": 4, "friday": 4,
    "sat": 5, "saturday": 5,
    "sun": 6, "sunday": 6,
}  # fmt: skip
_MONTHS = frozenset(
    "jan january feb february mar march apr april may jun june jul july aug august"
    " sep sept september oct october nov november dec december".split()
)
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_UNITS = {
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), "minutes"),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), "hours"),
    **dict.fromkeys(("d", "day", "days"), "days"),
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), "weeks"),
    **dict.fromkeys(("mo", "mos", "month", "months"), "months"),
    **dict.fromkeys(("y", "yr", "yrs", "year", "years"), "years"),
}
_EXACT_UNITS = frozenset({"minutes", "hours"})
_CALENDAR_UNITS = frozenset({"months", "years"})


class _Lazy:
    """A regular expression compiled on first use: showing dates (the daily view) needs none
    of the parsing patterns, and compiling them all costs every run several milliseconds."""

    __slots__ = ("_args", "_compiled")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._args = (pattern, flags)
        self._compiled: re.Pattern[str] | None = None

    def __getattr__(self, name: str) -> Any:
        if self._compiled is None:
            self._compiled = re.compile(*self._args)
        return getattr(self._compiled, name)


# Patterns run on normalised text: lower case, single spaces, no commas. ASCII so that
# non-ASCII digits (which int() would happily accept) are not numbers here.
_A = re.ASCII
_AMPM = _Lazy(r"\b([0-9]{1,2}(?:[:.][0-9]{2})?) ?([ap])\.?m\.?(?= |$)", _A)
_CLOCK_24 = _Lazy(r"([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?", _A)
_CLOCK_12 = _Lazy(r"([0-9]{1,2})(?:[:.]([0-9]{2}))?([ap])m", _A)
_PART = r"(?:[0-9]+ ?|an? )[a-z]+"
_DURATION = _Lazy(rf"(?:in |\+ ?)?({_PART}(?:(?: and | )?{_PART})*)", _A)
_DURATION_PARTS = _Lazy(r"(?:([0-9]+) ?|(an?) )([a-z]+)", _A)
_SHORT_DATE = _Lazy(r"([0-9]{1,2})([-/.])([0-9]{1,2})(?:\2([0-9]{2}|[0-9]{4}))?", _A)
_NUMERIC_DATE = _Lazy(
    r"[0-9]{1,2}([-/.])[0-9]{1,2}(?:\1(?:[0-9]{2}|[0-9]{4}))?"
    r"|[0-9]{4}([-/.])[0-9]{1,2}\2[0-9]{1,2}"
    r"(?:t[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?:z|[+-][0-9]{2}(?::?[0-9]{2})?)?)?",
    _A,
)
# Words allowed next to a month name or numeric date; dateutil alone would accept far more.
_DAY_NUMBER = _Lazy(r"[0-9]{1,2}(?:st|nd|rd|th)?", _A)
_YEAR_NUMBER = _Lazy(r"[0-9]{4}", _A)
_ZONE = _Lazy(r"[+-][0-9]{2}(?::?[0-9]{2})?|utc|gmt|z", _A)

# Defaults that differ in every field, so comparing two parses tells what the text gave.
# Both years are leap years so that a yearless "feb 29" parses.
_PROBE_A = datetime(2000, 1, 1, 0, 0, 0)
_PROBE_B = datetime(2004, 2, 2, 1, 1, 1)


# Parts of the day, from your working hours: "tomorrow morning" is when your day starts.
_PARTS_OF_DAY = ("morning", "afternoon", "evening")

# Locales whose territory writes numeric dates month first or year first; elsewhere day first.
_MDY_TERRITORIES = frozenset({"US", "PH", "FM", "MH", "PW", "AS", "GU", "MP", "PR", "UM", "VI"})
_YMD_TERRITORIES = frozenset({"CN", "JP", "KR", "KP", "TW", "HU", "LT", "MN", "IR", "SE", "BT"})


class _OutOfRange(Exception):
    """Internal: the text was understood but lands outside the supported years."""


@dataclass(frozen=True)
class _Clock:
    """A time of day; `midnight` is 00:00 of the following day, hence `day_offset`."""

    time: time
    day_offset: int = 0


@dataclass(frozen=True)
class _Ctx:
    """What a phrase is resolved against: `now` both as UTC instant and local wall time."""

    now_utc: datetime
    now_local: datetime  # naive local wall time
    day_ends: time
    prefer: str
    day_starts: time = DEFAULT_DAY_STARTS
    date_order: str = DEFAULT_DATE_ORDER

    @property
    def today(self) -> date:
        return self.now_local.date()

    def at(self, day: date, clock: _Clock | None) -> datetime:
        """Naive local moment on `day` at `clock`, or at day end when no time was given."""
        if clock is None:
            return working_day_end(day, self.day_ends)
        return datetime.combine(day + timedelta(days=clock.day_offset), clock.time)

    def part_of_day(self, word: str) -> _Clock:
        """morning: day_starts; evening: day_ends; afternoon: halfway between the two."""
        if word == "morning":
            return _Clock(self.day_starts)
        if word == "evening":
            return _Clock(self.day_ends)
        starts = self.day_starts.hour * 60 + self.day_starts.minute
        ends = self.day_ends.hour * 60 + self.day_ends.minute
        middle = (starts + ends) // 2 if ends > starts else 13 * 60
        return _Clock(time(middle // 60, middle % 60))

    def is_past(self, moment: datetime) -> bool:
        return _to_utc(moment) < self.now_utc

    def is_future(self, moment: datetime) -> bool:
        return _to_utc(moment) > self.now_utc


# --------------------------------------------------------------------------- parsing


def parse_when(
    text: str,
    now: datetime,
    *,
    day_ends: time = DEFAULT_DAY_ENDS,
    prefer: str = "future",
    day_starts: time = DEFAULT_DAY_STARTS,
    date_order: str = DEFAULT_DATE_ORDER,
) -> datetime:
    """Parse human date text relative to `now`; return an aware UTC datetime (whole seconds).

    A date without a time means `day_ends` on that date. `prefer` says which side of now
    a phrase that could mean either lands on: "fri" is the coming Friday for a due date and
    the last one for when something happened (`prefer="past"`). `date_order` says how a
    numeric date like 12/01 is read. Raises DateParseError, and nothing else, for any text
    that is not understood or lands outside years 1900-9998.
    """
    if prefer not in ("future", "past"):
        raise ValueError(f"prefer must be 'future' or 'past', not {prefer!r}")
    if date_order not in DATE_ORDERS:
        raise ValueError(f"date_order must be one of {DATE_ORDERS}, not {date_order!r}")
    ctx = _context(now, day_ends, prefer, day_starts, date_order)
    if not isinstance(text, str):
        raise DateParseError(_not_understood(repr(text), ctx))
    result = _parse_or_raise(text, _normalise(text), ctx)
    if result is None:
        raise DateParseError(_not_understood(text, ctx))
    return result


def _parse_or_raise(text: str, phrase: str, ctx: _Ctx) -> datetime | None:
    try:
        return _parse(phrase, ctx)
    except (_OutOfRange, OverflowError, ValueError):
        # Every arithmetic step that can overflow ends up here (`in 99999999 days`).
        raise DateParseError(f'date "{_show(text)}" is out of range ({YEARS})') from None


def parse_time_of_day(text: str) -> time:
    """'17:00', '5pm', '9.30am', 'noon' -> a time of day: the one reading of a clock time, for
    dates (`--due 5pm`) and for the settings (`day_ends = "5pm"`)."""
    clock = _parse_clock(_normalise(text)) if isinstance(text, str) else None
    if clock is None or clock.day_offset:
        shown = _show(text if isinstance(text, str) else repr(text))
        raise DateParseError(
            f'cannot understand time of day "{shown}"; try e.g. "17:00", "5pm", "9.30am"'
        )
    return clock.time


def date_order_for_locale(name: str | None) -> str:
    """The order a locale (`en_US.UTF-8`, `de_DE`) writes numeric dates in: MDY in the US and
    a few others, YMD in East Asia and a few others, DMY elsewhere; C/POSIX (or nothing) MDY."""
    if not name:
        return DEFAULT_DATE_ORDER
    base = name.split(".")[0].split("@")[0]
    if "_" not in base:
        return DEFAULT_DATE_ORDER
    territory = base.split("_")[1].upper()
    if territory in _MDY_TERRITORIES:
        return "MDY"
    if territory in _YMD_TERRITORIES:
        return "YMD"
    return "DMY"


def parse_duration(text: str) -> timedelta:
    """'2h', '90min', '1h30m', 'in 2 hours' -> a positive timedelta.

    Months and years are refused: they have no fixed length.
    """
    shown = _show(text if isinstance(text, str) else repr(text))
    try:
        units = duration_units(_normalise(text)) if isinstance(text, str) else None
        fixed = units is not None and not units.keys() & _CALENDAR_UNITS
        delta = timedelta(**units) if fixed else None
    except (_OutOfRange, OverflowError):
        raise DateParseError(f'duration "{shown}" is too long') from None
    if delta is None:
        examples = ", ".join(f'"{e}"' for e in DURATION_EXAMPLES)
        raise DateParseError(f'cannot understand duration "{shown}"; try e.g. {examples}')
    if delta <= timedelta(0):
        raise DateParseError(f'duration "{shown}" must be longer than zero')
    return delta


def duration_ago(text: str, now: datetime) -> datetime | None:
    """'2w', '30d', '3 months' before `now` (days and months by the calendar, hours exactly);
    None when the text is not a duration. Raises DateParseError when it lands out of range."""
    try:
        units = duration_units(_normalise(text))
        if units is None:
            return None
        return _finish(now.astimezone(UTC) - relativedelta(**units))
    except (_OutOfRange, OverflowError, ValueError):
        raise DateParseError(f'"{_show(text)}" is too long ago ({YEARS})') from None


def _context(now: datetime, day_ends: time, prefer: str, day_starts: time, date_order: str) -> _Ctx:
    """Fix `now` to whole seconds once, so 'past' comparisons match the returned precision."""
    now_utc = now.astimezone(UTC).replace(microsecond=0)
    now_local = now_utc.astimezone().replace(tzinfo=None)
    return _Ctx(
        now_utc,
        now_local,
        day_ends.replace(microsecond=0, tzinfo=None),
        prefer,
        day_starts.replace(microsecond=0, tzinfo=None),
        date_order,
    )


def _normalise(text: str) -> str:
    """Lower case, commas and runs of whitespace to one space, '3 p.m.' to '3pm', no 'at'."""
    phrase = " ".join(text.lower().replace(",", " ").split())
    phrase = _AMPM.sub(lambda m: f"{m[1]}{m[2]}m", phrase)
    return " ".join(word for word in phrase.split(" ") if word != "at")


def _parse(phrase: str, ctx: _Ctx) -> datetime | None:
    """The grammar, most specific first; None means 'not understood'."""
    if not phrase or len(phrase) > _MAX_PHRASE:
        return None
    if phrase == "now":
        return ctx.now_utc
    units = duration_units(phrase)
    if units is not None and units.keys() & _EXACT_UNITS:
        # Hours and minutes are exact elapsed time, not wall-clock arithmetic.
        return _finish(ctx.now_utc + relativedelta(**units))
    moment = _parse_moment(phrase, ctx)
    return None if moment is None else _finish(moment)


def _parse_moment(phrase: str, ctx: _Ctx) -> datetime | None:
    """Split off a leading or trailing time of day, then resolve the day part."""
    clock = _parse_clock(phrase)
    if clock is not None:
        return _clock_alone(clock, ctx)
    words = phrase.split(" ")
    if words[-1] in _PARTS_OF_DAY:
        # "tomorrow morning", "fri afternoon", "this evening", "morning" alone.
        clock = ctx.part_of_day(words[-1])
        rest = " ".join(words[:-1])
        if not rest:
            return _clock_alone(clock, ctx)
        return _resolve_day("today" if rest == "this" else rest, clock, ctx)
    if len(words) > 1:
        clock = _parse_clock(words[-1])
        if clock is not None:
            return _resolve_day(" ".join(words[:-1]), clock, ctx)
        clock = _parse_clock(words[0])
        if clock is not None:
            return _resolve_day(" ".join(words[1:]), clock, ctx)
    return _resolve_day(phrase, None, ctx)


def _finish(moment: datetime) -> datetime:
    """Naive local or aware moment -> aware UTC, whole seconds, range-checked."""
    _check_year(moment)
    result = _to_utc(moment)
    _check_year(result)
    return result.replace(microsecond=0)


def _check_year(moment: datetime) -> None:
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise _OutOfRange


def _to_utc(moment: datetime) -> datetime:
    """Naive means local wall time (DST-correct via the system zone, honouring TZ)."""
    try:
        return moment.astimezone(UTC)
    except (OverflowError, ValueError, OSError):
        raise _OutOfRange from None


# ---------------------------------------------------------------- times of day


def _parse_clock(word: str) -> _Clock | None:
    """'14:30', '3pm', '9:30am', 'noon', 'midnight' -> _Clock; anything else None."""
    if word in ("noon", "midday"):
        return _Clock(time(12, 0))
    if word == "midnight":
        return _Clock(time(0, 0), day_offset=1)
    match = _CLOCK_24.fullmatch(word)
    if match:
        hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
        if hour < 24 and minute < 60 and second < 60:
            return _Clock(time(hour, minute, second))
        return None
    match = _CLOCK_12.fullmatch(word)
    if match:
        hour, minute = int(match[1]), int(match[2] or 0)
        if 1 <= hour <= 12 and minute < 60:
            return _Clock(time(hour % 12 + (12 if match[3] == "p" else 0), minute))
    return None


def _clock_alone(clock: _Clock, ctx: _Ctx) -> datetime:
    """A bare time is the nearest such moment on the `prefer` side of now: for a due date
    today or tomorrow if already gone; for when something happened, today or yesterday."""
    moment = ctx.at(ctx.today, clock)
    if ctx.prefer == "past":
        if ctx.is_future(moment):
            moment = ctx.at(ctx.today - timedelta(days=1), clock)
    elif ctx.is_past(moment):
        moment = ctx.at(ctx.today + timedelta(days=1), clock)
    return moment


# ---------------------------------------------------------------- day expressions


def _resolve_day(phrase: str, clock: _Clock | None, ctx: _Ctx) -> datetime | None:
    """A day expression (optionally with its time) -> naive local or aware moment."""
    keyword = _KEYWORDS.get(phrase)
    if keyword is not None:
        return keyword(ctx, clock)
    words = phrase.split(" ")
    which = words[0] if len(words) == 2 else ""
    if words[-1] in WEEKDAYS and len(words) <= 2 and which in ("", "this", "next", "last"):
        return _weekday(which, WEEKDAYS[words[-1]], clock, ctx)
    units = duration_units(phrase)
    if units is not None:
        if units.keys() & _EXACT_UNITS:
            return None  # "in 2h 9am" makes no sense
        return ctx.at(ctx.today + relativedelta(**units), clock)
    return _absolute(phrase, clock, ctx)


def _weekday(which: str, weekday: int, clock: _Clock | None, ctx: _Ctx) -> datetime:
    """'this fri' is this week's Friday, 'next fri' next week's (weeks start on Monday),
    'last fri' the latest one before today. A bare 'fri' is the next one after today, or for
    `prefer="past"` the latest one, today included, that is not still ahead."""
    this_week = ctx.today + timedelta(days=weekday - ctx.today.weekday())
    if which == "this":
        return ctx.at(this_week, clock)
    if which == "next":
        return ctx.at(this_week + timedelta(days=7), clock)
    if which == "last":
        back = (ctx.today.weekday() - weekday - 1) % 7 + 1
        return ctx.at(ctx.today - timedelta(days=back), clock)
    if ctx.prefer == "past":
        back = (ctx.today.weekday() - weekday) % 7
        moment = ctx.at(ctx.today - timedelta(days=back), clock)
        if ctx.is_future(moment):  # today's, still ahead: the week before
            moment = ctx.at(ctx.today - timedelta(days=back + 7), clock)
        return moment
    ahead = (weekday - ctx.today.weekday() - 1) % 7 + 1
    return ctx.at(ctx.today + timedelta(days=ahead), clock)


def _today(ctx: _Ctx, clock: _Clock | None) -> datetime:
    """Today at day end; once the working day is over, the last minute of today."""
    moment = ctx.at(ctx.today, clock)
    if clock is None and ctx.is_past(moment):
        moment = datetime.combine(ctx.today, _LAST_MINUTE)
    return moment


def _tonight(ctx: _Ctx, clock: _Clock | None) -> datetime:
    return ctx.at(ctx.today, clock or _Clock(_LAST_MINUTE))


def _tomorrow(ctx: _Ctx, clock: _Clock | None) -> datetime:
    return ctx.at(ctx.today + timedelta(days=1), clock)


def _yesterday(ctx: _Ctx, clock: _Clock | None) -> datetime:
    return ctx.at(ctx.today - timedelta(days=1), clock)


def _end_of_week(ctx: _Ctx, clock: _Clock | None) -> datetime:
    """This week's Friday, or next week's once this one is over."""
    friday = ctx.today + timedelta(days=4 - ctx.today.weekday())
    moment = ctx.at(friday, clock)
    return ctx.at(friday + timedelta(days=7), clock) if ctx.is_past(moment) else moment


def _end_of_month(ctx: _Ctx, clock: _Clock | None) -> datetime:
    """Last day of this month, or of next month once this one is over."""
    moment = ctx.at(ctx.today + relativedelta(day=31), clock)
    if ctx.is_past(moment):
        moment = ctx.at(ctx.today + relativedelta(months=1, day=31), clock)
    return moment


def _next_week(ctx: _Ctx, clock: _Clock | None) -> datetime:
    return ctx.at(ctx.today + timedelta(days=7), clock)


def _next_month(ctx: _Ctx, clock: _Clock | None) -> datetime:
    return ctx.at(ctx.today + relativedelta(months=1), clock)


_KEYWORDS: dict[str, Callable[[_Ctx, _Clock | None], datetime]] = {
    "today": _today,
    "eod": _today,
    "tonight": _tonight,
    "tomorrow": _tomorrow,
    "yesterday": _yesterday,
    "eow": _end_of_week,
    "end of week": _end_of_week,
    "end of the week": _end_of_week,
    "eom": _end_of_month,
    "end of month": _end_of_month,
    "end of the month": _end_of_month,
    "end of day": _today,
    "end of the day": _today,
    "next week": _next_week,
    "next month": _next_month,
}


def duration_units(phrase: str) -> dict[str, int] | None:
    """'in 1h30m', '+3d', '2 weeks' -> {'hours': 1, 'minutes': 30}; None if not a duration.

    A unit may appear once; numbers are non-negative (a sign is never part of a number).
    """
    match = _DURATION.fullmatch(phrase)
    if match is None:
        return None
    units: dict[str, int] = {}
    for number, _article, word in _DURATION_PARTS.findall(match[1]):
        unit = _UNITS.get(word)
        if unit is None or unit in units:
            return None
        if len(number) > 15:
            raise _OutOfRange  # no need to build a huge int to know it overflows
        units[unit] = int(number) if number else 1
    return units


# ---------------------------------------------------------------- absolute dates


def _absolute(phrase: str, clock: _Clock | None, ctx: _Ctx) -> datetime | None:
    """Calendar dates via dateutil, guarded because dateutil accepts nearly anything."""
    words = phrase.split(" ")
    if not any(w in _MONTHS or _NUMERIC_DATE.fullmatch(w) for w in words):
        return None
    if not _is_date_phrase(words):
        return None
    if any(_SHORT_DATE.fullmatch(w) for w in words) and any(
        _DAY_NUMBER.fullmatch(w) or _YEAR_NUMBER.fullmatch(w) for w in words
    ):
        return None  # "12/01 5", "12/01 2027": a numeric date says its day and year itself
    read = [_read_numeric_date(w, ctx.date_order) for w in words]
    if None in read:
        return None
    fields = _dateutil_fields(" ".join(w for w in read if w is not None))
    if fields is None:
        return None
    year, month, day, parsed_time, zone = fields
    if parsed_time is not None and clock is not None:
        return None  # two times of day
    if parsed_time is not None:
        clock = _Clock(parsed_time)
    moment = _pick_year(year, month, day, clock, zone, ctx)
    weekdays = {WEEKDAYS[w] for w in words if w in WEEKDAYS}
    if moment is None or weekdays - {_date_part(moment, clock).weekday()}:
        return None  # "mon 27 nov 2026" is a Friday: say so rather than guess
    return moment


_ORDER_WORDS = {"DMY": "day first", "MDY": "month first", "YMD": "year first"}


def _read_numeric_date(word: str, order: str) -> str | None:
    """A numeric date other than ISO ('12/01', '1.12.2026', '26/12/01'), read in the user's
    `date_order` and rewritten unambiguously for dateutil; any other word as it is. None when
    the word cannot be a date ('12.5' is a number); DateParseError when it is not one in that
    order, naming the order and how to write the date meant."""
    match = _SHORT_DATE.fullmatch(word)
    if match is None:
        return word  # ISO (always year-month-day), or not a numeric date at all
    first, separator, second, year_text = int(match[1]), match[2], int(match[3]), match[4]
    if year_text is None and separator == ".":
        return None
    year: int | None = None
    if year_text is not None and order == "YMD":
        if len(year_text) == 4:
            raise DateParseError(
                f'date "{_show(word)}" has its year last, but date_order is YMD (year first); '
                "write it year-month-day, like 2026-12-01, or set date_order in config.toml"
            )
        year, first, second = 2000 + first, second, int(year_text)
    elif year_text is not None:
        year = int(year_text) + (2000 if len(year_text) == 2 else 0)
    month, day = (second, first) if order == "DMY" else (first, second)
    if not 1 <= month <= 12:
        if not (1 <= day <= 12 and 1 <= month <= 31):
            return None
        meant = f"{month} {_MONTH_NAMES[day - 1].lower()}" + (f" {year}" if year else "")
        other = "MDY" if order == "DMY" else "DMY"
        raise DateParseError(
            f'date "{_show(word)}" has no month {month} when read {_ORDER_WORDS[order]} '
            f'(date_order {order}); for {meant} write "{meant}", '
            f'or set date_order = "{other}" in config.toml'
        )
    if year is not None:
        return f"{year:04d}-{month:02d}-{day:02d}"
    return f"{_MONTH_NAMES[month - 1]} {day}"


def _is_date_phrase(words: list[str]) -> bool:
    """Only calendar words, at most one day number and one year ('dec 1 14' is ambiguous)."""
    days = sum(1 for w in words if _DAY_NUMBER.fullmatch(w))
    years = sum(1 for w in words if _YEAR_NUMBER.fullmatch(w))
    return days <= 1 and years <= 1 and all(_is_date_word(w) for w in words)


def _is_date_word(word: str) -> bool:
    if word in _MONTHS or word in WEEKDAYS or word == "of" or _parse_clock(word) is not None:
        return True
    patterns = (_NUMERIC_DATE, _DAY_NUMBER, _YEAR_NUMBER, _ZONE)
    return any(p.fullmatch(word) for p in patterns)


def _dateutil_fields(
    phrase: str,
) -> tuple[int | None, int, int, time | None, tzinfo | None] | None:
    """Parse twice with different defaults: fields that differ were not in the text."""
    from dateutil import parser  # lazy: slow to import, and most commands never need it

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # unknown time zone names must not pass silently
            # Upper case so dateutil recognises UTC/GMT; month names are case-insensitive.
            a, b = (
                parser.parse(phrase.upper(), default=probe, dayfirst=False, fuzzy=False)
                for probe in (_PROBE_A, _PROBE_B)
            )
    except Exception:  # noqa: BLE001 - dateutil raises many types; all mean "not a date"
        return None
    if (a.month, a.day) != (b.month, b.day):
        return None  # "may", "2026-12": no day, so no date
    year = a.year if a.year == b.year else None
    parsed_time = a.time().replace(microsecond=0) if a.hour == b.hour else None
    return year, a.month, a.day, parsed_time, a.tzinfo


def _pick_year(
    year: int | None, month: int, day: int, clock: _Clock | None, zone: tzinfo | None, ctx: _Ctx
) -> datetime | None:
    """Build the moment; a yearless date takes the nearest year on the `prefer` side of now."""

    def build(y: int) -> datetime | None:
        try:
            return ctx.at(date(y, month, day), clock).replace(tzinfo=zone)
        except ValueError:
            return None  # Feb 29 in a common year

    if year is not None:
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise _OutOfRange
        return build(year)
    step = 1 if ctx.prefer == "future" else -1
    wrong_side = ctx.is_past if ctx.prefer == "future" else ctx.is_future
    for y in range(ctx.today.year, ctx.today.year + 9 * step, step):  # 8 years covers Feb 29
        moment = build(y)
        if moment is not None and not wrong_side(moment):
            return moment
    return None


def _date_part(moment: datetime, clock: _Clock | None) -> date:
    """The calendar date the text named (midnight belongs to the day before)."""
    offset = clock.day_offset if clock is not None else 0
    return moment.date() - timedelta(days=offset)


# --------------------------------------------------------------------------- messages


def examples(now: datetime, prefer: str = "future") -> tuple[str, ...]:
    """Phrases to show in an error, valid at `now` and on the `prefer` side of it."""
    today = now.astimezone().date()
    if prefer == "past":
        return ("yesterday", "fri 3pm", f"{today - timedelta(days=7):%Y-%m-%d} 14:00")
    return ("tomorrow", "fri 3pm", f"{today + timedelta(days=7):%Y-%m-%d} 14:00")


def _not_understood(text: str, ctx: _Ctx) -> str:
    guess = _did_you_mean(text, ctx)
    if guess is not None:
        return f'cannot understand date "{_show(text)}"; did you mean "{guess}"?'
    shown = ", ".join(f'"{e}"' for e in examples(ctx.now_utc, ctx.prefer))
    return f'cannot understand date "{_show(text)}"; try e.g. {shown}'


def _vocabulary() -> list[str]:
    words = set(WEEKDAYS) | _MONTHS | set(_UNITS) | set(_PARTS_OF_DAY)
    words |= {w for phrase in _KEYWORDS for w in phrase.split(" ")}
    words |= {"now", "noon", "midday", "midnight", "next", "this", "last", "in", "and"}
    return sorted(w for w in words if len(w) >= 3)


def _did_you_mean(text: str, ctx: _Ctx) -> str | None:
    """The text with each unknown word replaced by the nearest known one, when that parses."""
    if len(text) > _MAX_PHRASE:
        return None
    import difflib

    vocabulary = _vocabulary()
    words = _normalise(text).split(" ")
    guessed = [
        next(iter(difflib.get_close_matches(w, vocabulary, n=1, cutoff=0.75)), w)
        if w.isascii() and w.isalpha() and w not in vocabulary
        else w
        for w in words
    ]
    if guessed == words:
        return None
    guess = " ".join(guessed)
    try:
        return guess if _parse(guess, ctx) is not None else None
    except (DateParseError, _OutOfRange, OverflowError, ValueError):
        return None


def _show(text: str) -> str:
    """User text fit for a one-line message: clipped, control characters escaped."""
    if len(text) > _SHOWN_CHARS:
        text = text[:_SHOWN_CHARS] + "…"
    return "".join(_escape_char(c) for c in text)


def _escape_char(char: str) -> str:
    if unicodedata.category(char) not in _UNPRINTABLE:
        return char
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


# ----------------------------------------------------------------- storage and display


def to_local(dt: datetime) -> datetime:
    """Aware datetime in the system local zone (honours TZ, DST-correct)."""
    return dt.astimezone()


def format_when(dt: datetime, now: datetime) -> str:
    """'Fri 27 Nov 17:00, in 4 days'; the year appears only when it is not this year."""
    return when_words(dt, now, to_local(dt), to_local(now))


def format_day_time(dt: datetime, now: datetime) -> str:
    """'Fri 27 Nov 17:00' in local time, with the year only when it is not this year."""
    return day_time_words(to_local(dt), to_local(now))


def format_day(dt: datetime, now: datetime) -> str:
    """'Fri 27 Nov' (the short form for narrow tables), with the year when not this year."""
    return day_words(to_local(dt), to_local(now))


def format_short_day(dt: datetime, now: datetime) -> str:
    """'Fri 11 Dec', or 'today 11:00' on the day itself: a date for a narrow table."""
    return short_day_words(to_local(dt), to_local(now))


# The same words from times already local (to_local), for a listing of thousands of rows that
# converts each time once and `now` once: format_when, format_day_time, format_day and
# format_short_day are these after the conversion, so each wording has one home.
def when_words(dt: datetime, now: datetime, local: datetime, local_now: datetime) -> str:
    """format_when(dt, now), given `local` = to_local(dt) and `local_now` = to_local(now)."""
    return f"{day_time_words(local, local_now)}, {format_relative(dt, now)}"


def day_time_words(local: datetime, local_now: datetime) -> str:
    """format_day_time for local times."""
    return f"{day_words(local, local_now)} {local.hour:02d}:{local.minute:02d}"


def day_words(local: datetime, local_now: datetime) -> str:
    """format_day for local times."""
    year = f" {local.year}" if local.year != local_now.year else ""
    return f"{_DAY_NAMES[local.weekday()]} {local.day} {_MONTH_NAMES[local.month - 1]}{year}"


def short_day_words(local: datetime, local_now: datetime) -> str:
    """format_short_day for local times."""
    if local.date() == local_now.date():
        return f"today {local.hour:02d}:{local.minute:02d}"
    return day_words(local, local_now)


def format_relative(dt: datetime, now: datetime) -> str:
    """'in 4 days', '1 hour ago', 'now': one unit, coarser as the distance grows.

    Amounts are truncated, never rounded up, so '1 hour' covers 60-119 minutes and a
    promise due in 47 hours is not yet 'in 2 days'.
    """
    seconds = (dt - now).total_seconds()
    if abs(seconds) < 60:
        return "now"
    words = _count(*_relative_amount(abs(seconds)))  # format_amount's words, for 60 s or more
    return f"in {words}" if seconds > 0 else f"{words} ago"


def format_amount(delta: timedelta) -> str:
    """'28 hours', '4 days': the one-unit amount format_relative says (sign ignored), for
    a time left or gone that stands next to it ('(28 hours left)' beside 'in 28 hours')."""
    seconds = abs(delta.total_seconds())
    if seconds < 60:
        return "0 minutes"
    return _count(*_relative_amount(seconds))


_SHORT_UNITS = {"minute": "m", "hour": "h", "day": "d", "week": "w", "month": "mo", "year": "y"}


def format_short_amount(delta: timedelta) -> str:
    """'2d', '28h', '45m': format_amount's amount in a few characters, for narrow tables."""
    seconds = abs(delta.total_seconds())
    if seconds < 60:
        return "0m"
    amount, unit = _relative_amount(seconds)
    return f"{amount}{_SHORT_UNITS[unit]}"


def format_short_relative(dt: datetime, now: datetime) -> str:
    """'in 3d', '7d ago', 'now': format_relative in a few characters."""
    seconds = (dt - now).total_seconds()
    if abs(seconds) < 60:
        return "now"
    amount = format_short_amount(timedelta(seconds=seconds))
    return f"in {amount}" if seconds > 0 else f"{amount} ago"


def _relative_amount(seconds: float) -> tuple[int, str]:
    minute, hour, day = 60, 3600, 86400
    if seconds < 60 * minute:
        return int(seconds // minute), "minute"
    if seconds < 36 * hour:
        return int(seconds // hour), "hour"
    if seconds < 14 * day:
        return int(seconds // day), "day"
    if seconds < 56 * day:
        return int(seconds // (7 * day)), "week"
    months = int(seconds // (30 * day))
    if months < 12:
        return months, "month"
    return max(1, int(seconds // (365 * day))), "year"


def format_span(delta: timedelta) -> str:
    """'1 day 4 hours', '45 minutes': how late or early, sign ignored, whole minutes."""
    minutes = abs(delta) // timedelta(minutes=1)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [(days, "day"), (hours, "hour"), (minutes, "minute")]
    for index, (amount, unit) in enumerate(parts):
        if amount:
            shown = [_count(amount, unit)]
            if index + 1 < len(parts) and parts[index + 1][0]:
                shown.append(_count(*parts[index + 1]))
            return " ".join(shown)
    return "0 minutes"


def _count(amount: int, unit: str) -> str:
    return f"{amount} {unit}" if amount == 1 else f"{amount} {unit}s"


LONGEST_EFFORT = timedelta(days=3653)  # ten years of days: more is a slip of the keyboard
_WORK_DAYS = _Lazy(r"(\d+(?:\.\d+)?)\s*(weeks?|wks?|w|days?|d)(?![a-z])")


def parse_effort(text: str, workday: timedelta) -> timedelta:
    """An amount of work: like parse_duration, but a day is one working day (`workday`) and a
    week five of them, because "2 days of work" is not 48 hours."""
    if not isinstance(text, str):
        raise DateParseError("an effort must be text like 6h, 2d or 1w")
    phrase = text.strip().lower()
    days = 0.0
    for match in _WORK_DAYS.finditer(phrase):
        days += float(match[1]) * (5 if match[2].startswith("w") else 1)
    rest = _WORK_DAYS.sub(" ", phrase).replace(" and ", " ").strip()
    rest = rest.removeprefix("in ").strip() if rest != "in" else ""
    try:
        total = workday * days
        if rest:
            total += parse_duration(rest)
        elif not days:
            total = parse_duration(phrase)  # its error message names the text as typed
    except OverflowError:
        total = LONGEST_EFFORT + LONGEST_EFFORT
    if total > LONGEST_EFFORT:
        raise DateParseError(f'effort "{_show(text)}" is too long (at most 10 years of work)')
    return total
