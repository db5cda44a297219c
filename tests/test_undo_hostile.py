"""Finding 9: undo takes back the change it was shown or told, never another process's.

Every test runs the installed `pk` in its own processes, as a user and their scripts would.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

PK = Path(sys.executable).parent / "pk"
needs_pk = pytest.mark.skipif(not PK.exists(), reason="needs the installed pk entry point")
pytestmark = needs_pk


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PK_")}
    environ.pop("CI", None)
    environ.update(
        PK_DB=str(tmp_path / "ledger.db"),
        PK_CONFIG=str(tmp_path / "config.toml"),
        PK_NOW="2026-11-23T10:00:00+01:00",
        TZ="Europe/Berlin",
        NO_COLOR="1",
    )
    return environ


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PK), *args],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def ok(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = run(env, *args)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def refused(done: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout == "" and done.stderr.startswith("pk: ") and done.stderr.count("\n") == 1
    for fragment in fragments:
        assert fragment in done.stderr, (fragment, done.stderr)


def changes(env: dict[str, str]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(ok(env, "undo", "--list", "--json").stdout)
    return found


def ledger(env: dict[str, str]) -> Any:
    return json.loads(ok(env, "export").stdout)["promises"]


def titles(env: dict[str, str]) -> set[str]:
    return {p["what"] for p in json.loads(ok(env, "list", "--status", "all", "--json").stdout)}


WRITER = """import json, subprocess, sys
for n in range(int(sys.argv[2])):
    done = subprocess.run([sys.argv[1], "promise", f"w{sys.argv[3]}-{n}", "--to", "bob",
                           "--due", "fri"], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)
    print(json.dumps([done.returncode, done.stdout, done.stderr]), flush=True)
"""


@pytest.mark.slow
def test_six_writers_and_an_undo_loop_lose_no_acknowledged_promise(
    env: dict[str, str], tmp_path: Path
) -> None:
    """Finding 9: while six writers each printed "Promised #N", a loop of `pk undo` took back
    their promises. With `pk undo --expect ID` (ID from `pk undo --list --json`), an undo takes
    back the change it saw or nothing: every acknowledged promise that was not in a change the
    loop saw and took back is still in the ledger."""
    ok(env, "promise", "seed", "--to", "bob", "--due", "fri")
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    writers = [
        subprocess.Popen(
            [sys.executable, str(script), str(PK), "6", str(w)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(6)
    ]
    undone: set[str] = set()
    outcomes = {"undone": 0, "refused": 0}
    after = 2  # rounds once the writers are done: then nothing races the undo
    while after:
        if all(w.poll() is not None for w in writers):
            after -= 1
        seen = changes(env)
        if not seen:
            continue
        expected = seen[0]
        done = run(env, "undo", "--expect", str(expected["change"]))
        if done.returncode == 0:
            outcomes["undone"] += 1
            shown = re.findall(r"#(\d+) (w\d+-\d+|seed) → bob: removed", done.stdout)
            # What it took back is exactly the change it expected.
            assert [int(i) for i, _ in shown] == expected["promises"], done.stdout
            undone |= {what for _, what in shown}
        else:
            outcomes["refused"] += 1
            refused(done, f"not change {expected['change']}; nothing undone")
    acknowledged: set[str] = set()
    for w, writer in enumerate(writers):
        out, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err
        for n, row in enumerate(out.splitlines()):
            code, stdout, stderr = json.loads(row)
            assert code == 0, stderr
            assert stdout.startswith("Promised #") and f" w{w}-{n} → bob" in stdout
            acknowledged.add(f"w{w}-{n}")
    assert len(acknowledged) == 36 and outcomes["undone"] >= 1, outcomes
    assert titles(env) == (acknowledged | {"seed"}) - undone


def test_the_terminal_preview_answer_is_tied_to_the_change_it_showed(
    env: dict[str, str],
) -> None:
    """Finding 9: `pk undo` on a terminal names the change and asks; another process records a
    change before the answer: nothing is undone, both promises stay."""
    pexpect = pytest.importorskip("pexpect")
    ok(env, "promise", "Send the numbers", "--to", "alice", "--due", "fri")
    child = pexpect.spawn(
        str(PK),
        ["undo"],
        env={**env, "TERM": "dumb"},
        encoding="utf-8",
        timeout=30,
        dimensions=(50, 160),
    )
    child.expect_exact("pk undo takes back change 1, `pk promise` of Mon 23 Nov 10:00, now:")
    child.expect_exact("#1 Send the numbers → alice: removed")
    child.expect_exact("Undo it? [y/N]:")
    ok(env, "promise", "Made meanwhile", "--to", "bob", "--due", "fri")
    child.sendline("y")
    child.expect_exact(
        "pk: the last change is now change 2 (`pk promise`), not change 1; nothing undone"
    )
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
    assert titles(env) == {"Send the numbers", "Made meanwhile"}


def test_expect_takes_back_only_the_named_last_change(env: dict[str, str]) -> None:
    """Finding 9: `pk undo --expect N` refuses, changing nothing, unless change N is last."""
    ok(env, "promise", "One", "--to", "alice", "--due", "fri")
    ok(env, "promise", "Two", "--to", "bob", "--due", "fri")
    before = ledger(env)
    refused(
        run(env, "undo", "--expect", "1"),
        "the last change is now change 2 (`pk promise`), not change 1; nothing undone",
    )
    assert ledger(env) == before
    done = ok(env, "undo", "--expect", "2")
    assert done.stdout.splitlines()[0] == "Undid `pk promise` of Mon 23 Nov 10:00, now (#2)"
    assert titles(env) == {"One"}


def test_list_names_the_changes_and_change_takes_back_one_further_back(
    env: dict[str, str],
) -> None:
    """Finding 9: `pk undo --list` shows the changes with their ids; `pk undo --change N` takes
    back change N alone, and refuses (nothing undone) when a later change built on it."""
    ok(env, "promise", "One", "--to", "alice", "--due", "fri")
    ok(env, "promise", "Two", "--to", "bob", "--due", "fri")
    ok(env, "keep", "1")
    listed = ok(env, "undo", "--list").stdout.splitlines()
    assert listed == [
        "Changes pk undo can take back, latest first:",
        "  change 3: `pk keep` of Mon 23 Nov 10:00, now (#1)",
        "  change 2: `pk promise` of Mon 23 Nov 10:00, now (#2)",
        "  change 1: `pk promise` of Mon 23 Nov 10:00, now (#1)",
        "pk undo takes back the first; pk undo --change N takes back change N.",
    ]
    assert [(c["change"], c["command"], c["promises"]) for c in changes(env)] == [
        (3, "keep", [1]),
        (2, "promise", [2]),
        (1, "promise", [1]),
    ]
    before = ledger(env)
    refused(
        run(env, "undo", "--change", "1"),
        "change 1 cannot be taken back on its own: change 3 (`pk keep`) changed #1 after it",
    )
    refused(run(env, "undo", "--change", "9"), "no change 9 that undo can take back")
    for usage in (["--json"], ["--list", "--yes"], ["--change", "2", "--expect", "3"]):
        assert run(env, "undo", *usage).returncode == 2  # a usage error, nothing undone
    assert ledger(env) == before
    shown = ok(env, "undo", "--change", "2", "--dry-run").stdout.splitlines()
    assert shown[0] == "pk undo would take back change 2, `pk promise` of Mon 23 Nov 10:00, now:"
    done = ok(env, "undo", "--change", "2")
    assert done.stdout.splitlines()[0] == "Undid `pk promise` of Mon 23 Nov 10:00, now (#2)"
    assert titles(env) == {"One"}
    statuses = json.loads(ok(env, "list", "--status", "all", "--json").stdout)
    assert [p["status"] for p in statuses] == ["kept"]  # the later keep stays
    assert [c["change"] for c in changes(env)] == [3, 1]


def test_a_change_from_another_ledger_is_taken_back_only_on_purpose(
    env: dict[str, str], tmp_path: Path
) -> None:
    """Finding 9: the last change came from another ledger (`pk import` of its export): plain
    `pk undo` stops and says so; `pk undo --change N` takes it back."""
    other = {**env, "PK_DB": str(tmp_path / "other.db")}
    ok(other, "promise", "From the laptop", "--to", "carol", "--due", "fri")
    export = tmp_path / "other.json"
    export.write_text(ok(other, "export").stdout)
    ok(env, "promise", "Mine", "--to", "alice", "--due", "fri")
    ok(env, "import", str(export))
    before = ledger(env)
    message = (
        "the last change, change 2 (`pk import` of Mon 23 Nov 10:00), came from another "
        "ledger; use pk undo --change 2 to take it back on purpose"
    )
    for args in (["undo"], ["undo", "--yes"], ["undo", "--dry-run"], ["undo", "--expect", "2"]):
        refused(run(env, *args), message)
    assert ledger(env) == before
    assert changes(env)[0] == {
        "change": 2,
        "command": "import",
        "at": "2026-11-23T09:00:00+00:00",
        "promises": [2],
        "other_ledger": True,
    }
    assert "(#2) (from another ledger)" in ok(env, "undo", "--list").stdout
    ok(env, "undo", "--change", "2")
    assert titles(env) == {"Mine"}
    assert "Undid `pk promise`" in ok(env, "undo").stdout  # this ledger's own change, as before
