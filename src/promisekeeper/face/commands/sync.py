"""`pk sync`, `pk sync init` and `pk sync status`: the ledger on every machine, through git."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from promisekeeper.face.commands.common import JsonOption, print_json, say, state
from promisekeeper.face.synced import plural, synced_json, synced_lines

if TYPE_CHECKING:
    from promisekeeper.services.sync import Status


def sync_now(
    ctx: typer.Context,
    as_json: JsonOption = False,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            metavar="PATH",
            help="Ledger file to use (default: $PK_DB, else ledger.db in the user data dir).",
        ),
    ] = None,
) -> None:
    """Sync this ledger with its other copies through a git repository.

    Writes this ledger's new changes to its own files in the repository, commits, fetches,
    merges and pushes, then applies what the other copies wrote, all in one transaction.
    Nothing ever conflicts: each copy (replica) writes only its own files. Set it up once with
    pk sync init REMOTE; pk sync status says what is waiting in each direction.

    \b
    Examples:
      pk sync init git@github.com:you/promises.git
      pk sync
      pk sync status --fetch
      pk sync --json
    """
    if db is not None:
        state(ctx).db = db
    if ctx.invoked_subcommand is not None:
        return
    from promisekeeper.services import sync

    done = sync.sync(state(ctx).ledger())
    if as_json:
        print_json(synced_json(done))
        return
    for line in synced_lines(done):
        say(line)


def init(
    ctx: typer.Context,
    remote: Annotated[
        str,
        typer.Argument(
            metavar="REMOTE",
            help="A git URL (ssh or https), or the path of a repository (a bare one is best).",
            show_default=False,
        ),
    ],
    repo: Annotated[
        Path | None,
        typer.Option(
            "--repo",
            metavar="DIR",
            help="Where to keep this ledger's clone (default: in the user data directory).",
        ),
    ] = None,
    new_replica: Annotated[
        bool,
        typer.Option(
            "--new-replica",
            help="Give this ledger a new replica id first: for a copy of a ledger file that "
            "another machine syncs too.",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Set up sync with a git remote (empty or used by your other copies already).

    Makes a clone for this ledger (one per ledger) and remembers the remote; the remote is
    fetched once, so a wrong one is said now. Run it again to change the remote or the
    clone's place. The repository holds your promises in plain text: keep it private.

    \b
    Examples:
      pk sync init git@github.com:you/promises.git
      pk sync init ~/promises.git --repo ~/.cache/pk-sync
      pk sync init git@example.com:you/promises.git --new-replica
    """
    from promisekeeper.services import sync
    from promisekeeper.telling.text import one_line

    done = sync.init(state(ctx).ledger(), remote, repo, new_replica=new_replica)
    if as_json:
        print_json(
            {
                "remote": done.remote,
                "repository": str(done.repo),
                "replica": done.replica,
                "new_replica": done.new_replica,
                "empty_remote": done.fresh_remote,
            }
        )
        return
    say(
        f"Sync set up with {one_line(done.remote)}"
        + (" (empty so far)." if done.fresh_remote else ".")
    )
    say(f"  Repository {one_line(str(done.repo))}")
    say(f"  Replica    {done.replica}" + (" (new)" if done.new_replica else ""))
    say("Run pk sync to send this ledger and receive the other copies' changes.")


def status(
    ctx: typer.Context,
    fetch: Annotated[
        bool,
        typer.Option("--fetch", help="Fetch from the remote first (else: as of the last fetch)."),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """What is waiting to go out and to come in, and when this ledger last synced.

    Records waiting to come in are counted as of the last fetch; --fetch asks the remote
    first. Changes nothing in the ledger.

    \b
    Examples:
      pk sync status
      pk sync status --fetch --json
    """
    from promisekeeper.services import sync

    found = sync.status(state(ctx).ledger(), fetch=fetch)
    if as_json:
        print_json(status_json(found))
        return
    for line in status_lines(found):
        say(line)


def _fetched(found: Status) -> str | None:
    if found.fetched_at is None:
        return None
    return datetime.fromtimestamp(found.fetched_at, UTC).replace(microsecond=0).isoformat()


def status_json(found: Status) -> dict[str, Any]:
    return {
        "set_up": found.set_up,
        "remote": found.remote,
        "repository": None if found.repo is None else str(found.repo),
        "replica": found.replica,
        "last_sync": found.last,
        "last_fetch": _fetched(found),
        "fetched_now": found.fetched,
        "outgoing_records": found.outgoing,
        "incoming_commits": found.incoming_commits,
        "incoming_records": found.incoming_records,
    }


def status_lines(found: Status) -> list[str]:
    from promisekeeper.rules.dates import format_when
    from promisekeeper.telling.text import one_line

    if not found.set_up:
        return ["Sync is not set up for this ledger: pk sync init REMOTE sets it up."]
    last = found.last and format_when(datetime.fromisoformat(found.last), found.now)
    fetched = found.fetched_at and format_when(
        datetime.fromtimestamp(found.fetched_at, UTC), found.now
    )
    return [
        f"Remote      {one_line(found.remote or '')}",
        f"Repository  {one_line(str(found.repo))}",
        f"Replica     {found.replica}",
        f"Last sync   {last or 'never'}",
        f"To send     {plural(found.outgoing, 'record')}",
        f"To receive  {plural(found.incoming_records, 'record')} in "
        f"{plural(found.incoming_commits, 'commit')} "
        + ("(just fetched)" if found.fetched else f"(as of the last fetch, {fetched or 'never'})"),
    ]
