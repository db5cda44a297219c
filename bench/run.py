"""How fast `pk` is, as whole processes, next to taskwarrior on the same data.

    python bench/run.py                          # sizes 1000,10000,100000; taskwarrior if installed
    python bench/run.py --quick                  # a smoke run: 1,000 and 10,000, few repeats
    python bench/run.py --sizes 1000,10000 --repeat 21
    python bench/run.py --against-taskwarrior    # fail instead of skipping when `task` is missing
    python bench/run.py --markdown bench/results/latest.json   # the README's tables, no run

It builds two kinds of ledger (open/kept/broken/released, 50 people):
- "realistic", at every size: 2% open, the closed ones spread over two years;
- "busy", at 10,000 only (or the largest size below it): 30% open (--open-share), closed ones
  over 18 months, the mix of the first benchmark.
Open promises are mostly weeks ahead, with the same handful overdue, due today or at risk at
every size. Each ledger is loaded into pk with `pk import` and, when `task` is on the PATH, the
same promises into a throw-away taskwarrior data dir with `task import`. Then it runs groups of
commands in alternation (A B C A B C ...) as whole processes, and prints every target of issue
#13 (and the older ones of issue #6) with its measured value, its limit and PASS, FAIL or SKIP,
and a table of every command measured. The results are also written as JSON
(bench/results/latest.json unless --json says otherwise); --markdown prints the same tables
from such a file.

It installs nothing. Taskwarrior comes from the system packages (`apt-get install taskwarrior`).

How things are measured:
- Wall time: from starting the process to reaping it, `time.perf_counter`, median of --repeat
  runs (--heavy-repeat for stats, trust, report and export; --import-repeat for import) after
  one discarded warm-up run of each command.
- Not a terminal: stdin /dev/null, stdout and stderr to pipes or /dev/null (as from cron or a
  script). "On a terminal": stdout and stderr on a pseudo-terminal (120x40, TERM set), its
  output drained by the bench, stdin still /dev/null so nothing waits for an answer; taskwarrior
  is run on a pseudo-terminal the same way for that row.
- `pk promise` and `pk remind` write: each of their runs starts from a fresh copy of the
  ledger as imported (the copy is made before the clock starts), so every `pk promise` adds
  the same one promise to the same ledger, and every `pk remind` is the day's first cron run,
  which prints and records all that needs you. Before the clock starts, pk also records one
  change on the copy (a person with no promises, `pk person zz-bench`): a ledger is then as pk
  left it after its last change, the everyday case. A ledger file some other program wrote
  (here: the copy) gets a full `PRAGMA quick_check` on its next write; the rows "... (first
  write after a copy)" time that case apart, as information, not as a target. `pk import`
  runs into a new, empty ledger each time. `task add` is not reset: its data grows by a few
  dozen tasks.
- Peak memory: each child's own `ru_maxrss`, by GNU `time -f %M` or `os.wait4` on that one
  process, in --memory-runs separate runs (one for the heavy commands); the largest is reported.
- The children get the bench's environment minus PYTHONDONTWRITEBYTECODE (an installed pk runs
  from compiled bytecode), with PK_DB, XDG_CONFIG_HOME, TASKRC and TASKDATA in a temporary
  directory and PK_NOW pinned to the moment the bench started, which is also the "now" of the
  generated data, so pk and taskwarrior see the same overdue and upcoming promises.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import platform
import random
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_JSON = HERE / "results" / "latest.json"

# The promises a realistic day needs attention for do not grow with the ledger: a handful are
# overdue, due later today or at risk, whatever the size. Every other open promise is on track.
OVERDUE, DUE_TODAY, AT_RISK, KEPT_TODAY = 3, 2, 4, 2
OPEN_SHARE = 0.30


@dataclass(frozen=True)
class Mix:
    """What share of a ledger is open, and over how many days the closed ones were made."""

    name: str
    open_share: float
    spread_days: float


REALISTIC = Mix("realistic", 0.02, 730)
SIZES, QUICK_SIZES = "1000,10000,100000", "1000,10000"
TERMINAL_ROWS, TERMINAL_COLUMNS = 40, 120

PEOPLE = (
    "alice bob carol dave erin frank grace heidi ivan judy karl laura mallory nina oscar peggy "
    "quentin rita sybil trent ursula victor wendy xavier yolanda zoe aaron bella chris diana "
    "edgar fiona george hannah isaac julia kevin linda mike nora oliver paula raj sara tom "
    "uma vera walter yusuf zack"
).split()
VERBS = (
    "Send", "Review", "Call", "Fix", "Write", "Check", "Book", "Share", "Prepare", "Draft",
    "Update", "Return", "Order", "Plan", "Read", "Test", "Ship", "Sign", "Pay", "Find",
)  # fmt: skip
THINGS = (
    "the Q3 numbers", "the RFC", "the plumber", "the login bug", "the offsite agenda",
    "the release notes", "the contract", "the budget sheet", "the design doc", "the invoice",
    "the slides", "the migration plan", "the onboarding guide", "the test report",
    "the meeting notes", "the hiring rubric", "the roadmap", "the API docs", "the demo",
    "the birthday present",
)  # fmt: skip
TAGS = ("work", "home", "release", "q3", "family")


# -------------------------------------------------------------------------------------------------
# The data
# -------------------------------------------------------------------------------------------------
def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def generate(
    size: int,
    now: datetime,
    open_share: float = OPEN_SHARE,
    spread_days: float = 540,
    seed: int = 6,
) -> list[dict[str, Any]]:
    """`size` promises as plain import objects (what, to, due, made, status, kept_at, ...)."""
    rng = random.Random(seed * 1_000_003 + size)
    day, hour = timedelta(days=1), timedelta(hours=1)
    local_now = now.astimezone()
    end_of_day = (local_now.replace(hour=0, minute=0, second=0) + day).astimezone(UTC)
    records: list[dict[str, Any]] = []

    def record(
        made: datetime, due: datetime, status: str = "open", closed: datetime | None = None
    ) -> None:
        to = [rng.choice(PEOPLE)]
        if rng.random() < 0.1:
            to.append(rng.choice([p for p in PEOPLE if p != to[0]]))
        item: dict[str, Any] = {
            "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "what": f"{rng.choice(VERBS)} {rng.choice(THINGS)}",
            "to": to,
            "made": iso(made),
            "due": iso(due),
            "status": status,
            "tags": [rng.choice(TAGS)] if rng.random() < 0.2 else [],
        }
        if closed is not None:
            item["kept_at" if status == "kept" else "closed_at"] = iso(closed)
        records.append(item)

    open_count = max(round(size * open_share), OVERDUE + DUE_TODAY + AT_RISK)
    for _ in range(OVERDUE):
        due = now - rng.uniform(2, 96) * hour
        record(due - rng.uniform(1, 10) * day, due)
    left_today = end_of_day - now
    for _ in range(DUE_TODAY if left_today > 2 * hour else 0):
        due = now + left_today * rng.uniform(0.2, 0.8)
        record(due - rng.uniform(1, 5) * day, due)
    for _ in range(AT_RISK):
        due = max(end_of_day + hour, now + rng.uniform(6, 20) * hour)
        record(now - rng.uniform(1, 10) * day, due)
    while len(records) < open_count:
        # On track: not within the 24-hour window, and more than 20% of its span left.
        ago = rng.uniform(0, 60) * day
        ahead = rng.uniform(max(2, 0.3 * ago / day + 1), 180) * day
        record(now - ago, now + ahead)
    for _ in range(min(KEPT_TODAY, size - len(records))):
        closed = now - rng.uniform(0.5, 1.0) * (now - local_now.replace(hour=0, minute=0))
        record(closed - rng.uniform(2, 10) * day, closed + rng.uniform(0, 3) * day, "kept", closed)
    while len(records) < size:
        made = now - rng.uniform(3, spread_days) * day
        due = made + rng.uniform(1, 30) * day
        closed = due + rng.uniform(-3, 1.5) * day
        closed = min(max(closed, made + hour), now - day)
        roll = rng.random()
        status = "kept" if roll < 0.85 else "broken" if roll < 0.95 else "released"
        record(made, due, status, closed)
    rng.shuffle(records)
    return records


def taskwarrior_json(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same promises as taskwarrior tasks: each person and tag becomes a tag."""

    def stamp(value: str) -> str:
        return datetime.fromisoformat(value).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

    tasks = []
    for item in records:
        status = {"open": "pending", "kept": "completed"}.get(item["status"], "deleted")
        task: dict[str, Any] = {
            "uuid": item["uuid"],
            "description": item["what"],
            "status": status,
            "entry": stamp(item["made"]),
            "due": stamp(item["due"]),
            "tags": item["to"] + item["tags"],
        }
        closed = item.get("kept_at") or item.get("closed_at")
        if closed:
            task["end"] = stamp(closed)
        tasks.append(task)
    return tasks


# -------------------------------------------------------------------------------------------------
# Running processes
# -------------------------------------------------------------------------------------------------
@dataclass
class Runs:
    """Every timed run of one command."""

    label: str
    argv: list[str]
    env: dict[str, str]
    versus: str | None = None  # the label of the command it is compared with, in its group
    terminal: bool = False  # stdout and stderr on a pseudo-terminal
    before: Callable[[], None] | None = None  # called before each run, outside the clock
    seconds: list[float] = field(default_factory=list)
    max_rss_kib: list[int] = field(default_factory=list)
    failures: int = 0
    output_lines: int | None = None

    @property
    def median_ms(self) -> float:
        return statistics.median(self.seconds) * 1000 if self.seconds else float("nan")

    @property
    def peak_mib(self) -> float:
        return max(self.max_rss_kib) / 1024 if self.max_rss_kib else float("nan")

    def as_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "argv": self.argv,
            "terminal": self.terminal,
            "versus": self.versus,
            "median_ms": round(self.median_ms, 2),
            "min_ms": round(min(self.seconds) * 1000, 2) if self.seconds else None,
            "max_ms": round(max(self.seconds) * 1000, 2) if self.seconds else None,
            "runs_ms": [round(s * 1000, 2) for s in self.seconds],
            "peak_rss_mib": round(self.peak_mib, 1) if self.max_rss_kib else None,
            "failures": self.failures,
            "output_lines": self.output_lines,
        }


def run_once(runs: Runs) -> tuple[float, int]:
    """(wall seconds, exit status) of one whole process, output discarded."""
    if runs.before:
        runs.before()
    if runs.terminal:
        seconds, code, output = run_on_terminal(runs.argv, runs.env)
        runs.output_lines = output.count(b"\n")
        error = output[-500:]
    else:
        start = time.perf_counter()
        done = subprocess.run(
            runs.argv,
            env=runs.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        seconds = time.perf_counter() - start
        code, error = done.returncode, done.stderr[-500:]
    if code != 0:
        sys.stderr.write(f"bench: {' '.join(runs.argv)} exited {code}: {error!r}\n")
    return seconds, code


def run_on_terminal(argv: list[str], env: dict[str, str]) -> tuple[float, int, bytes]:
    """One whole process with stdout and stderr on a fresh pseudo-terminal whose output the
    bench drains as it comes, as a terminal would: (wall seconds, exit status, output)."""
    controller, terminal = os.openpty()
    size = struct.pack("HHHH", TERMINAL_ROWS, TERMINAL_COLUMNS, 0, 0)
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, size)
    chunks: list[bytes] = []
    try:
        start = time.perf_counter()
        child = subprocess.Popen(
            argv, env=env, stdin=subprocess.DEVNULL, stdout=terminal, stderr=terminal
        )
        os.close(terminal)
        terminal = -1
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: the last writer closed its side
                break
            if not chunk:
                break
            chunks.append(chunk)
        code = child.wait()
        seconds = time.perf_counter() - start
    finally:
        os.close(controller)
        if terminal >= 0:
            os.close(terminal)
    return seconds, code, b"".join(chunks)


def terminal_env(env: dict[str, str]) -> dict[str, str]:
    """The environment of a program run on the bench's pseudo-terminal: its size is the
    terminal's, not COLUMNS/LINES, and TERM says what it is."""
    out = {k: v for k, v in env.items() if k not in ("COLUMNS", "LINES")}
    out.setdefault("TERM", "xterm-256color")
    return out


GNU_TIME = "/usr/bin/time"
# Without GNU time: a small process that execs the command, so that the peak reported by
# wait4 is the command's own (ru_maxrss survives exec, so forking the bench itself, which
# holds whole ledgers in memory, would report the bench's size instead).
EXEC = "import os, sys; os.execvpe(sys.argv[1], sys.argv[1:], os.environ)"


def peak_memory(runs: Runs) -> int:
    """Peak resident memory (KiB) of one run of the command, measured by the kernel."""
    if runs.before:
        runs.before()
    if os.access(GNU_TIME, os.X_OK):
        with tempfile.NamedTemporaryFile("r", suffix=".rss") as report:
            subprocess.run(
                [GNU_TIME, "-f", "%M", "-o", report.name, *runs.argv],
                env=runs.env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=False,
            )
            return int(report.read().split()[-1])
    child = subprocess.Popen(
        [sys.executable, "-S", "-c", EXEC, *runs.argv],
        env=runs.env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _pid, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return int(usage.ru_maxrss)


def memory_method() -> str:
    if os.access(GNU_TIME, os.X_OK):
        return "GNU time -f %M (the kernel's ru_maxrss of the command)"
    return "wait4 ru_maxrss of the command, exec'd from `python -S` (about 8 MiB floor)"


def count_lines(runs: Runs) -> None:
    if runs.before:
        runs.before()
    done = subprocess.run(
        runs.argv, env=runs.env, stdin=subprocess.DEVNULL, capture_output=True, check=False
    )
    runs.output_lines = len(done.stdout.splitlines())


def alternate(group: list[Runs], repeat: int, warmup: int = 1, memory: int = 3) -> list[Runs]:
    """Run the commands in turn (A B A B ...), `warmup` discarded rounds first; then measure
    the peak memory of each `memory` times, apart from the timed runs (never on a terminal)."""
    for round_ in range(warmup + repeat):
        for runs in group:
            seconds, code = run_once(runs)
            if round_ < warmup:
                continue
            if code != 0:
                runs.failures += 1
            runs.seconds.append(seconds)
    for _ in range(memory):
        for runs in group:
            if not runs.terminal:
                runs.max_rss_kib.append(peak_memory(runs))
    return group


def fresh_copy(source: Path, target: Path, env: dict[str, str] | None = None) -> Callable[[], None]:
    """A `before` that puts a fresh copy of the ledger `source` at `target`; with `env`, pk
    then records one change on it (a person with no promises), so the copy is as pk left it
    after a change and the timed write does not pay the full check of a file another program
    wrote (store.connection: the check stamp)."""

    def reset() -> None:
        for extra in ("-wal", "-shm", "-journal", "-checked"):
            Path(f"{target}{extra}").unlink(missing_ok=True)
        shutil.copyfile(source, target)
        if env is not None:
            argv = [*PK, "person", "zz-bench", "--email", "zz-bench@example.invalid"]
            done = subprocess.run(argv, env=dict(env, PK_DB=str(target)), capture_output=True)
            if done.returncode != 0:
                sys.exit(f"bench: {' '.join(argv)} exited {done.returncode}: {done.stderr!r}")

    return reset


def no_ledger(target: Path) -> Callable[[], None]:
    """A `before` that removes the ledger at `target`, so the next run starts with none."""

    def reset() -> None:
        for extra in ("", "-wal", "-shm", "-journal"):
            Path(f"{target}{extra}").unlink(missing_ok=True)

    return reset


# -------------------------------------------------------------------------------------------------
# The ledgers
# -------------------------------------------------------------------------------------------------
def find_pk(option: str | None) -> list[str]:
    if option:
        return [option]
    beside = Path(sys.executable).parent / "pk"
    found = str(beside) if beside.exists() else shutil.which("pk")
    if not found:
        sys.exit("bench: no `pk` next to this Python or on the PATH; pip install -e . first")
    return [found]


def interpreter_of(script: str) -> str:
    """The Python that runs an entry-point script (its #! line), for the `python -c pass` row."""
    try:
        first = Path(script).read_bytes()[:200].split(b"\n", 1)[0]
    except OSError:
        return sys.executable
    if first.startswith(b"#!") and b"python" in first:
        return first[2:].decode().strip().split()[0]
    return sys.executable


@dataclass
class Ledger:
    """One generated ledger, loaded into pk (and taskwarrior), and the commands run on it."""

    size: int
    mix: Mix
    open_count: int
    dir: Path
    env: dict[str, str]
    source: Path
    import_seconds: float
    task: str | None = None
    task_env: dict[str, str] | None = None
    task_import_seconds: float | None = None
    runs: dict[str, Runs] = field(default_factory=dict)

    @property
    def snapshot(self) -> Path:
        return self.dir / "snapshot.db"

    @property
    def label(self) -> str:
        return f"{self.size:,} ({self.open_count:,} open)"

    def pk(self, label: str, argv: list[str], **kw: Any) -> Runs:
        env = dict(self.env, **kw.pop("env", {}))
        if kw.get("terminal"):
            env = terminal_env(env)
        runs = Runs(label, [*PK, *argv], env, **kw)
        self.runs[label] = runs
        return runs

    def tw(self, label: str, argv: list[str], **kw: Any) -> Runs | None:
        if not (self.task and self.task_env):
            return None
        env = terminal_env(self.task_env) if kw.get("terminal") else self.task_env
        runs = Runs(label, [self.task, *argv], env, **kw)
        self.runs[label] = runs
        return runs

    def on_copy(self, name: str, *, as_pk_left_it: bool = True) -> dict[str, Any]:
        """Options of a command that writes: it runs on a fresh copy of the ledger each time,
        one pk has written to since (unless `as_pk_left_it` is false: the first write after a
        copy, which pays the full check)."""
        copy = self.dir / f"{name}.db"
        stamp = self.env if as_pk_left_it else None
        return {"env": {"PK_DB": str(copy)}, "before": fresh_copy(self.snapshot, copy, stamp)}

    def as_json(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "mix": self.mix.name,
            "open": self.open_count,
            "open_share": self.mix.open_share,
            "spread_days": self.mix.spread_days,
            "label": self.label,
            "pk_import_s": round(self.import_seconds, 3),
            "task_import_s": None
            if self.task_import_seconds is None
            else round(self.task_import_seconds, 3),
            "commands": {name: run.as_json() for name, run in self.runs.items()},
        }


PK: list[str] = []  # the pk command, set by main


def prepare(
    size: int, mix: Mix, root: Path, base_env: dict[str, str], now: datetime, task: str | None
) -> Ledger:
    where = root / f"{mix.name}-{size}"
    where.mkdir()
    records = generate(size, now, mix.open_share, mix.spread_days)
    source = where / "promises.json"
    source.write_text(json.dumps(records), encoding="utf-8")
    env = dict(base_env, PK_DB=str(where / "ledger.db"))
    load = Runs("pk import", [*PK, "import", str(source)], env)
    seconds, code = run_once(load)
    if code != 0:
        sys.exit(f"bench: pk import of {size} promises failed")
    shutil.copyfile(where / "ledger.db", where / "snapshot.db")
    open_count = sum(1 for r in records if r["status"] == "open")
    ledger = Ledger(size, mix, open_count, where, env, source, seconds)
    if task:
        data = where / "task-data"
        data.mkdir()
        rc = where / "taskrc"
        rc.write_text(
            f"data.location={data}\nconfirmation=off\nverbose=nothing\nhooks=off\n"
            "news.version=99.0.0\n",
            encoding="utf-8",
        )
        task_env = dict(base_env, TASKRC=str(rc), TASKDATA=str(data))
        tasks = where / "tasks.json"
        tasks.write_text(json.dumps(taskwarrior_json(records)), encoding="utf-8")
        seconds, code = run_once(Runs("task import", [task, "import", str(tasks)], task_env))
        if code != 0:
            sys.exit(f"bench: task import of {size} tasks failed")
        ledger.task, ledger.task_env, ledger.task_import_seconds = task, task_env, seconds
    return ledger


def pk_promise_argv() -> list[str]:
    return ["promise", "Send the Q3 numbers", "--to", "alice", "--due", "fri"]


def task_add_argv() -> list[str]:
    return ["add", "Send the Q3 numbers", "+alice", "due:fri"]


# -------------------------------------------------------------------------------------------------
# The targets
# -------------------------------------------------------------------------------------------------
@dataclass
class Target:
    name: str
    issue: int
    ledger: str
    pk: float  # ms for a ratio, else in `unit`
    reference: float | None  # ms, for a ratio
    reference_name: str
    limit: float
    unit: str  # "x" for a ratio, "s" or "MiB" for an absolute limit
    note: str = ""

    def __post_init__(self) -> None:
        if self.pk != self.pk and not self.note:  # NaN: no run measured it
            self.note = "not measured (--memory-runs 0)" if self.unit == "MiB" else "not measured"

    @property
    def value(self) -> float | None:
        if self.unit == "x":
            return None if self.reference is None else self.pk / self.reference
        return self.pk

    @property
    def met(self) -> bool | None:
        value = self.value
        if value is None or value != value:  # not measured, or NaN
            return None
        return value < self.limit if self.unit == "MiB" else value <= self.limit

    def as_json(self) -> dict[str, Any]:
        value = self.value
        return {
            "target": self.name,
            "issue": self.issue,
            "size": self.ledger,
            "pk": None if self.pk != self.pk else round(self.pk, 3),
            "reference": None if self.reference is None else round(self.reference, 2),
            "reference_name": self.reference_name,
            "value": None if value is None or value != value else round(value, 3),
            "limit": self.limit,
            "op": "<" if self.unit == "MiB" else "≤",
            "unit": self.unit,
            "met": self.met,
            "verdict": {True: "PASS", False: "FAIL", None: "SKIP"}[self.met],
            "note": self.note,
        }


def ratio(
    name: str, issue: int, ledger: str, pk: Runs, ref: Runs | None, limit: float, missing: str
) -> Target:
    """pk's median over the reference's, or SKIP with `missing` as the reason."""
    return Target(
        name,
        issue,
        ledger,
        pk.median_ms,
        None if ref is None else ref.median_ms,
        "" if ref is None else ref.label,
        limit,
        "x",
        "" if ref is not None else missing,
    )


def targets_of(
    ledgers: dict[int, Ledger],
    busy: Ledger,
    sizes: tuple[int, int, int],
    scale: list[Runs],
    startup: list[Runs],
    no_task: str,
) -> list[Target]:
    """Every target of issue #13, then those of issue #6 it did not replace."""
    small, ref, heavy = sizes
    r, b, big, little = ledgers[ref].runs, busy.runs, ledgers[heavy].runs, ledgers[small].runs
    two = "needs two sizes"
    growth = f"{small:,} → {heavy:,}"
    whole = ledgers[heavy].label
    targets = [
        ratio("pk today vs task next", 13, ledgers[ref].label, r["pk today"],
              r.get("task next"), 0.6, no_task),
        ratio("pk vs task next", 13, ledgers[ref].label, r["pk"], r.get("task next"), 0.6,
              no_task),
        ratio("pk today on a terminal vs task next on a terminal", 13, ledgers[ref].label,
              r["pk today on a terminal"], r.get("task next on a terminal"), 1.0, no_task),
        ratio("pk remind vs task next", 13, ledgers[ref].label, r["pk remind"],
              r.get("task next"), 0.8, no_task),
        ratio("pk promise vs pk today", 13, ledgers[ref].label, r["pk promise"],
              r["pk today (beside pk promise)"], 1.2, ""),
        ratio("pk list vs task list", 13, busy.label, b["pk list"], b.get("task list"), 1.2,
              no_task),
        ratio("pk status vs task next", 13, busy.label, b["pk status"], b.get("task next"), 1.2,
              no_task),
    ]  # fmt: skip
    for command in ("pk stats", "pk trust", "pk report"):
        runs = big[command]
        targets += [
            Target(f"{command} time", 13, whole, runs.median_ms / 1000, None, "", 1.0, "s"),
            Target(f"{command} peak memory", 13, whole, runs.peak_mib, None, "", 80, "MiB"),
            ratio(f"{command} growth", 13, growth, runs,
                  little[command] if small != heavy else None, 2.0, two),
        ]  # fmt: skip
    export, load = big["pk export"], big["pk import"]
    targets += [
        Target("pk export time", 13, whole, export.median_ms / 1000, None, "", 4.0, "s"),
        Target("pk export peak memory", 13, whole, export.peak_mib, None, "", 100, "MiB"),
        Target("pk import time", 13, whole, load.median_ms / 1000, None, "", 10.0, "s"),
        Target("pk import peak memory", 13, whole, load.peak_mib, None, "", 100, "MiB"),
    ]
    if scale:
        targets.append(ratio("pk today growth", 13, growth, scale[1], scale[0], 1.3, two))
    else:
        targets.append(ratio("pk today growth", 13, growth, big["pk today"], None, 1.3, two))
    version, bare = startup
    targets += [
        ratio("pk promise vs task add", 6, ledgers[ref].label, r["pk promise"],
              r.get("task add"), 1.5, no_task),
        ratio("pk --version vs python -c pass", 6, "any", version, bare, 6.0, ""),
        Target("pk import time", 6, ledgers[ref].label, r["pk import"].median_ms / 1000, None,
               "", 3.0, "s"),
        Target("peak memory of pk today", 6, whole, big["pk today"].peak_mib, None, "",
               60.0, "MiB"),
    ]  # fmt: skip
    return targets


# -------------------------------------------------------------------------------------------------
# The benchmark
# -------------------------------------------------------------------------------------------------
def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sizes", help=f"ledger sizes, comma-separated ({SIZES})")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"a smoke run: sizes {QUICK_SIZES}, 3 repeats, 1 of each heavy command",
    )
    parser.add_argument("--repeat", type=int, help="timed runs of each command (15)")
    parser.add_argument(
        "--heavy-repeat", type=int, help="timed runs of stats, trust, report and export (5)"
    )
    parser.add_argument("--import-repeat", type=int, help="timed pk imports (3)")
    parser.add_argument(
        "--memory-runs", type=int, help="runs of each command to measure its peak memory (3)"
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--against-taskwarrior",
        action="store_true",
        help="require taskwarrior (default: use it when installed)",
    )
    group.add_argument("--no-taskwarrior", action="store_true", help="skip taskwarrior")
    parser.add_argument("--pk", help="the pk executable (default: the one beside this Python)")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write results")
    parser.add_argument(
        "--open-share",
        type=float,
        default=OPEN_SHARE,
        help="share of open promises in the busy ledger (0.3)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary ledgers")
    parser.add_argument("--config", type=Path, help="a pk config.toml to run with (default: none)")
    parser.add_argument(
        "--markdown",
        type=Path,
        metavar="RESULTS_JSON",
        help="print the tables of an earlier run's JSON as markdown (for the README), run nothing",
    )
    args = parser.parse_args(argv)
    quick = {"sizes": QUICK_SIZES, "repeat": 3, "heavy_repeat": 1, "import_repeat": 1}
    full = {"sizes": SIZES, "repeat": 15, "heavy_repeat": 5, "import_repeat": 3}
    for name, default in (quick if args.quick else full).items():
        if getattr(args, name) is None:
            setattr(args, name, default)
    if args.memory_runs is None:
        args.memory_runs = 1 if args.quick else 3
    if min(args.repeat, args.heavy_repeat, args.import_repeat) < 1 or args.memory_runs < 0:
        parser.error("repeat counts must be at least 1 (--memory-runs at least 0)")
    return args


def pick(sizes: list[int], wanted: int, fallback: int) -> int:
    return wanted if wanted in sizes else fallback


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.markdown:
        try:
            results = json.loads(args.markdown.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            sys.exit(f"bench: cannot read {args.markdown}: {error}")
        print(markdown(results))
        return 0

    sizes = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})
    if not sizes:
        sys.exit("bench: --sizes names no size")
    # The ledger of each kind of target: 10,000 for the comparisons with taskwarrior,
    # 100,000 for the whole-record commands, 1,000 to see how they grow; else the nearest.
    small, ref, heavy = pick(sizes, 1_000, sizes[0]), pick(sizes, 10_000, sizes[-1]), sizes[-1]
    PK[:] = find_pk(args.pk)
    python = interpreter_of(PK[0])
    task = None if args.no_taskwarrior else shutil.which("task")
    if args.against_taskwarrior and not task:
        sys.exit("bench: `task` not found; install it with: apt-get install taskwarrior")
    no_task = (
        "--no-taskwarrior"
        if args.no_taskwarrior
        else "taskwarrior not installed: apt-get install taskwarrior"
    )
    task_version = None
    if task:
        task_version = subprocess.run(
            [task, "--version"], capture_output=True, text=True, check=False
        ).stdout.strip()

    now = datetime.now(UTC).replace(second=0, microsecond=0)
    root = Path(tempfile.mkdtemp(prefix="pk-bench-"))
    base_env = {
        k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PK_CONFIG")
    }
    base_env.update(PK_NOW=iso(now), XDG_CONFIG_HOME=str(root / "config"))
    base_env.pop("NO_COLOR", None)
    if args.config:
        (root / "config" / "promisekeeper").mkdir(parents=True)
        shutil.copy(args.config, root / "config" / "promisekeeper" / "config.toml")
    print(f"pk: {PK[0]}  python: {python}  taskwarrior: {task_version or 'not installed'}")
    print(f"now pinned to {iso(now)}; ledgers in {root}")
    print(f"peak memory: {memory_method()}")

    results: dict[str, Any] = {
        "when": iso(datetime.now(UTC)),
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
        },
        "pk": PK[0],
        "pk_version": subprocess.run(
            [*PK, "--version"], capture_output=True, text=True, check=False
        ).stdout.strip(),
        "taskwarrior": task_version,
        "repeat": args.repeat,
        "heavy_repeat": args.heavy_repeat,
        "import_repeat": args.import_repeat,
        "memory_runs": args.memory_runs,
        "open_share": args.open_share,
        "memory": memory_method(),
        "config": None if args.config is None else args.config.read_text(encoding="utf-8"),
        "sizes": {},
    }
    mem, heavy_mem = args.memory_runs, min(args.memory_runs, 1)
    try:
        ledgers: dict[int, Ledger] = {}
        for size in sizes:
            print(f"building {size:,} promises (realistic: 2% open) ...", flush=True)
            ledgers[size] = prepare(size, REALISTIC, root, base_env, now, task)
        busy_mix = Mix("busy", args.open_share, 540)
        print(f"building {ref:,} promises (busy: {args.open_share:.0%} open) ...", flush=True)
        busy = prepare(ref, busy_mix, root, base_env, now, task)

        for size, led in ledgers.items():
            print(f"timing at {size:,} ...", flush=True)
            daily = [
                led.pk("pk today", ["today"], versus="task next"),
                led.pk("pk", [], versus="task next"),
                led.pk("pk remind", ["remind"], versus="task next", **led.on_copy("remind")),
                led.tw("task next", ["next"]),
            ]
            alternate([r for r in daily if r], args.repeat, memory=mem)
            write = [
                led.pk("pk promise", pk_promise_argv(), versus="pk today (beside pk promise)",
                       **led.on_copy("promise")),
                led.pk("pk today (beside pk promise)", ["today"]),
                led.tw("task add", task_add_argv()),
            ]  # fmt: skip
            alternate([r for r in write if r], args.repeat, memory=mem)
            if size == ref:
                cold = [
                    led.pk(f"{name} (first write after a copy)", argv,
                           **led.on_copy(f"{name[3:]}-cold", as_pk_left_it=False))
                    for name, argv in (("pk promise", pk_promise_argv()),
                                       ("pk remind", ["remind"]))
                ]  # fmt: skip
                alternate(cold, args.repeat, memory=0)
            record = [led.pk(name, [name[3:]]) for name in ("pk stats", "pk trust", "pk report")]
            alternate(record, args.heavy_repeat, memory=heavy_mem)
            if size == ref:
                terminal = [
                    led.pk("pk today on a terminal", ["today"], terminal=True,
                           versus="task next on a terminal"),
                    led.tw("task next on a terminal", ["next"], terminal=True),
                ]  # fmt: skip
                alternate([r for r in terminal if r], args.repeat, memory=0)
            if size in (ref, heavy):
                fresh = led.dir / "imported.db"
                load = led.pk(
                    "pk import",
                    ["import", str(led.source)],
                    env={"PK_DB": str(fresh)},
                    before=no_ledger(fresh),
                )
                alternate([load], args.import_repeat, warmup=0, memory=heavy_mem)
            if size == heavy:
                alternate([led.pk("pk export", ["export"])], args.heavy_repeat, memory=heavy_mem)
            for name in ("pk today", "pk", "pk remind", "task next"):
                if name in led.runs:
                    count_lines(led.runs[name])

        print(f"timing the busy ledger, {busy.label} ...", flush=True)
        group = [
            busy.pk("pk today", ["today"], versus="task next"),
            busy.pk("pk list", ["list"], versus="task list"),
            busy.tw("task list", ["list"]),
            busy.pk("pk status", ["status"], versus="task next"),
            busy.tw("task next", ["next"]),
        ]
        alternate([r for r in group if r], args.repeat, memory=mem)
        for runs in busy.runs.values():
            count_lines(runs)

        scale: list[Runs] = []
        if heavy != small:
            print(f"timing pk today at {small:,} against {heavy:,} ...", flush=True)
            scale = alternate(
                [
                    Runs(f"pk today @{small}", [*PK, "today"], ledgers[small].env),
                    Runs(f"pk today @{heavy}", [*PK, "today"], ledgers[heavy].env),
                ],
                args.repeat,
                memory=0,
            )
        print("timing pk --version against python -c pass ...", flush=True)
        startup = alternate(
            [
                Runs("pk --version", [*PK, "--version"], ledgers[ref].env),
                Runs("python -c pass", [python, "-c", "pass"], ledgers[ref].env),
            ],
            args.repeat,
            memory=0,
        )
        targets = targets_of(ledgers, busy, (small, ref, heavy), scale, startup, no_task)

        for size, led in ledgers.items():
            results["sizes"][str(size)] = led.as_json()
        results["ledgers"] = [led.as_json() for led in [*ledgers.values(), busy]]
        results["scale"] = [run.as_json() for run in scale]
        results["startup"] = [run.as_json() for run in startup]
        results["targets"] = [t.as_json() for t in targets]
    finally:
        if args.keep:
            print(f"ledgers kept in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)

    print()
    print(markdown(results))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nresults written to {args.json}")
    return 0


# -------------------------------------------------------------------------------------------------
# The tables, from the results (a run's, or --markdown's file)
# -------------------------------------------------------------------------------------------------
def markdown(results: dict[str, Any]) -> str:
    machine = results.get("machine", {})
    head = (
        f"{results.get('when', '?')}: {machine.get('platform', '?')}, {machine.get('cpus', '?')}"
        f" CPUs, Python {machine.get('python', '?')}, {results.get('pk_version', 'pk ?')},"
        f" taskwarrior {results.get('taskwarrior') or 'not installed'};"
        f" medians of {results.get('repeat')} runs"
        f" ({results.get('heavy_repeat', '?')} for stats, trust, report and export,"
        f" {results.get('import_repeat', '?')} for import)"
    )
    return "\n\n".join([head, targets_table(results["targets"]), commands_table(results)])


def targets_table(targets: list[dict[str, Any]]) -> str:
    lines = [
        "| target | issue | ledger | pk | reference | result | limit | verdict |",
        "| --- | :---: | ---: | ---: | ---: | ---: | ---: | :---: |",
    ]
    for t in targets:
        op, limit, value, measured = t.get("op", "≤"), t["limit"], t["value"], t["pk"] is not None
        if t["unit"] == "x":
            pk = f"{t['pk']:,.0f} ms" if measured else "—"
            ref = (
                "—"
                if t["reference"] is None
                else f"{t['reference']:,.0f} ms (`{t['reference_name']}`)"
            )
            result = "—" if value is None else f"{value:.2f}x"
            bound = f"{op} {limit:g}x"
        elif t["unit"] == "s":
            pk, ref = f"{t['pk']:.2f} s" if measured else "—", "—"
            result = "—" if value is None else f"{value:.2f} s"
            bound = f"{op} {limit:g} s"
        else:
            pk, ref = f"{t['pk']:.1f} {t['unit']}" if measured else "—", "—"
            result = "—" if value is None else f"{value:.1f} {t['unit']}"
            bound = f"{op} {limit:g} {t['unit']}"
        verdict = t.get("verdict") or {True: "PASS", False: "FAIL", None: "SKIP"}[t["met"]]
        if verdict == "FAIL":
            verdict = "**FAIL**"
        note = f" ({t['note']})" if t.get("note") else ""
        lines.append(
            f"| {t['target']}{note} | #{t.get('issue', 6)} | {t['size']} | {pk} | {ref} |"
            f" {result} | {bound} | {verdict} |"
        )
    return "\n".join(lines)


def commands_table(results: dict[str, Any]) -> str:
    lines = [
        "| ledger | command | median ms | pk / reference | peak MiB | output lines |",
        "| ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for ledger in results.get("ledgers", []):
        label = f"{ledger['label']}, {ledger['mix']}"
        commands = ledger["commands"]
        for name, run in commands.items():
            other = commands.get(run.get("versus") or "")
            ratio = (
                f"{run['median_ms'] / other['median_ms']:.2f}x `{other['label']}`" if other else ""
            )
            peak = "" if run.get("peak_rss_mib") is None else f"{run['peak_rss_mib']:.0f}"
            output = "" if run.get("output_lines") is None else run["output_lines"]
            lines.append(
                f"| {label} | `{name}` | {run['median_ms']:,.0f} | {ratio} | {peak} | {output} |"
            )
        lines.append(
            f"| {label} | `pk import` (load) | {ledger['pk_import_s'] * 1000:,.0f} | | | |"
        )
        if ledger.get("task_import_s") is not None:
            lines.append(
                f"| {label} | `task import` (load) | {ledger['task_import_s'] * 1000:,.0f} | | | |"
            )
    for run in [*results.get("scale", []), *results.get("startup", [])]:
        lines.append(f"| | `{run['label']}` | {run['median_ms']:,.0f} | | | |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
