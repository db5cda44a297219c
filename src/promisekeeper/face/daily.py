"""The daily view (`pk today`, plain `pk`) without the CLI framework, and the end of a run.

`pk today` runs every morning and from cron; most of its time used to go to loading Typer and
building the app. The command's logic lives here, in functions with no Typer in them: the
`today` command calls them, and so does `fast_today`, which entry.main tries first. It
answers only the plain forms (`pk`, `pk today` with `--json`, `--no-prompt`, `--all`,
`--db PATH`) when no walk through promises at risk will follow; anything else (help, another
option, a terminal with people to tell, output that is not UTF-8) goes to the Typer app as
before, which stays the one place that defines the options and their help.

`finish` ends a successful run promptly: output flushed, every ledger this run opened
closed, then os._exit, skipping the interpreter's slow tear-down; only when nothing else
asked to run at exit (atexit handlers), so no cleanup is ever skipped.
"""

from __future__ import annotations

import os
import sys
from weakref import WeakSet

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from promisekeeper.model.promise import Promise
    from promisekeeper.services.ledger import Ledger

# Rows per section of `pk today` (overdue, due today, at risk, kept today); the rest is
# counted, with the command that lists them. `--all` shows every row, `--json` is complete.
TODAY_ROWS = 10

# The ledgers this run opened and still uses, so finish() can close them before ending the
# process (weakly held: a ledger nobody uses any more closes as it always did).
_opened: WeakSet[Ledger] = WeakSet()


def ledger_for(db: str | None) -> Ledger:
    """The ledger for this run: --db, else PK_DB, else the default; the clock and settings."""
    from promisekeeper.services import clock, paths
    from promisekeeper.services.config import load
    from promisekeeper.services.ledger import Ledger

    path, explicit = paths.db_path(db)
    ledger = Ledger(
        path, now=clock.now(), config=load(paths.config_path()), create_dirs=not explicit
    )
    _opened.add(ledger)
    return ledger


def promise_object(ledger: Ledger, promise: Promise, standing: str | None = None) -> dict[str, Any]:
    """The JSON contract for a promise, plus whether its people were told (and need to be);
    `standing` when the view computed it already."""
    from promisekeeper.model.times import iso
    from promisekeeper.services.exchange import promise_json

    obj = promise_json(promise, standing or ledger.standing(promise), ledger.now)
    obj["notified_at"] = iso(promise.told_at) if promise.told_at else None
    obj["notified_before_deadline"] = promise.told_before_deadline
    obj["needs_telling"] = ledger.needs_telling(promise)
    return obj


def json_text(value: Any) -> str:
    """JSON for stdout: as it is into a pipe or file; on a terminal, with the controls and bidi
    characters of user text written as JSON escapes, so the terminal never acts on them."""
    from promisekeeper.services.exchange import dumps

    text = dumps(value)
    if sys.stdout.isatty():
        from promisekeeper.telling.text import json_for_terminal

        text = json_for_terminal(text)
    return text


def today_output(ledger: Ledger, *, as_json: bool, everything: bool) -> str:
    """What `pk today` prints (before any walk): the view as text, or complete as JSON."""
    view = ledger.today()
    if as_json:
        return json_text(
            {
                group: [promise_object(ledger, p) for p in getattr(view, group)]
                for group in ("overdue", "due_today", "at_risk", "kept_today", "owed")
            }
        )
    from promisekeeper.face.paint import Painter, use_color
    from promisekeeper.face.render import today_text

    limit = None if everything else TODAY_ROWS
    return "\n".join(today_text(view, ledger, Painter(use_color()), limit=limit))


def will_walk(no_prompt: bool, as_json: bool) -> bool:
    """Only for a person at a terminal: never in --json, under CI, or from cron."""
    if no_prompt or as_json or os.environ.get("CI"):
        return False
    return sys.stdin.isatty() and sys.stdout.isatty()


def finish(code: int = 0) -> None:
    """End a successful run now: flush the output, close the ledgers, skip the tear-down.

    Returns (and the interpreter ends as usual) when something registered an atexit handler,
    or when the output cannot be flushed."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            return
    _sync_in_the_background()
    close_ledgers()
    if _atexit_handlers():
        return
    os._exit(code)


def _sync_in_the_background() -> None:
    """`[sync] auto = true`: after a run that recorded a change, start `pk sync` as a detached
    process (its own session, no terminal, output discarded), so the command does not wait
    for git. A sync started by that is never followed by another (PK_SYNC_CHILD)."""
    wanted = [ledger for ledger in _opened if ledger.changed and ledger.config.sync_auto]
    if not wanted or os.environ.get("PK_SYNC_CHILD"):
        return
    from promisekeeper.services.sync import start_in_background

    for ledger in wanted:
        start_in_background(ledger)


def close_ledgers() -> None:
    for ledger in list(_opened):
        ledger.close()
    _opened.clear()


def _atexit_handlers() -> int:
    import atexit

    count = getattr(atexit, "_ncallbacks", None)
    return 1 if count is None else int(count())


# -------------------------------------------------------------------------------------------------
# The fast path
# -------------------------------------------------------------------------------------------------
def fast_today(args: list[str]) -> bool:
    """Answer `pk`/`pk today` here when the plain form allows it; False: let the app run it.

    When it answers, it ends the process (finish) on success, and exits with the same line
    and status as the app on an error."""
    plan = _plain_daily(args)
    if plan is None or os.environ.get("_PK_COMPLETE"):
        return False
    encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")
    if encoding not in ("utf8", "utf_8"):
        return False  # click rewraps such a stream; the app writes it as it always did
    db, as_json, no_prompt, everything = plan

    held: list[Any] = []  # the ledger stays referenced until answer() has closed it (close_ledgers)

    def run() -> int:
        ledger = ledger_for(db)
        held.append(ledger)
        if will_walk(no_prompt, as_json) and ledger.to_tell():
            raise NeedsTheApp  # the walk asks questions: the app does that
        sys.stdout.write(today_output(ledger, as_json=as_json, everything=everything) + "\n")
        return 0

    answer(run)
    return False


class NeedsTheApp(Exception):
    """The fast path met a question only the app asks: the app runs the command instead."""


def answer(run: Callable[[], int]) -> None:
    """Run a command on the fast path as the app's boundary does (cli.PkGroup.invoke,
    cli.main): one line and a status for an error, quiet for a reader that went away (`pk
    today | head -1`); end the process when done. Returns only when the command needs the
    app (NeedsTheApp), before it printed or recorded anything."""
    try:
        code = run()
        sys.stdout.flush()
    except NeedsTheApp:
        close_ledgers()
        return
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise SystemExit(0) from None
    except Exception as exc:
        _fail(exc)
    except KeyboardInterrupt:
        sys.stderr.write("\n")
        _say_error("interrupted; nothing was changed", 130)
    if code == 0:
        finish(0)
    close_ledgers()
    raise SystemExit(code)


def _plain_daily(args: list[str]) -> tuple[str | None, bool, bool, bool] | None:
    """(db, --json, --no-prompt, --all) for `pk [--db P] [today [options]]`, else None."""
    db: str | None = None
    flags = {"--json": False, "--no-prompt": False, "--all": False}
    command = False
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--db":
            if index + 1 >= len(args) or not args[index + 1] or args[index + 1].startswith("-"):
                return None
            db = args[index + 1]
            index += 2
            continue
        if arg.startswith("--db="):
            db = arg[len("--db=") :]
            if not db:
                return None
        elif arg == "today" and not command:
            command = True
        elif command and arg in flags and not flags[arg]:
            flags[arg] = True
        else:
            return None
        index += 1
    return db, flags["--json"], flags["--no-prompt"], flags["--all"]


def _fail(exc: Exception) -> None:
    """The app's boundary (cli.PkGroup.invoke) for the fast path: one line and a status."""
    from promisekeeper.model.errors import PkError

    if isinstance(exc, PkError):
        _say_error(str(exc), exc.exit_code)
    if os.environ.get("PK_DEBUG"):
        raise exc
    if isinstance(exc, ValueError) and "null byte" in str(exc):
        _say_error("a file name cannot contain a NUL character")
    _say_error(f"internal error: {type(exc).__name__}: {exc} (set PK_DEBUG=1 for the traceback)")


def _say_error(message: str, code: int = 1) -> None:
    from promisekeeper.telling.text import one_line

    sys.stderr.write(f"pk: {one_line(message)}\n")
    sys.stderr.flush()
    close_ledgers()
    raise SystemExit(code)
