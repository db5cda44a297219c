"""bench/run.py cannot rot: a minimal run on a tiny ledger prints every target of issue #13
(and those of issue #6 it kept) with its limit and a verdict, the JSON carries the same rows,
and --markdown rebuilds the README's tables from that JSON. Nothing here checks a time."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench" / "run.py"

# The targets table of issue #13, row by row, then the rows of issue #6 the bench still prints.
ROWS = [
    ("pk today vs task next", 13, "≤ 0.6x"),
    ("pk vs task next", 13, "≤ 0.6x"),
    ("pk today on a terminal vs task next on a terminal", 13, "≤ 1x"),
    ("pk remind vs task next", 13, "≤ 0.8x"),
    ("pk promise vs pk today", 13, "≤ 1.2x"),
    ("pk list vs task list", 13, "≤ 1.2x"),
    ("pk status vs task next", 13, "≤ 1.2x"),
    ("pk stats time", 13, "≤ 1 s"),
    ("pk stats peak memory", 13, "< 80 MiB"),
    ("pk stats growth", 13, "≤ 2x"),
    ("pk trust time", 13, "≤ 1 s"),
    ("pk trust peak memory", 13, "< 80 MiB"),
    ("pk trust growth", 13, "≤ 2x"),
    ("pk report time", 13, "≤ 1 s"),
    ("pk report peak memory", 13, "< 80 MiB"),
    ("pk report growth", 13, "≤ 2x"),
    ("pk export time", 13, "≤ 4 s"),
    ("pk export peak memory", 13, "< 100 MiB"),
    ("pk import time", 13, "≤ 10 s"),
    ("pk import peak memory", 13, "< 100 MiB"),
    ("pk today growth", 13, "≤ 1.3x"),
    ("pk import time", 6, "≤ 3 s"),
    ("pk promise vs task add", 6, "≤ 1.5x"),
    ("pk --version vs python -c pass", 6, "≤ 6x"),
    ("peak memory of pk today", 6, "< 60 MiB"),
]


def test_a_minimal_run_prints_every_target_with_its_limit(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    argv = ["--sizes", "200", "--repeat", "1", "--heavy-repeat", "1", "--import-repeat", "1"]
    done = subprocess.run(
        [sys.executable, str(BENCH), *argv, "--memory-runs", "1", "--json", str(results)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "exited" not in done.stderr, done.stderr  # every command ran cleanly

    lines = done.stdout.splitlines()
    for name, issue, limit in ROWS:
        row = [line for line in lines if line.startswith(f"| {name} |")]
        row += [line for line in lines if line.startswith(f"| {name} (")]  # with a note
        assert row, f"no row for {name!r} in:\n{done.stdout}"
        assert any(f"| #{issue} |" in r and f"| {limit} |" in r for r in row), row
        assert all(re.search(r"\| (PASS|\*\*FAIL\*\*|SKIP) \|$", r) for r in row), row

    data = json.loads(results.read_text(encoding="utf-8"))
    targets = data["targets"]
    assert sorted((t["target"], t["issue"]) for t in targets) == sorted((n, i) for n, i, _l in ROWS)
    for t in targets:
        assert t["limit"] > 0 and t["unit"] in ("x", "s", "MiB"), t
        assert t["verdict"] in ("PASS", "FAIL", "SKIP"), t
        assert (t["verdict"] == "SKIP") == (t["value"] is None), t
        if t["verdict"] == "SKIP":
            assert t["note"], t  # a skipped row says why
    # One size: the growth rows cannot be measured, and say so; the others are measured
    # (those against taskwarrior only when it is installed).
    skipped = {t["target"] for t in targets if t["verdict"] == "SKIP"}
    growth = {name for name, _i, _l in ROWS if name.endswith("growth")}
    against_task = {t["target"] for t in targets if t["reference_name"].startswith("task")}
    if shutil.which("task"):
        assert skipped == growth
        assert against_task == {n for n, _i, _l in ROWS if " task " in f"{n} "}
    else:
        assert growth <= skipped

    # Two ledgers: the realistic one (2% open, at least the handful a day needs) and the busy
    # one (30% open); every command ran without a failure.
    realistic, busy = data["ledgers"]
    assert (realistic["mix"], busy["mix"]) == ("realistic", "busy")
    assert realistic["open"] < busy["open"] == 60
    for ledger in data["ledgers"]:
        for name, run in ledger["commands"].items():
            assert run["failures"] == 0 and len(run["runs_ms"]) == 1, name
    terminal = realistic["commands"]["pk today on a terminal"]
    assert terminal["terminal"] and terminal["output_lines"] > 0

    # --markdown prints the run's tables again from its JSON, for the README.
    again = subprocess.run(
        [sys.executable, str(BENCH), "--markdown", str(results)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() and again.stdout.strip() in done.stdout


def test_without_taskwarrior_or_memory_runs_every_row_says_why_it_is_skipped(
    tmp_path: Path,
) -> None:
    results = tmp_path / "results.json"
    argv = ["--sizes", "100", "--repeat", "1", "--heavy-repeat", "1", "--import-repeat", "1"]
    done = subprocess.run(
        [sys.executable, str(BENCH), *argv, "--memory-runs", "0", "--no-taskwarrior"]
        + ["--json", str(results)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr

    def no_nan(word: str) -> None:
        raise AssertionError(f"{word} in the JSON")

    data = json.loads(results.read_text(encoding="utf-8"), parse_constant=no_nan)
    verdicts = {(t["target"], t["issue"]): (t["verdict"], t["note"]) for t in data["targets"]}
    assert set(verdicts) == {(name, issue) for name, issue, _limit in ROWS}
    for name, issue, _limit in ROWS:
        verdict, note = verdicts[name, issue]
        if " task " in f"{name} ":
            assert (verdict, note) == ("SKIP", "--no-taskwarrior")
        elif "memory" in name:
            assert (verdict, note) == ("SKIP", "not measured (--memory-runs 0)")
        elif name.endswith("growth"):
            assert (verdict, note) == ("SKIP", "needs two sizes")
        else:
            assert verdict in ("PASS", "FAIL") and not note, name
    assert "| pk list vs task list (--no-taskwarrior) |" in done.stdout


def test_markdown_of_a_missing_file_is_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--markdown", str(tmp_path / "none.json")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert done.stderr.startswith("bench: cannot read") and "Traceback" not in done.stderr
