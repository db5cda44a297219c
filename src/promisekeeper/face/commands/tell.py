"""Telling people: `pk notify`, the delivered note after `pk keep`, and the walk through
promises at risk that `pk today` and `pk status` end with on a terminal."""

from __future__ import annotations

import os
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
            "--template", "-t", help="heads-up, new-date, apology or delivered (default: fits)."
        ),
    ] = None,
    reason: Annotated[str, typer.Option("--reason", "-r", help="The honest reason.")] = "",
    new_due: Annotated[
        str | None, typer.Option("--new-due", metavar="WHEN", help="A new date to offer.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Tell the person about a promise: draft the message, send it, record that you did.

    The draft fits where the promise stands: a heads-up when at risk, the new date after a
    move, an apology when overdue, "delivered" when kept.

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
    quiet: bool = False,
    shown: bool = False,
) -> Promise:
    """Draft, send through each person's channel, and record who was reached.

    People who share a channel get one message addressed to all of them; with the command
    channel each person gets their own. A text you wrote (--message, --edit) goes to all as is.
    """
    from promisekeeper.telling.channels import channel_for, send
    from promisekeeper.telling.messages import NotifyError, choose_kind, from_text

    kind = kind or choose_kind(ledger.standing(promise), promise)
    written = None
    if message is not None or edit:
        written = _draft(ledger, promise, kind, reason=reason, new_due=new_due)
        if message is not None:
            written = from_text(kind, message, written.to, written.subject)
        if edit:
            written = _edit(written)
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
        text = written or _draft(
            ledger, promise, kind, reason=reason, new_due=new_due, to=[p.name for p in people]
        )
        sent = send(channel, text, people, settings)
        if sent.output and not (quiet or shown):
            from promisekeeper.telling.text import safe

            say("\n".join(safe(line) for line in sent.output.splitlines()))
        if sent.reached:
            promise = ledger.record_told(
                promise.id or 0, sent.reached, channel, kind, text.subject, text.body
            )
            if not quiet:
                from promisekeeper.telling.text import safe

                names = ", ".join(safe(n) for n in sent.reached)
                extra = f" ({sent.detail})" if sent.detail and not sent.failed else ""
                say(f"Told {names} via {channel}{extra}: recorded on #{promise.id}.")
        if sent.failed:
            problems.append(f"{', '.join(sent.failed)} not told via {channel}: {sent.detail}")
    if problems:
        raise NotifyError("; ".join(problems))
    return promise


def _draft(
    ledger: Ledger,
    promise: Promise,
    kind: str,
    *,
    reason: str,
    new_due: datetime | None,
    to: list[str] | None = None,
) -> Draft:
    from promisekeeper.model.events import Moved
    from promisekeeper.telling.messages import draft
    from promisekeeper.telling.words import delivered

    previous = None
    if kind == "new-date":
        moves = [e.detail for e in ledger.history(promise.id or 0) if isinstance(e.detail, Moved)]
        previous = moves[-1].from_due if moves else promise.original_due
    return draft(
        promise,
        kind,
        now=ledger.now,
        to=to,
        reason=reason,
        new_due=new_due,
        previous_due=previous,
        delivered=delivered(promise, ledger.now),
        directory=ledger.config.directory,
    )


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
    return not (no_prompt or as_json or os.environ.get("CI")) and common.interactive()


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
        kept = ledger.keep(promise.id or 0)
        say(f"  Kept #{kept.id}.")
        _offer_delivered(ledger, kept)
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
    _tell_confirmed(ledger, moved, kind="new-date", reason=reason)


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
    from promisekeeper.telling.messages import choose_kind
    from promisekeeper.telling.text import safe

    kind = kind or choose_kind(ledger.standing(promise), promise)
    preview = _draft(ledger, promise, kind, reason=reason, new_due=new_due)
    say("")
    for line in preview.text.splitlines():
        say(f"  | {safe(line)}")
    if not Confirm.ask("  Send it?", default=True):
        say("  Not sent.")
        return
    try:
        tell(ledger, promise, kind=kind, reason=reason, new_due=new_due, shown=True)
    except PkError as exc:
        from promisekeeper.telling.text import one_line

        say(f"  Not sent: {one_line(str(exc))}")


def _offer_delivered(ledger: Ledger, kept: Promise) -> None:
    from rich.prompt import Confirm

    from promisekeeper.face.render import people
    from promisekeeper.model.errors import PkError
    from promisekeeper.telling.text import one_line

    if Confirm.ask(f"  Tell {people(kept)} it's done?", default=True):
        try:
            tell(ledger, kept, kind="delivered")
        except PkError as exc:
            say(f"  Not sent: {one_line(str(exc))}")


def after_keep(ledger: Ledger, kept: Promise, tell_them: bool | None, quiet: bool) -> None:
    """`pk keep`: close the loop with a delivered note (--tell), or offer it on a terminal."""
    if tell_them is False:
        return
    if tell_them:
        tell(ledger, kept, kind="delivered", quiet=quiet)
        return
    if common.interactive() and not quiet:
        try:
            _offer_delivered(ledger, kept)
        except (KeyboardInterrupt, EOFError):
            say("")
            fail("not told; the promise is kept")
