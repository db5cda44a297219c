"""`pk remind` for cron, and `pk cron` to set it up."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from promisekeeper.face.commands.common import print_json, promise_object, say, state
from promisekeeper.services import paths

if TYPE_CHECKING:
    from promisekeeper.services.ledger import Ledger
    from promisekeeper.services.remind import Reminder

EXIT_DUE = 3
HEADINGS = {
    "overdue": "Overdue",
    "due_soon": "Due soon",
    "at_risk": "At risk, and they haven't been told",
    "owed_overdue": "Owed to you, overdue",
    "owed_due_soon": "Owed to you, due soon",
}


def remind(
    ctx: typer.Context,
    within: Annotated[
        str | None,
        typer.Option(
            "--within",
            metavar="DURATION",
            help="Remind of what is due within this (default: rest of the working day + risk "
            "window).",
        ),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Only the one-line summary.")
    ] = False,
    desktop: Annotated[
        bool,
        typer.Option("--desktop", help="Also raise one desktop notification (notify-send)."),
    ] = False,
    output_format: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    fail_if_due: Annotated[
        bool,
        typer.Option(
            "--fail-if-due",
            help=f"Exit {EXIT_DUE} when something needs you now, even if reminded before.",
        ),
    ] = False,
    record: Annotated[
        bool | None,
        typer.Option(
            "--record/--no-record",
            help="Record what this run reminded you of, so later runs today do not repeat it "
            "(default: only when run without a terminal, as from cron).",
        ),
    ] = None,
) -> None:
    """What needs you now, for cron: never asks anything, prints nothing when all is well.

    Lists overdue promises, those due soon, and those at risk whose people were not told,
    then what others owe you that is overdue or due soon (with when you last asked them),
    each with the command to run next (pk notify ID, pk keep ID, pk nudge ID) and what
    changed since the last reminder (now overdue, now at risk, moved). A run without a
    terminal (cron) records what it said and does not repeat a promise the same day unless
    it got worse; a run on a terminal shows all that needs you and records nothing, so it
    never uses up cron's reminder. --format json always
    lists all that needs you, each marked "new" or not. Exit status 0 (or 3 with
    --fail-if-due when something needs you), 1 on an error.

    \b
    Examples:
      pk remind
      pk remind --within 2d --desktop
      pk remind --format json --fail-if-due
    """
    if output_format not in ("text", "json"):
        ctx.fail(f"--format must be text or json, not {output_format!r}")
    from promisekeeper.services import remind as reminding

    ledger = state(ctx).ledger()
    span = None
    if within:
        from promisekeeper.rules.dates import parse_duration

        span = parse_duration(within)
    if record is not False:
        ledger.repeat_due()  # occurrences of series due to exist now; --no-record writes nothing
    reminders = reminding.due(ledger, span)
    recording = unattended() if record is None else record
    # A recording run (cron) says only what is new; any other shows all that needs you.
    shown = [r for r in reminders if r.new] if recording else reminders
    if output_format == "json":
        from promisekeeper.model.times import iso

        print_json(
            [
                {
                    **promise_object(ledger, r.promise),
                    "reason": r.reason,
                    "next": r.next,
                    "new": r.new,
                    "change": r.change or None,
                    "was": r.was,
                    "last_reminded": iso(r.last) if r.last else None,
                    **(
                        {"last_asked": iso(r.asked.at) if r.asked else None}
                        if r.reason.startswith("owed_")
                        else {}
                    ),
                }
                for r in reminders
            ]
        )
    elif shown:
        say("\n".join(digest(ledger, shown, quiet)))
    if desktop and shown:
        _desktop(summary(shown))
    if recording:
        reminding.record(ledger, reminders)
    if fail_if_due and reminders:
        raise typer.Exit(EXIT_DUE)


def unattended() -> bool:
    """No terminal on either end: cron, a systemd timer, a script with its output captured."""
    return not (sys.stdin.isatty() or sys.stdout.isatty())


def summary(reminders: list[Reminder]) -> str:
    counts = {HEADINGS[reason].split(",")[0].lower(): 0 for reason in HEADINGS}
    for r in reminders:
        counts[HEADINGS[r.reason].split(",")[0].lower()] += 1
    parts = [f"{n} {words}" for words, n in counts.items() if n]
    noun = "promise needs" if len(reminders) == 1 else "promises need"
    text = f"{len(reminders)} {noun} you: {', '.join(parts)}"
    notes: dict[str, int] = {}
    for r in sorted(reminders, key=lambda r: not r.new):  # what changed, then what was said
        note = change_words(r)
        if note:
            notes[note] = notes.get(note, 0) + 1
    if notes:
        text += "; " + ", ".join(f"{n} {note}" for note, n in notes.items())
    return text


def change_words(reminder: Reminder) -> str:
    """What changed since the last reminder, in words ('' for a first reminder or no change);
    for one already said today, that it was."""
    from promisekeeper.telling.words import STANDING_WORDS

    if not reminder.new:
        return "already reminded today"
    if reminder.change == "worse":
        return f"now {STANDING_WORDS[reminder.standing]}"
    if reminder.change == "moved":
        return "moved since the last reminder"
    return ""


def digest(ledger: Ledger, reminders: list[Reminder], quiet: bool) -> list[str]:
    """Plain text that reads well as a cron e-mail."""
    from promisekeeper.face.render import promise_summary
    from promisekeeper.rules.dates import format_day_time, format_relative
    from promisekeeper.rules.timing import past_due
    from promisekeeper.telling.words import timing

    now = ledger.now
    lines = [f"PromiseKeeper, {format_day_time(now, now)}: {summary(reminders)}."]
    if quiet:
        return lines
    for reason, heading in HEADINGS.items():
        group = [r for r in reminders if r.reason == reason]
        if not group:
            continue
        lines += ["", heading]
        for r in group:
            p = r.promise
            if past_due(p, now):
                when = f"was due {format_day_time(p.due, now)}, {timing(p, now)}"
            else:
                when = f"due {format_day_time(p.due, now)}, {format_relative(p.due, now)}"
            note = change_words(r)
            if note and not r.new and r.last is not None:
                note = f"already reminded {format_day_time(r.last, now)}"
            if r.reason.startswith("owed_"):
                from promisekeeper.telling.words import asked_words

                when += f" · {asked_words(r.asked, now)}"
            lines.append(f"  {promise_summary(p)} · {when}" + (f" · {note}" if note else ""))
            lines.append(f"    next: {r.next}")
    return lines


def _desktop(text: str) -> None:
    """One notification for the lot, when a desktop session is reachable; silent otherwise."""
    tool = shutil.which("notify-send")
    if tool is None or not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return
    try:
        subprocess.run(
            [tool, "--app-name=PromiseKeeper", "PromiseKeeper", text],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        pass


def cron(
    ctx: typer.Context,
    at: Annotated[str, typer.Option("--at", metavar="HH:MM", help="When to run.")] = "09:00",
    every: Annotated[
        str | None,
        typer.Option("--every", metavar="HOURS", help="Repeat every N hours after --at (2h)."),
    ] = None,
    weekdays: Annotated[bool, typer.Option("--weekdays", help="Monday to Friday only.")] = False,
    desktop: Annotated[
        bool, typer.Option("--desktop/--no-desktop", help="Run pk remind --desktop.")
    ] = False,
    install: Annotated[bool, typer.Option("--install", help="Add it to your crontab.")] = False,
    remove: Annotated[
        bool, typer.Option("--remove", help="Remove the line --install added.")
    ] = False,
    show: Annotated[
        bool,
        typer.Option(
            "--show", help="Show the line installed now (or the one --install would add)."
        ),
    ] = False,
) -> None:
    """Print the crontab line that runs pk remind; --install or --remove it.

    The line names this pk and the ledger by absolute path, so cron needs none of your
    shell's environment. Installing twice leaves one line; --remove takes out only ours.

    \b
    Examples:
      pk cron
      pk cron --at 08:30 --weekdays --install
      pk cron --every 2h --desktop --install
      pk cron --remove
    """
    from promisekeeper.services import cron as crontab
    from promisekeeper.telling.text import safe

    if sum((install, remove, show)) > 1:
        ctx.fail("use only one of --install, --remove and --show")
    if remove:
        if not crontab.remove():
            say("No pk remind line in your crontab; nothing to remove.")
            return
        say("Removed the pk remind line from your crontab.")
        return
    schedule = crontab.Schedule(
        at=at, every_hours=crontab.parse_every(every) if every else None, weekdays=weekdays
    )
    ledger_path, _explicit = paths.db_path(state(ctx).db)
    config = paths.config_path() if os.environ.get("PK_CONFIG") else None
    job = crontab.line(schedule, ledger_path, config, desktop)
    if show:
        found = crontab.installed(crontab.read())
        if found is None:
            say("No pk remind job is installed in your crontab. pk cron --install would add:")
            say(safe(job))
            return
        say(safe(found))
        return
    if not install:
        say(safe(job))
        return
    before = crontab.install(job)
    if before == job:
        say("Already in your crontab:")
    elif before is None:
        say("Added to your crontab:")
    else:
        say("Replaced the pk remind line in your crontab, which was:")
        say(safe(before))
        say("with:")
    say(safe(job))
