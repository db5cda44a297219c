"""Hostile settings, environment, templates, SMTP addresses and terminals, through the installed
`pk` in real processes (issue 12, findings 10 to 13): each ends in one line naming what is
wrong and exit status 1, never "internal error", a hang or gigabytes of output; text a terminal
would act on reaches it only as visible escapes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
PK = BIN / "pk"
NOW = "2026-11-23T10:00:00+01:00"

pytestmark = pytest.mark.skipif(
    not PK.exists(), reason=f"the pk console script is not installed next to {sys.executable}"
)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    environment = {
        k: v for k, v in os.environ.items() if k not in ("PK_DEBUG", "COLUMNS", "PK_NOW")
    }
    environment.update(
        PK_DB=str(tmp_path / "ledger.db"),
        PK_CONFIG=str(tmp_path / "config.toml"),
        PK_NOW=NOW,
        TZ="Europe/Berlin",
    )
    return environment


def run(
    env: dict[str, str], *args: str | bytes, timeout: float = 30, **extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PK), *args],
        env={**env, **extra},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=timeout,
    )


def one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 1, (result.stdout[:500], result.stderr[:500])
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert result.stderr.startswith("pk: ") and result.stderr.count("\n") == 1, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)


@pytest.fixture
def made(env: dict[str, str]) -> dict[str, str]:
    done = run(env, "promise", "Send the numbers", "--to", "alice", "--due", "fri")
    assert done.returncode == 0, done.stderr
    return env


def config(env: dict[str, str], text: str) -> Path:
    path = Path(env["PK_CONFIG"])
    path.write_text(text)
    return path


# -------------------------------------------------------------------------------------------------
# Finding 10: templates
# -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("placeholder", ["{what:>999999999}", "{what:x}", "{what!r}", "{to!s:>9}"])
def test_a_template_placeholder_with_a_format_is_refused(
    made: dict[str, str], placeholder: str
) -> None:
    """Finding 10: a format spec or conversion in a user template (a width of a billion
    printed a gigabyte; `{what:x}` was an internal error) is refused in one line naming the
    template file."""
    templates = Path(made["PK_CONFIG"]).parent / "templates"
    templates.mkdir()
    template = templates / "heads-up.txt"
    template.write_text(f"Subject: About {placeholder}\n\nHi {{to}}.\n")
    result = run(made, "notify", "1", "--kind", "heads-up", "--via", "print", timeout=20)
    one_line_error(result, str(template), "format")
    assert result.stdout == ""


# -------------------------------------------------------------------------------------------------
# Finding 11: settings and environment
# -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("risk_window = inf\n", "risk_window"),
        ("risk_window = 1e308\n", "risk_window"),
        ("risk_window = nan\n", "risk_window"),
        ('risk_window = "99999999d"\n', "risk_window"),
        ("a = " + "[" * 3000 + "]" * 3000 + "\n", "too deeply"),
        ("[notify]\ntimeout = inf\n", "notify.timeout"),
        ("[trust]\nkept_on_time = 1e308\n", "trust.kept_on_time"),
    ],
    ids=["inf", "1e308", "nan", "days", "nested", "timeout", "trust"],
)
def test_a_setting_out_of_range_is_named(made: dict[str, str], text: str, key: str) -> None:
    """Finding 11: settings that are infinite, out of range or nested too deeply are refused
    in one line naming the key."""
    path = config(made, text)
    one_line_error(run(made, "today"), str(path), key)


def test_a_config_that_is_a_fifo_is_refused_at_once(made: dict[str, str]) -> None:
    """Finding 11: a config.toml that is a FIFO is refused at once, never waited on."""
    path = Path(made["PK_CONFIG"])
    os.mkfifo(path)
    one_line_error(run(made, "today", timeout=10), str(path), "not a regular file")


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("PK_BUSY_TIMEOUT_MS", "abc", "PK_BUSY_TIMEOUT_MS"),
        ("PK_BUSY_TIMEOUT_MS", "-5", "PK_BUSY_TIMEOUT_MS"),
        ("TZ", "UTC+99", "TZ"),
        ("PK_NOW", "0001-01-01", "PK_NOW"),
        ("PK_NOW", "9999-12-31T23:59:59", "PK_NOW"),
    ],
    ids=["busy-abc", "busy-negative", "tz", "now-early", "now-late"],
)
def test_an_environment_variable_out_of_range_is_named(
    made: dict[str, str], name: str, value: str, fragment: str
) -> None:
    """Finding 11: an environment variable pk reads that it cannot use is refused in one line
    naming it, for reads and writes alike."""
    one_line_error(run(made, "today", **{name: value}), fragment)
    one_line_error(run(made, "note", "1", "x", **{name: value}), fragment)


def test_an_output_encoding_without_the_text_degrades(made: dict[str, str]) -> None:
    """Finding 11: PYTHONIOENCODING=ascii shows what it cannot encode as escapes, no crash."""
    assert run(made, "promise", "Café ☕ → soon", "--to", "zoë", "--due", "fri").returncode == 0
    for command in (["show", "2"], ["today"], ["trust"], ["list"], ["people"]):
        result = run(made, *command, PYTHONIOENCODING="ascii")
        assert result.returncode == 0, (command, result.stderr)
        assert "Error" not in result.stderr
    assert "Caf\\xe9" in run(made, "show", "2", PYTHONIOENCODING="ascii").stdout


def test_an_argument_that_is_not_utf8_is_refused(env: dict[str, str]) -> None:
    """Finding 11: bytes that are not UTF-8 in an argument get one line, and nothing is made."""
    result = subprocess.run(
        [str(PK), "promise", b"caf\xe9 \xff", "--to", "alice", "--due", "fri"],
        env=env,
        capture_output=True,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 1, result.stderr
    stderr = result.stderr.decode()
    assert stderr.startswith("pk: argument 2 is not valid UTF-8") and stderr.count("\n") == 1
    assert not Path(env["PK_DB"]).exists()


def test_an_effort_too_long_is_refused(made: dict[str, str]) -> None:
    """Finding 11: `--effort 99999999999d` is a one-line error, not an internal one."""
    args = ["promise", "x", "--to", "a", "--due", "fri", "--effort", "99999999999d"]
    one_line_error(run(made, *args), "effort", "too long")
    one_line_error(run(made, "edit", "1", "--effort", "99999999999w"), "too long")


# -------------------------------------------------------------------------------------------------
# Finding 12: SMTP
# -------------------------------------------------------------------------------------------------
SMTP = '[smtp]\nhost = "127.0.0.1"\nport = 9\nstarttls = false\n'


@pytest.mark.parametrize(
    "email", ["alice@example.com, eve@example.com", "alice@example.com\nBcc: eve@example.com"]
)
def test_a_person_email_that_is_not_one_address_is_refused(
    made: dict[str, str], email: str
) -> None:
    """Finding 12: an e-mail of two addresses (was sent to both) or with a line break (was an
    internal error) is refused before anything is sent, naming the person."""
    config(made, SMTP)
    assert run(made, "person", "alice", "--email", email).returncode == 0
    result = run(made, "notify", "1", "--via", "email", "--kind", "heads-up")
    one_line_error(result, "alice", "not one e-mail address")


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ('port = "abc"', "smtp.port"),
        ('from = "me@example.com\\nBcc: eve@example.com"', "smtp.from"),
    ],
    ids=["port", "from"],
)
def test_an_smtp_setting_that_cannot_be_used_is_named(
    made: dict[str, str], line: str, key: str
) -> None:
    """Finding 12: a non-numeric port or a line break in [smtp] from is a config error."""
    path = config(made, f'[smtp]\nhost = "127.0.0.1"\n{line}\n')
    one_line_error(run(made, "today"), str(path), key)


# -------------------------------------------------------------------------------------------------
# Finding 13: terminals
# -------------------------------------------------------------------------------------------------
HOSTILE = "Pay\u009b31m \u009d0;owned\u0007 \u202eevil\u202c \u200bzero"


def on_a_terminal(env: dict[str, str], *args: str) -> str:
    """Run pk with its stdout on a pseudo-terminal; what the terminal received."""
    import pty

    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [str(PK), *args],
            env={**env, "NO_COLOR": "1", "COLUMNS": "200"},
            stdin=subprocess.DEVNULL,
            stdout=follower,
            stderr=subprocess.PIPE,
            timeout=30,
        )
        os.close(follower)
        follower = -1
        received = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            received += chunk
    finally:
        if follower >= 0:
            os.close(follower)
        os.close(leader)
    assert done.returncode == 0, done.stderr
    return received.decode("utf-8")


@pytest.mark.parametrize("command", [["list", "--json"], ["export"], ["show", "1", "--json"]])
def test_json_on_a_terminal_escapes_controls_and_bidi(
    env: dict[str, str], command: list[str]
) -> None:
    """Finding 13: --json and export on a terminal write C1 controls, bidi overrides and
    zero-width characters as JSON escapes; into a pipe, the JSON is as it was (raw)."""
    assert run(env, "promise", HOSTILE, "--to", "alice", "--due", "fri").returncode == 0
    shown = on_a_terminal(env, *command)
    for char in "\u009b\u009d\u202e\u202c\u200b":
        assert char not in shown
    assert "\\u009b" in shown and "\\u202e" in shown
    piped = run(env, *command)
    assert "\u009b" in piped.stdout and "\u202e" in piped.stdout
    assert json.loads(shown.replace("\r\n", "\n")) == json.loads(piped.stdout)


def test_paths_echoed_on_a_terminal_are_neutralised(env: dict[str, str], tmp_path: Path) -> None:
    """Finding 13: `pk report -o` and `pk cron` echo a path with escape sequences as visible
    text, never as the sequences."""
    assert run(env, "promise", "x", "--to", "alice", "--due", "fri").returncode == 0
    target = tmp_path / "rep\x1b]0;owned\x07\u009b.txt"
    result = run(env, "report", "-o", str(target))
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\u009b" not in result.stdout
    assert "\\x1b" in result.stdout
    hostile_db = tmp_path / "led\x1b[31mger\u009b.db"
    result = run(env, "cron", PK_DB=str(hostile_db))
    assert "\x1b" not in result.stdout + result.stderr
    assert "\u009b" not in result.stdout + result.stderr
