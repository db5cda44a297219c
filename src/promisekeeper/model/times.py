"""Times as events and JSON write them: ISO 8601 in UTC, whole seconds."""

from __future__ import annotations

from datetime import UTC, datetime

from promisekeeper.model.errors import DateParseError

# The years pk works with: every time it reads (typed, imported, stored) lies between them in
# UTC. The date parser also keeps the local time in them; shown in any other zone (UTC-12 to
# UTC+14) such a time is at most a day outside, which every computation handles.
MIN_YEAR, MAX_YEAR = 1900, 9998
YEARS = f"years {MIN_YEAR}-{MAX_YEAR}"
# The same range in Unix seconds: the first second of MIN_YEAR, the first after MAX_YEAR (UTC).
_FIRST_TS, _AFTER_TS = -2208988800, 253370764800


def in_range(moment: datetime) -> bool:
    """Whether aware `moment` lies within years MIN_YEAR..MAX_YEAR in UTC."""
    try:
        return MIN_YEAR <= moment.astimezone(UTC).year <= MAX_YEAR
    except (OverflowError, ValueError):
        return False


def from_timestamp(value: object) -> datetime | None:
    """A stored Unix time (whole seconds) as an aware UTC datetime, or None when it is not one
    or lies out of range: a row written by an older or a tampered pk never breaks a read."""
    if type(value) is int and _FIRST_TS <= value < _AFTER_TS:  # in range: the common case
        return datetime.fromtimestamp(value, UTC)
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    try:
        moment = datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return moment if in_range(moment) else None


def iso(dt: datetime) -> str:
    """'2026-11-27T17:00:00+00:00': the form of times in events and JSON. Naive input is a
    bug, so it raises."""
    if dt.tzinfo is UTC and not dt.microsecond:  # as stored times are read: already so
        return dt.isoformat()
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("iso needs an aware datetime")
    return dt.astimezone(UTC).replace(microsecond=0).isoformat()


def from_iso(text: str) -> datetime:
    """Inverse of iso; any ISO 8601 with offset or 'Z' works, naive input counts as UTC."""
    if not isinstance(text, str):
        raise DateParseError(f"not an ISO 8601 date-time: {repr(text)[:60]}")
    stripped = text.strip()
    if stripped.endswith("z"):  # fromisoformat takes only the upper-case 'Z'
        stripped = stripped[:-1] + "Z"
    try:
        parsed = datetime.fromisoformat(stripped)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC).replace(microsecond=0)
    except (ValueError, OverflowError):
        raise DateParseError(f'not an ISO 8601 date-time: "{text[:60]}"') from None
