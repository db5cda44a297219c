"""`pk break`, `pk release`, `pk reopen`, `pk note`."""

from __future__ import annotations

from conftest import Pk


def test_break_records_the_reason(ok: Pk, make) -> None:
    pid = make()
    result = ok("break", str(pid), "--reason", "vendor never delivered")
    assert result.stdout.startswith("Broke #1")
    obj = ok("show", str(pid), "--json").json
    assert obj["status"] == "broken" and obj["standing"] == "broken"
    assert obj["history"][-1]["details"]["reason"] == "vendor never delivered"
    assert ok("list", "--json").json == []
    assert len(ok("list", "--status", "broken", "--json").json) == 1


def test_release_is_not_a_failure(ok: Pk, make) -> None:
    pid = make()
    ok("release", str(pid), "-r", "project cancelled")
    obj = ok("show", str(pid), "--json").json
    assert obj["status"] == "released" and obj["standing"] == "released"


def test_reopen_then_keep(ok: Pk, pk: Pk, make) -> None:
    pid = make()
    ok("break", str(pid))
    ok("reopen", str(pid))
    assert ok("show", str(pid), "--json").json["status"] == "open"
    assert pk("reopen", str(pid)).exit_code == 1
    ok("keep", str(pid))
    kinds = [e["kind"] for e in ok("show", str(pid), "--json").json["history"]]
    assert kinds == ["made", "broken", "reopened", "kept"]


def test_note_adds_to_history_only(ok: Pk, make) -> None:
    pid = make()
    ok("note", str(pid), "draft", "done")
    obj = ok("show", str(pid), "--json").json
    last = obj["history"][-1]
    assert {k: last[k] for k in ("at", "kind", "details")} == {
        "at": "2026-11-23T09:00:00+00:00",
        "kind": "note",
        "details": {"text": "draft done"},
    }
    made = obj["history"][0]
    assert last["replica"] == made["replica"] and last["clock"] > made["clock"]
    assert obj["note"] == ""


def test_break_twice_is_an_error(ok: Pk, pk: Pk, make) -> None:
    pid = make()
    ok("break", str(pid))
    assert pk("break", str(pid)).exit_code == 1
    assert pk("release", str(pid)).exit_code == 1
