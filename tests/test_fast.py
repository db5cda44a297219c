"""`pk promise`, `keep`, `list` and `remind` without the Typer app (issue 13): the same bytes on
stdout and stderr, the same exit status and the same ledger as the app, in real processes,
for the forms the fast path answers and for those it hands to the app (help, usage errors,
questions). Its option table is generated from the app and must stay so. No timing here:
bench/run.py measures time."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import NOW
from conftest import run_code as run

ENTRY = "import sys; sys.argv[0] = 'pk'; from promisekeeper.face.entry import main; main()"
APP = "import sys; sys.argv[0] = 'pk'; from promisekeeper.face.cli import main; main()"
# The entry point, saying at exit whether it loaded Typer (the app) or not (the fast path).
PROBE = ENTRY.replace(
    "main()",
    "import atexit; atexit.register(lambda: sys.stderr.write("
    "'APP\\n' if 'typer' in sys.modules else 'FAST\\n')); main()",
)


def test_the_option_table_is_the_apps() -> None:
    from promisekeeper.face import fastgen

    written = fastgen.SPEC_FILE.read_text(encoding="utf-8")
    assert fastgen.source() == written, (
        "face/fastspec.py no longer matches the options of the Typer commands "
        f"{', '.join(fastgen.FAST_COMMANDS)}: regenerate it with "
        "`python -m promisekeeper.face.fastgen` (and commit it)"
    )


def test_the_table_knows_every_option_of_the_fast_commands() -> None:
    from promisekeeper.face.fastspec import COMMANDS

    assert set(COMMANDS["promise"]["options"]) >= {"--to", "-t", "--due", "-d", "--tag", "--db"}
    assert COMMANDS["promise"]["options"]["--to"] == ("to", "str", True)
    assert COMMANDS["keep"]["flags"]["--no-tell"] == ("tell_them", False)
    assert COMMANDS["remind"]["defaults"]["output_format"] == "text"
    assert all(
        "--help" not in c["flags"] and "--version" not in c["flags"] for c in COMMANDS.values()
    )


# -------------------------------------------------------------------------------------------------
# Both ways: the same bytes, the same status, the same ledger
# -------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ledger with promises open, late, at risk and kept, people and tags."""
    directory = tmp_path_factory.mktemp("seed")
    env = environment(directory / "ledger.db")
    made = [
        ["Send the numbers", "--to", "alice", "--due", "fri", "--tag", "q3"],
        ["Review the RFC", "--to", "bob", "--due", "tomorrow 9am"],
        ["Late thing", "--to", "carol", "--due", "2026-11-20 12:00", "--force"],
        ["Tricky \x1b[31mred\x1b[0m \u202etext", "--to", "dave", "--due", "2026-12-20"],
        ["Done already", "--to", "alice", "--due", "mon"],
    ]
    for args in made:
        done = run(APP, ["promise", *args], env)
        assert done.returncode == 0, done.stderr
    assert run(APP, ["keep", "5"], env).returncode == 0
    # #6-#8 with known uuids, for ids typed as the start of a uuid (tests/test_ids.py)
    known = [
        {"what": f"Known {n}", "to": "erin", "due": "2026-12-04T17:00:00+01:00", "uuid": uuid}
        for n, uuid in enumerate(KNOWN_UUIDS, start=6)
    ]
    (directory / "known.json").write_text(json.dumps(known), encoding="utf-8")
    assert run(APP, ["import", str(directory / "known.json")], env).returncode == 0
    return directory / "ledger.db"


KNOWN_UUIDS = [
    "3f9a1c2d-5e6f-4a0b-8c1d-2e3f4a5b6c7d",
    "3f9a7e01-aaaa-4bbb-8ccc-dddddddddddd",
    "31415926-53a8-4979-8323-846264338327",
]


def environment(db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PK_DEBUG", "CI", "NO_COLOR")}
    env.update(
        PK_DB=str(db), PK_CONFIG=str(db.with_name("config.toml")), PK_NOW=NOW, TZ="Europe/Berlin"
    )
    env.pop("COLUMNS", None)
    return env



def snapshot(db: Path) -> dict[str, Any]:
    """What the ledger holds, less what differs between any two runs (uuids, wall-clock
    times of changes, clock stamps)."""
    if not db.exists():
        return {}
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        tables = {
            "promises": "SELECT * FROM promises",
            "events": "SELECT id, promise_id, change_id, at_ts, kind, data FROM events",
            "changes": "SELECT id, command, undone_ts FROM changes",
            "people": "SELECT * FROM people",
            "promise_people": "SELECT * FROM promise_people",
        }
        found: dict[str, Any] = {}
        for name, query in tables.items():
            cursor = conn.execute(query + " ORDER BY 1, 2")
            columns = [c[0] for c in cursor.description]
            found[name] = [
                {c: _less_uuid(v) for c, v in zip(columns, row, strict=True) if c != "uuid"}
                for row in cursor
            ]
        return found
    finally:
        conn.close()


UUID = re.compile(rb'"uuid": "[0-9a-f-]{36}"')


def _less_uuid(value: Any) -> Any:
    """An event's data without the uuid of the promise it made."""
    if isinstance(value, str) and value.startswith("{"):
        data = json.loads(value)
        data.pop("uuid", None)
        return data
    return value


FORMS = {
    "promise": [
        ["promise", "Call the plumber", "--to", "erin", "--due", "fri"],
        [
            "promise",
            "fix",
            "the",
            "bug",
            "-t",
            "bob",
            "-t",
            "carol",
            "-d",
            "tomorrow 3pm",
            "--tag",
            "x",
            "--tag",
            "y",
            "--note",
            "sections 2-4",
            "--json",
        ],
        ["promise", "--to=alice", "--due=mon", "Interspersed", "words"],
        ["promise", "Effortful", "--to", "alice", "--due", "fri", "--effort", "2d"],
        ["promise", "Too late", "--to", "alice", "--due", "2026-11-20 12:00"],
        ["promise", "Back-filled", "--to", "alice", "--due", "2026-11-20 12:00", "--force"],
        ["promise", "Typo", "--to", "alicee", "--due", "fri"],
        ["promise", "Bad date", "--to", "alice", "--due", "someday soon"],
        ["promise", "Bad effort", "--to", "alice", "--due", "fri", "--effort", "lots"],
        ["promise", "No date", "--to", "alice"],
        ["promise", "--to", "alice", "--due", "fri"],
        ["promise", "X", "--to"],
        ["promise", "X", "-talice", "--due", "fri"],
        ["promise", "--", "-x", "--to", "a", "--due", "fri"],
        ["promise", "X", "--to", "alice", "--due", "fri", "--json=1"],
        ["promise", "--bogus"],
        ["promise", "--help"],
        ["--db", "{db}", "promise", "Global db", "--to", "alice", "--due", "fri"],
        ["promise", "Late db", "--to", "alice", "--due", "fri", "--db={db}"],
        ["promise", "Missing dir", "--to", "alice", "--due", "fri", "--db", "{missing}"],
        ["promise", "Twice", "--to", "alice", "--due", "mon", "--due", "fri", "--version"],
    ],
    "keep": [
        ["keep", "1"],
        ["keep", "#2", "--json"],
        ["keep", "1", "--at", "yesterday 16:00", "--note", "sent by mail"],
        ["keep", "1", "--no-tell", "-n", "done"],
        ["keep", "5"],
        ["keep", "99"],
        ["keep", "x"],
        ["keep", "0"],
        ["keep"],
        ["keep", "1", "2"],
        ["keep", "1", "--at", "someday"],
        ["keep", "1", "--tell"],
        ["keep", "--help"],
        ["keep", "3f9a1c"],
        ["keep", "3F9A-1C2D", "--json"],
        ["keep", "3f9a1c2d-5e6f-4a0b-8c1d-2e3f4a5b6c7d", "--note", "done"],
        ["keep", "u:3141"],
        ["keep", "3141"],
        ["keep", "3f9a"],
        ["keep", "beef"],
        ["keep", "abc"],
        ["keep", "u:\x1b[31m"],
        ["keep", "3f9a7e", "--db", "{db}"],
        ["keep", "3f9a7e", "--at", "someday"],
        ["keep", "beef", "--db", "{missing}"],
    ],
    "list": [
        ["list"],
        ["list", "--status", "all"],
        ["list", "-s", "kept", "--json"],
        ["list", "--to", "alice", "--status=all"],
        ["list", "--tag", "q3"],
        ["list", "--due-before", "fri"],
        ["list", "-t", "nobody"],
        ["list", "--status", "done"],
        ["list", "--due-before", "garbage"],
        ["list", "extra"],
        ["list", "--db", "{missing}"],
        ["--db={db}", "list", "--json"],
    ],
    "status": [
        ["status"],
        ["status", "--all"],
        ["status", "--json"],
        ["status", "--no-prompt", "--all", "--json"],
        ["--db", "{db}", "status"],
        ["status", "--db", "{missing}"],
        ["status", "extra"],
        ["status", "--bogus"],
        ["status", "--help"],
    ],
    "remind": [
        ["remind"],
        ["remind", "--format", "json"],
        ["remind", "-q"],
        ["remind", "--fail-if-due"],
        ["remind", "--within", "2d", "--no-record"],
        ["remind", "--record", "-f", "json", "--fail-if-due"],
        ["remind", "--within", "soon"],
        ["remind", "-f", "yaml"],
        ["remind", "--desktop"],
        ["remind", "--quiet=1"],
    ],
    "sync": [
        ["sync"],  # not set up: the one-line error, both ways
        ["sync", "--json"],
        ["sync", "--db", "{missing}"],
        ["sync", "status"],
        ["sync", "init"],
        ["sync", "--bogus"],
    ],
}
CASES = [args for forms in FORMS.values() for args in forms]


@pytest.mark.parametrize("args", CASES, ids=lambda a: " ".join(a).replace("\x1b", "ESC"))
def test_the_fast_path_does_what_the_app_does(seed: Path, tmp_path: Path, args: list[str]) -> None:
    db = tmp_path / "ledger.db"
    argv = [
        a.replace("{db}", str(db)).replace("{missing}", str(tmp_path / "no" / "x.db")) for a in args
    ]
    results = []
    for code in (PROBE, APP):
        shutil.copy(seed, db)
        db.with_name("ledger.db-checked").unlink(missing_ok=True)
        done = run(code, argv, environment(db))
        stderr = done.stderr
        if code == PROBE:  # less the probe's own last line
            stderr = stderr[: stderr.rstrip(b"\n").rfind(b"\n") + 1]
        stdout = UUID.sub(b'"uuid": "U"', done.stdout)  # a new promise's, random
        results.append((done.returncode, stdout, stderr, snapshot(db)))
    fast, whole = results
    assert fast[:3] == whole[:3]
    assert fast[3] == whole[3]
    assert whole[1] or whole[2] or args[0] == "remind"


def answered_by(args: list[str], seed: Path, tmp_path: Path) -> str:
    db = tmp_path / "ledger.db"
    shutil.copy(seed, db)
    done = run(PROBE, args, environment(db))
    return done.stderr.decode().splitlines()[-1]


@pytest.mark.parametrize(
    "args",
    [
        ["promise", "Call", "--to", "erin", "--due", "fri"],
        ["promise", "Call", "--to", "alicee", "--due", "fri", "--json"],
        ["keep", "1"],
        ["keep", "1", "--no-tell", "--json"],
        ["list"],
        ["list", "--status", "all", "--json"],
        ["status"],
        ["status", "--all", "--json"],
        ["remind"],
        ["remind", "--format", "json", "--fail-if-due"],
        ["keep", "99"],
        ["keep", "3F9A1C"],  # the start of a uuid, found by the fast path
        ["keep", "u:3141"],
        ["keep", "3f9a"],  # ambiguous: the one-line error, from the fast path too
        ["sync"],
        ["sync", "--json"],
    ],
)
def test_plain_forms_are_answered_without_the_app(seed: Path, tmp_path: Path, args) -> None:
    assert answered_by(args, seed, tmp_path) == "FAST"


@pytest.mark.parametrize(
    "args",
    [
        ["promise", "--help"],
        ["keep", "x"],
        ["keep", "abc"],  # too short for the start of a uuid: the app's usage error
        ["list", "--status", "done"],
        ["status", "extra"],
        ["status", "--help"],
        ["promise", "X"],
        ["keep", "1", "--tell"],
        ["remind", "--version"],
        ["sync", "status"],
        ["sync", "init", "x"],
        ["sync", "--help"],
    ],
)
def test_what_the_fast_path_does_not_understand_goes_to_the_app(
    seed: Path, tmp_path: Path, args
) -> None:
    assert answered_by(args, seed, tmp_path) == "APP"


def test_a_plain_sync_says_the_same_both_ways(seed: Path, tmp_path: Path) -> None:
    """`pk sync` with a real remote (nothing new, then one new promise to send), answered by
    the fast path and by the app: the same bytes."""
    db = tmp_path / "ledger.db"
    shutil.copy(seed, db)
    env = environment(db)
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    assert run(ENTRY, ["sync", "init", str(remote)], env).returncode == 0
    assert run(ENTRY, ["sync"], env).returncode == 0
    said = []
    for code in (PROBE, APP):
        for args in (["sync"], ["sync", "--json"]):
            done = run(code, args, env)
            stderr = done.stderr
            if code == PROBE:
                assert stderr.decode().splitlines()[-1] == "FAST"
                stderr = stderr[: stderr.rstrip(b"\n").rfind(b"\n") + 1]
            said.append((done.returncode, done.stdout, stderr))
        made = ["promise", f"Made before {len(said)}", "--to", "erin", "--due", "fri"]
        assert run(ENTRY, made, env).returncode == 0
        done = run(code, ["sync"], env)
        said.append((done.returncode, done.stdout, done.stderr.count(b"pk:")))
    fast, whole = said[:3], said[3:]
    assert fast == whole
    assert fast[0] == (
        0,
        f"Synced with {remote}: nothing new to send, nothing new from the other copies.\n".encode(),
        b"",
    )
    assert fast[2][1].startswith(f"Synced with {remote}: sent 1 record".encode())
