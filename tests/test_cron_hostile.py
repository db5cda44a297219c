"""Finding 4: hostile paths and settings cannot inject jobs into the crontab or cut ours short.

The installed `pk` runs `pk cron --install` against a fake `crontab` on PATH that keeps the
table in a file. The table is then read as cron reads it: the five time fields, then the
command, in which cron turns a `%` not escaped by a backslash into a line break that ends the
command (crontab(5); Vixie cron and cronie, do_command.c, which `cron_command` follows), and
hands the rest to /bin/sh. The test runs that through `sh -c` and checks what the program
was started with.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from promisekeeper.services.cron import MARKER, CronError, Schedule, line

PK = Path(sys.executable).parent / "pk"
FAKE_CRONTAB = """#!/bin/sh
f="$CRONTAB_FILE"
case "$1" in
  -l) [ -f "$f" ] || { echo "no crontab for tester" >&2; exit 1; }; cat "$f" ;;
  -) cat > "$f" ;;
  *) echo "usage" >&2; exit 2 ;;
esac
"""
# A crontab that changes the job line as it stores it (as a too-clever or broken one might).
MANGLING_CRONTAB = FAKE_CRONTAB.replace('cat > "$f"', "sed 's/ remind$/ remind --oops/' > \"$f\"")
OTHER = "# my backups\n30 2 * * * /usr/local/bin/backup --all\nMAILTO=me@example.com\n"
RECORDER = """import json, os, sys
names = ("PK_DB", "PK_CONFIG", "TZ")
print(json.dumps({"argv": sys.argv[1:], "env": {n: os.environ.get(n) for n in names}}))
"""
HOSTILE = [
    "100%",
    "a\\%b",
    "back\\\\%slash",
    "50%%off\\",
    "it's",
    'say "hi"',
    "$(touch PWNED)",
    "`touch PWNED`",
    "two  spaces",
    "semi;colon&amp|pipe>out",
    "~user *glob? [x]",
    "#not a comment",
    "-dash",
]

needs_pk = pytest.mark.skipif(not PK.exists(), reason="needs the installed pk entry point")


def cron_command(field: str) -> tuple[str, str]:
    """What cron does with a command field: (the command for /bin/sh, its standard input)."""
    out: list[str] = []
    escaped = False
    for index, char in enumerate(field):
        if escaped:
            if char == "%":
                out[-1] = "%"  # the backslash goes, the % stays
            else:
                out.append(char)
            escaped = False
            continue
        if char == "\\":
            escaped = True
            out.append(char)
            continue
        if char == "%":
            return "".join(out), field[index + 1 :].replace("%", "\n")
        out.append(char)
    return "".join(out), ""


def test_cron_command_follows_the_documented_rules() -> None:
    assert cron_command("echo a\\%b") == ("echo a%b", "")
    assert cron_command("cat%one%two") == ("cat", "one\ntwo")
    assert cron_command("echo a\\\\%b") == ("echo a\\\\", "b")  # \\% : the % is bare
    assert cron_command("echo a\\\\\\%b") == ("echo a\\\\%b", "")
    assert cron_command("echo a\\b") == ("echo a\\b", "")


@pytest.fixture
def cron_env(tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "crontab"
    fake.write_text(FAKE_CRONTAB)
    fake.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PK_") and k != "TZ"}
    env.update(
        PATH=f"{bin_dir}{os.pathsep}/usr/bin:/bin",
        CRONTAB_FILE=str(tmp_path / "crontab.txt"),
        PK_DB=str(tmp_path / "ledger.db"),
        PK_CONFIG=str(tmp_path / "config.toml"),
        TZ="Europe/Berlin",
        PK_NOW="2026-11-23T10:00:00+01:00",
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


def installed_command(env: dict[str, str]) -> str:
    """The crontab holds exactly our marker and one job line; its command as /bin/sh gets it."""
    lines = Path(env["CRONTAB_FILE"]).read_text().splitlines()
    assert lines[:-2] == OTHER.splitlines() and lines[-2] == MARKER, lines
    fields = lines[-1].split(maxsplit=5)
    assert fields[:5] == ["0", "9", "*", "*", "*"], lines[-1]
    command, stdin = cron_command(fields[5])
    assert stdin == "", f"cron would cut the job short: {fields[5]!r}"
    return command


def run_as_cron(command: str, tmp_path: Path) -> dict[str, object]:
    """Run the job's command through sh -c with a recorder in place of the pk it names."""
    program = f" {shlex.quote(str(PK.resolve()))} remind"
    assert command.endswith(program), command
    recorder = tmp_path / "recorder.py"
    recorder.write_text(RECORDER)
    swapped = command[: -len(program)] + f" {shlex.quote(sys.executable)} {recorder} remind"
    done = subprocess.run(
        ["/bin/sh", "-c", swapped],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


@needs_pk
@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_values_reach_pk_remind_exactly(
    cron_env: dict[str, str], tmp_path: Path, hostile: str
) -> None:
    """Finding 4: quotes, `$(...)`, backticks, spaces, `%` and `\\%` in PK_DB, PK_CONFIG and
    TZ give one job line that starts `pk remind` with exactly those values."""
    place = tmp_path / f"dir {hostile}"
    place.mkdir()
    env = {
        **cron_env,
        "PK_DB": str(place / f"{hostile}.db"),
        "PK_CONFIG": str(place / f"{hostile}.toml"),
        "TZ": f"<+03>-3{hostile}",
    }
    Path(env["CRONTAB_FILE"]).write_text(OTHER)
    done = run(env, "cron", "--install")
    assert done.returncode == 0, done.stderr
    seen = run_as_cron(installed_command(env), tmp_path)
    assert seen == {
        "argv": ["remind"],
        "env": {"PK_DB": env["PK_DB"], "PK_CONFIG": env["PK_CONFIG"], "TZ": env["TZ"]},
    }
    assert not list(tmp_path.rglob("PWNED")) and not (tmp_path / "out").exists()
    printed = run(env, "cron")  # the line printed is the line installed
    assert printed.stdout.strip() == Path(env["CRONTAB_FILE"]).read_text().splitlines()[-1]


@needs_pk
def test_the_installed_job_runs_the_real_pk_remind_on_the_hostile_ledger(
    cron_env: dict[str, str], tmp_path: Path
) -> None:
    """Finding 4: the job line as cron runs it reads the very ledger named, nothing else runs."""
    place = tmp_path / "it's $(touch PWNED) `touch PWNED` 100% \\%"
    place.mkdir()
    env = {**cron_env, "PK_DB": str(place / "a\\%b%.db"), "PK_CONFIG": str(place / "c%.toml")}
    made = run(
        env, "promise", "Send the numbers", "--to", "alice", "--due", "2026-11-20", "--force"
    )
    assert made.returncode == 0, made.stderr
    Path(env["CRONTAB_FILE"]).write_text(OTHER)
    assert run(env, "cron", "--install").returncode == 0
    command = installed_command(env)
    done = subprocess.run(
        ["/bin/sh", "-c", command],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PK_NOW": env["PK_NOW"]},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "1 overdue" in done.stdout and "#1 Send the numbers" in done.stdout, done.stdout
    assert not list(tmp_path.rglob("PWNED"))
    assert sorted(p.name for p in place.iterdir() if p.suffix == ".db") == ["a\\%b%.db"]


@needs_pk
@pytest.mark.parametrize("name", ["PK_DB", "PK_CONFIG", "TZ"])
@pytest.mark.parametrize("breaker", ["\n", "\r", "\r\n"])
@pytest.mark.parametrize("action", [["cron", "--install"], ["cron"], ["cron", "--show"]])
def test_a_line_break_in_a_value_is_refused_and_nothing_is_installed(
    cron_env: dict[str, str], name: str, breaker: str, action: list[str]
) -> None:
    """Finding 4: `* * * * * touch /tmp/pwned` after a newline in PK_DB, PK_CONFIG or TZ was
    installed as a job of its own; now the value is refused in one line naming it."""
    table = Path(cron_env["CRONTAB_FILE"])
    table.write_text(OTHER)
    value = cron_env[name] + f"{breaker}* * * * * touch /tmp/pwned{breaker}"
    done = run({**cron_env, name: value}, *action)
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith(f"pk: {name} holds a ")
    assert repr(value) in done.stderr and "Traceback" not in done.stderr
    assert "touch" not in done.stdout
    assert table.read_text() == OTHER


def test_a_nul_is_refused_too(tmp_path: Path) -> None:
    """Finding 4: a NUL cannot come in through the environment or the command line (the
    operating system's strings end at it), so it is checked where the line is built."""
    with pytest.raises(CronError, match="PK_DB holds a NUL character"):
        line(Schedule(), tmp_path / "a\0b.db", None, False)


@needs_pk
def test_a_crontab_that_does_not_keep_the_line_gets_the_old_table_back(
    cron_env: dict[str, str], tmp_path: Path
) -> None:
    """Finding 4: the line is read back from `crontab -l`; a crontab that stored something else
    is an error, and the crontab as it was is put back."""
    fake = tmp_path / "bin" / "crontab"
    fake.write_text(MANGLING_CRONTAB)
    table = Path(cron_env["CRONTAB_FILE"])
    table.write_text(OTHER)
    done = run(cron_env, "cron", "--install")
    assert done.returncode == 1, done.stdout
    assert done.stderr.startswith("pk: crontab did not keep the pk remind line as written")
    assert done.stderr.rstrip().endswith("your previous crontab was put back")
    assert done.stderr.count("\n") == 1
    assert table.read_text() == OTHER
