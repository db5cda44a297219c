"""Promises owed to you (issue 14, part 1): `pk expect`, the "Owed to you" section, arriving
with `pk keep`, `pk nudge`, the reminder digest, their record in `pk trust`, and the rule that
your own record never counts their promises. Through the CLI, at frozen times."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import Pk

MADE = "2026-11-16T10:00:00+01:00"  # Mon 16 Nov
ON_TRACK = "2026-11-23T10:00:00+01:00"  # Mon 23 Nov: 2 days 7 hours left of 9 days 7 hours
AT_RISK = "2026-11-24T12:00:00+01:00"  # Tue 24 Nov: 1 day 5 hours left, under 20%
OVERDUE = "2026-11-26T10:00:00+01:00"  # Thu 26 Nov: 17 hours after Wed 25 Nov 17:00
ARRIVED = "2026-11-27T10:00:00+01:00"  # Fri 27 Nov


def expect(ok: Pk, *args: str, now: str | None = None) -> int:
    return int(ok("expect", *args, "--json", now=now).json["id"])


def owed_standing(ok: Pk, promise_id: int, now: str) -> str:
    listed = ok("list", "--owed", "--status", "all", "--json", now=now).json
    return next(p["standing"] for p in listed if p["id"] == promise_id)


def mine_only(trust: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The trust bank as your own promises make it (their record set aside)."""
    return [{k: v for k, v in account.items() if k != "their_record"} for account in trust]


# -------------------------------------------------------------------------------------------------
# Done when: on track, at risk, overdue, nudged twice, arriving late, their record in pk trust
# -------------------------------------------------------------------------------------------------
def test_an_expectation_from_on_track_to_arriving_late(ok: Pk) -> None:
    # Your own promises, to bob and to alice: your record and your balance with bob.
    mine = int(
        ok("promise", "Review bob's RFC", "--to", "bob", "--due", "fri", "--json", now=MADE).json[
            "id"
        ]
    )
    ok("keep", str(mine), now="2026-11-18T10:00:00+01:00")
    ok("promise", "Send the numbers", "--to", "alice", "--due", "2026-11-25", now=MADE)
    made = ok(
        "expect", "The signed contract", "--from", "bob", "--by", "2026-11-25 17:00", now=MADE
    )
    contract = 3
    assert made.stdout.splitlines() == [
        f"Expecting #{contract} The signed contract ← bob",
        "  due Wed 25 Nov 17:00, in 9 days",
    ]
    assert owed_standing(ok, contract, ON_TRACK) == "on_track"
    assert owed_standing(ok, contract, AT_RISK) == "at_risk"
    assert owed_standing(ok, contract, OVERDUE) == "overdue"

    # The first nudge, while at risk, with what depends on it.
    first = ok("nudge", str(contract), "--reason", "the launch review depends on it", now=AT_RISK)
    assert first.stdout.splitlines() == [
        "Subject: A friendly reminder: The signed contract",
        "",
        "Hi bob,",
        "",
        'A friendly reminder about "The signed contract", which you promised me for '
        "Wed 25 Nov 17:00. The launch review depends on it.",
        "",
        "Could you let me know where it stands, and when I can expect it? Thank you!",
        f"Nudged bob via print: recorded on #{contract}.",
    ]
    # Overdue: the digest says when you last asked, and that a nudge is the next step.
    digest = ok("remind", now=OVERDUE).stdout
    assert "Owed to you, overdue" in digest
    assert (
        f"  #{contract} The signed contract ← bob · was due Wed 25 Nov 17:00, 17 hours late"
        " · asked 1 day ago, no news" in digest
    )
    assert f"    next: pk nudge {contract}" in digest
    # The second nudge says when you last asked; the reason is the one you gave.
    second = ok("nudge", str(contract), now=OVERDUE).stdout
    assert (
        "which you promised me for Wed 25 Nov 17:00. I last asked on Tue 24 Nov 12:00. "
        "The launch review depends on it." in second
    )
    history = ok("show", str(contract), "--json").json["history"]
    nudges = [e for e in history if e["kind"] == "nudged"]
    assert [e["at"] for e in nudges] == ["2026-11-24T11:00:00+00:00", "2026-11-26T09:00:00+00:00"]
    assert nudges[1]["details"]["reason"] == "the launch review depends on it"

    # Your record and your balance, before it arrives ...
    stats_before = ok("stats", "--json", now=ARRIVED).json
    trust_before = mine_only(ok("trust", "--json", now=ARRIVED).json)
    bob_before = mine_only(ok("trust", "bob", "--json", now=ARRIVED).json)

    # It arrives, late: in honest words.
    arrived = ok("keep", str(contract), "--at", "thu 15:00", now=ARRIVED)
    assert arrived.stdout.splitlines() == [
        f"Arrived #{contract} from bob, 22 hours late.",
        "  The signed contract",
        "  arrived Thu 26 Nov 15:00, 19 hours ago",
    ]
    assert owed_standing(ok, contract, ARRIVED) == "kept_late"

    # Their record with you, apart from your balance with them.
    trust_bob = ok("trust", "bob", now=ARRIVED).stdout.splitlines()
    assert trust_bob[0] == "Trust bank: bob"
    assert trust_bob[1].startswith("  balance +4 ")  # kept on time, and a day early
    assert trust_bob[-2:] == [
        "Their record with you (not in your balance):",
        "  promised you 1 · on time 0 · late 1 · broken 0",
    ]
    record = ok("trust", "bob", "--json", now=ARRIVED).json[0]["their_record"]
    assert (record["made"], record["kept_late"], record["kept_on_time"]) == (1, 1, 0)
    # ... and your own record and trust bank are as they were: their promise never counts.
    assert ok("stats", "--json", now=ARRIVED).json == stats_before
    assert mine_only(ok("trust", "--json", now=ARRIVED).json) == trust_before
    assert mine_only(ok("trust", "bob", "--json", now=ARRIVED).json) == bob_before
    assert stats_before["made"] == 2


def test_your_record_is_the_same_with_or_without_their_promises(ok: Pk, tmp_path: Path) -> None:
    """The same promises of yours in two ledgers, one also holding expectations that were
    kept late, broken and left overdue: stats, trust and the report's figures are equal."""
    ledgers = [tmp_path / "plain.db", tmp_path / "both.db"]
    for db in ledgers:
        ok("--db", str(db), "promise", "A", "--to", "bob", "--due", "fri", now=MADE)
        ok("--db", str(db), "promise", "B", "--to", "carol", "--due", "sat", now=MADE)
        ok("--db", str(db), "keep", "2", now=ON_TRACK)
        ok("--db", str(db), "move", "1", "2026-11-30", "--reason", "later", now=ON_TRACK)
    both = str(ledgers[1])
    for n, who in enumerate(["bob", "carol", "bob"]):
        ok("--db", both, "expect", f"X{n}", "--from", who, "--by", "wed", now=MADE)
    ok("--db", both, "keep", "3", now=OVERDUE)
    ok("--db", both, "break", "4", now=OVERDUE)

    def figures(db: Path) -> list[Any]:
        found = [ok("--db", str(db), "stats", "--json", now=ARRIVED).json]
        found.append(mine_only(ok("--db", str(db), "trust", "--json", now=ARRIVED).json))
        report = ok("--db", str(db), "report", "--format", "markdown", now=ARRIVED).stdout
        found.append([line for line in report.splitlines() if "delivered" in line.lower()])
        return found

    assert figures(ledgers[0]) == figures(ledgers[1])


# -------------------------------------------------------------------------------------------------
# pk expect
# -------------------------------------------------------------------------------------------------
def test_today_with_only_expectations_says_what_is_owed_not_that_nothing_is(ok: Pk) -> None:
    """Nothing of yours is open and their promise is not due yet: the day's view says so, and
    points at the list, instead of "No open promises" (untrue of the ledger) on both paths."""
    expect(ok, "The signed contract", "--from", "bob", "--by", "2026-11-25 17:00", now=MADE)
    expected = "None of your promises is open; 1 owed to you: pk list --owed\n"
    assert ok("today", now=ON_TRACK).stdout == expected
    assert ok("today", "--no-prompt", now=ON_TRACK).stdout == expected
    ok("promise", "Send the numbers", "--to", "alice", "--due", "2026-11-30", now=MADE)
    assert ok("today", now=ON_TRACK).stdout.startswith("Nothing overdue, due today or at risk.")


def test_expect_creates_an_unknown_person_as_promise_does(ok: Pk) -> None:
    ok("expect", "The keys", "--from", "Zoë", "--by", "fri", "--note", "spare set", "--tag", "home")
    shown = ok("show", "1", "--json").json
    assert (shown["to"], shown["direction"], shown["note"], shown["tags"]) == (
        ["Zoë"],
        "owed",
        "spare set",
        ["home"],
    )
    assert shown["history"][0]["details"]["direction"] == "owed"
    assert "Zoë" in ok("people").stdout
    assert "From" in ok("show", "1").stdout
    assert "promised to you by Zoë" in ok("show", "1").stdout


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        (["expect", "x", "--by", "fri"], "Missing option '--from'", 2),
        (["expect", "x", "--from", "bob"], "Missing option '--by'", 2),
        (["expect", "--from", "bob", "--by", "fri"], "Missing argument 'WHAT'", 2),
        (["expect", "x", "--from", "bob", "--by", "yesterday"], "in the past", 1),
        (["expect", "x", "--from", "bob", "--by", "fridy"], "cannot understand date", 1),
        (["list", "--owed", "--mine"], "exclude each other", 2),
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(
    pk: Pk, isolated: Path, args: list[str], message: str, code: int
) -> None:
    result = pk(*args)
    assert result.exit_code == code
    assert message in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 or code == 2
    assert not isolated.exists()


def test_undo_takes_an_expectation_back(ok: Pk) -> None:
    ok("expect", "The keys", "--from", "bob", "--by", "fri")
    ok("undo", "--yes")
    assert ok("list", "--status", "all", "--json").json == []


def test_a_back_dated_expectation_needs_force(ok: Pk) -> None:
    made = ok("expect", "Old", "--from", "bob", "--by", "last mon", "--force", "--json").json
    assert made["standing"] == "overdue" and made["direction"] == "owed"


# -------------------------------------------------------------------------------------------------
# Views: today, status, list
# -------------------------------------------------------------------------------------------------
def test_today_and_status_show_them_in_their_own_section_after_yours(ok: Pk) -> None:
    ok("promise", "My late one", "--to", "alice", "--due", "fri", now=MADE)
    ok("promise", "My kept one", "--to", "alice", "--due", "fri")
    ok("keep", "2")
    ok("expect", "Their late one", "--from", "bob", "--by", "wed", now=MADE)
    ok("expect", "Their risky one", "--from", "carol", "--by", "tomorrow 9am")
    ok("expect", "Their calm one", "--from", "dan", "--by", "2026-12-20")
    lines = ok("today").stdout.splitlines()
    assert (
        lines.index("Overdue (1)") < lines.index("Kept today (1)") < lines.index("Owed to you (2)")
    )
    owed = lines[lines.index("Owed to you (2)") + 1 : lines.index("Owed to you (2)") + 3]
    assert owed == [
        "  #3  Their late one ← bob · was due Wed 18 Nov 17:00, 4 days 17 hours late",
        "  #4  Their risky one ← carol · due Tue 24 Nov 09:00, in 23 hours",
    ]
    assert "1 overdue · 1 open" in lines  # your promises: theirs are counted in their section
    today = ok("today", "--json").json
    assert [p["id"] for p in today["owed"]] == [3, 4]
    assert [p["id"] for p in today["overdue"]] == [1]
    status = ok("status").stdout.splitlines()
    start = status.index("Owed to you (3)")
    assert status.index("Overdue (1)") < status.index("Recently kept (1)") < start
    assert [line.split()[0] for line in status[start + 1 : start + 4]] == ["#3", "#4", "#5"]
    data = ok("status", "--json").json
    assert [p["id"] for p in data["owed"]] == [3, 4, 5]
    assert data["summary"]["owed_to_you"] == 3 and data["summary"]["open"] == 1


def test_list_filters_by_direction_and_json_says_whose(ok: Pk) -> None:
    ok("promise", "Mine", "--to", "alice", "--due", "fri")
    ok("expect", "Theirs", "--from", "bob", "--by", "fri")
    everything = ok("list", "--json").json
    assert [(p["what"], p["direction"]) for p in everything] == [
        ("Mine", "mine"),
        ("Theirs", "owed"),
    ]
    assert [p["what"] for p in ok("list", "--owed", "--json").json] == ["Theirs"]
    assert [p["what"] for p in ok("list", "--mine", "--json").json] == ["Mine"]
    assert "#2  Theirs ← bob · due" in ok("list").stdout
    # needs_telling is never true of their promise, even overdue
    late = ok("list", "--owed", "--json", now="2026-11-30T10:00:00+01:00").json[0]
    assert late["standing"] == "overdue" and late["needs_telling"] is False


# -------------------------------------------------------------------------------------------------
# Keep, move, break on an expectation
# -------------------------------------------------------------------------------------------------
def test_keep_on_time_says_it_arrived_and_offers_no_note(ok: Pk, pk: Pk) -> None:
    ok("expect", "The keys", "--from", "bob", "--by", "fri")
    refused = pk("keep", "1", "--tell")
    assert refused.exit_code == 1 and "leave out --tell" in refused.stderr
    assert ok("show", "1", "--json").json["status"] == "open"  # nothing half-done
    arrived = ok("keep", "1", "--no-tell")
    assert arrived.stdout.splitlines()[0] == "Arrived #1 from bob, on time, 4 days 7 hours early."
    kinds = [e["kind"] for e in ok("show", "1", "--json").json["history"]]
    assert kinds == ["made", "kept"]


def test_move_and_break_say_what_is_true_of_their_promise(ok: Pk) -> None:
    ok("expect", "The keys", "--from", "bob", "--by", "fri", now=MADE)
    moved = ok("move", "1", "next wed").stdout
    assert "Moved #1 The keys ← bob" in moved
    assert "stays on bob's record as late" in moved and "Tell bob" not in moved
    broken = ok("break", "1", "--reason", "they gave up").stdout
    assert broken.startswith("Broken by them: #1 The keys ← bob")


# -------------------------------------------------------------------------------------------------
# pk nudge and pk notify: each for its own side
# -------------------------------------------------------------------------------------------------
def test_nudge_on_your_own_promise_or_a_closed_one_names_what_to_use(pk: Pk, ok: Pk) -> None:
    ok("promise", "Mine", "--to", "alice", "--due", "fri")
    ok("expect", "Theirs", "--from", "bob", "--by", "fri")
    mine = pk("nudge", "1")
    assert mine.exit_code == 1
    assert mine.stderr == (
        "pk: #1 is your promise to alice, not theirs; to tell them about it, use pk notify 1\n"
    )
    notify = pk("notify", "2")
    assert notify.exit_code == 1
    assert notify.stderr == (
        "pk: #2 is what bob promised you, not yours to tell them about; to remind them, "
        "use pk nudge 2\n"
    )
    ok("keep", "2")
    closed = pk("nudge", "2")
    assert closed.exit_code == 1 and "has arrived (kept); nothing to nudge" in closed.stderr
    assert "pk reopen 2" in closed.stderr
    kinds = [e["kind"] for e in ok("show", "2", "--json").json["history"]]
    assert kinds == ["made", "kept"]


def test_a_dry_run_sends_and_records_nothing_and_never_invents_a_reason(ok: Pk) -> None:
    ok("expect", "The keys", "--from", "bob", "--by", "fri")
    shown = ok("nudge", "1", "--dry-run").stdout
    assert shown.splitlines()[4] == (
        'A friendly reminder about "The keys", which you promised me for Fri 27 Nov 17:00.'
    )
    assert shown.splitlines()[-1] == "(dry run: nothing sent, nothing recorded)"
    assert ok("nudge", "1", "--print", "--json").json["to"] == ["bob"]
    assert [e["kind"] for e in ok("show", "1", "--json").json["history"]] == ["made"]


def test_a_nudge_goes_through_the_persons_channel_and_undo_takes_it_back(
    ok: Pk, pk: Pk, tmp_path: Path, isolated: Path
) -> None:
    """The same channels as pk notify: a `command` channel runs the user's program once for
    the person; a failure records nothing; undo takes a recorded nudge back."""
    out = tmp_path / "sent.txt"
    config = isolated.parent / "config.toml"
    config.write_text(
        "[notify]\ncommand = ['sh', '-c', 'printf %s \"$0\" > " + str(out) + "', '{subject}']\n",
        encoding="utf-8",
    )
    ok("expect", "The keys", "--from", "bob", "--by", "fri")
    sent = ok("nudge", "1", "--via", "command")
    assert "Nudged bob via command" in sent.stdout
    assert out.read_text() == "A friendly reminder: The keys"
    config.write_text("[notify]\ncommand = ['false']\n", encoding="utf-8")
    failed = pk("nudge", "1", "--via", "command")
    assert failed.exit_code == 1 and "not told via command" in failed.stderr
    kinds = [e["kind"] for e in ok("show", "1", "--json").json["history"]]
    assert kinds == ["made", "nudged"]
    ok("undo", "--yes")
    assert [e["kind"] for e in ok("show", "1", "--json").json["history"]] == ["made"]


# -------------------------------------------------------------------------------------------------
# pk remind
# -------------------------------------------------------------------------------------------------
def test_the_digest_lists_expectations_to_nudge_with_when_you_last_asked(ok: Pk) -> None:
    ok("expect", "Never asked", "--from", "bob", "--by", "wed", now=MADE)
    ok("expect", "Asked before", "--from", "carol", "--by", "thu", now=MADE)
    ok("expect", "Due soon", "--from", "dan", "--by", "tomorrow 9am")
    ok("expect", "Far off", "--from", "erin", "--by", "2026-12-20")
    ok("nudge", "2", now="2026-11-17T10:00:00+01:00")
    digest = ok("remind", "--no-record").stdout.splitlines()
    assert digest[0] == ("PromiseKeeper, Mon 23 Nov 10:00: 3 promises need you: 3 owed to you.")
    assert digest[1:] == [
        "",
        "Owed to you, overdue",
        "  #1 Never asked ← bob · was due Wed 18 Nov 17:00, 4 days 17 hours late · never asked",
        "    next: pk nudge 1",
        "  #2 Asked before ← carol · was due Thu 19 Nov 17:00, 3 days 17 hours late"
        " · asked 6 days ago, no news",
        "    next: pk nudge 2",
        "",
        "Owed to you, due soon",
        "  #3 Due soon ← dan · due Tue 24 Nov 09:00, in 23 hours · never asked",
        "    next: pk nudge 3",
    ]
    items = ok("remind", "--format", "json").json
    assert [(i["id"], i["reason"], i["next"]) for i in items] == [
        (1, "owed_overdue", "pk nudge 1"),
        (2, "owed_overdue", "pk nudge 2"),
        (3, "owed_due_soon", "pk nudge 3"),
    ]
    assert [i["last_asked"] for i in items] == [None, "2026-11-17T09:00:00+00:00", None]


# -------------------------------------------------------------------------------------------------
# Export and import carry the direction
# -------------------------------------------------------------------------------------------------
def test_export_and_import_carry_the_direction(ok: Pk, tmp_path: Path) -> None:
    ok("promise", "Mine", "--to", "alice", "--due", "fri")
    ok("expect", "Theirs", "--from", "bob", "--by", "fri")
    ok("nudge", "2", "--reason", "we ship monday")
    exported = ok("export").json
    assert [p["direction"] for p in exported["promises"]] == ["mine", "owed"]
    path = tmp_path / "e.json"
    path.write_text(json.dumps(exported))
    other = str(tmp_path / "other.db")
    ok("--db", other, "import", str(path))
    again = ok("--db", other, "list", "--owed", "--json").json
    assert [p["what"] for p in again] == ["Theirs"]
    kinds = [e["kind"] for e in ok("--db", other, "show", "2", "--json").json["history"]]
    assert kinds == ["made", "nudged"]


def test_an_older_export_without_direction_imports_as_yours(ok: Pk, tmp_path: Path) -> None:
    ok("expect", "Theirs", "--from", "bob", "--by", "fri")
    exported = ok("export").json
    for promise in exported["promises"]:
        promise.pop("direction")
        promise["history"][0]["details"].pop("direction")
    path = tmp_path / "old.json"
    path.write_text(json.dumps(exported))
    other = str(tmp_path / "other.db")
    ok("--db", other, "import", str(path))
    assert ok("--db", other, "list", "--json").json[0]["direction"] == "mine"


def test_a_plain_record_may_say_it_is_owed(ok: Pk, tmp_path: Path) -> None:
    path = tmp_path / "plain.json"
    path.write_text(
        json.dumps([{"what": "Theirs", "to": "bob", "due": "2026-12-01", "direction": "owed"}])
    )
    ok("import", str(path))
    assert ok("list", "--owed", "--json").json[0]["what"] == "Theirs"


def test_people_counts_only_your_promises_to_them(ok: Pk) -> None:
    ok("promise", "Mine", "--to", "bob", "--due", "fri")
    ok("expect", "Theirs", "--from", "bob", "--by", "fri")
    ok("expect", "Only theirs", "--from", "carol", "--by", "fri")
    lines = [line.split() for line in ok("people").stdout.splitlines()]
    rows = {words[0]: words[1:] for words in lines if words and words[0] in ("bob", "carol")}
    assert rows["bob"][:2] == ["1", "0"] and rows["carol"][:2] == ["0", "0"]
