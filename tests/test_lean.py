"""The hot paths stay lean and their views bounded (issue 13): `pk today` and `pk status` show
a screenful per section and count the rest; the plain daily view answers without the Typer
app with byte-identical output; a run ends with its ledger closed; the default paths are
platformdirs' own without loading it. No timing here: bench/run.py measures time."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import NOW, Pk
from conftest import run_code as run

ENTRY = "import sys; sys.argv[0] = 'pk'; from promisekeeper.face.entry import main; main()"
APP = "import sys; sys.argv[0] = 'pk'; from promisekeeper.face.cli import main; main()"



@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    found = {k: v for k, v in os.environ.items() if k not in ("PK_DEBUG", "CI", "NO_COLOR")}
    found.update(
        PK_DB=str(tmp_path / "ledger.db"), PK_CONFIG=str(tmp_path / "config.toml"), PK_NOW=NOW
    )
    return found


def overdue(make: Callable[..., int], count: int) -> None:
    for n in range(count):
        make(f"Late thing {n + 1}", "bob", "2026-11-20 12:00", "--force")


# -------------------------------------------------------------------------------------------------
# A bounded daily view
# -------------------------------------------------------------------------------------------------
def test_today_shows_ten_per_section_and_names_the_command_for_the_rest(
    ok: Pk, make: Callable[..., int]
) -> None:
    overdue(make, 13)
    lines = ok("today").stdout.splitlines()
    assert lines[0] == "Overdue (13)"
    shown = [line for line in lines if "Late thing" in line]
    assert len(shown) == 10
    assert "  … and 3 more overdue: `pk list --due-before now`" in lines
    assert "13 overdue · 13 open" in lines
    # The command named lists exactly those left out, and more.
    listed = ok("list", "--due-before", "now").stdout
    assert all(f"Late thing {n}" in listed for n in range(1, 14))


def test_today_all_and_json_show_everything(ok: Pk, make: Callable[..., int]) -> None:
    overdue(make, 12)
    everything = ok("today", "--all").stdout
    assert all(f"Late thing {n}\u0020" in everything for n in range(1, 13))
    assert "more overdue" not in everything
    assert len(ok("today", "--json").json["overdue"]) == 12


def test_today_bounds_kept_today_and_at_risk_too(ok: Pk, make: Callable[..., int]) -> None:
    for n in range(11):
        ok("keep", str(make(f"Done {n}", "carol", "fri")))
    for n in range(12):
        make(f"Soon {n}", "dave", "tomorrow 9am")
    out = ok("today").stdout
    assert "Kept today (11)" in out and "  … and 1 more kept today: `pk today --all`" in out
    assert "At risk (12)" in out and "  … and 2 more at risk: `pk today --all`" in out
    assert out.count("Soon ") == 10


def test_a_section_of_exactly_ten_counts_nothing_more(ok: Pk, make: Callable[..., int]) -> None:
    overdue(make, 10)
    out = ok("today").stdout
    assert out.count("Late thing") == 10 and "more overdue" not in out


def test_status_bounds_every_group(ok: Pk, make: Callable[..., int]) -> None:
    overdue(make, 23)
    out = ok("status").stdout
    assert "Overdue (23)" in out
    assert out.count("Late thing") == 20
    assert "  … and 3 more overdue (pk list --due-before now)" in out
    full = ok("status", "--all").stdout
    assert full.count("Late thing") == 23 and "more overdue" not in full
    assert len(ok("status", "--json").json["overdue"]) == 23


# -------------------------------------------------------------------------------------------------
# The plain daily view without the Typer app: the same bytes, the same status
# -------------------------------------------------------------------------------------------------
SAME = [
    [],
    ["today"],
    ["today", "--json"],
    ["today", "--all"],
    ["today", "--no-prompt", "--all"],
    ["--db", "{db}", "today"],
    ["today", "--db={db}"],
    ["--db", "{db}"],
    ["--db", "{missing}"],
    ["today", "--db", "{missing}", "--json"],
]


@pytest.mark.parametrize("args", SAME, ids=lambda a: " ".join(a) or "(none)")
def test_the_fast_daily_view_prints_what_the_app_prints(
    make: Callable[..., int], ok: Pk, env: dict[str, str], tmp_path: Path, args: list[str]
) -> None:
    overdue(make, 12)
    make("Tricky \x1b[31mred\x1b[0m \u202etext", "eve", "tomorrow 9am")
    make("Later", "frank", "2026-12-20")
    # And what others owe you: its own section, after yours.
    ok("expect", "Their \x1b[31mslides", "--from", "gus", "--by", "2026-11-20 12:00", "--force")
    ok("expect", "The contract", "--from", "hal", "--by", "tomorrow 9am")
    ok("expect", "Much later", "--from", "ida", "--by", "2026-12-20")
    argv = [
        a.replace("{db}", env["PK_DB"]).replace("{missing}", str(tmp_path / "no" / "x.db"))
        for a in args
    ]
    fast, whole = run(ENTRY, argv, env), run(APP, argv, env)
    assert (fast.returncode, fast.stdout, fast.stderr) == (
        whole.returncode,
        whole.stdout,
        whole.stderr,
    )
    assert fast.stdout or fast.stderr


def test_the_fast_path_answers_without_typer(ok: Pk, env: dict[str, str]) -> None:
    ok("promise", "Send it", "--to", "alice", "--due", "fri")
    probe = ENTRY.replace(
        "main()",
        "import atexit; atexit.register(lambda: print('typer' in sys.modules)); main()",
    )
    done = run(probe, ["today"], env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().splitlines()[-1] == "False"


def test_other_forms_go_to_the_app(env: dict[str, str]) -> None:
    for args in (["today", "--help"], ["today", "--bogus"], ["--json"], ["today", "today"]):
        fast, whole = run(ENTRY, args, env), run(APP, args, env)
        assert (fast.returncode, fast.stdout, fast.stderr) == (
            whole.returncode,
            whole.stdout,
            whole.stderr,
        ), args


def test_a_run_ends_with_its_ledger_closed(env: dict[str, str]) -> None:
    """Ending early (os._exit) comes after the ledger is closed: SQLite then folds the -wal
    into the file and removes it, as when the interpreter ends the usual way."""
    db = Path(env["PK_DB"])
    for args in (
        ["promise", "Send it", "--to", "alice", "--due", "fri"],
        ["today"],
        ["promise", "Call", "--to", "bob", "--due", "fri"],
        ["keep", "1"],
        ["remind"],
    ):
        done = run(ENTRY, args, env)
        assert done.returncode == 0, done.stderr
        assert done.stdout.endswith(b"\n") or args == ["remind"]  # silent: all is well
        assert not db.with_name(db.name + "-wal").exists(), args
    assert "#2  Call → bob" in run(ENTRY, ["list"], env).stdout.decode()


def test_a_long_view_reaches_a_pipe_whole(make: Callable[..., int], env: dict[str, str]) -> None:
    overdue(make, 300)
    done = run(ENTRY, ["today", "--all"], env)
    assert done.returncode == 0
    assert done.stdout.decode().count("Late thing") == 300
    assert done.stdout.decode().endswith("to record the new date.\n")


# -------------------------------------------------------------------------------------------------
# The default paths without platformdirs
# -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("xdg", ["", "/x/base", "/x/base/", "relative", " ", "~/c"])
@pytest.mark.parametrize("home", ["/home/u", "/home/u/", "/", "relative", None])
def test_default_paths_are_platformdirs_own(monkeypatch, xdg: str, home: str | None) -> None:
    import platformdirs

    from promisekeeper.services import paths

    monkeypatch.delenv("PK_CONFIG", raising=False)
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME"):
        monkeypatch.setenv(name, xdg)
    if home is None:
        monkeypatch.delenv("HOME", raising=False)
    else:
        monkeypatch.setenv("HOME", home)
    config = Path(platformdirs.user_config_dir("promisekeeper", appauthor=False))
    data = Path(platformdirs.user_data_dir("promisekeeper", appauthor=False))
    assert paths.config_path() == config / "config.toml"
    assert paths.default_db_path() == data / "ledger.db"


# -------------------------------------------------------------------------------------------------
# One connection per command; the realism check in one query (`traced`: conftest)
# -------------------------------------------------------------------------------------------------
def test_promise_opens_the_ledger_once_and_reads_the_record_in_one_query(
    ok: Pk, make: Callable[..., int], traced: tuple[list[bool], list[str]]
) -> None:
    for n in range(30):
        ok("keep", str(make(f"Report {n}", "alice", "fri")))
    opened, statements = traced
    opened.clear()
    statements.clear()
    ok("promise", "Another report", "--to", "alice", "--due", "fri")
    assert opened == [True]
    # The record comes from the promise rows (store.track.finished_like): no history is read.
    history_reads = [s for s in statements if "FROM events WHERE promise_id" in s]
    assert history_reads == [], history_reads
    assert len([s for s in statements if "WITH similar" in s]) == 1


def test_promise_on_a_new_ledger_creates_it_only_to_record(
    pk: Pk, isolated: Path, traced: tuple[list[bool], list[str]]
) -> None:
    """Opening for writing at the first read never creates a ledger for a refused promise."""
    refused = pk("promise", "Too late", "--to", "alice", "--due", "2026-11-20 12:00")
    assert refused.exit_code == 1 and not isolated.exists()
    assert pk("promise", "In time", "--to", "alice", "--due", "fri").exit_code == 0
    assert isolated.exists()


@pytest.mark.parametrize(
    "args", [("keep", "1"), ("move", "1", "mon"), ("note", "1", "half"), ("break", "1")]
)
def test_changes_open_the_ledger_once(
    ok: Pk, make: Callable[..., int], traced: tuple[list[bool], list[str]], args
) -> None:
    make()
    opened, _statements = traced
    opened.clear()
    ok(*args)
    assert opened == [True]
