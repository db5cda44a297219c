"""What `pk sync` remembers in the ledger's meta table: the remote, the repository, how far this
replica's records have been written out (the marker) and how far each other replica's file has
been read (an offset per file, with a fingerprint of the bytes just before it).

Keys start with "sync."; the meta table exists since m004, so this needs no migration.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

_PREFIX = "sync."
_OFFSET = "sync.offset:"


@dataclass
class SyncState:
    """The sync settings and progress of one ledger (empty when sync was never set up)."""

    replica: str
    remote: str | None = None
    repo: str | None = None
    marker: int = 0
    last: str | None = None  # ISO time of the last sync that finished
    offsets: dict[str, tuple[int, str]] = field(default_factory=dict)  # file: (offset, tail)


def read_state(conn: sqlite3.Connection) -> SyncState:
    rows = dict(conn.execute("SELECT key, value FROM meta WHERE key >= 'replica' AND key < 'sz'"))
    offsets: dict[str, tuple[int, str]] = {}
    for key, value in rows.items():
        if key.startswith(_OFFSET):
            offset, _space, tail = value.partition(" ")
            if offset.isdigit():
                offsets[key.removeprefix(_OFFSET)] = (int(offset), tail)
    marker = rows.get(_PREFIX + "marker", "0")
    return SyncState(
        replica=str(rows["replica"]),
        remote=rows.get(_PREFIX + "remote"),
        repo=rows.get(_PREFIX + "repo"),
        marker=int(marker) if marker.isdigit() else 0,
        last=rows.get(_PREFIX + "last"),
        offsets=offsets,
    )


def set_values(conn: sqlite3.Connection, values: dict[str, str | None]) -> None:
    """Set (or, for None, remove) sync.NAME keys; the caller holds the transaction."""
    for name, value in values.items():
        if value is None:
            conn.execute("DELETE FROM meta WHERE key = ?", (_PREFIX + name,))
        else:
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (_PREFIX + name, value)
            )


def set_offsets(conn: sqlite3.Connection, offsets: dict[str, tuple[int, str]]) -> None:
    conn.executemany(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
        [(_OFFSET + name, f"{offset} {tail}") for name, (offset, tail) in offsets.items()],
    )


def forget_progress(conn: sqlite3.Connection) -> None:
    """Start over: no marker, no offsets (a new repository or a new replica id)."""
    conn.execute(
        "DELETE FROM meta WHERE key = ? OR key LIKE ?", (_PREFIX + "marker", _OFFSET + "%")
    )


def set_replica(conn: sqlite3.Connection, replica: str) -> None:
    """Give this ledger a new replica id (its events keep the identity they were made with)."""
    conn.execute("UPDATE meta SET value = ? WHERE key = 'replica'", (replica,))


def knows_event(conn: sqlite3.Connection, uuid: str) -> bool:
    """Whether the ledger holds the event with this uuid, or took it back (an undo's
    tombstone, by the event's uuid or the undo's own)."""
    if conn.execute("SELECT 1 FROM events WHERE uuid = ?", (uuid,)).fetchone():
        return True
    has_tombstones = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'tombstones'"
    ).fetchone()
    if not has_tombstones:
        return False
    found = conn.execute(
        "SELECT 1 FROM tombstones WHERE uuid = ? OR undo_uuid = ? LIMIT 1", (uuid, uuid)
    ).fetchone()
    return found is not None
