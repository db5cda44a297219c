"""Start-up stays light: what the hot commands import, checked in a real process.

`pk today` runs every morning and from cron, `pk promise` in the middle of a conversation, so
they must not pay for what they do not use. These tests run the real entry point in a fresh
interpreter and look at `sys.modules` when it exits, so an innocent-looking top-level import
cannot silently undo the work. There is no timing here: bench/run.py measures time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from promisekeeper.face.cli import app, app_for

NOW = "2026-11-23T10:00:00+01:00"

# Run the console-script entry point as `pk ARGS...`; write the imported modules at exit.
PROBE = """
import atexit, json, os, sys

def _report():
    with open(os.environ["PK_TEST_MODULES"], "w", encoding="utf-8") as out:
        json.dump(sorted(sys.modules), out)

atexit.register(_report)
sys.argv = ["pk", *sys.argv[1:]]
from promisekeeper.face.entry import main
main()
"""

# Heavy, and never needed by the daily commands: rich's tables and console (the daily text
# is plain), what typer>=0.29 drags in (pydantic), sqlite-utils and its CLI's plugins,
# dateutil's free-text parser, jinja2 (only the HTML report renders with it), and the
# calendar readers and writers (only `pk export --format ics|vdir` writes RFC 5545).
HEAVY = (
    "rich",
    "rich.console",
    "rich.table",
    "rich.markdown",
    "pygments",
    "markdown_it",
    "pydantic",
    "sqlite_utils",
    "click_default_group",
    "pluggy",
    "dateutil.parser",
    "jinja2",
    "icalendar",
    "vobject",
)


def imported(tmp_path: Path, *args: str) -> set[str]:
    """The modules loaded by one `pk ARGS...` run (which must succeed)."""
    report = tmp_path / "modules.json"
    env = dict(os.environ)
    for name in ("PK_DEBUG", "NO_COLOR", "PYTHONWARNINGS"):
        env.pop(name, None)
    env.update(
        PK_DB=str(tmp_path / "ledger.db"),
        PK_CONFIG=str(tmp_path / "config.toml"),
        PK_NOW=NOW,
        TZ="Europe/Berlin",
        PK_TEST_MODULES=str(report),
    )
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return set(json.loads(report.read_text(encoding="utf-8")))


def loaded(modules: set[str], name: str) -> bool:
    return name in modules or any(m.startswith(name + ".") for m in modules)


@pytest.fixture
def ledger_with_promises(tmp_path: Path) -> Path:
    """A ledger with something overdue-free to show: two promises, one at risk."""
    imported(tmp_path, "promise", "Send the numbers", "--to", "alice", "--due", "fri")
    imported(tmp_path, "promise", "Review the RFC", "--to", "bob", "--due", "tomorrow 9am")
    return tmp_path


@pytest.mark.parametrize(
    "args",
    [
        ("--version",),
        ("today",),
        (),
        ("promise", "Call the plumber", "--to", "carol", "--due", "fri"),
        ("promise", "Book the room", "--to", "dave", "--due", "tomorrow 3pm", "--json"),
        ("keep", "1"),
        ("today", "--all", "--no-prompt"),
    ],
    ids=["version", "today", "plain-pk", "promise", "promise-json", "keep", "today-all"],
)
def test_hot_commands_leave_heavy_modules_alone(ledger_with_promises: Path, args) -> None:
    modules = imported(ledger_with_promises, *args)
    assert not [name for name in HEAVY if loaded(modules, name)]
    # Not even dateutil: showing dates and everyday phrases like `fri` do without it.
    assert not loaded(modules, "dateutil")
    # Shell completion's ledger look-ups load only when the shell asks for completions.
    assert not loaded(modules, "promisekeeper.face.complete")


@pytest.mark.parametrize("args", [("today",), ()], ids=["today", "plain-pk"])
def test_the_daily_view_reads_rows_not_histories(ledger_with_promises: Path, args) -> None:
    """The daily view shows promise rows: the typed events, the fold and the HTML templates
    are for changes, `pk show` and reports."""
    modules = imported(ledger_with_promises, *args)
    for name in ("promisekeeper.model.events", "promisekeeper.model.history", "jinja2"):
        assert not loaded(modules, name), name


@pytest.mark.parametrize(
    "args",
    [("today",), (), ("today", "--json"), ("--db", "{db}", "today", "--all")],
    ids=["today", "plain-pk", "today-json", "db-all"],
)
def test_the_daily_view_answers_without_the_cli_framework(ledger_with_promises: Path, args) -> None:
    """Off a terminal the plain daily view is face.daily's, the app is never built (its
    output is the app's: test_lean), and nothing the view does not use is loaded."""
    db = str(ledger_with_promises / "ledger.db")
    modules = imported(ledger_with_promises, *[a.replace("{db}", db) for a in args])
    for name in (
        "typer",
        "promisekeeper.face.cli",
        "promisekeeper.face.commands",
        "platformdirs",
        "promisekeeper.telling.messages",
        # The track record's rules are for stats and trust (the view's lead is rules.lead).
        "promisekeeper.rules.track",
    ):
        assert not loaded(modules, name), name
    if "--json" not in args:  # the JSON contract lives with export/import, which use uuids
        assert not loaded(modules, "uuid")
        # and with the typed events; the view's own modules import `typing` for annotations
        # only (under TYPE_CHECKING).
        assert not loaded(modules, "typing")


@pytest.mark.parametrize(
    "args",
    [
        ("promise", "Call the plumber", "--to", "carol", "--due", "fri"),
        ("promise", "Book it", "-t", "dave", "-d", "tomorrow 3pm", "--tag", "x", "--json"),
        ("keep", "1"),
        ("keep", "#2", "--no-tell", "--json"),
        ("remind",),
        ("remind", "--format", "json", "--no-record"),
        ("list",),
        ("list", "--status", "all", "--json"),
        ("--db", "{db}", "list", "--to", "alice"),
        ("status",),
        ("status", "--all", "--json"),
    ],
    ids=[
        "promise",
        "promise-json",
        "keep",
        "keep-json",
        "remind",
        "remind-json",
        "list",
        "list-json",
        "db-list",
        "status",
        "status-json",
    ],
)
def test_the_hot_commands_answer_without_the_cli_framework(
    ledger_with_promises: Path, args
) -> None:
    """Off a terminal `pk promise`, `keep`, `remind`, `list` and `status` are face.fast's: the
    app is never built (its output is the app's: test_fast), neither Typer, click nor rich
    loaded."""
    db = str(ledger_with_promises / "ledger.db")
    modules = imported(ledger_with_promises, *[a.replace("{db}", db) for a in args])
    for name in (
        "typer",
        "click",
        "rich",
        "promisekeeper.face.cli",
        "promisekeeper.face.commands",
        "promisekeeper.face.fastgen",
        "platformdirs",
    ):
        assert not loaded(modules, name), name
    if not any("json" in a for a in args):  # JSON: the exchange of typed events
        # Annotations only (under TYPE_CHECKING); no series module without a series.
        for name in ("typing", "promisekeeper.services.series", "promisekeeper.model.series"):
            assert not loaded(modules, name), name


@pytest.mark.parametrize(
    "args",
    [("today",), ("remind",), ("keep", "2"), ("promise", "Call", "--to", "erin", "--due", "fri")],
    ids=["today", "remind", "keep", "promise"],
)
def test_hot_commands_find_their_files_without_platformdirs(
    ledger_with_promises: Path, args, monkeypatch
) -> None:
    """The default config path (no PK_CONFIG) on Linux is worked out as platformdirs would."""
    monkeypatch.delenv("PK_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(ledger_with_promises / "xdg"))
    report = ledger_with_promises / "modules.json"
    env = dict(os.environ, PK_DB=str(ledger_with_promises / "ledger.db"), PK_NOW=NOW)
    env.update(TZ="Europe/Berlin", PK_TEST_MODULES=str(report))
    env.pop("PK_CONFIG", None)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert not loaded(set(json.loads(report.read_text(encoding="utf-8"))), "platformdirs")


def test_version_does_not_load_the_cli_framework(tmp_path: Path) -> None:
    modules = imported(tmp_path, "--version")
    assert not loaded(modules, "typer")
    assert not loaded(modules, "sqlite3")


def test_the_probe_sees_what_show_imports(ledger_with_promises: Path) -> None:
    """`pk show` does use rich, so the probe above would notice it."""
    modules = imported(ledger_with_promises, "show", "1")
    assert loaded(modules, "rich.table")
    assert not loaded(modules, "pydantic")
    assert not loaded(modules, "sqlite_utils")


def test_jinja2_is_loaded_only_to_write_html(ledger_with_promises: Path) -> None:
    """`pk report` loads the report module; only the HTML page needs its template engine."""
    assert not loaded(imported(ledger_with_promises, "report"), "jinja2")
    assert loaded(imported(ledger_with_promises, "report", "--format", "html"), "jinja2")


def test_icalendar_is_loaded_only_to_write_calendars(ledger_with_promises: Path) -> None:
    """The JSON and CSV exports do without icalendar; the ICS and vdir ones load it."""
    place = ledger_with_promises
    assert not loaded(imported(place, "export"), "icalendar")
    assert not loaded(imported(place, "export", "--format", "csv"), "icalendar")
    assert loaded(imported(place, "export", "--format", "ics"), "icalendar")
    assert loaded(imported(place, "export", "--format", "vdir", str(place / "v")), "icalendar")


def test_absolute_dates_still_parse(tmp_path: Path) -> None:
    """dateutil is loaded when a phrase needs it, not before."""
    modules = imported(tmp_path, "promise", "Ship it", "--to", "erin", "--due", "1 Dec 3pm")
    assert loaded(modules, "dateutil.parser")


# -------------------------------------------------------------------------------------------------
# cli.app_for: building only the command being run must not change what any run does
# -------------------------------------------------------------------------------------------------
SAME_RUNS = [
    [],
    ["today"],
    ["today", "--json"],
    ["today", "--help"],
    ["--db", "{db}", "today"],
    ["--db={db}", "status"],
    ["today", "--db", "{db}"],
    ["status", "--db={db}"],
    ["keep", "#1"],
    ["keep", "#abc"],
    ["edit", "1", "--due", "fri"],
    ["show", "--help"],
    ["promise", "Send the numbers", "--to", "alice", "--due", "fri"],
    ["promise", "Send the numbers", "--to", "alice"],
    ["promise", "--bogus"],
    ["keep", "1"],
    ["keep", "x"],
    ["list", "--status", "done"],
    ["--help"],
    ["lst"],
    ["--db"],
    ["--version"],
]


@pytest.mark.parametrize("args", SAME_RUNS, ids=lambda a: " ".join(a) or "(none)")
def test_app_for_runs_exactly_like_the_whole_app(tmp_path: Path, args: list[str]) -> None:
    runner = CliRunner()
    results = []
    for which, target in (("whole", app), ("slim", None)):
        db = tmp_path / which / "ledger.db"
        db.parent.mkdir()
        argv = [a.replace("{db}", str(db)) for a in args]
        env = {"PK_DB": str(db)}
        seed = runner.invoke(app, ["promise", "First", "--to", "bob", "--due", "mon"], env=env)
        assert seed.exit_code == 0, seed.output
        result = runner.invoke(target or app_for(argv), argv, env=env, prog_name="pk")
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        output = (result.stdout + result.stderr).replace(str(db), "DB")
        results.append((result.exit_code, output))
    assert results[0] == results[1]


def test_app_for_builds_only_the_named_command() -> None:
    assert [c.callback.__name__ for c in app_for(["today"]).registered_commands] == ["today"]
    assert len(app_for(["--db", "x.db", "break", "3"]).registered_commands) == 1
    assert app_for([]).registered_commands == []
    assert app_for(["--help"]) is app
    assert app_for(["lst"]) is app


def test_a_shell_asking_for_completions_gets_the_whole_app(monkeypatch) -> None:
    """The shell passes the line in the environment, not argv: any command may be asked for."""
    monkeypatch.setenv("_PK_COMPLETE", "complete_bash")
    assert app_for([]) is app


def test_a_completion_request_loads_the_completer(ledger_with_promises: Path, monkeypatch) -> None:
    monkeypatch.setenv("_PK_COMPLETE", "complete_bash")
    monkeypatch.setenv("COMP_WORDS", "pk show ")
    monkeypatch.setenv("COMP_CWORD", "2")
    assert loaded(imported(ledger_with_promises), "promisekeeper.face.complete")


@pytest.mark.parametrize("args", [("remind",), ("remind", "--format", "json")])
def test_remind_leaves_heavy_modules_alone(ledger_with_promises: Path, args) -> None:
    """`pk remind` runs from cron, several times a day: it reads the reminders it recorded and
    records new ones (so it types events), but needs nothing heavy."""
    modules = imported(ledger_with_promises, *args)
    assert not [name for name in HEAVY if loaded(modules, name)]
    assert not loaded(modules, "dateutil")


@pytest.mark.parametrize(
    "args",
    [("promise", "Call the plumber", "--to", "alice", "--due", "fri"), ("remind",)],
    ids=["promise", "remind"],
)
def test_recording_loads_no_more_than_it_uses(ledger_with_promises: Path, args) -> None:
    """A new promise and cron's reminders (recorded: `reminded` events) get their uuids
    without the uuid module (it loads platform); a ledger without series loads no series
    code; a name pk knows is not compared with everyone else's (difflib); and neither
    drafts a message."""
    import sqlite3

    modules = imported(ledger_with_promises, *args)
    for name in (
        "uuid",
        "platform",
        "promisekeeper.services.series",
        "promisekeeper.model.series",
        "difflib",
        "promisekeeper.telling.messages",  # the messages pk sends: notify and nudge
    ):
        assert not loaded(modules, name), name
    with sqlite3.connect(ledger_with_promises / "ledger.db") as conn:
        kinds = {kind for (kind,) in conn.execute("SELECT kind FROM events")}
        both = "SELECT uuid FROM events UNION ALL SELECT uuid FROM promises"
        uuids = [u for (u,) in conn.execute(both)]
    conn.close()
    assert ("reminded" if args[0] == "remind" else "made") in kinds
    assert all(len(u) == 36 for u in uuids) and len(set(uuids)) == len(uuids)
