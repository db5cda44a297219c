"""Files around the ledger: temporary files, stamped copies, backups, and atomic writes.

Every file pk writes is whole or absent: written aside, flushed, then renamed or linked into place.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from promisekeeper.model.errors import LedgerError, PkError


def uri_path(path: Path) -> str:
    return str(path.resolve()).replace("?", "%3f").replace("#", "%23")


MIGRATION_BACKUPS_KEPT = 3


# SQLite's side files, and pk's note of the ledger as it last checked it (see check_stamp).
CHECKED = "-checked"
_SIDE_FILES = ("-wal", "-shm", "-journal", CHECKED)


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


TEMP_MARK = ".pk-"  # every temporary file pk makes: .<name>.pk-<random><suffix>


def new_temp(path: Path, suffix: str) -> tuple[int, Path]:
    """A new empty user-only (0600) file next to `path`, hidden, named after it, and an open
    descriptor for it. Created exclusively (O_CREAT | O_EXCL, which never follows a symlink at
    that name) under a random name: nothing planted in advance can be written through."""
    import tempfile

    fd, name = tempfile.mkstemp(prefix=f".{path.name}{TEMP_MARK}", suffix=suffix, dir=path.parent)
    return fd, Path(name)


def temp_file_for(path: Path, suffix: str) -> Path:
    """A new empty user-only (0600) file next to `path` (see new_temp)."""
    fd, name = new_temp(path, suffix)
    os.close(fd)
    return name


def temp_files_of(path: Path) -> list[Path]:
    """Temporary files that an interrupted pk may have left next to the ledger."""
    import glob

    pattern = f".{glob.escape(path.name)}.*"
    return sorted(
        p
        for p in path.parent.glob(pattern)
        if p.name.endswith((".new", ".tmp")) or any(p.name.endswith(s) for s in _SIDE_FILES)
    )


def pk_temp_files_in(directory: Path) -> list[Path]:
    """pk's temporary files (and their SQLite side files) in `directory`, whatever they were
    named after: `.<name>.pk-<random>.tmp` / `.new`, `-journal`, `-wal`, `-shm`."""
    found = []
    try:
        entries = list(directory.iterdir())
    except OSError:
        return []
    for p in entries:
        name = p.name
        for side in _SIDE_FILES:
            name = name.removesuffix(side)
        if name.startswith(".") and TEMP_MARK in name and name.endswith((".tmp", ".new")):
            found.append(p)
    return sorted(found)


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


# -------------------------------------------------------------------------------------------------
# The soundness stamp: what the ledger's files looked like when pk last knew them sound
# -------------------------------------------------------------------------------------------------
STAMP_VERSION = "pk-checked 1"
FULL_CHECK_EVERY = 24 * 3600  # seconds: a full check at least once a day, whatever the stamp says


def file_stamp(ledger: Path) -> str:
    """The ledger's and its -wal's identity and last change, as the file system tells them:
    device, inode, size, and the modification and status-change times in nanoseconds.

    Any write to a file moves its mtime and ctime; a program can set the mtime back (touch,
    cp -p, rsync -t) but not the ctime, which the kernel sets on every change, setting the
    mtime included; a file put in place by rename has another inode. So another program
    cannot change the ledger without changing this stamp."""
    parts = []
    for name in (ledger, ledger.with_name(ledger.name + "-wal")):
        try:
            info = os.stat(name)
        except FileNotFoundError:
            parts.append("-")
            continue
        parts.append(
            f"{info.st_dev}:{info.st_ino}:{info.st_size}:{info.st_mtime_ns}:{info.st_ctime_ns}"
        )
    return " ".join(parts)


def read_check_stamp(ledger: Path) -> tuple[str, float] | None:
    """(file stamp, when last fully checked, in seconds since the epoch) from the side file
    next to the ledger, or None when there is none or it cannot be read."""
    try:
        fd = os.open(ledger.with_name(ledger.name + CHECKED), os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        text = os.read(fd, 4096).decode("ascii", "replace")
    except OSError:
        return None
    finally:
        os.close(fd)
    lines = text.split("\n")
    if len(lines) < 3 or lines[0] != STAMP_VERSION:
        return None
    try:
        return lines[1], float(lines[2])
    except ValueError:
        return None


def write_check_stamp(ledger: Path, checked_at: float) -> None:
    """Note the ledger's files as they are now, known sound (by a check at `checked_at`, and
    changed since only by pk). Best effort: a stamp that cannot be written means only that
    the next write checks the whole file again. Written aside and renamed into place, never
    through a link planted at its name."""
    stamp = f"{STAMP_VERSION}\n{file_stamp(ledger)}\n{checked_at!r}\n".encode("ascii")
    tmp = ledger.with_name(f".{ledger.name}{TEMP_MARK}checked-{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except OSError:
        return
    try:
        try:
            os.write(fd, stamp)
        finally:
            os.close(fd)
        os.replace(tmp, ledger.with_name(ledger.name + CHECKED))
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass


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


class WriteFailed(PkError):
    """A file pk was asked to write could not be written; nothing was left behind. `reason`
    is what the system or SQLite said."""

    def __init__(self, dest: Path, reason: str) -> None:
        super().__init__(f"cannot write {dest}: {reason}; nothing was written")
        self.reason = reason
        self.dest = dest


class WriteRefused(PkError):
    """A destination pk will not write to (the ledger, its side files, one of its backups)."""


def words(exc: BaseException | str) -> str:
    """What the system or SQLite said: the OS's strerror, SQLite's words, and SQLite's "database
    or disk is full" as the OS says it."""
    if isinstance(exc, str):
        return "No space left on device" if "disk is full" in exc else exc
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        if code == sqlite3.SQLITE_FULL or "disk is full" in str(exc):
            return "No space left on device"
        return str(exc)
    return getattr(exc, "strerror", None) or str(exc)


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def ledger_files(ledger: Path, *, backups: bool) -> list[Path]:
    """The ledger, its -wal/-shm/-journal and (with `backups`) the backups pk keeps next to it."""
    found = [ledger, *(ledger.with_name(ledger.name + s) for s in _SIDE_FILES)]
    if backups and ledger.parent.is_dir():
        found += backups_of(ledger)
    return found


def refuse_ledger_files(dest: Path, ledger: Path | None, *, backups: bool = True) -> None:
    """Refuse to write `dest` when it is the ledger, one of its side files or (with `backups`)
    one of its backups: by resolved path (a symlink to it) and by device and inode (a hard link
    to it, or the same file under another name)."""
    if ledger is None:
        return
    target = dest.resolve()
    target_id = _identity(dest)
    for protected in ledger_files(ledger, backups=backups):
        same_path = target == protected.resolve()
        if same_path or (target_id is not None and target_id == _identity(protected)):
            if protected == ledger:
                what = "the ledger itself"
            elif protected.name.startswith(ledger.name + "-"):
                what = f"the ledger's {protected.name.removeprefix(ledger.name)} file"
            else:
                what = f"a backup of the ledger ({protected})"
            raise WriteRefused(f"{dest} is {what}; not writing over it, choose another file")


@contextmanager
def atomic_file(dest: Path, *, private: bool = True, suffix: str = ".tmp") -> Iterator[Path]:
    """Write a new file at `dest` whole or not at all; the one way pk writes every file.

    Yields the path of a new private temporary file next to `dest` (created exclusively, 0600);
    when the block ends without an error the file is flushed to disk, made 0644-under-umask
    unless `private`, and renamed over `dest` (a symlink at `dest` is replaced, never followed).
    On any failure the temporary file and its SQLite side files are removed and WriteFailed
    says what the system said ("cannot write DEST: No space left on device; nothing was
    written"). No file but the temporary one is ever chmodded.
    """
    try:
        fd, tmp = new_temp(dest, suffix)
    except OSError as exc:
        raise WriteFailed(dest, words(exc)) from None
    try:
        try:
            if not private:
                os.fchmod(fd, 0o644 & ~_umask())
        finally:
            os.close(fd)
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, dest)
        fsync_dir(dest.parent)
    except (OSError, sqlite3.Error) as exc:
        raise WriteFailed(dest, words(exc)) from None
    finally:
        remove_quietly(tmp)


def clone_database(conn: sqlite3.Connection, path: Path, *, page_size: int | None = None) -> None:
    """Copy the open database into the file at `path` (pk's own new temporary file) with
    SQLite's backup API: one self-contained file (rollback journal, no -wal); with
    `page_size`, rebuilt with that page size (the backup API cannot write a WAL ledger whose
    page size differs from the copy's)."""
    target = sqlite3.connect(f"file:{uri_path(path)}?mode=rw", uri=True, isolation_level=None)
    try:
        conn.backup(target)
        target.execute("PRAGMA journal_mode = DELETE")
        if page_size and target.execute("PRAGMA page_size").fetchone()[0] != page_size:
            target.execute(f"PRAGMA page_size = {int(page_size)}")
            target.execute("VACUUM")
    finally:
        target.close()


def copy_database(conn: sqlite3.Connection, dest: Path) -> None:
    """A consistent copy of the open database at `dest`, made with SQLite's backup API.

    Safe while other processes use the ledger. Written through atomic_file, so `dest` is never
    half-written; it is user-only (0600) and a single self-contained file (rollback journal,
    no -wal). A failure raises WriteFailed, which names `dest`, not the ledger.
    """
    with atomic_file(dest) as tmp:
        clone_database(conn, tmp)


def copy_file(source: Path, dest: Path) -> None:
    """A byte-for-byte private copy of `source` (a file that may not be a database) at `dest`,
    written through atomic_file; `source` is only read."""
    import shutil

    with atomic_file(dest) as tmp:
        with open(source, "rb") as src, open(tmp, "wb") as out:
            shutil.copyfileobj(src, out)


_PLACE = "backup-dir:"


def record_backup_place(conn: sqlite3.Connection, directory: Path) -> None:
    """Remember, in the ledger's meta table, a directory pk writes backups to, so that pk doctor
    can look there for what an interrupted backup left. Best effort: a ledger that cannot be
    written (read-only, busy) just goes unrecorded."""
    key = _PLACE + str(directory)
    try:
        if conn.execute("SELECT 1 FROM meta WHERE key = ?", (key,)).fetchone() is None:
            conn.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (key, utc_stamp())
            )
    except sqlite3.Error:
        pass


def backup_places(conn: sqlite3.Connection) -> list[Path]:
    """The directories recorded by record_backup_place (none for a ledger without them)."""
    try:
        rows = conn.execute("SELECT key FROM meta WHERE key LIKE ?", (_PLACE + "%",)).fetchall()
    except sqlite3.Error:
        return []
    return sorted(Path(key.removeprefix(_PLACE)) for (key,) in rows)


def page_size_of(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA page_size").fetchone()[0])


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
    except (OSError, sqlite3.Error, WriteFailed) as exc:
        reason = exc.reason if isinstance(exc, WriteFailed) else words(exc)
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


def write_atomically(
    path: Path, text: str | Iterable[str], *, private: bool, ledger: Path | None = None
) -> None:
    """Write `text` (a string, or pieces written one after another as they come) to `path`
    whole or not at all (see atomic_file); `private` files are user-only (0600), like the
    ledger; others get the usual mode (0644 under the umask). With `ledger`, refuses a `path`
    that is the ledger, its side files or one of its backups."""
    refuse_ledger_files(path, ledger)
    with atomic_file(path, private=private) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="\n") as handle:
            if isinstance(text, str):
                handle.write(text)
            else:
                for piece in text:
                    handle.write(piece)
            handle.flush()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class FileBatch:
    """Many files, each written whole or not at all, flushed to disk a batch at a time: each
    is written aside (a new private temporary file next to it, see new_temp), then one sync
    for the batch, then each is renamed into place. The same guarantee as atomic_file
    without one disk flush per file (a vdir of 100,000 files). Use as a context manager: what
    is pending is put in place when the block ends without an error, and removed when it
    ends with one. WriteFailed says what the system said."""

    def __init__(self, *, private: bool = True, size: int = 500) -> None:
        self.private, self.size = private, size
        self._pending: list[tuple[Path, Path]] = []

    def write(self, dest: Path, data: bytes) -> None:
        try:
            fd, tmp = new_temp(dest, ".tmp")
        except OSError as exc:
            raise WriteFailed(dest, words(exc)) from None
        self._pending.append((tmp, dest))
        try:
            if not self.private:
                os.fchmod(fd, 0o644 & ~_umask())
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
        except OSError as exc:
            raise WriteFailed(dest, words(exc)) from None
        if len(self._pending) >= self.size:
            self.flush()

    def flush(self) -> None:
        """Put every pending file in place, after one sync for them all."""
        if not self._pending:
            return
        os.sync()
        directories = set()
        while self._pending:
            tmp, dest = self._pending[0]
            try:
                os.replace(tmp, dest)
            except OSError as exc:
                raise WriteFailed(dest, words(exc)) from None
            self._pending.pop(0)
            directories.add(dest.parent)
        for directory in directories:
            fsync_dir(directory)

    def discard(self) -> None:
        for tmp, _dest in self._pending:
            remove_quietly(tmp)
        self._pending = []

    def __enter__(self) -> FileBatch:
        return self

    def __exit__(self, kind: object, *rest: object) -> None:
        try:
            if kind is None:
                self.flush()
        finally:
            self.discard()
