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


# What a value may not hold: cron ends a job at a line break, and no program can be given a NUL.
_UNSAYABLE = {"\n": "line break", "\r": "carriage return", "\0": "NUL character"}


def sh_word(value: str) -> str:
    """`value` as one /bin/sh word that survives crontab's own reading of the line.

    In a crontab's command field a `%` is a line break (and ends the command) unless a
    backslash escapes it, and cron removes that backslash; a backslash before any other
    character is kept with it, so `\\\\%` is a kept `\\\\` and then a bare `%` that cuts the job
    short (crontab(5); Vixie cron and cronie, do_command.c). So no `%` may follow a backslash
    in the shell's text: inside single quotes each `%` is set outside them (`'a\\'%'b'`), and
    every `%` is then escaped for cron by `crontab_text`.
    """
    quoted = shlex.quote(value)
    if quoted.startswith("'"):
        quoted = quoted.replace("%", "'%'")
    return quoted


def crontab_text(command: str) -> str:
    """A shell command as crontab's command field: every `%` escaped (see `sh_word`)."""
    return command.replace("%", "\\%")


def check_value(name: str, value: str) -> str:
    """A value for the cron line, refused when a crontab line cannot carry it."""
    for char, what in _UNSAYABLE.items():
        if char in value:
            raise CronError(
                f"{name} holds a {what} ({value!r}), which a crontab line cannot carry;"
                " nothing was changed"
            )
    return value


def line(schedule: Schedule, ledger: Path, config: Path | None, desktop: bool) -> str:
    """The job line: the time fields, then the environment and this pk, each value quoted
    for /bin/sh and escaped for crontab, so cron runs `pk remind` with exactly these values."""
    check_value("PK_DB", str(ledger))  # before resolving: the file system refuses a NUL
    env = {"PK_DB": str(ledger.resolve())}
    if config is not None:
        check_value("PK_CONFIG", str(config))
        env["PK_CONFIG"] = str(config.resolve())
    if os.environ.get("TZ"):
        env["TZ"] = os.environ["TZ"]
    program = pk_command()
    argv = [*program, "remind", *(["--desktop"] if desktop else [])]
    for key, value in env.items():
        check_value(key, value)
    for value in program:
        check_value("the path of pk", value)
    command = " ".join(
        [f"{key}={sh_word(value)}" for key, value in env.items()] + [sh_word(a) for a in argv]
    )
    return f"{schedule.fields()} {crontab_text(command)}"


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


def _others(text: str) -> list[str]:
    return without_ours(text).splitlines()


def _put(before: str, meant: str, job: str | None) -> None:
    """Write `meant` and read it back: when crontab did not keep our line as written (or
    changed the other lines), put `before` back and say so."""
    write(meant)
    after = read()
    kept = (
        after.splitlines().count(MARKER) == (0 if job is None else 1)
        and installed(after) == job
        and _others(after) == _others(meant)
    )
    if kept:
        return
    try:
        write(before)
    except CronError as error:
        raise CronError(
            f"crontab did not keep the pk remind line as written, and putting your previous "
            f"crontab back failed too ({error}); check it with crontab -l"
        ) from None
    found = installed(after)
    raise CronError(
        "crontab did not keep the pk remind line as written"
        + (f" (it read back {found!r})" if found is not None and found != job else "")
        + "; your previous crontab was put back"
    )


def install(job: str) -> str | None:
    """Put `job` in the user's crontab as our one line; returns the line of ours it found
    there before (the same `job` when nothing had to change), None when there was none."""
    current = read()
    before = installed(current)
    if before != job or current.splitlines().count(MARKER) != 1:
        _put(current, with_ours(current, job), job)
    return before


def remove() -> bool:
    """Take our line out of the user's crontab; False when it was not there."""
    current = read()
    if installed(current) is None:
        return False
    _put(current, without_ours(current), None)
    return True
