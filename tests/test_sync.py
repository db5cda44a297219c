"""`pk sync`: three ledgers on one machine share a real bare git repository.

Every test drives the CLI as a user would (in-process through CliRunner, or the installed `pk`
in a subprocess where a process must be killed or must push in between), with real `git`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import Pk, Run
from ledger_checks import assert_sound

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

PK = [sys.executable, "-m", "promisekeeper"]


def git(*args: str, cwd: Path | None = None) -> str:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


@pytest.fixture(autouse=True)
def data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Clones go under the user data directory by default: a tmp one here."""
    home = tmp_path / "data"
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return home


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    path = tmp_path / "remote.git"
    git("init", "-q", "--bare", str(path))
    return path


class Replica:
    """One ledger on this machine, run through the CLI."""

    def __init__(self, pk: Pk, db: Path) -> None:
        self.pk, self.db = pk, db

    def __call__(self, *args: str, **kwargs: Any) -> Run:
        return self.pk("--db", str(self.db), *args, **kwargs)

    def ok(self, *args: str, **kwargs: Any) -> Run:
        result = self(*args, **kwargs)
        assert result.exit_code == 0, result.stdout + result.stderr
        return result

    def sync(self) -> dict[str, Any]:
        return self.ok("sync", "--json").json

    def promise(self, what: str, to: str = "alice", due: str = "fri") -> int:
        return int(self.ok("promise", what, "--to", to, "--due", due, "--json").json["id"])

    def id_of(self, what: str) -> int:
        found = [p for p in self.ok("list", "--status", "all", "--json").json if p["what"] == what]
        assert len(found) == 1, found
        return int(found[0]["id"])

    def export(self) -> dict[str, Any]:
        """The export by uuid, local ids and the export time aside."""
        document = self.ok("export").json
        promises = {}
        for promise in document["promises"]:
            promise.pop("id")
            promises[promise["uuid"]] = promise
        people = sorted(document["people"], key=lambda p: p["name"])
        return {"promises": promises, "people": people, "series": document["series"]}

    def replica_id(self) -> str:
        return str(self.ok("sync", "status", "--json").json["replica"])

    def repo(self) -> Path:
        return Path(self.ok("sync", "status", "--json").json["repository"])


@pytest.fixture
def replicas(pk: Pk, tmp_path: Path, remote: Path) -> list[Replica]:
    made = []
    for name in "abc":
        replica = Replica(pk, tmp_path / f"{name}.db")
        replica.ok("sync", "init", str(remote))
        made.append(replica)
    return made


def one_line_error(result: Run, *fragments: str) -> str:
    assert result.exit_code == 1, result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("pk: "), result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def remote_files(remote: Path) -> dict[str, str]:
    listing = git("--git-dir", str(remote), "ls-tree", "-r", "--name-only", "main")
    return {name: git("--git-dir", str(remote), "show", f"main:{name}") for name in listing.split()}


def two_promises_sent(a: Replica, remote: Path) -> tuple[str, list[str]]:
    """Two promises made on `a` and synced: the name of a's file in the repository and its
    lines (with their newlines), for a test to edit by hand."""
    a.promise("Send the numbers")
    a.promise("Review the RFC", "bob", "mon")
    a.sync()
    name = f"events/{a.replica_id()}/2026-11.jsonl"
    return name, remote_files(remote)[name].splitlines(keepends=True)


def push_by_hand(remote: Path, tmp_path: Path, edit: Callable[[Path], None]) -> None:
    """Someone edits the repository by hand in a clone of their own and pushes."""
    clone = tmp_path / "by-hand"
    if clone.exists():
        shutil.rmtree(clone)
    git("clone", "-q", "-b", "main", str(remote), str(clone))
    edit(clone)
    git("add", "-A", cwd=clone)
    git("commit", "-q", "-m", "by hand", cwd=clone)
    git("push", "-q", "origin", "HEAD", cwd=clone)


# -------------------------------------------------------------------------------------------------
# Set-up, layout, status
# -------------------------------------------------------------------------------------------------
def test_init_on_an_empty_remote_then_sync_writes_this_replicas_own_files(
    pk: Pk, tmp_path: Path, remote: Path, data_home: Path
) -> None:
    a = Replica(pk, tmp_path / "a.db")
    out = a.ok("sync", "init", str(remote)).stdout
    assert f"Sync set up with {remote} (empty so far)." in out
    repo = a.repo()
    assert repo.is_relative_to(data_home / "promisekeeper" / "sync")
    a.promise("Send the numbers")
    a.promise("Review the RFC", "bob", "mon")
    done = a.sync()
    assert done["sent"] == 2 and done["sent_kinds"] == {"event": 2} and done["pushed"]
    replica = a.replica_id()
    files = remote_files(remote)
    assert set(files) == {"README", f"events/{replica}/2026-11.jsonl"}
    assert "plain text" in files["README"] and "private" in files["README"]
    lines = files[f"events/{replica}/2026-11.jsonl"].splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["type"] for r in records] == ["event", "event"]
    assert {r["replica"] for r in records} == {replica}
    log = git("--git-dir", str(remote), "log", "--format=%s", "-1", "main")
    assert f"replica {replica[:12]}: 2 records (2 events)" in log
    # Nothing new: nothing written, nothing committed.
    assert a.sync()["sent"] == 0
    assert git("--git-dir", str(remote), "log", "--format=%s", "-1", "main") == log
    assert "Synced with" in a.ok("sync").stdout


def test_each_ledger_on_one_machine_has_its_own_clone(replicas: list[Replica]) -> None:
    repos = {r.repo() for r in replicas}
    assert len(repos) == 3
    assert len({r.replica_id() for r in replicas}) == 3


def test_repo_option_puts_the_clone_where_asked(pk: Pk, tmp_path: Path, remote: Path) -> None:
    a = Replica(pk, tmp_path / "a.db")
    place = tmp_path / "my clone"
    assert a.ok("sync", "init", str(remote), "--repo", str(place), "--json").json[
        "repository"
    ] == str(place)
    a.promise("Send the numbers")
    assert a.sync()["sent"] == 1
    assert (place / "README").exists()
    assert list((place / "events").iterdir())


def test_a_new_empty_remote_gets_everything_again(pk: Pk, tmp_path: Path, remote: Path) -> None:
    a = Replica(pk, tmp_path / "a.db")
    a.ok("sync", "init", str(remote))
    a.promise("Send the numbers")
    a.sync()
    other = tmp_path / "other.git"
    git("init", "-q", "--bare", str(other))
    a.ok("sync", "init", str(other), "--repo", str(tmp_path / "clone2"))
    assert a.sync()["sent"] == 1
    assert remote_files(other).keys() == remote_files(remote).keys()


def test_status_says_what_waits_in_each_direction(replicas: list[Replica]) -> None:
    a, b, _c = replicas
    status = b.ok("sync", "status", "--json").json
    assert status["set_up"] and status["last_sync"] is None
    assert status["outgoing_records"] == 0 and status["incoming_records"] == 0
    assert "Last sync   never" in b.ok("sync", "status").stdout
    a.promise("Send the numbers")
    a.promise("Review the RFC", "bob", "mon")
    assert a.ok("sync", "status", "--json").json["outgoing_records"] == 2
    a.sync()
    assert a.ok("sync", "status", "--json").json["outgoing_records"] == 0
    # b has not fetched since a pushed: nothing known to be waiting, until --fetch.
    assert b.ok("sync", "status", "--json").json["incoming_records"] == 0
    fetched = b.ok("sync", "status", "--fetch", "--json").json
    assert fetched["fetched_now"]
    assert (fetched["incoming_commits"], fetched["incoming_records"]) == (2, 2)
    text = b.ok("sync", "status").stdout
    assert "To receive  2 records in 2 commits (as of the last fetch" in text
    assert b.sync()["received"] == 2
    after = b.ok("sync", "status", "--json").json
    assert (after["incoming_commits"], after["incoming_records"]) == (0, 0)
    assert after["last_sync"] is not None


def test_sync_says_what_it_sent_and_what_it_applied(replicas: list[Replica]) -> None:
    a, b, _c = replicas
    a.promise("Send the numbers")
    a.promise("Review the RFC", "bob", "mon")
    a.ok("person", "bob", "--email", "bob@example.com")
    assert "sent 3 records, nothing new from the other copies." in a.ok("sync").stdout
    out = b.ok("sync").stdout
    assert "nothing new to send, applied 3 records from 1 other copy" in out
    assert "(2 new promises, 1 person's details)" in out
    a.ok("keep", "1")
    a.sync()
    merged = b.sync()["merged"]
    assert (merged["events"], merged["promises"], merged["changed"]) == (1, 0, 1)
    assert b.ok("show", str(b.id_of("Send the numbers")), "--json").json["status"] == "kept"


def test_sync_before_init_says_how_to_set_it_up(pk: Pk, tmp_path: Path) -> None:
    a = Replica(pk, tmp_path / "a.db")
    one_line_error(a("sync"), "not set up", "pk sync init REMOTE")
    assert "not set up" in a.ok("sync", "status").stdout
    assert a.ok("sync", "status", "--json").json["set_up"] is False


# -------------------------------------------------------------------------------------------------
# When the world is not as it should be
# -------------------------------------------------------------------------------------------------
def test_a_missing_remote_is_refused_at_init_and_at_sync(
    pk: Pk, tmp_path: Path, remote: Path
) -> None:
    a = Replica(pk, tmp_path / "a.db")
    one_line_error(a("sync", "init", str(tmp_path / "nowhere.git")), "cannot reach")
    assert a.ok("sync", "status", "--json").json["set_up"] is False
    a.ok("sync", "init", str(remote))
    a.promise("Send the numbers")
    moved = tmp_path / "moved.git"
    remote.rename(moved)
    one_line_error(a("sync"), "cannot reach the sync remote", str(remote))
    assert_sound(a.db)
    assert a.ok("sync", "status", "--json").json["outgoing_records"] == 0  # committed locally
    moved.rename(remote)
    a.sync()
    assert len(remote_files(remote)) == 2


def test_a_rejected_push_is_retried_after_fetching_again(
    replicas: list[Replica], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Another replica pushes between this one's fetch and its push: the push is rejected,
    and this sync fetches, merges and pushes again."""
    from promisekeeper.services import sync

    a, b, _c = replicas
    a.promise("Made on a")
    b.promise("Made on b")
    real_fetch = sync._fetch
    pushes_in_between = []

    def fetch_then_a_pushes(git: Any, remote: str, **kwargs: Any) -> Any:
        found = real_fetch(git, remote, **kwargs)
        if not pushes_in_between:  # once: a (a real pk process) syncs in between
            env = {**os.environ, "PK_DB": str(a.db)}
            done = subprocess.run([*PK, "sync"], env=env, capture_output=True, text=True)
            assert done.returncode == 0, done.stderr
            pushes_in_between.append(done.stdout)
        return found

    monkeypatch.setattr(sync, "_fetch", fetch_then_a_pushes)
    done = b.sync()
    assert done["pushed"] and done["push_retries"] == 1
    assert "retried 1 time" not in ""  # the text form says it too:
    monkeypatch.setattr(sync, "_fetch", real_fetch)
    a.sync()
    assert a.export() == b.export()
    assert {p["what"] for p in a.export()["promises"].values()} == {"Made on a", "Made on b"}


def test_a_push_rejected_every_time_gives_up_in_one_line(
    replicas: list[Replica], monkeypatch: pytest.MonkeyPatch
) -> None:
    from promisekeeper.services import sync

    a, b, _c = replicas
    real_fetch = sync._fetch
    rounds = []

    def fetch_then_a_pushes(git: Any, remote: str, **kwargs: Any) -> Any:
        found = real_fetch(git, remote, **kwargs)
        env = {**os.environ, "PK_DB": str(a.db)}
        made = subprocess.run([*PK, "promise", f"a{len(rounds)}", "--to", "x", "--due", "fri"],
                              env=env, capture_output=True, text=True)  # fmt: skip
        assert made.returncode == 0, made.stderr
        assert subprocess.run([*PK, "sync"], env=env, capture_output=True).returncode == 0
        rounds.append(1)
        return found

    b.promise("Made on b")
    monkeypatch.setattr(sync, "_fetch", fetch_then_a_pushes)
    one_line_error(b("sync"), "rejected the push 5 times", "run pk sync again")
    monkeypatch.setattr(sync, "_fetch", real_fetch)
    assert b.sync()["pushed"]
    a.sync()
    assert a.export() == b.export()


def test_a_truncated_last_line_waits_until_it_is_complete(
    replicas: list[Replica], remote: Path, tmp_path: Path
) -> None:
    a, b, _c = replicas
    a.promise("Send the numbers")
    a.promise("Review the RFC", "bob", "mon")
    a.sync()
    name = f"events/{a.replica_id()}/2026-11.jsonl"
    first, second = remote_files(remote)[name].splitlines(keepends=True)

    def truncate(clone: Path) -> None:
        (clone / name).write_text(first + second[:40], encoding="utf-8")

    push_by_hand(remote, tmp_path, truncate)
    assert b.sync()["received"] == 1  # the complete line only
    assert b.sync()["received"] == 0  # the partial one waits
    assert [p["what"] for p in b.export()["promises"].values()] == ["Send the numbers"]

    def complete(clone: Path) -> None:
        (clone / name).write_text(first + second, encoding="utf-8")

    push_by_hand(remote, tmp_path, complete)
    assert b.sync()["received"] == 1
    assert b.export() == a.export()
    assert_sound(b.db)


def test_a_garbage_line_is_refused_naming_file_and_line_and_nothing_is_applied(
    replicas: list[Replica], remote: Path, tmp_path: Path
) -> None:
    a, b, _c = replicas
    name, whole = two_promises_sent(a, remote)

    def garble(clone: Path) -> None:
        (clone / name).write_text(whole[0] + "garbage, not a record\n" + whole[1])

    push_by_hand(remote, tmp_path, garble)
    before = b.export()
    message = one_line_error(b("sync"), f"{name} line 2", "edited by hand", "Nothing was applied")
    assert "garbage" not in message
    assert b.export() == before
    one_line_error(b("sync"), f"{name} line 2")  # and again: the offsets did not move

    def repair(clone: Path) -> None:
        (clone / name).write_text("".join(whole))

    push_by_hand(remote, tmp_path, repair)
    assert b.sync()["received"] == 2  # the file changed before the offset: read whole again


def test_a_record_that_cannot_be_applied_is_refused_naming_file_and_line(
    replicas: list[Replica], remote: Path, tmp_path: Path
) -> None:
    a, b, _c = replicas
    name, whole = two_promises_sent(a, remote)
    wrong = {**json.loads(whole[1]), "clock": "yesterday"}

    def edit(clone: Path) -> None:
        (clone / name).write_text(whole[0] + json.dumps(wrong) + "\n")

    push_by_hand(remote, tmp_path, edit)
    before = b.export()
    one_line_error(b("sync"), f"{name} line 2", "clock", "Nothing was applied")
    assert b.export() == before


def test_a_copied_ledger_file_is_told_to_take_a_new_replica_id(
    pk: Pk, replicas: list[Replica], remote: Path, tmp_path: Path
) -> None:
    a, b, _c = replicas
    a.promise("Send the numbers")
    a.sync()
    copy = Replica(pk, tmp_path / "copy.db")
    shutil.copy(a.db, copy.db)
    a.promise("Made on a after the copy")
    a.sync()
    copy.promise("Made on the copy")
    copy.ok("sync", "init", str(remote))
    message = one_line_error(copy("sync"), "replica id", "never wrote", "--new-replica")
    assert a.replica_id()[:12] in message
    assert_sound(copy.db)
    out = copy.ok("sync", "init", str(remote), "--new-replica").stdout
    assert "(new)" in out and copy.replica_id() != a.replica_id()
    copy.sync()
    a.sync()
    whats = {p["what"] for p in a.export()["promises"].values()}
    assert {"Send the numbers", "Made on a after the copy"} <= whats


def test_hand_edits_in_the_clones_work_tree_are_put_back(replicas: list[Replica]) -> None:
    """What a killed sync may leave in the clone (appended lines never committed, a merge
    half-done) is undone before the next one: the lines are written again from the marker."""
    a, b, _c = replicas
    a.promise("Send the numbers")
    a.sync()
    repo = a.repo()
    own = repo / "events" / a.replica_id() / "2026-11.jsonl"
    with open(own, "a", encoding="utf-8") as file:
        file.write('{"half a line')
    (repo / "stray.txt").write_text("x")
    a.promise("Review the RFC", "bob", "mon")
    assert a.sync()["sent"] == 1
    assert not (repo / "stray.txt").exists()
    assert b.sync()["received"] == 2


# -------------------------------------------------------------------------------------------------
# Help
# -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("args", [["sync"], ["sync", "init"], ["sync", "status"]])
def test_every_sync_command_has_help_with_examples(pk: Pk, args: list[str]) -> None:
    result = pk(*args, "--help")
    assert result.exit_code == 0
    assert "Examples:" in result.stdout and "pk sync" in result.stdout


# -------------------------------------------------------------------------------------------------
# Killed at any moment
# -------------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_kill_9_during_sync_at_random_moments_then_a_clean_sync_converges(
    replicas: list[Replica],
) -> None:
    import random
    import signal
    import time

    rng = random.Random(20261202)
    a, b, c = replicas

    def env(replica: Replica) -> dict[str, str]:
        return {**os.environ, "PK_DB": str(replica.db)}

    for round_ in range(8):
        for replica in (a, b):
            made = subprocess.run(
                [*PK, "promise", f"round {round_}", "--to", "x", "--due", "fri"],
                env=env(replica), capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            assert made.returncode == 0, made.stderr
        victim = rng.choice((a, b, c))
        process = subprocess.Popen(
            [*PK, "sync"], env=env(victim), stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        time.sleep(rng.uniform(0.05, 0.6))
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=60)
        assert_sound(victim.db)
    for replica in (a, b, c, a, b):
        replica.sync()
    for replica in (a, b, c):
        assert_sound(replica.db)
    assert a.export() == b.export() == c.export()
    assert len(a.export()["promises"]) == 16


# -------------------------------------------------------------------------------------------------
# pk remind --sync
# -------------------------------------------------------------------------------------------------
def test_remind_sync_brings_the_other_copies_promises_into_the_digest(
    replicas: list[Replica],
) -> None:
    a, b, _c = replicas
    a.promise("Made on a, due today", due="today 17:00")
    a.sync()
    assert "Made on a" not in b.ok("remind", "--no-record").stdout
    result = b.ok("remind", "--sync", "--no-record")
    assert "Made on a, due today" in result.stdout
    assert result.stderr == ""


def test_remind_sync_that_fails_still_prints_the_digest_and_exits_1(
    replicas: list[Replica], remote: Path, tmp_path: Path
) -> None:
    _a, b, _c = replicas
    b.promise("Made on b, due today", due="today 17:00")
    remote.rename(tmp_path / "gone.git")
    result = b("remind", "--sync", "--no-record")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("pk: sync failed"), result.stderr
    assert "cannot reach the sync remote" in lines[0]
    assert "Made on b, due today" in result.stdout


def test_remind_sync_without_set_up_says_so_and_still_reminds(pk: Pk, tmp_path: Path) -> None:
    a = Replica(pk, tmp_path / "a.db")
    a.promise("Due today", due="today 17:00")
    result = a("remind", "--sync", "--no-record")
    assert result.exit_code == 1
    assert "pk sync init REMOTE" in result.stderr and "Due today" in result.stdout


# -------------------------------------------------------------------------------------------------
# [sync] auto = true
# -------------------------------------------------------------------------------------------------
def test_auto_sync_runs_pk_sync_in_the_background_after_a_change(
    pk: Pk, tmp_path: Path, remote: Path
) -> None:
    import time

    config = Path(os.environ["PK_CONFIG"])
    config.write_text("[sync]\nauto = true\n", encoding="utf-8")
    a = Replica(pk, tmp_path / "a.db")
    a.ok("sync", "init", str(remote))
    env = {**os.environ, "PK_DB": str(a.db)}
    made = subprocess.run([*PK, "promise", "Sent by itself", "--to", "alice", "--due", "fri"],
                          env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert made.returncode == 0 and made.stderr == "", made.stderr

    def commits() -> int:
        done = subprocess.run(["git", "--git-dir", str(remote), "rev-list", "--count", "main"],
                              capture_output=True, text=True)  # fmt: skip
        return int(done.stdout.strip() or 0)

    deadline = time.monotonic() + 60
    while commits() < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert commits() == 2  # the README, then the promise
    assert "Sent by itself" in "".join(remote_files(remote).values())
    time.sleep(1.5)
    assert commits() == 2  # the background sync did not start another one
    # A command that changes nothing starts nothing; nor does a sync.
    assert subprocess.run([*PK, "list"], env=env, capture_output=True).returncode == 0
    assert a.ok("sync", "status", "--json").json["outgoing_records"] == 0


def test_auto_sync_must_be_true_or_false(pk: Pk) -> None:
    Path(os.environ["PK_CONFIG"]).write_text('[sync]\nauto = "yes"\n', encoding="utf-8")
    one_line_error(pk("today"), "sync.auto must be true or false")
    Path(os.environ["PK_CONFIG"]).write_text("[sync]\nautomatic = true\n", encoding="utf-8")
    one_line_error(pk("today"), "unknown setting 'sync.automatic'")


# -------------------------------------------------------------------------------------------------
# Convergence: three ledgers, conflicting changes, several orders
# -------------------------------------------------------------------------------------------------
ORDERS = [
    ("a", "b", "c", "a", "b"),
    ("c", "b", "a", "c", "b"),
    ("b", "c", "a", "b", "c"),
]


@pytest.mark.parametrize("order", ORDERS, ids=lambda o: "".join(o))
def test_three_replicas_with_conflicting_changes_converge(
    replicas: list[Replica], order: tuple[str, ...]
) -> None:
    a, b, c = replicas
    by_name = dict(zip("abc", replicas, strict=True))
    a.promise("Send the numbers")
    a.promise("Review the RFC", "bob", "mon")
    a.promise("Book the venue", "carol", "tue")
    a.ok("person", "alice", "--email", "alice@example.com")
    for replica in (a, b, c):
        replica.sync()
    # Move vs keep; edit vs edit; delete vs note; an undo on one.
    a.ok("move", str(a.id_of("Send the numbers")), "next friday", "--reason", "late data")
    b.ok("keep", str(b.id_of("Send the numbers")))
    a.ok("edit", str(a.id_of("Review the RFC")), "--what", "Review the RFC (a)")
    c.ok("edit", str(c.id_of("Review the RFC")), "--what", "Review the RFC (c)")
    b.ok("delete", str(b.id_of("Book the venue")), "--yes")
    c.ok("note", str(c.id_of("Book the venue")), "called the venue")
    a.ok("note", str(a.id_of("Book the venue")), "taken back")
    a.ok("undo", "--yes")
    c.promise("Made on c")
    for name in order:
        by_name[name].sync()
    exports = [r.export() for r in replicas]
    assert exports[0] == exports[1] == exports[2]
    whats = {p["what"] for p in exports[0]["promises"].values()}
    assert "Made on c" in whats
    for replica in replicas:
        assert_sound(replica.db)
    # Nothing more to exchange: another round changes nothing.
    for replica in replicas:
        assert replica.sync()["received"] == 0
    assert [r.export() for r in replicas] == exports
