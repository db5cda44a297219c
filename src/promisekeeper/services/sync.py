"""`pk sync`: this ledger on every machine, through a git repository.

The repository holds plain-text files, one directory per replica (one ledger's copy):
`events/<replica-id>/<YYYY-MM>.jsonl`, a record per line (events, undos, people's details,
series), each in the month of its clock stamp. A replica only ever appends to its own files, so
git never meets a conflict: every merge is a fast-forward or touches different files.

One sync: append this replica's records written since the marker to its files and commit
them; fetch, merge and push (again, a few times, while another replica pushes in between);
then read every other replica's files from where the last sync stopped and apply the records in
one transaction together with the new read offsets (services.replica.merge, idempotent). What
went out is what this replica's committed files hold (the clock of their last line; the marker
in meta records it once the commit exists), and the offsets move only with the records they
read: a sync killed at any point leaves the ledger sound, and the next one finishes the job.

Git runs through its command line, with an argument list (never a shell), no terminal
prompts, no hooks and a timeout; its complaint is summarised in the one-line error.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from promisekeeper.model.errors import InvalidInput, PkError
from promisekeeper.store import sync as store

if TYPE_CHECKING:
    from promisekeeper.services.ledger import Ledger

EVENTS = "events"
README = "README"
GIT_TIMEOUT = 120.0  # seconds for one git command that talks to the remote
LOCAL_TIMEOUT = 60.0  # seconds for one that does not
PUSH_TRIES = 5
LOCK_WAIT = 10.0  # seconds to wait for another pk sync on the same repository
BIG_PUSH = 4 << 20  # bytes appended, past which a push does not look for deltas
TAIL = 32  # bytes before a read offset kept to recognise the file was not rewritten

README_TEXT = """\
This repository is PromiseKeeper's sync store (`pk sync`): the promises, their histories,
people's contact details and series of one or more copies of a pk ledger, in plain text.

Anyone who can read this repository can read all of it: keep it private.

Layout: events/<replica-id>/<YYYY-MM>.jsonl, one JSON record per line (an event, an undo, a
person's details or a series), in the month of the record's clock. Each replica (a ledger on
one machine) only appends to its own directory, so merges never conflict. Do not edit these
files by hand: `pk sync` refuses a line it cannot read, naming the file and line.
"""


class SyncError(PkError):
    """Sync cannot go on; the message says why and what to do."""


class NotSetUp(SyncError):
    """The ledger has no sync remote yet."""


class RemoteError(SyncError):
    """The remote is missing, unreachable or refuses."""


class BadRecord(SyncError):
    """A line in the repository is not a record pk wrote (the repository was edited by hand)."""


class ReplicaSeenTwice(SyncError):
    """Another ledger writes under this ledger's replica id (a copied ledger file)."""


# -------------------------------------------------------------------------------------------------
# Git
# -------------------------------------------------------------------------------------------------
def _environment() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY")
    }
    env.update(GIT_TERMINAL_PROMPT="0", LC_ALL="C", LANGUAGE="C", GIT_ASKPASS="true")
    env.setdefault("GIT_SSH_COMMAND", "ssh -o BatchMode=yes")
    return env


def summary(stderr: str) -> str:
    """git's complaint in a few words: its first fatal or error line, else its last line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith(("hint:", "warning:"))]
    for line in lines:
        if line.startswith(("fatal:", "error:", "remote: error", "! [")):
            return line.removeprefix("fatal: ").removeprefix("error: ")[:200]
    return (lines[-1] if lines else "no message")[:200]


@dataclass
class Git:
    """git in one repository, as this replica (author name and e-mail given on each run)."""

    repo: Path
    replica: str

    def run(
        self,
        *args: str,
        check: bool = True,
        remote: bool = False,
        what: str = "",
        config: tuple[str, ...] = (),
    ) -> subprocess.CompletedProcess[str]:
        command = [
            "git",
            "-C",
            str(self.repo),
            *(part for setting in config for part in ("-c", setting)),
            "-c",
            "user.name=pk sync",
            "-c",
            f"user.email={self.replica[:12]}@pk.invalid",
            "-c",
            "core.hooksPath=/dev/null",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "core.autocrlf=false",
            "-c",
            "core.fsync=committed",  # a commit is on disk before the marker moves past it
            "-c",
            "init.defaultBranch=main",
            *args,
        ]
        timeout = GIT_TIMEOUT if remote else LOCAL_TIMEOUT
        try:
            done = subprocess.run(
                command,
                env=_environment(),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                encoding="utf-8",
                errors="replace",
                timeout=timeout,
            )
        except FileNotFoundError:
            raise SyncError(
                "pk sync needs git, and git is not installed (or not on PATH)"
            ) from None
        except subprocess.TimeoutExpired:
            raise RemoteError(
                f"git {what or args[0]} took longer than {timeout:.0f} s; check the network "
                "and the remote, then run pk sync again (nothing was lost)"
            ) from None
        if check and done.returncode != 0:
            raise SyncError(f"git {what or args[0]} failed in {self.repo}: {summary(done.stderr)}")
        return done

    def blob(self, sha: str) -> bytes:
        """A file's bytes as git stores them (offsets count bytes, not characters)."""
        done = subprocess.run(
            ["git", "-C", str(self.repo), "cat-file", "blob", sha],
            env=_environment(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=LOCAL_TIMEOUT,
        )
        if done.returncode != 0:
            raise SyncError(f"git cat-file failed in {self.repo}: {summary(done.stderr.decode())}")
        return done.stdout

    def out(self, *args: str) -> str:
        return self.run(*args).stdout.strip()

    def ref(self, name: str) -> str | None:
        done = self.run("rev-parse", "--verify", "-q", name + "^{commit}", check=False)
        return done.stdout.strip() or None if done.returncode == 0 else None

    def branch(self) -> str:
        done = self.run("symbolic-ref", "--short", "HEAD", check=False)
        return done.stdout.strip() or "main"


# -------------------------------------------------------------------------------------------------
# Settings
# -------------------------------------------------------------------------------------------------
def default_repo(ledger: Ledger, replica: str) -> Path:
    """Where the repository of this ledger lives by default: in the user data directory, one
    per ledger (by replica id and the ledger's path, so two ledgers on one machine, even a
    copied one, never share a clone)."""
    import hashlib  # only where a clone is placed (init): not on every sync

    from promisekeeper.services.paths import default_db_path

    place = hashlib.sha256(str(ledger.path.resolve()).encode()).hexdigest()[:8]
    return default_db_path().parent / "sync" / f"{replica[:12]}-{place}"


def state(ledger: Ledger) -> store.SyncState:
    found = ledger.read(store.read_state)
    if found is None:  # no ledger yet: nothing to sync
        raise NotSetUp("sync is not set up for this ledger: run pk sync init REMOTE first")
    return found


def _set_up(ledger: Ledger) -> tuple[store.SyncState, Git]:
    found = state(ledger)
    if not found.remote or not found.repo:
        raise NotSetUp("sync is not set up for this ledger: run pk sync init REMOTE first")
    repo = Path(found.repo)
    if not (repo / ".git").is_dir():
        raise SyncError(
            f"the sync repository {repo} is missing or not a git repository; run "
            f"pk sync init {found.remote} to make it again (the ledger is intact)"
        )
    return found, Git(repo, found.replica)


@dataclass
class Initialised:
    remote: str
    repo: Path
    replica: str
    new_replica: bool
    fresh_remote: bool  # the remote had no branch yet


def init(
    ledger: Ledger, remote: str, repo: Path | None = None, *, new_replica: bool = False
) -> Initialised:
    """Set up sync: a clone of `remote` in `repo` (made or checked), remembered in the ledger.

    Fetches once, so a remote that is missing or unreachable is said now. `new_replica` gives
    the ledger a new replica id first (for a copied ledger file) and starts from the remote."""
    import uuid

    remote = remote.strip()
    if not remote:
        raise SyncError("the sync remote cannot be empty: give a git URL or a repository path")
    if remote.startswith("-"):
        raise SyncError(f"the sync remote cannot start with '-': {remote[:60]!r}")
    local = Path(remote).expanduser()
    if "://" not in remote and ":" not in remote.split("/")[0] and local.exists():
        remote = str(local.resolve())  # a path: absolute, so the clone finds it from anywhere
    before = ledger.read(store.read_state)
    _probe(remote)  # a wrong remote is said before anything is made, the ledger included
    replica = before.replica if before is not None else None
    if replica is None:  # a ledger that does not exist yet: create it, with its replica id
        ledger.bookkeeping(lambda conn: None)
        replica = state(ledger).replica
    if new_replica:
        replica = uuid.uuid4().hex
    target = (repo or default_repo(ledger, replica)).expanduser().resolve()
    git = Git(target, replica)
    made = not (target / ".git").exists()
    if target.exists() and not target.is_dir():
        raise SyncError(f"the sync repository {target} is a file, not a directory")
    if made and target.exists() and any(target.iterdir()):
        raise SyncError(
            f"the directory {target} is not empty and not a git repository; give another one "
            "with --repo DIR"
        )
    target.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        if made:
            git.run("init", "-q")
        if git.run("remote", "get-url", "origin", check=False).returncode == 0:
            git.run("remote", "set-url", "origin", remote)
        else:
            git.run("remote", "add", "origin", remote)
        branch = _fetch(git, remote, probe=True)
        fresh = branch is None
        branch = branch or git.branch()
        if git.ref("HEAD") is None:
            git.run("symbolic-ref", "HEAD", f"refs/heads/{branch}")
            if git.ref(f"refs/remotes/origin/{branch}") is not None:
                git.run("reset", "-q", "--hard", f"origin/{branch}")
        elif new_replica and git.ref(f"refs/remotes/origin/{branch}") is not None:
            # The commits made under the old replica id that the remote lacks are dropped:
            # they are the ones another copy of this ledger contradicts.
            git.run("reset", "-q", "--hard", f"origin/{branch}")
        if not (target / README).exists():
            (target / README).write_text(README_TEXT, encoding="utf-8")
            git.run("add", "--", README)
            git.run("commit", "-q", "-m", "pk sync: what this repository is (README)")
    except BaseException:
        if made:
            _remove_tree(target)
        raise

    def remember(conn: Any) -> None:
        if new_replica:
            store.set_replica(conn, replica)
        if new_replica or (before is not None and before.repo != str(target)):
            store.forget_progress(conn)
        store.set_values(conn, {"remote": remote, "repo": str(target)})

    ledger.bookkeeping(remember)
    return Initialised(remote, target, replica, new_replica, fresh)


def _probe(remote: str) -> None:
    done = Git(Path("/"), "probe").run(
        "ls-remote", "--heads", "--", remote, check=False, remote=True, what="ls-remote"
    )
    if done.returncode != 0:
        raise RemoteError(
            f"cannot reach the sync remote {remote}: {summary(done.stderr)}; check the URL or "
            "path (a git repository; make an empty one with git init --bare) and the network"
        )


def _remove_tree(target: Path) -> None:
    import shutil

    shutil.rmtree(target, ignore_errors=True)


def _fetch(git: Git, remote: str, *, probe: bool = False) -> str | None:
    """Fetch from the remote; the branch the remote's HEAD names (None: an empty remote)."""
    done = git.run("fetch", "-q", "--prune", "origin", check=False, remote=True, what="fetch")
    if done.returncode != 0:
        raise RemoteError(
            f"cannot reach the sync remote {remote}: {summary(done.stderr)}; check it (pk sync "
            "init REMOTE changes it) and the network, then run pk sync again"
        )
    if not probe:
        return None
    heads = git.run("ls-remote", "--symref", "origin", "HEAD", check=False, remote=True)
    for line in heads.stdout.splitlines():
        if line.startswith("ref: refs/heads/"):
            return line.split()[1].removeprefix("refs/heads/")
    branches = git.out("for-each-ref", "--format=%(refname:short)", "refs/remotes/origin")
    names = [b.removeprefix("origin/") for b in branches.splitlines() if b != "origin/HEAD"]
    return ("main" if "main" in names else names[0]) if names else None


# -------------------------------------------------------------------------------------------------
# Files
# -------------------------------------------------------------------------------------------------
def month_of(record: dict[str, Any]) -> str:
    """The file a record goes in: the month (UTC) of its clock stamp."""
    from promisekeeper.model.events import LOGICAL_BITS, clock_from_text

    millis = clock_from_text(record.get("clock")) >> LOGICAL_BITS
    return datetime.fromtimestamp(millis / 1000, UTC).strftime("%Y-%m")


def _months(records: list[dict[str, Any]]) -> Iterator[str]:
    """month_of each record, reckoned once per run of records with the same millisecond
    prefix (records come in clock order: a first sync has thousands a month)."""
    last_prefix, last_month = None, ""
    for record in records:
        clock = record.get("clock")
        prefix = clock[:14] if isinstance(clock, str) else None
        if prefix is None or prefix != last_prefix:
            last_prefix, last_month = prefix, month_of(record)
        yield last_month


_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def line_of(record: dict[str, Any]) -> bytes:
    return _encode(record).encode() + b"\n"


def _own_files(repo: Path, replica: str) -> list[Path]:
    return sorted((repo / EVENTS / replica).glob("*.jsonl"))


def _last_record(path: Path) -> tuple[int, dict[str, Any] | None]:
    """The last complete line of a file of records (line number, record), or (0, None)."""
    with open(path, "rb") as file:
        size = file.seek(0, os.SEEK_END)
        chunk = 1 << 16
        start = max(0, size - chunk)
        while True:
            file.seek(start)
            data = file.read(size - start)
            end = data.rfind(b"\n")
            begin = data.rfind(b"\n", 0, end) if end >= 0 else -1
            if begin >= 0 or start == 0:
                break
            start = max(0, start - chunk)
    if end < 0:
        return 0, None
    text = data[begin + 1 : end]
    try:
        record = json.loads(text)
    except ValueError:
        record = None
    return 1, record if isinstance(record, dict) else None


def written_so_far(git: Git, replica: str, ledger: Ledger) -> int:
    """The clock of the last record this replica's files hold (0: none yet), after checking
    that the ledger wrote it: a record under this replica's id that the ledger never made means
    another ledger writes as this one (a copied ledger file)."""
    from promisekeeper.model.events import clock_from_text

    files = _own_files(git.repo, replica)
    if not files:
        return 0
    last = files[-1]
    _found, record = _last_record(last)
    if record is None:
        raise BadRecord(
            f"{last.relative_to(git.repo)}: its last line is not a pk record; was the repository "
            "edited by hand? Nothing was applied; restore the file from git history "
            f"(git -C {git.repo} log -p -- {last.relative_to(git.repo)}) and run pk sync again"
        )
    uuid = record.get("uuid")
    if isinstance(uuid, str) and not ledger.read(lambda conn: store.knows_event(conn, uuid)):
        raise _seen_twice(replica, git.repo)
    try:
        return clock_from_text(record.get("clock"))
    except PkError:
        raise BadRecord(
            f"{last.relative_to(git.repo)}: its last line has no clock stamp; was the "
            "repository edited by hand? Nothing was applied"
        ) from None


def _seen_twice(replica: str, repo: Path) -> ReplicaSeenTwice:
    return ReplicaSeenTwice(
        f"the repository holds records under this ledger's replica id {replica[:12]} that this "
        "ledger never wrote: another copy of this ledger file syncs too (copied or restored?); "
        "on this copy run pk sync init REMOTE --new-replica to give it its own id, then pk sync"
    )


def append_records(
    repo: Path, replica: str, records: list[dict[str, Any]]
) -> tuple[list[str], int]:
    """Append records to this replica's files (by month): the files written (relative) and
    the bytes."""
    by_month: dict[str, list[bytes]] = {}
    for record, month in zip(records, _months(records), strict=True):
        by_month.setdefault(month, []).append(line_of(record))
    directory = repo / EVENTS / replica
    directory.mkdir(parents=True, exist_ok=True)
    written, size = [], 0
    for month, lines in sorted(by_month.items()):
        path = directory / f"{month}.jsonl"
        data = b"".join(lines)
        with open(path, "ab") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        written.append(str(path.relative_to(repo)))
        size += len(data)
    return written, size


@dataclass
class Reading:
    """The new complete lines of one other replica's file."""

    name: str  # relative to the repository
    first_line: int  # the number of the first line in `lines`
    lines: list[bytes]
    offset: int  # where the next read starts
    tail: str


def read_new(repo: Path, name: str, known: tuple[int, str] | None) -> Reading | None:
    """The complete lines past the offset read last time (the whole file when it shrank or its
    bytes before the offset changed: merge is idempotent); a last line without its newline
    waits for the next sync. None when nothing is new."""
    path = repo / name
    with open(path, "rb") as file:
        size = file.seek(0, os.SEEK_END)
        start, first = 0, 1
        if known is not None:
            offset, tail = known
            line_count, _sep, tail_hex = tail.partition(":")
            if offset <= size:
                file.seek(max(0, offset - TAIL))
                if file.read(min(offset, TAIL)).hex() == tail_hex and line_count.isdigit():
                    start, first = offset, int(line_count) + 1
        if start == size:
            return None
        file.seek(start)
        data = file.read(size - start)
    end = data.rfind(b"\n") + 1
    if end == 0:
        return None
    lines = data[:end].split(b"\n")[:-1]
    offset = start + end
    with open(path, "rb") as file:
        file.seek(max(0, offset - TAIL))
        tail_hex = file.read(min(offset, TAIL)).hex()
    return Reading(name, first, lines, offset, f"{first - 1 + len(lines)}:{tail_hex}")


def parse(reading: Reading) -> list[dict[str, Any]]:
    records = []
    for number, line in enumerate(reading.lines, reading.first_line):
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise _bad(reading.name, number, f"not JSON ({exc.msg})") from None
        if not isinstance(record, dict) or not isinstance(record.get("type"), str):
            raise _bad(reading.name, number, "not a record (a JSON object with a type)")
        records.append(record)
    return records


def _bad(name: str, number: int, what: str) -> BadRecord:
    return BadRecord(
        f"{name} line {number} is {what}: was the repository edited by hand? Nothing was "
        "applied; put the line back as its replica wrote it (see git log -p of that file) "
        "and run pk sync again"
    )


def _refused(message: str, places: list[tuple[str, int]]) -> BadRecord:
    """merge's refusal of record N (its message starts "record N: ..."), with its file and
    line."""
    import re

    found = re.match(r"record (\d+): (.*?)(; nothing merged)?$", message)
    if found and int(found.group(1)) < len(places):
        name, number = places[int(found.group(1))]
        return _bad(name, number, f"not a record pk can apply ({found.group(2)})")
    return BadRecord(
        f"a record in the repository cannot be applied ({message}): was it edited by hand? "
        "Nothing was applied"
    )


def other_files(repo: Path, replica: str) -> list[str]:
    found = []
    events = repo / EVENTS
    if not events.is_dir():
        return found
    for directory in sorted(events.iterdir()):
        if directory.name == replica or not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.jsonl")):
            found.append(f"{EVENTS}/{directory.name}/{path.name}")
    return found


# -------------------------------------------------------------------------------------------------
# Sync
# -------------------------------------------------------------------------------------------------
@dataclass
class Synced:
    remote: str
    repo: Path
    replica: str
    sent: int = 0
    sent_kinds: dict[str, int] = field(default_factory=dict)
    received: int = 0
    received_from: dict[str, int] = field(default_factory=dict)  # replica: records
    merged: Any = None
    pushed: bool = False
    retries: int = 0
    files_read: int = 0
    bytes_sent: int = 0


@contextmanager
def _locked(git: Git) -> Iterator[None]:
    """One pk sync at a time on a repository; a git lock left by a killed git is removed."""
    import fcntl

    path = git.repo / ".git" / "pk-sync.lock"
    with open(path, "a+b") as lock:
        deadline = time.monotonic() + LOCK_WAIT
        while True:
            try:
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise SyncError(
                        f"another pk sync is using {git.repo}; try again when it has finished"
                    ) from None
                time.sleep(0.1)
        # Only pk uses this clone, and only under this lock: a git lock file now is one a
        # killed git left behind, and would stop every git command that follows.
        dot_git = git.repo / ".git"
        for stale in [*dot_git.glob("*.lock"), *(dot_git / "refs").rglob("*.lock")]:
            if stale.name != "pk-sync.lock":
                stale.unlink(missing_ok=True)
        yield


def _tidy(git: Git) -> None:
    """Undo what a killed sync left half-done in the work tree: an unfinished merge, appended
    lines never committed (the marker did not move: they are written again)."""
    dirty = git.run("status", "--porcelain", "--untracked-files=all").stdout.strip()
    merging = (git.repo / ".git" / "MERGE_HEAD").exists()
    if not dirty and not merging:
        return
    if git.ref("HEAD") is not None:
        git.run("reset", "-q", "--hard", "HEAD")
    else:
        git.run("rm", "-r", "-q", "--cached", "--ignore-unmatch", ".")
    git.run("clean", "-q", "-f", "-d", "-e", ".git")


def sync(ledger: Ledger) -> Synced:
    found, git = _set_up(ledger)
    assert found.remote is not None
    replica = found.replica
    done = Synced(found.remote, git.repo, replica)
    with _locked(git):
        _tidy(git)
        _send(ledger, git, found, done)
        _exchange(git, found.remote, replica, done)
        _receive(ledger, git, found, done)
    ledger.changed = False  # what sync merged is no change to sync again ([sync] auto)
    return done


def start_in_background(ledger: Ledger) -> bool:
    """Start `pk sync` for this ledger as a detached process, when sync is set up; whether
    it was started. Failures are not reported here: pk sync status shows the last sync."""
    import sys

    try:
        found = ledger.read(store.read_state)
    except PkError:
        return False
    if found is None or not found.remote:
        return False
    env = {**os.environ, "PK_SYNC_CHILD": "1"}
    argv = [sys.executable, "-m", "promisekeeper", "--db", str(ledger.path), "sync"]
    quiet = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_RDWR, 0) for fd in (0, 1, 2)]
    try:
        os.posix_spawn(sys.executable, argv, env, file_actions=quiet, setsid=True)
    except OSError:
        return False
    return True


def _send(ledger: Ledger, git: Git, found: store.SyncState, done: Synced) -> None:
    from promisekeeper.services.replica import outgoing

    # The files are the truth of what went out: the marker in meta follows them (a new clone
    # of an empty remote, or a commit lost with a crash, has the records written again).
    after = written_so_far(git, found.replica, ledger)
    records, marker = outgoing(ledger, after)
    if records:
        written, size = append_records(git.repo, found.replica, records)
        done.bytes_sent = size
        kinds: dict[str, int] = {}
        for record in records:
            kinds[str(record.get("type"))] = kinds.get(str(record.get("type")), 0) + 1
        words = ", ".join(_count(n, kind) for kind, n in sorted(kinds.items()))
        git.run("add", "--", *written)
        git.run(
            "commit",
            "-q",
            "-m",
            f"pk sync: replica {found.replica[:12]}: {_count(len(records), 'record')} ({words})",
            "-m",
            f"Replica: {found.replica}",
        )
        done.sent, done.sent_kinds = len(records), kinds
    if marker != found.marker:
        ledger.bookkeeping(lambda conn: store.set_values(conn, {"marker": str(marker)}))


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _exchange(git: Git, remote: str, replica: str, done: Synced) -> None:
    """Fetch, merge, push; again while the push is rejected because another replica pushed."""
    branch = git.branch()
    for attempt in range(PUSH_TRIES):
        _fetch(git, remote)
        theirs = git.ref(f"refs/remotes/origin/{branch}")
        if theirs is not None:
            _merge(git, theirs, replica)
        head = git.ref("HEAD")
        if head is None or head == theirs:
            return
        # A large push (a first sync) skips the search for deltas, which takes most of its
        # time on a big file and finds nothing: the file is new.
        big = ("pack.window=0",) if done.bytes_sent > BIG_PUSH else ()
        pushed = git.run(
            "push",
            "-q",
            "origin",
            f"HEAD:refs/heads/{branch}",
            check=False,
            remote=True,
            config=big,
        )
        if pushed.returncode == 0:
            done.pushed, done.retries = True, attempt
            return
        words = pushed.stderr
        if not any(w in words for w in ("rejected", "non-fast-forward", "fetch first")):
            raise RemoteError(
                f"cannot push to the sync remote {remote}: {summary(words)}; your changes are "
                "committed in the repository and go out with the next pk sync"
            )
    raise RemoteError(
        f"the sync remote {remote} rejected the push {PUSH_TRIES} times (other replicas kept "
        "pushing in between); run pk sync again"
    )


def _merge(git: Git, theirs: str, replica: str) -> None:
    head = git.ref("HEAD")
    if head == theirs:
        return
    if head is not None:
        # Commits (not merges: those only bring in what replicas wrote) that reach the remote
        # without passing through this clone and touch this replica's files: another ledger
        # writes as this one.
        others = git.out(
            "rev-list",
            "--count",
            "--no-merges",
            "--full-history",
            f"HEAD..{theirs}",
            "--",
            f"{EVENTS}/{replica}",
        )
        if others != "0":
            raise _seen_twice(replica, git.repo)
        base = git.run("merge-base", "--is-ancestor", theirs, "HEAD", check=False)
        if base.returncode == 0:
            return  # ours already holds theirs: only a push is due
    merged = git.run(
        "merge",
        "-q",
        "--no-edit",
        "--allow-unrelated-histories",  # copies set up at once on an empty remote
        "-X",
        "theirs",  # only the README can differ on both sides (each replica owns its files)
        "-m",
        "pk sync: merge",
        theirs,
        check=False,
        what="merge",
    )
    if merged.returncode != 0:
        files = git.run("diff", "--name-only", "--diff-filter=U", check=False).stdout.split()
        git.run("merge", "--abort", check=False)
        raise BadRecord(
            f"the sync repository cannot be merged without conflicts ({', '.join(files[:3])}"
            f"{'…' if len(files) > 3 else ''}): was it edited by hand? {summary(merged.stderr)}"
        )


def _receive(ledger: Ledger, git: Git, found: store.SyncState, done: Synced) -> None:
    from promisekeeper.services.replica import merge

    readings = []
    for name in other_files(git.repo, found.replica):
        reading = read_new(git.repo, name, found.offsets.get(name))
        if reading is not None:
            readings.append(reading)
    records: list[dict[str, Any]] = []
    places: list[tuple[str, int]] = []  # (file, line) of each record, for a refusal
    for reading in readings:
        new = parse(reading)
        records.extend(new)
        places.extend((reading.name, reading.first_line + n) for n in range(len(new)))
        source = reading.name.split("/")[1]
        done.received_from[source] = done.received_from.get(source, 0) + len(new)
    offsets = {r.name: (r.offset, r.tail) for r in readings}
    now = ledger.now.isoformat()

    def progress(conn: Any) -> None:
        store.set_offsets(conn, offsets)
        store.set_values(conn, {"last": now})

    with ledger.riding(progress) as ran:
        if records:
            try:
                done.merged = merge(ledger, records)
            except InvalidInput as exc:
                raise _refused(str(exc), places) from None
        if not ran[0]:
            ledger.bookkeeping(progress)  # the merge wrote nothing: the progress alone
    done.received, done.files_read = len(records), len(readings)


# -------------------------------------------------------------------------------------------------
# Status
# -------------------------------------------------------------------------------------------------
@dataclass
class Status:
    set_up: bool
    now: datetime
    remote: str | None = None
    repo: Path | None = None
    replica: str | None = None
    last: str | None = None
    outgoing: int = 0
    incoming_commits: int = 0
    incoming_records: int = 0
    fetched: bool = False
    fetched_at: float | None = None  # when the repository last fetched (its FETCH_HEAD)


def status(ledger: Ledger, *, fetch: bool = False) -> Status:
    from promisekeeper.services.replica import outgoing

    found = ledger.read(store.read_state)
    if found is None or not found.remote:
        return Status(False, ledger.now, replica=None if found is None else found.replica)
    result = Status(True, ledger.now, found.remote, None, found.replica, found.last)
    _found, git = _set_up(ledger)
    result.repo = git.repo
    with _locked(git):
        if fetch:
            _fetch(git, found.remote)
            result.fetched = True
        after = written_so_far(git, found.replica, ledger)
        result.outgoing = len(outgoing(ledger, after)[0])
        branch = git.branch()
        theirs = git.ref(f"refs/remotes/origin/{branch}")
        head = git.ref("HEAD")
        if theirs is not None and head is not None and theirs != head:
            count = git.out("rev-list", "--count", f"HEAD..{theirs}")
            result.incoming_commits = int(count or 0)
        result.incoming_records = _waiting(git, found, theirs or head)
    stamp = git.repo / ".git" / "FETCH_HEAD"
    result.fetched_at = stamp.stat().st_mtime if stamp.exists() else None
    return result


def _waiting(git: Git, found: store.SyncState, ref: str | None) -> int:
    """Records in other replicas' files at `ref` (the remote's branch as last fetched) past
    what this ledger has read."""
    if ref is None:
        return 0
    listing = git.out("ls-tree", "-r", "-l", ref, "--", EVENTS)
    count = 0
    for line in listing.splitlines():
        meta, _tab, name = line.partition("\t")
        parts = meta.split()
        if len(parts) < 4 or not name.endswith(".jsonl"):
            continue
        if name.split("/")[1] == found.replica:
            continue
        size = int(parts[3]) if parts[3].isdigit() else 0
        offset = found.offsets.get(name, (0, ""))[0]
        if size <= offset:
            continue
        count += git.blob(parts[2])[offset:].count(b"\n")
    return count
