"""`pk remind`: the cron digest, quiet when all is well, never repeating itself the same day."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Pk

EARLY = "2026-11-23T08:00:00+01:00"  # Monday 08:00 in Berlin


@pytest.fixture
def ledger(make) -> dict[str, int]:
    return {
        "late": make("late report", "alice", "fri", now="2026-11-16T10:00:00+01:00"),
        "spec": make("draft spec", "bob", "tomorrow 9am", now=EARLY),
        "plan": make("plan", "carol", "15:00", now=EARLY),
        "later": make("quarterly", "dan", "2026-11-26", now=EARLY),
    }


def test_nothing_to_act_on_prints_nothing(ok: Pk, make) -> None:
    assert ok("remind", now=EARLY).stdout == ""
    make("far away", "a", "2026-12-20")
    assert ok("remind", now=EARLY).stdout == ""


def test_digest_lists_what_needs_you_with_the_next_command(ok: Pk, ledger) -> None:
    out = ok("remind", now=EARLY).stdout
    assert out.splitlines() == [
        "PromiseKeeper, Mon 23 Nov 08:00: 3 promises need you: 1 overdue, 2 due soon.",
        "",
        "Overdue",
        "  #1 late report → alice · was due Fri 20 Nov 17:00, 2 days 15 hours late",
        "    next: pk notify 1",
        "",
        "Due soon",
        "  #3 plan → carol · due Mon 23 Nov 15:00, in 7 hours",
        "    next: pk keep 3",  # made this morning for 15:00: carol knows the date
        "  #2 draft spec → bob · due Tue 24 Nov 09:00, in 25 hours",
        "    next: pk keep 2",
    ]


def test_no_repeat_the_same_day_unless_it_got_worse(ok: Pk, ledger) -> None:
    assert ok("remind", now=EARLY).stdout
    assert ok("remind", now=EARLY).stdout == ""
    # By noon "draft spec" is at risk (under 24 hours left): worse than this morning.
    noon = ok("remind", now="2026-11-23T12:00:00+01:00").stdout
    assert "#2 draft spec" in noon and "#3 plan" not in noon and "#1 late" not in noon
    assert ok("remind", now="2026-11-23T13:00:00+01:00").stdout == ""
    # At 16:00 "plan" is overdue.
    later = ok("remind", now="2026-11-23T16:00:00+01:00").stdout
    assert "#3 plan" in later and "#2 draft spec" not in later and "#1 late" not in later
    # The next day everything still open is said again.
    assert "#1 late report" in ok("remind", now="2026-11-24T08:00:00+01:00").stdout


def test_reminders_are_recorded_but_not_undone(ok: Pk, ledger) -> None:
    ok("remind", now=EARLY)
    history = ok("show", "1", "--json").json["history"]
    assert history[-1]["kind"] == "reminded"
    # The standing it said and the due time it was about: what the next reminder compares.
    assert history[-1]["details"] == {"standing": "overdue", "due": "2026-11-20T16:00:00+00:00"}
    assert "Undid `pk promise`" in ok("undo").stdout  # the last promise, not the reminders
    assert len(ok("list", "--json").json) == 3


def test_within_quiet_json_and_fail_if_due(ok: Pk, pk: Pk, ledger) -> None:
    quiet = ok("remind", "--quiet", "--within", "5d", now=EARLY).stdout
    assert quiet == "PromiseKeeper, Mon 23 Nov 08:00: 4 promises need you: 1 overdue, 3 due soon.\n"
    data = ok("remind", "--format", "json", now="2026-11-24T08:00:00+01:00").json
    assert [(item["id"], item["reason"], item["next"]) for item in data][0] == (
        1,
        "overdue",
        "pk notify 1",
    )
    failing = pk("remind", "--fail-if-due", now="2026-11-25T08:00:00+01:00")
    assert failing.exit_code == 3
    assert pk("remind", "--format", "xml").exit_code == 2
    assert pk("remind", "--within", "soon").exit_code == 1


def test_at_risk_and_told_is_not_reminded_as_at_risk(ok: Pk, make) -> None:
    pid = make("big", "a", "2026-12-23", now="2026-11-23T17:00:00+01:00")  # 30 days
    ok("notify", str(pid), now="2026-12-18T10:00:00+01:00")
    assert ok("remind", now="2026-12-18T11:00:00+01:00").stdout == ""


def test_desktop_notification_only_with_a_session(ok: Pk, ledger, tmp_path: Path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "notified"
    tool = bin_dir / "notify-send"
    tool.write_text(f'#!/bin/sh\nprintf "%s|" "$@" >> "{log}"\n')
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    out = ok("remind", "--desktop", now=EARLY).stdout
    assert "3 promises need you" in out and not log.exists()
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/dev/null")
    ok("remind", "--desktop", now="2026-11-24T08:00:00+01:00")
    assert log.read_text().count("|PromiseKeeper|") == 1  # one notification for the lot
    assert "promises need you" in log.read_text()


PK = Path(sys.executable).parent / "pk"


@pytest.mark.skipif(not PK.exists(), reason="needs the installed pk entry point")
def test_installed_pk_remind_in_an_environment_as_bare_as_crons(tmp_path: Path) -> None:
    db = tmp_path / "ledger.db"

    def bare(*args: str, now: str) -> subprocess.CompletedProcess[str]:
        # What cron gives a job: no HOME, no XDG_*, no TZ, no terminal, a minimal PATH.
        return subprocess.run(
            ["env", "-i", "PATH=/usr/bin:/bin", f"PK_DB={db}", f"PK_NOW={now}", str(PK), *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
        )

    made = bare(
        "promise",
        "late report",
        "--to",
        "alice",
        "--due",
        "2026-11-20 17:00",
        "--force",
        now="2026-11-16T09:00:00+00:00",
    )
    assert made.returncode == 0, made.stderr
    first = bare("remind", now="2026-11-23T07:00:00+00:00")
    assert first.returncode == 0, first.stderr
    assert first.stderr == ""
    assert "1 promise needs you: 1 overdue" in first.stdout
    assert "next: pk notify 1" in first.stdout
    assert "\x1b" not in first.stdout
    second = bare("remind", now="2026-11-23T08:00:00+00:00")
    assert (second.returncode, second.stdout, second.stderr) == (0, "", "")


# -------------------------------------------------------------------------------------------------
# Reminders you can trust: what changed, what needs you now, and who records
# -------------------------------------------------------------------------------------------------
def kinds(ok: Pk, promise_id: int) -> list[str]:
    return [event["kind"] for event in ok("show", str(promise_id), "--json").json["history"]]


def test_says_what_changed_since_the_last_reminder(ok: Pk, make) -> None:
    """The user's report: 16:00 and 17:05 listed the same promises without saying what got
    worse."""
    plan = make("plan", "carol", "17:00", now=EARLY)
    spec = make("draft spec", "bob", "2026-11-24 16:30", now="2026-11-20T08:00:00+01:00")
    first = ok("remind", now="2026-11-23T16:00:00+01:00").stdout
    assert "2 promises need you: 2 due soon." in first
    assert " now " not in first  # a first reminder has nothing to compare with
    later = ok("remind", now="2026-11-23T17:05:00+01:00").stdout.splitlines()
    assert later[0] == (
        "PromiseKeeper, Mon 23 Nov 17:05: 2 promises need you: 1 overdue, 1 due soon; "
        "1 now overdue, 1 now at risk."
    )
    assert (
        f"  #{plan} plan → carol · was due Mon 23 Nov 17:00, 5 minutes late · now overdue" in later
    )
    assert f"  #{spec} draft spec → bob · due Tue 24 Nov 16:30, in 23 hours · now at risk" in later
    # The next day both are said again; what got worse overnight says so, what did not, not.
    tuesday = ok("remind", now="2026-11-24T17:00:00+01:00").stdout.splitlines()
    assert tuesday[0].endswith("2 promises need you: 2 overdue; 1 now overdue.")
    lines = {line.split(" · ")[0].strip(): line for line in tuesday if " · " in line}
    assert lines[f"#{spec} draft spec → bob"].endswith("30 minutes late · now overdue")
    assert lines[f"#{plan} plan → carol"].endswith("1 day late")


def test_a_move_since_the_last_reminder_is_said_and_counts_as_new(ok: Pk, make) -> None:
    pid = make("plan", "carol", "09:00", now=EARLY)
    assert f"#{pid} plan" in ok("remind", now="2026-11-23T09:30:00+01:00").stdout
    ok("move", str(pid), "11:00", now="2026-11-23T09:40:00+01:00")
    # Overdue again, the same day: a new miss of a new date, not a repeat.
    out = ok("remind", now="2026-11-23T11:30:00+01:00").stdout
    assert f"#{pid} plan → carol · was due Mon 23 Nov 11:00, 30 minutes late · moved since" in out
    assert ok("remind", now="2026-11-23T12:30:00+01:00").stdout == ""


def test_fail_if_due_on_a_second_run_still_says_what_needs_you(pk: Pk, ledger) -> None:
    first = pk("remind", "--fail-if-due", now=EARLY)
    assert first.exit_code == 3 and "3 promises need you" in first.stdout
    second = pk("remind", "--fail-if-due", now="2026-11-23T08:30:00+01:00")
    # Nothing new to print (cron sends no mail), but three promises still need you.
    assert (second.exit_code, second.stdout) == (3, "")
    for pid in ledger.values():
        pk("keep", str(pid))
    assert pk("remind", "--fail-if-due", now="2026-11-23T10:30:00+01:00").exit_code == 0


def test_json_lists_all_that_needs_you_marking_what_is_new(ok: Pk, ledger) -> None:
    def flags(now: str) -> list[tuple[int, bool, str | None, str | None]]:
        data = ok("remind", "--format", "json", now=now).json
        return [(item["id"], item["new"], item["change"], item["was"]) for item in data]

    assert flags(EARLY) == [(1, True, None, None), (3, True, None, None), (2, True, None, None)]
    assert flags("2026-11-23T08:30:00+01:00") == [
        (1, False, None, "overdue"),
        (3, False, None, "at_risk"),
        (2, False, None, "on_track"),
    ]
    # By noon "draft spec" is at risk: new again, and it says what changed.
    assert flags("2026-11-23T12:00:00+01:00") == [
        (1, False, None, "overdue"),
        (3, False, None, "at_risk"),
        (2, True, "worse", "on_track"),
    ]
    item = ok("remind", "--format", "json", now="2026-11-23T12:30:00+01:00").json[2]
    assert item["last_reminded"] == "2026-11-23T11:00:00+00:00" and item["standing"] == "at_risk"


def test_no_record_reminds_without_using_up_the_reminder(ok: Pk, ledger) -> None:
    quiet_run = ok("remind", "--no-record", now=EARLY).stdout
    assert "3 promises need you" in quiet_run
    assert "reminded" not in kinds(ok, 1)
    # Not recorded: cron's run afterwards still says it all, and records it.
    assert ok("remind", now="2026-11-23T08:30:00+01:00").stdout.count("next: pk ") == 3
    assert kinds(ok, 1)[-1] == "reminded"
    # A --no-record run shows everything that needs you, marking what cron already said.
    again = ok("remind", "--no-record", now="2026-11-23T08:45:00+01:00").stdout
    assert again.splitlines()[0].endswith("3 already reminded today.")
    assert "late · already reminded Mon 23 Nov 08:30\n" in again
    # At 09:00 "draft spec" is at risk: what changed comes first.
    assert (
        ok("remind", "--no-record", now="2026-11-23T09:00:00+01:00")
        .stdout.splitlines()[0]
        .endswith(
            "3 promises need you: 1 overdue, 2 due soon; 1 now at risk, 2 already reminded today."
        )
    )
    assert kinds(ok, 1).count("reminded") == 1


def test_old_reminders_without_a_due_time_still_read(ok: Pk, ledger, tmp_path: Path) -> None:
    """A ledger or export from before reminders kept their due time: read, and still counted
    as said today."""
    ok("remind", now=EARLY)
    exported = ok("export", now=EARLY).json
    for promise in exported["promises"]:
        for event in promise["history"]:
            if event["kind"] == "reminded":
                del event["details"]["due"]
    old = tmp_path / "old.json"
    old.write_text(json.dumps(exported))
    other = str(tmp_path / "other.db")
    ok("--db", other, "import", str(old))
    assert ok("--db", other, "show", "1").stdout.count("reminded (overdue)") == 1
    assert ok("--db", other, "remind", now="2026-11-23T08:30:00+01:00").stdout == ""
    data = ok("--db", other, "remind", "--format", "json", now="2026-11-23T12:00:00+01:00").json
    assert sorted((i["what"], i["new"], i["change"]) for i in data) == [
        ("draft spec", True, "worse"),  # at risk by noon: worse than this morning
        ("late report", False, None),
        ("plan", False, None),
    ]


# A run on a terminal (a pseudo-terminal, through the installed pk) records nothing.
needs_pk = pytest.mark.skipif(not PK.exists(), reason="needs the installed pk entry point")


def _terminal_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PK_DEBUG", "COLUMNS")}
    env.update(
        PK_DB=str(tmp_path / "tty.db"),
        PK_CONFIG=str(tmp_path / "config.toml"),
        TZ="Europe/Berlin",
        TERM="dumb",
        NO_COLOR="1",
    )
    return env


def _run(env: dict[str, str], *args: str, now: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PK), *args],
        env={**env, "PK_NOW": now},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _on_terminal(env: dict[str, str], *args: str, now: str) -> tuple[int, str]:
    pexpect = pytest.importorskip("pexpect")
    child = pexpect.spawn(
        str(PK), list(args), env={**env, "PK_NOW": now}, encoding="utf-8", timeout=30
    )
    child.expect(pexpect.EOF)
    child.close()
    return child.exitstatus, child.before.replace("\r\n", "\n")


def _reminded(env: dict[str, str], promise_id: int) -> int:
    shown = json.loads(_run(env, "show", str(promise_id), "--json", now=EARLY).stdout)
    return [event["kind"] for event in shown["history"]].count("reminded")


@needs_pk
def test_a_terminal_run_records_nothing_cron_does(tmp_path: Path) -> None:
    env = _terminal_env(tmp_path)
    made = _run(
        env,
        "promise",
        "late report",
        "--to",
        "alice",
        "--due",
        "fri",
        "--json",
        now="2026-11-16T10:00:00+01:00",
    )
    assert made.returncode == 0, made.stderr
    code, out = _on_terminal(env, "remind", "--fail-if-due", now=EARLY)
    assert code == 3 and "#1 late report → alice" in out
    assert _reminded(env, 1) == 0
    # Cron's run after it still reminds, and records.
    cron = _run(env, "remind", now="2026-11-23T09:00:00+01:00")
    assert "#1 late report" in cron.stdout and _reminded(env, 1) == 1
    assert _run(env, "remind", now="2026-11-23T09:30:00+01:00").stdout == ""
    # On a terminal it still shows what needs you, saying cron reminded of it already.
    code, out = _on_terminal(env, "remind", now="2026-11-23T10:00:00+01:00")
    assert code == 0 and "late · already reminded Mon 23 Nov 09:00" in out
    assert _reminded(env, 1) == 1
    # --record on a terminal records, and says only what is new, like cron.
    made = _run(env, "promise", "plan", "--to", "carol", "--due", "15:00", now=EARLY)
    code, out = _on_terminal(env, "remind", "--record", now="2026-11-23T10:30:00+01:00")
    assert "#2 plan → carol" in out and "#1 late" not in out
    assert _reminded(env, 2) == 1


# -------------------------------------------------------------------------------------------------
# Recording: one connection, history only
# -------------------------------------------------------------------------------------------------
def test_a_recording_run_reads_and_records_through_one_connection(
    ok: Pk, ledger, isolated: Path, traced: tuple[list[bool], list[str]]
) -> None:
    """Cron's run (no terminal: it records) opens the ledger once, for writing, and records
    its reminders as history only: one `reminded` event each, in one change, stamped in
    order, the promise rows left as they were."""
    import sqlite3

    opened, statements = traced
    with sqlite3.connect(isolated) as conn:
        rows_before = conn.execute("SELECT * FROM promises ORDER BY id").fetchall()
    conn.close()
    opened.clear()
    statements.clear()
    assert "3 promises need you" in ok("remind", now=EARLY).stdout
    assert opened == [True]
    assert not [s for s in statements if s.startswith(("UPDATE promises", "DELETE"))]
    with sqlite3.connect(isolated) as conn:
        said = conn.execute(
            "SELECT promise_id, change_id, data, clock, uuid FROM events"
            " WHERE kind = 'reminded' ORDER BY id"
        ).fetchall()
        assert conn.execute("SELECT * FROM promises ORDER BY id").fetchall() == rows_before
    conn.close()
    assert [row[0] for row in said] == [ledger["late"], ledger["plan"], ledger["spec"]]
    assert len({row[1] for row in said}) == 1  # one change: one `pk undo` takes it back
    assert [json.loads(row[2])["standing"] for row in said] == ["overdue", "at_risk", "on_track"]
    clocks = [row[3] for row in said]
    assert clocks == sorted(clocks) and len(set(clocks)) == 3
    assert len({row[4] for row in said}) == 3
    opened.clear()
    assert ok("remind", now=EARLY).stdout == ""  # said already: nothing new
    assert opened == [True]


def test_a_read_only_ledger_still_gets_its_digest(ok: Pk, pk: Pk, ledger, isolated: Path) -> None:
    """A ledger that cannot be written is read as before: cron's run prints the digest, then
    says in one line that it could not record it."""
    from ledger_checks import read_only, snapshot

    before = snapshot(isolated.parent)
    with read_only(isolated):
        result = pk("remind", now=EARLY)
    assert result.exit_code == 1
    assert "3 promises need you" in result.stdout
    assert result.stderr.startswith("pk: ledger ") and "is read-only" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert snapshot(isolated.parent) == before
