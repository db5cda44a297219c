"""The exceptions domain code raises; only the CLI turns them into messages and exit codes."""

from __future__ import annotations


class PkError(Exception):
    """A problem the user can fix: shown as one line on stderr, exit status 1."""

    exit_code = 1


class DateParseError(PkError):
    """Text that is not a date or duration `pk` understands."""


class PromiseNotFound(PkError):
    """No promise with that id in the ledger."""


class LedgerError(PkError):
    """The ledger file cannot be opened, read or written; `reason` is what SQLite or the
    system said, when the message rephrases it."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason or message


class InvalidInput(PkError):
    """An argument that is well-formed for the shell but wrong for the ledger (empty text, ...)."""


class NotAnId(PkError):
    """Text where a promise id belongs that cannot be one: a usage error (exit status 2)."""

    exit_code = 2


class AmbiguousId(PkError):
    """The start of a uuid that more than one promise's uuid begins with."""
