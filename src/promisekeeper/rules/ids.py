"""What text names a promise: its local id, or the start of its uuid (the same on every machine).

- `5` or `#5` (digits only) is the local id, the number `pk list` shows on this machine.
- 4 to 32 hex digits, upper or lower case, with dashes after the first as copied from a uuid
  (`3f9a`, `3F9A1C2D`, `3f9a1c2d-4b`), are the start of a promise's uuid.
- `u:` and then hex digits is the start of a uuid too, even when every digit is 0-9
  (`u:3141`: without `u:` that is promise #3141); `u:` and any other text is a whole uuid as
  it is stored (an imported one, say `u:task-17`).

A uuid "begins with" a prefix when it is written as pk writes uuids (8-4-4-4-12 hex digits with
dashes) or as 32 hex digits, in lower or upper case, and starts with those digits (`uuid_forms`
gives the spellings, each an index range in the store).

The id pk shows for a uuid (`shown_id`) is its shortest start of at least 8 hex digits that no
other promise's uuid begins with, lengthened until it has a letter a-f so that it can be typed
as it is shown; a uuid pk cannot shorten is shown whole, after `u:`.
"""

from __future__ import annotations

from dataclasses import dataclass

from promisekeeper.model.errors import NotAnId

LARGEST_ID = 2**63 - 1  # a larger number cannot be an id, and SQLite cannot even compare with it
FEWEST_TYPED = 4  # hex digits a uuid prefix needs
FEWEST_SHOWN = 8  # hex digits pk shows
UUID_DIGITS = 32
_HEX = frozenset("0123456789abcdef")
_DASHES_AFTER = (8, 12, 16, 20)  # hex digits before each dash of 8-4-4-4-12


@dataclass(frozen=True)
class IdText:
    """What the user typed where a promise id belongs, read: exactly one of `local` (a local
    id), `digits` (the start of a uuid: lower-case hex digits, no dashes) or `whole` (a whole
    uuid as stored) is set."""

    typed: str
    local: int | None = None
    digits: str = ""
    whole: str = ""


def read_id(text: str) -> IdText:
    """The id in `text`; NotAnId when it cannot be one (`pk show --help` names the forms)."""
    typed = str(text)
    body = typed.strip()
    if body.removeprefix("#").isascii() and body.removeprefix("#").isdigit():
        number = int(body.removeprefix("#"))
        if 1 <= number <= LARGEST_ID:
            return IdText(typed, local=number)
        raise NotAnId(f"{typed!r} is not a promise id")
    explicit = body[:2].lower() == "u:"
    if explicit:
        body = body[2:]
    digits = hex_digits(body) if not body.startswith("-") else None  # -1 is no uuid's start
    if digits is not None and FEWEST_TYPED <= len(digits) <= UUID_DIGITS:
        return IdText(typed, digits=digits)
    if explicit and body and body.isprintable() and len(body) <= 200:
        return IdText(typed, whole=body)
    raise NotAnId(f"{typed!r} is not a promise id")


def hex_digits(text: str) -> str | None:
    """`text`'s hex digits in lower case without its dashes, or None when it has anything
    else (or no digit at all)."""
    digits = text.replace("-", "").lower()
    if digits and set(digits) <= _HEX:
        return digits
    return None


def uuid_forms(digits: str) -> list[str]:
    """The starts of a stored uuid that begins with these hex digits: as pk writes uuids
    (dashed, lower case), as 32 digits, and both in upper case; no spelling twice."""
    dashed = ""
    for index, digit in enumerate(digits):
        if index in _DASHES_AFTER:
            dashed += "-"
        dashed += digit
    forms: list[str] = []
    for form in (dashed, digits, dashed.upper(), digits.upper()):
        if form not in forms:
            forms.append(form)
    return forms


def shown_form(uuid: str, count: int) -> str:
    """The start of `uuid` as it is written that holds its first `count` hex digits."""
    seen = 0
    for index, char in enumerate(uuid):
        if char != "-":
            seen += 1
            if seen == count:
                return uuid[: index + 1]
    return uuid


def can_show(digits: str) -> bool:
    """Whether a start of a uuid can be typed as shown: not digits alone, which read as a
    local id."""
    return not digits.isdigit()
