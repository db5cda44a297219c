"""Time `pk sync` on a large ledger against a real bare repository (issue #15, part 5).

    python bench/sync.py [--promises 55000] [--repeat 7]

Builds a ledger with bench/run.py's generator (55,000 promises make about 93,000 events), a
bare repository, and a second, empty ledger; then times, each in its own `pk` process:

- the first `pk sync` of the large ledger (every record written, committed and pushed);
- the first `pk sync` of the empty ledger (every record fetched, read and merged);
- `pk sync` with nothing new (the median of --repeat runs), beside `git fetch` alone in the
  same clone: the difference is what pk itself costs (target: under 100 ms).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import run as bench  # noqa: E402  (bench/run.py: the generator)

NOW = "2026-11-23T10:00:00+01:00"


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"bench: {' '.join(argv)} failed: {done.stderr.strip()}")
    return seconds, done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--promises", type=int, default=55_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    pk = [sys.executable, "-m", "promisekeeper"]
    with tempfile.TemporaryDirectory(prefix="pk-sync-bench-") as scratch:
        root = Path(scratch)
        env = dict(os.environ, PK_CONFIG=str(root / "config.toml"), PK_NOW=NOW, TZ="UTC")
        env["XDG_DATA_HOME"] = str(root / "data")
        records = bench.generate(args.promises, datetime.fromisoformat(NOW).astimezone(UTC))
        (root / "promises.json").write_text(json.dumps(records), encoding="utf-8")
        big = dict(env, PK_DB=str(root / "big.db"))
        empty = dict(env, PK_DB=str(root / "empty.db"))
        timed([*pk, "import", str(root / "promises.json")], big)
        subprocess.run(["git", "init", "-q", "--bare", str(root / "remote.git")], check=True)
        for ledger in (big, empty):
            timed([*pk, "sync", "init", str(root / "remote.git")], ledger)
        first, out = timed([*pk, "sync", "--json"], big)
        sent = json.loads(out)["sent"]
        receive, out = timed([*pk, "sync", "--json"], empty)
        received = json.loads(out)["received"]
        status, _ = timed([*pk, "sync", "status", "--json"], big)
        repo = json.loads(_)["repository"]
        idle, fetch = [], []
        for _round in range(args.repeat):
            idle.append(timed([*pk, "sync"], big)[0])
            fetch.append(timed(["git", "-C", repo, "fetch", "-q", "origin"], env)[0])
        idle_ms, fetch_ms = statistics.median(idle) * 1000, statistics.median(fetch) * 1000
        print(f"first sync, sending {sent:,} records: {first:.2f} s")
        print(f"first sync of an empty ledger, receiving {received:,} records: {receive:.2f} s")
        print(f"sync with nothing new: {idle_ms:.0f} ms (median of {args.repeat}); git fetch "
              f"alone {fetch_ms:.0f} ms; pk's own share {idle_ms - fetch_ms:.0f} ms")  # fmt: skip
        print(f"sync status: {status * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
