"""Every test gets its own ledger and config under tmp_path, a frozen clock and a fixed zone.

"Now" is Monday 23 November 2026, 10:00 in Berlin (09:00 UTC), pinned through PK_NOW, the
clock's injection point; no test depends on the day it runs or touches the real home.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from promisekeeper.face.cli import app

NOW = "2026-11-23T10:00:00+01:00"



def run_code(
    code: str, args: list[str], env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[bytes]:
    """`python -c CODE ARGS...` in a fresh interpreter, as a console script runs: stdin
    empty, stdout and stderr captured as bytes."""
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=timeout,
    )

@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    db = tmp_path / "ledger.db"
    monkeypatch.setenv("PK_DB", str(db))
    monkeypatch.setenv("PK_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("PK_NOW", NOW)
    monkeypatch.setenv("TZ", "Europe/Berlin")
    monkeypatch.delenv("LC_ALL", raising=False)  # numeric dates read month first (C locale)
    monkeypatch.setenv("LC_TIME", "C.UTF-8")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("PK_DEBUG", raising=False)
    time.tzset()
    yield db
    monkeypatch.undo()
    time.tzset()


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        return json.loads(self.stdout)


Pk = Callable[..., Run]


@pytest.fixture
def pk(monkeypatch: pytest.MonkeyPatch) -> Pk:
    """Run `pk ARGS...` through Typer's CliRunner; `now=` sets the clock for that one run."""
    runner = CliRunner()

    def run(*args: str, input: str | None = None, now: str | None = None) -> Run:
        monkeypatch.setenv("PK_NOW", now or NOW)
        result = runner.invoke(app, list(args), input=input, prog_name="pk")
        monkeypatch.setenv("PK_NOW", NOW)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Run(result.exit_code, result.stdout, result.stderr)

    return run


@pytest.fixture
def ok(pk: Pk) -> Pk:
    """Like `pk`, but the command must succeed."""

    def run(*args: str, **kwargs: Any) -> Run:
        result = pk(*args, **kwargs)
        assert result.exit_code == 0, result.stdout + result.stderr
        return result

    return run


@pytest.fixture
def make(ok: Pk) -> Callable[..., int]:
    """Record a promise and return its id."""

    def run(
        what: str = "Send the numbers",
        to: str = "alice",
        due: str = "fri",
        *extra: str,
        now: str | None = None,
    ) -> int:
        result = ok("promise", what, "--to", to, "--due", due, *extra, "--json", now=now)
        return int(result.json["id"])

    return run


@pytest.fixture
def traced(monkeypatch) -> tuple[list[bool], list[str]]:
    """Every connection the commands open (write or not) and every statement they run."""
    from promisekeeper.store import connection

    opened: list[bool] = []
    statements: list[str] = []
    real = connection.connect

    def connect(path: Path, *, write: bool, create_dirs: bool = False):  # noqa: ANN202
        conn = real(path, write=write, create_dirs=create_dirs)
        opened.append(write)
        if conn is not None:
            conn.set_trace_callback(statements.append)
        return conn

    monkeypatch.setattr(connection, "connect", connect)
    return opened, statements
