"""What `--since` means, for every command that takes it: the start of a period in the past.

"2w", "30d", "3 months" are that long ago; "today" and "yesterday" their start; a weekday
("mon") the last such day, today included; a date ("2026-11-01") the start of that day; "last
friday" the same as "friday". A moment in the future is refused, never read as a period ahead.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from promisekeeper.model.errors import InvalidInput
from promisekeeper.rules.dates import WEEKDAYS, duration_ago, format_day_time, parse_when
from promisekeeper.rules.worktime import local_day

EXAMPLES = '"2w", "30d", "mon" or "2026-11-01"'


def parse_since(text: str, now: datetime) -> datetime:
    """The start of the period `text` names, as an aware UTC datetime no later than `now`."""
    phrase = " ".join(text.strip().lower().split())
    if phrase == "today":
        return local_day(now)[0]
    if phrase.startswith(("in ", "+")):
        raise InvalidInput(f"--since is a time in the past, not {text.strip()!r}; try {EXAMPLES}")
    ago = duration_ago(phrase, now)
    if ago is not None:
        return ago
    phrase = phrase.removeprefix("last ")
    # A date alone means its start here, not the end of the working day.
    since = parse_when(phrase, now, day_ends=time(0, 0), prefer="past")
    if since > now and phrase in WEEKDAYS:
        since = local_day(since - timedelta(days=7))[0]  # 'mon': the last Monday, not the next
    if since > now:
        raise InvalidInput(
            f"--since must be in the past, not {format_day_time(since, now)}; try {EXAMPLES}"
        )
    return since
