"""`pk list` and the listings that share its words (`today`, `status`, `show`), byte for byte
as they were before the listing was made fast (issue 13): a generated ledger of some hundreds
of promises with every column filled (several people, tags, notes, effort, terms, checkpoints,
moves before and after the deadline, people told, promises owed to you, kept, broken,
released, deleted, unsafe text), listed in real processes through the fast path and the app,
and compared with the output recorded from the code before the change
(tests/fixtures/listings/). A deliberate change of wording regenerates them:
`PK_REGOLD=1 pytest tests/test_list_golden.py` (and say so in the CHANGELOG)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import NOW
from conftest import run_code as run

GOLD = Path(__file__).parent / "fixtures" / "listings"
ENTRY = "import sys; sys.argv[0] = 'pk'; from promisekeeper.face.entry import main; main()"
APP = "import sys; sys.argv[0] = 'pk'; from promisekeeper.face.cli import main; main()"
COPIES = 30  # of the seed's promises, with their histories: some hundreds of rows

# Every kind of promise a listing shows, made through the CLI (now: Mon 23 Nov 2026 10:00).
SEED: list[list[str]] = [
    ["promise", "Send the Q3 numbers", "--to", "alice", "--to", "bob", "--due", "fri",
     "--tag", "q3", "--tag", "work", "--note", "the final ones", "--effort", "3h",
     "--includes", "the summary", "--excludes", "the raw data", "--source", "https://x.test/1"],
    ["promise", "Review the RFC", "--to", "carol", "--due", "tomorrow 9am"],
    ["promise", "Late thing", "--to", "dave", "--due", "2026-11-20 12:00", "--force"],
    ["promise", "Tricky \x1b[31mred\x1b[0m \u202etext\nsecond line", "--to", "Zoë \u200bW",
     "--due", "2026-12-20", "--tag", "ünï"],
    ["promise", "Done already", "--to", "alice", "--due", "mon"],
    ["promise", "Next year's plan", "--to", "erin", "--due", "2027-02-01 08:30"],
    ["promise", "Due today", "--to", "frank", "--due", "today 18:00", "--tag", "home"],
    ["promise", "Moved early", "--to", "gina", "--due", "wed"],
    ["promise", "Moved late", "--to", "hal", "--due", "2026-11-21 09:00", "--force"],
    ["promise", "Broken one", "--to", "ivy", "--due", "thu"],
    ["promise", "Released one", "--to", "jon", "--due", "thu"],
    ["promise", "Deleted one", "--to", "kim", "--due", "thu"],
    ["promise", "With checkpoints", "--to", "lee", "--due", "2026-12-10"],
    ["promise", "Kept late", "--to", "mo", "--due", "2026-11-22 10:00", "--force"],
    ["promise", "A long what " + "word " * 20, "--to", "ned", "--due", "in 3 weeks"],
    ["expect", "The signed contract", "--from", "olga", "--by", "2026-11-22", "--force"],
    ["expect", "The invoice", "--from", "pat", "--by", "fri", "--tag", "money"],
    ["keep", "5"],
    ["move", "8", "fri", "--reason", "waiting"],
    ["move", "9", "2026-11-25", "--reason", "missed it"],
    ["notify", "2", "--via", "print", "--kind", "heads-up"],
    ["notify", "3", "--via", "print", "--kind", "apology"],
    ["break", "10", "--reason", "no time"],
    ["release", "11", "--reason", "not needed"],
    ["delete", "12"],
    ["checkpoint", "13", "First draft", "--by", "2026-11-25"],
    ["checkpoint", "13", "Second draft", "--by", "2026-12-01"],
    ["keep", "13", "--checkpoint", "1"],
    ["checkpoint", "1", "Numbers in", "--by", "2026-11-26 09:00"],
    ["keep", "14"],
]  # fmt: skip

LATER = "2026-11-26T10:00:00+01:00"  # after a checkpoint is missed and more is overdue

# What is compared: (name, arguments, now)
LISTINGS: list[tuple[str, list[str], str]] = [
    ("list", ["list"], NOW),
    ("list-all", ["list", "--status", "all"], NOW),
    ("list-all-later", ["list", "--status", "all"], LATER),
    ("list-json", ["list", "--status", "all", "--json"], NOW),
    ("list-owed", ["list", "--owed"], LATER),
    ("list-tag", ["list", "--tag", "q3", "--status", "all"], NOW),
    ("today", ["today", "--all"], LATER),
    ("status", ["status", "--all"], LATER),
    ("show-1", ["show", "1"], LATER),
    ("show-13", ["show", "13"], LATER),
    ("show-4", ["show", "4"], NOW),
]


def environment(db: Path, now: str = NOW) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PK_DEBUG", "CI", "NO_COLOR")}
    env.update(
        PK_DB=str(db),
        PK_CONFIG=str(db.with_name("config.toml")),
        PK_NOW=now,
        TZ="Europe/Berlin",
        LC_TIME="C.UTF-8",
    )
    env.pop("COLUMNS", None)
    env.pop("LC_ALL", None)
    return env



def _uuid(n: int, kind: str) -> str:
    return f"{n:08x}-0000-4000-8000-{'1' if kind == 'p' else '2'}{n:011x}"


def _renamed(value: Any, names: dict[str, str]) -> Any:
    """The export with every uuid replaced by a fixed one (the same one everywhere)."""
    if isinstance(value, dict):
        return {k: _renamed(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_renamed(v, names) for v in value]
    if isinstance(value, str) and value in names:
        return names[value]
    return value


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed made through the CLI, exported, and imported COPIES times with fixed uuids
    (so `--json` and `show` are the same every run)."""
    directory = tmp_path_factory.mktemp("golden")
    seed = directory / "seed.db"
    env = environment(seed)
    for args in SEED:
        done = run(APP, args, env)
        assert done.returncode == 0, (args, done.stderr.decode())
    exported = run(APP, ["export"], env)
    assert exported.returncode == 0, exported.stderr.decode()
    data = json.loads(exported.stdout)
    records = []
    count = 0
    for copy in range(COPIES):
        names: dict[str, str] = {}
        for promise in data["promises"]:
            count += 1
            names[promise["uuid"]] = _uuid(count, "p")
            for event in promise.get("history", []):
                count += 1
                names[event["uuid"]] = _uuid(count, "e")
        for promise in _renamed(data["promises"], names):
            if copy:
                promise["what"] = f"{promise['what']} ({copy})"
                for event in promise.get("history", []):
                    if event.get("kind") == "made":
                        event["details"]["what"] = promise["what"]
            records.append(promise)
    (directory / "all.json").write_text(
        json.dumps({**data, "promises": records}, ensure_ascii=False), encoding="utf-8"
    )
    db = directory / "ledger.db"
    done = run(APP, ["import", str(directory / "all.json")], environment(db))
    assert done.returncode == 0, done.stderr.decode()
    return db


def _stable(name: str, text: bytes, db: Path) -> bytes:
    """The output less what differs between two ledgers made alike (the replica's id)."""
    return text.replace(str(db).encode(), b"LEDGER")


@pytest.mark.parametrize(("name", "args", "now"), LISTINGS, ids=[x[0] for x in LISTINGS])
def test_listings_are_as_they_were(ledger: Path, name: str, args: list[str], now: str) -> None:
    env = environment(ledger, now)
    fast = run(ENTRY, args, env)
    assert fast.returncode == 0, fast.stderr.decode()
    app = run(APP, args, env)
    assert (app.returncode, app.stdout, app.stderr) == (0, fast.stdout, fast.stderr)
    shown = _stable(name, fast.stdout, ledger)
    gold = GOLD / f"{name}.txt"
    if os.environ.get("PK_REGOLD"):
        gold.parent.mkdir(parents=True, exist_ok=True)
        gold.write_bytes(shown)
    assert shown == gold.read_bytes()
    if name in ("list", "list-all", "list-all-later", "status", "today"):
        assert shown.count(b"\n") > 100  # many rows, not a handful


def on_terminal(args: list[str], env: dict[str, str], columns: int) -> bytes:
    """`pk ARGS` with stdout and stderr on a pseudo-terminal `columns` wide: its output."""
    import fcntl
    import struct
    import termios

    controller, terminal = os.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    chunks: list[bytes] = []
    try:
        child = subprocess.Popen(
            [sys.executable, "-c", ENTRY, *args],
            env={**env, "TERM": "xterm-256color"},
            stdin=subprocess.DEVNULL,
            stdout=terminal,
            stderr=terminal,
        )
        os.close(terminal)
        terminal = -1
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the last writer closed its side
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert child.wait(timeout=120) == 0, b"".join(chunks).decode()
    finally:
        os.close(controller)
        if terminal >= 0:
            os.close(terminal)
    return b"".join(chunks)


@pytest.mark.parametrize("columns", [160, 90, 50])
def test_the_table_on_a_terminal_is_as_it_was(ledger: Path, columns: int) -> None:
    """On a terminal `pk list` is a table (short forms when narrow, plain lines when too
    narrow for one), with colour."""
    shown = on_terminal(["list", "--status", "all"], environment(ledger, LATER), columns)
    gold = GOLD / f"terminal-{columns}.txt"
    if os.environ.get("PK_REGOLD"):
        gold.write_bytes(shown)
    assert shown == gold.read_bytes()
    assert shown.count(b"\n") > 400


def test_a_listing_reads_each_promise_as_a_single_read_does(ledger: Path, tmp_path: Path) -> None:
    """pk list reads who was told, the date they heard and a snooze only for the promises whose
    history has such events (store.queries, `many`): the same promises as one read at a time."""
    import shutil
    import sqlite3
    from datetime import datetime, timedelta

    from promisekeeper.services.ledger import Ledger
    from promisekeeper.store import queries

    copy = tmp_path / "ledger.db"
    shutil.copy(ledger, copy)
    now = datetime.fromisoformat(NOW)
    book = Ledger(copy, now=now)
    for promise_id in (1, 17, 34):  # told; never told nor moved (twice)
        book.snooze(promise_id)
    later = Ledger(copy, now=now + timedelta(hours=1))
    later.move(18, now + timedelta(days=9), reason="after they were told")
    conn = sqlite3.connect(copy)
    listed = queries.list_promises(
        conn, to_key=None, status="all", tag=None, due_before=None, include_deleted=True
    )
    assert len(listed) > 400
    assert listed == [queries.get_promise(conn, p.id or 0) for p in listed]
    assert sum(p.snoozed_until is not None for p in listed) == 3
    assert sum(p.told_at is not None for p in listed) >= 60
    assert sum(p.heard_due is not None for p in listed) >= 30


def test_the_open_listing_is_read_along_an_index(ledger: Path) -> None:
    """The plan of pk list's query (status open, soonest due first): promises found and
    ordered by an index, never a scan of them or a sort; the events with a notice, a move or
    a snooze gathered once (MATERIALIZE), not looked up on every row, and only those of the
    promises listed, along the events' promise index: never a scan of every event, which
    would grow with the ledger rather than with the listing."""
    import sqlite3

    from promisekeeper.store import queries

    conn = sqlite3.connect(f"file:{ledger}?mode=ro", uri=True)
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    queries.list_promises(
        conn, to_key=None, status="open", tag=None, due_before=None, include_deleted=False
    )
    conn.set_trace_callback(None)
    (sql,) = [s for s in statements if "FROM promises p" in s]
    plan = conn.execute("EXPLAIN QUERY PLAN " + sql).fetchall()
    details = [detail for _id, _parent, _unused, detail in plan]
    assert details.count("MATERIALIZE noted") == 1, plan
    assert not any(d.startswith("SCAN h") for d in details), plan
    assert "SEARCH h USING INDEX events_promise (promise_id=?)" in details, plan
    top = [detail for _id, parent, _unused, detail in plan if parent == 0]
    assert any(d.startswith("SEARCH p USING INDEX") for d in top), plan
    assert not any(d.startswith("SCAN p") or "TEMP B-TREE" in d for d in top), plan
