"""The walk through promises at risk, in a real pseudo-terminal (pexpect), with the installed pk.

Each answer must do exactly what it says, and Ctrl-C in the middle must lose nothing and add
nothing: the ledger stays as it was before the unanswered question.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pexpect = pytest.importorskip("pexpect")

PK = Path(sys.executable).parent / "pk"
NOW = "2026-11-23T10:00:00+01:00"
pytestmark = pytest.mark.skipif(not PK.exists(), reason="needs the installed pk entry point")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    environ = {
        key: value for key, value in os.environ.items() if key not in ("CI", "PK_DEBUG", "COLUMNS")
    }
    environ.update(
        PK_DB=str(tmp_path / "ledger.db"),
        PK_CONFIG=str(tmp_path / "config.toml"),
        PK_NOW=NOW,
        TZ="Europe/Berlin",
        TERM="dumb",
        NO_COLOR="1",
    )
    return environ


def pk(env: dict[str, str], *args: str, now: str = NOW) -> str:
    done = subprocess.run(
        [str(PK), *args],
        env={**env, "PK_NOW": now},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=True,
    )
    return done.stdout


def history(env: dict[str, str], promise_id: int) -> list[str]:
    shown = json.loads(pk(env, "show", str(promise_id), "--json"))
    return [event["kind"] for event in shown["history"]]


def ledger_state(env: dict[str, str]) -> str:
    return pk(env, "export").split('"promises"', 1)[1]


def spawn(env: dict[str, str], *args: str):
    child = pexpect.spawn(
        str(PK), list(args), env=env, encoding="utf-8", timeout=20, dimensions=(50, 160)
    )
    return child


@pytest.fixture
def three(env: dict[str, str]) -> dict[str, str]:
    """An overdue promise (#1), two at risk (#2, #3) and one on track (#4)."""
    pk(
        env,
        "promise",
        "late report",
        "--to",
        "alice",
        "--due",
        "fri",
        now="2026-11-16T10:00:00+01:00",
    )
    # Made a week ago; now due within the risk window, which their people have not heard.
    week_ago = "2026-11-16T10:00:00+01:00"
    pk(env, "promise", "draft spec", "--to", "bob", "--due", "2026-11-24 09:00", now=week_ago)
    pk(env, "promise", "plan offsite", "--to", "carol", "--due", "2026-11-23 15:00", now=week_ago)
    pk(env, "promise", "yearly review", "--to", "dan", "--due", "2026-12-20")
    return env


def test_each_answer_does_what_it_says(three: dict[str, str]) -> None:
    env = three
    child = spawn(env, "today")
    child.expect("3 promises to tell people about")
    # 1: overdue -> notify, with a reason, no new date
    child.expect(r"#1 late report → alice")
    child.expect("Overdue")
    child.expect(r"What now\?")
    child.sendline("n")
    child.expect("Reason to give")
    child.sendline("The data team is behind.")
    child.expect("New date to offer")
    child.sendline("")
    child.expect(r"Subject: Sorry: late report is late")
    child.expect(r"Record that you told them\?")
    child.sendline("y")
    child.expect("Told alice via print")
    # 2 (due soonest after the overdue one): plan offsite, due 15:00 -> move, then don't send
    child.expect(r"#3 plan offsite → carol")
    child.expect(r"What now\?")
    child.sendline("m")
    child.expect("New date")
    child.sendline("someday")  # not a date: asked again
    child.expect("cannot understand date")
    child.expect("New date")
    child.sendline("thu")
    child.expect("Reason to give")
    child.sendline("")
    child.expect("Moved to Thu 26 Nov 17:00")
    child.expect("Subject: New date for plan offsite")
    child.expect(r"Record that you told them\?")
    child.sendline("n")
    child.expect("Not recorded.")
    # 3: draft spec -> skip for today
    child.expect(r"#2 draft spec → bob")
    child.expect(r"What now\?")
    child.sendline("s")
    child.expect("Skipped for today.")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0

    assert history(env, 1) == ["made", "notified"]
    assert history(env, 3) == ["made", "moved"]
    assert history(env, 2) == ["made", "snoozed"]
    assert history(env, 4) == ["made"]
    told = json.loads(pk(env, "show", "1", "--json"))["history"][-1]["details"]
    assert told["template"] == "apology" and "The data team is behind." in told["message"]

    # Asked again only about what still needs telling: #3 was moved but nobody was told.
    again = spawn(env, "today")
    again.expect(r"1 promise to tell people about")
    again.expect(r"#3 plan offsite")
    again.expect(r"What now\?")
    again.sendline("q")
    again.expect(pexpect.EOF)
    # Tomorrow the skipped one comes back.
    tomorrow = spawn({**env, "PK_NOW": "2026-11-24T08:00:00+01:00"}, "today")
    tomorrow.expect(r"#2 draft spec")
    tomorrow.sendline("q")
    tomorrow.expect(pexpect.EOF)


def test_keep_from_the_walk_and_the_delivered_note(three: dict[str, str]) -> None:
    env = three
    child = spawn(env, "status")
    child.expect(r"#1 late report")
    child.expect(r"What now\?")
    child.sendline("k")
    child.expect("Kept #1, 2 days 17 hours late.")
    child.expect(r"Tell alice it's done\?")
    child.sendline("y")
    child.expect(
        '"late report" is done, 2 days 17 hours after the Fri 20 Nov 17:00 I promised. '
        "I'm sorry for the delay."
    )
    child.expect("Told alice via print")
    child.expect(r"What now\?")
    child.sendline("q")
    child.expect(pexpect.EOF)
    assert history(env, 1) == ["made", "kept", "notified"]


@pytest.mark.parametrize("answers", [["m", "fri"], ["n"], ["n", "reason"], []])
def test_ctrl_c_in_the_middle_loses_and_adds_nothing(three: dict[str, str], answers) -> None:
    env = three
    before = ledger_state(env)
    child = spawn(env, "today")
    child.expect(r"What now\?")
    for answer in answers:
        child.sendline(answer)
        child.expect(r"\? |: ")
    child.sendintr()
    child.expect("Stopped")
    child.expect(pexpect.EOF)
    assert ledger_state(env) == before


def test_eof_stops_the_walk(three: dict[str, str]) -> None:
    before = ledger_state(three)
    child = spawn(three, "today")
    child.expect(r"What now\?")
    child.sendeof()
    child.expect(pexpect.EOF)
    assert ledger_state(three) == before


def test_keep_offers_the_delivered_note_on_a_terminal(env: dict[str, str]) -> None:
    pk(env, "promise", "the slides", "--to", "erin", "--due", "fri")
    child = spawn(env, "keep", "1")
    child.expect(r"Tell erin it's done\?")
    child.sendline("n")
    child.expect(pexpect.EOF)
    assert history(env, 1) == ["made", "kept"]


@pytest.mark.parametrize(
    ("args", "extra_env"),
    [
        (["today", "--no-prompt"], {}),
        (["status", "--no-prompt"], {}),
        (["today"], {"CI": "1"}),
        (["today", "--json"], {}),
    ],
)
def test_no_walk_when_turned_off(three: dict[str, str], args, extra_env) -> None:
    child = spawn({**three, **extra_env}, *args)
    child.expect(pexpect.EOF)
    assert "What now" not in child.before
    assert history(three, 1) == ["made"]


def test_no_walk_off_a_terminal(three: dict[str, str]) -> None:
    out = pk(three, "today")
    assert "What now" not in out and "to tell people about" not in out


def test_the_walk_prints_a_pasteable_message_and_uses_the_views_words(
    three: dict[str, str],
) -> None:
    """The print channel's message comes out clean (no `| ` prefix, one line per paragraph),
    and a promise listed under "Due today" is asked about as due today."""
    child = spawn(three, "today")
    child.expect(r"#1 late report")
    child.expect(r"What now\?")
    child.sendline("n")
    child.expect("Reason to give")
    child.sendline("the data team is behind")
    child.expect("New date to offer")
    child.sendline("")
    # Shown once, clean to paste (no `| ` prefix), before the question.
    child.expect(r"\r\nSubject: Sorry: late report is late\r\n\r\nHi alice,\r\n\r\n")
    child.expect(
        r'I promised you "late report" for Fri 20 Nov 17:00, and I missed that date\. '
        r"I'm sorry\. The data team is behind\.\r\n"
    )
    child.expect(r"Record that you told them\?")
    child.sendline("y")
    child.expect("Told alice via print")
    assert "Subject:" not in child.before  # not printed a second time
    child.expect(r"#3 plan offsite")
    child.expect("Due today: ")
    child.expect(r"What now\?")
    child.sendline("q")
    child.expect(pexpect.EOF)


def test_the_walk_never_asks_you_to_tell_them_about_their_promise(env: dict[str, str]) -> None:
    """Promises owed to you, overdue or at risk, are in the view ("Owed to you") but the walk
    asks only about yours: you never tell someone about THEIR promise."""
    week_ago = "2026-11-16T10:00:00+01:00"
    pk(env, "expect", "their report", "--from", "bob", "--by", "fri", now=week_ago)
    pk(env, "expect", "their draft", "--from", "carol", "--by", "2026-11-24 09:00", now=week_ago)
    pk(env, "promise", "my report", "--to", "alice", "--due", "fri", now=week_ago)
    child = spawn(env, "today")
    child.expect("Owed to you")
    child.expect("1 promise to tell people about")
    child.expect(r"#3 my report → alice")
    child.expect(r"What now\?")
    child.sendline("q")
    child.expect(pexpect.EOF)
    assert "#1 their report" not in child.before and "#2 their draft" not in child.before
    assert history(env, 1) == ["made"] and history(env, 2) == ["made"]
