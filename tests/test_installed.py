"""The installed `pk`: real processes, real pipes, the console scripts and `python -m`.

CliRunner tests call the app in-process; these run what a user runs, so they also catch a
broken entry point, colour or escapes leaking into a pipe, and tracebacks on a closed pipe.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from promisekeeper import __version__

BIN = Path(sys.executable).parent
PK = BIN / "pk"

pytestmark = pytest.mark.skipif(
    not PK.exists(),
    reason=f"the pk console script is not installed next to {sys.executable} "
    "(install the project, e.g. pip install -e .)",
)

NOW = "2026-11-23T10:00:00+01:00"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    environment = dict(os.environ)
    for name in ("PK_DEBUG", "NO_COLOR", "COLUMNS", "PYTHONWARNINGS"):
        environment.pop(name, None)
    environment.update(
        PK_DB=str(tmp_path / "ledger.db"),
        PK_CONFIG=str(tmp_path / "config.toml"),
        PK_NOW=NOW,
        TZ="Europe/Berlin",
        TERM="xterm-256color",  # colour would be allowed: only the pipe should turn it off
    )
    return environment


def run(
    env: dict[str, str], *args: str, program: Path | str = PK, **extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(program), *args],
        env={**env, **extra},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )


def ok(env: dict[str, str], *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    result = run(env, *args, **extra)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result


def assert_one_line_error(result: subprocess.CompletedProcess[str], code: int = 1) -> str:
    assert result.returncode == code, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("pk: "), result.stderr
    return lines[0]


# -------------------------------------------------------------------------------------------------
# Entry points
# -------------------------------------------------------------------------------------------------
def test_version(env: dict[str, str]) -> None:
    result = ok(env, "--version")
    assert result.stdout == f"pk (PromiseKeeper) {__version__}\n"
    assert result.stderr == ""


def test_python_dash_m(env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "promisekeeper", "--version"],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == f"pk (PromiseKeeper) {__version__}\n"


def test_promisekeeper_script(env: dict[str, str]) -> None:
    script = BIN / "promisekeeper"
    if not script.exists():
        pytest.skip(f"the promisekeeper console script is not installed in {BIN}")
    result = run(env, "--version", program=script)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == f"pk (PromiseKeeper) {__version__}\n"
    ok(env, "promise", "Via pk", "--to", "alice", "--due", "fri")
    listed = run(env, "list", "--json", program=script)
    assert listed.returncode == 0, listed.stderr
    assert [p["what"] for p in json.loads(listed.stdout)] == ["Via pk"]


def test_help_lists_the_commands(env: dict[str, str]) -> None:
    result = ok(env, "--help")
    for name in ("promise", "today", "keep", "move", "export", "import", "undo"):
        assert f"  {name} " in result.stdout


# -------------------------------------------------------------------------------------------------
# A user's morning
# -------------------------------------------------------------------------------------------------
def test_full_user_story(env: dict[str, str], tmp_path: Path) -> None:
    made = ok(env, "promise", "Send the Q3 numbers", "--to", "alice", "--due", "fri")
    assert made.stdout.splitlines() == [
        "Promised #1 Send the Q3 numbers → alice",
        "  due Fri 27 Nov 17:00, in 4 days",
    ]
    ok(env, "promise", "Review the RFC", "--to", "bob", "--due", "tomorrow 9am")
    assert (tmp_path / "ledger.db").is_file()

    today = ok(env, "today").stdout
    assert today.splitlines()[:3] == [
        "At risk (1)",
        "  #2  Review the RFC → bob · due Tue 24 Nov 09:00, in 23 hours",
        "1 at risk · 2 open",
    ]

    kept = ok(env, "keep", "2")
    assert kept.stdout.strip() == "Kept #2 Review the RFC → bob — on time, 23 hours early"

    listed = json.loads(ok(env, "list", "--status", "all", "--json").stdout)
    by_id = {p["id"]: p for p in listed}
    assert set(by_id) == {1, 2}
    assert by_id[1]["status"] == "open" and by_id[1]["standing"] == "on_track"
    assert by_id[1]["due"] == "2026-11-27T16:00:00+00:00"
    assert by_id[2]["status"] == "kept" and by_id[2]["standing"] == "kept"
    assert by_id[2]["kept_at"] == "2026-11-23T09:00:00+00:00"

    shown = ok(env, "show", "1").stdout
    assert "#1  Send the Q3 numbers" in shown
    assert "To        alice" in shown
    assert "Due       Fri 27 Nov 17:00, in 4 days" in shown
    assert "Standing  on track" in shown
    assert by_id[1]["uuid"] in shown
    assert "promised to alice, due Fri 27 Nov 17:00" in shown

    after = ok(env, "today").stdout.splitlines()
    assert after[:2] == ["Kept today (1)", "  #2  Review the RFC → bob · on time, 23 hours early"]
    assert after[2].startswith("Nothing overdue, due today or at risk. 1 open; next: #1 ")


def test_plain_pk_is_today(env: dict[str, str]) -> None:
    ok(env, "promise", "Review the RFC", "--to", "bob", "--due", "tomorrow 9am")
    assert ok(env).stdout == ok(env, "today").stdout


# -------------------------------------------------------------------------------------------------
# Output to a pipe
# -------------------------------------------------------------------------------------------------
def test_pipe_output_has_no_escape_sequences(env: dict[str, str]) -> None:
    hostile = "red \x1b[31mALERT\x1b[0m"
    ok(env, "promise", hostile, "--to", "m\x1b[2Jallory", "--due", "tomorrow", "--note", "\x1b]0;x")
    ok(env, "promise", "Overdue one", "--to", "bob", "--due", "yesterday", "--force")
    outputs = {
        args: ok(env, *args).stdout
        for args in [("today",), ("status",), ("list",), ("list", "--status", "all"), ("show", "1")]
    }
    outputs[("keep", "1")] = ok(env, "keep", "1").stdout
    for args, text in outputs.items():
        assert "\x1b" not in text, args
        assert "\x1b[" not in text, args
    assert "red \\x1b[31mALERT\\x1b[0m" in outputs[("list",)]
    assert "red \\x1b[31mALERT\\x1b[0m" in outputs[("show", "1")]
    assert "m\\x1b[2Jallory" in outputs[("show", "1")]
    assert "\\x1b]0;x" in outputs[("show", "1")]
    # --json returns the text verbatim (JSON escapes it; nothing raw reaches the pipe).
    raw = ok(env, "show", "1", "--json").stdout
    assert "\x1b" not in raw
    assert json.loads(raw)["what"] == hostile


# -------------------------------------------------------------------------------------------------
# Errors
# -------------------------------------------------------------------------------------------------
def test_unknown_id(env: dict[str, str]) -> None:
    ok(env, "promise", "Something", "--to", "alice", "--due", "fri")
    for args in (("show", "42"), ("keep", "42"), ("move", "42", "mon")):
        line = assert_one_line_error(run(env, *args))
        assert line == "pk: no promise with id 42", args
        assert run(env, *args).stdout == ""


def test_usage_error_exits_2(env: dict[str, str]) -> None:
    result = run(env, "keep")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "Missing argument" in result.stderr
    assert result.stdout == ""
    bad_option = run(env, "list", "--no-such-option")
    assert bad_option.returncode == 2
    assert "No such option" in bad_option.stderr
    assert run(env, "no-such-command").returncode == 2


def _corrupt_tags(env: dict[str, str]) -> None:
    """Provoke an internal error: a bug in the store, planted by a sitecustomize module (a
    tampered ledger no longer provokes one: its rows read from their history)."""
    ok(env, "promise", "Something", "--to", "alice", "--due", "fri")
    plant = Path(env["PK_DB"]).parent / "plant"
    plant.mkdir()
    (plant / "sitecustomize.py").write_text(
        "import json\n"
        "import promisekeeper.store.queries as q\n"
        "def _bug(*args, **kwargs):\n"
        "    return json.loads('{not json')\n"
        "q.select_promises = _bug\n"
    )
    env["PYTHONPATH"] = str(plant)


def test_internal_error_without_pk_debug_has_no_traceback(env: dict[str, str]) -> None:
    _corrupt_tags(env)
    line = assert_one_line_error(run(env, "list"))
    assert line.startswith("pk: internal error: ")
    assert "PK_DEBUG=1" in line


def test_internal_error_with_pk_debug_shows_the_traceback(env: dict[str, str]) -> None:
    _corrupt_tags(env)
    result = run(env, "list", PK_DEBUG="1")
    assert result.returncode != 0
    assert "Traceback" in result.stderr or "JSONDecodeError" in result.stderr
    assert len(result.stderr.splitlines()) > 1


def test_broken_ledger_in_a_real_process(env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "ledger.db").write_text("hello\n")
    line = assert_one_line_error(run(env, "today"))
    assert "not a PromiseKeeper ledger" in line
    assert (tmp_path / "ledger.db").read_text() == "hello\n"


# -------------------------------------------------------------------------------------------------
# A reader that goes away: `pk list | head -1`
# -------------------------------------------------------------------------------------------------
@pytest.fixture
def many(env: dict[str, str], tmp_path: Path) -> None:
    records = [
        {"what": f"Promise number {i} with a longish text", "to": f"person{i % 30}",
         "due": "2026-12-01T16:00:00+00:00"}
        for i in range(3000)
    ]  # fmt: skip
    source = tmp_path / "many.json"
    source.write_text(json.dumps(records), encoding="utf-8")
    ok(env, "import", str(source))


@pytest.mark.skipif(shutil.which("bash") is None or shutil.which("head") is None,
                    reason="needs bash and head")  # fmt: skip
@pytest.mark.parametrize(
    "command",
    ["list", "list --status all", "list --json", "status", "export", "show 1", "today"],
)
def test_closed_pipe_prints_no_traceback(
    command: str, env: dict[str, str], many: None, tmp_path: Path
) -> None:
    err = tmp_path / "stderr.txt"
    script = f"{shlex.quote(str(PK))} {command} 2>{shlex.quote(str(err))} | head -1"
    result = subprocess.run(
        ["bash", "-c", script],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr  # head's status
    assert len(result.stdout.splitlines()) == 1
    assert result.stderr == ""
    assert err.read_text() == ""
