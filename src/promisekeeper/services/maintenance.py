"""Looking after the ledger file: `pk doctor`, `pk backup` and `pk restore`.

Domain code only: it returns findings and results and raises LedgerError; the CLI decides what
to print and the exit status. Every SQL statement it needs lives in the store.

Restoring has two paths. A ledger that still opens and passes its integrity check is first
copied aside (`<ledger>.before-restore-<UTC time>`), then overwritten in place with SQLite's
backup API: one transaction under the ledger's write lock, so other pk processes see the old
ledger or the new one and a restore killed half-way changes nothing. A ledger that does not
open (damaged, empty, not SQLite) cannot take part in a transaction; it is hard-linked aside
together with its -wal/-shm files, and a complete copy of the backup is renamed over it.
"""

from __future__ import annotations

import os
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from promisekeeper.model.errors import LedgerError, PkError
from promisekeeper.model.promise import Promise
from promisekeeper.store import connection, files, queries, schema
from promisekeeper.store.connection import Connection

STRAY_AFTER = 600  # seconds: a temporary file this old is not a pk still at work


@dataclass
class Finding:
    """Something wrong with the ledger or its files, and what to do about it."""

    problem: str
    fix: str
    level: str = "error"  # "error": pk cannot work safely; "warning": it works, but fix it


@dataclass
class FileInfo:
    path: Path
    size: int
    modified: float  # Unix time
    mode: int


@dataclass
class Checkup:
    """What `pk doctor` found: facts about the ledger, and the findings (empty when healthy)."""

    ledger: Path
    exists: bool = False
    size: int | None = None
    mode: int | None = None
    schema_version: int | None = None
    current_schema: int = schema.SCHEMA_VERSION
    journal_mode: str | None = None
    integrity: list[str] | None = None  # None: not checked (the file did not open)
    counts: dict[str, int] = field(default_factory=dict)
    wal_size: int | None = None
    backups: list[FileInfo] = field(default_factory=list)
    backup_places: list[Path] = field(default_factory=list)  # where `pk backup PATH` wrote
    config: Path | None = None
    config_exists: bool = False
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def add(self, problem: str, fix: str, level: str = "error") -> None:
        self.findings.append(Finding(problem, fix, level))


@dataclass
class Copied:
    """The result of a backup or restore: what the copy holds, counted as `pk doctor` counts
    (store.queries.ledger_counts)."""

    path: Path
    counts: dict[str, int]
    kept: Path | None = None  # restore: where the ledger that was replaced now is


# -------------------------------------------------------------------------------------------------
# pk doctor
# -------------------------------------------------------------------------------------------------
def doctor(ledger: Path, config: Path | None = None, *, default_location: bool = False) -> Checkup:
    """Check the ledger and the files around it without changing any of them."""
    checkup = Checkup(ledger=ledger, config=config)
    _check_ledger(checkup, default_location)
    _check_side_files(checkup)
    _check_backups(checkup)
    if checkup.exists:
        _check_permissions(checkup, default_location)
    _check_config(checkup)
    return checkup


def _newest_backup_hint(ledger: Path) -> str:
    """The fix for a damaged ledger: the newest backup next to it that is itself sound (a
    before-restore copy may be the damaged ledger an earlier restore replaced)."""
    for backup in reversed(files.backups_of(ledger)[-5:]):
        try:
            check_source(backup)
        except LedgerError:
            continue
        return f"restore the newest sound backup: pk restore {backup}"
    return "restore a backup with `pk restore PATH`"


def _check_ledger(checkup: Checkup, default_location: bool) -> None:
    path = checkup.ledger
    if path.is_dir():
        checkup.add(
            f"the ledger path {path} is a directory",
            "point --db or PK_DB at a file, or move the directory out of the way",
        )
        return
    if not path.exists():
        if not default_location and not path.parent.is_dir():
            checkup.add(
                f"the ledger's directory {path.parent} does not exist",
                f"create it (mkdir -p -m 700 {path.parent}) or point --db or PK_DB elsewhere",
            )
        return  # no ledger yet: it is created by the first change
    checkup.exists = True
    info = path.stat()
    checkup.size, checkup.mode = info.st_size, stat.S_IMODE(info.st_mode)
    try:
        conn = connection.open_existing(path, readonly=not os.access(path, os.W_OK))
    except LedgerError as exc:
        checkup.add(
            str(exc).replace("; run `pk doctor`", ""),
            f"{_newest_backup_hint(path)}; or move {path.name} aside and pk starts a new ledger",
        )
        return
    try:
        with connection.guarded(path):
            _inspect(checkup, conn)
    except LedgerError as exc:
        checkup.add(
            f"ledger {path} is damaged ({exc.reason})",
            f"{_newest_backup_hint(path)}; or rescue what is left with "
            f"`sqlite3 {path} .recover | sqlite3 rescued.db` and `pk restore rescued.db`",
        )
    finally:
        conn.close()
    _check_writable(checkup)


def _inspect(checkup: Checkup, conn: Connection) -> None:
    path = checkup.ledger
    info = queries.describe_database(conn)
    checkup.schema_version = info["schema_version"]
    checkup.journal_mode = files.journal_mode_of(path)
    checkup.counts = info["counts"]
    version = info["schema_version"]
    if version > schema.SCHEMA_VERSION:
        checkup.add(
            f"ledger {path} was written by a newer PromiseKeeper (schema {version}; this pk "
            f"knows {schema.SCHEMA_VERSION})",
            "upgrade pk (pip install --upgrade promisekeeper); the ledger is left as it is",
        )
    elif info["missing_tables"] and version == 0 and info["page_count"] <= 1:
        pass  # an SQLite header and nothing else: pk sets it up on the first change
    elif info["missing_tables"]:
        checkup.add(
            f"{path} is an SQLite database but not a PromiseKeeper ledger (no "
            f"{', '.join(info['missing_tables'])} table)",
            "point --db or PK_DB at your ledger, or move this file out of the way",
        )
        return
    checkup.backup_places = files.backup_places(conn)
    checkup.integrity = queries.integrity_problems(conn)
    if checkup.integrity:
        checkup.add(
            f"ledger {path} is damaged: {'; '.join(checkup.integrity[:3])}",
            f"{_newest_backup_hint(path)}; or rescue what is left with "
            f"`sqlite3 {path} .recover | sqlite3 rescued.db` and `pk restore rescued.db`",
        )
        return
    foreign = schema.foreign_objects(conn, version) if 1 <= version <= schema.SCHEMA_VERSION else []
    if foreign:
        checkup.add(
            f"ledger {path} holds schema objects pk did not create: {', '.join(foreign[:5])}"
            + (
                "; a trigger is code that runs on pk's changes and can alter promises"
                if any(f.startswith("trigger ") for f in foreign)
                else ""
            ),
            f"{_newest_backup_hint(path)}; or `pk export > rescue.json`, move {path.name} "
            "aside and `pk import rescue.json` (reading runs no trigger)",
        )
    if not checkup.counts or version != schema.SCHEMA_VERSION:
        return  # an older schema is read by this pk only after its upgrade
    mismatched = rows_that_disagree_with_history(conn)
    if mismatched:
        shown = ", ".join(f"#{i}" for i in mismatched[:10])
        checkup.add(
            f"{len(mismatched)} promise(s) differ from their history ({shown})",
            "the history is the record: `pk export > rescue.json`, move the ledger aside, "
            "then `pk import rescue.json` rebuilds every promise from it",
        )
    if checkup.journal_mode != "wal" and not _read_only(path):
        checkup.add(
            f"ledger {path} uses the {checkup.journal_mode} journal, not WAL: pk commands "
            "running at the same time wait for each other",
            "nothing to do: the next change recorded with pk switches it back",
            "warning",
        )


# The columns of a promise row (store.queries.save_promise, with `to` from promise_people);
# everything else on a Promise is read from its events.
STORED_FIELDS = (
    "uuid",
    "what",
    "to",
    "made",
    "due",
    "original_due",
    "status",
    "closed_at",
    "moves",
    "late_moves",
    "tags",
    "note",
    "deleted_at",
    "effort",
    "moved_late_by",
    "direction",
)


def stored(promise: Promise) -> tuple[Any, ...]:
    """What the promise row holds, for comparing it with the fold of its history."""
    return tuple(getattr(promise, name) for name in STORED_FIELDS)


def rows_that_disagree_with_history(conn: Connection) -> list[int]:
    """Ids of promises whose row is not the fold of their events (or that have no row)."""
    from promisekeeper.model.history import fold

    wrong = queries.orphan_event_promises(conn)
    for promise, events in queries.all_histories(conn):
        try:
            folded = fold(events)
        except (PkError, KeyError, TypeError, ValueError):
            folded = None
        if folded is None or stored(folded) != stored(promise):
            wrong.append(promise.id or 0)
    # A row holding a value pk never writes is read from its history, so it cannot disagree
    # with it above: it is named here.
    return sorted(set(wrong) | set(queries.unreadable_promise_rows(conn)))


def _read_only(path: Path) -> bool:
    # access(), not open(): closing a descriptor would drop locks SQLite holds on the file.
    return not os.access(path, os.W_OK)


def _check_writable(checkup: Checkup) -> None:
    path = checkup.ledger
    if _read_only(path):
        checkup.add(
            f"ledger {path} is read-only: pk can show it but not record changes",
            f"chmod u+w {path}"
            + (" (and chattr -i, if it was made immutable)" if os.geteuid() == 0 else ""),
        )
    if not files.directory_writable(path.parent):
        checkup.add(
            f"the ledger's directory {path.parent} is read-only: SQLite cannot create "
            f"{path.name}-wal next to the ledger, so pk cannot record changes",
            f"chmod u+w {path.parent}",
        )


def _check_side_files(checkup: Checkup) -> None:
    path = checkup.ledger
    wal = path.with_name(path.name + "-wal")
    if wal.is_file():
        checkup.wal_size = wal.stat().st_size
    stray: set[Path] = set()
    if path.parent.is_dir():
        stray.update(files.temp_files_of(path))
    # Next to the ledger (and the file a symlinked ledger points to), and in every directory
    # `pk backup PATH` wrote to: pk's temporary files there are named .NAME.pk-XXXX.tmp.
    for directory in {path.parent, path.resolve().parent, *checkup.backup_places}:
        stray.update(files.pk_temp_files_in(directory))
    now = time.time()
    old = []
    for candidate in sorted(stray):
        try:
            if now - candidate.lstat().st_mtime > STRAY_AFTER:
                old.append(candidate)
        except OSError:
            continue
    if old:
        names = " ".join(str(p) for p in old)
        checkup.add(
            f"temporary file(s) left by an interrupted pk: {names}",
            f"remove them (rm {names}); the ledger itself is not affected",
            "warning",
        )


def _check_backups(checkup: Checkup) -> None:
    if not checkup.ledger.parent.is_dir():
        return
    for path in files.backups_of(checkup.ledger):
        info = path.stat()
        checkup.backups.append(
            FileInfo(path, info.st_size, info.st_mtime, stat.S_IMODE(info.st_mode))
        )


def _check_permissions(checkup: Checkup, default_location: bool) -> None:
    """Promises name people and what you owe them: nobody else should read them."""
    path = checkup.ledger
    private = [path, *(path.with_name(path.name + s) for s in ("-wal", "-shm"))]
    private += [b.path for b in checkup.backups]
    for file in private:
        if file.is_file() and stat.S_IMODE(file.stat().st_mode) & 0o077:
            mode = stat.S_IMODE(file.stat().st_mode)
            checkup.add(
                f"{file} can be read by other users (mode {mode:04o})",
                f"chmod 600 {file}",
                "warning",
            )
    directory = path.parent
    mode = stat.S_IMODE(directory.stat().st_mode)
    others_write = mode & 0o002 and not directory.stat().st_mode & stat.S_ISVTX
    if (default_location and mode & 0o077) or others_write:
        checkup.add(
            f"the ledger's directory {directory} is open to other users (mode {mode:04o})",
            f"chmod 700 {directory}",
            "warning",
        )


def _check_config(checkup: Checkup) -> None:
    path = checkup.config
    if path is None or not path.exists():
        return
    checkup.config_exists = True
    from promisekeeper.services.config import load

    try:
        load(path)
    except PkError as exc:
        checkup.add(str(exc), f"correct {path} (see Configuration in the README) or remove it")
    if path.is_file() and stat.S_IMODE(path.stat().st_mode) & 0o077:
        checkup.add(
            f"config {path} can be read by other users "
            f"(mode {stat.S_IMODE(path.stat().st_mode):04o})",
            f"chmod 600 {path}",
            "warning",
        )


# -------------------------------------------------------------------------------------------------
# pk backup
# -------------------------------------------------------------------------------------------------
def backup_target(ledger: Path, dest: Path | None) -> Path:
    """Where `pk backup [PATH]` writes: PATH, a file inside PATH when it is a directory, or
    `<ledger>.backup-<UTC time>` next to the ledger."""
    if dest is None:
        return files.stamped_path(ledger, "backup")
    if dest.is_dir():
        return files.stamped_path(dest / ledger.name, "backup")
    return dest


def backup(ledger: Path, dest: Path | None = None) -> Copied:
    """A consistent copy of the ledger, made while other pk processes may be using it."""
    target = backup_target(ledger, dest)
    if not ledger.exists():
        raise LedgerError(f"there is no ledger at {ledger} yet; nothing to back up")
    files.refuse_ledger_files(target, ledger, backups=False)
    if target.exists() and not _is_ledger_file(target):
        raise LedgerError(f"{target} exists and is not a PromiseKeeper ledger; not replacing it")
    if not target.parent.is_dir():
        raise LedgerError(f"cannot write {target}: directory {target.parent} does not exist")
    conn = connection.connect(ledger, write=False)
    assert conn is not None
    try:
        with connection.guarded(ledger):
            problems = queries.integrity_problems(conn, limit=3)
            if problems:
                raise LedgerError(
                    f"ledger {ledger} is damaged ({'; '.join(problems)}); not backed up, so that "
                    "no good backup is replaced by a damaged copy; run `pk doctor`"
                )
            if target.parent.resolve() != ledger.parent.resolve():
                # Before the copy: a backup killed half-way leaves its temporary file there.
                files.record_backup_place(conn, target.parent.resolve())
        files.copy_database(conn, target)  # WriteFailed names the target, not the ledger
    finally:
        conn.close()
    return Copied(target, _checked_copy(target))


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _is_ledger_file(path: Path) -> bool:
    try:
        check_source(path)
    except LedgerError:
        return False
    return True


def _checked_copy(path: Path) -> dict[str, int]:
    """Open a copy just written and make sure it is whole."""
    info = check_source(path)
    return info["counts"]


# -------------------------------------------------------------------------------------------------
# pk restore
# -------------------------------------------------------------------------------------------------
def check_source(source: Path) -> dict[str, Any]:
    """Make sure `source` is a sound PromiseKeeper ledger this pk can use; its description."""
    if source.is_dir():
        raise LedgerError(f"{source} is a directory, not a ledger")
    if not source.exists():
        raise LedgerError(f"{source} does not exist")
    conn = connection.open_existing(source, readonly=_no_wal_waiting(source))
    try:
        with connection.guarded(source):
            info = queries.describe_database(conn)
            version = info["schema_version"]
            if info["missing_tables"] or version < 1:
                raise LedgerError(f"{source} is an SQLite database but not a PromiseKeeper ledger")
            if version > schema.SCHEMA_VERSION:
                raise LedgerError(
                    f"{source} was written by a newer PromiseKeeper (schema {version}, this pk "
                    f"knows {schema.SCHEMA_VERSION}); upgrade pk to restore it"
                )
            problems = queries.integrity_problems(conn, limit=3)
            if problems:
                raise LedgerError(f"{source} is damaged ({'; '.join(problems)})")
            foreign = schema.foreign_objects(conn, version)
            if foreign:
                raise LedgerError(
                    f"{source} holds schema objects pk did not create ({', '.join(foreign[:5])}); "
                    "not a ledger pk can trust"
                )
    finally:
        conn.close()
    return info


def _no_wal_waiting(path: Path) -> bool:
    """Open read-only (creating nothing next to it) unless a -wal holds part of its content."""
    return not path.with_name(path.name + "-wal").exists()


def restore(ledger: Path, source: Path) -> Copied:
    """Replace the ledger with the ledger at `source`, keeping the one replaced.

    A ledger path that is a symlink stays one: the file it points to is restored, and the kept
    copy (next to the ledger path) is a real copy of the old ledger. The source is first copied
    into a private file next to the ledger, and that copy, the bytes that will be restored, is
    what is checked.
    """
    check_source(source)
    if ledger.is_dir():
        raise LedgerError(f"ledger path {ledger} is a directory, not a file")
    real = ledger.resolve() if ledger.is_symlink() else ledger
    if real.exists() and _same_file(source, real):
        raise LedgerError(f"{source} is the ledger itself; nothing to restore")
    if not real.parent.is_dir():
        raise LedgerError(f"cannot restore: directory {real.parent} does not exist")
    healthy = real.exists() and _healthy(real)
    page_size = _page_size(real) if healthy else None
    tmp = _copy_of(source, real, page_size)
    try:
        counts = check_source(tmp)["counts"]
        kept = None
        if not real.exists():
            files.set_wal(tmp)
            _install(tmp, real)
        elif healthy:
            kept = _restore_in_place(tmp, real, source, ledger)
        else:
            files.set_wal(tmp)
            kept = _replace_file(tmp, real, ledger)
    finally:
        files.remove_quietly(tmp)
    return Copied(ledger, counts, kept)


def _healthy(ledger: Path) -> bool:
    try:
        conn = connection.open_existing(ledger)
    except LedgerError:
        return False
    try:
        with connection.guarded(ledger):
            return not queries.integrity_problems(conn, limit=1)
    except LedgerError:
        return False
    finally:
        conn.close()


def _page_size(ledger: Path) -> int | None:
    conn = connection.open_existing(ledger)
    try:
        with connection.guarded(ledger):
            return files.page_size_of(conn)
    finally:
        conn.close()


def _copy_of(source: Path, real: Path, page_size: int | None) -> Path:
    """A complete private copy of `source` next to the ledger, with the ledger's page size."""
    tmp = files.temp_file_for(real, ".new")
    try:
        src = connection.open_existing(source, readonly=_no_wal_waiting(source))
        try:
            with connection.guarded(tmp):
                files.clone_database(src, tmp, page_size=page_size)
        finally:
            src.close()
    except connection.SQLiteError as exc:
        files.remove_quietly(tmp)
        raise LedgerError(
            f"could not copy {source} next to {real} ({files.words(exc.reason)}); "
            "nothing was restored"
        ) from None
    except OSError as exc:
        files.remove_quietly(tmp)
        raise LedgerError(
            f"could not copy {source} next to {real} ({files.words(exc)}); nothing was restored"
        ) from None
    except BaseException:
        files.remove_quietly(tmp)
        raise
    return tmp


def _restore_in_place(tmp: Path, real: Path, source: Path, ledger: Path) -> Path:
    """A healthy ledger is overwritten in place, in one transaction, after a copy is kept."""
    kept = files.stamped_path(ledger, "before-restore")
    conn = connection.open_existing(real)
    try:
        with connection.guarded(real):
            files.copy_database(conn, kept)
        src = connection.open_existing(tmp, readonly=True)
        try:
            with connection.guarded(real):
                files.restore_into(src, conn)
        finally:
            src.close()
    except connection.SQLiteError as exc:
        raise LedgerError(
            f"could not restore {ledger} from {source} ({exc.reason}); it is unchanged"
        ) from None
    except files.WriteFailed as exc:
        raise LedgerError(
            f"could not keep a copy of {ledger} as {kept} ({exc.reason}); nothing was restored"
        ) from None
    finally:
        conn.close()
    return kept


def _install(tmp: Path, real: Path) -> None:
    try:
        os.link(tmp, real)
    except FileExistsError:
        raise LedgerError(f"{real} appeared while restoring; run pk restore again") from None
    except OSError as exc:
        raise LedgerError(f"could not restore {real}: {files.words(exc)}") from None
    files.fsync_dir(real.parent)


def _replace_file(tmp: Path, real: Path, ledger: Path) -> Path:
    """The ledger does not open: keep a copy of it (and of its -wal), put the new one in place.

    The kept copy is a real copy, made before anything changes; the ledger's -wal and -shm are
    then removed, so no stale log is ever applied to the restored ledger, and the restored copy
    is renamed over the ledger file (through a symlinked ledger path, onto the file it names).
    """
    kept = files.stamped_path(ledger, "before-restore")
    try:
        files.copy_file(real, kept)
        wal = real.with_name(real.name + "-wal")
        if wal.is_file():
            files.copy_file(wal, kept.with_name(kept.name + "-wal"))
    except files.WriteFailed as exc:
        raise LedgerError(
            f"could not keep a copy of {ledger} as {kept} ({exc.reason}); nothing was restored"
        ) from None
    try:
        for suffix in ("-wal", "-shm"):
            side = real.with_name(real.name + suffix)
            if side.exists():
                os.unlink(side)
        os.replace(tmp, real)
        files.fsync_dir(real.parent)
    except OSError as exc:
        raise LedgerError(f"could not restore {ledger}: {files.words(exc)}") from None
    return kept
