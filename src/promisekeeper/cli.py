"""The `pk` command line: parses arguments, calls the ledger, renders the result.

Domain errors (errors.PkError) are turned into one line on stderr and exit status 1 in
PkGroup.invoke, the only place that decides exit codes; Typer's usage errors exit 2.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from promisekeeper import __version__, clock, paths
from promisekeeper.errors import PkError

if TYPE_CHECKING:
    from promisekeeper.config import Config
    from promisekeeper.ledger import Ledger


# -------------------------------------------------------------------------------------------------
# The boundary: errors to messages and exit codes
# -------------------------------------------------------------------------------------------------
def fail(message: str, code: int = 1) -> NoReturn:
    """Print one line to stderr and exit: the only way pk reports a user's mistake."""
    from promisekeeper.display import one_line

    typer.echo(f"pk: {one_line(message)}", err=True)
    raise typer.Exit(code)


class PkGroup(TyperGroup):
    """Turns domain errors into one line and an exit status, and hides tracebacks."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except PkError as exc:
            fail(str(exc), exc.exit_code)
        except KeyboardInterrupt:
            typer.echo("", err=True)
            fail("interrupted; nothing was changed", 130)
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:
            if _is_click_exception(exc) or os.environ.get("PK_DEBUG"):
                raise
            fail(f"internal error: {type(exc).__name__}: {exc} (set PK_DEBUG=1 for the traceback)")

    def list_commands(self, ctx: Any) -> list[str]:
        """Commands in the order they are written here (a tour), not alphabetically."""
        return list(self.commands)


def _is_click_exception(exc: Exception) -> bool:
    return any(cls.__name__ in ("ClickException", "Exit", "Abort") for cls in type(exc).__mro__)


app = typer.Typer(
    name="pk",
    cls=PkGroup,
    rich_markup_mode=None,
    add_completion=False,
    no_args_is_help=False,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    help="""PromiseKeeper: the ledger of what you promised, to whom, and by when.

    Record promises, see each morning what is due and at risk, and keep, move or drop them.
    Plain `pk` runs `pk today`.

    \b
    Examples:
      pk promise "Send the Q3 numbers" --to alice --due fri
      pk today
      pk keep 1
    """,
)


@dataclass
class State:
    db: str | None = None
    _ledger: Ledger | None = None

    def ledger(self) -> Ledger:
        if self._ledger is None:
            from promisekeeper.ledger import Ledger

            path, explicit = paths.db_path(self.db)
            self._ledger = Ledger(
                path, now=clock.now(), config=load_config(), create_dirs=not explicit
            )
        return self._ledger


def load_config() -> Config:
    from promisekeeper.config import load

    return load(paths.config_path())


def state(ctx: typer.Context) -> State:
    obj = ctx.find_root().obj
    assert isinstance(obj, State)
    return obj


def _version(value: bool) -> None:
    if value:
        typer.echo(f"pk (PromiseKeeper) {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def main_options(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            metavar="PATH",
            help="Ledger file to use (default: $PK_DB, else ledger.db in the user data dir).",
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    ctx.obj = State(db=db)
    if ctx.invoked_subcommand is None:
        today(ctx, as_json=False)


# -------------------------------------------------------------------------------------------------
# Shared options and helpers
# -------------------------------------------------------------------------------------------------
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON only (for scripts).")]
IdArgument = Annotated[int, typer.Argument(help="The promise's id, as shown by pk list.")]


def when(ledger: Ledger, text: str, *, prefer: str = "future") -> datetime:
    from promisekeeper.dates import parse_when

    return parse_when(text, ledger.now, day_ends=ledger.config.day_ends, prefer=prefer)


def print_json(value: Any) -> None:
    from promisekeeper.exchange import dumps

    typer.echo(dumps(value))


def promise_object(ledger: Ledger, promise: Any) -> dict[str, Any]:
    from promisekeeper.exchange import promise_json

    return promise_json(promise, ledger.standing(promise))


def say(text: str) -> None:
    typer.echo(text)


def painter() -> Any:
    from promisekeeper.display import Painter, use_color

    return Painter(use_color())


def interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


# -------------------------------------------------------------------------------------------------
# Commands
# -------------------------------------------------------------------------------------------------
@app.command()
def promise(
    ctx: typer.Context,
    what: Annotated[
        list[str] | None,
        typer.Argument(metavar="WHAT", help="What you promise (several words are joined)."),
    ] = None,
    to: Annotated[
        list[str] | None,
        typer.Option("--to", "-t", metavar="PERSON", help="Who you promise it to (repeatable)."),
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
    as_json: JsonOption = False,
) -> None:
    """Record a promise: what, to whom, by when.

    A promise needs a person and a date; on a terminal pk asks for them when missing.

    \b
    Examples:
      pk promise "Send the Q3 numbers" --to alice --due fri
      pk promise fix the login bug --to bob --to carol --due "tomorrow 3pm" --tag release
      pk promise "Review the RFC" -t dana -d "in 3 days" --note "sections 2-4"
    """
    ledger = state(ctx).ledger()
    text = " ".join(what or []).strip()
    if not text:
        if interactive():
            text = typer.prompt("What do you promise")
        else:
            ctx.fail("Missing argument 'WHAT': say what you promise.")
    if not to:
        if interactive():
            to = [typer.prompt("To whom")]
        else:
            ctx.fail("Missing option '--to': a promise without a person is a wish.")
    if not due:
        if interactive():
            due = typer.prompt("Due when (e.g. fri, tomorrow 3pm, 2026-12-01)")
        else:
            ctx.fail("Missing option '--due': a promise without a date is a wish.")
    due_at = when(ledger, due)
    made = ledger.make(text, to, due_at, note=note, tags=tag or [], force=force)
    if as_json:
        print_json(promise_object(ledger, made))
        return
    from promisekeeper.dates import format_when
    from promisekeeper.render import promise_summary

    paint = painter()
    say(f"Promised {paint(promise_summary(made, ledger.now), 'bold')}")
    say(f"  due {format_when(made.due, ledger.now)}")


@app.command()
def today(
    ctx: typer.Context,
    as_json: JsonOption = False,
) -> None:
    """The daily check: overdue, due today, at risk, and what you kept today.

    \b
    Examples:
      pk today
      pk today --json | jq '.overdue[].id'
    """
    ledger = state(ctx).ledger()
    view = ledger.today()
    if as_json:
        print_json(
            {
                group: [promise_object(ledger, p) for p in getattr(view, group)]
                for group in ("overdue", "due_today", "at_risk", "kept_today")
            }
        )
        return
    from promisekeeper.render import today_text

    say("\n".join(today_text(view, ledger, painter())))


@app.command()
def status(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """The full picture: overdue, at risk, on track and recently kept, as tables.

    \b
    Examples:
      pk status
      pk status --json
    """
    ledger = state(ctx).ledger()
    view = ledger.status()
    if as_json:
        groups = ("overdue", "at_risk", "on_track", "recently_kept")
        result: dict[str, Any] = {
            group: [promise_object(ledger, p) for p in getattr(view, group)] for group in groups
        }
        result["summary"] = {
            "open": len(view.overdue) + len(view.at_risk) + len(view.on_track),
            "at_risk": len(view.at_risk),
            "overdue": len(view.overdue),
            "kept_on_time_this_month": view.kept_on_time_this_month,
        }
        print_json(result)
        return
    from promisekeeper.render import console, status_tables

    status_tables(view, ledger, console())


STATUS_CHOICES = ("open", "kept", "broken", "released", "all")


@app.command("list")
def list_promises(
    ctx: typer.Context,
    to: Annotated[
        str | None,
        typer.Option("--to", "-t", metavar="PERSON", help="Only promises to this person."),
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
    as_json: JsonOption = False,
) -> None:
    """List promises, filtered (open ones by default), soonest due first.

    \b
    Examples:
      pk list
      pk list --to alice --status all
      pk list --tag release --due-before "next week" --json
    """
    if status_ not in STATUS_CHOICES:
        ctx.fail(f"--status must be one of {', '.join(STATUS_CHOICES)}, not {status_!r}")
    ledger = state(ctx).ledger()
    before = when(ledger, due_before) if due_before else None
    found = ledger.list(to=to, status=status_, tag=tag, due_before=before)
    if as_json:
        print_json([promise_object(ledger, p) for p in found])
        return
    from promisekeeper.render import console, list_table

    list_table(found, ledger, console())


@app.command()
def show(ctx: typer.Context, promise_id: IdArgument, as_json: JsonOption = False) -> None:
    """One promise with its full history.

    \b
    Examples:
      pk show 12
      pk show 12 --json
    """
    ledger = state(ctx).ledger()
    found = ledger.get(promise_id)
    events = ledger.history(promise_id)
    if as_json:
        from promisekeeper.exchange import event_json

        result = promise_object(ledger, found)
        result["history"] = [event_json(e) for e in events]
        print_json(result)
        return
    from promisekeeper.render import console, show_promise

    show_promise(found, events, ledger, console())


def _confirm_change(
    ledger: Ledger, changed: Any, as_json: bool, verb: str, extra: str = ""
) -> None:
    if as_json:
        print_json(promise_object(ledger, changed))
        return
    from promisekeeper.render import promise_summary

    say(f"{verb} {promise_summary(changed, ledger.now)}{extra}")


@app.command()
def keep(
    ctx: typer.Context,
    promise_id: IdArgument,
    note: Annotated[str, typer.Option("--note", "-n", help="What you delivered.")] = "",
    at: Annotated[
        str | None, typer.Option("--at", metavar="WHEN", help="When you delivered (default: now).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Mark a promise kept, and see whether it was on time.

    \b
    Examples:
      pk keep 12
      pk keep 12 --at "yesterday 16:00" --note "sent by mail"
    """
    ledger = state(ctx).ledger()
    delivered = when(ledger, at, prefer="past") if at else None
    kept = ledger.keep(promise_id, at=delivered, note=note)
    from promisekeeper.render import timing

    _confirm_change(ledger, kept, as_json, "Kept", f" — {timing(kept, ledger.now)}")


@app.command()
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
    before = ledger.get(promise_id)
    moved = ledger.move(promise_id, when(ledger, new_due), reason=reason, force=force)
    if as_json:
        print_json(promise_object(ledger, moved))
        return
    from promisekeeper.dates import format_when
    from promisekeeper.render import people, promise_summary

    say(f"Moved {promise_summary(moved, ledger.now)}")
    say(f"  now due {format_when(moved.due, ledger.now)} (move {moved.moves})")
    if ledger.now < before.due:
        say(f"  Moved before the deadline. Tell {people(moved)} the new date now.")
    else:
        say(
            "  Moved after the deadline: it stays on the record as late. Tell "
            f"{people(moved)} and apologise."
        )


def _settle(ctx: typer.Context, promise_id: int, kind: str, reason: str, as_json: bool) -> None:
    ledger = state(ctx).ledger()
    settled = ledger.settle(promise_id, kind, reason=reason)
    verb = "Broke" if kind == "broken" else "Released"
    _confirm_change(ledger, settled, as_json, verb)


@app.command("break")
def break_promise(
    ctx: typer.Context,
    promise_id: IdArgument,
    reason: Annotated[str, typer.Option("--reason", "-r", help="Why you couldn't.")] = "",
    as_json: JsonOption = False,
) -> None:
    """You could not keep it. Say so: it is recorded as broken.

    \b
    Examples:
      pk break 12 --reason "the vendor never delivered"
    """
    _settle(ctx, promise_id, "broken", reason, as_json)


@app.command()
def release(
    ctx: typer.Context,
    promise_id: IdArgument,
    reason: Annotated[str, typer.Option("--reason", "-r", help="Why they let you off.")] = "",
    as_json: JsonOption = False,
) -> None:
    """They released you from it: closed, and not your failure.

    \b
    Examples:
      pk release 12 --reason "project cancelled"
    """
    _settle(ctx, promise_id, "released", reason, as_json)


@app.command()
def reopen(ctx: typer.Context, promise_id: IdArgument, as_json: JsonOption = False) -> None:
    """Open a kept, broken or released promise again.

    \b
    Examples:
      pk reopen 12
    """
    ledger = state(ctx).ledger()
    _confirm_change(ledger, ledger.reopen(promise_id), as_json, "Reopened")


@app.command()
def note(
    ctx: typer.Context,
    promise_id: IdArgument,
    text: Annotated[list[str], typer.Argument(help="The note (several words are joined).")],
    as_json: JsonOption = False,
) -> None:
    """Add a note to a promise's history (progress, a heads-up you gave, ...).

    \b
    Examples:
      pk note 12 "draft done, waiting for review"
    """
    ledger = state(ctx).ledger()
    _confirm_change(ledger, ledger.add_note(promise_id, " ".join(text)), as_json, "Noted on")


@app.command()
def edit(
    ctx: typer.Context,
    promise_id: IdArgument,
    what: Annotated[str | None, typer.Option("--what", help="New text of the promise.")] = None,
    to: Annotated[
        list[str] | None,
        typer.Option("--to", "-t", metavar="PERSON", help="New person (repeatable; replaces)."),
    ] = None,
    note: Annotated[str | None, typer.Option("--note", "-n", help='New note ("" clears).')] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", metavar="TAG", help="Add a tag.")
    ] = None,
    untag: Annotated[
        list[str] | None, typer.Option("--untag", metavar="TAG", help="Remove a tag.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Change what a promise says, who it is to, its note or tags. (Dates change with pk move.)

    \b
    Examples:
      pk edit 12 --what "Send the Q3 and Q4 numbers"
      pk edit 12 --to alice --to bob --tag finance --untag draft
    """
    ledger = state(ctx).ledger()
    edited = ledger.edit(promise_id, what=what, to=to, note=note, add_tags=tag, remove_tags=untag)
    _confirm_change(ledger, edited, as_json, "Edited")


@app.command()
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
    if not yes and interactive():
        from promisekeeper.render import promise_summary

        if not typer.confirm(f"Delete {promise_summary(target, ledger.now)}?", default=False):
            fail("not deleted")
    _confirm_change(
        ledger,
        ledger.delete(promise_id),
        as_json,
        "Deleted",
        "" if as_json else " (pk undo brings it back)",
    )


@app.command()
def undo(ctx: typer.Context) -> None:
    """Take back the last change (repeat to go further back).

    \b
    Examples:
      pk undo
    """
    ledger = state(ctx).ledger()
    undone = ledger.undo()
    from promisekeeper.dates import format_when

    ids = ", ".join(f"#{i}" for i in undone.promise_ids)
    say(f"Undid `pk {undone.command}` of {format_when(undone.at, ledger.now)} ({ids})")


@app.command()
def export(
    ctx: typer.Context,
    format_: Annotated[str, typer.Option("--format", "-f", help="Output format: json.")] = "json",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """Write every promise with its full history as JSON (the format pk import reads).

    \b
    Examples:
      pk export > promises.json
      pk export --output backup.json
    """
    if format_ != "json":
        ctx.fail(f"--format must be json, not {format_!r}")
    from promisekeeper.exchange import dumps
    from promisekeeper.exchange import export as export_ledger

    text = dumps(export_ledger(state(ctx).ledger()))
    if output is None:
        typer.echo(text)
        return
    try:
        tmp = output.with_name(output.name + ".tmp")
        tmp.write_text(text + "\n", encoding="utf-8")
        tmp.replace(output)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror}")
    say(f"Exported to {output}")


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[
        str,
        typer.Argument(
            metavar="FILE", help="A pk export, or a JSON list of promises; - for stdin."
        ),
    ],
) -> None:
    """Import promises from JSON, skipping those already in the ledger (same uuid).

    All or nothing: a bad record stops the import with its index, and the ledger is unchanged.

    \b
    Examples:
      pk import promises.json
      pk export --db old.db | pk import -
    """
    from promisekeeper.exchange import import_records, parse_document

    if file == "-":
        text = sys.stdin.read()
    else:
        try:
            text = Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"cannot read {file}: {getattr(exc, 'strerror', None) or exc}")
    ledger = state(ctx).ledger()
    imported, skipped = import_records(ledger, parse_document(text))
    message = f"Imported {imported} promise{'s' if imported != 1 else ''}"
    if skipped:
        message += f" ({skipped} already in the ledger, skipped)"
    say(message)


def _where(ctx: typer.Context, as_json: bool) -> None:
    path, _explicit = paths.db_path(state(ctx).db)
    cfg_path = paths.config_path()
    if as_json:
        print_json(
            {
                "ledger": str(path),
                "config": str(cfg_path),
                "ledger_exists": path.exists(),
                "config_exists": cfg_path.exists(),
            }
        )
        return
    cfg = load_config()
    say(f"ledger:  {path}{'' if path.exists() else '  (not created yet)'}")
    say(f"config:  {cfg_path}{'' if cfg_path.exists() else '  (not present; defaults in use)'}")
    say(f'day_ends = "{cfg.day_ends:%H:%M}"')
    hours = cfg.risk_window.total_seconds() / 3600
    say(f'risk_window = "{hours:g}h"')
    say(f"risk_fraction = {cfg.risk_fraction:g}")


@app.command()
def config(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Show where the ledger and the config file are, and the settings in use.

    \b
    Examples:
      pk config
      pk config --json
    """
    _where(ctx, as_json)


@app.command()
def where(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Same as pk config: the paths in use.

    \b
    Examples:
      pk where
    """
    _where(ctx, as_json)


def main() -> None:
    """Console-script entry point."""
    try:
        app(prog_name="pk")
    except BrokenPipeError:
        # `pk list | head`: the reader went away; that is not an error worth a traceback.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)
