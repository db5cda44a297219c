"""What `--since` means, for every command that takes it: the start of a period in the past.

"2w", "30d", "3 months" are that long ago; "today" and "yesterday" their start; a weekday
("mon") the start of the latest such day, today included; "last friday" the latest Friday
before today; a date ("2026-11-01", or "01/11" read by `date_order`) the start of that day. A
moment in the future is refused, never read as a period ahead.
"""

from __future__ import annotations

from datetime import datetime, time

from promisekeeper.model.errors import InvalidInput
from promisekeeper.model.settings import DEFAULT_DATE_ORDER
from promisekeeper.rules.dates import duration_ago, format_day_time, parse_when
from promisekeeper.rules.worktime import local_day, local_month_start


def examples(now: datetime) -> str:
    """Valid at `now`: the date shown is the first of this month, never in the future."""
    return f'"2w", "30d", "mon" or "{local_month_start(now).astimezone():%Y-%m-%d}"'


def parse_since(text: str, now: datetime, *, date_order: str = DEFAULT_DATE_ORDER) -> datetime:
    """The start of the period `text` names, as an aware UTC datetime no later than `now`."""
    phrase = " ".join(text.strip().lower().split())
    if phrase == "today":
        return local_day(now)[0]
    if phrase.startswith(("in ", "+")):
        raise InvalidInput(
            f"--since is a time in the past, not {text.strip()!r}; try {examples(now)}"
        )
    ago = duration_ago(phrase, now)
    if ago is not None:
        return ago
    # A date alone means its start here, not the end of the working day; a weekday alone is
    # the latest one (prefer="past"), whose start is never ahead.
    since = parse_when(phrase, now, day_ends=time(0, 0), prefer="past", date_order=date_order)
    if since > now:
        raise InvalidInput(
            f"--since must be in the past, not {format_day_time(since, now)}; try {examples(now)}"
        )
    return since
