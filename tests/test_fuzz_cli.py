"""Random argument lists, built from the real command and option names plus random text and
numbers, never make pk raise an uncaught exception or leave the ledger unsound.

Each example starts from the same small ledger. After it, SQLite's integrity check passes and
every promise row is the fold of its history. Programs and the network are blocked (as if no
clipboard tool or mailer were installed); `pk cron` is left out because it edits the real
crontab. Paths given to backup/export/report stay inside a scratch directory.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_checks import assert_sound
from typer.main import get_command
from typer.testing import CliRunner

from promisekeeper.face.cli import app

GROUP = get_command(app)
LEFT_OUT = {"cron"}  # edits the user's crontab
COMMANDS = {
    name: [
        (param.opts[0] if param.param_type_name == "option" else None, getattr(param, "is_flag", 0))
        for param in command.params
    ]
    for name, command in sorted(GROUP.commands.items())  # type: ignore[attr-defined]
    if name not in LEFT_OUT
}
WORDS = [
    "1", "2", "3", "4", "0", "-1", "--", "-", "", " ", "all", "open", "kept", "json", "text",
    "print", "copy", "email", "command", "fri", "tomorrow", "now", "yesterday", "in 2h",
    "2026-12-01", "9998-12-31", "9999-12-31", "0001-01-01", "alice", "Bob", "x.json",
    "backup.db", "ledger.db", "--json", "--yes", "--force", "--help",
    "monday 10am", "weekday 9am", "every 2 weeks fri", "3 days after done", "--drop-open",
    "taskwarrior", "tag", "project", "uda:client",
    # ids as the start of a uuid (the template holds abcd1234-... and abcd5678-...)
    "abcd", "ABCD1234", "abcd5678-9", "u:abcd", "u:1234", "u:", "#abcd", "beef", "abc",
    "abcd1234-0000-4000-8000-000000000001",
]  # fmt: skip
# No "/" or "~": a random path must not leave the scratch directory. (NUL cannot come from a
# real command line, but pk copes with it in-process too.)
SAFE_TEXT = st.text(
    st.characters(blacklist_characters="/~", blacklist_categories=("Cs",)), max_size=40
)
VALUES = st.one_of(
    st.sampled_from(WORDS),
    SAFE_TEXT,
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(["\x1b[31m", "[bold]x[/bold]", "\x00", "'; DROP TABLE promises; --"]),
)


@st.composite
def argument_lists(draw: Any) -> list[str]:
    name = draw(st.sampled_from(sorted(COMMANDS)))
    params = COMMANDS[name]
    options = [(opt, flag) for opt, flag in params if opt is not None] + [("--json", True)]
    args = [name]
    for _ in range(draw(st.integers(min_value=0, max_value=6))):
        if draw(st.booleans()):
            option, flag = draw(st.sampled_from(options))
            args.append(option)
            if not flag:
                args.append(draw(VALUES))
        else:
            args.append(draw(VALUES))
    return args


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ok: Any) -> Path:
    """A scratch working directory, a template ledger, and no programs or network."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    ok("promise", "Send the numbers", "--to", "alice", "--due", "fri", "--tag", "finance")
    ok("promise", "Review the RFC", "--to", "Bob", "--to", "carol", "--due", "tomorrow 9am")
    ok("promise", "Book the venue", "--to", "dana", "--due", "mon", "--note", "40 people")
    ok("keep", "2")
    ok("move", "3", "next friday", "--reason", "waiting")
    ok("expect", "The signed contract", "--from", "erin", "--by", "tue")
    known = [
        {"what": "Known", "to": "alice", "due": "2026-12-04T17:00:00+01:00", "uuid": uuid}
        for uuid in ("abcd1234-0000-4000-8000-000000000001", "abcd5678-9000-4000-8000-00000000002")
    ]
    (tmp_path / "known.json").write_text(json.dumps(known), encoding="utf-8")
    ok("import", str(tmp_path / "known.json"))
    gc.collect()
    template = tmp_path / "template.db"
    shutil.copy(tmp_path / "ledger.db", template)

    def blocked(*args: Any, **kwargs: Any) -> Any:
        raise FileNotFoundError(2, "blocked in this test", str(args[0] if args else ""))

    monkeypatch.setattr(subprocess, "run", blocked)
    monkeypatch.setattr(subprocess, "Popen", blocked)
    monkeypatch.setattr(socket, "socket", blocked)
    monkeypatch.setattr(socket, "create_connection", blocked)
    monkeypatch.setenv("EDITOR", "true")
    monkeypatch.setenv("VISUAL", "true")
    monkeypatch.delenv("PK_DEBUG", raising=False)
    return template


def reset(ledger: Path, template: Path) -> None:
    gc.collect()  # close connections left by the previous example
    for suffix in ("", "-wal", "-shm"):
        Path(f"{ledger}{suffix}").unlink(missing_ok=True)
    shutil.copy(template, ledger)


@pytest.mark.slow
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(args=argument_lists())
def test_random_arguments_never_crash_or_corrupt(scratch: Path, args: list[str]) -> None:
    ledger = Path(os.environ["PK_DB"])
    reset(ledger, scratch)
    result = CliRunner().invoke(app, args, input="", prog_name="pk")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"pk {args!r} raised {result.exception!r}") from result.exception
    assert "internal error" not in result.stderr, (args, result.stderr)
    assert "Traceback" not in result.output, (args, result.output)
    assert result.exit_code in (0, 1, 2, 3), (args, result.exit_code, result.output)
    gc.collect()
    if ledger.exists():
        assert_sound(ledger)
