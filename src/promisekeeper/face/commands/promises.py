"""Commands that make, show and change promises: the daily life of the ledger."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from promisekeeper.face.acts import STATUS_CHOICES
from promisekeeper.face.acts import confirm_change as _confirm_change
from promisekeeper.face.acts import effort_of as _effort
from promisekeeper.face.commands import common, tell
from promisekeeper.face.commands.common import (
    IdArgument,
    JsonOption,
    fail,
    painter,
    print_json,
    promise_object,
    say,
    state,
    when,
)

if TYPE_CHECKING:
    from promisekeeper.services.ledger import Ledger


IncludesOption = Annotated[
    list[str] | None,
    typer.Option("--includes", metavar="TEXT", help="What you will do, as agreed (repeatable)."),
]
ExcludesOption = Annotated[
    list[str] | None,
    typer.Option(
        "--excludes", metavar="TEXT", help="What you will not do, as agreed (repeatable)."
    ),
]
SourceOption = Annotated[
    str,
    typer.Option(
        "--source",
        metavar="TEXT|URL",
        help="Where it was promised: the ticket, thread or meeting, or the exact words.",
    ),
]


def promise(
    ctx: typer.Context,
    what: Annotated[
        list[str] | None,
        typer.Argument(metavar="WHAT", help="What you promise (several words are joined)."),
    ] = None,
    to: Annotated[
        list[str] | None,
        typer.Option(
            "--to",
            "-t",
            metavar="PERSON",
            autocompletion=common.complete_people,
            help="Who you promise it to (repeatable).",
        ),
    ] = None,
    due: Annotated[
        str | None,
        typer.Option(
            "--due",
            "-d",
            metavar="WHEN",
            help="When it is due: fri, tomorrow 9am, 2026-12-01, in 3 days.",
        ),
    ] = None,
    note: Annotated[str, typer.Option("--note", "-n", help="A note for yourself.")] = "",
    tag: Annotated[
        list[str] | None, typer.Option("--tag", metavar="TAG", help="A tag (repeatable).")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Accept a due time in the past (back-filling).")
    ] = False,
    effort: Annotated[
        str | None,
        typer.Option(
            "--effort",
            metavar="DURATION",
            help="Work it takes (6h, 2d = two working days): at risk when working time runs short.",
        ),
    ] = None,
    every: Annotated[
        str | None,
        typer.Option(
            "--every",
            metavar="RULE",
            help="Repeat: monday 10am, weekday 9am, 2 weeks fri, monthly on the 1st, "
            "3 days after done (each occurrence is its own promise; instead of --due).",
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option("--until", metavar="WHEN", help="With --every: no occurrence after this."),
    ] = None,
    count: Annotated[
        int | None,
        typer.Option("--count", metavar="N", help="With --every: this many occurrences in all."),
    ] = None,
    # The terms of the promise (issue 14, part 3).
    includes: IncludesOption = None,
    excludes: ExcludesOption = None,
    source: SourceOption = "",
    as_json: JsonOption = False,
) -> None:
    """Record a promise: what, to whom, by when.

    A promise needs a person and a date; on a terminal pk asks for them when missing. Spell
    out the terms: what it includes and excludes, and where it was promised; they go into
    the heads-up, new-date and delivered messages and the report. With --every it repeats:
    each occurrence is a promise of its own, made when the one before is closed or its own
    date comes within the risk window (pk stop ID ends it).

    \b
    Examples:
      pk promise "Send the Q3 numbers" --to alice --due fri
      pk promise fix the login bug --to bob --to carol --due "tomorrow 3pm" --tag release
      pk promise "Review the RFC" -t dana -d "in 3 days" --note "sections 2-4"
      pk promise "Weekly status" --to alice --every "monday 10am" --until 2027-03-31
      pk promise "Water the plants" --to carol --every "3 days after done" --count 10
      pk promise "Q3 deck" --to alice --due fri --includes slides --includes "speaker notes" \\
        --excludes "the recording" --source "https://tracker.example.com/T-42"
    """
    ledger = state(ctx).ledger()
    if every is not None or until is not None or count is not None:
        _promise_every(ctx, ledger, what, to, due, every, until, count, note, tag, as_json)
        return
    ledger.will_write()  # it reads (names, your record), then records: one connection
    text = " ".join(what or []).strip()
    if not text:
        if common.interactive():
            text = typer.prompt("What do you promise")
        else:
            ctx.fail("Missing argument 'WHAT': say what you promise.")
    if not to:
        if common.interactive():
            to = [typer.prompt("To whom")]
        else:
            ctx.fail("Missing option '--to': a promise without a person is a wish.")
    if not due:
        if common.interactive():
            from promisekeeper.rules.dates import examples

            due = typer.prompt(f"Due when (e.g. {', '.join(examples(ledger.now))})")
        else:
            ctx.fail("Missing option '--due': a promise without a date is a wish.")
    from promisekeeper.face.acts import record_promise

    record_promise(
        ledger,
        text,
        to,
        due,
        note=note,
        tags=tag or [],
        force=force,
        effort=effort,
        includes=includes or [],
        excludes=excludes or [],
        source=source,
        as_json=as_json,
        ask=_Terminal() if common.interactive() else None,
    )


def _promise_every(
    ctx: typer.Context,
    ledger: Ledger,
    what: list[str] | None,
    to: list[str] | None,
    due: str | None,
    every: str | None,
    until: str | None,
    count: int | None,
    note: str,
    tag: list[str] | None,
    as_json: bool,
) -> None:
    """`pk promise --every`: a series and its first occurrence."""
    if every is None:
        ctx.fail("--until and --count go with --every: say how it repeats.")
    if due is not None:
        ctx.fail("--due and --every: give one (the series sets each occurrence's date).")
    if until is not None and count is not None:
        ctx.fail("--until and --count: give one.")
    text = " ".join(what or []).strip()
    if not text:
        ctx.fail("Missing argument 'WHAT': say what you promise.")
    if not to:
        ctx.fail("Missing option '--to': a promise without a person is a wish.")
    ledger.will_write()
    end = when(ledger, until) if until is not None else None
    from promisekeeper.face.acts import check_name

    ask = _Terminal() if common.interactive() else None
    to = [check_name(ledger, name, ask) for name in to]
    series, first = ledger.make_series(
        text, to, every, until=end, count=count, note=note, tags=tag or []
    )
    if as_json:
        from promisekeeper.services.series import series_json

        print_json({**promise_object(ledger, first), "recurrence": series_json(series)})
        return
    from promisekeeper.face.render import promise_summary
    from promisekeeper.rules.dates import format_when

    paint = painter()
    say(f"Promised {paint(promise_summary(first), 'bold')}")
    say(f"  {series.rule}; first due {format_when(first.due, ledger.now)}")
    end_words = _series_end(series, ledger)
    if end_words:
        say(f"  {end_words}")


def _series_end(series: Any, ledger: Ledger) -> str:
    from promisekeeper.rules.dates import format_day_time

    if series.count is not None:
        return f"{series.count} occurrence{'s' if series.count != 1 else ''} in all"
    if series.until is not None:
        return f"until {format_day_time(series.until, ledger.now)}"
    return ""


NoPromptOption = Annotated[
    bool, typer.Option("--no-prompt", help="Do not ask about promises at risk (terminal only).")
]


AllOption = Annotated[
    bool, typer.Option("--all", help="Show every promise of each section, not the first 10.")
]


def today(
    ctx: typer.Context,
    as_json: JsonOption = False,
    no_prompt: NoPromptOption = False,
    show_all: AllOption = False,
) -> None:
    """The daily check: overdue, due today, at risk, and what you kept today.

    Each section shows its first 10 promises, most urgent first, and counts the rest (--all
    shows them all; --json always lists them all). On a terminal it then walks you through
    each promise at risk whose person has not been told yet: notify, move, keep, skip for
    today, or quit.

    \b
    Examples:
      pk today
      pk today --all --no-prompt
      pk today --json | jq '.overdue[].id'
    """
    from promisekeeper.face.daily import today_output

    ledger = state(ctx).ledger()
    ledger.repeat_due()  # occurrences of series due to exist now (none: one cheap read)
    say(today_output(ledger, as_json=as_json, everything=show_all))
    if tell.should_walk(no_prompt, as_json):
        tell.walk(ledger)


def status(
    ctx: typer.Context,
    as_json: JsonOption = False,
    no_prompt: NoPromptOption = False,
    show_all: Annotated[
        bool, typer.Option("--all", help="Show every promise of each group, not the first 20.")
    ] = False,
) -> None:
    """The full picture: overdue, at risk, on track and recently kept, as tables.

    Each group shows its first 20 promises and counts the rest (--all shows them all; --json
    always lists them all).

    On a terminal it then walks you through the promises at risk, like pk today.

    \b
    Examples:
      pk status
      pk status --json
    """
    from promisekeeper.face.acts import status_output

    ledger = state(ctx).ledger()
    say(status_output(ledger, as_json=as_json, everything=show_all))
    if tell.should_walk(no_prompt, as_json):
        tell.walk(ledger)


def list_promises(
    ctx: typer.Context,
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            "-t",
            metavar="PERSON",
            autocompletion=common.complete_people,
            help="Only promises to this person.",
        ),
    ] = None,
    status_: Annotated[
        str,
        typer.Option(
            "--status", "-s", metavar="STATUS", help="open, kept, broken, released or all."
        ),
    ] = "open",
    tag: Annotated[
        str | None, typer.Option("--tag", metavar="TAG", help="Only promises with this tag.")
    ] = None,
    due_before: Annotated[
        str | None,
        typer.Option("--due-before", metavar="WHEN", help="Only promises due before this."),
    ] = None,
    owed: Annotated[
        bool, typer.Option("--owed", help="Only promises owed to you (pk expect).")
    ] = False,
    mine: Annotated[bool, typer.Option("--mine", help="Only your own promises.")] = False,
    series: Annotated[
        bool,
        typer.Option(
            "--series", help="List the recurring promises (series) instead, with their next dates."
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """List promises, filtered (open ones by default), soonest due first.

    Yours and those owed to you (shown "from PERSON"; --owed or --mine for one side).

    \b
    Examples:
      pk list
      pk list --to alice --status all
      pk list --tag release --due-before "next week" --json
      pk list --owed --status all
      pk list --series
    """
    if series:
        from promisekeeper.face.commands.series import list_series

        list_series(state(ctx).ledger(), as_json)
        return
    if status_ not in STATUS_CHOICES:
        ctx.fail(f"--status must be one of {', '.join(STATUS_CHOICES)}, not {status_!r}")
    if owed and mine:
        ctx.fail("--owed and --mine exclude each other; leave both out for all promises")
    from promisekeeper.face.acts import list_output

    say(
        list_output(
            state(ctx).ledger(),
            to=to,
            status=status_,
            tag=tag,
            due_before=due_before,
            direction="owed" if owed else "mine" if mine else None,
            as_json=as_json,
        )
    )


def show(ctx: typer.Context, promise_id: IdArgument, as_json: JsonOption = False) -> None:
    """One promise with its full history, and its id on every machine: the start of its uuid,
    which every command that takes an ID takes too.

    \b
    Examples:
      pk show 12
      pk show 12 --json
      pk show 3f9a1c2d
    """
    ledger = state(ctx).ledger()
    found = ledger.get(promise_id)
    events = ledger.history(promise_id)
    view = ledger.series_view(found)
    if as_json:
        from promisekeeper.services.exchange import event_json

        result = promise_object(ledger, found)
        result["history"] = [event_json(e) for e in events]
        if view is not None:
            from promisekeeper.services.series import series_json

            result["recurrence"] = series_json(view)
        print_json(result)
        return
    from promisekeeper.face.render import console, show_promise

    words = None
    if found.series is not None:
        from promisekeeper.face.commands.series import series_words

        words = "a series this ledger does not hold" if view is None else series_words(view, ledger)
    show_promise(found, ledger.standing(found), events, ledger, console(), series=words)


def keep(
    ctx: typer.Context,
    promise_id: IdArgument,
    note: Annotated[str, typer.Option("--note", "-n", help="What you delivered.")] = "",
    at: Annotated[
        str | None, typer.Option("--at", metavar="WHEN", help="When you delivered (default: now).")
    ] = None,
    tell_them: Annotated[
        bool | None,
        typer.Option(
            "--tell/--no-tell",
            help="Send the 'delivered' note, on time or late (default: offer it on a terminal).",
            show_default=False,
        ),
    ] = None,
    checkpoint: Annotated[
        int | None,
        typer.Option(
            "--checkpoint",
            metavar="N",
            help="Tick off checkpoint N (as pk show numbers them); the promise stays open.",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Mark a promise kept, and see whether it was on time.

    Close the loop: on a terminal pk offers to tell them it's done ("delivered"). On a
    promise owed to you (pk expect) it means it arrived (--at when), on time or how late.
    With --checkpoint N it ticks off one checkpoint instead, on time or late.

    \b
    Examples:
      pk keep 12
      pk keep 12 --at "yesterday 16:00" --note "sent by mail"
      pk keep 12 --tell
      pk keep 12 --checkpoint 1
    """
    from promisekeeper.face.acts import keep_promise
    from promisekeeper.face.commands.owed import refuse_tell_on_owed

    ledger = state(ctx).ledger()
    refuse_tell_on_owed(ctx, promise_id, tell_them)
    if checkpoint is not None:
        if tell_them:
            fail("--tell goes with keeping the promise, not a checkpoint", 2)
        from promisekeeper.face.commands.checkpoints import tick_off

        delivered = when(ledger, at, prefer="past") if at else None
        tick_off(ledger, promise_id, checkpoint, delivered, note, as_json)
        return
    kept = keep_promise(ledger, promise_id, note=note, at=at, as_json=as_json)
    tell.after_close(ledger, kept, tell_them, quiet=as_json)


def move(
    ctx: typer.Context,
    promise_id: IdArgument,
    new_due: Annotated[str, typer.Argument(metavar="WHEN", help="The new due date.")],
    reason: Annotated[str, typer.Option("--reason", "-r", help="Why it moves.")] = "",
    force: Annotated[bool, typer.Option("--force", help="Accept a new date in the past.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Renegotiate the due date. The original date and the number of moves are kept.

    A move before the deadline is honest; a move after it does not erase the lateness.

    \b
    Examples:
      pk move 12 "next monday" --reason "waiting for the data"
      pk move 12 2026-12-04
    """
    ledger = state(ctx).ledger()
    ledger.will_write()
    before = ledger.get(promise_id)
    moved = ledger.move(promise_id, when(ledger, new_due), reason=reason, force=force)
    if as_json:
        print_json(promise_object(ledger, moved))
        return
    from promisekeeper.face.render import people, promise_summary
    from promisekeeper.rules.dates import format_when

    say(f"Moved {promise_summary(moved)}")
    say(f"  now due {format_when(moved.due, ledger.now)} (move {moved.moves})")
    from promisekeeper.rules.notice import untold_new_date
    from promisekeeper.rules.timing import past_due

    if moved.owed:
        if past_due(before, ledger.now):
            say(f"  Moved after the deadline: it stays on {people(moved)}'s record as late.")
        return

    if not untold_new_date(moved) and moved.due <= before.due:
        say("  Moved earlier: not a slip, and no news they must hear.")
        say(f'  To tell them anyway: pk notify {moved.id} --message "..."')
    elif not untold_new_date(moved):
        say(f"  {people(moved)} already heard this date.")
    elif not past_due(before, ledger.now):
        say(f"  Moved before the deadline. Tell {people(moved)} the new date now.")
    else:
        say(
            "  Moved after the deadline: it stays on the record as late. Tell "
            f"{people(moved)} and apologise."
        )


def _settle(
    ctx: typer.Context,
    promise_id: int,
    kind: str,
    reason: str,
    as_json: bool,
    tell_them: bool | None,
    offer: str = "",
) -> None:
    from promisekeeper.face.commands.owed import refuse_tell_on_owed

    ledger = state(ctx).ledger()
    refuse_tell_on_owed(ctx, promise_id, tell_them)
    settled = ledger.settle(promise_id, kind, reason=reason)
    verb = "Broke" if kind == "broken" else "Released"
    if settled.owed:
        verb = "Broken by them:" if kind == "broken" else "Released them from"
    _confirm_change(ledger, settled, as_json, verb)
    if settled.series is not None and not as_json:
        from promisekeeper.face.commands.series import say_next

        say_next(ledger, settled)
    tell.after_close(ledger, settled, tell_them, quiet=as_json, offer=offer)


def break_promise(
    ctx: typer.Context,
    promise_id: IdArgument,
    reason: Annotated[str, typer.Option("--reason", "-r", help="Why you couldn't.")] = "",
    offer: Annotated[
        str, typer.Option("--offer", metavar="TEXT", help="What you can offer instead.")
    ] = "",
    tell_them: Annotated[
        bool | None,
        typer.Option(
            "--tell/--no-tell",
            help="Send the 'can't do it after all' note (default: offer it on a terminal).",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """You could not keep it. Say so: it is recorded as broken.

    Tell them as soon as you know: the note says you can't do it after all, with your reason
    and what you can offer instead.

    \b
    Examples:
      pk break 12 --reason "the vendor never delivered"
      pk break 12 --reason "reorg moved it to another team" --offer "an intro to Dana" --tell
    """
    _settle(ctx, promise_id, "broken", reason, as_json, tell_them, offer)


def release(
    ctx: typer.Context,
    promise_id: IdArgument,
    reason: Annotated[str, typer.Option("--reason", "-r", help="Why they let you off.")] = "",
    tell_them: Annotated[
        bool | None,
        typer.Option(
            "--tell/--no-tell",
            help="Send a short thank-you (default: offer it on a terminal).",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """They released you from it: closed, and not your failure.

    \b
    Examples:
      pk release 12 --reason "project cancelled"
      pk release 12 --tell
    """
    _settle(ctx, promise_id, "released", reason, as_json, tell_them)


def reopen(ctx: typer.Context, promise_id: IdArgument, as_json: JsonOption = False) -> None:
    """Open a kept, broken or released promise again.

    \b
    Examples:
      pk reopen 12
    """
    ledger = state(ctx).ledger()
    _confirm_change(ledger, ledger.reopen(promise_id), as_json, "Reopened")


def note(
    ctx: typer.Context,
    promise_id: IdArgument,
    text: Annotated[
        list[str],
        typer.Argument(metavar="TEXT...", help="The note (several words are joined)."),
    ],
    as_json: JsonOption = False,
) -> None:
    """Add a note to a promise's history (progress, a heads-up you gave, ...).

    \b
    Examples:
      pk note 12 "draft done, waiting for review"
    """
    ledger = state(ctx).ledger()
    _confirm_change(ledger, ledger.add_note(promise_id, " ".join(text)), as_json, "Noted on")


def edit(
    ctx: typer.Context,
    promise_id: IdArgument,
    what: Annotated[str | None, typer.Option("--what", help="New text of the promise.")] = None,
    to: Annotated[
        list[str] | None,
        typer.Option(
            "--to",
            "-t",
            metavar="PERSON",
            autocompletion=common.complete_people,
            help="New person (repeatable; replaces).",
        ),
    ] = None,
    note: Annotated[str | None, typer.Option("--note", "-n", help='New note ("" clears).')] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", metavar="TAG", help="Add a tag.")
    ] = None,
    untag: Annotated[
        list[str] | None, typer.Option("--untag", metavar="TAG", help="Remove a tag.")
    ] = None,
    effort: Annotated[
        str | None,
        typer.Option("--effort", metavar="DURATION", help="How much work it is; 0 removes it."),
    ] = None,
    includes: Annotated[
        list[str] | None,
        typer.Option("--includes", metavar="TEXT", help="Add to what it includes (repeatable)."),
    ] = None,
    drop_includes: Annotated[
        list[str] | None,
        typer.Option(
            "--drop-includes", metavar="TEXT", help="Remove from what it includes (repeatable)."
        ),
    ] = None,
    excludes: Annotated[
        list[str] | None,
        typer.Option("--excludes", metavar="TEXT", help="Add to what it excludes (repeatable)."),
    ] = None,
    drop_excludes: Annotated[
        list[str] | None,
        typer.Option(
            "--drop-excludes", metavar="TEXT", help="Remove from what it excludes (repeatable)."
        ),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option("--source", metavar="TEXT|URL", help='Where it was promised ("" clears).'),
    ] = None,
    as_json: JsonOption = False,
    due: Annotated[str | None, typer.Option("--due", hidden=True)] = None,
) -> None:
    """Change what a promise says, who it is to, its note, tags, effort or terms. (Dates: pk move.)

    Terms are edited like tags: --includes/--excludes add an item, --drop-includes and
    --drop-excludes remove one (replace one by dropping it and adding the new text), and
    --source replaces the source.

    \b
    Examples:
      pk edit 12 --what "Send the Q3 and Q4 numbers"
      pk edit 12 --to alice --to bob --tag finance --untag draft
      pk edit 12 --effort 6h
      pk edit 12 --drop-includes slides --includes "slides and handout" --excludes video
      pk edit 12 --source "https://tracker.example.com/T-42"
    """
    from datetime import timedelta

    if due is not None:
        import shlex

        fail(
            f"pk edit does not change the due date; use pk move {promise_id} {shlex.quote(due)} "
            "(it keeps the original date and counts the move)",
            2,
        )
    ledger = state(ctx).ledger()
    work = None
    if effort is not None:
        work = timedelta(0) if effort.strip() == "0" else _effort(ledger, effort)
    terms = None
    if includes or drop_includes or excludes or drop_excludes or source is not None:
        from promisekeeper.services.ledger import Terms

        terms = Terms(
            add_includes=includes or [],
            drop_includes=drop_includes or [],
            add_excludes=excludes or [],
            drop_excludes=drop_excludes or [],
            source=source,
        )
    edited = ledger.edit(
        promise_id,
        what=what,
        to=to,
        note=note,
        add_tags=tag,
        remove_tags=untag,
        effort=work,
        terms=terms,
    )
    _confirm_change(ledger, edited, as_json, "Edited")


def delete(
    ctx: typer.Context,
    promise_id: IdArgument,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Delete a promise recorded by mistake (pk undo brings it back).

    To record that you could not keep it, use pk break; if they let you off, pk release.

    \b
    Examples:
      pk delete 12
      pk delete 12 --yes
    """
    ledger = state(ctx).ledger()
    target = ledger.get(promise_id)
    if not yes and common.interactive():
        from promisekeeper.face.render import promise_summary

        if not typer.confirm(f"Delete {promise_summary(target)}?", default=False):
            fail("not deleted")
    _confirm_change(
        ledger,
        ledger.delete(promise_id),
        as_json,
        "Deleted",
        "" if as_json else " (pk undo brings it back)",
    )


def undo(
    ctx: typer.Context,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be taken back; change nothing.")
    ] = False,
    change: Annotated[
        int | None,
        typer.Option(
            "--change",
            metavar="N",
            min=1,
            help="Take back change N (see --list), not the last one: on purpose, for a change "
            "from another ledger or one further back.",
        ),
    ] = None,
    expect: Annotated[
        int | None,
        typer.Option(
            "--expect",
            metavar="N",
            min=1,
            help="For scripts: undo only if the last change is still change N; else nothing.",
        ),
    ] = None,
    list_changes: Annotated[
        bool,
        typer.Option("--list", help="List the last 10 changes undo can take back, with ids."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="With --list: print JSON only.")] = False,
) -> None:
    """Take back the last change (repeat to go further back).

    On a terminal it first shows what it takes back (the change's id, the command, when, each
    promise and the values that return) and asks; if another pk records a change before you
    answer, nothing is undone. Elsewhere (scripts) it acts at once and says what it undid;
    --expect N makes it take back change N only if that is still the last one. A last change
    that came from another ledger (an import) is taken back only with --change N.

    \b
    Examples:
      pk undo
      pk undo --dry-run
      pk undo --list
      pk undo --change 12
      pk undo --expect 12 --yes
    """
    if change is not None and expect is not None:
        ctx.fail("use --change or --expect, not both")
    if list_changes and (change is not None or expect is not None or dry_run or yes):
        ctx.fail("--list only lists; give it no other option but --json")
    if as_json and not list_changes:
        ctx.fail("--json goes with --list")
    ledger = state(ctx).ledger()
    from promisekeeper.face.render import undo_lines
    from promisekeeper.rules.dates import format_when

    if list_changes:
        _list_changes(ledger, as_json)
        return
    plan = ledger.undo_plan(change)
    shown = f"`pk {plan.command}` of {format_when(plan.at, ledger.now)}"
    named = f"change {plan.change_id}, {shown}"
    if dry_run:
        say(f"pk undo would take back {named}:")
        say("\n".join(undo_lines(plan, ledger.now)))
        say("Nothing was changed (--dry-run).")
        return
    if not yes and common.interactive():
        say(f"pk undo takes back {named}:")
        say("\n".join(undo_lines(plan, ledger.now)))
        if not typer.confirm("Undo it?", default=False):
            fail("not undone; nothing was changed")
        ledger.undo(expect=plan.change_id if change is None else None, change=change)
        ids = _ids(plan.promise_ids)
        say(f"Undid {shown} ({ids})")
        return
    undone = ledger.undo(expect=expect, change=change)
    done = f"`pk {undone.command}` of {format_when(undone.at, ledger.now)}"
    say(f"Undid {done} ({_ids(undone.promise_ids)})")
    say("\n".join(undo_lines(undone, ledger.now)))


def _list_changes(ledger: Ledger, as_json: bool) -> None:
    """`pk undo --list`: the changes undo can take back, latest first, with their ids."""
    from promisekeeper.model.times import iso
    from promisekeeper.rules.dates import format_when

    changes = ledger.changes(10)
    if as_json:
        print_json(
            [
                {
                    "change": c.id,
                    "command": c.command,
                    "at": iso(c.at),
                    "promises": c.promise_ids,
                    "other_ledger": c.other_ledger,
                }
                for c in changes
            ]
        )
        return
    if not changes:
        say("Nothing to undo.")
        return
    say("Changes pk undo can take back, latest first:")
    for c in changes:
        other = " (from another ledger)" if c.other_ledger else ""
        say(
            f"  change {c.id}: `pk {c.command}` of {format_when(c.at, ledger.now)}"
            f" ({_ids(c.promise_ids)}){other}"
        )
    say("pk undo takes back the first; pk undo --change N takes back change N.")


def _ids(promise_ids: list[int]) -> str:
    shown = ", ".join(f"#{i}" for i in promise_ids[:5])
    if len(promise_ids) > 5:
        shown += f" and {len(promise_ids) - 5:,} more"
    return shown


class _Terminal:
    """The app's questions for face.acts, on a terminal."""

    def say(self, text: str) -> None:
        say(text)

    def confirm(self, text: str, default: bool) -> bool:
        return typer.confirm(text, default=default)

    def fail(self, message: str) -> None:
        fail(message)
