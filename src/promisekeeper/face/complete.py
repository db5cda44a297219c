"""Shell completion's answers from the ledger: promise ids with their titles, people's names.

Loaded only when the shell asks for completions (pk runs with `_PK_COMPLETE` set); the ledger
named by `--db` on the line being completed is read, never created or changed. Completion must
never print an error into the user's command line, so any failure completes nothing.
"""

from __future__ import annotations

from typing import Any

OPEN_ONLY = ("keep", "move", "break", "release", "nudge")  # what only an open promise can take
OWED_ONLY = ("nudge",)  # what only a promise owed to you can take
CLOSED_ONLY = ("reopen",)
HELP_WIDTH = 60


def _ledger(ctx: Any) -> Any:
    from promisekeeper.face.commands.common import State

    db = ctx.meta.get("pk.db") or ctx.find_root().params.get("db")
    return State(db=db).ledger()


def promise_ids(ctx: Any, incomplete: str) -> list[tuple[str, str]]:
    """Ids that start with what was typed (`#` kept when typed), each with its title and
    people: open promises first, by due date; only open ones for keep, move, break, release,
    only closed ones for reopen."""
    from promisekeeper.telling.text import one_line

    try:
        promises = _ledger(ctx).list(status="all")
    except Exception:
        return []
    command = ctx.info_name
    prefix = "#" if incomplete.startswith("#") else ""
    digits = incomplete.removeprefix("#")
    answers = []
    for promise in sorted(promises, key=lambda p: (p.status != "open", p.due, p.id or 0)):
        if command in OPEN_ONLY and promise.status != "open":
            continue
        if command in CLOSED_ONLY and promise.status == "open":
            continue
        if command in OWED_ONLY and not promise.owed:
            continue
        if not str(promise.id).startswith(digits):
            continue
        about = f"{promise.what} {'←' if promise.owed else '→'} {', '.join(promise.to)}"
        answers.append((f"{prefix}{promise.id}", one_line(about, HELP_WIDTH)))
    return answers


def people(ctx: Any, incomplete: str) -> list[tuple[str, str]]:
    """People whose names start with what was typed, with their open promises counted (the
    shells match case as typed, so this does too)."""
    from promisekeeper.telling.text import one_line

    try:
        everyone = _ledger(ctx).people()
    except Exception:
        return []
    return [
        (person.name, f"{count} open")
        for person, count, _worried in everyone
        if person.name.startswith(incomplete) and one_line(person.name) == person.name
    ]
