"""Promises owed to you: `pk expect` records what someone promised you, `pk nudge` reminds
them kindly. Keeping (it arrived), moving, breaking and releasing one are the usual commands."""

from __future__ import annotations

from typing import Annotated

import typer

from promisekeeper.face.commands import common
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


def expect(
    ctx: typer.Context,
    what: Annotated[
        list[str] | None,
        typer.Argument(metavar="WHAT", help="What they promised you (several words are joined)."),
    ] = None,
    from_: Annotated[
        str | None,
        typer.Option(
            "--from",
            "-f",
            metavar="PERSON",
            autocompletion=common.complete_people,
            help="Who promised it to you.",
        ),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            "-b",
            metavar="WHEN",
            help="When they promised it for: fri, tomorrow 9am, 2026-12-01, in 3 days.",
        ),
    ] = None,
    note: Annotated[str, typer.Option("--note", "-n", help="A note for yourself.")] = "",
    tag: Annotated[
        list[str] | None, typer.Option("--tag", metavar="TAG", help="A tag (repeatable).")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Accept a date in the past (back-filling).")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Record what someone promised you: what, who, by when.

    It stands as your promises do (on track, at risk, overdue; kept on time or late, broken,
    released) and shows in its own section, "Owed to you", in pk today and pk status. When it
    arrives: pk keep ID. When it slips: pk nudge ID. It never counts in your own track record.

    \b
    Examples:
      pk expect "The signed contract" --from bob --by fri
      pk expect "Review of my RFC" --from carol --by "next tue 10am" --tag rfc
      pk list --owed
    """
    ledger = state(ctx).ledger()
    ledger.will_write()
    text = " ".join(what or []).strip()
    if not text:
        ctx.fail("Missing argument 'WHAT': say what they promised you.")
    if not from_:
        ctx.fail("Missing option '--from': who promised it to you?")
    if not by:
        ctx.fail("Missing option '--by': when did they promise it for?")
    from promisekeeper.face.acts import check_name
    from promisekeeper.face.commands import common
    from promisekeeper.face.commands.promises import _Terminal

    due_at = when(ledger, by)
    person = check_name(ledger, from_, _Terminal() if common.interactive() else None)
    made = ledger.make(
        text, [person], due_at, note=note, tags=tag or [], force=force, direction="owed"
    )
    if as_json:
        print_json(promise_object(ledger, made))
        return
    from promisekeeper.face.render import promise_summary
    from promisekeeper.rules.dates import format_when

    paint = painter()
    say(f"Expecting {paint(promise_summary(made), 'bold')}")
    say(f"  due {format_when(made.due, ledger.now)}")


def nudge(
    ctx: typer.Context,
    promise_id: IdArgument,
    reason: Annotated[
        str,
        typer.Option(
            "--reason",
            "-r",
            metavar="TEXT",
            help="What depends on it (default: the reason you gave with your last nudge).",
        ),
    ] = "",
    via: Annotated[
        str | None,
        typer.Option("--via", help="print, copy, email or command (default: theirs, or config)."),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            "--print",
            help="Show the draft only: nothing is sent and nothing recorded.",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Remind someone, kindly, of what they promised you: draft it, send it, record it.

    The draft (templates/nudge.txt, yours to change) says what they promised, for when, what
    depends on it (--reason; pk never invents one) and, when you asked before, when that was.
    It goes through the same channels as pk notify, and pk remind then says how long ago you
    asked. For your own promises use pk notify.

    \b
    Examples:
      pk nudge 7
      pk nudge 7 --reason "the launch review on Friday depends on it"
      pk nudge 7 --dry-run
      pk nudge 7 --via copy
    """
    from promisekeeper.services import owed

    ledger = state(ctx).ledger()
    promise = ledger.get(promise_id)
    owed.check_nudge(promise)
    events = ledger.history(promise_id)
    if dry_run:
        from promisekeeper.telling.text import safe

        draft = owed.prepare(ledger, promise, reason=reason, events=events)
        if as_json:
            print_json({"subject": draft.subject, "message": draft.body, "to": draft.to})
            return
        say("\n".join(safe(line) for line in draft.text.splitlines()))
        say("(dry run: nothing sent, nothing recorded)")
        return
    from promisekeeper.face.commands.tell import deliver
    from promisekeeper.model.promise import Promise
    from promisekeeper.telling.messages import Draft

    given = reason.strip() or owed.given_reason(events)

    def _draft(to: list[str] | None = None) -> Draft:
        return owed.prepare(ledger, promise, reason=reason, to=to, events=events)

    def _record(reached: list[str], channel: str, text: Draft) -> Promise:
        return ledger.record_nudged(
            promise_id, reached, channel, text.subject, text.body, given
        )

    nudged = deliver(
        ledger,
        promise,
        via=via,
        written=None,
        draft_for=_draft,
        record=_record,
        quiet=as_json,
        verb="Nudged",
    )
    if as_json:
        print_json(promise_object(ledger, nudged))


def refuse_tell_on_owed(ctx: typer.Context, promise_id: int, tell_them: bool | None) -> None:
    """--tell on `pk keep`/`break`/`release` sends your closing note: not for theirs."""
    if not tell_them:
        return
    promise = state(ctx).ledger().get(promise_id)
    if promise.owed:
        fail(
            f"#{promise_id} is what {', '.join(promise.to)} promised you: there is no note "
            "for you to send about it; leave out --tell"
        )
