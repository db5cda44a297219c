"""The damage check before a write (issue 12) runs only when the ledger's files changed since
pk last knew them sound (issue 13), through real processes.

pk notes the ledger's and -wal's identity (device, inode), size, mtime and ctime in a side
file, `ledger.db-checked`, after a write it checked or stamped; a write that finds the files
exactly so skips `PRAGMA quick_check`; anything else (another program wrote, the mtime set
back, a restore, a copy put in place, a stamp over a day old, a missing or garbled stamp)
reads the whole file again. tests/test_damage.py holds the guarantee itself.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

NOW = "2026-11-23T10:00:00+01:00"

# `pk ARGS...` through the console entry point, noting every whole-file check in a file.
PROBE = """
import os, sys
from promisekeeper.store import connection
real = connection.check_sound
def counted(conn, path):
    with open(os.environ["PK_TEST_CHECKS"], "a", encoding="utf-8") as out:
        out.write("check\\n")
    return real(conn, path)
connection.check_sound = counted
sys.argv = ["pk", *sys.argv[1:]]
from promisekeeper.face.entry import main
main()
"""

PROMISE = ("promise", "Send it", "--to", "alice", "--due", "fri")


class Pk:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.ledger = directory / "ledger.db"
        self.stamp = directory / "ledger.db-checked"
        self.checks = directory / "checks.txt"
        self.env = {k: v for k, v in os.environ.items() if k not in ("PK_DEBUG", "CI")}
        self.env.update(
            PK_DB=str(self.ledger),
            PK_CONFIG=str(directory / "config.toml"),
            PK_NOW=NOW,
            TZ="Europe/Berlin",
            PK_TEST_CHECKS=str(self.checks),
        )

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", PROBE, *args],
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def ok(self, *args: str) -> subprocess.CompletedProcess[str]:
        done = self(*args)
        assert done.returncode == 0, done.stdout + done.stderr
        return done

    def checked(self, *args: str) -> bool:
        """Run a command that must succeed; whether it read the whole file first."""
        self.checks.unlink(missing_ok=True)
        self.ok(*args)
        return self.checks.exists()


@pytest.fixture
def pk(tmp_path: Path) -> Pk:
    runner = Pk(tmp_path)
    runner.ok(*PROMISE)
    return runner


def test_a_write_after_pks_own_write_skips_the_check(pk: Pk) -> None:
    assert pk.stamp.is_file() and pk.stamp.stat().st_mode & 0o077 == 0
    assert not pk.checked(*PROMISE)
    assert not pk.checked("keep", "1")
    assert not pk.checked("note", "2", "half done")
    assert pk.ok("list").stdout.count("Send it") == 1  # #1 is kept; #2 open


def test_reads_leave_the_stamp_good(pk: Pk) -> None:
    for args in (["today"], ["list"], ["status"], ["show", "1"], ["export"], ["doctor"]):
        pk.ok(*args)
    assert not pk.checked(*PROMISE)


def test_a_change_by_another_program_is_checked(pk: Pk) -> None:
    conn = sqlite3.connect(pk.ledger)
    conn.execute("UPDATE promises SET what = 'Changed elsewhere' WHERE id = 1")
    conn.commit()
    conn.close()
    assert pk.checked(*PROMISE)
    assert not pk.checked(*PROMISE)  # pk checked it, then wrote: known again


def damage_in_place(ledger: Path, *, keep_times: bool) -> None:
    """Overwrite bytes of a page of the promises table, same size, same inode; with
    `keep_times`, set the mtime back as `touch -r` or `cp -p` would."""
    before = ledger.stat()
    conn = sqlite3.connect(f"file:{ledger}?mode=ro&immutable=1", uri=True)
    try:
        (page,) = conn.execute(
            "SELECT pageno FROM dbstat WHERE name = 'promises' AND pagetype = 'leaf' LIMIT 1"
        ).fetchone()
    except sqlite3.OperationalError:
        pytest.skip("this SQLite has no dbstat table")
    finally:
        conn.close()
    with open(ledger, "r+b") as f:
        f.seek((page - 1) * 4096 + 100)
        f.write(bytes((n * 37 + 11) % 256 for n in range(3000)))
    if keep_times:
        os.utime(ledger, ns=(before.st_atime_ns, before.st_mtime_ns))
        assert ledger.stat().st_mtime_ns == before.st_mtime_ns
    assert ledger.stat().st_size == before.st_size


@pytest.mark.parametrize("keep_times", [False, True], ids=["mtime-moved", "mtime-set-back"])
def test_damage_written_by_another_program_is_refused(pk: Pk, keep_times: bool) -> None:
    """The ctime moves on any write and on setting the mtime back: the stamp no longer fits."""
    for n in range(40):
        pk.ok("promise", f"Filler {n} " + "x" * 200, "--to", "bob", "--due", "fri")
    damage_in_place(pk.ledger, keep_times=keep_times)
    before = pk.ledger.read_bytes()
    pk.checks.unlink(missing_ok=True)
    done = pk(*PROMISE)
    assert done.returncode == 1 and "is damaged" in done.stderr, done.stderr
    assert pk.checks.exists()
    assert pk.ledger.read_bytes() == before


def test_a_copy_put_in_place_is_checked(pk: Pk, tmp_path: Path) -> None:
    """Another inode (a copy renamed over the ledger), even with the same bytes and times."""
    copy = tmp_path / "copy.db"
    shutil.copy2(pk.ledger, copy)
    os.replace(copy, pk.ledger)
    assert pk.checked(*PROMISE)


def test_a_restored_ledger_is_checked(pk: Pk, tmp_path: Path) -> None:
    backup = tmp_path / "saved.db"
    pk.ok("backup", str(backup))
    pk.ok(*PROMISE)
    pk.ok("restore", str(backup), "--yes")
    assert pk.checked(*PROMISE)
    assert [p["id"] for p in json.loads(pk.ok("list", "--json").stdout)] == [1, 2]


@pytest.mark.parametrize("stamp", ["", "garbage\n", "pk-checked 1\n- -\nnot a time\n"])
def test_a_missing_or_garbled_stamp_means_a_check(pk: Pk, stamp: str) -> None:
    if stamp:
        pk.stamp.write_text(stamp)
    else:
        pk.stamp.unlink()
    assert pk.checked(*PROMISE)
    assert not pk.checked(*PROMISE)


def test_a_stamp_a_day_old_means_a_check(pk: Pk) -> None:
    version, files, _checked_at = pk.stamp.read_text().splitlines()
    pk.stamp.write_text(f"{version}\n{files}\n{time.time() - 25 * 3600}\n")
    assert pk.checked(*PROMISE)
    # The check renews the day; pk's own writes carry it, they do not renew it.
    assert not pk.checked(*PROMISE)
    stamped = float(pk.stamp.read_text().splitlines()[2])
    assert time.time() - 60 < stamped <= time.time()


def test_a_planted_link_at_the_stamp_is_replaced_not_followed(pk: Pk, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("mine")
    pk.stamp.unlink()
    pk.stamp.symlink_to(victim)
    assert pk.checked(*PROMISE)
    assert victim.read_text() == "mine"
    assert not pk.stamp.is_symlink()
    assert not pk.checked(*PROMISE)


@pytest.mark.parametrize(
    "command", [["export", "-o"], ["report", "-o"], ["backup"]], ids=lambda c: c[0]
)
def test_the_stamp_is_never_an_output(pk: Pk, command: list[str]) -> None:
    before = pk.stamp.read_bytes()
    done = pk(*command, str(pk.stamp))
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert "the ledger's -checked file; not writing over it" in done.stderr, done.stderr
    assert pk.stamp.read_bytes() == before


def test_a_stamp_left_by_a_killed_pk_is_no_harm(pk: Pk) -> None:
    """A stamp's temporary file left behind is found by doctor like pk's other leftovers."""
    left = pk.directory / ".ledger.db.pk-checked-99999.tmp"
    left.write_text("half")
    old = time.time() - 3600
    os.utime(left, (old, old))
    assert not pk.checked(*PROMISE)
    assert str(left) in pk("doctor").stdout
