"""`pk remind` for cron, and `pk cron` to set it up."""

from __future__ import annotations

import os
from typing import Annotated, Any

import typer

from promisekeeper.face.acts import EXIT_DUE
from promisekeeper.face.commands.common import say, state
from promisekeeper.services import paths


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
    sync: Annotated[
        bool,
        typer.Option(
            "--sync",
            help="Run pk sync first, so the digest has every copy's promises (a failed sync: "
            "one line on stderr, the digest all the same, exit 1).",
        ),
    ] = False,
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
    --fail-if-due when something needs you), 1 on an error. With --sync it first syncs
    with your other copies (pk sync); when that fails it says why in one line on stderr,
    still prints the digest of this ledger, and exits 1.

    \b
    Examples:
      pk remind
      pk remind --within 2d --desktop
      pk remind --format json --fail-if-due
      pk remind --sync --desktop
    """
    if output_format not in ("text", "json"):
        ctx.fail(f"--format must be text or json, not {output_format!r}")
    from promisekeeper.face.acts import remind as remind_now

    ledger = state(ctx).ledger()
    synced = _sync_first(ledger) if sync else True
    code = remind_now(
        ledger,
        within=within,
        quiet=quiet,
        desktop=desktop,
        output_format=output_format,
        fail_if_due=fail_if_due,
        record=record,
    )
    if not synced:
        code = 1
    if code:
        raise typer.Exit(code)


def _sync_first(ledger: Any) -> bool:
    """pk sync before the digest; a failure is one line on stderr, and the digest follows."""
    from promisekeeper.services import sync
    from promisekeeper.telling.text import one_line

    try:
        sync.sync(ledger)
    except sync.SyncError as exc:  # the ledger's own troubles stop the digest too
        typer.echo(
            f"pk: sync failed, the digest is this ledger's alone: {one_line(str(exc))}", err=True
        )
        return False
    return True


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
