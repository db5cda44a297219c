"""`pk remind`: the cron digest, quiet when all is well, never repeating itself the same day."""

from __future__ import annotations

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
        "    next: pk notify 3",
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
