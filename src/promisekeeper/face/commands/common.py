"""What every command shares: the ledger for this run, option types, output and prompts."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from promisekeeper.face.acts import NotAnId as NotAnId
from promisekeeper.face.acts import promise_id as promise_id
from promisekeeper.face.acts import when as when
from promisekeeper.face.daily import promise_object as promise_object
from promisekeeper.rules.ids import LARGEST_ID as LARGEST_ID
from promisekeeper.services import paths

if TYPE_CHECKING:
    from collections.abc import Iterable

    from promisekeeper.model.settings import Config
    from promisekeeper.services.ledger import Ledger


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one line to stderr and exit: the only way pk reports a user's mistake."""
    from promisekeeper.telling.text import one_line

    typer.echo(f"pk: {one_line(message)}", err=True)
    raise typer.Exit(code)


@dataclass
class State:
    db: str | None = None
    _ledger: Ledger | None = None

    def ledger(self) -> Ledger:
        if self._ledger is None:
            from promisekeeper.face.daily import ledger_for

            self._ledger = ledger_for(self.db)
        return self._ledger


def load_config() -> Config:
    from promisekeeper.services.config import load

    return load(paths.config_path())


def state(ctx: typer.Context) -> State:
    obj = ctx.find_root().obj
    assert isinstance(obj, State)
    return obj


JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON only (for scripts).")]


def complete_ids(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """Shell completion: ids with their titles (face.complete loads only when asked)."""
    from promisekeeper.face.complete import promise_ids

    return promise_ids(ctx, incomplete)


def complete_people(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """Shell completion: people's names."""
    from promisekeeper.face.complete import people

    return people(ctx, incomplete)


# The parser reads what was typed (rules.ids.IdText); PkCommand.invoke (face.cli) turns it into
# the local id with Ledger.resolve once every option is read (`--db` may come after the id), so
# a command's body gets an int.
IdArgument = Annotated[
    int,
    typer.Argument(
        parser=promise_id,
        autocompletion=complete_ids,
        metavar="ID",
        help=(
            "The promise's id: 5 or #5 as pk list shows it, or the start of its uuid as pk "
            "show shows it (3f9a1c2d; u:3141 when the start is digits only)."
        ),
        show_default=False,
    ),
]


def since(ledger: Ledger, text: str) -> datetime:
    """The start of a period (--since): always in the past (see rules.since)."""
    from promisekeeper.rules.since import parse_since

    return parse_since(text, ledger.now, date_order=ledger.config.date_order)


def print_json(value: Any) -> None:
    from promisekeeper.services.exchange import dumps

    echo_json(dumps(value))


def echo_json(text: str) -> None:
    """JSON to stdout: as it is into a pipe or file; on a terminal, with the controls and bidi
    characters of user text written as JSON escapes, so the terminal never acts on them."""
    if sys.stdout.isatty():
        from promisekeeper.telling.text import json_for_terminal

        text = json_for_terminal(text)
    typer.echo(text)


def write_json(pieces: Iterable[str]) -> None:
    """JSON text to stdout as it comes, a piece at a time (as echo_json writes it whole)."""
    escape = None
    if sys.stdout.isatty():
        from promisekeeper.telling.text import json_for_terminal as escape
    for piece in pieces:
        typer.echo(escape(piece) if escape else piece, nl=False)


def say(text: str) -> None:
    typer.echo(text)


def painter() -> Any:
    from promisekeeper.face.paint import Painter, use_color

    return Painter(use_color())


def interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()
