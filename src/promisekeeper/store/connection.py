"""Opening the ledger file: creating it whole, refusing what is not a ledger, read-only and
immutable reads, and turning SQLite's errors into one line that names the file.

Plain `sqlite3` keeps start-up fast; sqlite-utils is loaded only by the migrations that need it.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from promisekeeper.model.errors import LedgerError
from promisekeeper.store import files, schema
from promisekeeper.store.files import (
    directory_writable,
    fsync_dir,
    remove_quietly,
    temp_file_for,
    uri_path,
)

DEFAULT_BUSY_TIMEOUT_MS = 5000
LONGEST_BUSY_TIMEOUT_MS = 3_600_000  # an hour: longer is a mistake, not a wish to wait

# SQLite's primary result codes (the low byte of sqlite_errorcode) that pk words itself.
SQLITE_READONLY = 8
SQLITE_CORRUPT = 11
SQLITE_FULL = 13
SQLITE_NOTADB = 26


def busy_timeout() -> float:
    """How long to wait for another pk's lock, in seconds (as sqlite3.connect takes it):
    PK_BUSY_TIMEOUT_MS, else 5 seconds."""
    text = os.environ.get("PK_BUSY_TIMEOUT_MS", "").strip()
    if not text:
        return DEFAULT_BUSY_TIMEOUT_MS / 1000
    if text.isascii() and text.isdigit() and int(text) <= LONGEST_BUSY_TIMEOUT_MS:
        return int(text) / 1000
    raise LedgerError(
        f"PK_BUSY_TIMEOUT_MS must be a whole number of milliseconds from 0 to "
        f"{LONGEST_BUSY_TIMEOUT_MS}, not {text[:40]!r}"
    )


class SQLiteError(LedgerError):
    """What SQLite (or the system, opening the file) refused, in words that name the ledger;
    `reason` holds SQLite's own words."""


class DiskFull(SQLiteError):
    """The disk holding the ledger is full; SQLite rolled the change back."""


def describe_error(path: Path, exc: BaseException) -> LedgerError:
    """Turn an sqlite3/OS error into one line that names the file and what to do."""
    text = str(exc)
    kind = DiskFull if is_full(exc) else SQLiteError
    return kind(_error_words(path, exc, text), reason=text)


def _primary_code(exc: BaseException) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def is_damage(exc: BaseException) -> bool:
    """Whether SQLite said the file is damaged (SQLITE_CORRUPT), whatever its words; or a
    text column holds bytes that are not UTF-8, which pk never writes."""
    return isinstance(exc, sqlite3.DatabaseError) and (
        _primary_code(exc) == SQLITE_CORRUPT
        or "malformed" in str(exc)
        or str(exc).startswith("Could not decode to UTF-8")
    )


def is_full(exc: BaseException) -> bool:
    """Whether the disk (or a quota) was full (SQLITE_FULL, or ENOSPC from the system)."""
    if isinstance(exc, OSError):
        return exc.errno == errno.ENOSPC
    return _primary_code(exc) == SQLITE_FULL or "database or disk is full" in str(exc)


def _error_words(path: Path, exc: BaseException, text: str) -> str:
    if isinstance(exc, sqlite3.DatabaseError) and (
        "not a database" in text or _primary_code(exc) == SQLITE_NOTADB
    ):
        return f"{path} is not a PromiseKeeper ledger (not an SQLite database)"
    if is_damage(exc):
        return damaged(path, text)
    if is_full(exc):
        return f"no space left on the device holding ledger {path}; nothing was recorded"
    if "locked" in text or "busy" in text:
        return f"ledger {path} is locked by another process; try again in a moment"
    if "readonly" in text or "read-only" in text or _primary_code(exc) == SQLITE_READONLY:
        if not directory_writable(path.parent):
            return _read_only_directory(path)
        return f"ledger {path} is read-only; cannot record the change"
    if isinstance(exc, OSError) and exc.strerror:
        return f"cannot open ledger {path}: {exc.strerror}"
    if isinstance(exc, sqlite3.DatabaseError):
        # A damaged page can read as text that is not UTF-8, or as a value of the wrong type,
        # before SQLite itself says "malformed": ask the file.
        found = _quick_check(path)
        if found is not None:
            return damaged(path, found)
    return f"cannot use ledger {path}: {text}"


def _quick_check(path: Path) -> str | None:
    """What `PRAGMA quick_check` finds wrong with the file (None: nothing, or it cannot say),
    read only; on the error path, where its cost does not matter."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except (sqlite3.Error, OSError, ValueError):
        return None
    try:
        rows = conn.execute("PRAGMA quick_check(1)").fetchall()
    except sqlite3.DatabaseError as exc:
        return str(exc) if is_damage(exc) else None
    finally:
        conn.close()
    return None if not rows or rows[0][0] == "ok" else str(rows[0][0])


def damaged(path: Path, detail: str) -> str:
    """The one line for a ledger SQLite found damaged: what it said, and what to do."""
    lines = [line for line in detail.splitlines() if line.strip() and "***" not in line]
    detail = lines[0].strip() if lines else "database disk image is malformed"
    if len(detail) > 120:
        detail = detail[:119] + "…"
    return f"ledger {path} is damaged ({detail}); run `pk doctor`"


def _read_only_directory(path: Path) -> str:
    return (
        f"cannot record the change in ledger {path}: its directory {path.parent} is read-only, "
        f"and SQLite needs to keep {path.name}-wal and {path.name}-shm next to it; make the "
        f"directory writable (chmod u+w {path.parent})"
    )


def connect(path: Path, *, write: bool, create_dirs: bool = False) -> sqlite3.Connection | None:
    """Open the ledger, migrating it to the current schema.

    Returns None for a read on a ledger that does not exist yet: reading creates nothing. A write
    creates the file (0600), complete or not at all (see _create_ledger). Raises LedgerError for
    anything that is not a usable ledger, and leaves such a file untouched.
    """
    if path.is_dir():
        raise LedgerError(f"ledger path {path} is a directory, not a file")
    timeout = busy_timeout()
    created = False
    if not path.exists():
        if not write:
            if not create_dirs and not path.parent.is_dir():
                raise LedgerError(f"ledger {path}: directory {path.parent} does not exist")
            return None
        _create_ledger(path, create_dirs)
        created = True
    _check_file(path)
    # The files as they are before SQLite opens them (opening makes a -wal): compared with
    # the stamp pk left when it last knew them sound.
    seen = files.file_stamp(path) if write and not created else None
    no_wal = not path.with_name(path.name + "-wal").exists()
    if not _file_writable(path):
        if write:
            raise LedgerError(
                f"ledger {path} is read-only; cannot record the change (make it writable: "
                f"chmod u+w {path})"
            )
        if no_wal:
            return _open_immutable(path)
    if not write and no_wal and not os.access(path.parent, os.W_OK):
        # A directory pk cannot create the -wal and -shm in: nobody can be writing the ledger,
        # so it is read as it is, creating nothing (SQLite would refuse it: "readonly directory").
        return _open_immutable(path)
    try:
        conn = sqlite3.connect(
            f"file:{uri_path(path)}?mode=rw",
            uri=True,
            isolation_level=None,
            timeout=timeout,
            factory=LedgerConnection,
        )
    except sqlite3.Error as exc:
        raise describe_error(path, exc) from None
    try:
        version = _schema_version(conn, path)
        checked_at = time.time() if created else None
        if (write or version < schema.SCHEMA_VERSION) and not created:
            if version == schema.SCHEMA_VERSION and seen is not None:
                checked_at = _unchanged_since_checked(path, seen)
            if checked_at is None:
                check_sound(conn, path)
                checked_at = time.time()
            _refuse_triggers(conn, path)
        if version < schema.SCHEMA_VERSION:
            schema.migrate(conn, version, path)
        elif write:
            _ensure_wal(conn)
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.Error as exc:
        conn.close()
        if "unable to open" in str(exc) or (
            ("readonly" in str(exc) or _primary_code(exc) == SQLITE_READONLY)
            and not directory_writable(path.parent)
        ):
            return _unopenable(path, exc, write)
        raise describe_error(path, exc) from None
    except BaseException:
        conn.close()
        raise
    if write:
        conn.ledger_path, conn.sound_since = path, checked_at
    return conn


class LedgerConnection(sqlite3.Connection):
    """A connection to the ledger that, opened for writing on a file known sound, notes the
    files as they are once it is closed (files.write_check_stamp): the ledger and -wal then
    hold only what pk wrote, and the next write need not read every page again."""

    ledger_path: Path | None = None
    sound_since: float | None = None  # when the file was last checked whole (time.time())

    def close(self) -> None:
        super().close()
        checked_at, self.sound_since = self.sound_since, None
        if checked_at is not None and self.ledger_path is not None:
            files.write_check_stamp(self.ledger_path, checked_at)


def _unchanged_since_checked(path: Path, seen: str) -> float | None:
    """When pk last checked the ledger whole, if its files are exactly as pk left them since
    (same inode, size, mtime and ctime, of the ledger and its -wal) and that was under a day
    ago; else None: someone else touched them (or damage under the file system may have had a
    day to appear), and the whole file is read again."""
    stored = files.read_check_stamp(path)
    if stored is None or stored[0] != seen:
        return None
    age = time.time() - stored[1]
    return stored[1] if 0 <= age < files.FULL_CHECK_EVERY else None


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """One command's change, all of it or nothing; BEGIN IMMEDIATE takes the write lock first."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        # SQLite has already rolled back after some errors (a full disk, an I/O error): a
        # ROLLBACK then fails, and its error must not hide the one that happened.
        if conn.in_transaction:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
        raise


def _create_ledger(path: Path, create_dirs: bool) -> None:
    """Create a new ledger whole, or not at all.

    The schema is written into a private temporary file next to the ledger, which is then linked
    into place: a pk killed half-way leaves no ledger (or a stray temporary file), never an empty
    or half-made one. When two processes race, the first link wins and both use it.
    """
    parent = path.parent
    if not parent.exists():
        if not create_dirs:
            raise LedgerError(f"cannot create ledger {path}: directory {parent} does not exist")
        try:
            parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise describe_error(path, exc) from None
    try:
        tmp = temp_file_for(path, ".new")
    except OSError as exc:
        raise LedgerError(f"cannot create ledger {path}: {exc.strerror or exc}") from None
    try:
        conn = sqlite3.connect(f"file:{uri_path(tmp)}?mode=rw", uri=True, isolation_level=None)
        try:
            schema.migrate(conn, 0)
        finally:
            conn.close()
        _publish(tmp, path)
    except sqlite3.Error as exc:
        raise describe_error(path, exc) from None
    except OSError as exc:
        raise LedgerError(f"cannot create ledger {path}: {exc.strerror or exc}") from None
    finally:
        remove_quietly(tmp)


def _publish(tmp: Path, path: Path) -> None:
    """Put a finished file at `path` unless something is already there."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        return  # another pk created the ledger first: use that one
    except OSError:
        if path.exists():
            return
        os.rename(tmp, path)  # a file system without hard links
    fsync_dir(path.parent)


def _check_file(path: Path) -> None:
    """Refuse, untouched, a ledger path that cannot hold a ledger (pk never makes an empty one)."""
    import stat

    try:
        info = path.stat()
    except OSError as exc:
        raise describe_error(path, exc) from None
    if not stat.S_ISREG(info.st_mode):
        raise LedgerError(f"ledger path {path} is not a regular file")
    if info.st_size == 0:
        raise LedgerError(
            f"ledger {path} is an empty file, not a PromiseKeeper ledger; if it should hold "
            "your promises, `pk restore` a backup; to start a new ledger, remove it"
        )
    if not os.access(path, os.R_OK):
        raise LedgerError(f"cannot open ledger {path}: Permission denied")
    if path.with_name(path.name + "-wal").exists():
        _check_header(path)


def _check_header(path: Path) -> None:
    """Refuse a file that is not an SQLite database before SQLite opens it for real: it would
    remove the -wal lying next to it, and that log may be all that is left of the ledger.

    The header is read through SQLite, immutable (no locks, no -wal, no -shm), never with
    open(): closing a second descriptor of the file drops the locks this process's connections
    hold on it, and another pk could then delete the -wal they use. Only "not a database" counts
    here; an immutable read of a ledger in use can see a page mid-checkpoint, so anything else
    is left to the real open to judge.
    """
    try:
        probe = sqlite3.connect(f"file:{uri_path(path)}?mode=ro&immutable=1", uri=True)
        try:
            probe.execute("PRAGMA user_version").fetchone()
        finally:
            probe.close()
    except sqlite3.DatabaseError as exc:
        if "not a database" in str(exc):
            raise describe_error(path, exc) from None
    except sqlite3.Error:
        pass


def check_sound(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse to write to a damaged ledger: a change written into a damaged file can spread the
    damage and is hard to get back. `PRAGMA quick_check` reads every page of the file once
    (about 17 ms on a ledger of 10,000 promises, 170 ms at 100,000), without the cross-checks
    of indexes against their tables that `pk doctor` does. A write skips it when the files are
    exactly as pk left them after its last check (_unchanged_since_checked)."""
    rows = conn.execute("PRAGMA quick_check(1)").fetchall()
    if rows and rows[0][0] != "ok":
        raise LedgerError(damaged(path, str(rows[0][0])), reason=str(rows[0][0]))


def _ensure_wal(conn: sqlite3.Connection) -> None:
    """Switch back to WAL a ledger that was copied into place by hand from a backup."""
    if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        try:
            conn.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError:
            pass  # in use by another process, or read-only: it works without, only slower


def _unopenable(path: Path, exc: sqlite3.Error, write: bool) -> sqlite3.Connection:
    """SQLite could not open the ledger's -wal/-shm files: usually a read-only directory.

    Reading still works then, from the file alone, when no -wal file is waiting to be applied
    (nobody can be writing: a writer would need to create one).
    """
    parent = path.parent
    if not directory_writable(parent):
        if not write and not path.with_name(path.name + "-wal").exists():
            return _open_immutable(path)
        raise LedgerError(_read_only_directory(path))
    raise describe_error(path, exc)


def _file_writable(path: Path) -> bool:
    """Whether the ledger file can be written: mode bits, a read-only mount, or (for root too)
    an immutable file. Asked with access(), never by opening it (see _check_file)."""
    return os.access(path, os.W_OK)


def can_write(path: Path) -> bool:
    """Whether a change could be recorded in this existing ledger: the file and the directory
    its -wal and -shm live in are writable (asked with access(), as _file_writable does)."""
    return _file_writable(path) and os.access(path.parent, os.W_OK)


def _schema_version(conn: sqlite3.Connection, path: Path) -> int:
    """The ledger's schema version; a newer pk's ledger, or another program's database, is
    refused before anything is written to it."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > schema.SCHEMA_VERSION:
        raise LedgerError(
            f"ledger {path} was written by a newer PromiseKeeper (schema {version}, this "
            f"pk knows {schema.SCHEMA_VERSION}); upgrade pk to use it"
        )
    if version == 0:
        schema.check_empty(conn, path)
    return version


def _refuse_triggers(conn: sqlite3.Connection, path: Path) -> None:
    """pk creates no triggers: one in the ledger is someone else's code that would run on pk's
    changes (and could delete promises). Nothing is written to such a ledger; reading it is
    safe, since reads fire no trigger, so pk export still rescues what it holds."""
    found = schema.triggers(conn)
    if found:
        raise LedgerError(
            f"ledger {path} holds trigger {', '.join(found)}, which pk did not create and which "
            "could change or delete promises; nothing was recorded; run `pk doctor`"
        )


def _open_immutable(path: Path) -> sqlite3.Connection:
    """Read a ledger that nobody can be writing (read-only, and no -wal waiting), creating
    nothing next to it: SQLite is told the file cannot change, so it needs no -wal or -shm."""
    try:
        conn = sqlite3.connect(
            f"file:{uri_path(path)}?mode=ro&immutable=1", uri=True, isolation_level=None
        )
    except sqlite3.Error as exc:
        raise describe_error(path, exc) from None
    try:
        version = _schema_version(conn, path)
        if version < schema.SCHEMA_VERSION:
            raise LedgerError(
                f"ledger {path} needs upgrading to schema {schema.SCHEMA_VERSION} but is "
                "read-only; make it (and its directory) writable"
            )
    except sqlite3.Error as exc:
        conn.close()
        raise describe_error(path, exc) from None
    except BaseException:
        conn.close()
        raise
    return conn


def open_existing(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """An existing SQLite file, opened as it is: no migration, no schema written, no WAL change.

    For pk doctor, backup and restore, which must look at broken or foreign files safely. A
    file that cannot be written, or is asked for read-only, is read without creating anything
    next to it when no -wal is waiting to be applied.
    """
    _check_file(path)
    mode = "ro" if readonly else "rw"
    if not path.with_name(path.name + "-wal").exists() and (
        readonly or not _file_writable(path) or not directory_writable(path.parent)
    ):
        mode = "ro&immutable=1"
    uri = f"file:{uri_path(path)}?mode={mode}"
    try:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=busy_timeout())
        conn.execute("PRAGMA user_version").fetchone()
    except sqlite3.Error as exc:
        raise describe_error(path, exc) from None
    return conn


Connection = sqlite3.Connection


@contextmanager
def guarded(path: Path) -> Iterator[None]:
    """SQLite's errors inside the block as one LedgerError that names the ledger: the one
    place above which no sqlite3 exception travels."""
    try:
        yield
    except sqlite3.Error as exc:
        raise describe_error(path, exc) from None
