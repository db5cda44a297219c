"""The one source of "now", so that tests and scripts can pin it.

`PK_NOW` (an ISO 8601 time, e.g. `2026-11-23T10:00:00+01:00`) freezes the clock for one run;
it exists for tests and for replaying a day, and is documented as such.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from promisekeeper.model.errors import PkError

# The years pk can reckon in: every date it computes (a year of history back, a risk window
# ahead, week charts) stays inside what datetime can hold.
EARLIEST_YEAR, LATEST_YEAR = 1971, 9000


def now() -> datetime:
    """The current time as an aware UTC datetime with seconds precision."""
    check_time_zone()
    pinned = os.environ.get("PK_NOW")
    if pinned:
        try:
            value = datetime.fromisoformat(pinned.strip().replace("Z", "+00:00"))
        except ValueError:
            raise PkError(f"PK_NOW is not an ISO 8601 time: {pinned[:60]!r}") from None
        if EARLIEST_YEAR <= value.year <= LATEST_YEAR:
            if value.tzinfo is None:
                value = value.astimezone()
            return value.astimezone(UTC).replace(microsecond=0)
        raise PkError(
            f"PK_NOW must be a time between the years {EARLIEST_YEAR} and {LATEST_YEAR}, "
            f"not {pinned[:60]!r}"
        )
    return datetime.now(UTC).replace(microsecond=0)


def check_time_zone() -> None:
    """The local time zone (TZ) must be one a datetime can hold: less than 24 hours from UTC.
    `TZ=UTC+99` is accepted by the C library and would break every local time shown."""
    import time

    offset = time.localtime().tm_gmtoff
    if offset is not None and abs(offset) >= 24 * 3600:
        zone = os.environ.get("TZ", "")
        raise PkError(
            f"the time zone TZ={zone[:60]!r} is 24 hours or more from UTC; a time zone must be "
            "less than 24 hours from UTC (e.g. TZ=Europe/Berlin, or unset TZ)"
        )
