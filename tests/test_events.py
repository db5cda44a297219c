"""Events: typed once, with an identity (uuid, replica, hybrid-logical clock), folded in one order.

The property at the heart of replication: the same set of events gives the same promise, whatever
order the events were stored in.
"""

from __future__ import annotations

import random
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import Pk
from hypothesis import given, settings
from hypothesis import strategies as st

from promisekeeper.model.errors import InvalidInput
from promisekeeper.model.events import (
    Closed,
    Edited,
    Event,
    Made,
    Moved,
    Noted,
    Notified,
    Reopened,
    Snoozed,
    clock_from_text,
    clock_text,
    decode,
    tick,
)
from promisekeeper.model.history import apply, fold
from promisekeeper.store import connection, queries

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


# -------------------------------------------------------------------------------------------------
# The clock
# -------------------------------------------------------------------------------------------------
def test_the_clock_follows_the_wall_and_never_goes_back() -> None:
    first = tick(T0, 0)
    assert first >> 16 == int(T0.timestamp() * 1000)
    same_millisecond = tick(T0, first)
    assert same_millisecond == first + 1
    wall_went_back = tick(T0 - timedelta(hours=1), same_millisecond)
    assert wall_went_back == same_millisecond + 1
    later = tick(T0 + timedelta(seconds=1), wall_went_back)
    assert later >> 16 == int(T0.timestamp() * 1000) + 1000


@given(st.integers(min_value=0, max_value=2**62))
def test_clock_text_sorts_like_the_clock_and_reads_back(stamp: int) -> None:
    assert clock_from_text(clock_text(stamp)) == stamp
    assert (clock_text(stamp) < clock_text(stamp + 1)) is True


@pytest.mark.parametrize("bad", [None, 12, "", "abc", "1.2.3", "1." + "9" * 7, "9" * 16])
def test_a_clock_that_is_not_one_is_refused(bad: object) -> None:
    with pytest.raises(InvalidInput):
        clock_from_text(bad)


# -------------------------------------------------------------------------------------------------
# Typed details
# -------------------------------------------------------------------------------------------------
def test_details_are_decoded_into_typed_values() -> None:
    moved = decode("moved", {"from": "2026-11-06T16:00:00Z", "to": "2026-11-09T16:00:00Z"})
    assert moved == Moved(
        from_due=datetime(2026, 11, 6, 16, tzinfo=UTC),
        to_due=datetime(2026, 11, 9, 16, tzinfo=UTC),
        before_deadline=True,
    )
    assert decode("broken", {"reason": "no budget"}) == Closed("broken", reason="no budget")
    assert Event(kind="note", at=T0, data={"text": "hi"}).detail == Noted("hi")


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("snoozed", {"until_ts": 1e300}),
        ("snoozed", {"until": "9999-12-31T23:59:59+00:00"}),
        ("moved", {"from": "2026-11-06T16:00:00Z", "to": 12}),
        ("moved", {"from": "2026-11-06T16:00:00Z", "to": "2026-11-09T16:00:00Z", "reason": 3}),
        ("kept", {"closed_at": "0001-01-01T00:00:00+00:00"}),
        ("notified", {"to": [1, 2]}),
        ("edited", {"changes": {"status": ["open", "kept"]}}),
        ("edited", {"changes": {"to": ["a", "b"]}}),
        ("made", {"uuid": "u", "what": "x", "to": "alice", "due": "2026-11-06T16:00:00Z"}),
        ("exploded", {}),
    ],
)
def test_details_that_cannot_be_decoded_are_refused(kind: str, data: dict) -> None:
    with pytest.raises(InvalidInput):
        decode(kind, data)


def test_typed_details_write_the_json_they_were_read_from() -> None:
    made = {
        "uuid": "u-1",
        "what": "Send it",
        "to": ["alice"],
        "due": "2026-11-06T16:00:00+00:00",
        "made": "2026-11-02T08:00:00+00:00",
        "note": "",
        "tags": ["x"],
        "effort": 3600,
    }
    moved = {
        "from": "2026-11-06T16:00:00+00:00",
        "to": "2026-11-09T16:00:00+00:00",
        "before_deadline": False,
        "reason": "late",
    }
    for kind, data in (
        ("made", made),
        ("moved", moved),
        ("kept", {"closed_at": "2026-11-09T10:00:00+00:00", "note": "done"}),
        ("edited", {"changes": {"what": ["a", "b"], "effort": [None, 60]}}),
        ("snoozed", {"until": "2026-11-23T23:00:00+00:00"}),
    ):
        assert decode(kind, data).to_data() == data


def test_a_late_move_keeps_how_late_it_came() -> None:
    made = Event.of(Made("u", "x", ["a"], due=T0 + timedelta(days=1)), T0)
    late = Event.of(
        Moved(T0 + timedelta(days=1), T0 + timedelta(days=3), before_deadline=False),
        T0 + timedelta(days=2),
    )
    state = apply(apply(None, made), late)
    assert state is not None
    assert (state.late_moves, state.moved_late_by) == (1, timedelta(days=1))


# -------------------------------------------------------------------------------------------------
# One order for every history
# -------------------------------------------------------------------------------------------------
REPLICAS = ("laptop", "desktop", "work")


@st.composite
def histories(draw: st.DrawFn) -> list[Event]:
    """A plausible history of one promise, written by up to three replicas, with distinct
    identities; stamps only grow along the history (ties broken by replica and uuid)."""
    due = T0 + timedelta(days=draw(st.integers(1, 20)))
    at = T0
    status = "open"
    details: list = [
        Made("p-1", "Send the numbers", ["alice"], due=due, tags=["q3"], effort_s=3600)
    ]
    for step in draw(st.lists(st.integers(0, 7), max_size=14)):
        if step == 0 and status == "open":
            new_due = due + timedelta(days=draw(st.integers(-3, 5)), hours=1)
            details.append(Moved(due, new_due, before_deadline=draw(st.booleans())))
            due = new_due
        elif step == 1 and status == "open":
            status = draw(st.sampled_from(("kept", "broken", "released")))
            details.append(Closed(status, reason="r"))
        elif step == 2 and status != "open":
            details.append(Reopened(status))
            status = "open"
        elif step == 3:
            details.append(Noted(draw(st.text(max_size=5))))
        elif step == 4:
            details.append(Edited({"what": ("old", draw(st.text(min_size=1, max_size=8)))}))
        elif step == 5:
            details.append(Edited({"tags": ([], draw(st.lists(st.sampled_from("abc"))))}))
        elif step == 6:
            details.append(Notified(["alice"], "print", "heads-up", "s", "m", True))
        else:
            details.append(Snoozed(T0 + timedelta(days=30)))
    events = []
    stamp = 0
    for number, detail in enumerate(details):
        at += timedelta(minutes=draw(st.integers(0, 600)))
        stamp = tick(at, stamp) if draw(st.booleans()) else stamp + 1
        events.append(
            Event.of(
                detail,
                at,
                uuid=f"{number:04d}-{draw(st.uuids())}",
                replica=draw(st.sampled_from(REPLICAS)),
                clock=stamp,
            )
        )
    return events


def _stored_fold(events: list[Event]) -> tuple:
    """Store the events in the order given in a real ledger, read the history back, fold it."""
    with tempfile.TemporaryDirectory() as scratch:
        conn = connection.connect(Path(scratch) / "ledger.db", write=True)
        assert conn is not None
        try:
            with connection.transaction(conn):
                promise_id = queries.save_promise(conn, fold(events))
                for event in events:
                    event.promise_id = promise_id
                queries.append_events(conn, events)
                history = queries.events_for(conn, promise_id)
                state = fold(history)
                assert state is not None
                state.id = promise_id
                queries.save_promise(conn, state)
                row = queries.get_promise(conn, promise_id)
        finally:
            conn.close()
    assert row is not None
    return (
        [e.uuid for e in history],
        row.status,
        row.due,
        row.moves,
        row.late_moves,
        row.moved_late_by,
        row.what,
        row.tags,
        row.closed_at,
    )


@settings(max_examples=60, deadline=None)
@given(histories(), st.randoms(use_true_random=False))
def test_any_insertion_order_folds_to_the_same_promise(
    events: list[Event], rnd: random.Random
) -> None:
    expected = fold(events)
    shuffled = list(events)
    rnd.shuffle(shuffled)
    assert fold(shuffled) == expected
    stored = _stored_fold(
        [Event.of(e.detail, e.at, uuid=e.uuid, replica=e.replica, clock=e.clock) for e in events]
    )
    again = _stored_fold(
        [Event.of(e.detail, e.at, uuid=e.uuid, replica=e.replica, clock=e.clock) for e in shuffled]
    )
    assert stored == again
    assert stored[0] == [e.uuid for e in sorted(events, key=lambda e: e.order)]


def test_ties_on_the_clock_are_broken_by_replica_then_uuid() -> None:
    due = T0 + timedelta(days=5)
    made = Event.of(Made("p", "x", ["a"], due=due), T0, uuid="m", replica="a", clock=1)
    one = Event.of(Moved(due, due + timedelta(days=1)), T0, uuid="z", replica="b", clock=5)
    two = Event.of(Moved(due, due + timedelta(days=2)), T0, uuid="a", replica="c", clock=5)
    # b's move comes first; c's, later in the order, is the date in force.
    for order in ([made, one, two], [two, one, made], [one, made, two]):
        state = fold(order)
        assert state is not None and state.due == due + timedelta(days=2)


# -------------------------------------------------------------------------------------------------
# Through the CLI
# -------------------------------------------------------------------------------------------------
def test_show_and_export_give_every_event_its_identity(ok: Pk, make) -> None:
    pid = make()
    ok("move", str(pid), "next tue", "--reason", "waiting")
    ok("keep", str(pid), now="2026-11-24T10:00:00+01:00")
    history = ok("show", str(pid), "--json").json["history"]
    assert [e["kind"] for e in history] == ["made", "moved", "kept"]
    assert {e["replica"] for e in history} == {history[0]["replica"]}
    assert len({e["uuid"] for e in history}) == 3
    clocks = [e["clock"] for e in history]
    assert clocks == sorted(clocks) and clock_from_text(clocks[0]) > 0
    exported = ok("export").json["promises"][0]["history"]
    assert [(e["uuid"], e["replica"], e["clock"]) for e in exported] == [
        (e["uuid"], e["replica"], e["clock"]) for e in history
    ]


def test_an_import_keeps_the_identity_of_every_event(ok: Pk, make, tmp_path: Path) -> None:
    pid = make()
    ok("note", str(pid), "half done")
    dump = tmp_path / "dump.json"
    ok("export", "--output", str(dump))
    other = tmp_path / "other.db"
    ok("--db", str(other), "import", str(dump))
    mine = ok("show", str(pid), "--json").json["history"]
    theirs = ok("--db", str(other), "show", "1", "--json").json["history"]
    assert [(e["uuid"], e["replica"], e["clock"]) for e in theirs] == [
        (e["uuid"], e["replica"], e["clock"]) for e in mine
    ]
    # The other ledger is another replica: what it records next is its own, and comes later.
    ok("--db", str(other), "note", "1", "from the other machine")
    last = ok("--db", str(other), "show", "1", "--json").json["history"][-1]
    assert last["replica"] != mine[0]["replica"] and last["clock"] > mine[-1]["clock"]


def test_an_event_already_in_the_ledger_cannot_be_imported_again(
    ok: Pk, pk: Pk, make, tmp_path: Path
) -> None:
    pid = make()
    record = ok("export").json["promises"][0]
    record["uuid"] = "another-promise"
    record["history"][0]["details"]["uuid"] = "another-promise"
    dump = tmp_path / "clash.json"
    import json

    dump.write_text(json.dumps([record]), encoding="utf-8")
    result = pk("import", str(dump))
    assert result.exit_code == 1 and "already in the ledger" in result.stderr
    assert len(ok("list", "--json").json) == 1 and pid == 1


def test_the_clock_stays_ahead_of_every_event_the_ledger_holds(ok: Pk, tmp_path: Path) -> None:
    """Events imported from a replica whose clock runs ahead push this ledger's clock on: what
    it records next still comes later (the hybrid clock never goes back)."""
    import json

    ahead = clock_text(tick(datetime(2027, 6, 1, tzinfo=UTC), 0))
    record = {
        "uuid": "from-the-future",
        "history": [
            {
                "at": "2026-11-20T09:00:00+00:00",
                "kind": "made",
                "details": {"what": "x", "to": ["a"], "due": "2026-12-20T09:00:00+00:00"},
                "uuid": "e-1",
                "replica": "other",
                "clock": ahead,
            },
            # an event of an older export, with no identity: stamped here, after the first
            {"at": "2026-11-21T09:00:00+00:00", "kind": "note", "details": {"text": "old"}},
        ],
    }
    dump = tmp_path / "ahead.json"
    dump.write_text(json.dumps([record]), encoding="utf-8")
    ok("import", str(dump))
    ok("note", "1", "recorded here")
    history = ok("show", "1", "--json").json["history"]
    assert [e["kind"] for e in history] == ["made", "note", "note"]
    clocks = [e["clock"] for e in history]
    assert clocks[0] == ahead and clocks == sorted(clocks) and len(set(clocks)) == 3
    assert history[1]["replica"] == history[2]["replica"] != "other"


def _import_one(ok_or_pk: Pk, tmp_path: Path, history: list[dict]) -> object:
    import json

    dump = tmp_path / "one.json"
    dump.write_text(json.dumps([{"uuid": "p-x", "history": history}]), encoding="utf-8")
    return ok_or_pk("import", str(dump))


MADE = {
    "at": "2026-11-20T09:00:00+00:00",
    "kind": "made",
    "details": {"what": "x", "to": ["a"], "due": "2026-12-20T09:00:00+00:00"},
}


def test_an_event_whose_clock_puts_it_before_the_making_is_history_only(
    ok: Pk, tmp_path: Path
) -> None:
    """Two replicas' histories can hold one (model.history's rules): it changes nothing."""
    kept = {"at": "2026-11-21T09:00:00+00:00", "kind": "kept", "details": {}}
    _import_one(ok, tmp_path, [MADE, {**kept, "clock": "00000000000001.00000"}])
    [promise] = ok("list", "--status", "all", "--json").json
    assert promise["status"] == "open"
    history = ok("show", str(promise["id"]), "--json").json["history"]
    assert [e["kind"] for e in history] == ["kept", "made"]


def test_clocks_and_times_beyond_what_the_clock_holds(ok: Pk, pk: Pk, tmp_path: Path) -> None:
    too_far = {**MADE, "clock": "140737488355327.65535"}
    result = _import_one(pk, tmp_path, [too_far])
    assert result.exit_code == 1 and "'clock' is out of range" in result.stderr
    # An event dated in the year 7000 is stamped as of the clock's last millisecond, and the
    # ledger keeps working after it.
    far = {**MADE, "at": "7000-01-01T00:00:00+00:00"}
    _import_one(ok, tmp_path, [far])
    ok("note", "1", "still fine")
    ok("keep", "1")
    clocks = [e["clock"] for e in ok("show", "1", "--json").json["history"]]
    assert clocks == sorted(clocks) and len(set(clocks)) == 3


@pytest.mark.parametrize("text", ["²", "0.²", "１７９５３９５６００００００.00000"])
def test_a_clock_with_digits_other_than_0_to_9_is_refused(text: str) -> None:
    """str.isdigit() takes '²' and full-width digits, which int() refuses or reads: a stamp
    is ASCII digits only, refused in the words of every other bad stamp."""
    from promisekeeper.model.events import clock_from_text

    with pytest.raises(InvalidInput, match="is not a clock stamp"):
        clock_from_text(text)


def test_new_uuid_is_a_random_version_4_uuid() -> None:
    """What uuid.uuid4() gives, as text, made without the uuid module (it loads platform)."""
    import uuid

    from promisekeeper.model.events import new_uuid

    made = [new_uuid() for _ in range(2000)]
    assert len(set(made)) == len(made)
    for text in made:
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122
