"""Telling people: which message fits a promise, and drafting it from a template.

No surprises: when a promise is at risk, the person hears it from you before the deadline, with
options (a new date, a partial delivery). After a move they get the new date, after a miss an
apology, and when it is done a "delivered" note that closes the loop. Templates are plain text
with placeholders, overridable in the config directory; sending lives in telling.channels.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from promisekeeper.model.errors import PkError
from promisekeeper.model.promise import Promise

KINDS = ("heads-up", "new-date", "apology", "delivered")
PLACEHOLDERS = ("what", "to", "due", "new_due", "reason", "delivered")

DEFAULT_TEMPLATES = {
    "heads-up": """Subject: Heads-up: {what}

Hi {to},

a heads-up about {what}, which I promised you for {due}: it is at risk. {reason}

I'd rather tell you now than surprise you later. I can offer:
- a new date: {new_due}
- a partial delivery by {due}, with the rest to follow

Which works better for you?
""",
    "new-date": """Subject: New date for {what}

Hi {to},

I promised you {what} for {due}, and I won't make that date. {reason}

The new date I can commit to is {new_due}. If part of it would help you sooner, tell me and I
will deliver that part first.
""",
    "apology": """Subject: Sorry: {what} is late

Hi {to},

I promised you {what} for {due}, and I missed it. I'm sorry. {reason}

New date: {new_due}. If part of it would help you now, I can deliver that part first.
""",
    "delivered": """Subject: Done: {what}

Hi {to},

{what} is done, {delivered}, as promised for {due}.
""",
}

DEFAULT_REASONS = {
    "heads-up": "It is taking longer than I expected.",
    "new-date": "It is taking longer than I expected.",
    "apology": "",
    "delivered": "",
}
NO_NEW_DATE = "one that works for you; tell me what still helps"


class NotifyError(PkError):
    """A message could not be drafted or sent; nothing was recorded as told."""


@dataclass
class Draft:
    """A message ready to send: which template, subject and body, and to whom."""

    kind: str
    subject: str
    body: str
    to: list[str]

    @property
    def text(self) -> str:
        return f"Subject: {self.subject}\n\n{self.body}"


def choose_kind(standing: str, promise: Promise) -> str:
    """The message that fits where the promise stands."""
    if standing in ("kept", "kept_late"):
        return "delivered"
    if standing == "overdue":
        return "apology"
    if promise.moved_since_told:
        return "new-date"
    return "heads-up"


def load_template(kind: str, directory: Path | None) -> tuple[str, str]:
    """The template text for `kind` and where it came from (a user file or 'built-in')."""
    if kind not in KINDS:
        raise NotifyError(f"unknown message kind {kind!r}; use one of {', '.join(KINDS)}")
    if directory is not None:
        path = directory / "templates" / f"{kind}.txt"
        try:
            return path.read_text(encoding="utf-8"), str(path)
        except FileNotFoundError:
            pass
        except (OSError, UnicodeDecodeError) as exc:
            raise NotifyError(f"cannot read template {path}: {exc}") from None
    return DEFAULT_TEMPLATES[kind], "built-in"


def check_template(text: str, origin: str) -> None:
    """Refuse placeholders we do not fill, before anything is shown or sent."""
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    except ValueError as exc:
        raise NotifyError(f"template {origin}: {exc} (write {{{{ and }}}} for braces)") from None
    for name in fields:
        if name not in PLACEHOLDERS:
            known = ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)
            raise NotifyError(f"template {origin}: unknown placeholder {{{name}}}; use {known}")


def names(people: list[str]) -> str:
    """'Alice', 'Alice and Bob', 'Alice, Bob and Carol'."""
    if len(people) <= 1:
        return "".join(people)
    return f"{', '.join(people[:-1])} and {people[-1]}"


def draft(
    promise: Promise,
    kind: str,
    *,
    now: datetime,
    to: list[str] | None = None,
    reason: str = "",
    new_due: datetime | None = None,
    previous_due: datetime | None = None,
    delivered: str = "on time",
    directory: Path | None = None,
) -> Draft:
    """Fill the template for `kind`.

    {due} is the date that was promised; after a move (new-date) that is the previous date and
    {new_due} the date now in force.
    """
    from promisekeeper.rules.dates import format_day_time

    text, origin = load_template(kind, directory)
    check_template(text, origin)
    people = to if to is not None else promise.to
    promised = previous_due if kind == "new-date" and previous_due else promise.due
    if kind == "new-date" and new_due is None:
        new_due = promise.due
    values = {
        "what": promise.what,
        "to": names(people),
        "due": format_day_time(promised, now),
        "new_due": format_day_time(new_due, now) if new_due else NO_NEW_DATE,
        "reason": reason.strip() or DEFAULT_REASONS[kind],
        "delivered": delivered,
    }
    # Split before filling in: a promise text with a newline must not end the subject early.
    subject, body = _split_subject(text, f"{kind.replace('-', ' ').capitalize()}: {{what}}")
    return Draft(
        kind=kind,
        subject=one_line_subject(subject.format(**values)),
        body=_tidy(body.format(**values)),
        to=list(people),
    )


def one_line_subject(text: str) -> str:
    """A subject is one line: newlines in it would forge e-mail headers."""
    return " ".join(text.split())


def _split_subject(text: str, default: str) -> tuple[str, str]:
    first, _, rest = text.partition("\n")
    if first.lower().startswith("subject:"):
        return first.split(":", 1)[1].strip(), rest.lstrip("\n")
    return default, text


def _tidy(body: str) -> str:
    """No trailing spaces left by an empty {reason}, and exactly one final newline."""
    lines = [line.rstrip() for line in body.splitlines()]
    return "\n".join(lines).strip("\n") + "\n"


def from_text(kind: str, text: str, to: list[str], subject: str) -> Draft:
    """A draft from text the user wrote (--message, or the edited draft)."""
    subject_line, body = _split_subject(text, subject)
    if not body.strip():
        raise NotifyError("the message is empty; nothing was sent")
    return Draft(kind=kind, subject=one_line_subject(subject_line), body=_tidy(body), to=list(to))
