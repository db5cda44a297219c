"""Telling people: drafting the message for a promise from a template.

No surprises: while a promise may slip the person hears it before the deadline, with options
(a new date, a partial delivery); after a move they get the new date, after a miss an apology,
after a break "I can't do it after all", after a release thanks, and when it is done a
delivered note, on time or owning the delay. Which kind fits is rules.notice's; what the record
says (reason, dates) is services.notify's; this module only fills templates, plain text with
placeholders, overridable in the config directory. Sending lives in telling.channels.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from promisekeeper.model.errors import PkError
from promisekeeper.model.promise import Promise
from promisekeeper.rules.notice import KINDS

PLACEHOLDERS = (
    "what", "to", "due", "new_due", "reason", "delivered", "options", "asked", "terms",
)  # fmt: skip
# The templates: one per message kind about your promises, and the nudge about theirs.
TEMPLATES = (*KINDS, "nudge")

# The messages where the terms help the person (what it will and won't hold): news about the
# date and the delivery. Never an apology or a "can't do it after all", where restating what
# was agreed would read as an excuse.
TERMS_KINDS = ("heads-up", "new-date", "delivered", "delivered-late")

# The built-in templates are files beside this module (templates/KIND.txt), one paragraph per
# line: the mail client or chat wraps it, never a line break of ours. Copy one into the config
# directory's templates/ to make it yours.
BUILT_IN = Path(__file__).parent / "templates"


def options(kind: str, *, due: str, new_due: str | None, offer: str = "") -> str:
    """The options a message gives ("give them options"), only where they make sense: a new
    date you propose, a partial delivery while one can still help, what you offer instead."""
    if kind == "heads-up":
        if new_due:
            return (
                f"I can offer a new date, {new_due}, or a partial delivery by {due} with the "
                "rest to follow. Which works better for you?"
            )
        return (
            f"If part of it by {due} would help, I can deliver that part first, with the rest "
            "to follow. Or tell me a later date that still works for you."
        )
    if kind == "apology":
        if new_due:
            return (
                f"The new date I can commit to is {new_due}. If part of it would help you now, "
                "I can deliver that part first."
            )
        return (
            "If part of it would help you now, I can deliver that part first; "
            "tell me what still helps."
        )
    if kind == "cannot-do":
        if offer:
            return f"What I can offer instead: {sentence(offer, capital=False)}"
        return "If something smaller would still help you, tell me and I'll see what I can do."
    return ""


def terms(kind: str, promise: Promise) -> str:
    """{terms}: 'As agreed: includes the slides and the speaker notes; not included: the
    recording.' for the kinds in TERMS_KINDS when the promise has terms, else nothing."""
    if kind not in TERMS_KINDS:
        return ""
    parts = []
    if promise.includes:
        parts.append("includes " + names([" ".join(item.split()) for item in promise.includes]))
    if promise.excludes:
        parts.append(
            "not included: " + names([" ".join(item.split()) for item in promise.excludes])
        )
    return f"As agreed: {'; '.join(parts)}." if parts else ""


def sentence(text: str, capital: bool = True) -> str:
    """Words the user typed, set as a sentence: a capital first letter (unless it follows a
    colon) and a full stop; the user's own words otherwise as they were."""
    text = " ".join(text.split())
    if not text:
        return ""
    if capital:
        text = text[0].upper() + text[1:]
    if text[-1] not in ".!?…" and not text.endswith(('."', ".)", '!"', '?"')):
        text += "."
    return text


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


def load_template(kind: str, directory: Path | None) -> tuple[str, str]:
    """The template text for `kind` and where it came from (a user file or 'built-in')."""
    if kind not in TEMPLATES:
        raise NotifyError(f"unknown message kind {kind!r}; use one of {', '.join(KINDS)}")
    if directory is not None:
        path = directory / "templates" / f"{kind}.txt"
        try:
            return path.read_text(encoding="utf-8"), str(path)
        except FileNotFoundError:
            pass
        except (OSError, UnicodeDecodeError) as exc:
            raise NotifyError(f"cannot read template {path}: {exc}") from None
    return (BUILT_IN / f"{kind}.txt").read_text(encoding="utf-8"), "built-in"


def check_template(text: str, origin: str) -> None:
    """Refuse placeholders we do not fill, and any format spec or conversion (`{what:>9}`,
    `{what!r}`: a width can ask for gigabytes), before anything is shown or sent."""
    try:
        fields = [
            (name, spec, conversion)
            for _, name, spec, conversion in string.Formatter().parse(text)
            if name is not None
        ]
    except ValueError as exc:
        raise NotifyError(f"template {origin}: {exc} (write {{{{ and }}}} for braces)") from None
    known = ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)
    for name, spec, conversion in fields:
        if name not in PLACEHOLDERS:
            raise NotifyError(f"template {origin}: unknown placeholder {{{name}}}; use {known}")
        if spec or conversion:
            written = (
                "{"
                + name
                + (f"!{conversion}" if conversion else "")
                + (f":{spec}" if spec else "")
                + "}"
            )
            raise NotifyError(
                f"template {origin}: {written[:40]} has a format; placeholders are written "
                f"plain, like {{{name}}}"
            )


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
    promised_due: datetime | None = None,
    delivered: str = "on time",
    offer: str = "",
    directory: Path | None = None,
    asked: str = "",
) -> Draft:
    """Fill the template for `kind`.

    {due} is the date that was promised (`promised_due`: after a move, the date they last
    heard), {new_due} the date now offered, {reason} the user's own words as a sentence (or
    nothing: pk never invents a reason), {options} what the message offers, {asked} when
    you last asked (a nudge), as a sentence or nothing, {terms} what was agreed it includes
    and excludes (where it helps: `terms`).
    """
    from promisekeeper.rules.dates import format_day_time

    text, origin = load_template(kind, directory)
    check_template(text, origin)
    people = to if to is not None else promise.to
    due = format_day_time(promised_due or promise.due, now)
    offered = format_day_time(new_due, now) if new_due else None
    values = {
        "what": " ".join(promise.what.split()),
        "to": names(people),
        "due": due,
        "new_due": offered or NO_NEW_DATE,
        "reason": sentence(reason),
        "delivered": delivered,
        "options": options(kind, due=due, new_due=offered, offer=offer),
        "asked": asked,
        "terms": terms(kind, promise),
    }
    # Split before filling in: a promise text with a newline must not end the subject early.
    subject, body = _split_subject(text, f"{kind.replace('-', ' ').capitalize()}: {{what}}")
    return Draft(
        kind=kind,
        subject=one_line_subject(subject.format(**values)),
        body=_tidy(body.format(**values)),
        to=list(people),
    )


NO_NEW_DATE = "a date that works for you"


def one_line_subject(text: str) -> str:
    """A subject is one line: newlines in it would forge e-mail headers."""
    return " ".join(text.split())


def _split_subject(text: str, default: str) -> tuple[str, str]:
    first, _, rest = text.partition("\n")
    if first.lower().startswith("subject:"):
        return first.split(":", 1)[1].strip(), rest.lstrip("\n")
    return default, text


def _tidy(body: str) -> str:
    """No trailing spaces or empty paragraphs left by an empty placeholder, and exactly one
    final newline."""
    import re

    lines = [line.rstrip() for line in body.splitlines()]
    # An empty {options} or {reason} paragraph leaves no gap of its own.
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines).strip("\n")) + "\n"


def from_text(kind: str, text: str, to: list[str], subject: str) -> Draft:
    """A draft from text the user wrote (--message, or the edited draft)."""
    subject_line, body = _split_subject(text, subject)
    if not body.strip():
        raise NotifyError("the message is empty; nothing was sent")
    return Draft(kind=kind, subject=one_line_subject(subject_line), body=_tidy(body), to=list(to))
