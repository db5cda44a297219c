"""Hostile files and paths around the ledger (issue 12, findings 1, 2, 3, 6 and 14), through the
installed `pk` in real processes.

Every file pk writes (export, report, backup, restore) goes through one safe-write helper: a
private temporary file made exclusively next to the destination, flushed, renamed into place;
never the ledger, its -wal/-shm or one of its backups; nothing left behind on failure, and the
system's own words when it fails. Restore checks what it trusts: exactly pk's schema, any page
size, a symlinked ledger path left a symlink.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
PK = BIN / "pk"

pytestmark = pytest.mark.skipif(
    not PK.exists(), reason=f"the pk console script is not installed next to {sys.executable}"
)

NOW = "2026-11-23T10:00:00+01:00"
Env = dict[str, str]


@pytest.fixture
def env(tmp_path: Path) -> Env:
    environment = dict(os.environ)
    for name in ("PK_DEBUG", "NO_COLOR", "COLUMNS", "PYTHONWARNINGS"):
        environment.pop(name, None)
    (tmp_path / "home").mkdir()
    environment.update(
        PK_DB=str(tmp_path / "home" / "ledger.db"),
        PK_CONFIG=str(tmp_path / "config.toml"),
        PK_NOW=NOW,
        TZ="Europe/Berlin",
    )
    return environment


def run(env: Env, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PK), *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )


def ok(env: Env, *args: str) -> subprocess.CompletedProcess[str]:
    result = run(env, *args)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "internal error" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("pk: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def ledger_of(env: Env) -> Path:
    return Path(env["PK_DB"])


def titles(env: Env, db: Path | None = None) -> list[str]:
    args = ["--db", str(db)] if db else []
    return [
        p["what"] for p in json.loads(ok(env, *args, "list", "--status", "all", "--json").stdout)
    ]


@pytest.fixture
def filled(env: Env) -> Path:
    """A ledger with two promises; returns its path."""
    ok(env, "promise", "Send the numbers", "--to", "alice", "--due", "fri")
    ok(env, "promise", "Book the venue", "--to", "bob", "--due", "mon")
    return ledger_of(env)


def image(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), stat.S_IMODE(path.stat().st_mode)


def aged(*paths: Path) -> None:
    """Make files look left behind by a pk killed an hour ago."""
    past = time.time() - 3600
    for path in paths:
        os.utime(path, (past, past), follow_symlinks=False)


# -------------------------------------------------------------------------------------------------
# Finding 1: report -o / export -o onto the ledger (or its side files, a link to it, a backup)
# -------------------------------------------------------------------------------------------------
TARGETS = ["ledger", "symlink", "hardlink", "wal", "shm", "backup"]


def protected_target(kind: str, ledger: Path, env: Env, tmp_path: Path) -> Path:
    if kind == "ledger":
        return ledger
    if kind == "symlink":
        link = tmp_path / "innocent.json"
        link.symlink_to(ledger)
        return link
    if kind == "hardlink":
        link = tmp_path / "innocent.html"
        os.link(ledger, link)
        return link
    if kind in ("wal", "shm"):
        return ledger.with_name(f"{ledger.name}-{kind}")
    ok(env, "backup")
    (backup,) = ledger.parent.glob("ledger.db.backup-*")
    return backup


@pytest.mark.parametrize("command", [["export"], ["report"], ["report", "--format", "html"]])
@pytest.mark.parametrize("kind", TARGETS)
def test_output_never_replaces_the_ledger(
    env: Env, filled: Path, tmp_path: Path, command: list[str], kind: str
) -> None:
    """Finding 1: `pk report -o "$PK_DB"` / `pk export -o "$PK_DB"` replaced the ledger."""
    target = protected_target(kind, filled, env, tmp_path)
    before = {p: p.read_bytes() for p in filled.parent.iterdir() if p.is_file()}
    one_line_error(run(env, *command, "-o", str(target)), "not writing over it")
    assert {p: p.read_bytes() for p in filled.parent.iterdir() if p.is_file()} == before
    assert titles(env) == ["Send the numbers", "Book the venue"]
    assert "No problems found." in ok(env, "doctor").stdout


def test_output_next_to_the_ledger_is_fine(env: Env, filled: Path) -> None:
    """Finding 1: only the ledger's own files are refused, not its directory."""
    out = filled.with_name("ledger.db.json")
    ok(env, "export", "-o", str(out))
    assert len(json.loads(out.read_text())["promises"]) == 2


def test_backup_onto_the_ledgers_wal_is_refused(env: Env, filled: Path, tmp_path: Path) -> None:
    """Finding 1: `pk backup` refused its own ledger but not a symlink to its -wal."""
    link = tmp_path / "copy.db"
    link.symlink_to(filled.with_name("ledger.db-wal"))
    one_line_error(run(env, "backup", str(link)), "the ledger's -wal file")
    assert titles(env) == ["Send the numbers", "Book the venue"]


# -------------------------------------------------------------------------------------------------
# Finding 2: planted links at the output's temporary name, and links at the output itself
# -------------------------------------------------------------------------------------------------
def test_export_never_writes_through_a_planted_link(env: Env, filled: Path, tmp_path: Path) -> None:
    """Finding 2: a symlink at OUT.tmp (or any guessable name) is never written through."""
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    victim.chmod(0o644)
    out = tmp_path / "out.json"
    planted = [out.with_name(out.name + s) for s in (".tmp", ".new", ".pk.tmp")]
    planted += [tmp_path / f".out.json{s}" for s in (".tmp", ".pk-.tmp", ".pk-tmp")]
    for name in planted:
        name.symlink_to(victim)
    ok(env, "export", "-o", str(out))
    assert image(victim) == (b"precious\n", 0o644)
    assert all(p.is_symlink() for p in planted)
    assert len(json.loads(out.read_text())["promises"]) == 2
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


@pytest.mark.parametrize("link", ["symlink", "hardlink"])
def test_output_onto_a_link_never_touches_what_it_points_to(
    env: Env, filled: Path, tmp_path: Path, link: str
) -> None:
    """Finding 2: the file a link names is neither written nor chmodded; the link is replaced."""
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    victim.chmod(0o644)
    out = tmp_path / "out.json"
    if link == "symlink":
        out.symlink_to(victim)
    else:
        os.link(victim, out)
    ok(env, "export", "-o", str(out))
    assert image(victim) == (b"precious\n", 0o644)
    assert not out.is_symlink() and json.loads(out.read_text())["promises"]


# -------------------------------------------------------------------------------------------------
# Finding 3: restore over a symlinked ledger path
# -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("state", ["healthy", "damaged"])
def test_restore_through_a_symlinked_ledger(
    env: Env, filled: Path, tmp_path: Path, state: str
) -> None:
    """Finding 3: the link stays a link, its target is restored, not chmodded, not hard-linked."""
    backup = tmp_path / "backup.db"
    ok(env, "backup", str(backup))
    real_dir = tmp_path / "real"
    real_dir.mkdir()
    real = real_dir / "ledger.db"
    if state == "healthy":
        ok(env, "--db", str(real), "promise", "Other work", "--to", "carol", "--due", "fri")
    else:
        real.write_bytes(b"this is not a database" * 100)
    real.chmod(0o640)
    old = real.read_bytes()
    witness = tmp_path / "witness"  # the old ledger file itself, whatever its name becomes
    os.link(real, witness)
    link = tmp_path / "home" / "linked.db"
    link.symlink_to(real)
    env = {**env, "PK_DB": str(link)}
    result = ok(env, "restore", str(backup), "--yes")
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert stat.S_IMODE(witness.stat().st_mode) == 0o640  # never chmodded
    assert stat.S_IMODE(real.stat().st_mode) in (0o640, 0o600)  # restored in place, or pk's own
    assert titles(env) == ["Send the numbers", "Book the venue"]
    (kept,) = link.parent.glob("linked.db.before-restore-*[0-9Z]")
    assert str(kept) in result.stdout
    assert not kept.is_symlink() and kept.stat().st_nlink == 1
    assert not os.path.samefile(kept, real) and not os.path.samefile(kept, witness)
    assert kept.read_bytes() == old if state == "damaged" else titles(env, kept) == ["Other work"]
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert not list(real_dir.glob(".*")), list(real_dir.glob(".*"))


# -------------------------------------------------------------------------------------------------
# Finding 6: restore trusts exactly pk's schema; any page size restores
# -------------------------------------------------------------------------------------------------
TRIGGER = (
    "CREATE TRIGGER wipe AFTER INSERT ON events "
    "BEGIN DELETE FROM promises WHERE id <> NEW.promise_id; END"
)
FOREIGN = {
    "trigger": TRIGGER,
    "view": "CREATE VIEW everything AS SELECT * FROM promises",
    "table": "CREATE TABLE extra (x)",
}


def tampered_copy(env: Env, tmp_path: Path, sql: str) -> Path:
    backup = tmp_path / "tampered.db"
    ok(env, "backup", str(backup))
    conn = sqlite3.connect(backup)
    conn.execute(sql)
    conn.commit()
    conn.close()
    return backup


@pytest.mark.parametrize("kind", sorted(FOREIGN))
def test_restore_refuses_schema_pk_did_not_create(
    env: Env, filled: Path, tmp_path: Path, kind: str
) -> None:
    """Finding 6: a file holding a trigger (or view, or table) pk did not make is not restored."""
    tampered = tampered_copy(env, tmp_path, FOREIGN[kind])
    ok(env, "promise", "Made after the backup", "--to", "carol", "--due", "fri")
    before = filled.read_bytes()
    one_line_error(run(env, "restore", str(tampered), "--yes"), "pk did not create", kind)
    assert filled.read_bytes() == before
    assert not list(filled.parent.glob("*before-restore*"))
    ok(env, "promise", "Still all there", "--to", "dave", "--due", "fri")
    assert len(titles(env)) == 4


def test_doctor_reports_a_trigger_and_pk_records_nothing_into_it(env: Env, filled: Path) -> None:
    """Finding 6: doctor said "No problems found" for a ledger holding a trigger."""
    conn = sqlite3.connect(filled)
    conn.execute(TRIGGER)
    conn.commit()
    conn.close()
    doctor = run(env, "doctor")
    assert doctor.returncode == 1, doctor.stdout
    assert "trigger wipe" in doctor.stdout and "No problems found" not in doctor.stdout
    before = filled.read_bytes()
    one_line_error(run(env, "promise", "x", "--to", "a", "--due", "fri"), "trigger wipe")
    assert filled.read_bytes() == before
    # Reading fires no trigger: the promises can still be exported and rescued.
    exported = json.loads(ok(env, "export").stdout)
    assert [p["what"] for p in exported["promises"]] == ["Send the numbers", "Book the venue"]


@pytest.mark.parametrize("page_size", [512, 4096, 8192, 65536])
def test_restore_any_page_size(env: Env, filled: Path, tmp_path: Path, page_size: int) -> None:
    """Finding 6: a sound backup with a 512- or 8192-byte page size failed to restore with
    "attempt to write a readonly database"."""
    backup = tmp_path / "backup.db"
    ok(env, "backup", str(backup))
    conn = sqlite3.connect(backup, isolation_level=None)
    conn.execute(f"PRAGMA page_size = {page_size}")
    conn.execute("VACUUM")
    assert conn.execute("PRAGMA page_size").fetchone()[0] == page_size
    conn.close()
    ok(env, "promise", "Made after the backup", "--to", "carol", "--due", "fri")
    ok(env, "restore", str(backup), "--yes")
    assert titles(env) == ["Send the numbers", "Book the venue"]
    ok(env, "promise", "After the restore", "--to", "carol", "--due", "fri")
    assert "No problems found." in ok(env, "doctor").stdout


# -------------------------------------------------------------------------------------------------
# Finding 14: a full disk, and what killed backups and restores leave behind
# -------------------------------------------------------------------------------------------------
@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KB tmpfs, filled up: every write into it fails with ENOSPC."""
    mount = tmp_path / "full"
    mount.mkdir()
    tried = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if tried.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {tried.stderr.strip() or tried.returncode}")
    try:
        fd = os.open(mount / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            while os.write(fd, b"x" * 4096):
                pass
        except OSError:
            pass
        finally:
            os.close(fd)
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.parametrize(
    "command", [["export", "-o"], ["report", "-o"], ["backup"]], ids=["export", "report", "backup"]
)
def test_full_disk_reports_the_real_error(
    env: Env, filled: Path, full_disk: Path, command: list[str]
) -> None:
    """Finding 14: a backup to a full disk blamed the ledger; export -o left OUTPUT.tmp."""
    target = full_disk / "out"
    before = filled.read_bytes()
    exported = ok(env, "export").stdout
    line = one_line_error(run(env, *command, str(target)), "No space left on device", str(target))
    assert "nothing was written" in line
    assert "ledger" not in line.replace(str(filled), "")
    assert sorted(p.name for p in full_disk.iterdir()) == ["filler"]
    if command != ["backup"]:
        assert filled.read_bytes() == before
    # A backup notes, in the ledger's meta table, where it writes (for pk doctor); no promise,
    # event or change is touched.
    assert ok(env, "export").stdout == exported
    assert "No problems found." in ok(env, "doctor").stdout


def test_doctor_finds_what_a_killed_backup_left_elsewhere(
    env: Env, filled: Path, tmp_path: Path
) -> None:
    """Finding 14: doctor reported stray temporary files only next to the ledger."""
    backups = tmp_path / "Backups"
    backups.mkdir()
    ok(env, "backup", str(backups / "promises.db"))
    assert "No problems found." in ok(env, "doctor").stdout
    # What a backup killed half-way leaves: its temporary file and SQLite's journal for it.
    left = [backups / ".promises.db.pk-k1ll3d.tmp", backups / ".promises.db.pk-k1ll3d.tmp-journal"]
    for path in left:
        path.write_bytes(b"half a copy")
    aged(*left)
    doctor = run(env, "doctor")
    assert doctor.returncode == 1, doctor.stdout
    for path in left:
        assert str(path) in doctor.stdout
    assert str(backups / "promises.db") + " " not in doctor.stdout  # the backup itself is fine


def test_doctor_finds_what_a_killed_restore_left_next_to_a_linked_ledger(
    env: Env, filled: Path, tmp_path: Path
) -> None:
    """Finding 14: a restore through a symlinked ledger path works next to the real file."""
    real_dir = tmp_path / "real"
    real_dir.mkdir()
    real = real_dir / "ledger.db"
    os.replace(filled, real)
    filled.symlink_to(real)
    left = real_dir / ".ledger.db.pk-k1ll3d.new"
    left.write_bytes(b"half a copy")
    aged(left)
    doctor = run(env, "doctor")
    assert doctor.returncode == 1 and str(left) in doctor.stdout, doctor.stdout


def test_a_failed_rename_leaves_nothing(env: Env, filled: Path, tmp_path: Path) -> None:
    """Finding 14: export -o left OUTPUT.tmp behind when the write failed."""
    # A non-empty directory cannot be renamed over: the temporary file is made, then removed.
    blocker = tmp_path / "blocked"
    blocker.mkdir()
    (blocker / "out.json").mkdir()
    (blocker / "out.json" / "x").write_text("a non-empty directory cannot be replaced")
    one_line_error(run(env, "export", "-o", str(blocker / "out.json")), "nothing was written")
    assert sorted(p.name for p in blocker.iterdir()) == ["out.json"]
