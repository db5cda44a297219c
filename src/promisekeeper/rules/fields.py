"""What a promise's fields may hold: text, names, tags and effort, checked the same way whether
they come from a command or from an import."""

from __future__ import annotations

from datetime import timedelta

from promisekeeper.model.errors import InvalidInput
from promisekeeper.model.promise import (
    MAX_NAME,
    MAX_TERMS,
    MAX_TEXT,
    effort_in_bounds,
    name_key,
)


def clean_text(text: str, what: str, *, allow_empty: bool = False) -> str:
    """Text as typed, minus surrounding white space; empty or oversized text is refused."""
    text = (text or "").strip()
    if not text and not allow_empty:
        raise InvalidInput(f"{what} cannot be empty")
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"{what} is too long ({len(text):,} characters; at most {MAX_TEXT:,})")
    return text


def clean_people(names: list[str]) -> list[str]:
    """Names as typed, de-duplicated case-insensitively; a promise needs at least one person."""
    people: list[str] = []
    seen: set[str] = set()
    for raw in names:
        for name in raw.split(","):
            name = name.strip()
            if name and name_key(name) not in seen:
                if len(name) > MAX_NAME:
                    raise InvalidInput(f"a person's name is at most {MAX_NAME} characters")
                seen.add(name_key(name))
                people.append(name)
    if not people:
        raise InvalidInput("a promise needs a person: give --to NAME")
    return people


def clean_tags(tags: list[str]) -> list[str]:
    result: list[str] = []
    for tag in tags:
        tag = tag.strip().lstrip("+")
        if not tag:
            raise InvalidInput("a tag cannot be empty")
        if any(ch.isspace() for ch in tag):
            raise InvalidInput(f"a tag cannot contain spaces: {tag!r}")
        if tag not in result:
            result.append(tag)
    return result


def clean_terms(items: list[str], what: str) -> list[str]:
    """What a promise includes or excludes: each item as typed minus surrounding white space,
    none empty, each once (the first spelling kept), at most MAX_TERMS."""
    result: list[str] = []
    for item in items:
        text = clean_text(item, f"an item of {what}")
        if text not in result:
            result.append(text)
    if len(result) > MAX_TERMS:
        raise InvalidInput(f"{what} lists at most {MAX_TERMS} items")
    return result


def effort_seconds(effort: timedelta) -> int:
    """Effort as the history stores it; at most a year of work, at least a minute."""
    return check_effort_seconds(int(effort.total_seconds()), "--effort")


def check_effort_seconds(seconds: object, name: str) -> int:
    """Effort in whole seconds, between a minute and a year of work."""
    if not effort_in_bounds(seconds):
        raise InvalidInput(f"{name} must be between 1 minute and a year of work")
    assert isinstance(seconds, int)
    return seconds
