"""`pk export` and `pk import` at any size (issue 13): export streams, a promise at a time, so
its memory does not grow with the ledger; import writes in batches and keeps every guarantee
of a record-by-record import. Nothing here is timed; bench/run.py measures time."""

from __future__ import annotations

import json
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import NOW, Pk

NOW_UTC = datetime.fromisoformat(NOW).astimezone(UTC)


def plain(n: int, *, to: str = "alice", kept: bool = False) -> dict[str, Any]:
    made = NOW_UTC - timedelta(days=30, hours=n % 500)
    record: dict[str, Any] = {
        "uuid": f"00000000-0000-4000-8000-{n:012d}",
        "what": f"Promise {n}",
        "to": [to, "bob"] if n % 10 == 0 else [to],
        "made": made.isoformat(),
        "due": (made + timedelta(days=3 + n % 40)).isoformat(),
        "tags": ["work"] if n % 5 == 0 else [],
    }
    if kept:
        record |= {"status": "kept", "kept_at": (made + timedelta(days=2)).isoformat()}
    return record


def load(ok: Pk, tmp_path: Path, records: list[dict[str, Any]], name: str = "in.json") -> str:
    source = tmp_path / name
    source.write_text(json.dumps(records), encoding="utf-8")
    return ok("import", str(source)).stdout


def export_peak(ok: Pk, target: Path) -> int:
    """The peak of memory allocated while `pk export -o` runs in this process."""
    tracemalloc.start()
    try:
        ok("export", "--output", str(target))
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_export_memory_does_not_grow_with_the_ledger(
    ok: Pk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """2,000 then 20,000 promises: the export's peak stays within 1.5x (it held every promise,
    their histories and the whole text at once: ten times as much for ten times the ledger)."""
    load(ok, tmp_path, [plain(n, kept=n % 3 == 0) for n in range(2_000)])
    ok("export", "--output", str(tmp_path / "warm.json"))  # imports and caches, once
    small = export_peak(ok, tmp_path / "small.json")
    load(ok, tmp_path, [plain(n, kept=n % 3 == 0) for n in range(2_000, 20_000)], "more.json")
    large = export_peak(ok, tmp_path / "large.json")
    document = json.loads((tmp_path / "large.json").read_text(encoding="utf-8"))
    assert len(document["promises"]) == 20_000
    assert large < 1.5 * small, (small, large)


def test_export_is_one_promise_a_line_and_the_whole_is_one_json_document(
    ok: Pk, tmp_path: Path
) -> None:
    """The document's keys one a line, then a promise a line, then a person a line: valid
    JSON, keys in the order they always had, the same to stdout and to a file."""
    load(ok, tmp_path, [plain(n) for n in range(5)])
    ok("move", "1", "2026-12-24", "--reason", "a line\nbreak and \u202e bidi")
    ok("person", "alice", "--email", "alice@example.com")
    text = ok("export").stdout
    lines = text.splitlines()
    assert lines[:5] == [
        "{",
        '  "format": "promisekeeper",',
        '  "version": 1,',
        '  "exported_at": "2026-11-23T09:00:00+00:00",',
        '  "promises": [',
    ]
    promises = [json.loads(line.strip().rstrip(",")) for line in lines[5:10]]
    assert lines[10:12] == ["  ],", '  "people": [']
    people = [json.loads(line.strip().rstrip(",")) for line in lines[12:-3]]
    assert lines[-3:] == ["  ],", '  "series": []', "}"] and text.endswith("}\n")
    document = json.loads(text)
    assert list(document) == ["format", "version", "exported_at", "promises", "people", "series"]
    assert document["promises"] == promises and document["people"] == people
    assert [p["what"] for p in promises] == [f"Promise {n}" for n in (1, 2, 3, 4, 0)]  # by due
    assert list(promises[0])[-4:] == ["note", "series", "deleted_at", "history"]
    assert [e["kind"] for e in promises[-1]["history"]] == ["made", "moved"]
    assert promises[-1]["history"][1]["details"]["reason"] == "a line\nbreak and \u202e bidi"
    assert people[0] == {
        "name": "alice", "email": "alice@example.com", "handle": None, "channel": None,
        "note": None,
    }  # fmt: skip
    ok("export", "--output", str(tmp_path / "out.json"))
    assert (tmp_path / "out.json").read_text(encoding="utf-8") == text


def test_an_empty_ledger_exports_a_valid_document(ok: Pk) -> None:
    document = ok("export").json
    assert document["promises"] == [] and document["people"] == []


def test_an_import_round_trips_at_size(ok: Pk, tmp_path: Path, monkeypatch) -> None:
    """3,000 promises out of one ledger into a new one: the same promises, histories and
    people, every event with its identity (ids are given in the order of the file)."""
    load(ok, tmp_path, [plain(n, kept=n % 4 == 0) for n in range(3_000)])
    ok("export", "--output", str(tmp_path / "all.json"))
    before = json.loads((tmp_path / "all.json").read_text(encoding="utf-8"))
    monkeypatch.setenv("PK_DB", str(tmp_path / "other.db"))
    assert load(ok, tmp_path, before, "all-again.json").startswith("Imported 3000 promises")
    after = ok("export").json

    def by_uuid(document: dict[str, Any]) -> dict[str, Any]:  # ids follow the import's order
        return {p["uuid"]: {**p, "id": None} for p in document["promises"]}

    assert by_uuid(after) == by_uuid(before) and after["people"] == before["people"]


def test_names_take_the_ledgers_spelling_across_the_batch(ok: Pk, tmp_path: Path) -> None:
    """The first spelling of a name wins, whether it is in the ledger or earlier in the file."""
    ok("promise", "x", "--to", "Carol", "--due", "fri")
    records = [plain(1, to="carol"), plain(2, to="DAVE"), plain(3, to="dave")]
    load(ok, tmp_path, records)
    shown = {p["what"]: p["to"] for p in ok("list", "--json").json}
    assert shown["Promise 1"] == ["Carol"]
    assert shown["Promise 2"] == ["DAVE"] and shown["Promise 3"] == ["DAVE"]
    names = [p["name"] for p in ok("people", "--json").json]
    assert names.count("DAVE") == 1 and "dave" not in names


def test_a_record_twice_in_one_file_is_imported_once(ok: Pk, tmp_path: Path) -> None:
    """A plain record without a uuid, twice in one file (a batch not yet written): the second
    is found present."""
    record = {"what": "Same", "to": "alice", "due": "2026-12-01T16:00:00+00:00"}
    out = load(ok, tmp_path, [plain(n) for n in range(3)] + [record, plain(9), record])
    assert out.startswith("Imported 5 promises (1 already in the ledger, skipped)")
    assert "record 5 already present as #4" in out


def test_events_without_an_identity_get_this_ledgers(ok: Pk, tmp_path: Path) -> None:
    """Plain records, before and after a history from another replica: each of their events
    gets this ledger's replica and a uuid of its own; the other replica's stay as they were."""
    ok("promise", "mine", "--to", "alice", "--due", "fri")
    ahead = {
        **plain(1),
        "history": [
            {
                "at": "2026-11-20T09:00:00+00:00",
                "kind": "made",
                "details": {"what": "ahead", "to": ["bob"], "due": "2026-12-01T16:00:00+00:00",
                            "made": "2026-11-20T09:00:00+00:00"},
                "uuid": "e-ahead", "replica": "elsewhere", "clock": "09000000000000.00000",
            }
        ],
    }  # fmt: skip
    load(ok, tmp_path, [plain(0), ahead, plain(2, kept=True)])
    events = {
        p["what"]: p["history"] for p in ok("export").json["promises"]
    }  # fmt: skip
    here = events["mine"][0]["replica"]
    assert [e["replica"] for e in events["Promise 0"] + events["Promise 2"]] == [here] * 3
    assert (events["ahead"][0]["replica"], events["ahead"][0]["uuid"]) == ("elsewhere", "e-ahead")
    assert events["ahead"][0]["clock"] == "09000000000000.00000"
    uuids = [e["uuid"] for history in events.values() for e in history]
    assert len(set(uuids)) == len(uuids) == 5


# -------------------------------------------------------------------------------------------------
# Import reads a record at a time (issue 13)
# -------------------------------------------------------------------------------------------------
def export_text(records: list[dict[str, Any]], people: list[dict[str, Any]]) -> str:
    """An export document as `pk export` lays it out: a promise a line, people at the end."""
    lines = ",\n    ".join(json.dumps(r, ensure_ascii=False) for r in records)
    folks = ",\n    ".join(json.dumps(p) for p in people)
    return (
        '{\n  "format": "promisekeeper",\n  "version": 1,\n'
        '  "exported_at": "2026-11-23T09:00:00+00:00",\n'
        f'  "promises": [\n    {lines}\n  ],\n  "people": [\n    {folks}\n  ]\n}}\n'
    )


def with_history(n: int) -> dict[str, Any]:
    """A record as pk exports it: a history with an effort (a number) and a move."""
    made = NOW_UTC - timedelta(days=10, hours=n)
    return {
        "uuid": f"10000000-0000-4000-8000-{n:012d}",
        "history": [
            {
                "at": made.isoformat(), "kind": "made",
                "details": {"what": f"History {n}", "to": ["alice"], "effort": 3600 + n,
                            "due": (made + timedelta(days=3)).isoformat()},
            },
            {
                "at": (made + timedelta(days=1)).isoformat(), "kind": "moved",
                "details": {"from": (made + timedelta(days=3)).isoformat(),
                            "to": (made + timedelta(days=5)).isoformat(), "reason": "late"},
            },
        ],
    }  # fmt: skip


def imported(ok: Pk, monkeypatch: pytest.MonkeyPatch, db: Path, *args: str, **kw: Any) -> Any:
    """Import into a new ledger `db`; its export, promises by uuid (ids aside, and the
    identity each ledger gives the events that came without one)."""
    monkeypatch.setenv("PK_DB", str(db))
    out = ok("import", *args, **kw).stdout
    assert out.startswith("Imported 4 promises"), out
    document = ok("export").json
    for promise in document["promises"]:
        promise["id"] = None
        for event in promise["history"]:
            event["uuid"] = event["replica"] = None
    return {p["uuid"]: p for p in document["promises"]}, document["people"]


def test_every_form_of_the_same_import_gives_the_same_ledger(
    ok: Pk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An export laid out a promise a line (people last), the same document indented, a plain
    list on one line, from stdin, from a pipe, and read through a buffer of 7 characters
    (values cut anywhere, numbers too): the same promises, histories and people. The people
    are merged before the promises, wherever they stand in the file, so the name as the
    people list spells it is the one the promises get."""
    import os
    import threading

    from promisekeeper.services import exchange

    records = [plain(1, to="alice"), with_history(2), plain(3, kept=True), with_history(4)]
    people = [{"name": "Alice", "email": "alice@example.com"}]
    text = export_text(records, people)
    forms = {"lines.json": text, "indented.json": json.dumps(json.loads(text), indent=2)}
    for name, body in forms.items():
        (tmp_path / name).write_text(body, encoding="utf-8")
    first = imported(ok, monkeypatch, tmp_path / "a.db", str(tmp_path / "lines.json"))
    promises, got_people = first
    assert {p["what"]: p["to"] for p in promises.values()}["Promise 1"] == ["Alice"]
    assert [e["kind"] for e in promises[records[1]["uuid"]]["history"]] == ["made", "moved"]
    assert got_people[0]["email"] == "alice@example.com"
    assert imported(ok, monkeypatch, tmp_path / "b.db", str(tmp_path / "indented.json")) == first
    assert imported(ok, monkeypatch, tmp_path / "c.db", "-", input=text) == first
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_text(text, encoding="utf-8"))
    writer.start()
    try:
        assert imported(ok, monkeypatch, tmp_path / "d.db", str(fifo)) == first
    finally:
        writer.join(timeout=10)
    monkeypatch.setattr(exchange, "_READ", 7)
    assert imported(ok, monkeypatch, tmp_path / "e.db", str(tmp_path / "lines.json")) == first
    (tmp_path / "plain.json").write_text(json.dumps([plain(n) for n in range(4)]), "utf-8")
    one_line = imported(ok, monkeypatch, tmp_path / "f.db", str(tmp_path / "plain.json"))
    monkeypatch.setattr(exchange, "_READ", 1 << 16)
    assert imported(ok, monkeypatch, tmp_path / "g.db", str(tmp_path / "plain.json")) == one_line


def one_line_error(result: Any, *fragments: str) -> None:
    assert result.exit_code == 1, result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("pk: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def test_a_bad_record_in_a_later_batch_changes_nothing(pk: Pk, ok: Pk, tmp_path: Path) -> None:
    """Records are stored a batch at a time in one transaction: record 1,100 of 1,200 is bad,
    and the ledger is as it was (the batches before it taken back)."""
    load(ok, tmp_path, [plain(n) for n in range(3)])
    before = ok("export").json
    records = [plain(n) for n in range(100, 1_300)]
    records[1_100]["due"] = "someday"
    (tmp_path / "big.json").write_text(export_text(records, []), encoding="utf-8")
    one_line_error(pk("import", str(tmp_path / "big.json")), "record 1100", "'due'", "nothing")
    assert ok("export").json == before


def test_an_import_says_what_a_whole_reading_said_first(pk: Pk, ok: Pk, tmp_path: Path) -> None:
    """Read a record at a time, an import still reports the problem it reported when it read
    the file whole and checked every record before storing any: invalid JSON anywhere, then
    the people, then the first bad record, then what the ledger refuses (an event it holds)."""
    good = [plain(n) for n in range(700)]
    bad_first = [{**plain(0), "what": 5}, *good[1:]]
    path = tmp_path / "in.json"
    path.write_text(export_text(bad_first, []).replace('"people": [', '"people": [,'), "utf-8")
    one_line_error(pk("import", str(path)), "not valid JSON at line 707, column 14")
    path.write_text(export_text(bad_first, [{"name": 5}]), "utf-8")
    one_line_error(pk("import", str(path)), "people[0]")
    load(ok, tmp_path, [with_history(1)], "one.json")
    clash = {**with_history(2), "history": [dict(e) for e in with_history(2)["history"]]}
    exported = ok("export").json["promises"][0]["history"][0]["uuid"]
    clash["history"][0]["uuid"] = exported  # an event the ledger holds, in record 0
    late_bad = [clash, *good[1:600], {**plain(650), "due": "never"}, *good[601:]]
    path.write_text(export_text(late_bad, []), "utf-8")
    one_line_error(pk("import", str(path)), "record 600")
    path.write_text(export_text([clash, *good[1:]], []), "utf-8")
    one_line_error(pk("import", str(path)), f"event {exported} is already in the ledger")
    assert [p["what"] for p in ok("list", "--json").json] == ["History 1"]


def import_peak(ok: Pk, source: Path) -> int:
    """The peak of memory allocated while `pk import` runs in this process."""
    tracemalloc.start()
    try:
        ok("import", str(source))
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_import_memory_does_not_grow_with_the_file(
    ok: Pk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """2,000 then 20,000 promises in an export document, each into a new ledger: the import's
    peak stays within 1.5x (it held the whole text, the parsed document and every history at
    once: ten times as much for ten times the file). A plain list is read by the same code."""

    def source(count: int) -> Path:
        records = [plain(n, kept=n % 3 == 0) for n in range(count)]
        path = tmp_path / f"{count}.json"
        path.write_text(export_text(records, []), encoding="utf-8")
        return path

    monkeypatch.setenv("PK_DB", str(tmp_path / "warm.db"))
    ok("import", str(source(10)))  # imports and caches, once
    monkeypatch.setenv("PK_DB", str(tmp_path / "small.db"))
    small = import_peak(ok, source(2_000))
    monkeypatch.setenv("PK_DB", str(tmp_path / "large.db"))
    large = import_peak(ok, source(20_000))
    assert ok("stats", "--json").json["made"] == 20_000
    assert large < 1.5 * small, (small, large)
