"""`pk promise`, `pk keep`, `pk list`, `pk status` and `pk remind` without the CLI framework.

Loading Typer and click and building the command costs more than these commands' work. In
their plain forms they are answered here, by the same functions the Typer commands call
(face.acts), with the options read from face/fastspec.py, which is generated from the Typer
app (face.fastgen): the app stays the one place that defines options and help.

Anything this parser does not fully understand goes to the app untouched, so help, usage
errors and questions look exactly as they always did: --help, --version, an unknown option or
a short option with its value attached, a missing value, a value that starts with "-", `--`,
a missing argument or a bad id, a choice not among the valid ones, a command that would ask
something on a terminal (a missing part of a promise, the closing note after `keep`, a
warning about a name or the date), `--tell`, a listing on a terminal, shell completion, and
output that is not UTF-8. tests/test_fast.py runs each command both ways and compares.
"""

from __future__ import annotations

import os
import sys

from promisekeeper.face.daily import NeedsTheApp, answer

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up)
if TYPE_CHECKING:
    from typing import Any

Values = dict[str, "Any"]


def fast_command(args: list[str]) -> None:
    """Answer the command here and end the process; return when the app must run it."""
    if os.environ.get("_PK_COMPLETE") or not _utf8_output():
        return
    db: str | None = None
    index = 0
    while index < len(args) and (args[index] == "--db" or args[index].startswith("--db=")):
        if args[index] == "--db":
            if index + 1 >= len(args) or not args[index + 1] or args[index + 1].startswith("-"):
                return
            db = args[index + 1]
            index += 2
        else:
            db = args[index][len("--db=") :]
            if not db:
                return
            index += 1
    if index >= len(args):
        return
    name = args[index]
    from promisekeeper.face.fastspec import COMMANDS

    if name not in COMMANDS:
        return
    values = parse(COMMANDS[name], args[index + 1 :])
    if values is None:
        return
    given_db = values.pop("db", None)
    if given_db is not None:
        if not given_db:
            return
        db = given_db
    run = _RUNS[name]
    answer(lambda: run(db, values))


def parse(spec: dict[str, Any], args: list[str]) -> Values | None:
    """The values of the command's parameters as click would give them, or None for
    anything this parser leaves to the app."""
    values: Values = dict(spec["defaults"])
    options, flags = spec["options"], spec["flags"]
    positional: list[str] = []
    multiple: dict[str, list[str]] = {}
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if not arg.startswith("-") or arg == "-":
            positional.append(arg)
            continue
        if arg in flags:
            name, value = flags[arg]
            values[name] = value
            continue
        opt, equals, value = arg.partition("=")
        if opt not in options or not opt.startswith("--") and equals:
            return None  # unknown, -x=..., --flag=..., --, -tVALUE, --help, --version
        if not equals:
            if index >= len(args) or args[index].startswith("-"):
                return None
            value = args[index]
            index += 1
        name, kind, repeatable = options[opt]
        if kind != "str":
            return None
        if repeatable:
            multiple.setdefault(name, []).append(value)
        else:
            values[name] = value
    values.update(multiple)
    for name, nargs, kind in spec["arguments"]:
        if kind not in ("str", "promise_id"):
            return None
        if nargs == -1:
            values[name], positional = (positional or None), []
            continue
        if nargs != 1 or not positional:
            return None  # click says the argument is missing
        text = positional.pop(0)
        if kind == "promise_id":
            from promisekeeper.face.acts import NotAnId, promise_id

            try:
                values[name] = promise_id(text)
            except NotAnId:
                return None
        else:
            values[name] = text
    if positional:
        return None  # click says: got unexpected extra arguments
    return values


# -------------------------------------------------------------------------------------------------
# The commands: what the Typer command does before it calls face.acts, or back to the app
# -------------------------------------------------------------------------------------------------
def _promise(db: str | None, v: Values) -> int:
    from promisekeeper.face.acts import record_promise

    text = " ".join(v["what"] or []).strip()
    if not text or not v["to"] or not v["due"]:
        raise NeedsTheApp  # it asks on a terminal, or says what is missing
    if v["every"] is not None or v["until"] is not None or v["count"] is not None:
        raise NeedsTheApp  # a series (or a usage error)
    ledger = _ledger(db)
    ledger.will_write()
    record_promise(
        ledger,
        text,
        v["to"],
        v["due"],
        note=v["note"],
        tags=v["tag"] or [],
        force=v["force"],
        effort=v["effort"],
        includes=v["includes"] or [],
        excludes=v["excludes"] or [],
        source=v["source"],
        as_json=v["as_json"],
        ask=_AskTheApp() if _interactive() else None,
    )
    return 0


def _keep(db: str | None, v: Values) -> int:
    from promisekeeper.face.acts import keep_promise

    if v["tell_them"] or (v["tell_them"] is None and _interactive() and not v["as_json"]):
        raise NeedsTheApp  # the closing note: sent (--tell) or offered on a terminal
    if v["checkpoint"] is not None:
        raise NeedsTheApp  # a checkpoint ticked off
    ledger = _ledger(db)
    promise_id = ledger.resolve(v["promise_id"])  # as PkCommand.invoke does
    keep_promise(ledger, promise_id, note=v["note"], at=v["at"], as_json=v["as_json"])
    return 0


def _list(db: str | None, v: Values) -> int:
    from promisekeeper.face.acts import STATUS_CHOICES, list_output, out

    if sys.stdout.isatty() or v["status_"] not in STATUS_CHOICES or v["owed"] and v["mine"]:
        raise NeedsTheApp  # a table laid out for the terminal; a usage error
    if v["series"]:
        raise NeedsTheApp  # the series, listed by the app
    out(
        list_output(
            _ledger(db),
            to=v["to"],
            status=v["status_"],
            tag=v["tag"],
            due_before=v["due_before"],
            direction="owed" if v["owed"] else "mine" if v["mine"] else None,
            as_json=v["as_json"],
        )
    )
    return 0


def _status(db: str | None, v: Values) -> int:
    from promisekeeper.face.acts import out, status_output

    if sys.stdout.isatty():
        raise NeedsTheApp  # tables laid out for the terminal, and the walk that may follow
    out(status_output(_ledger(db), as_json=v["as_json"], everything=v["show_all"]))
    return 0


def _remind(db: str | None, v: Values) -> int:
    from promisekeeper.face.acts import remind

    if v["output_format"] not in ("text", "json"):
        raise NeedsTheApp  # a usage error
    if v["sync"]:
        raise NeedsTheApp  # pk sync first: git and the network take longer than the app
    return remind(
        _ledger(db),
        within=v["within"],
        quiet=v["quiet"],
        desktop=v["desktop"],
        output_format=v["output_format"],
        fail_if_due=v["fail_if_due"],
        record=v["record"],
    )


def _sync(db: str | None, v: Values) -> int:
    """A plain `pk sync` (its sub-commands, init and status, are the app's)."""
    from promisekeeper.face.acts import out
    from promisekeeper.face.daily import json_text
    from promisekeeper.face.synced import synced_json, synced_lines
    from promisekeeper.services import sync

    done = sync.sync(_ledger(db))
    if v["as_json"]:
        out(json_text(synced_json(done)))
    else:
        for line in synced_lines(done):
            out(line)
    return 0


_held: list[Any] = []


def _ledger(db: str | None) -> Any:
    """The run's ledger (face.daily.ledger_for), held until the end: finish() closes it
    then, so SQLite folds the -wal into the file before the process ends."""
    from promisekeeper.face.daily import ledger_for

    ledger = ledger_for(db)
    _held.append(ledger)
    return ledger


_RUNS = {
    "promise": _promise,
    "keep": _keep,
    "list": _list,
    "status": _status,
    "remind": _remind,
    "sync": _sync,
}


class _AskTheApp:
    """A question on a terminal: only the app asks, so the app runs the whole command (it
    comes before anything is printed or recorded)."""

    def say(self, text: str) -> None:
        raise NeedsTheApp

    def confirm(self, text: str, default: bool) -> bool:
        raise NeedsTheApp

    def fail(self, message: str) -> None:
        raise NeedsTheApp


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def _utf8_output() -> bool:
    """click rewraps other streams; the app writes them as it always did."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        if encoding not in ("utf8", "utf_8"):
            return False
    return True
