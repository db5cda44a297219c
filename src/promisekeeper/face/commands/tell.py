"""Telling people: `pk notify`, the delivered note after `pk keep`, and the walk through
promises at risk that `pk today` and `pk status` end with on a terminal."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer

from promisekeeper.face.commands import common
from promisekeeper.face.commands.common import IdArgument, JsonOption, fail, print_json, say, state

if TYPE_CHECKING:
    from promisekeeper.model.promise import Promise
    from promisekeeper.services.ledger import Ledger
    from promisekeeper.telling.messages import Draft


def notify(
    ctx: typer.Context,
    promise_id: IdArgument,
    via: Annotated[
        str | None,
        typer.Option("--via", help="print, copy, email or command (default: theirs, or config)."),
    ] = None,
    message: Annotated[
        str | None, typer.Option("--message", "-m", help="Send this text instead of the draft.")
    ] = None,
    edit: Annotated[bool, typer.Option("--edit", help="Edit the draft in $EDITOR first.")] = False,
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind",
            "--template",
            "-t",
            metavar="KIND",
            help="heads-up, new-date, apology, cannot-do, released, delivered or "
            "delivered-late (default: the one that fits).",
        ),
    ] = None,
    reason: Annotated[
        str,
        typer.Option(
            "--reason", "-r", help="The honest reason (default: the one given with the move)."
        ),
    ] = "",
    new_due: Annotated[
        str | None, typer.Option("--new-due", metavar="WHEN", help="A new date to offer.")
    ] = None,
    offer: Annotated[
        str, typer.Option("--offer", metavar="TEXT", help="What you offer instead (cannot-do).")
    ] = "",
    as_json: JsonOption = False,
) -> None:
    """Tell the person about a promise: draft the message, send it, record that you did.

    The draft fits where the promise stands: a heads-up while it may slip, the new date after
    a move, an apology when overdue, "can't do it after all" when broken, thanks when they
    released you, "delivered" (on time or late) when kept. A kind that would not be true of
    the record is refused.

    \b
    Examples:
      pk notify 12
      pk notify 12 --reason "the data arrived late" --new-due "next tue"
      pk notify 12 --via command --edit
      pk notify 12 --message "Running a day late, sorry: Thursday noon." --via copy
    """
    ledger = state(ctx).ledger()
    promise = ledger.get(promise_id)
    offered = common.when(ledger, new_due) if new_due else None
    told = tell(
        ledger,
        promise,
        kind=kind,
        via=via,
        message=message,
        edit=edit,
        reason=reason,
        new_due=offered,
        offer=offer,
        quiet=as_json,
    )
    if as_json:
        print_json(common.promise_object(ledger, told))


def tell(
    ledger: Ledger,
    promise: Promise,
    *,
    kind: str | None = None,
    via: str | None = None,
    message: str | None = None,
    edit: bool = False,
    reason: str = "",
    new_due: datetime | None = None,
    offer: str = "",
    quiet: bool = False,
    shown: bool = False,
    pasted: bool = False,
) -> Promise:
    """Draft, send through each person's channel, and record who was reached.

    People who share a channel get one message addressed to all of them; with the command
    channel each person gets their own. A text you wrote (--message, --edit) goes to all as is.
    The print channel always prints the message itself, clean enough to paste.
    """
    from promisekeeper.services.notify import check_fits, choose_kind, prepare
    from promisekeeper.telling.messages import from_text

    events = ledger.history(promise.id or 0)
    kind = kind or choose_kind(ledger, promise, events)
    check_fits(ledger, promise, kind, events)

    def _draft(to: list[str] | None = None) -> Draft:
        return prepare(
            ledger,
            promise,
            kind,
            reason=reason,
            new_due=new_due,
            offer=offer,
            to=to,
            events=events,
        )

    written = None
    if message is not None or edit:
        written = _draft()
        if message is not None:
            written = from_text(kind, message, written.to, written.subject)
        if edit:
            written = _edit(written)

    def _record(reached: list[str], channel: str, text: Draft) -> Promise:
        return ledger.record_told(promise.id or 0, reached, channel, kind, text.subject, text.body)

    return deliver(
        ledger,
        promise,
        via=via,
        written=written,
        draft_for=_draft,
        record=_record,
        quiet=quiet,
        shown=shown,
        pasted=pasted,
    )


def deliver(
    ledger: Ledger,
    promise: Promise,
    *,
    via: str | None,
    written: Draft | None,
    draft_for: Callable[[list[str] | None], Draft],
    record: Callable[[list[str], str, Draft], Promise],
    quiet: bool,
    shown: bool = False,
    pasted: bool = False,
    verb: str = "Told",
) -> Promise:
    """Send a message about `promise` through each person's channel and `record` who was
    reached (`pk notify`, `pk nudge`): people who share a channel get one message addressed
    to all of them; with the command channel each person gets their own. `written` (a text
    the user wrote) goes to all as is; else `draft_for(names)` drafts it for them."""
    from promisekeeper.telling.channels import channel_for, send
    from promisekeeper.telling.messages import NotifyError

    settings = ledger.config.notify
    groups: dict[str, list] = {}
    for person in ledger.people_for(promise):
        groups.setdefault(channel_for(person, via, settings), []).append(person)
    batches = [
        (channel, [person] if channel == "command" else people)
        for channel, people in groups.items()
        for person in (people if channel == "command" else people[:1])
    ]
    problems: list[str] = []
    for channel, people in batches:
        text = written or draft_for([p.name for p in people])
        sent = send(channel, text, people, settings)
        # Shown already (the walk's preview): only the print channel's clean copy, unless the
        # preview was that copy.
        if sent.output and not quiet and (not shown or (channel == "print" and not pasted)):
            from promisekeeper.telling.text import safe

            say("\n".join(safe(line) for line in sent.output.splitlines()))
        if sent.reached:
            promise = record(sent.reached, channel, text)
            if not quiet:
                from promisekeeper.telling.text import safe

                names = ", ".join(safe(n) for n in sent.reached)
                extra = f" ({sent.detail})" if sent.detail and not sent.failed else ""
                say(f"{verb} {names} via {channel}{extra}: recorded on #{promise.id}.")
        if sent.failed:
            problems.append(f"{', '.join(sent.failed)} not told via {channel}: {sent.detail}")
    if problems:
        raise NotifyError("; ".join(problems))
    return promise


def _edit(text: Draft) -> Draft:
    """Let the user rewrite the draft in $VISUAL/$EDITOR; an emptied file sends nothing."""
    import shlex
    import subprocess
    import tempfile

    from promisekeeper.telling.messages import NotifyError, from_text

    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    with tempfile.NamedTemporaryFile("w+", suffix=".txt", encoding="utf-8", delete=False) as f:
        f.write(text.text)
        path = f.name
    try:
        try:
            done = subprocess.run([*shlex.split(editor), path], check=False)
        except OSError as exc:
            raise NotifyError(f"cannot start editor {editor!r}: {exc.strerror or exc}") from None
        if done.returncode != 0:
            raise NotifyError(f"editor {editor!r} exited with {done.returncode}; nothing sent")
        with open(path, encoding="utf-8") as f:
            edited = f.read()
    finally:
        os.unlink(path)
    return from_text(text.kind, edited, text.to, text.subject)


# -------------------------------------------------------------------------------------------------
# The walk: one promise at a time, for today and status on a terminal
# -------------------------------------------------------------------------------------------------
def should_walk(no_prompt: bool, as_json: bool) -> bool:
    """Only for a person at a terminal: never in --json, under CI, or from cron."""
    from promisekeeper.face.daily import will_walk

    return will_walk(no_prompt, as_json)


CHOICES = {
    "n": "notify",
    "m": "move",
    "k": "keep",
    "s": "skip for today",
    "q": "quit",
}


def walk(ledger: Ledger) -> None:
    """Ask about every promise that is overdue or at risk and whose people were not told.

    Each answer is saved as soon as it is complete; Ctrl-C or end of input stops the walk and
    leaves the ledger as it was before the unanswered question.
    """
    pending = ledger.to_tell()
    if not pending:
        return
    say("")
    say(f"{len(pending)} promise{'s' if len(pending) != 1 else ''} to tell people about:")
    try:
        for promise in pending:
            if not _ask_about(ledger, ledger.get(promise.id or 0)):
                break
    except (KeyboardInterrupt, EOFError):
        say("")
        say("Stopped. Answers you completed are saved; nothing else changed.")


def _ask_about(ledger: Ledger, promise: Promise) -> bool:
    """One promise: returns False when the user wants to stop."""
    from rich.prompt import Prompt

    from promisekeeper.face.render import promise_summary, why_at_risk

    say("")
    say(f"{promise_summary(promise)}")
    say(f"  {why_at_risk(promise, ledger)}")
    menu = ", ".join(f"[{key}] {label}" for key, label in CHOICES.items())
    say(f"  {menu}")
    answer = Prompt.ask("  What now?", choices=list(CHOICES), default="n", show_choices=False)
    if answer == "q":
        return False
    if answer == "s":
        ledger.snooze(promise.id or 0)
        say("  Skipped for today.")
    elif answer == "k":
        from promisekeeper.telling.words import timing

        kept = ledger.keep(promise.id or 0)
        say(f"  Kept #{kept.id}, {timing(kept, ledger.now)}.")
        _offer_closing_note(ledger, kept)
    elif answer == "m":
        _move_and_tell(ledger, promise)
    else:
        reason = Prompt.ask("  Reason to give (Enter for none)", default="", show_default=False)
        offer = _ask_date(ledger, "  New date to offer (Enter for none)", optional=True)
        _tell_confirmed(ledger, promise, reason=reason, new_due=offer)
    return True


def _move_and_tell(ledger: Ledger, promise: Promise) -> None:
    from rich.prompt import Prompt

    from promisekeeper.model.errors import PkError

    while True:
        due = _ask_date(ledger, "  New date (e.g. fri, next tue 10am)")
        reason = Prompt.ask("  Reason to give (Enter for none)", default="", show_default=False)
        try:
            moved = ledger.move(promise.id or 0, due or ledger.now, reason=reason)
            break
        except PkError as exc:
            from promisekeeper.telling.text import one_line

            say(f"  {one_line(str(exc))}")
    from promisekeeper.rules.dates import format_when

    say(f"  Moved to {format_when(moved.due, ledger.now)}.")
    from promisekeeper.rules.notice import untold_new_date

    if untold_new_date(moved):
        _tell_confirmed(ledger, moved, reason=reason)
    else:
        say("  An earlier date is no news they need; nothing to tell.")


def _ask_date(ledger: Ledger, question: str, optional: bool = False) -> datetime | None:
    """Ask until the answer is a date pk understands (or empty, when optional)."""
    from rich.prompt import Prompt

    from promisekeeper.model.errors import PkError
    from promisekeeper.telling.text import one_line

    while True:
        text = Prompt.ask(question, default="" if optional else ..., show_default=False)
        if optional and not text.strip():
            return None
        try:
            return common.when(ledger, text)
        except PkError as exc:
            say(f"  {one_line(str(exc))}")


def _tell_confirmed(
    ledger: Ledger,
    promise: Promise,
    *,
    kind: str | None = None,
    reason: str = "",
    new_due: datetime | None = None,
) -> None:
    from rich.prompt import Confirm

    from promisekeeper.model.errors import PkError
    from promisekeeper.services.notify import choose_kind, prepare
    from promisekeeper.telling.channels import channel_for
    from promisekeeper.telling.text import safe

    kind = kind or choose_kind(ledger, promise)
    preview = prepare(ledger, promise, kind, reason=reason, new_due=new_due)
    settings = ledger.config.notify
    # With the print channel the message is yours to paste: shown once, clean, and the
    # question is whether to record that you told them.
    pasted = all(channel_for(p, None, settings) == "print" for p in ledger.people_for(promise))
    say("")
    for line in preview.text.splitlines():
        say(safe(line) if pasted else f"  | {safe(line)}")
    question = "  Record that you told them?" if pasted else "  Send it?"
    if not Confirm.ask(question, default=True):
        say("  Not recorded." if pasted else "  Not sent.")
        return
    try:
        tell(ledger, promise, kind=kind, reason=reason, new_due=new_due, shown=True, pasted=pasted)
    except PkError as exc:
        from promisekeeper.telling.text import one_line

        say(f"  Not sent: {one_line(str(exc))}")


CLOSING_NOTES = {"kept": "it's done", "broken": "you can't do it", "released": "thanks"}


def _offer_closing_note(ledger: Ledger, closed: Promise, offer: str = "") -> None:
    from rich.prompt import Confirm

    from promisekeeper.face.render import people
    from promisekeeper.model.errors import PkError
    from promisekeeper.telling.text import one_line

    question = f"  Tell {people(closed)} {CLOSING_NOTES[closed.status]}?"
    if closed.status == "released":
        question = f"  Thank {people(closed)}?"
    if Confirm.ask(question, default=closed.status != "released"):
        try:
            tell(ledger, closed, offer=offer)
        except PkError as exc:
            say(f"  Not sent: {one_line(str(exc))}")


def after_close(
    ledger: Ledger, closed: Promise, tell_them: bool | None, quiet: bool, offer: str = ""
) -> None:
    """`pk keep`, `pk break`, `pk release`: close the loop with the note that fits (delivered
    on time or late, can't do it, thanks) when --tell, or offer it on a terminal."""
    if tell_them is False or closed.owed:
        return  # theirs to tell you: nothing for you to send about it
    if tell_them:
        tell(ledger, closed, quiet=quiet, offer=offer)
        return
    if common.interactive() and not quiet:
        try:
            _offer_closing_note(ledger, closed, offer)
        except (KeyboardInterrupt, EOFError):
            say("")
            fail(f"not told; the promise is {closed.status}")
