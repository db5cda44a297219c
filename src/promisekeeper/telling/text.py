"""Making user text safe for a terminal, a cron mail or a report.

User text (promise titles, names, notes, pasted e-mails) may hold escape sequences, control
characters or bidi overrides. They are stored verbatim and returned verbatim in --json, but
on a terminal or in cron mail they are shown neutralised, as visible `\\x1b`-style escapes.
This module imports nothing heavy: `pk today` renders with it (and face.paint) alone.
"""

from __future__ import annotations

import re

# C0 and C1 controls (tab included: it would break columns), DEL, and the bidi embedding,
# override and isolate characters that can make text read differently from what it is; also
# the bidi marks, the line and paragraph separators, and the invisible zero-width space, word
# joiner and BOM, which can make two different names look the same. (The zero-width joiner and
# non-joiner stay: emoji sequences and several scripts need them.)
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2060\u2066-\u2069\ufeff]"
)


def safe(text: str) -> str:
    """`text` with every control character shown as a visible escape, never interpreted."""
    if text.isprintable():  # holds none of them (all are unprintable): the common case, fast
        return text
    return _UNSAFE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


# What JSON leaves as it is (it escapes only C0 controls) but a terminal would act on or hide:
# DEL, the C1 controls (U+009B is a CSI, U+009D an OSC), bidi and invisible characters.
_UNSAFE_IN_JSON = re.compile(
    "[\x7f-\x9f\u061c\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2060\u2066-\u2069\ufeff]"
)


def json_for_terminal(text: str) -> str:
    """JSON text with every character a terminal would act on or hide written as its JSON
    escape (`\\u009b`): the same JSON value, shown as what it is."""
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def one_line(text: str, width: int = 0) -> str:
    """Safe text on one line (newlines shown as ⏎), cut to `width` characters when given."""
    if not text.isprintable():  # printable text has no newline and is already safe
        text = safe(text.replace("\r\n", "\n").replace("\n", " ⏎ "))
    if width and len(text) > width:
        return text[: width - 1] + "…"
    return text
