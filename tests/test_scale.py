"""Staying fast after years of promises: what the daily view reads, what status prints, and the
benchmark itself (issue #6). Nothing here is timed; bench/run.py measures time."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import NOW, Pk

from promisekeeper.face.render import STATUS_ROWS
from promisekeeper.model.settings import Config
from promisekeeper.services.ledger import Ledger

ROOT = Path(__file__).resolve().parent.parent
NOW_UTC = datetime.fromisoformat(NOW).astimezone(UTC)


def iso(moment: datetime) -> str:
    return moment.isoformat()


def load(ok: Pk, tmp_path: Path, records: list[dict]) -> None:
    source = tmp_path / "promises.json"
    source.write_text(json.dumps(records), encoding="utf-8")
    ok("import", str(source))


def on_track(count: int, *, start: int = 0) -> list[dict]:
    """Open promises made an hour ago and due weeks ahead: neither due soon nor short of time."""
    return [
        {
            "what": f"Promise {start + n}",
            "to": "alice",
            "made": iso(NOW_UTC - timedelta(hours=1)),
            "due": iso(NOW_UTC + timedelta(days=10 + n)),
        }
        for n in range(count)
    ]


def test_today_reads_only_what_it_may_show(ok: Pk, tmp_path: Path, isolated: Path) -> None:
    """Every query of the daily view finds its rows through an index: open promises are
    filtered on the covering index alone, never by reading each promise row."""
    closed = [
        {
            "what": f"Old {n}",
            "to": "bob",
            "made": iso(NOW_UTC - timedelta(days=90 + n)),
            "due": iso(NOW_UTC - timedelta(days=80 + n)),
            "status": "kept",
            "kept_at": iso(NOW_UTC - timedelta(days=81 + n)),
        }
        for n in range(30)
    ]
    soon = {"what": "Soon", "to": "carol", "due": iso(NOW_UTC + timedelta(hours=3))}
    load(ok, tmp_path, [*on_track(30), *closed, soon])
    ledger = Ledger(isolated, now=NOW_UTC, config=Config())
    ledger.today()  # opens (and migrates) the ledger
    statements: list[str] = []
    assert ledger._conn is not None
    ledger._conn.set_trace_callback(statements.append)
    view = ledger.today()
    ledger.open_summary()
    ledger._conn.set_trace_callback(None)
    assert [p.what for p in view.due_today] == ["Soon"]
    plans = [
        row[3]
        for sql in statements
        if sql.lstrip().upper().startswith("SELECT")
        for row in ledger._conn.execute(f"EXPLAIN QUERY PLAN {sql}")
    ]
    touching = [line for line in plans if re.search(r"\b(p|promises)\b", line)]
    assert touching
    for line in touching:
        assert not line.startswith("SCAN"), line
        assert (
            "PRIMARY KEY" in line
            or "COVERING INDEX" in line
            or " AND " in line
            or "promises_with_effort" in line  # a partial index: only promises with an effort
        ), line
    ledger.close()


def test_status_shows_a_screenful_of_calm_promises(ok: Pk, tmp_path: Path) -> None:
    extra = 7
    load(ok, tmp_path, on_track(STATUS_ROWS + extra))
    out = ok("status").stdout
    assert f"On track ({STATUS_ROWS + extra})" in out
    shown = re.findall(r"Promise (\d+)", out)
    assert shown == [str(n) for n in range(STATUS_ROWS)]  # the soonest due first
    assert f"… and {extra} more on track (pk list)" in out
    assert f"{STATUS_ROWS + extra} open" in out
    # --json and pk list still give all of them.
    assert len(ok("status", "--json").json["on_track"]) == STATUS_ROWS + extra
    assert len(ok("list", "--json").json) == STATUS_ROWS + extra


def test_status_bounds_overdue_too_and_all_shows_every_one(ok: Pk, tmp_path: Path) -> None:
    """Every group stops at a screenful (issue 13); --all shows every overdue promise."""
    late = [
        {
            "what": f"Late {n}",
            "to": "dana",
            "made": iso(NOW_UTC - timedelta(days=3)),
            "due": iso(NOW_UTC - timedelta(hours=n + 1)),
        }
        for n in range(STATUS_ROWS + 3)
    ]
    load(ok, tmp_path, late)
    out = ok("status", "--no-prompt").stdout
    assert len(re.findall(r"Late \d+", out)) == STATUS_ROWS
    assert "… and 3 more overdue (pk list --due-before now)" in out
    out = ok("status", "--no-prompt", "--all").stdout
    assert len(re.findall(r"Late \d+", out)) == STATUS_ROWS + 3
    assert "more" not in out


@pytest.mark.parametrize("command", [("stats",), ("trust",), ("report",), ("stats", "--to", "bob")])
def test_the_whole_record_is_read_in_order_not_along_the_direction_index(
    ok: Pk, tmp_path: Path, isolated: Path, traced: tuple[list[bool], list[str]], command
) -> None:
    """Your promises are nearly all of them: a whole-record query that found them along the
    direction index would read each row at random (at 100,000 promises `pk report` took 2.4
    times as long, `pk stats` 1.4 times). Every query these commands run over `promises p`
    reads the table (or a covering index) in order instead (store.track.direction_term)."""
    import sqlite3

    load(ok, tmp_path, on_track(3) + [{**r, "to": "bob"} for r in on_track(2, start=3)])
    _opened, statements = traced
    statements.clear()
    ok(*command)
    over_promises = [
        s
        for s in statements
        if "promises p" in s and s.lstrip().upper().startswith(("SELECT", "WITH"))
    ]
    assert over_promises
    conn = sqlite3.connect(isolated)
    try:
        plans = [
            " | ".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}"))
            for sql in over_promises
        ]
    finally:
        conn.close()
    assert not [p for p in plans if "SEARCH p USING INDEX promises_direction_status_due" in p]


@pytest.mark.slow
def test_the_benchmark_runs_and_writes_json(tmp_path: Path) -> None:
    """bench/run.py end to end on a tiny ledger (taskwarrior too when it is installed)."""
    results = tmp_path / "results.json"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "run.py"),
            "--sizes",
            "100,300",
            "--repeat",
            "2",
            "--import-repeat",
            "1",
            "--json",
            str(results),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(results.read_text(encoding="utf-8"))
    assert set(data["sizes"]) == {"100", "300"}
    assert {t["target"] for t in data["targets"]} >= {
        "pk today vs task next",
        "pk --version vs python -c pass",
        "peak memory of pk today",
    }
    commands = data["sizes"]["300"]["commands"]
    assert commands["pk today"]["failures"] == 0
    assert len(commands["pk today"]["runs_ms"]) == 2
    assert commands["pk today"]["peak_rss_mib"] > 0
    assert "| target |" in done.stdout
