"""Every message kind, drafted through `pk notify` for one promise in each state: what it says,
and what it must never say (issue: honest messages for every turn a promise takes)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from conftest import Pk

WEEK_AGO = "2026-11-16T10:00:00+01:00"  # NOW is Mon 23 Nov 10:00 in Berlin
TITLE = "Review Bob's RFC on caching"
QUOTED = f'"{TITLE}"'


def _made(ok: Pk, due: str) -> str:
    result = ok("promise", TITLE, "--to", "bob", "--due", due, "--json", now=WEEK_AGO)
    return str(result.json["id"])


def at_risk(ok: Pk) -> str:
    return _made(ok, "2026-11-24 09:00")


def overdue(ok: Pk) -> str:
    return _made(ok, "2026-11-20 17:00")


def moved_before(ok: Pk) -> str:
    pid = _made(ok, "2026-11-24 09:00")
    ok("move", pid, "2026-11-27 17:00", "--reason", "waiting for the final figures")
    return pid


def moved_after(ok: Pk) -> str:
    pid = _made(ok, "2026-11-20 17:00")
    ok("move", pid, "2026-11-27 17:00", "--reason", "the vendor slipped")
    return pid


def broken(ok: Pk) -> str:
    pid = _made(ok, "2026-11-27 17:00")
    ok("break", pid, "--reason", "reorg moved it to another team", "--no-tell")
    return pid


def released(ok: Pk) -> str:
    pid = _made(ok, "2026-11-27 17:00")
    ok("release", pid, "--reason", "project cancelled", "--no-tell")
    return pid


def kept_early(ok: Pk) -> str:
    pid = _made(ok, "2026-11-27 17:00")
    ok("keep", pid, "--no-tell")
    return pid


def kept_on_time(ok: Pk) -> str:
    pid = _made(ok, "2026-11-23 17:00")
    ok("keep", pid, "--no-tell", now="2026-11-23T16:50:00+01:00")
    return pid


def kept_late(ok: Pk) -> str:
    pid = _made(ok, "2026-11-20 17:00")
    ok("keep", pid, "--no-tell")
    return pid


def kept_after_late_move(ok: Pk) -> str:
    pid = _made(ok, "2026-11-20 17:00")
    ok("move", pid, "2026-11-23 17:00", now="2026-11-21T11:00:00+01:00")
    ok("keep", pid, "--no-tell")
    return pid


Setup = Callable[[Pk], str]
CASES: list[tuple[Setup, str, str, list[str], list[str]]] = [
    (
        at_risk,
        "heads-up",
        f"Heads-up: {TITLE}",
        [
            f"A heads-up about {QUOTED}, which I promised you for Tue 24 Nov 09:00: "
            "I may not make that date.",
            "If part of it by Tue 24 Nov 09:00 would help, I can deliver that part first",
        ],
        ["at risk", "taking longer", "sorry", "on time"],
    ),
    (
        overdue,
        "apology",
        f"Sorry: {TITLE} is late",
        [
            f"I promised you {QUOTED} for Fri 20 Nov 17:00, and I missed that date. I'm sorry.",
            "If part of it would help you now, I can deliver that part first",
        ],
        ["heads-up", "Heads-up", "at risk", "taking longer", "partial delivery by"],
    ),
    (
        moved_before,
        "new-date",
        f"New date for {TITLE}",
        [
            f"I promised you {QUOTED} for Tue 24 Nov 09:00, and I won't make that date. "
            "Waiting for the final figures.",
            "The new date I can commit to is Fri 27 Nov 17:00.",
        ],
        ["missed", "at risk", "taking longer"],
    ),
    (
        moved_after,
        "apology",
        f"Sorry: {TITLE} is late",
        [
            f"I promised you {QUOTED} for Fri 20 Nov 17:00, and I missed that date. I'm sorry. "
            "The vendor slipped.",
            "The new date I can commit to is Fri 27 Nov 17:00.",
        ],
        ["won't make", "heads-up", "at risk"],
    ),
    (
        broken,
        "cannot-do",
        f"I can't deliver {TITLE} after all",
        [
            f"I promised you {QUOTED} for Fri 27 Nov 17:00, and I have to tell you that I can't "
            "do it after all. I'm sorry. Reorg moved it to another team.",
        ],
        ["heads-up", "Heads-up", "at risk", "partial delivery by", "new date", "taking longer"],
    ),
    (
        released,
        "released",
        f"Thanks: {TITLE}",
        [f"Thanks for letting me off {QUOTED}", "Project cancelled."],
        ["heads-up", "sorry", "late", "at risk"],
    ),
    (
        kept_early,
        "delivered",
        f"Done: {TITLE}",
        [f"{QUOTED} is done, on time for the Fri 27 Nov 17:00 I promised."],
        ["late", "sorry"],
    ),
    (
        kept_on_time,
        "delivered",
        f"Done: {TITLE}",
        [f"{QUOTED} is done, on time for the Mon 23 Nov 17:00 I promised."],
        ["late", "sorry"],
    ),
    (
        kept_late,
        "delivered-late",
        f"Done, late: {TITLE}",
        [
            f"{QUOTED} is done, 2 days 17 hours after the Fri 20 Nov 17:00 I promised. "
            "I'm sorry for the delay."
        ],
        ["on time", "as promised"],
    ),
    (
        kept_after_late_move,
        "delivered-late",
        f"Done, late: {TITLE}",
        [
            f"{QUOTED} is done, by the new date, Mon 23 Nov 17:00, but after the "
            "Fri 20 Nov 17:00 I first promised. I'm sorry for the delay."
        ],
        ["on time", "as promised"],
    ),
]


def _message(stdout: str) -> tuple[str, str]:
    """The subject and body the print channel printed (before pk's own 'Told ...' line)."""
    text = stdout.split("\nTold ", 1)[0]
    first, _, body = text.partition("\n\n")
    assert first.startswith("Subject: "), stdout
    return first.removeprefix("Subject: "), body


@pytest.mark.parametrize(
    ("setup", "kind", "subject", "says", "never"), CASES, ids=[c[0].__name__ for c in CASES]
)
def test_each_state_gets_the_message_that_is_true_of_it(
    ok: Pk, setup: Setup, kind: str, subject: str, says: list[str], never: list[str]
) -> None:
    pid = setup(ok)
    result = ok("notify", pid)
    got_subject, body = _message(result.stdout)
    assert got_subject == subject
    assert body.startswith("Hi bob,\n\n")
    for words in says:
        assert words in body, body
    for words in never:
        assert words not in body, body
    # One paragraph per line: no line break of ours inside a paragraph.
    lines = body.splitlines()
    assert all(not (a and b) for a, b in zip(lines, lines[1:], strict=False)), body
    told = ok("show", pid, "--json").json["history"][-1]
    assert told["kind"] == "notified" and told["details"]["template"] == kind
    # Only news before the deadline (a heads-up, a new date) is notice before the deadline.
    assert told["details"]["before_deadline"] is (kind in ("heads-up", "new-date"))


def test_no_reason_given_means_no_reason_sentence(ok: Pk) -> None:
    pid = at_risk(ok)
    body = _message(ok("notify", pid).stdout)[1]
    assert "I may not make that date.\n" in body  # nothing invented after it
    reason = _message(
        ok("notify", pid, "--reason", "the data arrived late", "--kind", "heads-up").stdout
    )[1]
    assert "I may not make that date. The data arrived late.\n" in reason


def test_the_reason_given_now_wins_over_the_moves(ok: Pk) -> None:
    pid = moved_before(ok)
    body = _message(ok("notify", pid, "--reason", "Legal wants another look!").stdout)[1]
    assert "won't make that date. Legal wants another look!\n" in body
    assert "final figures" not in body


@pytest.mark.parametrize(
    ("setup", "refused", "fits"),
    [
        (broken, "heads-up", "cannot-do"),
        (released, "heads-up", "released"),
        (kept_late, "delivered", "delivered-late"),
        (kept_early, "apology", "delivered"),
        (at_risk, "apology", "heads-up"),
        (overdue, "heads-up", "apology"),
    ],
)
def test_a_kind_untrue_of_the_record_is_refused(
    ok: Pk, pk: Pk, setup: Setup, refused: str, fits: str
) -> None:
    pid = setup(ok)
    result = pk("notify", pid, "--kind", refused)
    assert result.exit_code == 1
    assert f"(the message that fits is {fits})" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert ok("show", pid, "--json").json["history"][-1]["kind"] != "notified"


def test_telling_after_a_break_earns_no_notice_in_the_trust_bank(ok: Pk) -> None:
    pid = _made(ok, "2026-11-27 17:00")
    out = ok(
        "break",
        pid,
        "--reason",
        "reorg moved it to another team",
        "--offer",
        "an intro to Dana, who owns it now",
        "--tell",
    ).stdout
    assert "What I can offer instead: an intro to Dana, who owns it now." in out
    assert "Told bob via print" in out
    trust = ok("trust", "bob", "--json").json[0]
    assert [entry["kind"] for entry in trust["recent"]] == ["broken"]
    assert ok("stats", "--json").json["told_before_deadline"] == 0


def test_a_delivered_note_before_the_due_date_is_no_notice(ok: Pk) -> None:
    pid = _made(ok, "2026-11-27 17:00")
    ok("keep", pid, "--tell")
    kinds = [entry["kind"] for entry in ok("trust", "bob", "--json").json[0]["recent"]]
    assert "told_before_deadline" not in kinds


def test_a_heads_up_earns_notice(ok: Pk) -> None:
    pid = at_risk(ok)
    ok("notify", pid)
    ok("keep", pid, "--no-tell", now="2026-11-24T12:00:00+01:00")
    kinds = [e["kind"] for e in ok("trust", "bob", "--json").json[0]["recent"]]
    assert "told_before_deadline" in kinds and "kept_late_with_notice" in kinds


def test_break_and_release_tell_and_no_tell(ok: Pk) -> None:
    pid = _made(ok, "2026-11-27 17:00")
    ok("break", pid, "--no-tell")
    assert ok("show", pid, "--json").json["notified_at"] is None
    other = _made(ok, "2026-11-27 17:00")
    out = ok("release", other, "--tell").stdout
    assert "Subject: Thanks: " in out and "Told bob via print" in out


# -- moving earlier is not a slip -----------------------------------------------------------------
def test_moving_earlier_is_a_move_but_no_slip(ok: Pk, pk: Pk) -> None:
    pid = _made(ok, "2026-11-27 17:00")
    out = ok("move", pid, "thu 15:30").stdout
    assert "Moved earlier: not a slip, and no news they must hear." in out
    assert f'pk notify {pid} --message "..."' in out
    assert "Tell bob the new date now" not in out
    shown = ok("show", pid, "--json").json
    assert shown["moves"] == 1 and shown["needs_telling"] is False
    refused = pk("notify", pid, "--kind", "new-date")
    assert refused.exit_code == 1 and "no new date to tell" in refused.stderr
    ok("keep", pid, "--no-tell", now="2026-11-26T15:00:00+01:00")
    stats = ok("stats", "--json", now="2026-11-26T15:00:00+01:00").json
    assert stats["moved"] == 1 and stats["slipped"] == 0
    kinds = [e["kind"] for e in ok("trust", "bob", "--json").json[0]["recent"]]
    assert "moved_in_advance" not in kinds and "moved_after_deadline" not in kinds


def test_moving_later_then_back_to_the_date_they_heard_needs_no_telling(ok: Pk) -> None:
    pid = _made(ok, "2026-11-27 17:00")
    ok("move", pid, "2026-12-04 17:00")
    assert ok("show", pid, "--json").json["needs_telling"] is True
    ok("move", pid, "2026-11-27 17:00")
    assert ok("show", pid, "--json").json["needs_telling"] is False


def test_show_says_before_the_deadline_only_for_notice(ok: Pk) -> None:
    pid = at_risk(ok)
    ok("notify", pid)
    ok("keep", pid, "--tell")
    shown = ok("show", pid).stdout
    assert "told bob via print (heads-up), before the deadline" in shown
    assert "told bob via print (delivered)" in shown
    assert "(delivered), after the deadline" not in shown
    assert "(delivered), before the deadline" not in shown
