"""A separate process running many pk commands, for the concurrency and crash tests.

    python pk_worker.py writer NAME COUNT   # COUNT writes: promise, promise, move, keep, note...
    python pk_worker.py burst NAME          # pk promise until killed
    python pk_worker.py reader SECONDS      # pk list --json and pk today --json, over and over

Each command runs in this process as `pk` would (a fresh CLI invocation, its own connection to
the ledger named by PK_DB). One JSON line per command on stdout, flushed once the command has
returned, so a line means the change was committed.
"""

from __future__ import annotations

import json
import sys
import time

from typer.testing import CliRunner

from promisekeeper.face.cli import app

RUNNER = CliRunner()


def pk(*args: str) -> tuple[int, str, str]:
    result = RUNNER.invoke(app, list(args), prog_name="pk")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return 99, "", repr(result.exception)
    return result.exit_code, result.stdout, result.stderr


def report(**fields: object) -> None:
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


def writer(name: str, count: int) -> None:
    """Blocks of five writes: promise A, promise B, move B, keep A, note on B."""
    a = b = 0
    for i in range(count):
        step = i % 5
        block = i // 5
        if step in (0, 1):
            what = f"{name}-{block}-{'ab'[step]}"
            code, out, err = pk("promise", what, "--to", name, "--due", "fri", "--json")
            ident = json.loads(out)["id"] if code == 0 else None
            if step == 0:
                a = ident or 0
            else:
                b = ident or 0
            report(op="promise", what=what, id=ident, code=code, err=err)
        elif step == 2:
            code, _out, err = pk("move", str(b), f"in {block + 10} days", "--reason", name)
            report(op="move", id=b, code=code, err=err)
        elif step == 3:
            code, _out, err = pk("keep", str(a))
            report(op="keep", id=a, code=code, err=err)
        else:
            code, _out, err = pk("note", str(b), f"note from {name}")
            report(op="note", id=b, code=code, err=err)


def burst(name: str) -> None:
    n = 0
    while True:
        what = f"{name}-{n}"
        code, out, err = pk("promise", what, "--to", name, "--due", "fri", "--json")
        report(op="promise", what=what, id=json.loads(out)["id"] if code == 0 else None, code=code)
        n += 1


def reader(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        code, out, err = pk("list", "--status", "all", "--json")
        seen = len(json.loads(out)) if code == 0 else None
        report(op="list", code=code, seen=seen, err=err)
        code, out, err = pk("today", "--json")
        report(op="today", code=code, ok=code == 0 and isinstance(json.loads(out), dict), err=err)


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "writer":
        writer(sys.argv[2], int(sys.argv[3]))
    elif mode == "burst":
        burst(sys.argv[2])
    elif mode == "reader":
        reader(float(sys.argv[2]))
    else:
        raise SystemExit(f"unknown mode {mode}")
