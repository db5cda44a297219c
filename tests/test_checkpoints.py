"""Checkpoints inside a promise, through the CLI at frozen times: `pk checkpoint` adds one,
`pk keep ID --checkpoint N` ticks one off, and a missed one puts its promise at risk in
`pk today`, `pk status`, `pk remind`, `pk show` and the walk's list of promises to tell."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Pk

TUE = "2026-11-24T10:00:00+01:00"
THU = "2026-11-26T10:00:00+01:00"  # the Wednesday checkpoint passed; Friday's due 31 h away


@pytest.fixture
def deck(ok: Pk, make: Callable[..., int]) -> int:
    """Due Friday 17:00, with a draft for review due Wednesday 17:00 (checkpoint 1)."""
    promise = make("Q3 deck", "alice", "fri")
    ok("checkpoint", str(promise), "draft for review", "--by", "wed")
    return promise


def test_adding_a_checkpoint_says_how_to_tick_it_off(ok: Pk, make: Callable[..., int]) -> None:
    promise = make("Q3 deck", "alice", "fri")
    out = ok("checkpoint", str(promise), "draft", "for", "review", "--by", "wed").stdout
    assert out == (
        f"Checkpoint 1 on #{promise} Q3 deck → alice\n"
        "  draft for review, by Wed 25 Nov 17:00, in 2 days\n"
        f"  Tick it off with: pk keep {promise} --checkpoint 1\n"
    )
    second = ok("checkpoint", f"#{promise}", "numbers agreed", "--by", "thu 12:00", "--json").json
    assert [c["number"] for c in second["checkpoints"]] == [1, 2]
    assert second["checkpoints"][1] == {
        "number": 2,
        "what": "numbers agreed",
        "by": "2026-11-26T11:00:00+00:00",
        "done_at": None,
        "standing": "upcoming",
    }


def test_a_missed_checkpoint_puts_its_promise_at_risk(ok: Pk, deck: int) -> None:
    # Before Wednesday 17:00 the promise is on track (Friday is far, the span long).
    assert ok("today", now=TUE).stdout.startswith("Nothing overdue, due today or at risk.")
    assert ok("show", str(deck), "--json", now=TUE).json["standing"] == "on_track"
    # Thursday: the draft was not ticked off: at risk, for that reason, everywhere.
    today = ok("today", now=THU).stdout
    assert "At risk (1)" in today
    assert (
        f"#{deck}  Q3 deck → alice · due Fri 27 Nov 17:00, in 31 hours · checkpoint 1 missed"
        in (today)
    )
    view = ok("today", "--json", now=THU).json
    assert [p["id"] for p in view["at_risk"]] == [deck]
    assert view["at_risk"][0]["needs_telling"] is True
    assert view["at_risk"][0]["checkpoints"][0]["standing"] == "missed"
    assert [p["id"] for p in ok("status", "--json", now=THU).json["at_risk"]] == [deck]
    shown = " ".join(ok("show", str(deck), now=THU).stdout.split())
    assert "Standing at risk" in shown
    assert (
        "Because At risk: checkpoint 1, draft for review, was due Wed 25 Nov 17:00 and is "
        f"not done (pk keep {deck} --checkpoint 1 when it is)."
    ) in shown
    assert "by Wed 25 Nov 17:00 · missed, 17 hours ago" in shown
    remind = ok("remind", "--format", "json", "--no-record", now=THU).json
    assert [(item["id"], item["standing"]) for item in remind] == [(deck, "at_risk")]
    assert f"pk notify {deck}" in ok("remind", "--no-record", now=THU).stdout


def test_ticking_it_off_on_time_late_and_the_standings_shown(
    ok: Pk, make: Callable[..., int], deck: int
) -> None:
    ok("checkpoint", str(deck), "numbers agreed", "--by", "wed 12:00")
    ok("checkpoint", str(deck), "rehearsal", "--by", "fri 10:00")
    ok("checkpoint", str(deck), "printed handouts", "--by", "thu 9:00")
    out = ok("keep", str(deck), "--checkpoint", "2", "--at", "wed 11:00", now=THU).stdout
    assert out == (
        f"Ticked off checkpoint 2 of #{deck} Q3 deck → alice\n"
        "  numbers agreed: by Wed 25 Nov 12:00 · done on time, Wed 25 Nov 11:00\n"
        f"  The promise stays open: pk keep {deck} when it is delivered.\n"
    )
    ok("keep", str(deck), "--checkpoint", "1", now=THU)  # a day late
    shown = " ".join(ok("show", str(deck), now=THU).stdout.split())
    assert "by Wed 25 Nov 17:00 · done 17 hours late, Thu 26 Nov 10:00" in shown
    assert "by Wed 25 Nov 12:00 · done on time, Wed 25 Nov 11:00" in shown
    assert "by Fri 27 Nov 10:00 · upcoming, in 24 hours" in shown
    assert "by Thu 26 Nov 09:00 · missed, 1 hour ago" in shown
    assert "checkpoint 2 done (Wed 25 Nov 11:00)" in shown  # the history
    standings = [
        c["standing"] for c in ok("show", str(deck), "--json", now=THU).json["checkpoints"]
    ]
    assert standings == ["done_late", "done_on_time", "upcoming", "missed"]
    # Keeping a checkpoint never keeps the promise.
    assert ok("show", str(deck), "--json", now=THU).json["status"] == "open"
    # The handouts are still missed: at risk for checkpoint 4; once done, on track again.
    assert "checkpoint 4 missed" in ok("today", now=THU).stdout
    ok("keep", str(deck), "--checkpoint", "4", now=THU)
    assert ok("show", str(deck), "--json", now=THU).json["standing"] == "on_track"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--by", "yesterday"],
            "pk: --by Sun 22 Nov 17:00 is not in the future: a checkpoint in the past would be "
            "missed the moment it is made\n",
        ),
        (
            ["--by", "next month"],
            "pk: --by Wed 23 Dec 17:00 is after promise 1 is due (Fri 27 Nov 17:00): a "
            "checkpoint is a step on the way; pk move 1 first if the whole promise moves\n",
        ),
        (["--by", "blursday"], None),
    ],
)
def test_a_checkpoint_outside_the_promise_is_refused(
    pk: Pk, ok: Pk, make: Callable[..., int], args: list[str], message: str | None
) -> None:
    make("Q3 deck", "alice", "fri")
    before = ok("export").json["promises"]
    result = pk("checkpoint", "1", "draft", *args)
    assert result.exit_code == 1
    assert result.stderr.startswith("pk: ") and result.stderr.count("\n") == 1
    if message:
        assert result.stderr == message
    assert ok("export").json["promises"] == before


def test_one_line_errors_for_checkpoints(pk: Pk, ok: Pk, deck: int) -> None:
    def refused(*args: str) -> str:
        result = pk(*args)
        assert result.exit_code != 0 and "Traceback" not in result.stderr
        assert result.stderr.count("\n") == 1, result.stderr
        return result.stderr

    assert refused("keep", str(deck), "--checkpoint", "3") == (
        f"pk: promise {deck} has no checkpoint 3: it has checkpoint 1 only\n"
    )
    assert refused("keep", str(deck), "--checkpoint", "0") == (
        f"pk: promise {deck} has no checkpoint 0: it has checkpoint 1 only\n"
    )
    assert refused("checkpoint", "99", "x", "--by", "wed") == "pk: no promise with id 99\n"
    assert refused("checkpoint", str(deck), " ", "--by", "wed") == (
        "pk: the checkpoint cannot be empty\n"
    )
    assert "Missing option '--by'" in pk("checkpoint", str(deck), "x").stderr
    ok("keep", str(deck), "--checkpoint", "1")
    assert refused("keep", str(deck), "--checkpoint", "1") == (
        f"pk: checkpoint 1 of promise {deck} was ticked off already, Mon 23 Nov 10:00\n"
    )
    ok("keep", str(deck))
    assert refused("checkpoint", str(deck), "x", "--by", "thu") == (
        f"pk: promise {deck} is kept, not open; `pk reopen {deck}` first if you want to add a "
        "checkpoint to it\n"
    )
    other = ok("promise", "x", "--to", "bob", "--due", "fri", "--json").json["id"]
    assert refused("keep", str(other), "--checkpoint", "1") == (
        f"pk: promise {other} has no checkpoint 1: it has none (pk checkpoint {other} WHAT --by "
        "WHEN adds one)\n"
    )


def test_undo_takes_a_checkpoint_and_its_tick_back(ok: Pk, deck: int) -> None:
    ok("keep", str(deck), "--checkpoint", "1", now=THU)
    assert "takes back: checkpoint 1 done (Thu 26 Nov 10:00)" in ok("undo", now=THU).stdout
    assert ok("show", str(deck), "--json", now=THU).json["standing"] == "at_risk"
    assert "takes back: checkpoint added: draft for review" in ok("undo", now=THU).stdout
    shown = ok("show", str(deck), "--json", now=THU).json
    assert shown["checkpoints"] == [] and shown["standing"] == "on_track"
    assert "checkpoint" not in ok("today", now=THU).stdout


def test_export_and_import_carry_checkpoints(
    ok: Pk, pk: Pk, deck: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok("checkpoint", str(deck), "numbers", "--by", "thu 9:00")
    ok("keep", str(deck), "--checkpoint", "2", now=TUE)
    dump = tmp_path / "export.json"
    ok("export", "--output", str(dump))
    monkeypatch.setenv("PK_DB", str(tmp_path / "other.db"))
    ok("import", str(dump))
    assert "checkpoint 1 missed" in ok("today", now=THU).stdout
    got = ok("show", "1", "--json", now=THU).json["checkpoints"]
    assert [(c["what"], c["standing"]) for c in got] == [
        ("draft for review", "missed"),
        ("numbers", "done_on_time"),
    ]
    # A tick of a checkpoint the history does not hold (two replicas' histories can hold
    # one, when the adding was undone on the other) stays in the history only.
    document = json.loads(dump.read_text(encoding="utf-8"))
    history = document["promises"][0]["history"]
    document["promises"][0]["uuid"] = history[0]["details"]["uuid"] = "another-uuid"
    for event in history:
        event.pop("uuid", None)
        if event["kind"] == "checkpoint_kept":
            event["details"].pop("checkpoint")
            event["details"]["number"] = 3
    odd = tmp_path / "odd.json"
    odd.write_text(json.dumps(document), encoding="utf-8")
    ok("import", str(odd))
    shown = next(
        p for p in ok("list", "--status", "all", "--json", now=THU).json
        if p["uuid"] == "another-uuid"
    )
    assert [c["done_at"] for c in shown["checkpoints"]] == [None, None]
    kinds = [e["kind"] for e in ok("show", str(shown["id"]), "--json").json["history"]]
    assert "checkpoint_kept" in kinds


def test_help_has_examples(ok: Pk) -> None:
    out = ok("checkpoint", "--help").stdout
    assert 'pk checkpoint 12 "draft for review" --by wed' in out
    assert "--by WHEN" in out
    assert "pk keep 12 --checkpoint 1" in ok("keep", "--help").stdout
