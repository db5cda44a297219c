"""Commands that look after the ledger file: doctor, backup and restore."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from promisekeeper.face.commands import common
from promisekeeper.face.commands.common import JsonOption, fail, print_json, say, state
from promisekeeper.services import paths

if TYPE_CHECKING:
    from promisekeeper.services.maintenance import Checkup


def doctor(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Check the ledger: integrity, schema, counts, WAL, backups and permissions.

    Changes nothing. Prints what it finds and, for each problem, the fix; exits 1 when
    something is wrong.

    \b
    Examples:
      pk doctor
      pk doctor --json
    """
    from promisekeeper.services import maintenance

    path, explicit = paths.db_path(state(ctx).db)
    checkup = maintenance.doctor(path, paths.config_path(), default_location=not explicit)
    if as_json:
        print_json(_checkup_json(checkup))
    else:
        say("\n".join(_checkup_lines(checkup)))
    if not checkup.ok:
        raise typer.Exit(1)


def _checkup_json(checkup: Checkup) -> dict[str, Any]:
    return {
        "ok": checkup.ok,
        "ledger": str(checkup.ledger),
        "exists": checkup.exists,
        "size": checkup.size,
        "mode": None if checkup.mode is None else f"{checkup.mode:04o}",
        "schema_version": checkup.schema_version,
        "current_schema_version": checkup.current_schema,
        "journal_mode": checkup.journal_mode,
        "integrity": None if checkup.integrity is None else (checkup.integrity or ["ok"]),
        "counts": checkup.counts,
        "wal_size": checkup.wal_size,
        "backups": [
            {"path": str(b.path), "size": b.size, "modified": _utc(b.modified)}
            for b in checkup.backups
        ],
        "config": None if checkup.config is None else str(checkup.config),
        "config_exists": checkup.config_exists,
        "findings": [
            {"level": f.level, "problem": f.problem, "fix": f.fix} for f in checkup.findings
        ],
    }


def _utc(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).replace(microsecond=0).isoformat()


def _count(n: int, one: str, many: str = "") -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _promises(counts: dict[str, int]) -> str:
    """What a ledger or a backup holds, in the same words everywhere (doctor, backup,
    restore): promises not deleted, then the deleted ones, which it keeps too."""
    words = _count(counts["promises"], "promise")
    deleted = counts["deleted"]
    if deleted:
        words += f" and {deleted} deleted {'one' if deleted == 1 else 'ones'}"
    return words


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def _checkup_lines(checkup: Checkup) -> list[str]:
    from promisekeeper.telling.text import one_line

    lines = [f"Ledger     {one_line(str(checkup.ledger))}"]
    if not checkup.exists:
        lines.append("           not created yet: the first change you record creates it")
    else:
        mode = f", mode {checkup.mode:04o}" if checkup.mode is not None else ""
        lines[0] += f" ({_size(checkup.size or 0)}{mode})"
    if checkup.schema_version is not None:
        version = checkup.schema_version
        if version == checkup.current_schema:
            words = "(current)"
        elif version < checkup.current_schema:
            words = f"(upgraded to {checkup.current_schema} on next use, after a backup)"
        else:
            words = f"(newer than this pk's {checkup.current_schema})"
        lines.append(f"Schema     version {version} {words}")
    if checkup.integrity is not None:
        lines.append(f"Integrity  {'ok' if not checkup.integrity else 'DAMAGED'}")
    if checkup.counts:
        c = checkup.counts
        lines.append(
            f"Contents   {_promises(c)}, "
            f"{_count(c['events'], 'event')}, {_count(c['people'], 'person', 'people')}, "
            f"{_count(c['changes'], 'change')}"
        )
    if checkup.journal_mode is not None:
        wal = "no -wal file" if checkup.wal_size is None else f"-wal {_size(checkup.wal_size)}"
        lines.append(f"Journal    {checkup.journal_mode} ({wal})")
    if checkup.backups:
        newest = checkup.backups[-1]
        lines.append(
            f"Backups    {len(checkup.backups)} next to the ledger; newest "
            f"{one_line(newest.path.name)} ({_utc(newest.modified)})"
        )
    elif checkup.exists:
        lines.append("Backups    none next to the ledger; make one with `pk backup`")
    if checkup.config is not None:
        where = one_line(str(checkup.config))
        lines.append(f"Config     {where}{'' if checkup.config_exists else ' (not present)'}")
    if checkup.ok:
        lines.append("No problems found.")
        return lines
    lines.append(f"Problems ({len(checkup.findings)}):")
    for finding in checkup.findings:
        mark = "✗" if finding.level == "error" else "!"
        lines.append(f"  {mark} {one_line(finding.problem)}")
        lines.append(f"    fix: {one_line(finding.fix)}")
    return lines


def backup(
    ctx: typer.Context,
    path: Annotated[
        Path | None,
        typer.Argument(
            metavar="[PATH]",
            help="File or directory to write to (default: next to the ledger, "
            "named ledger.db.backup-TIME).",
        ),
    ] = None,
) -> None:
    """Make a consistent copy of the ledger, safe while other pk commands run.

    The copy is one ordinary SQLite file, readable by you only; `pk restore` puts it back.
    An existing file at PATH is replaced only when it is a PromiseKeeper ledger.

    \b
    Examples:
      pk backup
      pk backup ~/Backups/promises.db
      pk backup /mnt/usb/
    """
    from promisekeeper.services import maintenance
    from promisekeeper.telling.text import one_line

    ledger, _explicit = paths.db_path(state(ctx).db)
    copied = maintenance.backup(ledger, path.expanduser() if path else None)
    say(
        f"Backed up {_promises(copied.counts)} ({_count(copied.counts['events'], 'event')}) to "
        f"{one_line(str(copied.path))}"
    )


def restore(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(metavar="PATH", help="The backup to restore.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Replace the ledger with a backup; the ledger it replaces is kept next to it.

    The backup is checked first (a sound PromiseKeeper ledger this pk can read). The current
    ledger is kept as ledger.db.before-restore-TIME, even when it is damaged. Asks first on a
    terminal; elsewhere --yes is required.

    \b
    Examples:
      pk restore ledger.db.backup-20261123T090000Z
      pk restore ~/Backups/promises.db --yes
    """
    from promisekeeper.services import maintenance
    from promisekeeper.telling.text import one_line

    ledger, _explicit = paths.db_path(state(ctx).db)
    source = path.expanduser()
    info = maintenance.check_source(source)
    if not yes:
        if not common.interactive():
            fail(
                "restoring replaces your ledger; add --yes to do it (the current ledger is kept "
                f"next to it as {ledger.name}.before-restore-TIME)"
            )
        question = (
            f"Replace the ledger {one_line(str(ledger))} with {one_line(str(source))} "
            f"({_promises(info['counts'])})? The current one is kept next to it."
        )
        if not typer.confirm(question, default=False):
            fail("not restored; nothing was changed")
    restored = maintenance.restore(ledger, source)
    say(
        f"Restored {_promises(restored.counts)} ({_count(restored.counts['events'], 'event')}) "
        f"from {one_line(str(source))}"
    )
    if restored.kept is not None:
        say(f"  the ledger it replaced is kept as {one_line(str(restored.kept))}")
