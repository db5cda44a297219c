"""Files the user asks for (a report, an export): written whole, or an error that says why."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from promisekeeper.store.files import write_atomically


def write_output(
    path: Path, text: str | Iterable[str], *, ledger: Path, private: bool = False
) -> None:
    """Write a file the user named (text, or pieces as they come); an export holds every
    promise, so it is `private`.

    Never the ledger, its -wal/-shm or one of its backups (WriteRefused); a failure leaves
    nothing behind and says what the system said (WriteFailed).
    """
    write_atomically(path, text, private=private, ledger=ledger)
