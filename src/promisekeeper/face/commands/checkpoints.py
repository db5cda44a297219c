"""Checkpoints inside a promise: `pk checkpoint` adds one, `pk keep ID --checkpoint N` ticks
one off (the promise stays open). A missed checkpoint puts its promise at risk
(rules.standing); `pk show` lists them with their standing."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer

from promisekeeper.face.commands.common import (
    IdArgument,
    JsonOption,
    print_json,
    promise_object,
    say,
    state,
    when,
)

if TYPE_CHECKING:
    from promisekeeper.services.ledger import Ledger


def checkpoint(
    ctx: typer.Context,
    promise_id: IdArgument,
    what: Annotated[
        list[str],
        typer.Argument(metavar="WHAT", help="The milestone (several words are joined)."),
    ],
    by: Annotated[
        str,
        typer.Option(
            "--by",
            "-b",
            metavar="WHEN",
            help="When it is due: after now, and no later than the promise's due date.",
            show_default=False,
        ),
    ],
    as_json: JsonOption = False,
) -> None:
    """Add a checkpoint inside a promise: a dated milestone on the way ("draft for review").

    A checkpoint whose date passes before you tick it off (pk keep ID --checkpoint N) puts
    the promise at risk, with that reason, in pk today, pk status, pk remind and pk show.
    --by must be in the future and no later than the promise's due date.

    \b
    Examples:
      pk checkpoint 12 "draft for review" --by wed
      pk checkpoint 12 "figures agreed with finance" --by "tomorrow 3pm"
      pk keep 12 --checkpoint 1
    """
    ledger = state(ctx).ledger()
    ledger.will_write()
    added = ledger.add_checkpoint(promise_id, " ".join(what), when(ledger, by))
    if as_json:
        print_json(promise_object(ledger, added))
        return
    from promisekeeper.face.render import promise_summary
    from promisekeeper.rules.dates import format_when
    from promisekeeper.telling.text import one_line

    number = len(added.checkpoints)
    step = added.checkpoints[-1]
    say(f"Checkpoint {number} on {promise_summary(added)}")
    say(f"  {one_line(step.what, 60)}, by {format_when(step.by, ledger.now)}")
    say(f"  Tick it off with: pk keep {added.id} --checkpoint {number}")


def tick_off(
    ledger: Ledger,
    promise_id: int,
    number: int,
    at: datetime | None,
    note: str,
    as_json: bool,
) -> None:
    """`pk keep ID --checkpoint N`: the checkpoint done, on time or how late."""
    done = ledger.keep_checkpoint(promise_id, number, at=at, note=note)
    if as_json:
        print_json(promise_object(ledger, done))
        return
    from promisekeeper.face.render import checkpoint_words, promise_summary
    from promisekeeper.telling.text import one_line

    step = done.checkpoints[number - 1]
    say(f"Ticked off checkpoint {number} of {promise_summary(done)}")
    say(f"  {one_line(step.what, 60)}: {checkpoint_words(step, ledger.now)}")
    say(f"  The promise stays open: pk keep {done.id} when it is delivered.")
