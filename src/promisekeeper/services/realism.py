"""Be realistic: warnings at the moment a promise is made.

Two questions, asked before the promise is saved: is that day already full, and does your own
record with this person (or this kind of work) say you usually need longer than you are
promising? Both come with a concrete alternative where there is one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from promisekeeper.rules import track
from promisekeeper.rules.fields import clean_people, clean_tags
from promisekeeper.rules.worktime import next_end_of_working_day

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up)
if TYPE_CHECKING:
    from promisekeeper.services.ledger import Ledger


@dataclass
class Check:
    """What pk has to say about a new promise before it is saved."""

    warnings: list[str] = field(default_factory=list)
    suggested_due: datetime | None = None


def check(ledger: Ledger, to: list[str], due: datetime, tags: list[str]) -> Check:
    from promisekeeper.rules.dates import format_day_time, format_span

    result = Check()
    now = ledger.now
    to, tags = clean_people(to), clean_tags(tags)  # as the promise will be stored
    load = ledger.open_due_on(due)
    if load >= ledger.config.load_threshold:
        result.warnings.append(
            f"that day is already full: {load} open promises are due "
            f"{format_day_time(due, now).rsplit(' ', 1)[0]}"
        )
    record = ledger.record_like(to, tags)
    if record is None:
        return result
    suggested = track.suggested_due(now, due, record)
    rate = "-" if record.on_time_rate is None else f"{record.on_time_rate:.0%}"
    late = (
        f", typically {format_span(record.typical_lateness)} late when late"
        if record.typical_lateness
        else ""
    )
    if suggested is not None and record.slip_factor is not None:
        result.suggested_due = next_end_of_working_day(suggested, ledger.config.day_ends)
        result.warnings.append(
            f"your record with {record.basis}: {rate} on time over {record.count} promises{late};"
            f" you usually need {record.slip_factor:.1f}x the time you promise — consider "
            f"{format_day_time(result.suggested_due, now)}"
        )
    elif record.on_time_rate is not None and record.on_time_rate < 0.8:
        result.warnings.append(
            f"your record with {record.basis}: {rate} on time over {record.count} promises{late}"
        )
    return result
