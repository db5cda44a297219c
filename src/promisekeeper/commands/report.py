"""`pk report`: a status report for the people you promised things to."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from promisekeeper.commands.common import fail, say, state


def report(
    ctx: typer.Context,
    to: Annotated[
        str | None,
        typer.Option(
            "--to", "-t", metavar="PERSON", help="Only promises to this person (default: everyone)."
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            metavar="WHEN",
            help="Start of the period: 2w, 30d, 2026-11-01, yesterday (default: 30 days ago).",
        ),
    ] = None,
    output_format: Annotated[
        str, typer.Option("--format", "-f", metavar="FORMAT", help="text, markdown or html.")
    ] = "text",
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", metavar="FILE", help="Write to this file instead of stdout."
        ),
    ] = None,
) -> None:
    """A status report of what you promised: delivered, in progress, moved and why.

    Ready to paste into an e-mail (text, markdown) or to send as one self-contained HTML page
    (no script, nothing loaded from elsewhere). A promise is in it when it was made, closed or
    due in the period, or is still open. Without --to, everyone, grouped by person.

    \b
    Examples:
      pk report --to alice
      pk report --to alice --since 2w --format markdown
      pk report --format html --output status.html
    """
    from promisekeeper import report as reporting

    if output_format not in reporting.FORMATS:
        ctx.fail(f"--format must be one of {', '.join(reporting.FORMATS)}, not {output_format!r}")
    ledger = state(ctx).ledger()
    start = None
    if since is not None:
        start = reporting.parse_since(since, ledger.now, ledger.config.day_ends)
    text = reporting.render(reporting.build(ledger, to=to, since=start), output_format)
    if output is None:
        typer.echo(text, nl=False)
        return
    write_atomically(output, text)
    say(f"Report written to {output}")


def write_atomically(path: Path, text: str) -> None:
    """Write a temporary file next to `path`, then rename it over: never a half-written file."""
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644 & ~_umask())
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
        fail(f"cannot write {path}: {exc.strerror or exc}")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
