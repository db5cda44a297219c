"""`pk cron`: the crontab line, installed and removed idempotently, other lines untouched.

The installed `pk` runs against a fake `crontab` on PATH that keeps the table in a file.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from promisekeeper.services.cron import MARKER, Schedule, line, with_ours, without_ours

PK = Path(sys.executable).parent / "pk"
FAKE_CRONTAB = """#!/bin/sh
f="$CRONTAB_FILE"
case "$1" in
  -l) [ -f "$f" ] || { echo "no crontab for tester" >&2; exit 1; }; cat "$f" ;;
  -) cat > "$f" ;;
  *) echo "usage" >&2; exit 2 ;;
esac
"""
OTHER = "# my backups\n30 2 * * * /usr/local/bin/backup --all\nMAILTO=me@example.com\n"


@pytest.fixture
def cron_env(tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "crontab"
    fake.write_text(FAKE_CRONTAB)
    fake.chmod(0o755)
    env = dict(os.environ)
    env.update(
        PATH=f"{bin_dir}{os.pathsep}/usr/bin:/bin",
        CRONTAB_FILE=str(tmp_path / "crontab.txt"),
        PK_DB=str(tmp_path / "my ledger%.db"),
        PK_CONFIG=str(tmp_path / "config.toml"),
        TZ="Europe/Berlin",
    )
    return env


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PK), *args],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )


needs_pk = pytest.mark.skipif(not PK.exists(), reason="needs the installed pk entry point")


@needs_pk
def test_prints_the_line_with_absolute_paths(cron_env: dict[str, str], tmp_path: Path) -> None:
    done = run(cron_env, "cron", "--at", "08:30", "--weekdays")
    assert done.returncode == 0, done.stderr
    job = done.stdout.strip()
    assert job.startswith("30 8 * * 1-5 ")
    assert f"PK_DB='{tmp_path}/my ledger'\\%'.db'" in job  # quoted, % escaped for cron
    assert f"PK_CONFIG={tmp_path}/config.toml" in job
    assert "TZ=Europe/Berlin" in job
    assert job.endswith(f"{PK.resolve()} remind")
    assert not Path(cron_env["CRONTAB_FILE"]).exists()


@needs_pk
def test_install_is_idempotent_and_remove_takes_only_ours(cron_env: dict[str, str]) -> None:
    table = Path(cron_env["CRONTAB_FILE"])
    table.write_text(OTHER)
    first = run(cron_env, "cron", "--every", "2h", "--desktop", "--install")
    assert first.returncode == 0, first.stderr
    assert "Added to your crontab" in first.stdout
    content = table.read_text()
    assert content.startswith(OTHER)
    assert content.count(MARKER) == 1
    assert "0 9-23/2 * * * " in content and content.rstrip().endswith("remind --desktop")
    again = run(cron_env, "cron", "--every", "2h", "--desktop", "--install")
    assert "Already in your crontab" in again.stdout
    assert table.read_text() == content
    changed = run(cron_env, "cron", "--at", "07:00", "--install")
    assert changed.returncode == 0
    assert table.read_text().count(MARKER) == 1 and "0 7 * * * " in table.read_text()
    assert "Added" not in changed.stdout
    shown = run(cron_env, "cron", "--show")
    assert shown.stdout.startswith("0 7 * * * ")
    removed = run(cron_env, "cron", "--remove")
    assert removed.returncode == 0 and "Removed" in removed.stdout
    assert table.read_text() == OTHER
    assert "nothing to remove" in run(cron_env, "cron", "--remove").stdout
    assert run(cron_env, "cron", "--show").returncode == 0


@needs_pk
def test_a_new_schedule_replaces_the_line_and_says_so(cron_env: dict[str, str]) -> None:
    table = Path(cron_env["CRONTAB_FILE"])
    table.write_text(OTHER)
    first = run(cron_env, "cron", "--install")
    old_job = first.stdout.splitlines()[1]
    assert first.stdout.splitlines()[0] == "Added to your crontab:"
    changed = run(cron_env, "cron", "--at", "07:30", "--weekdays", "--install")
    assert changed.returncode == 0, changed.stderr
    new_job = run(cron_env, "cron", "--at", "07:30", "--weekdays").stdout.strip()
    assert changed.stdout.splitlines() == [
        "Replaced the pk remind line in your crontab, which was:",
        old_job,
        "with:",
        new_job,
    ]
    assert table.read_text() == f"{OTHER}{MARKER}\n{new_job}\n"
    assert run(cron_env, "cron", "--show").stdout.strip() == new_job


@needs_pk
def test_show_with_nothing_installed_says_so_and_what_install_would_add(
    cron_env: dict[str, str],
) -> None:
    table = Path(cron_env["CRONTAB_FILE"])
    for before in (None, OTHER):  # no crontab at all, then one without our line
        if before is not None:
            table.write_text(before)
        shown = run(cron_env, "cron", "--show", "--at", "08:15", "--weekdays")
        assert (shown.returncode, shown.stderr) == (0, "")
        job = run(cron_env, "cron", "--at", "08:15", "--weekdays").stdout.strip()
        assert shown.stdout.splitlines() == [
            "No pk remind job is installed in your crontab. pk cron --install would add:",
            job,
        ]
        assert job.startswith("15 8 * * 1-5 ")
    assert table.read_text() == OTHER  # --show changes nothing


@needs_pk
def test_install_into_an_empty_crontab(cron_env: dict[str, str]) -> None:
    done = run(cron_env, "cron", "--install")
    assert done.returncode == 0, done.stderr
    lines = Path(cron_env["CRONTAB_FILE"]).read_text().splitlines()
    assert lines[0] == MARKER and lines[1].startswith("0 9 * * * ")


@needs_pk
def test_missing_crontab_is_a_clear_error(cron_env: dict[str, str], tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    done = run({**cron_env, "PATH": str(empty)}, "cron", "--install")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "pk: crontab is not installed; install cron, or see README for a systemd timer"
    )


@needs_pk
@pytest.mark.parametrize("args", [["--at", "25:00"], ["--every", "0h"], ["--every", "soon"]])
def test_bad_schedules(cron_env: dict[str, str], args: list[str]) -> None:
    done = run(cron_env, "cron", *args)
    assert done.returncode == 1 and done.stderr.startswith("pk: --")


def test_with_and_without_ours_round_trip(tmp_path: Path) -> None:
    job = line(Schedule(), tmp_path / "l.db", None, False)
    assert without_ours(with_ours(OTHER, job)) == OTHER
    assert with_ours(with_ours(OTHER, job), job) == with_ours(OTHER, job)
    assert without_ours("") == ""
    assert with_ours("no newline at end", job).startswith("no newline at end\n" + MARKER)
