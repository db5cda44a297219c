"""Hostile imports and out-of-range stored values, through the installed `pk` in real processes
(issue 12, finding 5 and the import parts of finding 14).

- Every event detail of an import is checked against the typed event model (types, time
  ranges, finite numbers, bounded lengths) before anything is written: a bad one is named by
  record, event and field in one line, and nothing of the file is imported.
- A value that is out of range in the ledger itself (written by an older or a tampered pk)
  never makes a read fail: the event reads as unreadable, the promise from its history, and
  `pk doctor` names it.
- A plain list of promises (no uuids) imported twice adds nothing the second time.
- An import that does not fit on the disk says so, and the ledger is as it was.
"""

from __future__ import annotations

import copy
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

BIN = Path(sys.executable).parent
PK = BIN / "pk"
NOW = "2026-11-23T10:00:00+01:00"
ZONES = ["Europe/Berlin", "Pacific/Kiritimati", "Etc/GMT+12", "America/New_York"]

pytestmark = pytest.mark.skipif(
    not PK.exists(), reason=f"the pk console script is not installed next to {sys.executable}"
)

# What a user reads with: none of these may fail because of what an import or an older pk put
# in the ledger. (doctor exits 1 when it finds a problem; it must still say what it found.)
READS = [
    ["list", "--status", "all"],
    ["list", "--json"],
    ["today"],
    ["status"],
    ["export"],
    ["people"],
    ["show", "1"],
    ["show", "1", "--json"],
    ["report"],
    ["trust"],
    ["trust", "alice"],
    ["stats"],
    ["remind"],
]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    environment = {
        k: v for k, v in os.environ.items() if k not in ("PK_DEBUG", "COLUMNS", "PK_NOW")
    }
    environment.update(
        PK_DB=str(tmp_path / "ledger.db"),
        PK_CONFIG=str(tmp_path / "config.toml"),
        PK_NOW=NOW,
        TZ="Europe/Berlin",
    )
    return environment


def run(env: dict[str, str], *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PK), *args],
        env={**env, **extra},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=60,
    )


def ok(env: dict[str, str], *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    result = run(env, *args, **extra)
    assert result.returncode == 0, (args, result.stdout[-500:], result.stderr[-500:])
    return result


def one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 1, (result.stdout[:500], result.stderr[:500])
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert result.stderr.startswith("pk: ") and result.stderr.count("\n") == 1, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)


def reads_work(env: dict[str, str], **extra: str) -> None:
    """Every read command answers; doctor answers too (0, or 1 naming a problem)."""
    for args in READS:
        result = run(env, *args, **extra)
        assert "internal error" not in result.stderr and "Traceback" not in result.stderr, (
            args,
            result.stderr,
        )
        assert result.returncode == 0, (args, extra, result.stderr)
    doctor = run(env, "doctor", **extra)
    assert doctor.returncode in (0, 1) and "internal error" not in doctor.stderr, doctor.stderr


@pytest.fixture
def exported(env: dict[str, str]) -> dict[str, Any]:
    """An export of a real promise with a full history (made, moved, notified, edited)."""
    ok(env, "promise", "Send the numbers", "--to", "alice", "--due", "fri")
    ok(env, "move", "1", "next mon", "--reason", "data late")
    ok(env, "notify", "1")
    ok(env, "edit", "1", "--what", "Send the Q3 numbers")
    document = json.loads(ok(env, "export").stdout)
    Path(env["PK_DB"]).unlink()
    for side in ("-wal", "-shm"):
        Path(env["PK_DB"] + side).unlink(missing_ok=True)
    return document


def with_event(document: dict[str, Any], kind: str, details: Any, **fields: Any) -> Path:
    """`document` with one more event on its first promise, written to a file."""
    crafted = copy.deepcopy(document)
    event = {"at": "2026-11-23T09:00:00+00:00", "kind": kind, "details": details, **fields}
    crafted["promises"][0]["history"].append(event)
    return write(crafted)


def write(document: Any, name: str = "crafted.json") -> Path:
    path = Path(PK_TMP[0]) / name
    path.write_text(json.dumps(document, allow_nan=True))
    return path


PK_TMP: list[str] = []


@pytest.fixture(autouse=True)
def _tmp(tmp_path: Path) -> Iterator[None]:
    PK_TMP[:] = [str(tmp_path)]
    yield


NOTIFIED = {
    "to": ["alice"],
    "channel": "print",
    "template": "heads-up",
    "subject": "s",
    "message": "m",
    "before_deadline": True,
}

# Each crafted detail, and the words the refusal must name (besides the record and event).
CRAFTED: dict[str, tuple[str, Any, str]] = {
    "snoozed until 1e300 (the original finding)": ("snoozed", {"until": 1e300}, "'until'"),
    "snoozed with the old until_ts": ("snoozed", {"until_ts": 1e300}, "'until'"),
    "snoozed past the year range": ("snoozed", {"until": "9999-12-31T23:59:59Z"}, "out of range"),
    "moved to year 1": (
        "moved",
        {"from": "2026-11-30T16:00:00Z", "to": "0001-01-01T00:00:00-05:00"},
        "'to' is out of range",
    ),
    "kept at year 1 in New York": (
        "kept",
        {"closed_at": "0001-01-01T00:00:00-05:00"},
        "'closed_at' is out of range",
    ),
    "edited old value a nested list": (
        "edited",
        {"changes": {"what": [[1, 2], "x"]}},
        "'what (old value)' must be a string",
    ),
    "edited old people a number": (
        "edited",
        {"changes": {"to": [5, ["bob"]]}},
        "'to (old value)' must be a list of strings",
    ),
    "edited old tags a string": (
        "edited",
        {"changes": {"tags": ["abc", ["t"]]}},
        "'tags (old value)' must be a list",
    ),
    "edited old effort not a number": (
        "edited",
        {"changes": {"effort": ["x", 3600]}},
        "'effort (old value)' must be whole seconds",
    ),
    "edited old effort NaN": (
        "edited",
        {"changes": {"effort": [float("nan"), 3600]}},
        "'effort (old value)'",
    ),
    "edited old effort 1e308": (
        "edited",
        {"changes": {"effort": [1e308, 3600]}},
        "'effort (old value)'",
    ),
    "notified to numbers": ("notified", {**NOTIFIED, "to": [1, 2]}, "'to' must be a list"),
    "notified channel a megabyte": (
        "notified",
        {**NOTIFIED, "channel": "x" * 1000},
        "'channel' is too long",
    ),
    "notified to a name of a megabyte": (
        "notified",
        {**NOTIFIED, "to": ["a" * 5000]},
        "'to' holds a name that is too long",
    ),
    "reminded standing a megabyte": (
        "reminded",
        {"standing": "x" * 1000},
        "'standing' is too long",
    ),
    "note of three megabytes": ("note", {"text": "x" * 3_000_000}, "'text' is too long"),
    "move reason of three megabytes": (
        "moved",
        {"from": "2026-11-30T16:00:00Z", "to": "2026-12-01T16:00:00Z", "reason": "x" * 3_000_000},
        "'reason' is too long",
    ),
    "broken reason a number": ("broken", {"reason": 5}, "'reason' must be a string"),
    "nudged to numbers": (
        "nudged",
        {"to": [1, 2], "channel": "print", "subject": "s", "message": "m"},
        "'to' must be a list",
    ),
    "nudged reason of three megabytes": (
        "nudged",
        {
            "to": ["bob"],
            "channel": "print",
            "subject": "s",
            "message": "m",
            "reason": "x" * 3_000_000,
        },
        "'reason' is too long",
    ),
}


@pytest.mark.parametrize("case", list(CRAFTED))
def test_a_crafted_event_detail_is_refused_naming_record_event_and_field(
    env: dict[str, str], exported: dict[str, Any], case: str
) -> None:
    """Finding 5: a crafted detail is refused before anything is written, in one line naming
    the record, the event (its position and kind) and the field; nothing is imported and every
    read still works."""
    ok(env, "promise", "Already here", "--to", "bob", "--due", "fri")
    before = ok(env, "export").stdout
    kind, details, words = CRAFTED[case]
    result = run(env, "import", str(with_event(exported, kind, details)))
    position = len(exported["promises"][0]["history"])
    one_line_error(result, "record 0", f"event {position} ({kind})", words, "nothing imported")
    assert ok(env, "export").stdout == before


def test_an_event_time_out_of_range_is_refused(
    env: dict[str, str], exported: dict[str, Any]
) -> None:
    """Finding 5: the time of an event itself is checked like the times in its details."""
    path = with_event(exported, "note", {"text": "x"}, at="9999-12-31T23:59:59+00:00")
    one_line_error(run(env, "import", str(path)), "event 4 (note)", "'at' is out of range")
    assert not run(env, "list", "--status", "all", "--json").stdout.strip("[]\n ")


@pytest.mark.parametrize("zone", ZONES)
def test_times_at_the_edges_of_the_range_import_and_read_in_every_zone(
    env: dict[str, str], exported: dict[str, Any], zone: str
) -> None:
    """Finding 5: the first and last second of the year range, in UTC, are shown in zones 14
    hours ahead and 12 behind (local years 9999 and 1899) by every read command."""
    crafted = copy.deepcopy(exported)
    history = crafted["promises"][0]["history"]
    history.append(
        {
            "at": "2026-11-23T09:00:00Z",
            "kind": "moved",
            "details": {"from": "2026-11-30T16:00:00Z", "to": "9998-12-31T23:59:59Z"},
        }
    )
    history.append(
        {
            "at": "2026-11-23T09:00:00Z",
            "kind": "snoozed",
            "details": {"until": "9998-12-31T23:59:59Z"},
        }
    )
    second = copy.deepcopy(exported["promises"][0])
    second["uuid"] = "edge-1900"
    second["history"] = [second["history"][0]]
    made = second["history"][0]
    made["at"] = "1900-01-01T00:00:00Z"
    made["details"].update(
        uuid="edge-1900", made="1900-01-01T00:00:00Z", due="1900-01-01T00:00:01Z"
    )
    made.pop("uuid", None)
    second["history"].append(
        {
            "at": "1900-01-01T00:00:00Z",
            "kind": "kept",
            "details": {"closed_at": "1900-01-01T00:00:00Z"},
        }
    )
    crafted["promises"].append(second)
    ok(env, "import", str(write(crafted)), TZ=zone)
    reads_work(env, TZ=zone)
    assert "9998-12-31" in ok(env, "show", "1", "--json", TZ=zone).stdout


# -------------------------------------------------------------------------------------------------
# Values out of range in the ledger itself
# -------------------------------------------------------------------------------------------------
TAMPERED = {
    "snoozed until 1e300": "UPDATE events SET kind = 'snoozed', data = '{\"until\": 1e300}' "
    "WHERE id = 3",
    "snoozed past the range": "UPDATE events SET kind = 'snoozed', "
    'data = \'{"until": "9999-12-31T23:59:59+00:00"}\' WHERE id = 3',
    "details not JSON": "UPDATE events SET data = 'not json' WHERE id = 2",
    "event time 1e300": "UPDATE events SET at_ts = 1e300 WHERE id = 2",
    "event time in year 9999": "UPDATE events SET at_ts = 253402300799 WHERE id = 2",
    "event time in year 1": "UPDATE events SET at_ts = -62135596800 WHERE id = 2",
    "event time a word": "UPDATE events SET at_ts = 'abc' WHERE id = 2",
    "event clock a word": "UPDATE events SET clock = 'abc' WHERE id = 2",
    "due 1e300": "UPDATE promises SET due_ts = 1e300 WHERE id = 1",
    "due in year 9999": "UPDATE promises SET due_ts = 253402300799 WHERE id = 1",
    "made in year 1": "UPDATE promises SET made_ts = -62135596800 WHERE id = 1",
    "tags not JSON": "UPDATE promises SET tags = 'xx' WHERE id = 1",
    "effort 1e300": "UPDATE promises SET effort_s = 1e300 WHERE id = 1",
    "effort of a million years": "UPDATE promises SET effort_s = 99999999999999 WHERE id = 1",
    "moved late by a million years": "UPDATE promises SET moved_late_s = 99999999999999 "
    "WHERE id = 1",
    "move to year 1": "UPDATE events SET data = "
    '\'{"from": "0001-01-01T00:00:00+00:00", "to": "2026-11-30T16:00:00+00:00"}\' '
    "WHERE id = 2",
    "edited old value a nested list": "UPDATE events SET kind = 'edited', "
    'data = \'{"changes": {"what": [[1,2], "x"]}}\' WHERE id = 3',
}


@pytest.fixture
def ledger(env: dict[str, str]) -> dict[str, str]:
    """#1 made, moved (event 2), told (event 3); #2 kept."""
    ok(env, "promise", "Send the numbers", "--to", "alice", "--due", "fri")
    ok(env, "move", "1", "next mon", "--reason", "data late")
    ok(env, "notify", "1")
    ok(env, "promise", "Book the venue", "--to", "bob", "--due", "tue")
    ok(env, "keep", "2")
    return env


def tamper(env: dict[str, str], sql: str) -> None:
    conn = sqlite3.connect(env["PK_DB"])
    with conn:
        conn.execute(sql)
    conn.close()


@pytest.mark.parametrize("zone", ["Europe/Berlin", "Pacific/Kiritimati"])
@pytest.mark.parametrize("case", list(TAMPERED))
def test_a_stored_value_out_of_range_never_breaks_a_read(
    ledger: dict[str, str], case: str, zone: str
) -> None:
    """Finding 5: a value pk never writes, in a row or an event of the ledger (an older or a
    tampered pk), leaves every read working, the export rescue included; doctor names #1."""
    tamper(ledger, TAMPERED[case])
    reads_work(ledger, TZ=zone)
    exported = json.loads(ok(ledger, "export", TZ=zone).stdout)
    assert {p["id"] for p in exported["promises"]} == {1, 2}
    doctor = run(ledger, "doctor", TZ=zone)
    assert doctor.returncode == 1 and "#1" in doctor.stdout, doctor.stdout


# -------------------------------------------------------------------------------------------------
# Finding 14: a full disk
# -------------------------------------------------------------------------------------------------
@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MB tmpfs to hold the ledger (needs root; skipped, with the reason, otherwise)."""
    place = tmp_path / "small"
    place.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(place)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs: {mounted.stderr.strip() or 'refused'}")
    try:
        yield place
    finally:
        subprocess.run(["umount", "-l", str(place)], capture_output=True)


def test_an_import_that_does_not_fit_on_the_disk_says_so(
    env: dict[str, str], small_disk: Path, tmp_path: Path
) -> None:
    """Finding 14: an import that fills the disk names the real problem (no space left), not
    "cannot rollback - no transaction is active", and the ledger is as it was."""
    env = {**env, "PK_DB": str(small_disk / "ledger.db")}
    ok(env, "promise", "Send the numbers", "--to", "alice", "--due", "fri")
    before = ok(env, "export").stdout
    records = [
        {"what": f"promise {n} " + "y" * 3000, "to": "bob", "due": "2026-12-01T16:00:00Z"}
        for n in range(400)
    ]
    source = tmp_path / "big.json"
    source.write_text(json.dumps(records))
    result = run(env, "import", str(source))
    one_line_error(result, "no space left", "while importing", "nothing was imported")
    assert "rollback" not in result.stderr
    assert ok(env, "export").stdout == before
    assert run(env, "doctor").returncode == 0


# -------------------------------------------------------------------------------------------------
# Finding 14: a plain list imported twice
# -------------------------------------------------------------------------------------------------
def test_a_plain_list_without_uuids_imported_twice_adds_nothing_the_second_time(
    env: dict[str, str], tmp_path: Path
) -> None:
    """Finding 14: records without uuids are matched on what, people (any case, any order) and
    due, and made when given; the second import says which are already present and counts
    them, and a record that differs is still imported."""
    records = [
        {"what": "Send the numbers", "to": ["Alice", "bob"], "due": "2026-12-01T16:00:00Z"},
        {
            "what": "Book the venue",
            "to": "carol",
            "due": "2026-12-02T16:00:00Z",
            "made": "2026-11-20T09:00:00Z",
        },
    ]
    source = tmp_path / "plain.json"
    source.write_text(json.dumps(records))
    assert ok(env, "import", str(source)).stdout.startswith("Imported 2 promises")
    again = [{**records[0], "to": ["BOB", "alice"]}, records[1], {**records[1], "due": "fri"}]
    again[2]["due"] = "2026-12-03T16:00:00Z"
    source.write_text(json.dumps(again))
    second = ok(env, "import", str(source), PK_NOW="2026-11-25T10:00:00+01:00")
    assert second.stdout.startswith("Imported 1 promise (2 already in the ledger, skipped)")
    assert "record 0 already present as #1" in second.stdout
    assert "record 1 already present as #2" in second.stdout
    listed = json.loads(ok(env, "list", "--status", "all", "--json").stdout)
    assert sorted(p["what"] for p in listed) == [
        "Book the venue",
        "Book the venue",
        "Send the numbers",
    ]


@pytest.mark.parametrize("direction", ["theirs", 1, None, ["owed"]])
def test_a_plain_record_whose_direction_is_not_one_is_refused(
    env: dict[str, str], tmp_path: Path, direction: Any
) -> None:
    """A promise is yours ("mine") or owed to you ("owed"): anything else is refused in one
    line, and nothing is imported (null, like a missing key, means yours)."""
    record = {"what": "x", "to": "bob", "due": "2026-12-01T16:00:00Z", "direction": direction}
    source = tmp_path / "plain.json"
    source.write_text(json.dumps([record]))
    result = run(env, "import", str(source))
    if direction is None:
        assert result.returncode == 0, result.stderr
        assert json.loads(ok(env, "list", "--mine", "--json").stdout)[0]["direction"] == "mine"
        return
    one_line_error(result, "record 0", "'direction' must be", "nothing imported")
    assert json.loads(ok(env, "list", "--status", "all", "--json").stdout) == []
