"""The `pk` command line: the app, its global options, the list of commands, and the boundary
where errors become messages and exit codes.

Commands live in promisekeeper.face.commands (one module per area) and are registered below in the
order `pk --help` shows them. Domain errors (errors.PkError) become one line on stderr and exit
status 1 in PkGroup.invoke, the only place that decides exit codes; usage errors exit 2.
"""

from __future__ import annotations

import copy
import os
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup, TyperOption

from promisekeeper.face.commands import (
    checkpoints,
    data,
    maintenance,
    owed,
    people,
    promises,
    record,
    reminders,
    report,
    series,
    sync,
    tell,
)
from promisekeeper.face.commands.common import State, fail, state
from promisekeeper.model.errors import PkError


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
        except (typer.Exit, typer.Abort, BrokenPipeError):
            raise  # a closed pipe: main() below ends quietly
        except Exception as exc:
            if _is_click_exception(exc) or os.environ.get("PK_DEBUG"):
                raise
            if isinstance(exc, ValueError) and "null byte" in str(exc):
                fail("a file name cannot contain a NUL character")  # os.* refuse it everywhere
            fail(f"internal error: {type(exc).__name__}: {exc} (set PK_DEBUG=1 for the traceback)")

    def list_commands(self, ctx: Any) -> list[str]:
        """Commands in the order they are registered below (a tour), not alphabetically."""
        return list(self.commands)


def _is_click_exception(exc: Exception) -> bool:
    return any(cls.__name__ in ("ClickException", "Exit", "Abort") for cls in type(exc).__mro__)


DB_HELP = "Ledger file to use (default: $PK_DB, else ledger.db in the user data dir)."


def _db_after_the_command(ctx: Any, param: Any, value: str | None) -> str | None:
    """`pk today --db X` means what `pk --db X today` does (given twice, the later one wins)."""
    if value is not None:
        ctx.meta["pk.db"] = value  # shell completion reads the ledger named on the line
        if not ctx.resilient_parsing:
            state(ctx).db = value
    return value


def _version_after_the_command(ctx: Any, param: Any, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        _version(True)


class PkCommand(TyperCommand):
    """Every command: takes the global options after its name too, and writes its usage line
    with the metavars the README uses (`pk move [OPTIONS] ID WHEN`, not `{promise_id}`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.append(
            TyperOption(
                param_decls=["--db"],
                metavar="PATH",
                callback=_db_after_the_command,
                expose_value=False,
                help=DB_HELP,
            )
        )
        self.params.append(
            TyperOption(
                param_decls=["--version"],
                is_flag=True,
                default=False,
                callback=_version_after_the_command,
                expose_value=False,
                is_eager=True,
                hidden=True,
            )
        )

    def invoke(self, ctx: Any) -> Any:
        """Promise ids typed as the start of a uuid become local ids here, after every option
        (`--db` too) is read: one lookup for every command that takes an ID."""
        from promisekeeper.rules.ids import IdText

        for name, value in ctx.params.items():
            if isinstance(value, IdText):
                local = value.local
                ctx.params[name] = local if local else state(ctx).ledger().resolve(value)
        return super().invoke(ctx)

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return [_plain(piece) for piece in super().collect_usage_pieces(ctx)]


def _plain(piece: str) -> str:
    """Typer writes a required argument as `{NAME}`; the README and click write `NAME`."""
    if piece.startswith("{") and piece.endswith("}"):
        return piece[1:-1]
    return piece


class PkTyper(typer.Typer):
    """A Typer whose commands are PkCommands, however they are registered."""

    def command(self, *args: Any, cls: Any = None, **kwargs: Any) -> Any:
        return super().command(*args, cls=cls or PkCommand, **kwargs)


app = PkTyper(
    name="pk",
    cls=PkGroup,
    rich_markup_mode=None,
    add_completion=True,  # --install-completion, --show-completion (answers: face.complete)
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


def _version(value: bool) -> None:
    if value:
        from promisekeeper import version

        typer.echo(f"pk (PromiseKeeper) {version()}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def main_options(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            metavar="PATH",
            help=DB_HELP,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    ctx.obj = State(db=db)
    if ctx.invoked_subcommand is None:
        promises.today(ctx, as_json=False)


# The commands, in the order of a tour.
app.command()(promises.promise)
app.command()(promises.today)
app.command()(promises.status)
app.command("list")(promises.list_promises)
app.command()(promises.show)
app.command()(promises.keep)
app.command()(promises.move)
app.command("break")(promises.break_promise)
app.command()(promises.release)
app.command()(promises.reopen)
app.command()(promises.note)
app.command()(promises.edit)
app.command()(promises.delete)
app.command()(checkpoints.checkpoint)
app.command()(promises.undo)
app.command()(series.stop)
app.command()(tell.notify)
app.command()(owed.expect)
app.command()(owed.nudge)
app.command()(people.people)
app.command()(people.person)
app.command()(reminders.remind)
app.command()(reminders.cron)
app.command()(report.report)
app.command()(record.stats)
app.command()(record.trust)
app.command()(data.export)
app.command("import")(data.import_)
app.command()(data.config)
app.command()(data.where)
app.command()(maintenance.doctor)
app.command()(maintenance.backup)
app.command()(maintenance.restore)

sync_app = PkTyper(
    name="sync",
    cls=PkGroup,
    rich_markup_mode=None,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
sync_app.callback(invoke_without_command=True)(sync.sync_now)
sync_app.command()(sync.init)
sync_app.command()(sync.status)
app.add_typer(sync_app, name="sync")


def main() -> None:
    """Console-script entry point."""
    from promisekeeper.face.daily import finish

    try:
        app_for(sys.argv[1:])(prog_name="pk")
    except SystemExit as done:
        if done.code in (0, None):
            finish(0)  # flush, close the ledger, and end without the slow tear-down
        raise
    except BrokenPipeError:
        # `pk list | head`: the reader went away; that is not an error worth a traceback.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)


def app_for(args: list[str]) -> typer.Typer:
    """`app`, or a copy of it that knows only the command about to run.

    Typer turns every registered command into a click command, inspecting its signature and
    type hints, on every run: with twenty commands that is a tenth of `pk today`. When the
    command is named right away (after `--db PATH` at most), only that one is built, and plain
    `pk` needs none. The run is the same: only the group's own help and typo hints look at the
    other commands, and those cases (`pk --help`, `pk lst`, other options) get the whole app,
    as does the shell asking for completions (`_PK_COMPLETE` set), which can name any command.
    """
    if os.environ.get("_PK_COMPLETE"):
        return app
    index = 0
    while index < len(args) and (args[index] == "--db" or args[index].startswith("--db=")):
        index += 1 if "=" in args[index] else 2
    wanted = []
    groups = []
    if index < len(args):
        wanted = [
            info
            for info in app.registered_commands
            if info.callback is not None
            and (info.name or info.callback.__name__.lower().replace("_", "-")) == args[index]
        ]
        groups = [info for info in app.registered_groups if info.name == args[index]]
        if not wanted and not groups:
            return app
    slim = copy.copy(app)
    slim.registered_commands = wanted
    slim.registered_groups = groups  # `pk sync ...`: that group alone
    slim._add_completion = False  # its options come before any command, so never here
    return slim
