"""Files the user asks for (a report, an export): written whole, or an error that says why."""

from __future__ import annotations

from pathlib import Path

from promisekeeper.model.errors import PkError
from promisekeeper.store.files import write_atomically


def write_output(path: Path, text: str, *, private: bool = False) -> None:
    """Write a file the user named; an export holds every promise, so it is `private`."""
    try:
        write_atomically(path, text, private=private)
    except OSError as exc:
        raise PkError(f"cannot write {path}: {exc.strerror or exc}") from None
