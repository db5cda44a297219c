"""`pk edit`, `pk delete` and `pk undo`."""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime
from pathlib import Path

import pytest
from conftest import Pk

from promisekeeper.model.errors import InvalidInput
from promisekeeper.services.ledger import Ledger


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


# -------------------------------------------------------------------------------------------------
# Undo you can see
# -------------------------------------------------------------------------------------------------
def test_undo_off_a_terminal_says_what_it_took_back(ok: Pk, make) -> None:
    """Regression: three undos in a row silently took back two keeps."""
    first = make("Send the numbers", "alice", "fri")
    second = make("Review the RFC", "bob", "mon", "--tag", "rfc")
    ok("keep", str(first), now="2026-11-23T11:00:00+01:00")
    ok("keep", str(second), now="2026-11-23T12:00:00+01:00")
    ok("edit", str(second), "--what", "Review RFC 42", "--untag", "rfc")

    edit = ok("undo", now="2026-11-23T13:00:00+01:00").stdout.splitlines()
    assert edit == [
        "Undid `pk edit` of Mon 23 Nov 10:00, 3 hours ago (#2)",
        "  #2 Review RFC 42 → bob",
        "    what: Review RFC 42 → Review the RFC",
        "    tags: none → rfc",
    ]
    keep = ok("undo", now="2026-11-23T13:00:00+01:00").stdout.splitlines()
    assert keep == [
        "Undid `pk keep` of Mon 23 Nov 12:00, 1 hour ago (#2)",
        "  #2 Review the RFC → bob",
        "    takes back: kept (delivered Mon 23 Nov 12:00)",
        "    status: kept → open",
        "    closed: Mon 23 Nov 12:00 → none",
    ]
    assert "#1 Send the numbers → alice" in ok("undo").stdout
    assert [p["status"] for p in ok("list", "--status", "all", "--json").json] == ["open"] * 2


def test_undo_of_a_making_a_deletion_and_a_note(ok: Pk, make) -> None:
    pid = make("Send the numbers", "alice", "fri")
    ok("note", str(pid), "draft sent")
    ok("delete", str(pid), "--yes")
    assert ok("undo").stdout.splitlines()[1:] == [
        "  #1 Send the numbers → alice",
        "    takes back: deleted",
        "    deleted: Mon 23 Nov 10:00 → not deleted",
    ]
    assert ok("undo").stdout.splitlines()[1:] == [
        "  #1 Send the numbers → alice",
        "    takes back: note: draft sent",
    ]
    assert ok("undo").stdout.splitlines()[1:] == [
        "  #1 Send the numbers → alice: removed (its making is taken back)"
    ]


def _dump(db) -> list[str]:
    import sqlite3

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def test_undo_dry_run_shows_and_changes_nothing(ok: Pk, pk: Pk, make, tmp_path) -> None:
    pid = make("Send the numbers", "alice", "fri")
    ok("move", str(pid), "mon", "--reason", "data late")
    before = ok("export").json
    db = tmp_path / "ledger.db"
    files = _dump(db)
    shown = ok("undo", "--dry-run").stdout.splitlines()
    assert shown == [
        "pk undo would take back change 2, `pk move` of Mon 23 Nov 10:00, now:",
        "  #1 Send the numbers → alice",
        "    takes back: moved from Fri 27 Nov 17:00 to Mon 30 Nov 17:00, before the deadline:"
        " data late",
        "    due: Mon 30 Nov 17:00 → Fri 27 Nov 17:00",
        "Nothing was changed (--dry-run).",
    ]
    assert ok("export").json == before
    # Every row as it was (the WAL's bytes may move with a checkpoint when a connection closes).
    assert _dump(db) == files
    assert db.exists()
    # The same again: a dry run is not a change that a later undo would pass by.
    assert (
        ok("undo", "--dry-run")
        .stdout.splitlines()[0]
        .startswith("pk undo would take back change 2, `pk move`")
    )
    nothing = pk("--db", str(tmp_path / "none.db"), "undo", "--dry-run")
    assert nothing.exit_code == 1 and nothing.stderr == "pk: nothing to undo\n"
    assert not (tmp_path / "none.db").exists()


def test_undo_asks_on_a_terminal_and_yes_skips_the_question(
    ok: Pk, pk: Pk, make, monkeypatch
) -> None:
    pid = make("Send the numbers", "alice", "fri")
    ok("keep", str(pid))
    monkeypatch.setattr("promisekeeper.face.commands.common.interactive", lambda: True)
    refused = pk("undo", input="n\n")
    assert refused.exit_code == 1
    assert refused.stderr == "pk: not undone; nothing was changed\n"
    assert "status: kept → open" in refused.stdout and "Undo it?" in refused.stdout
    assert ok("show", str(pid), "--json").json["status"] == "kept"
    done = ok("undo", input="y\n")
    assert done.stdout.splitlines()[-1] == "Undid `pk keep` of Mon 23 Nov 10:00, now (#1)"
    assert ok("show", str(pid), "--json").json["status"] == "open"
    # --yes: no question, what was undone is still said.
    yes = ok("undo", "--yes")
    assert "Undo it?" not in yes.stdout
    assert yes.stdout.splitlines() == [
        "Undid `pk promise` of Mon 23 Nov 10:00, now (#1)",
        "  #1 Send the numbers → alice: removed (its making is taken back)",
    ]
    assert ok("list", "--status", "all", "--json").json == []


def test_undo_after_a_preview_takes_back_only_what_was_shown(ok: Pk, make, tmp_path) -> None:
    """Another pk recorded a change between the question and the answer: nothing is undone."""
    first = make("Send the numbers", "alice", "fri")
    now = datetime.fromisoformat("2026-11-23T10:00:00+01:00")
    ledger = Ledger(tmp_path / "ledger.db", now=now)
    plan = ledger.undo_plan()
    assert (plan.command, plan.promise_ids) == ("promise", [first])
    make("Made meanwhile", "bob", "fri")
    with pytest.raises(InvalidInput, match=r"now change 2 \(`pk promise`\), not change 1"):
        ledger.undo(expect=plan.change_id)
    ledger.close()
    assert len(ok("list", "--json").json) == 2


def test_undo_of_a_large_import_counts_the_rest(ok: Pk, tmp_path) -> None:
    records = [{"what": f"P{i}", "to": "alice", "due": "2026-12-01"} for i in range(25)]
    source = tmp_path / "in.json"
    source.write_text(json.dumps(records))
    ok("import", str(source))
    lines = ok("undo", "--dry-run").stdout.splitlines()
    assert lines[0] == "pk undo would take back change 1, `pk import` of Mon 23 Nov 10:00, now:"
    assert lines[1] == "  #1 P0 → alice: removed (its making is taken back)"
    assert lines[11] == "  and 15 more promises (removed)"
    assert lines[12] == "  (details the import gave people stay: pk person changes them)"


# -------------------------------------------------------------------------------------------------
# On a real terminal (pexpect), with the installed pk
# -------------------------------------------------------------------------------------------------
def _installed_pk():
    return Path(sys.executable).parent / "pk"


def _pty_env(tmp_path) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("CI", "PK_DEBUG", "COLUMNS")}
    environ.update(
        PK_DB=str(tmp_path / "ledger.db"),
        PK_CONFIG=str(tmp_path / "config.toml"),
        PK_NOW="2026-11-23T10:00:00+01:00",
        TZ="Europe/Berlin",
        TERM="dumb",
        NO_COLOR="1",
    )
    return environ


def test_undo_on_a_terminal_shows_and_asks(ok: Pk, make, tmp_path) -> None:
    pexpect = pytest.importorskip("pexpect")
    if not _installed_pk().exists():
        pytest.skip("needs the installed pk entry point")
    pid = make("Send the numbers", "alice", "fri")
    ok("keep", str(pid), "--note", "sent by mail")
    before = ok("export").json

    def spawn():
        return pexpect.spawn(
            str(_installed_pk()),
            ["undo"],
            env=_pty_env(tmp_path),
            encoding="utf-8",
            timeout=20,
            dimensions=(50, 160),
        )

    child = spawn()
    child.expect_exact("pk undo takes back change 2, `pk keep` of Mon 23 Nov 10:00, now:")
    child.expect_exact("#1 Send the numbers → alice")
    child.expect_exact("takes back: kept (delivered Mon 23 Nov 10:00): sent by mail")
    child.expect_exact("status: kept → open")
    child.expect_exact("Undo it? [y/N]:")
    child.sendline("n")
    child.expect_exact("pk: not undone; nothing was changed")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
    assert ok("export").json == before

    child = spawn()
    child.expect_exact("Undo it? [y/N]:")
    child.sendline("y")
    child.expect_exact("Undid `pk keep` of Mon 23 Nov 10:00, now (#1)")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    shown = ok("show", str(pid), "--json").json
    assert shown["status"] == "open"
    assert [e["kind"] for e in shown["history"]] == ["made"]
