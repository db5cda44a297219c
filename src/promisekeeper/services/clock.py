"""The one source of "now", so that tests and scripts can pin it.

`PK_NOW` (an ISO 8601 time, e.g. `2026-11-23T10:00:00+01:00`) freezes the clock for one run;
it exists for tests and for replaying a day, and is documented as such.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from promisekeeper.model.errors import PkError


def now() -> datetime:
    """The current time as an aware UTC datetime with seconds precision."""
    pinned = os.environ.get("PK_NOW")
    if pinned:
        try:
            value = datetime.fromisoformat(pinned.strip().replace("Z", "+00:00"))
        except ValueError:
            raise PkError(f"PK_NOW is not an ISO 8601 time: {pinned!r}") from None
        if value.tzinfo is None:
            value = value.astimezone()
        return value.astimezone(UTC).replace(microsecond=0)
    return datetime.now(UTC).replace(microsecond=0)
