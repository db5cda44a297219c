"""pk killed with SIGKILL in the middle of a write: the ledger opens, passes PRAGMA
integrity_check, and holds all or none of each command's change.

Kills land at random moments (seeded, so a failure can be replayed) and, for the large import,
also at the moment the transaction starts spilling into the -wal file: certainly mid-write.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from ledger_checks import assert_sound

from promisekeeper.store import queries

WORKER = Path(__file__).parent / "pk_worker.py"
PK = [sys.executable, "-m", "promisekeeper"]
FIXTURES = Path(__file__).parent / "fixtures"
SEED = 20261123
DUE = "2026-12-01T16:00:00+00:00"

pytestmark = pytest.mark.slow


def start(args: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        args,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,  # its own process group: the kill takes its children too
    )


def kill(process: subprocess.Popen[str]) -> tuple[str, str]:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return process.communicate(timeout=60)


def pk(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PK, *args], capture_output=True, text=True, timeout=120)


def promise_count(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT count(*) FROM promises").fetchone()[0])
    finally:
        conn.close()


def all_or_none(db: Path, base: int, added: int) -> str:
    """Assert the ledger is sound and holds none or all of the command's promises."""
    sound = assert_sound(db)
    count = len(sound["histories"])
    assert count in (base, base + added), f"{count} promises: part of a change survived"
    return "none" if count == base else "all"


@pytest.fixture
def base_ledger(isolated: Path) -> Path:
    """A ledger with three promises (one kept, one moved), closed."""
    for args in (
        ["promise", "Send the numbers", "--to", "alice", "--due", "fri"],
        ["promise", "Review the RFC", "--to", "bob", "--due", "mon"],
        ["promise", "Book the venue", "--to", "carol", "--due", "tue"],
        ["keep", "1"],
        ["move", "3", "next friday"],
    ):
        assert pk(*args).returncode == 0
    return isolated


def test_kill_during_a_large_import(base_ledger: Path, tmp_path: Path) -> None:
    db = base_ledger
    records = [
        {
            "uuid": f"crash-{i}",
            "what": f"Imported promise {i} " + "x" * 200,
            "to": [f"person{i % 40}", "alice"],
            "due": DUE,
            "tags": ["import"],
        }
        for i in range(3000)
    ]
    source = tmp_path / "big.json"
    source.write_text(json.dumps(records))
    template = tmp_path / "template.db"
    shutil.copy(db, template)
    started = time.monotonic()
    assert pk("import", str(source)).returncode == 0
    took = time.monotonic() - started
    rng = random.Random(SEED)
    outcomes: Counter[str] = Counter()
    wal = Path(f"{db}-wal")
    for trial in range(12):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        shutil.copy(template, db)
        process = start([*PK, "import", str(source)])
        if trial % 2 == 0:
            time.sleep(rng.uniform(0.05, took * 1.1))
        else:  # the moment the transaction starts writing to the -wal
            deadline = time.monotonic() + 30
            while process.poll() is None and time.monotonic() < deadline:
                if wal.exists() and wal.stat().st_size > 0:
                    break
                time.sleep(0.001)
        kill(process)
        outcome = all_or_none(db, 3, 3000)
        outcomes[outcome] += 1
        # The ledger keeps working: importing again completes whatever is missing.
        again = pk("import", str(source))
        assert again.returncode == 0, again.stderr
        assert promise_count(db) == 3003
    print(f"import killed 12 times: {dict(outcomes)}")
    assert outcomes["none"] >= 1  # some kills really landed before the commit


def test_kill_during_bursts_of_promises(isolated: Path) -> None:
    """Each acknowledged promise survives; the one in flight is there whole or not at all."""
    db = isolated
    rng = random.Random(SEED + 1)
    acknowledged: list[str] = []
    for burst in range(6):
        process = start([sys.executable, str(WORKER), "burst", f"b{burst}"])
        time.sleep(rng.uniform(0.4, 1.5))
        out, _err = kill(process)
        lines = [json.loads(line) for line in out.splitlines() if line.endswith("}")]
        assert all(line["code"] == 0 for line in lines)
        acknowledged += [line["what"] for line in lines]
        sound = assert_sound(db)
        present = {p.what: [e.kind for e in events] for p, events in sound["histories"]}
        assert set(acknowledged) <= set(present)
        assert len(present) - len(acknowledged) <= burst + 1  # at most one in flight per burst
        assert all(kinds == ["made"] for kinds in present.values())
        commands = Counter(command for _id, command, _undone in sound["changes"])
        assert commands["promise"] == len(present)  # no change without its promise
    assert len(acknowledged) > 20


@pytest.mark.parametrize(
    ("command", "options"), [("promise", "--to alice --due fri"), ("expect", "--from bob --by fri")]
)
def test_kill_real_pk_processes_during_bursts(isolated: Path, command: str, options: str) -> None:
    """The same with the real entry point: a shell loop of `pk promise` (or `pk expect`),
    killed whole."""
    db = isolated
    rng = random.Random(SEED + 2)
    loop = (
        f'n=$1; shift; i=0; while :; do "$@" {command} "shell $n-$i" {options} '
        ">/dev/null || exit 1; i=$((i+1)); done"
    )
    for burst in range(4):
        process = start(["sh", "-c", loop, "sh", str(burst), *PK])
        time.sleep(rng.uniform(0.3, 1.2))
        kill(process)
        sound = assert_sound(db)
        whats = sorted(p.what for p, _events in sound["histories"])
        assert len(whats) == len(set(whats))
        commands = Counter(name for _id, name, _undone in sound["changes"])
        assert commands[command] == len(whats)
        directions = {p.direction for p, _events in sound["histories"]}
        assert directions <= {"owed" if command == "expect" else "mine"}
    assert pk("list").returncode == 0


def test_kill_while_keeping_occurrences_of_a_series(isolated: Path) -> None:
    """`pk keep` of an occurrence makes the next one in the same change: killed at any moment,
    the ledger holds both or neither, so a series always has exactly one open occurrence."""
    db = isolated
    assert pk("promise", "Stand-up notes", "--to", "team", "--every", "daily 9am").returncode == 0
    rng = random.Random(SEED + 5)
    loop = 'i=1; while :; do "$@" keep "$i" >/dev/null || exit 1; i=$((i+1)); done'
    kept = 0
    for _burst in range(4):
        process = start(["sh", "-c", loop, "sh", *PK])
        time.sleep(rng.uniform(0.3, 1.2))
        kill(process)
        sound = assert_sound(db)
        states = [p.status for p, _events in sound["histories"]]
        assert states.count("open") == 1, states
        assert len(states) == states.count("kept") + 1
        assert len({p.uuid for p, _events in sound["histories"]}) == len(states)
        kept = states.count("kept")
        # the next burst starts again from #1: reopen nothing, just continue from the open one
        loop = f'i={kept + 1}; while :; do "$@" keep "$i" >/dev/null || exit 1; i=$((i+1)); done'
    assert kept >= 2


def test_kill_while_creating_the_ledger(isolated: Path) -> None:
    """The first change creates the file: killed, there is no ledger or a whole one, never an
    empty or half-made file."""
    db = isolated
    rng = random.Random(SEED + 3)
    seen: Counter[str] = Counter()
    for _ in range(10):
        for leftover in db.parent.glob("ledger.db*"):
            leftover.unlink()
        process = start([*PK, "promise", "First", "--to", "alice", "--due", "fri"])
        time.sleep(rng.uniform(0.0, 0.4))
        kill(process)
        if not db.exists():
            seen["no ledger"] += 1
            continue
        seen["ledger"] += 1
        assert db.stat().st_size > 0
        assert len(assert_sound(db)["histories"]) in (0, 1)
        assert pk("list").returncode == 0
    for stray in db.parent.glob(".ledger.db.*"):
        stray.unlink()  # an interrupted creation's temporary file (pk doctor reports these)
    print(f"creation killed 10 times: {dict(seen)}")


def test_kill_during_an_upgrade(isolated: Path) -> None:
    db = isolated
    rng = random.Random(SEED + 4)
    for _ in range(6):
        for leftover in db.parent.glob("ledger.db*"):
            leftover.unlink()
        shutil.copy(FIXTURES / "ledger-v1.db", db)
        process = start([*PK, "list"])
        time.sleep(rng.uniform(0.0, 0.3))
        kill(process)
        conn = sqlite3.connect(db)
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        recorded = [v for (v,) in conn.execute("SELECT version FROM migrations ORDER BY version")]
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("SELECT count(*) FROM promises").fetchone() == (7,)
        conn.close()
        assert recorded == list(range(1, version + 1))  # each step whole, or not at all
        assert pk("list").returncode == 0  # and the upgrade finishes next time
        assert len(assert_sound(db)["histories"]) == 7


def test_kill_during_restore_and_backup(base_ledger: Path, tmp_path: Path) -> None:
    db = base_ledger
    backup = tmp_path / "backup.db"
    assert pk("backup", str(backup)).returncode == 0
    for n in range(20):
        assert pk("note", "2", f"after the backup {n}").returncode == 0
    rng = random.Random(SEED + 5)
    seen: Counter[str] = Counter()
    for _ in range(6):
        before = promise_count(db)
        process = start([*PK, "restore", str(backup), "--yes"])
        time.sleep(rng.uniform(0.05, 0.35))
        kill(process)
        sound = assert_sound(db)
        notes = sum(e.kind == "note" for _p, events in sound["histories"] for e in events)
        seen["restored" if notes == 0 else "old"] += 1
        assert promise_count(db) == before == 3
        for note in range(3):
            assert pk("note", "2", f"again {note}").returncode == 0
        target = tmp_path / "copy.db"
        process = start([*PK, "backup", str(target)])
        time.sleep(rng.uniform(0.05, 0.3))
        kill(process)
        if target.exists():  # written whole, or not at all
            assert_sound(target)
    print(f"restore killed 6 times: {dict(seen)}")
    assert queries.integrity_problems(sqlite3.connect(db)) == []


def test_kill_during_checkpoints_and_terms(base_ledger: Path) -> None:
    """`pk checkpoint` and `pk edit --includes`, killed in a loop: each change lands whole or
    not at all, and every row stays the fold of its history (terms and checkpoints too)."""
    db = base_ledger
    rng = random.Random(SEED + 5)
    loop = (
        'n=$1; shift; i=0; while :; do "$@" checkpoint 2 "cp $n-$i" --by "fri 9:00" '
        '>/dev/null || exit 1; "$@" edit 2 --includes "part $n-$i" >/dev/null || exit 1; '
        "i=$((i+1)); done"
    )
    for burst in range(3):
        process = start(["sh", "-c", loop, "sh", str(burst), *PK])
        time.sleep(rng.uniform(0.3, 1.2))
        kill(process)
        sound = assert_sound(db)
        commands = Counter(command for _id, command, _undone in sound["changes"])
        (deck,) = [(p, events) for p, events in sound["histories"] if p.what == "Review the RFC"]
        kinds = Counter(event.kind for event in deck[1])
        assert commands["checkpoint"] == kinds["checkpoint"] == len(deck[0].checkpoints)
        assert commands["edit"] == kinds["edited"] == len(deck[0].includes)
    assert commands["checkpoint"] >= 2  # the loop really ran
    assert pk("show", "2").returncode == 0
