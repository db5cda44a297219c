"""How fast `pk` is, as whole processes, next to taskwarrior on the same data.

    python bench/run.py                          # sizes 1000,10000,100000; taskwarrior if installed
    python bench/run.py --sizes 1000,10000 --repeat 21
    python bench/run.py --against-taskwarrior    # fail instead of skipping when `task` is missing

For each size it generates one realistic ledger (open/kept/broken/released, dates spread over
months, 50 people), loads it into pk with `pk import` and, when `task` is on the PATH, the same
promises into a throw-away taskwarrior data dir with `task import`. Then it runs each pair of
commands in alternation (A B A B ...) as whole processes, and prints a table of medians, the
pk/taskwarrior ratios against the targets of issue #6, and the peak memory of each command.
The results are also written as JSON (bench/results/latest.json unless --json says otherwise).

It installs nothing. Taskwarrior comes from the system packages (`apt-get install taskwarrior`).

How things are measured:
- Wall time: from starting the process to reaping it, `time.perf_counter`, median of --repeat
  runs after one discarded warm-up run of each command.
- Peak memory: each child's own `ru_maxrss` as returned by `os.wait4` for that one process
  (no `RUSAGE_CHILDREN` deltas); the largest over all runs of the command is reported.
- The children get the bench's environment minus PYTHONDONTWRITEBYTECODE (an installed pk runs
  from compiled bytecode), with PK_DB, XDG_CONFIG_HOME, TASKRC and TASKDATA in a temporary
  directory and PK_NOW pinned to the moment the bench started, which is also the "now" of the
  generated data, so pk and taskwarrior see the same overdue and upcoming promises.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
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
    size: int, now: datetime, open_share: float = OPEN_SHARE, seed: int = 6
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
        made = now - rng.uniform(3, 540) * day
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
            "median_ms": round(self.median_ms, 2),
            "min_ms": round(min(self.seconds) * 1000, 2) if self.seconds else None,
            "max_ms": round(max(self.seconds) * 1000, 2) if self.seconds else None,
            "runs_ms": [round(s * 1000, 2) for s in self.seconds],
            "peak_rss_mib": round(self.peak_mib, 1),
            "failures": self.failures,
            "output_lines": self.output_lines,
        }


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, int]:
    """(wall seconds, exit status) of one whole process, output discarded."""
    start = time.perf_counter()
    done = subprocess.run(
        argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        error = done.stderr[-500:]
        sys.stderr.write(f"bench: {' '.join(argv)} exited {done.returncode}: {error!r}\n")
    return seconds, done.returncode


GNU_TIME = "/usr/bin/time"
# Without GNU time: a small process that execs the command, so that the peak reported by
# wait4 is the command's own (ru_maxrss survives exec, so forking the bench itself, which
# holds whole ledgers in memory, would report the bench's size instead).
EXEC = "import os, sys; os.execvpe(sys.argv[1], sys.argv[1:], os.environ)"


def peak_memory(argv: list[str], env: dict[str, str]) -> int:
    """Peak resident memory (KiB) of one run of the command, measured by the kernel."""
    if os.access(GNU_TIME, os.X_OK):
        with tempfile.NamedTemporaryFile("r", suffix=".rss") as report:
            subprocess.run(
                [GNU_TIME, "-f", "%M", "-o", report.name, *argv],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=False,
            )
            return int(report.read().split()[-1])
    child = subprocess.Popen(
        [sys.executable, "-S", "-c", EXEC, *argv],
        env=env,
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


def count_lines(argv: list[str], env: dict[str, str]) -> int:
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    return len(done.stdout.splitlines())


def alternate(
    pairs: list[tuple[Runs, dict[str, str]]], repeat: int, warmup: int = 1, memory: int = 3
) -> list[Runs]:
    """Run the commands in turn (A B A B ...), `warmup` discarded rounds first; then measure
    the peak memory of each `memory` times, apart from the timed runs."""
    for round_ in range(warmup + repeat):
        for runs, env in pairs:
            seconds, code = run_once(runs.argv, env)
            if round_ < warmup:
                continue
            if code != 0:
                runs.failures += 1
            runs.seconds.append(seconds)
    for _ in range(memory):
        for runs, env in pairs:
            runs.max_rss_kib.append(peak_memory(runs.argv, env))
    return [runs for runs, _env in pairs]


# -------------------------------------------------------------------------------------------------
# The benchmark
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
class Size:
    size: int
    dir: Path
    env: dict[str, str]
    task_env: dict[str, str] | None
    import_seconds: float
    task_import_seconds: float | None = None


def prepare(
    size: int,
    root: Path,
    base_env: dict[str, str],
    pk: list[str],
    now: datetime,
    task: str | None,
    open_share: float,
) -> Size:
    where = root / f"n{size}"
    where.mkdir()
    records = generate(size, now, open_share)
    source = where / "promises.json"
    source.write_text(json.dumps(records), encoding="utf-8")
    env = dict(base_env, PK_DB=str(where / "ledger.db"))
    seconds, code = run_once([*pk, "import", str(source)], env)
    if code != 0:
        sys.exit(f"bench: pk import of {size} promises failed")
    prepared = Size(size, where, env, None, seconds)
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
        seconds, code = run_once([task, "import", str(tasks)], task_env)
        if code != 0:
            sys.exit(f"bench: task import of {size} tasks failed")
        prepared.task_env, prepared.task_import_seconds = task_env, seconds
    return prepared


def pk_promise_argv(pk: list[str]) -> list[str]:
    return [*pk, "promise", "Send the Q3 numbers", "--to", "alice", "--due", "fri"]


def task_add_argv(task: str) -> list[str]:
    return [task, "add", "Send the Q3 numbers", "+alice", "due:fri"]


@dataclass
class Target:
    name: str
    size: str
    pk: float
    reference: float | None
    reference_name: str
    limit: float
    unit: str  # "x" for a ratio, "ms", "s" or "MiB" for an absolute limit
    note: str = ""

    @property
    def value(self) -> float | None:
        if self.unit == "x":
            return None if self.reference is None else self.pk / self.reference
        return self.pk

    @property
    def met(self) -> bool | None:
        value = self.value
        return None if value is None else value <= self.limit

    def as_json(self) -> dict[str, Any]:
        return {
            "target": self.name,
            "size": self.size,
            "pk": round(self.pk, 2),
            "reference": None if self.reference is None else round(self.reference, 2),
            "reference_name": self.reference_name,
            "value": None if self.value is None else round(self.value, 3),
            "limit": self.limit,
            "unit": self.unit,
            "met": self.met,
            "note": self.note,
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="1000,10000,100000", help="ledger sizes, comma-separated"
    )
    parser.add_argument("--repeat", type=int, default=15, help="timed runs of each command")
    parser.add_argument("--import-repeat", type=int, default=3, help="timed pk imports")
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
        "--open-share", type=float, default=OPEN_SHARE, help="share of open promises (0.3)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary ledgers")
    parser.add_argument("--config", type=Path, help="a pk config.toml to run with (default: none)")
    args = parser.parse_args(argv)

    sizes = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})
    pk = find_pk(args.pk)
    python = interpreter_of(pk[0])
    task = None if args.no_taskwarrior else shutil.which("task")
    if args.against_taskwarrior and not task:
        sys.exit("bench: `task` not found; install it with: apt-get install taskwarrior")
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
    print(f"pk: {pk[0]}  python: {python}  taskwarrior: {task_version or 'not installed'}")
    print(f"now pinned to {iso(now)}; ledgers in {root}")
    print(f"peak memory: {memory_method()}")

    results: dict[str, Any] = {
        "when": iso(datetime.now(UTC)),
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
        },
        "pk": pk[0],
        "pk_version": subprocess.run(
            [*pk, "--version"], capture_output=True, text=True, check=False
        ).stdout.strip(),
        "taskwarrior": task_version,
        "repeat": args.repeat,
        "open_share": args.open_share,
        "memory": memory_method(),
        "config": None if args.config is None else args.config.read_text(encoding="utf-8"),
        "sizes": {},
    }
    try:
        prepared: dict[int, Size] = {}
        for size in sizes:
            print(f"building {size:,} promises ...", flush=True)
            prepared[size] = prepare(size, root, base_env, pk, now, task, args.open_share)
        ref = 10_000 if 10_000 in prepared else sizes[-1]
        runs_by_size: dict[int, dict[str, Runs]] = {}
        for size, data in prepared.items():
            print(f"timing at {size:,} ...", flush=True)
            runs = {
                "pk today": Runs("pk today", [*pk, "today"]),
                "pk status": Runs("pk status", [*pk, "status"]),
                "pk promise": Runs("pk promise", pk_promise_argv(pk)),
            }
            pairs = [(runs["pk today"], data.env), (runs["pk status"], data.env)]
            if data.task_env and task:
                runs["task next"] = Runs("task next", [task, "next"])
                runs["task add"] = Runs("task add", task_add_argv(task))
                pairs.insert(1, (runs["task next"], data.task_env))
            alternate(pairs, args.repeat)
            write_pairs = [(runs["pk promise"], data.env)]
            if data.task_env and task:
                write_pairs.append((runs["task add"], data.task_env))
            alternate(write_pairs, args.repeat)
            for name in ("pk today", "pk status"):
                runs[name].output_lines = count_lines(runs[name].argv, data.env)
            if "task next" in runs and data.task_env:
                runs["task next"].output_lines = count_lines(runs["task next"].argv, data.task_env)
            runs_by_size[size] = runs

        small, large = sizes[0], sizes[-1]
        scale: list[Runs] = []
        if large != small:
            print(f"timing pk today at {small:,} against {large:,} ...", flush=True)
            scale = alternate(
                [
                    (Runs(f"pk today @{small}", [*pk, "today"]), prepared[small].env),
                    (Runs(f"pk today @{large}", [*pk, "today"]), prepared[large].env),
                ],
                args.repeat,
            )
        print("timing pk --version against python -c pass ...", flush=True)
        version, bare = alternate(
            [
                (Runs("pk --version", [*pk, "--version"]), prepared[ref].env),
                (Runs("python -c pass", [python, "-c", "pass"]), prepared[ref].env),
            ],
            args.repeat,
        )
        print(f"timing pk import of {ref:,} ...", flush=True)
        imports = [prepared[ref].import_seconds]
        for attempt in range(max(0, args.import_repeat - 1)):
            env = dict(prepared[ref].env, PK_DB=str(prepared[ref].dir / f"import-{attempt}.db"))
            source = prepared[ref].dir / "promises.json"
            seconds, code = run_once([*pk, "import", str(source)], env)
            if code == 0:
                imports.append(seconds)
        import_median = statistics.median(imports)

        r = runs_by_size[ref]
        tw = "task next" in r
        targets = [
            Target(
                "pk today vs task next",
                f"{ref:,}",
                r["pk today"].median_ms,
                r["task next"].median_ms if tw else None,
                "task next",
                0.6,
                "x",
            ),
            Target(
                "pk status vs task next",
                f"{ref:,}",
                r["pk status"].median_ms,
                r["task next"].median_ms if tw else None,
                "task next",
                1.0,
                "x",
            ),
            Target(
                "pk promise vs task add",
                f"{ref:,}",
                r["pk promise"].median_ms,
                r["task add"].median_ms if tw else None,
                "task add",
                1.5,
                "x",
            ),
        ]
        if scale:
            targets.append(
                Target(
                    f"pk today at {large:,} vs at {small:,}",
                    f"{large:,} / {small:,}",
                    scale[1].median_ms,
                    scale[0].median_ms,
                    f"pk today @{small:,}",
                    1.3,
                    "x",
                )
            )
        targets += [
            Target(
                "pk --version vs python -c pass",
                "any",
                version.median_ms,
                bare.median_ms,
                "python -c pass",
                6.0,
                "x",
            ),
            Target(f"pk import of {ref:,} promises", f"{ref:,}", import_median, None, "", 3.0, "s"),
            Target(
                "peak memory of pk today",
                f"{large:,}",
                runs_by_size[large]["pk today"].peak_mib,
                None,
                "",
                60.0,
                "MiB",
            ),
        ]
        if not tw:
            for target in targets[:3]:
                target.note = "taskwarrior not installed: apt-get install taskwarrior"

        for size, runs in runs_by_size.items():
            results["sizes"][str(size)] = {
                "pk_import_s": round(prepared[size].import_seconds, 3),
                "task_import_s": None
                if prepared[size].task_import_seconds is None
                else round(prepared[size].task_import_seconds, 3),
                "commands": {name: run.as_json() for name, run in runs.items()},
            }
        results["scale"] = [run.as_json() for run in scale]
        results["startup"] = [version.as_json(), bare.as_json()]
        results["import"] = {"size": ref, "runs_s": [round(s, 3) for s in imports]}
        results["targets"] = [t.as_json() for t in targets]
    finally:
        if args.keep:
            print(f"ledgers kept in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)

    print()
    print(commands_table(runs_by_size, prepared))
    print()
    print(targets_table(targets))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nresults written to {args.json}")
    return 0


def commands_table(runs_by_size: dict[int, dict[str, Runs]], prepared: dict[int, Size]) -> str:
    lines = [
        "| ledger | command | median ms | pk / taskwarrior | peak MiB | output lines |",
        "| ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    pairs = {"pk today": "task next", "pk status": "task next", "pk promise": "task add"}
    for size, runs in runs_by_size.items():
        for name, run in runs.items():
            other = runs.get(pairs.get(name, ""))
            ratio = f"{run.median_ms / other.median_ms:.2f}x" if other else ""
            lines.append(
                f"| {size:,} | `{name}` | {run.median_ms:.0f} | {ratio} | {run.peak_mib:.0f} |"
                f" {'' if run.output_lines is None else run.output_lines} |"
            )
        data = prepared[size]
        pk_ms = data.import_seconds * 1000
        if data.task_import_seconds is None:
            lines.append(f"| {size:,} | `pk import` (once) | {pk_ms:.0f} | | | |")
        else:
            task_ms = data.task_import_seconds * 1000
            lines.append(
                f"| {size:,} | `pk import` (once) | {pk_ms:.0f} | {pk_ms / task_ms:.2f}x | | |"
            )
            lines.append(f"| {size:,} | `task import` (once) | {task_ms:.0f} | | | |")
    return "\n".join(lines)


def targets_table(targets: list[Target]) -> str:
    lines = [
        "| target | ledger | pk | reference | result | limit | met |",
        "| --- | ---: | ---: | ---: | ---: | ---: | :---: |",
    ]
    for t in targets:
        if t.unit == "x":
            pk = f"{t.pk:.0f} ms"
            ref = "—" if t.reference is None else f"{t.reference:.0f} ms ({t.reference_name})"
            value = "—" if t.value is None else f"{t.value:.2f}x"
            limit = f"≤ {t.limit:g}x"
        elif t.unit == "s":
            pk, ref, value, limit = f"{t.pk:.2f} s", "—", f"{t.pk:.2f} s", f"< {t.limit:g} s"
        else:
            pk, ref, value = f"{t.pk:.1f} {t.unit}", "—", f"{t.pk:.1f} {t.unit}"
            limit = f"< {t.limit:g} {t.unit}"
        met = {True: "yes", False: "**no**", None: "skipped"}[t.met]
        note = f" ({t.note})" if t.note else ""
        lines.append(f"| {t.name}{note} | {t.size} | {pk} | {ref} | {value} | {limit} | {met} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
