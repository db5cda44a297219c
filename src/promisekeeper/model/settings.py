"""The settings that shape dates, standing and telling, with their defaults.

Read from config.toml by services.config; every rule takes what it needs from here, so each
default (the end of the working day above all) is written once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time, timedelta
from pathlib import Path

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up)
if TYPE_CHECKING:
    from typing import Any

# A date without a time means the end of the working day: "by Friday" is Friday at 17:00.
DEFAULT_DAY_ENDS = time(17, 0)
DEFAULT_DAY_STARTS = time(9, 0)
CHANNELS = ("print", "copy", "email", "command")
# How a numeric date like 12/01 is read: day first, month first, or year first. ISO
# (2026-12-01) is always read as year-month-day.
DATE_ORDERS = ("DMY", "MDY", "YMD")
DEFAULT_DATE_ORDER = "MDY"  # the C locale's order, when the locale says nothing else


@dataclass(frozen=True)
class Config:
    """Settings that shape dates and standing.

    day_ends: what a date without a time means ("by Friday" is due Friday at this time).
    day_starts: when your working day starts (working time counts for --effort).
    risk_window: an open promise due within this window is at risk.
    risk_fraction: an open promise with less than this share of its promised span left is at risk.
    date_order: how a numeric date like 12/01 is read (DMY, MDY or YMD).
    """

    day_ends: time = DEFAULT_DAY_ENDS
    day_starts: time = DEFAULT_DAY_STARTS
    risk_window: timedelta = timedelta(hours=24)
    risk_fraction: float = 0.2
    notify: NotifySettings = field(default_factory=lambda: NotifySettings())
    trust: dict[str, float] = field(default_factory=dict)
    load_threshold: int = 3
    learn_from_record: bool = True
    date_order: str = DEFAULT_DATE_ORDER
    sync_auto: bool = False  # [sync] auto: pk sync in the background after each change
    path: Path | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def directory(self) -> Path | None:
        """Where user templates live (`templates/` beside config.toml)."""
        return None if self.path is None else self.path.parent


@dataclass(frozen=True)
class NotifySettings:
    """How messages leave pk: `[notify]` and `[smtp]` in config.toml.

    via: the default channel (a person's preferred channel wins over it).
    command: argv for the `command` channel; {to} {handle} {email} {subject} {message}
        are each filled in as one whole argument, never through a shell.
    smtp: host, port, user, password, from, starttls; when set, `email` sends directly.
    """

    via: str = "print"
    command: tuple[str, ...] = ()
    command_timeout: float = 30.0
    smtp: dict[str, Any] = field(default_factory=dict)
