"""Several pk processes at once (terminals, cron): every change lands exactly once, the history
stays consistent, and a lock held too long is a clear message, never a traceback."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from ledger_checks import assert_sound, snapshot

from promisekeeper.store import files, schema

WORKER = Path(__file__).parent / "pk_worker.py"
PK = [sys.executable, "-m", "promisekeeper"]
FIXTURES = Path(__file__).parent / "fixtures"


def spawn(*args: str, **kwargs: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def lines(process: subprocess.Popen[str], timeout: float = 120) -> list[dict[str, Any]]:
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err
    return [json.loads(line) for line in out.splitlines()]


def run_pk(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PK, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.slow
def test_four_writers_and_readers_at_once_lose_nothing(isolated: Path) -> None:
    """4 processes x 50 writes (promise, move, keep, note) on a ledger that does not exist yet,
    while a reader process lists and real `pk today` / `pk remind` processes run alongside."""
    db = isolated
    writers = {f"w{k}": spawn("writer", f"w{k}", "50") for k in range(4)}
    reader = spawn("reader", "3")
    outside: list[subprocess.CompletedProcess[str]] = []
    while any(w.poll() is None for w in writers.values()):
        outside.append(run_pk("today"))
        outside.append(run_pk("remind"))
    results = {name: lines(w) for name, w in writers.items()}
    read = lines(reader)

    # Every write succeeded, first time, and no "database is locked" reached anyone.
    for name, done in results.items():
        assert len(done) == 50
        failed = [d for d in done if d["code"] != 0]
        assert failed == [], (name, sorted({d["err"] for d in failed}))
    for run in outside:
        assert run.returncode == 0, run.stderr
        assert run.stderr == "", run.stderr
    assert all(r["code"] == 0 for r in read), [r for r in read if r["code"]]
    assert all(r["ok"] for r in read if r["op"] == "today")
    seen = [r["seen"] for r in read if r["op"] == "list"]
    assert seen == sorted(seen), "a reader saw promises disappear"

    # Every change is there exactly once, with the history it should have.
    sound = assert_sound(db)
    histories = {p.what: (p, [e.kind for e in events]) for p, events in sound["histories"]}
    assert len(histories) == 4 * 20
    for name, done in results.items():
        made = [d for d in done if d["op"] == "promise"]
        assert len(made) == 20 and len({d["id"] for d in made}) == 20
        for d in made:
            promise, kinds = histories[d["what"]]
            assert promise.id == d["id"]
            assert promise.to == [name]
            story = [k for k in kinds if k != "reminded"]  # pk remind may have looked at it
            if d["what"].endswith("-a"):
                assert story == ["made", "kept"] and promise.status == "kept"
            else:
                assert story == ["made", "moved", "note"] and promise.moves == 1
    commands = Counter(command for _id, command, _undone in sound["changes"])
    assert commands["promise"] == 80
    assert commands["move"] == commands["keep"] == commands["note"] == 40
    conn = sqlite3.connect(db)
    per_change = conn.execute(
        "SELECT c.command, count(e.id) FROM changes c LEFT JOIN events e ON e.change_id = c.id "
        "WHERE c.command IN ('promise', 'move', 'keep', 'note') GROUP BY c.id"
    ).fetchall()
    assert {n for _command, n in per_change} == {1}  # one event per change, none lost or doubled
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
    conn.close()
    assert sorted(p.name for p in db.parent.glob(".ledger.db.*")) == []  # no temporary files


def test_a_lock_held_past_the_busy_timeout_is_a_clear_message(isolated: Path) -> None:
    db = isolated
    assert run_pk("promise", "First", "--to", "alice", "--due", "fri").returncode == 0
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO changes (at_ts, command) VALUES (1, 'held')")
    try:
        started = time.monotonic()
        blocked = run_pk(
            "promise", "Second", "--to", "bob", "--due", "fri", PK_BUSY_TIMEOUT_MS="300"
        )
        waited = time.monotonic() - started
        reading = run_pk("today", PK_BUSY_TIMEOUT_MS="300")  # WAL: readers never wait
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert blocked.returncode == 1
    assert blocked.stderr == (
        f"pk: ledger {db} is locked by another process; try again in a moment\n"
    )
    assert blocked.stdout == ""
    assert waited >= 0.3
    assert reading.returncode == 0 and reading.stderr == ""
    assert "First" in reading.stdout
    listed = json.loads(run_pk("list", "--json").stdout)
    assert [p["what"] for p in listed] == ["First"]  # the refused change left nothing behind


def test_a_short_lock_is_waited_for(isolated: Path) -> None:
    db = isolated
    assert run_pk("promise", "First", "--to", "alice", "--due", "fri").returncode == 0
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    process = subprocess.Popen(
        [*PK, "promise", "Second", "--to", "bob", "--due", "fri"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(0.6)
    holder.execute("COMMIT")
    holder.close()
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert out.startswith("Promised #2 Second")


def test_processes_racing_to_create_the_ledger_all_succeed(isolated: Path) -> None:
    db = isolated
    processes = [
        subprocess.Popen(
            [*PK, "promise", f"Racer {n}", "--to", "alice", "--due", "fri"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    for process in processes:
        _out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
    whats = sorted(p.what for p, _events in assert_sound(db)["histories"])
    assert whats == [f"Racer {n}" for n in range(4)]
    assert [p.name for p in db.parent.iterdir() if p.name.startswith(".")] == []


def test_processes_racing_to_upgrade_an_old_ledger(isolated: Path) -> None:
    db = isolated
    shutil.copy(FIXTURES / "ledger-v1.db", db)
    processes = [
        subprocess.Popen([*PK, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for args in (["list"], ["today"], ["export"], ["promise", "x", "--to", "a", "--due", "fri"])
    ]
    for process in processes:
        _out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
    conn = sqlite3.connect(db)
    versions = [v for (v,) in conn.execute("SELECT version FROM migrations ORDER BY version")]
    conn.close()
    assert versions == list(range(1, schema.SCHEMA_VERSION + 1))  # each migration ran once
    assert_sound(db)
    assert 1 <= len(files.migration_backups(db)) <= files.MIGRATION_BACKUPS_KEPT
    before = snapshot(db.parent)
    assert run_pk("list").returncode == 0
    assert snapshot(db.parent) == before  # upgraded once: nothing more to do
