"""Files around the ledger: temporary files, stamped copies, backups, and atomic writes.

Every file pk writes is whole or absent: written aside, flushed, then renamed or linked into place.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from promisekeeper.model.errors import LedgerError


def uri_path(path: Path) -> str:
    return str(path.resolve()).replace("?", "%3f").replace("#", "%23")


MIGRATION_BACKUPS_KEPT = 3


_SIDE_FILES = ("-wal", "-shm", "-journal")


def directory_writable(directory: Path) -> bool:
    """Whether a file can be created in `directory` (tried, since root ignores mode bits)."""
    import tempfile

    try:
        fd, name = tempfile.mkstemp(prefix=".pk-probe-", dir=directory)
    except OSError:
        return False
    os.close(fd)
    os.unlink(name)
    return True


def temp_file_for(path: Path, suffix: str) -> Path:
    """A new empty user-only (0600) file next to `path`, hidden, named after it."""
    import tempfile

    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    return Path(name)


def temp_files_of(path: Path) -> list[Path]:
    """Temporary files that an interrupted pk may have left next to the ledger."""
    import glob

    pattern = f".{glob.escape(path.name)}.*"
    return sorted(
        p
        for p in path.parent.glob(pattern)
        if p.name.endswith((".new", ".tmp")) or any(p.name.endswith(s) for s in _SIDE_FILES)
    )


def remove_quietly(path: Path) -> None:
    """Remove a file and SQLite's side files for it, if they are there."""
    for name in (path, *(path.with_name(path.name + s) for s in _SIDE_FILES)):
        try:
            os.unlink(name)
        except FileNotFoundError:
            pass


def fsync_dir(directory: Path) -> None:
    """Make a rename or link in `directory` durable (best effort: not every system allows it)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def utc_stamp() -> str:
    """The current time for file names: 20261123T090000Z (real time, not PK_NOW)."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def stamped_path(path: Path, label: str) -> Path:
    """`<ledger>.<label>-<UTC time>`, with -2, -3... when that name is taken."""
    base = path.with_name(f"{path.name}.{label}-{utc_stamp()}")
    candidate, n = base, 1
    while candidate.exists():
        n += 1
        candidate = base.with_name(f"{base.name}-{n}")
    return candidate


def copy_database(conn: sqlite3.Connection, dest: Path) -> None:
    """A consistent copy of the open database at `dest`, made with SQLite's backup API.

    Safe while other processes use the ledger. The copy is written to a temporary file next to
    `dest` and renamed over it, so `dest` is never half-written; it is user-only (0600) and a
    single self-contained file (rollback journal, no -wal).
    """
    tmp = temp_file_for(dest, ".tmp")
    try:
        target = sqlite3.connect(f"file:{uri_path(tmp)}?mode=rw", uri=True, isolation_level=None)
        try:
            conn.backup(target)
            target.execute("PRAGMA journal_mode = DELETE")
        finally:
            target.close()
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, dest)
        fsync_dir(dest.parent)
    finally:
        remove_quietly(tmp)


def restore_into(source: sqlite3.Connection, conn: sqlite3.Connection) -> None:
    """Replace the whole content of the open ledger `conn` with `source`, in one transaction.

    The backup API copies every page under the ledger's write lock; other processes see the old
    ledger or the new one, never a mixture, and a process killed half-way leaves the old one.
    """
    source.backup(conn)


def backup_before_migration(conn: sqlite3.Connection, path: Path, version: int) -> Path:
    """Copy the ledger to `<ledger>.backup-v<version>-<UTC time>` before migrating it; keep the
    newest MIGRATION_BACKUPS_KEPT such copies. Nothing is migrated when the copy fails."""
    target = stamped_path(path, f"backup-v{version}")
    try:
        copy_database(conn, target)
    except (OSError, sqlite3.Error) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise LedgerError(
            f"cannot back up ledger {path} before upgrading it from schema {version} "
            f"({reason}); nothing was changed"
        ) from None
    for old in migration_backups(path)[:-MIGRATION_BACKUPS_KEPT]:
        remove_quietly(old)
    return target


def migration_backups(path: Path) -> list[Path]:
    """The ledger's automatic pre-migration backups, oldest first."""
    import glob
    import re

    pattern = re.compile(
        re.escape(path.name) + r"\.backup-v(\d+)-(\d{8}T\d{6}Z)(?:-(\d+))?$", re.ASCII
    )
    found = []
    for candidate in path.parent.glob(f"{glob.escape(path.name)}.backup-v*"):
        match = pattern.match(candidate.name)
        if match:
            found.append(((match.group(2), int(match.group(3) or 1)), candidate))
    return [p for _key, p in sorted(found)]


def backups_of(path: Path) -> list[Path]:
    """Every backup pk keeps next to the ledger (before migrations, before restores, and
    `pk backup` without a path), oldest first by modification time."""
    import glob

    found = [
        p
        for p in path.parent.glob(f"{glob.escape(path.name)}.*")
        if p.is_file()
        and (".backup-" in p.name or ".before-restore-" in p.name)
        and not any(p.name.endswith(s) for s in _SIDE_FILES)
    ]
    return sorted(found, key=lambda p: (p.stat().st_mtime, p.name))


def set_wal(path: Path) -> None:
    """Put a ledger file (a restored copy, not yet in use) in WAL mode, leaving no -wal behind."""
    conn = sqlite3.connect(f"file:{uri_path(path)}?mode=rw", uri=True, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
    finally:
        conn.close()


def journal_mode_of(path: Path) -> str:
    """The journal mode, wal or delete, as the file header says (bytes 18-19); PRAGMA cannot
    tell when the file was opened immutable. While a -wal exists the ledger is in WAL mode and
    may be open: the header is then not read (closing a descriptor would drop SQLite's locks),
    and without one no WAL connection is open, so reading it is safe."""
    if path.with_name(path.name + "-wal").exists():
        return "wal"
    with open(path, "rb") as handle:
        header = handle.read(100)
    return "wal" if len(header) == 100 and header[18] == 2 and header[19] == 2 else "delete"


def write_atomically(path: Path, text: str, *, private: bool) -> None:
    """Write `text` to `path` whole or not at all: a new temporary file next to it (never one
    that was already there), flushed, then renamed over it. `private` files are user-only
    (0600), like the ledger; others get the usual mode (0644 under the umask)."""
    tmp = temp_file_for(path, ".tmp")
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if not private:
            os.chmod(tmp, 0o644 & ~_umask())
        os.replace(tmp, path)
        fsync_dir(path.parent)
    finally:
        remove_quietly(tmp)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
