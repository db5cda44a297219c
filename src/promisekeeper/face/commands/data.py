"""Commands about the ledger as a whole: export, import, and where things are."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer

from promisekeeper.face.commands.common import (
    JsonOption,
    fail,
    load_config,
    print_json,
    say,
    state,
    when,
    write_json,
)
from promisekeeper.services import paths

EXPORT_FORMATS = ("json", "ics", "vdir", "csv")


def export(
    ctx: typer.Context,
    target: Annotated[
        str | None,
        typer.Argument(
            metavar="[FILE|DIR|-]",
            help="Where to write: a file (json, ics, csv; - or none for stdout), or the "
            "directory of a vdir.",
            show_default=False,
        ),
    ] = None,
    format_: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="json (everything, for pk import), ics (one calendar of to-dos), vdir (a "
            "directory of .ics files, for vdirsyncer and todoman) or csv (one row a promise).",
        ),
    ] = "json",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """Write every promise: as JSON with its full history and everyone's contact details (the
    format pk import reads), or for calendars and spreadsheets.

    ics: one calendar of RFC 5545 to-dos (VTODO), every promise not deleted, yours and owed to
    you: UID the promise's uuid, SUMMARY "what → alice" (owed to you: "what ← bob"), DUE,
    STATUS (NEEDS-ACTION, COMPLETED with when it was kept, CANCELLED when broken or
    released), CATEGORIES its tags, DESCRIPTION who promised whom, the note and the terms;
    times in UTC.

    vdir: a directory with one <uuid>.ics per promise, made if missing and kept up to date: a
    file is rewritten only when its promise changed, and removed when the promise is deleted.
    Files pk did not write there are left alone. The calendar is a copy: changes made to it
    are not read back, and the next export writes over them. Use one directory per ledger.

    csv: a header row, then one row per promise not deleted (the main fields of --json).

    \b
    Examples:
      pk export > promises.json
      pk export --output backup.json
      pk export --format ics promises.ics
      pk export --format vdir ~/.local/share/calendars/promises
      pk export --format csv - > promises.csv
    """
    if format_ not in EXPORT_FORMATS:
        fail(f"--format must be one of {', '.join(EXPORT_FORMATS)}, not {format_!r}", code=2)
    if target is not None and output is not None:
        fail("give the file either as an argument or with --output, not both", code=2)
    place = output if target is None else (None if target == "-" else Path(target))
    ledger = state(ctx).ledger()
    from promisekeeper.telling.text import safe

    if format_ == "vdir":
        if place is None:
            fail("--format vdir needs the directory to write: pk export --format vdir DIR", 2)
        from promisekeeper.services.calendar import vdir

        done = vdir(ledger, place)
        say(
            f"Exported to {safe(str(place))}: {done.written} written, "
            f"{done.unchanged} unchanged, {done.removed} removed"
        )
        return
    if format_ == "json":
        from promisekeeper.services.exchange import export as export_ledger

        pieces = export_ledger(ledger)
    else:
        from promisekeeper.services import calendar

        pieces = calendar.ics(ledger) if format_ == "ics" else calendar.csv_text(ledger)
    if place is None:
        if format_ == "json":
            write_json(pieces)
        else:
            _write_text(pieces)
        return
    from promisekeeper.services.output import write_output

    write_output(place, pieces, private=True, ledger=ledger.path)
    say(f"Exported to {safe(str(place))}")


def _write_text(pieces: Iterable[str]) -> None:
    """ICS or CSV text to stdout as it comes; on a terminal, every character it would act on
    or hide shown as an escape (line ends kept)."""
    escape = None
    if sys.stdout.isatty():
        from promisekeeper.telling.text import safe

        def escape(piece: str) -> str:
            return "\r\n".join(safe(line) for line in piece.split("\r\n"))

    for piece in pieces:
        typer.echo(escape(piece) if escape else piece, nl=False)


def import_(
    ctx: typer.Context,
    file: Annotated[
        str,
        typer.Argument(
            metavar="FILE",
            help="A pk export, a JSON list of promises, or (--from taskwarrior) the output of "
            "task export; - for stdin.",
        ),
    ],
    source: Annotated[
        str,
        typer.Option(
            "--from",
            metavar="FORMAT",
            help="What FILE holds: pk (an export or a list of promises) or taskwarrior.",
        ),
    ] = "pk",
    person: Annotated[
        str | None,
        typer.Option(
            "--person",
            metavar="SOURCE",
            help="taskwarrior: who each promise is to: tag (the task's first tag), project, "
            "or uda:NAME.",
        ),
    ] = None,
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            metavar="NAME",
            help="taskwarrior: the person for every task (with --person: for tasks without "
            "that value).",
        ),
    ] = None,
    default_due: Annotated[
        str | None,
        typer.Option(
            "--default-due",
            metavar="WHEN",
            help="taskwarrior: the due time of tasks without one (else they are skipped).",
        ),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="taskwarrior: print the summary as JSON (for scripts)."),
    ] = False,
) -> None:
    """Import promises (and people) from JSON, skipping promises already in the ledger (same
    uuid).

    People are merged by name: an empty detail in the file never erases one you have, and where
    both have a different value yours is kept (the summary says so). All or nothing: a bad
    record stops the import with its index, and the ledger is unchanged.

    --from taskwarrior reads `task export` output: description, due, entry (made), tags,
    annotations (as notes); a pending or waiting task is open, a completed one kept at its
    end, a deleted one released ("deleted in taskwarrior"); the project becomes the tag
    project:NAME. The person comes from --person or --to (one of them is needed). Tasks
    without a due date (unless --default-due), without a person, and recurring templates
    (their occurrences are imported) are skipped and counted. Importing the same tasks again
    adds nothing: a task already imported is already present, even if it changed since.

    \b
    Examples:
      pk import promises.json
      pk export --db old.db | pk import -
      task export | pk import --from taskwarrior --person tag -
      pk import --from taskwarrior tasks.json --to alice --default-due fri
    """
    if source not in ("pk", "taskwarrior"):
        ctx.fail(f"--from must be pk or taskwarrior, not {source!r}")
    if source == "taskwarrior":
        _import_taskwarrior(ctx, file, person, to, default_due, as_json)
        return
    given = [
        name
        for name, value in (
            ("--person", person),
            ("--to", to),
            ("--default-due", default_due),
            ("--json", as_json or None),
        )
        if value is not None
    ]
    if given:
        ctx.fail(f"{given[0]} goes with --from taskwarrior")
    from promisekeeper.services.exchange import import_document, parse_document, stream_document

    # Read a record at a time (twice: checked whole first, then imported); stdin is kept in a
    # private temporary file for the second reading. Input that is not an export document or
    # a plain list (or not valid JSON) is read whole, and parse_document says what is wrong.
    open_text = _copy(sys.stdin) if file == "-" else None
    try:
        open_text = open_text or _opener(Path(file))
        try:
            document = stream_document(open_text)
        except UnicodeDecodeError:
            document = None  # read whole below, which says where
        if document is None:
            with open_text() as stream:
                text = stream.read()
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {file}: {getattr(exc, 'strerror', None) or exc}")
    ledger = state(ctx).ledger()
    if document is None:
        document = parse_document(text)
        del text  # the parsed document is all the import needs (one copy in memory, not two)
    done = import_document(ledger, document)
    message = f"Imported {done.promises} promise{'s' if done.promises != 1 else ''}"
    if done.skipped:
        message += f" ({done.skipped} already in the ledger, skipped)"
    say(message)
    from promisekeeper.telling.text import one_line

    for index, promise_id in done.present:
        say(
            f"  record {index} already present as #{promise_id} "
            "(same what, people and due): skipped"
        )

    def names(people: list[str]) -> str:
        return ", ".join(one_line(name, 40) for name in people)

    if done.people_added:
        say(
            f"  added {_people(len(done.people_added))} with their details: "
            f"{names(done.people_added)}"
        )
    if done.people_updated:
        say(
            f"  added details from the import to {_people(len(done.people_updated))}: "
            f"{names(done.people_updated)}"
        )
    for kept in done.kept:
        say(
            f"  kept this ledger's {kept.detail} for {one_line(kept.name, 40)}: "
            f"{one_line(kept.ours, 60)} (the import had {one_line(kept.theirs, 60)})"
        )


def _import_taskwarrior(
    ctx: typer.Context,
    file: str,
    person: str | None,
    to: str | None,
    default_due: str | None,
    as_json: bool,
) -> None:
    """pk import --from taskwarrior: read the whole export (at most MAX_BYTES), map its tasks
    (services.taskwarrior), import them all or none, and account for every task."""
    from promisekeeper.model.errors import InvalidInput
    from promisekeeper.services import taskwarrior

    if person is None and to is None:
        ctx.fail("--from taskwarrior needs --person tag|project|uda:NAME or --to NAME")
    try:
        if person is not None:
            person = taskwarrior.person_source(person)
        if to is not None:
            from promisekeeper.rules.fields import clean_people

            names = clean_people([to])
            if len(names) != 1:
                raise InvalidInput(f"--to takes one name, not {to[:40]!r}")
            to = names[0]
    except InvalidInput as exc:
        ctx.fail(str(exc))
    limit = taskwarrior.MAX_BYTES
    try:
        if file == "-":
            data = sys.stdin.buffer.read(limit + 1)
        else:
            with Path(file).open("rb") as stream:
                data = stream.read(limit + 1)
        if len(data) > limit:
            fail(
                f"{file} is larger than {limit >> 20} MiB: import it in parts "
                "(task project:NAME export, say); nothing imported"
            )
        text = data.decode("utf-8")
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror or exc}")
    except UnicodeDecodeError as exc:
        fail(f"cannot read {file}: not UTF-8 text (byte {exc.start}); nothing imported")
    del data
    tasks = taskwarrior.read_tasks(text)
    del text
    ledger = state(ctx).ledger()
    due = None if default_due is None else when(ledger, default_due)
    mapping = taskwarrior.Mapping(person=person, to=to, default_due=due)
    summary = taskwarrior.import_tasks(ledger, tasks, mapping)
    if as_json:
        print_json(summary.as_json())
        return
    for line in taskwarrior_summary(summary):
        say(line)


def taskwarrior_summary(summary: Any) -> list[str]:
    """The summary of an import from taskwarrior, accounting for every task."""
    from promisekeeper.services.taskwarrior import (
        DUPLICATE,
        NO_DUE,
        NO_PERSON,
        RECURRING_TEMPLATE,
    )

    def tasks(n: int) -> str:
        return f"{n} task{'s' if n != 1 else ''}"

    head = f"Read {tasks(summary.tasks)} from taskwarrior: imported {summary.imported}"
    if summary.present:
        head += f", {summary.present} already in the ledger"
    if summary.skipped:
        head += f", skipped {len(summary.skipped)}"
    lines = [head]
    if summary.present:
        lines.append(
            f"  already in the ledger: {tasks(summary.present)} imported before "
            "(left as is, even if changed in taskwarrior since)"
        )
    why = {
        NO_DUE: lambda n: f"{tasks(n)} without a due date (--default-due WHEN gives them one)",
        NO_PERSON: lambda n: f"{tasks(n)} without a person (--to NAME gives them one)",
        RECURRING_TEMPLATE: lambda n: (
            f"{n} recurring template{'s' if n != 1 else ''} "
            "(their occurrences are tasks of their own)"
        ),
        DUPLICATE: lambda n: f"{tasks(n)} listed twice in the file (imported once)",
    }
    for reason, count in summary.counts().items():
        lines.append(f"  skipped {why[reason](count)}")
    return lines


def _opener(path: Path) -> Callable[[], Any]:
    """The file's text from the start, as Path.read_text reads it (UTF-8, any line ends); a
    pipe or other file that can be read only once is copied first."""
    if path.is_file():
        return lambda: path.open(encoding="utf-8")
    with path.open(encoding="utf-8") as stream:
        return _copy(stream)


def _copy(source: TextIO) -> Callable[[], Any]:
    """A text stream copied as it comes into a private temporary file (gone when closed),
    which can then be read from the start as often as needed."""
    import shutil
    import tempfile
    from contextlib import nullcontext

    copy = tempfile.TemporaryFile("w+", encoding="utf-8", errors="surrogatepass", newline="")
    shutil.copyfileobj(source, copy)

    def reopen() -> Any:
        copy.seek(0)
        return nullcontext(copy)

    return reopen


def _people(n: int) -> str:
    return f"{n} {'person' if n == 1 else 'people'}"


def _where(ctx: typer.Context, as_json: bool) -> None:
    path, _explicit = paths.db_path(state(ctx).db)
    cfg_path = paths.config_path()
    from promisekeeper.services.config import settings_in_use

    settings = settings_in_use(load_config())
    if as_json:
        print_json(
            {
                "ledger": str(path),
                "config": str(cfg_path),
                "ledger_exists": path.exists(),
                "config_exists": cfg_path.exists(),
                "settings": settings,
            }
        )
        return
    from promisekeeper.telling.text import safe

    say(f"ledger:  {safe(str(path))}{'' if path.exists() else '  (not created yet)'}")
    shown = safe(str(cfg_path))
    say(f"config:  {shown}{'' if cfg_path.exists() else '  (not present; defaults in use)'}")
    say("")
    tables = {k: v for k, v in settings.items() if isinstance(v, dict)}
    for key, value in settings.items():
        if key not in tables:
            say(f"{key} = {_toml_value(value)}")
    for table, values in tables.items():
        say(f"\n[{table}]" + ("" if values else "  # not configured"))
        for key, value in values.items():
            say(f"{key} = {_toml_value(value)}")


def _toml_value(value: Any) -> str:
    """A setting as config.toml spells it; strings JSON-quoted, so no escape reaches the
    terminal raw."""
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return json.dumps(value)


def config(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Show where the ledger and the config file are, and the settings in use.

    \b
    Examples:
      pk config
      pk config --json
    """
    _where(ctx, as_json)


def where(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Same as pk config: the paths in use.

    \b
    Examples:
      pk where
    """
    _where(ctx, as_json)
