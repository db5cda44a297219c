"""Checks that a ledger file is sound, shared by the tests that try hard to break one.

Sound means: SQLite's integrity check passes, every promise row is exactly the fold of its
history (history.fold), and no event belongs to a promise that has no row.
"""

from __future__ import annotations

import gc
import hashlib
import os
import shutil
import sqlite3
import stat
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from promisekeeper.model.history import fold
from promisekeeper.services.maintenance import stored
from promisekeeper.store import connection, queries, schema


def open_plain(path: Path) -> sqlite3.Connection:
    """The file as it is, without pk's migrations (SQLite still applies a committed -wal)."""
    return sqlite3.connect(f"file:{path}?mode=rw", uri=True, isolation_level=None)


def assert_sound(path: Path) -> dict[str, Any]:
    """Assert the ledger is sound; returns its promises and events for further checks.

    A ledger left at an older schema (a killed upgrade) is checked as it is, then its folds on
    an upgraded copy, since the queries speak the current schema.
    """
    conn = open_plain(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        if conn.execute("PRAGMA user_version").fetchone()[0] < schema.SCHEMA_VERSION:
            import tempfile

            with tempfile.TemporaryDirectory() as scratch:
                copy = Path(scratch) / "upgraded.db"
                target = sqlite3.connect(copy)
                conn.backup(target)
                target.close()
                upgraded = connection.connect(copy, write=True)
                assert upgraded is not None
                upgraded.close()
                return assert_sound(copy)
        histories = queries.all_histories(conn)
        for promise, events in histories:
            folded = fold(events)
            assert folded is not None, f"promise #{promise.id} has no history"
            assert stored(folded) == stored(promise), f"promise #{promise.id} != its history"
        assert queries.orphan_event_promises(conn) == []
        changes = conn.execute("SELECT id, command, undone_ts FROM changes ORDER BY id").fetchall()
        return {"histories": histories, "changes": changes}
    finally:
        conn.close()


def snapshot(directory: Path) -> dict[str, Any]:
    """Every file under `directory` with a hash of its bytes and its mode."""
    gc.collect()  # connections of earlier in-process runs closed, so SQLite's side files are gone
    found: dict[str, Any] = {}
    for path in sorted(directory.rglob("*")):
        key = str(path.relative_to(directory))
        mode = stat.S_IMODE(path.lstat().st_mode)
        if path.is_dir():
            found[key] = ("dir", mode)
        elif not path.is_file():
            found[key] = ("special", mode)  # a FIFO: reading it would wait forever
        else:
            found[key] = (hashlib.sha256(path.read_bytes()).hexdigest(), mode)
    return found


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make a file or directory read-only for this process, root included.

    Mode bits do not stop root (CI runs as root), so as root the file is made immutable with
    `chattr +i`; where that does not work either, the test is skipped, saying why.
    """
    if os.geteuid() != 0:
        mode = stat.S_IMODE(path.stat().st_mode)
        path.chmod(mode & ~0o222)
        try:
            yield
        finally:
            path.chmod(mode)
        return
    chattr = shutil.which("chattr")
    if chattr is None:
        pytest.skip("running as root without chattr: nothing makes a file read-only for root")
    done = subprocess.run([chattr, "+i", str(path)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"running as root and chattr +i fails here ({done.stderr.strip()})")
    try:
        yield
    finally:
        subprocess.run([chattr, "-i", str(path)], check=True)
