"""Deterministic convergence (issue 15): three ledgers change the same promises without seeing
each other, exchange their records (services.replica: outgoing, merge) in any order, and end up
holding the same ledger, as `pk export` shows it (local ids aside).

The changes are made through the CLI, as a user makes them; the exchange goes through the two
functions `pk sync` is built on.
"""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from itertools import permutations
from pathlib import Path
from typing import Any

import pytest
from conftest import NOW, Pk
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_checks import assert_sound

from promisekeeper.model.errors import PkError
from promisekeeper.model.events import clock_from_text, clock_text
from promisekeeper.services.ledger import Ledger
from promisekeeper.services.replica import Merged, merge, outgoing

START = datetime.fromisoformat(NOW).astimezone(UTC)


def at(minutes: int) -> str:
    """PK_NOW `minutes` after the tests' now."""
    return (datetime.fromisoformat(NOW) + timedelta(minutes=minutes)).isoformat()


def records_of(path: Path, after: int = 0) -> list[dict[str, Any]]:
    """A replica's outgoing records, as they travel (through JSON text)."""
    ledger = Ledger(path, now=START)
    try:
        found, _marker = outgoing(ledger, after)
    finally:
        ledger.close()
    return json.loads(json.dumps(found))


def merge_into(path: Path, records: list[dict[str, Any]]) -> Merged:
    ledger = Ledger(path, now=START)
    try:
        return merge(ledger, records)
    finally:
        ledger.close()


def send(source: Path, target: Path) -> Merged:
    return merge_into(target, records_of(source))


def _differences(one: Any, two: Any, where: str = "") -> list[str]:
    """Where two exports differ (for a readable failure)."""
    if isinstance(one, dict) and isinstance(two, dict):
        return [
            d
            for key in sorted(set(one) | set(two), key=str)
            for d in _differences(one.get(key), two.get(key), f"{where}.{key}")
        ]
    if isinstance(one, list) and isinstance(two, list) and len(one) == len(two):
        pairs = enumerate(zip(one, two, strict=True))
        return [d for i, (x, y) in pairs for d in _differences(x, y, f"{where}[{i}]")]
    return [] if one == two else [f"{where}: {one!r} != {two!r}"[:300]]


def same(*documents: dict[str, Any]) -> None:
    for other in documents[1:]:
        assert _differences(documents[0], other) == []


def exported(pk: Pk, path: Path) -> dict[str, Any]:
    """The export, local ids aside: promises by uuid."""
    result = pk("--db", str(path), "export")
    assert result.exit_code == 0, result.stderr
    document = result.json
    document.pop("exported_at")
    promises = {}
    for promise in document.pop("promises"):
        promise.pop("id")
        promises[promise["uuid"]] = promise
    document["promises"] = promises
    return document


@pytest.fixture
def three(tmp_path: Path) -> list[Path]:
    return [tmp_path / f"{name}.db" for name in "abc"]


def by_uuid(pk: Pk, path: Path) -> dict[str, int]:
    listed = pk("--db", str(path), "list", "--status", "all", "--json").json
    return {p["what"]: p["id"] for p in listed}


# -------------------------------------------------------------------------------------------------
# Conflicting changes through the CLI, exchanged in several orders
# -------------------------------------------------------------------------------------------------
def _conflicts(ok: Pk, a: Path, b: Path, c: Path) -> dict[str, str]:
    """Three promises made on A and shared; then, unseen by each other: B keeps #1 and A
    moves it after; A and B edit what #2 is while C adds a note to it; A deletes #3 while C notes
    it; C notes #1, shares that with B, and undoes it; A and B set alice's details."""
    A, B, C = (("--db", str(p)) for p in (a, b, c))
    ok(*A, "promise", "Send the numbers", "--to", "alice", "--due", "fri")
    ok(*A, "promise", "Review the RFC", "--to", "bob", "--due", "fri")
    ok(*A, "promise", "Book the venue", "--to", "carol", "--due", "fri")
    ok(*A, "person", "alice", "--email", "alice@example.com")
    uuids = {p["what"]: p["uuid"] for p in ok(*A, "list", "--json").json}
    send(a, b)
    send(a, c)
    ok(*B, "keep", "1", now=at(20))
    ok(*A, "move", "1", "next tue", "--reason", "figures late", now=at(25))
    ok(*A, "edit", "2", "--what", "Review RFC 12", now=at(30))
    ok(*B, "edit", "2", "--what", "Review RFC 12 and 13", now=at(40))
    ok(*C, "edit", "2", "--note", "sections 2-4", now=at(15))
    ok(*A, "delete", "3", "--yes", now=at(50))
    ok(*C, "note", "3", "the venue called back", now=at(55))
    ok(*C, "note", "1", "a typo", now=at(60))
    send(c, b)
    ok(*C, "undo", "--yes", now=at(65))
    ok(*A, "person", "alice", "--handle", "@alice", now=at(70))
    ok(*B, "person", "alice", "--email", "alice@work.example", now=at(80))
    return uuids


# A replica's records are its own, so everyone has heard from everyone once each ordered pair
# has exchanged; these orders do so in different sequences (and some pairs more than once).
PAIRS = [("a", "b"), ("a", "c"), ("b", "a"), ("b", "c"), ("c", "a"), ("c", "b")]
ORDERS = {
    "forward": PAIRS,
    "backward": PAIRS[::-1],
    "interleaved": [PAIRS[i] for i in (3, 0, 5, 1, 4, 2)],
    "with repeats": [PAIRS[i] for i in (5, 5, 2, 0, 3, 1, 2, 4, 0)],
}


def test_three_ledgers_converge_whatever_the_order(
    ok: Pk, pk: Pk, three: list[Path], tmp_path: Path
) -> None:
    a, b, c = three
    uuids = _conflicts(ok, a, b, c)
    results = []
    for name, order in ORDERS.items():
        # Each order starts from the same three ledgers (copies made with pk backup).
        copies = {}
        for source in three:
            copy = tmp_path / name / source.name
            copy.parent.mkdir(exist_ok=True)
            ok("--db", str(source), "backup", str(copy))
            copies[source.stem] = copy
        for source, target in order:
            send(copies[source], copies[target])
        documents = [exported(pk, copies[n]) for n in "abc"]
        assert documents[0] == documents[1] == documents[2], name
        results.append(documents[0])
        for copy in copies.values():
            assert_sound(copy)
    assert all(result == results[0] for result in results)
    promises = results[0]["promises"]
    # Move vs keep: the keep stands, on the date in force when it was kept; the move is in
    # the history only.
    numbers = promises[uuids["Send the numbers"]]
    assert (numbers["status"], numbers["due"], numbers["moves"]) == (
        "kept",
        numbers["original_due"],
        0,
    )
    assert [e["kind"] for e in numbers["history"]] == ["made", "kept", "moved"]
    # Edit vs edit: the later one wins, field by field (C's note stays).
    rfc = promises[uuids["Review the RFC"]]
    assert (rfc["what"], rfc["note"]) == ("Review RFC 12 and 13", "sections 2-4")
    # Delete vs note: deleted; the note is in its history.
    venue = promises[uuids["Book the venue"]]
    assert venue["deleted_at"] is not None
    assert [e["kind"] for e in venue["history"]] == ["made", "deleted", "note"]
    # The undone note is nowhere, though B had it before the undo.
    assert all(e["details"].get("text") != "a typo" for e in numbers["history"])
    # Alice's details: the latest snapshot, whole (B set them last, without A's handle).
    [alice] = [p for p in results[0]["people"] if p["name"] == "alice"]
    assert (alice["email"], alice["handle"]) == ("alice@work.example", None)


def test_an_undo_travels_and_the_event_never_comes_back(
    ok: Pk, pk: Pk, three: list[Path]
) -> None:
    a, b, c = three
    ok("--db", str(a), "promise", "Send the numbers", "--to", "alice", "--due", "fri")
    ok("--db", str(a), "note", "1", "draft done", now=at(5))
    send(a, b)
    old = records_of(a)  # what A said before the undo: the note is in it
    ok("--db", str(a), "undo", "--yes", now=at(10))
    send(a, b)
    assert [e["kind"] for e in exported(pk, b)["promises"].popitem()[1]["history"]] == ["made"]
    # The old records arriving late, here or on a third ledger, bring nothing back.
    merge_into(b, old)
    merge_into(c, old)
    send(a, c)
    assert exported(pk, a) == exported(pk, b) == exported(pk, c)
    undo = [r for r in records_of(a) if r["type"] == "undo"]
    assert len(undo) == 1 and len(undo[0]["events"]) == 1


def test_undoing_the_making_takes_the_promise_back_everywhere(
    ok: Pk, pk: Pk, three: list[Path]
) -> None:
    a, b, c = three
    ok("--db", str(a), "promise", "Oops", "--to", "alice", "--due", "fri")
    send(a, b)
    ok("--db", str(b), "note", "1", "B saw it", now=at(5))
    ok("--db", str(a), "undo", "--yes", now=at(10))
    for source, target in permutations(three, 2):
        send(source, target)
    for path in three:
        assert exported(pk, path)["promises"] == {}
        assert_sound(path)


def test_an_event_before_the_making_of_its_promise_waits_for_it(
    ok: Pk, pk: Pk, three: list[Path]
) -> None:
    a, b, c = three
    ok("--db", str(a), "promise", "Send the numbers", "--to", "alice", "--due", "fri")
    send(a, b)
    ok("--db", str(b), "note", "1", "on it", now=at(5))
    waited = send(b, c)  # C hears of the note before it hears of the promise
    assert (waited.waiting, waited.promises) == (1, 0)
    assert exported(pk, c)["promises"] == {}
    arrived = send(a, c)
    assert (arrived.promises, arrived.waiting) == (1, 0)
    same(exported(pk, c), exported(pk, b))


def test_concurrent_checkpoints_and_a_tick_that_names_its_checkpoint(
    ok: Pk, pk: Pk, three: list[Path]
) -> None:
    a, b, _c = three
    ok("--db", str(a), "promise", "Ship the deck", "--to", "alice", "--due", "fri")
    send(a, b)
    ok("--db", str(b), "checkpoint", "1", "numbers", "--by", "wed", now=at(5))
    ok("--db", str(a), "checkpoint", "1", "draft", "--by", "thu", now=at(10))
    ok("--db", str(a), "keep", "1", "--checkpoint", "1", now=at(15))  # A's only: "draft"
    send(a, b)
    send(b, a)
    for path in (a, b):
        [deck] = exported(pk, path)["promises"].values()
        assert [(c["what"], c["done_at"] is not None) for c in deck["checkpoints"]] == [
            ("numbers", False),
            ("draft", True),
        ]
    assert exported(pk, a) == exported(pk, b)


def test_series_and_their_stops_travel(ok: Pk, pk: Pk, three: list[Path]) -> None:
    a, b, c = three
    ok("--db", str(a), "promise", "Weekly status", "--to", "alice", "--every", "monday 10am")
    send(a, b)
    assert [s["stopped_at"] for s in exported(pk, b)["series"]] == [None]
    ok("--db", str(a), "stop", "1", now=at(5))
    send(a, b)
    assert exported(pk, b)["series"][0]["stopped_at"] is not None
    # Undoing the stop on A reopens it everywhere; a stop on C that did not see the undo
    # wins over it.
    send(a, c)
    ok("--db", str(a), "undo", "--yes", now=at(10))
    send(a, b)
    assert exported(pk, b)["series"][0]["stopped_at"] is None
    for source, target in permutations(three, 2):
        send(source, target)
    assert exported(pk, a) == exported(pk, b) == exported(pk, c)
    # Undoing its beginning takes the series and its occurrences back everywhere.
    ok("--db", str(a), "undo", "--yes", now=at(15))
    for source, target in permutations(three, 2):
        send(source, target)
    for path in three:
        document = exported(pk, path)
        assert (document["series"], document["promises"]) == ([], {})


def test_a_stop_wins_over_a_concurrent_undo_of_another_stop(
    ok: Pk, pk: Pk, three: list[Path]
) -> None:
    a, b, c = three
    ok("--db", str(a), "promise", "Weekly status", "--to", "alice", "--every", "monday 10am")
    send(a, b)
    send(a, c)  # C sees the series running
    ok("--db", str(a), "stop", "1", now=at(5))
    ok("--db", str(c), "stop", "1", now=at(15))  # C stops it too, not knowing of A's stop
    ok("--db", str(a), "undo", "--yes", now=at(20))  # A takes back its own stop, later
    for source, target in [*permutations(three, 2), *permutations(three, 2)]:
        send(source, target)
    documents = [exported(pk, path) for path in three]
    assert documents[0] == documents[1] == documents[2]
    # A's undo reopened the stop it saw, not C's: the series stays stopped, as C stopped it.
    assert documents[0]["series"][0]["stopped_at"] == "2026-11-23T09:15:00+00:00"


# -------------------------------------------------------------------------------------------------
# merge: idempotent, all or nothing, the clock
# -------------------------------------------------------------------------------------------------
def test_merging_twice_changes_nothing(ok: Pk, pk: Pk, three: list[Path]) -> None:
    a, b, _c = three
    _conflicts(ok, *three)
    records = records_of(a) + records_of(three[2])
    merge_into(b, records)
    before = exported(pk, b)
    changes = sqlite3.connect(b).execute("SELECT count(*) FROM changes").fetchone()
    again = merge_into(b, records)
    assert again.nothing
    assert exported(pk, b) == before
    assert sqlite3.connect(b).execute("SELECT count(*) FROM changes").fetchone() == changes


BAD = {
    "not an object": [],
    "unknown type": {"type": "teleport"},
    "event without a clock": "clock",
    "event with a bad kind": "kind",
    "event whose detail is wrong": "details",
    "making another promise": "promise",
    "undo without events": {"type": "undo", "uuid": "u", "replica": "r", "clock": "1.0"},
    "person with a bad channel": {
        "type": "person", "replica": "r", "clock": "1.0", "name": "x", "channel": "pigeon",
    },
    "series with a bad rule": {
        "type": "series", "replica": "r", "clock": "1.0", "uuid": "s", "what": "x",
        "to": ["a"], "rule": "whenever", "start": "2026-11-30T10:00", "made": NOW,
    },
}  # fmt: skip


@pytest.mark.parametrize("bad", BAD, ids=list(BAD))
def test_one_bad_record_changes_nothing(ok: Pk, pk: Pk, three: list[Path], bad: str) -> None:
    a, b, _c = three
    ok("--db", str(a), "promise", "Send the numbers", "--to", "alice", "--due", "fri")
    ok("--db", str(b), "promise", "Review the RFC", "--to", "bob", "--due", "fri")
    ok("--db", str(a), "person", "alice", "--email", "alice@example.com")
    records = records_of(a)
    record = BAD[bad]
    if isinstance(record, str):
        record = dict(records[0])
        if bad == "event without a clock":
            del record["clock"]
        elif bad == "event with a bad kind":
            record["kind"] = "teleported"
        elif bad == "event whose detail is wrong":
            record["details"] = {**record["details"], "due": "soon"}
        else:
            record["promise"] = "another"
    records.insert(1, record)
    before = exported(pk, b)
    with pytest.raises(PkError) as raised:
        merge_into(b, records)
    assert str(raised.value).startswith("record 1: ") and "nothing merged" in str(raised.value)
    assert "\n" not in str(raised.value)
    assert exported(pk, b) == before


def test_the_clock_moves_past_every_stamp_seen(ok: Pk, three: list[Path]) -> None:
    a, b, _c = three
    ok("--db", str(a), "person", "alice", "--email", "alice@example.com")
    [record] = records_of(a)
    ahead = clock_from_text(record["clock"]) + (3600_000 << 16)  # an hour ahead of B's clock
    merge_into(b, [{**record, "clock": clock_text(ahead)}])
    ok("--db", str(b), "promise", "Send the numbers", "--to", "alice", "--due", "fri")
    [made] = [r for r in records_of(b) if r["type"] == "event"]
    assert clock_from_text(made["clock"]) > ahead


def test_outgoing_gives_what_is_new_since_the_marker(ok: Pk, three: list[Path]) -> None:
    a, _b, _c = three
    assert outgoing(Ledger(a, now=START), 0) == ([], 0)  # no ledger yet: nothing, none made
    assert not a.exists()
    ok("--db", str(a), "promise", "Send the numbers", "--to", "alice", "--due", "fri")
    first, marker = outgoing(Ledger(a, now=START), 0)
    assert [r["kind"] for r in first] == ["made"]
    assert outgoing(Ledger(a, now=START), marker) == ([], marker)
    ok("--db", str(a), "note", "1", "x", now=at(5))
    ok("--db", str(a), "undo", "--yes", now=at(6))
    ok("--db", str(a), "person", "alice", "--email", "alice@example.com", now=at(7))
    later, newer = outgoing(Ledger(a, now=START), marker)
    assert [r["type"] for r in later] == ["undo", "person"] and newer > marker
    clocks = [r["clock"] for r in later]
    assert clocks == sorted(clocks)


# -------------------------------------------------------------------------------------------------
# Random operations on three replicas, random exchanges
# -------------------------------------------------------------------------------------------------
OPS = st.lists(
    st.tuples(
        st.integers(0, 2),  # which replica
        st.sampled_from(
            ["make", "keep", "move", "edit", "note", "delete", "undo", "reopen", "break",
             "checkpoint", "tick", "person", "series", "stop", "repeat", "send", "send"]
        ),  # fmt: skip
        st.integers(0, 5),  # which promise (or checkpoint, or pair of replicas)
    ),
    min_size=1,
    max_size=30,
)
PAIRS_BY_INDEX = list(permutations(range(3), 2))


def _act(ledger: Ledger, op: str, n: int, step: int) -> None:
    """One operation on one replica; what it refuses (a closed promise, nothing to undo) is
    refused as a user would see it, and changes nothing."""
    promises = ledger.list(status="all")
    target = promises[n % len(promises)].id if promises else None
    now = ledger.now
    try:
        if op == "series":
            ledger.make_series(f"series {step}", ["bob"], "every day at 10:00")
        elif op == "repeat":
            ledger.repeat_due()
        elif op == "make" or target is None:
            ledger.make(f"promise {step}", ["alice"], now + timedelta(days=3))
        elif op == "keep":
            ledger.keep(target)
        elif op == "move":
            ledger.move(target, now + timedelta(days=4, hours=n), reason="later")
        elif op == "edit":
            ledger.edit(target, what=f"edited {step}")
        elif op == "note":
            ledger.add_note(target, f"note {step}")
        elif op == "delete":
            ledger.delete(target)
        elif op == "undo":
            ledger.undo()
        elif op == "reopen":
            ledger.reopen(target)
        elif op == "break":
            ledger.settle(target, "broken")
        elif op == "checkpoint":
            ledger.add_checkpoint(target, f"step {step}", now + timedelta(hours=12))
        elif op == "tick":
            ledger.keep_checkpoint(target, 1 + n % 2)
        elif op == "stop":
            ledger.stop(target)
        elif op == "person":
            ledger.save_person("alice", email=f"alice{step}@example.com")
    except PkError:
        pass


def _send(paths: list[Path], pair: tuple[int, int], markers: dict[Any, int]) -> None:
    """What `pk sync` does for one pair: the source's records since the marker the target
    last got, merged into the target."""
    source, target = pair
    if not paths[source].exists():
        return
    ledger = Ledger(paths[source], now=START)
    try:
        records, markers[pair] = outgoing(ledger, markers.get(pair, 0))
    finally:
        ledger.close()
    merge_into(paths[target], json.loads(json.dumps(records)))


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(ops=OPS, order=st.permutations(range(6)))
def test_random_operations_on_three_replicas_always_converge(
    ops: list[tuple[int, str, int]], order: list[int], tmp_path_factory: pytest.TempPathFactory
) -> None:
    directory = tmp_path_factory.mktemp("replicas")
    paths = [directory / f"{name}.db" for name in "abc"]
    markers: dict[Any, int] = {}
    for step, (who, op, n) in enumerate(ops):
        if op == "send":
            _send(paths, PAIRS_BY_INDEX[(who * 2 + n) % 6], markers)
            continue
        # Three hours a step: series make their next occurrences as the days go by.
        ledger = Ledger(paths[who], now=START + timedelta(hours=3 * step), create_dirs=True)
        try:
            _act(ledger, op, n, step)
        finally:
            ledger.close()
    # Then everyone hears from everyone, in a random order: a replica sends its own records,
    # so one exchange of each ordered pair is enough.
    for index in order:
        _send(paths, PAIRS_BY_INDEX[index], markers)
    documents = []
    for path in paths:
        if not path.exists():
            continue
        ledger = Ledger(path, now=START)
        try:
            from promisekeeper.services.exchange import export

            document = json.loads("".join(export(ledger)))
        finally:
            ledger.close()
        document.pop("exported_at")
        for promise in document["promises"]:
            promise.pop("id")
        document["promises"].sort(key=lambda p: p["uuid"])
        documents.append(document)
        assert_sound(path)
    for document in documents[1:]:
        assert _differences(documents[0], document) == []


# -------------------------------------------------------------------------------------------------
# Scale
# -------------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_a_hundred_thousand_events_merge_in_seconds(ok: Pk, pk: Pk, three: list[Path]) -> None:
    a, b, _c = three
    ok("--db", str(a), "promise", "Seed", "--to", "alice", "--due", "fri")
    [seed] = records_of(a)
    records = []
    clock = clock_from_text(seed["clock"])
    for n in range(10_000):
        promise = f"p-{n:05d}"
        made = json.loads(json.dumps(seed))
        made.update(promise=promise, uuid=f"e-{n:05d}-0", replica="r", clock=clock_text(clock))
        made["details"].update(uuid=promise, what=f"promise {n}")
        records.append(made)
        for k in range(1, 10):
            clock += 1
            records.append(
                {
                    "type": "event", "promise": promise, "uuid": f"e-{n:05d}-{k}",
                    "replica": "r", "clock": clock_text(clock), "at": seed["at"],
                    "kind": "note", "details": {"text": f"note {k}"},
                }
            )  # fmt: skip
        clock += 1
    started = time.perf_counter()
    merged = merge_into(b, records)
    took = time.perf_counter() - started
    assert (merged.promises, merged.events) == (10_000, 100_000)
    assert took < 60, f"{took:.1f} s"  # seconds on a laptop; a loaded CI machine is slower
    started = time.perf_counter()
    assert merge_into(b, records).nothing
    assert time.perf_counter() - started < 60
    assert len(pk("--db", str(b), "list", "--json").json) == 10_000


def test_undo_after_a_sync_takes_back_this_machines_last_change(
    ok: Pk, pk: Pk, three: list[Path]
) -> None:
    """What a sync brought is taken back where it was made (and that undo travels): `pk
    undo` passes the sync by, and takes back the change made here."""
    a, b, _c = three
    ok("--db", str(a), "promise", "Send the numbers", "--to", "alice", "--due", "fri")
    send(a, b)
    ok("--db", str(b), "note", "1", "B's own", now=at(5))
    ok("--db", str(a), "note", "1", "from A", now=at(6))
    send(a, b)  # the last change on B is now the sync
    result = ok("--db", str(b), "undo", "--yes", now=at(10))
    assert "note" in result.stdout
    send(b, a)
    for path in (a, b):
        [numbers] = exported(pk, path)["promises"].values()
        texts = [e["details"].get("text") for e in numbers["history"]]
        assert texts == [None, "from A"]
    assert "sync" not in ok("--db", str(b), "undo", "--list").stdout


def test_a_name_left_by_an_undone_promise_is_in_no_export(
    ok: Pk, pk: Pk, three: list[Path]
) -> None:
    a, b, _c = three
    ok("--db", str(a), "promise", "Oops", "--to", "greta", "--due", "fri")
    ok("--db", str(a), "person", "dave", "--note", "met at the offsite", now=at(1))
    ok("--db", str(a), "undo", "--change", "1", "--yes", now=at(2))
    merged = send(a, b)
    assert merged.tombstones == 1 and not merged.nothing  # B never saw the event: noted
    same(exported(pk, a), exported(pk, b))
    assert [p["name"] for p in exported(pk, b)["people"]] == ["dave"]


def test_an_older_export_imported_here_is_sent_on_the_next_sync(
    ok: Pk, pk: Pk, three: list[Path], tmp_path: Path
) -> None:
    """Promises imported without an identity (an older export, a plain list) become this
    replica's: stamped after everything it has sent, so the next sync sends them."""
    a, b, _c = three
    ok("--db", str(a), "promise", "Send the numbers", "--to", "alice", "--due", "fri", now=at(60))
    _records, marker = outgoing(Ledger(a, now=START), 0)
    plain = tmp_path / "plain.json"
    plain.write_text(
        json.dumps([{"what": "Old one", "to": "bob", "due": "2026-11-30T17:00:00+01:00",
                     "made": "2026-10-01T09:00:00+01:00"}]),  # fmt: skip
        encoding="utf-8",
    )
    ok("--db", str(a), "import", str(plain), now=at(61))
    later, _newer = outgoing(Ledger(a, now=START), marker)
    assert [(r["kind"], r["details"]["what"]) for r in later] == [("made", "Old one")]
    send(a, b)
    same(exported(pk, a), exported(pk, b))


def test_one_taskwarrior_export_imported_on_two_ledgers_converges(
    ok: Pk, pk: Pk, three: list[Path], tmp_path: Path
) -> None:
    """A task's promise and events have uuids made from the task's, so two ledgers importing
    the same `task export` hold the same events, each stamped by its own ledger: the lower
    stamp stands on both, and their exports agree."""
    a, b, _c = three
    tasks = [
        {
            "id": 1, "uuid": "a0000000-0000-4000-8000-000000000001", "status": "pending",
            "description": "Send the Q3 numbers", "entry": "20261120T090000Z",
            "due": "20261127T160000Z", "tags": ["alice"],
            "annotations": [{"entry": "20261121T080000Z", "description": "figures in"}],
        },
        {
            "id": 0, "uuid": "a0000000-0000-4000-8000-000000000002", "status": "completed",
            "description": "Book the venue", "entry": "20261119T090000Z",
            "due": "20261122T160000Z", "end": "20261121T120000Z", "tags": ["carol"],
        },
    ]  # fmt: skip
    export = tmp_path / "tasks.json"
    export.write_text(json.dumps(tasks), encoding="utf-8")
    for ledger, minutes in ((a, 0), (b, 5)):
        ok("--db", str(ledger), "import", "--from", "taskwarrior", str(export), "--person",
           "tag", now=at(minutes))  # fmt: skip
    assert exported(pk, a) != exported(pk, b)  # the same events, stamped apart
    send(a, b)
    send(b, a)
    same(exported(pk, a), exported(pk, b))
    # And nothing more to exchange.
    assert send(a, b).nothing and send(b, a).nothing


def test_a_move_the_fold_passes_by_is_no_move_to_the_track_record(
    ok: Pk, pk: Pk, three: list[Path]
) -> None:
    """Kept on one machine, moved later on another that had not seen the keep: the promise
    stays kept on the date in force (the move is history only), and `pk stats` and the trust
    bank count no move either, from SQL and from the fold alike."""
    a, b, _c = three
    ok("--db", str(a), "promise", "Send the numbers", "--to", "alice", "--due", "fri")
    send(a, b)
    ok("--db", str(a), "keep", "1", now=at(10))
    ok("--db", str(b), "move", "1", "next monday", "--reason", "late data", now=at(20))
    send(a, b)
    send(b, a)
    for ledger in (a, b):
        shown = pk("--db", str(ledger), "show", "1", "--json").json
        assert (shown["status"], shown["moves"]) == ("kept", 0)
        stats = pk("--db", str(ledger), "stats", "--json").json
        assert stats["moved"] == 0, stats
        trust = pk("--db", str(ledger), "trust", "alice", "--json").json
        assert "moved" not in json.dumps(trust["recent"] if "recent" in trust else trust)
    # The history still holds the move.
    history = pk("--db", str(a), "show", "1", "--json").json["history"]
    assert [e["kind"] for e in history] == ["made", "kept", "moved"]
