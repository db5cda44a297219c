"""Shell completion: `pk --show-completion` / `--install-completion` for bash, zsh and fish, and
the answers a shell gets when it asks (`_PK_COMPLETE`): commands, options, ids with their
titles and people's names, read from a real ledger by the real entry point."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import NOW, Pk

# With detection off, Typer's options take the shell's name instead of asking the process tree.
NAMED_SHELL = {"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}


@pytest.fixture
def named_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in NAMED_SHELL.items():
        monkeypatch.setenv(name, value)


@pytest.mark.parametrize(
    ("shell", "marks"),
    [
        ("bash", ["_PK_COMPLETE=complete_bash", "complete -o default -F _pk_completion pk"]),
        ("zsh", ["#compdef pk", "_PK_COMPLETE=complete_zsh", "compdef _pk_completion pk"]),
        ("fish", ["complete --command pk", "_PK_COMPLETE=complete_fish"]),
    ],
)
def test_show_completion_prints_the_script(ok: Pk, named_shell, shell: str, marks) -> None:
    script = ok("--show-completion", shell).stdout
    for mark in marks:
        assert mark in script, (mark, script)


@pytest.mark.parametrize(
    ("shell", "written", "rc"),
    [
        ("bash", ".bash_completions/pk.sh", ".bashrc"),
        ("zsh", ".zfunc/_pk", ".zshrc"),
        ("fish", ".config/fish/completions/pk.fish", None),
    ],
)
def test_install_completion_writes_the_script_once(
    ok: Pk, named_shell, tmp_path: Path, monkeypatch, shell: str, written: str, rc: str | None
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    result = ok("--install-completion", shell)
    assert f"{shell} completion installed in" in result.stdout
    assert "_PK_COMPLETE=complete_" in (home / written).read_text()
    if rc is None:
        return
    assert (home / rc).exists()

    def lines() -> list[str]:
        return [line for line in (home / rc).read_text().splitlines() if line.strip()]

    once = lines()
    ok("--install-completion", shell)
    assert lines() == once  # run twice, added once


# -- what the shell gets when it asks: the real entry point, in a fresh process ----------------
def ask(tmp_path: Path, shell: str, line: str, **extra: str) -> list[str]:
    """The completions for `line` (the cursor at its end), as the shell's script asks."""
    env = dict(os.environ)
    env.pop("PK_DEBUG", None)
    env.update(
        PK_DB=str(tmp_path / "ledger.db"),
        PK_CONFIG=str(tmp_path / "config.toml"),
        PK_NOW=NOW,
        TZ="Europe/Berlin",
        _PK_COMPLETE=f"complete_{shell}",
        _TYPER_COMPLETE_ARGS=line,
        **extra,
    )
    if shell == "bash":
        words = line.split(" ")
        env.update(COMP_WORDS=line, COMP_CWORD=str(len(words) - 1))
    if shell == "fish":
        env["_TYPER_COMPLETE_FISH_ACTION"] = "get-args"
    done = subprocess.run(
        [sys.executable, "-m", "promisekeeper"],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr == ""
    return [line for line in done.stdout.splitlines() if line]


@pytest.fixture
def ledger(ok: Pk, make, isolated: Path) -> Path:
    """#1 open, #2 open and due sooner, #3 kept; alice, bob and Zoë Ångström."""
    make("Send the numbers", "alice", "fri")
    make("Review the RFC", "bob", "tomorrow 9am")
    make("Draft the plan", "Zoë Ångström", "fri")
    ok("keep", "3")
    return isolated.parent


def test_ids_come_with_their_titles(ledger: Path) -> None:
    assert ask(ledger, "fish", "pk show ") == [
        "2\tReview the RFC → bob",
        "1\tSend the numbers → alice",
        "3\tDraft the plan → Zoë Ångström",
    ]
    zsh = "\n".join(ask(ledger, "zsh", "pk notify "))
    assert '"2":"Review the RFC → bob"' in zsh and '"1":"Send the numbers → alice"' in zsh
    assert ask(ledger, "bash", "pk note ") == ["2", "1", "3"]


def test_ids_fit_the_command_and_what_was_typed(ledger: Path) -> None:
    assert [a.split("\t")[0] for a in ask(ledger, "fish", "pk keep ")] == ["2", "1"]
    assert ask(ledger, "fish", "pk reopen ") == ["3\tDraft the plan → Zoë Ångström"]
    assert [a.split("\t")[0] for a in ask(ledger, "fish", "pk move #")] == ["#2", "#1"]
    assert ask(ledger, "bash", "pk show 3") == ["3"]
    assert ask(ledger, "bash", "pk show 9") == []


def test_the_start_of_a_uuid_completes_to_the_id_pk_show_shows(ok: Pk, tmp_path: Path) -> None:
    uuids = [
        "3f9a1c2d-5e6f-4a0b-8c1d-2e3f4a5b6c7d",
        "3f9a7e01-aaaa-4bbb-8ccc-dddddddddddd",
        "31415926-53a8-4979-8323-846264338327",
    ]
    due = "2026-12-04T17:00:00+01:00"
    source = tmp_path / "known.json"
    made = [{"what": f"P{n}", "to": "bob", "due": due, "uuid": u} for n, u in enumerate(uuids)]
    source.write_text(json.dumps(made))
    ok("import", str(source))
    assert ask(tmp_path, "fish", "pk show 3f") == ["3f9a1c2d\tP0 → bob", "3f9a7e01\tP1 → bob"]
    assert ask(tmp_path, "bash", "pk keep 3F9A7") == ["3F9A7E01"]
    assert ask(tmp_path, "bash", "pk keep u:314") == ["u:31415926-53a"]
    assert ask(tmp_path, "bash", "pk keep 3f9a1c2d-5e") == [uuids[0]]
    assert ask(tmp_path, "bash", "pk keep 3") == ["3"]  # digits: the local ids, as ever
    assert ask(tmp_path, "bash", "pk keep ") == ["1", "2", "3"]
    assert ask(tmp_path, "bash", "pk keep beef") == []


def test_people_names_complete(ledger: Path) -> None:
    assert ask(ledger, "fish", "pk promise x --to ") == [
        "alice\t1 open",
        "bob\t1 open",
        "Zoë Ångström\t0 open",
    ]
    assert ask(ledger, "bash", "pk trust Z") == ["Zoë Ångström"]
    assert ask(ledger, "bash", "pk person b") == ["bob"]
    assert ask(ledger, "bash", "pk list --to a") == ["alice"]


def test_commands_and_options_complete(ledger: Path) -> None:
    assert ask(ledger, "bash", "pk re") == ["release", "reopen", "remind", "report", "restore"]
    options = ask(ledger, "bash", "pk today --")
    assert {"--json", "--db", "--help"} <= set(options)
    assert "--install-completion" in ask(ledger, "bash", "pk --")


def test_the_ledger_named_on_the_line_is_read_and_never_created(
    ledger: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "elsewhere" / "none.db"
    assert ask(ledger, "bash", f"pk show --db {missing} ") == []
    assert ask(ledger, "bash", f"pk --db {missing} show ") == []
    assert not missing.exists() and not missing.parent.exists()
    assert ask(ledger, "bash", f"pk --db {ledger / 'ledger.db'} keep ") == ["2", "1"]


def test_a_broken_ledger_completes_nothing_quietly(tmp_path: Path) -> None:
    (tmp_path / "ledger.db").write_text("not a ledger\n")
    assert ask(tmp_path, "fish", "pk show ") == []  # and nothing on stderr (ask checks)


@pytest.mark.skipif(not shutil.which("bash"), reason="needs bash")
def test_bash_uses_the_script_pk_prints(ledger: Path) -> None:
    """The whole round trip: bash sources `pk --show-completion`, then completes `pk keep `."""
    bin_dir = Path(sys.executable).parent
    if not (bin_dir / "pk").exists():
        pytest.skip("pk is not installed next to this python")
    script = (
        'source <(pk --show-completion bash); COMP_WORDS=(pk keep ""); COMP_CWORD=2; '
        '_pk_completion pk; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    env = dict(os.environ)
    env.update(
        NAMED_SHELL,
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        PK_DB=str(ledger / "ledger.db"),
        PK_CONFIG=str(ledger / "config.toml"),
        PK_NOW=NOW,
    )
    done = subprocess.run(
        ["bash", "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["2", "1"]
