"""The crontab line for `pk remind`, and adding or removing exactly that line.

Cron runs with almost no environment, so the line names the absolute path of this `pk` and of
the ledger (and the config and time zone when they were chosen), each shell-quoted. The job
is marked with a comment line of ours, so `--remove` takes out exactly what `--install` put
in and nothing else.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from promisekeeper.model.errors import PkError

MARKER = "# promisekeeper: pk remind (added by `pk cron --install`; `pk cron --remove` removes it)"


class CronError(PkError):
    """crontab is missing or refused the change."""


@dataclass(frozen=True)
class Schedule:
    at: str = "09:00"
    every_hours: int | None = None
    weekdays: bool = False

    def fields(self) -> str:
        """The five time fields of a crontab line."""
        match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", self.at.strip())
        if not match:
            raise CronError(f"--at must be a time like 09:00, not {self.at!r}")
        hour, minute = int(match[1]), int(match[2])
        hours = str(hour) if self.every_hours is None else f"{hour}-23/{self.every_hours}"
        days = "1-5" if self.weekdays else "*"
        return f"{minute} {hours} * * {days}"


def parse_every(text: str) -> int:
    """'2h' or '2' -> 2 (hours between reminders, 1 to 23)."""
    match = re.fullmatch(r"\s*(\d+)\s*h?\s*", text)
    if not match or not 1 <= int(match[1]) <= 23:
        raise CronError(f"--every must be a number of hours from 1h to 23h, not {text!r}")
    return int(match[1])


def pk_command() -> list[str]:
    """How cron should start this very pk: its script's absolute path, else python -m."""
    script = Path(sys.argv[0])
    if script.name in ("pk", "promisekeeper"):
        found = shutil.which(str(script)) or str(script)
        return [str(Path(found).resolve())]
    return [str(Path(sys.executable).resolve()), "-m", "promisekeeper"]


def line(schedule: Schedule, ledger: Path, config: Path | None, desktop: bool) -> str:
    env = {"PK_DB": str(ledger.resolve())}
    if config is not None:
        env["PK_CONFIG"] = str(config.resolve())
    if os.environ.get("TZ"):
        env["TZ"] = os.environ["TZ"]
    argv = [*pk_command(), "remind", *(["--desktop"] if desktop else [])]
    command = " ".join(
        [f"{key}={shlex.quote(value)}" for key, value in env.items()]
        + [shlex.quote(a) for a in argv]
    )
    # In a crontab a bare % ends the command: escape it.
    return f"{schedule.fields()} {command.replace('%', chr(92) + '%')}"


def _crontab() -> str:
    found = shutil.which("crontab")
    if found is None:
        raise CronError("crontab is not installed; install cron, or see README for a systemd timer")
    return found


def read() -> str:
    """The user's current crontab ('' when there is none yet)."""
    done = subprocess.run(
        [_crontab(), "-l"], capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=30
    )
    if done.returncode != 0:
        if "no crontab" in (done.stderr or "").lower():
            return ""
        raise CronError(f"crontab -l failed: {(done.stderr or '').strip() or done.returncode}")
    return done.stdout


def write(text: str) -> None:
    done = subprocess.run([_crontab(), "-"], input=text, capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        raise CronError(f"crontab refused the change: {(done.stderr or '').strip()}")


def without_ours(text: str) -> str:
    """The crontab minus our marker line and the job line right after it."""
    lines = text.splitlines()
    kept: list[str] = []
    skip = False
    for current in lines:
        if current == MARKER:
            skip = True
            continue
        if skip:
            skip = False
            continue
        kept.append(current)
    return "\n".join(kept) + ("\n" if kept else "")


def with_ours(text: str, job: str) -> str:
    """The crontab with exactly one job of ours, at the end, replacing an older one."""
    base = without_ours(text)
    if base and not base.endswith("\n"):
        base += "\n"
    return f"{base}{MARKER}\n{job}\n"


def installed(text: str) -> str | None:
    """Our job line in a crontab, if any."""
    lines = text.splitlines()
    for index, current in enumerate(lines[:-1]):
        if current == MARKER:
            return lines[index + 1]
    return None


def install(job: str) -> str | None:
    """Put `job` in the user's crontab as our one line; returns the line of ours it found
    there before (the same `job` when nothing had to change), None when there was none."""
    current = read()
    before = installed(current)
    if before != job:
        write(with_ours(current, job))
    return before
