"""`pk people` and `pk person`: the people you promise things to."""

from __future__ import annotations

from conftest import Pk


def test_person_add_edit_show(ok: Pk, pk: Pk) -> None:
    ok("person", "Alice", "--email", "alice@example.com", "--channel", "email")
    ok("person", "alice", "--handle", "@alice", "--note", "CFO")
    data = ok("person", "ALICE", "--json").json
    assert data == {
        "name": "Alice",
        "email": "alice@example.com",
        "handle": "@alice",
        "channel": "email",
        "note": "CFO",
    }
    assert "handle: @alice" in ok("person", "alice").stdout
    assert pk("person", "nobody").exit_code == 1
    assert pk("person", "alice", "--channel", "fax").exit_code == 2
    ok("person", "alice", "--email", "")
    assert ok("person", "alice", "--json").json["email"] is None


def test_people_counts_open_and_at_risk(ok: Pk, make) -> None:
    make("a", "Alice", "tomorrow 9am")
    make("b", "alice", "2026-12-20")
    make("c", "Bob", "2026-12-20", "--to", "alice")
    done = make("d", "carol", "fri")
    ok("keep", str(done))
    rows = {p["name"]: (p["open"], p["at_risk"]) for p in ok("people", "--json").json}
    assert rows == {"Alice": (3, 1), "Bob": (1, 0), "carol": (0, 0)}
    out = ok("people").stdout
    assert "Alice" in out and "carol" in out


def test_to_matches_people_ignoring_case(ok: Pk, make) -> None:
    make("a", "Alice", "fri")
    make("b", "ALICE", "fri")
    assert [p["to"] for p in ok("list", "--json").json] == [["Alice"], ["Alice"]]
    assert len(ok("people", "--json").json) == 1


def test_near_miss_warns_off_a_terminal(ok: Pk, make) -> None:
    make("a", "alice", "fri")
    result = ok("promise", "b", "--to", "alcie", "--due", "fri")
    assert "did you mean 'alice'?" in result.stderr
    assert {p["name"] for p in ok("people", "--json").json} == {"alice", "alcie"}


def test_near_miss_asks_on_a_terminal(ok: Pk, make, monkeypatch) -> None:
    make("a", "alice", "fri")
    monkeypatch.setattr("promisekeeper.face.commands.common.interactive", lambda: True)
    ok("promise", "b", "--to", "alcie", "--due", "fri", input="y\n")
    ok("promise", "c", "--to", "alicia", "--due", "fri", input="n\n")
    assert [p["to"] for p in ok("list", "--json").json] == [["alice"], ["alice"], ["alicia"]]


def test_people_leaves_out_names_whose_promises_were_all_deleted_or_undone(ok: Pk, make) -> None:
    make("kept one", "alice", "fri")
    ok("keep", "1")
    gone = make("by mistake", "mallory", "fri")
    ok("delete", str(gone), "--yes")
    make("undone", "oscar", "fri")
    ok("undo", "--yes")
    make("shared", "bob", "fri", "--to", "mallory")
    ok("person", "carol", "--email", "carol@example.com")  # no promise, but details
    names = [p["name"] for p in ok("people", "--json").json]
    assert names == ["alice", "bob", "carol", "mallory"]  # mallory: through "shared"
    ok("delete", "4", "--yes")
    names = [p["name"] for p in ok("people", "--json").json]
    assert names == ["alice", "carol"]
    out = ok("people").stdout
    assert "mallory" not in out and "oscar" not in out and "carol" in out
    # They are not forgotten: a new promise to them brings them back as first spelled.
    make("again", "MALLORY", "fri")
    assert [p["name"] for p in ok("people", "--json").json] == ["alice", "carol", "mallory"]
