"""`pk edit`, `pk delete` and `pk undo`."""

from __future__ import annotations

from conftest import Pk


def test_edit_what_people_note_and_tags(ok: Pk, make) -> None:
    pid = make("Send numbers", "alice", "fri", "--tag", "draft")
    ok(
        "edit",
        str(pid),
        "--what",
        "Send Q3 numbers",
        "--to",
        "alice",
        "--to",
        "Bob",
        "--note",
        "CFO asked",
        "--tag",
        "finance",
        "--untag",
        "draft",
    )
    obj = ok("show", str(pid), "--json").json
    assert obj["what"] == "Send Q3 numbers"
    assert obj["to"] == ["alice", "Bob"]
    assert obj["note"] == "CFO asked"
    assert obj["tags"] == ["finance"]
    edited = obj["history"][-1]
    assert edited["kind"] == "edited"
    assert edited["details"]["changes"]["what"] == ["Send numbers", "Send Q3 numbers"]


def test_edit_without_changes_is_an_error(pk: Pk, make) -> None:
    pid = make("x", "alice", "fri")
    result = pk("edit", str(pid))
    assert result.exit_code == 1 and "nothing to change" in result.stderr
    assert pk("edit", str(pid), "--what", "x").exit_code == 1
    assert pk("edit", str(pid), "--what", "  ").exit_code == 1


def test_delete_then_undo_brings_it_back(ok: Pk, pk: Pk, make) -> None:
    pid = make()
    result = ok("delete", str(pid), "--yes")
    assert "pk undo brings it back" in result.stdout
    assert ok("list", "--json").json == []
    assert pk("show", str(pid)).exit_code == 1
    undone = ok("undo")
    assert "Undid `pk delete`" in undone.stdout
    assert [p["id"] for p in ok("list", "--json").json] == [pid]


def test_delete_asks_on_a_terminal(ok: Pk, pk: Pk, make, monkeypatch) -> None:
    pid = make()
    monkeypatch.setattr("promisekeeper.face.commands.common.interactive", lambda: True)
    refused = pk("delete", str(pid), input="n\n")
    assert refused.exit_code == 1
    assert len(ok("list", "--json").json) == 1
    ok("delete", str(pid), input="y\n")
    assert ok("list", "--json").json == []


def test_undo_walks_back_several_changes(ok: Pk, pk: Pk, make) -> None:
    pid = make("x", "alice", "fri")
    ok("move", str(pid), "mon")
    ok("keep", str(pid))
    ok("undo")
    obj = ok("show", str(pid), "--json").json
    assert obj["status"] == "open" and obj["moves"] == 1
    ok("undo")
    obj = ok("show", str(pid), "--json").json
    assert obj["moves"] == 0 and obj["due"] == "2026-11-27T16:00:00+00:00"
    assert [e["kind"] for e in obj["history"]] == ["made"]
    ok("undo")
    assert pk("show", str(pid)).exit_code == 1
    nothing = pk("undo")
    assert nothing.exit_code == 1 and "nothing to undo" in nothing.stderr


def test_undo_of_a_promise_does_not_reuse_its_id(ok: Pk, make) -> None:
    first = make("one")
    ok("undo")
    second = make("two")
    assert second != first
