"""Commands about the people you promise things to."""

from __future__ import annotations

from typing import Annotated

import typer

from promisekeeper.face.commands import common
from promisekeeper.face.commands.common import JsonOption, print_json, say, state
from promisekeeper.model.settings import CHANNELS


def people(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Everyone you have promised something to, with open and at-risk counts.

    \b
    Examples:
      pk people
      pk people --json
    """
    ledger = state(ctx).ledger()
    rows = ledger.people()
    if as_json:
        print_json(
            [
                {
                    "name": p.name,
                    "email": p.email,
                    "handle": p.handle,
                    "channel": p.channel,
                    "note": p.note,
                    "open": open_count,
                    "at_risk": worried,
                }
                for p, open_count, worried in rows
            ]
        )
        return
    from promisekeeper.face.render import console, people_table

    people_table(rows, console())


def person(
    ctx: typer.Context,
    name: Annotated[
        str,
        typer.Argument(
            metavar="PERSON",
            autocompletion=common.complete_people,
            help="The person's name (matched ignoring case).",
        ),
    ],
    email: Annotated[str | None, typer.Option("--email", help="E-mail address.")] = None,
    handle: Annotated[
        str | None, typer.Option("--handle", help="Chat handle, for the command channel.")
    ] = None,
    channel: Annotated[
        str | None,
        typer.Option("--channel", help="Preferred channel: print, copy, email or command."),
    ] = None,
    note: Annotated[str | None, typer.Option("--note", "-n", help="A note about them.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Add a person or change their contact details; with no options, show them.

    \b
    Examples:
      pk person alice --email alice@example.com --channel email
      pk person bob --handle @bob --channel command
      pk person alice
    """
    if channel is not None and channel not in CHANNELS:
        ctx.fail(f"--channel must be one of {', '.join(CHANNELS)}, not {channel!r}")
    ledger = state(ctx).ledger()
    details = {"email": email, "handle": handle, "channel": channel, "note": note}
    if any(v is not None for v in details.values()):
        found = ledger.save_person(name, **details)
    else:
        found = ledger.person(name)
        if found is None:
            from promisekeeper.model.errors import PkError

            raise PkError(f"no one called {name!r} yet; add them with --email/--handle/--note")
    if as_json:
        print_json(
            {
                "name": found.name,
                "email": found.email,
                "handle": found.handle,
                "channel": found.channel,
                "note": found.note,
            }
        )
        return
    from promisekeeper.telling.text import safe

    say(safe(found.name))
    for label in ("email", "handle", "channel", "note"):
        value = getattr(found, label)
        if value:
            say(f"  {label}: {safe(value)}")
