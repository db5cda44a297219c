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
    only closed ones for reopen. Typed hex with a letter (or after `u:`) is the start of a
    uuid: the answers are then the ids pk show shows (rules.ids), in the case typed."""
    from promisekeeper.rules.ids import hex_digits
    from promisekeeper.telling.text import one_line

    try:
        ledger = _ledger(ctx)
        promises = ledger.list(status="all")
    except Exception:
        return []
    command = ctx.info_name
    prefix = "#" if incomplete.startswith("#") else ""
    digits = incomplete.removeprefix("#")
    explicit = incomplete[:2].lower() == "u:"
    typed = incomplete[2:] if explicit else incomplete
    start = hex_digits(typed) if typed else ""
    by_uuid = not prefix and start is not None and (explicit or bool(typed) and not typed.isdigit())
    answers = []
    for promise in sorted(promises, key=lambda p: (p.status != "open", p.due, p.id or 0)):
        if command in OPEN_ONLY and promise.status != "open":
            continue
        if command in CLOSED_ONLY and promise.status == "open":
            continue
        if command in OWED_ONLY and not promise.owed:
            continue
        if by_uuid:
            if not (hex_digits(promise.uuid) or "").startswith(start or ""):
                continue
        elif not str(promise.id).startswith(digits):
            continue
        about = f"{promise.what} {'←' if promise.owed else '→'} {', '.join(promise.to)}"
        answers.append((promise, one_line(about, HELP_WIDTH)))
        if by_uuid and len(answers) == UUID_ANSWERS:
            break
    if not by_uuid:
        return [(f"{prefix}{promise.id}", about) for promise, about in answers]
    return [(_as_typed(ledger.shown_id(p.uuid), p.uuid, incomplete), a) for p, a in answers]


UUID_ANSWERS = 50  # the start of a uuid given for this many promises at most


def _as_typed(shown: str, uuid: str, incomplete: str) -> str:
    """The id pk show shows, written so that it begins with what was typed (the shells keep
    only answers that do): its `u:` and case as typed, the whole uuid when more was typed."""
    explicit = incomplete[:2]  if incomplete[:2].lower() == "u:" else ""
    typed = incomplete[len(explicit) :]
    answer = shown.removeprefix("u:")
    if len(answer) < len(typed) or not answer.lower().startswith(typed.lower()):
        answer = uuid
    if typed != typed.lower():
        answer = answer.upper()
    return f"{explicit}{answer}"


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
