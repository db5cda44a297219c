"""`pk report`: a status report for the people you promised things to."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from promisekeeper.face.commands import common
from promisekeeper.face.commands.common import say, state


def report(
    ctx: typer.Context,
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            "-t",
            metavar="PERSON",
            autocompletion=common.complete_people,
            help="Only promises to this person (default: everyone).",
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
    every: Annotated[
        bool,
        typer.Option(
            "--all",
            help="List every promise of each section (default: the first 10, the rest counted).",
        ),
    ] = False,
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
    due in the period, or is still open. Without --to, everyone, grouped by person. Each
    section lists its first 10 (the latest delivered and closed, the most urgent in progress)
    and counts the rest; --all lists them all.

    \b
    Examples:
      pk report --to alice
      pk report --to alice --since 2w --format markdown
      pk report --format html --output status.html
    """
    from promisekeeper.services.reports import LIMIT, build
    from promisekeeper.telling.report import FORMATS, render

    if output_format not in FORMATS:
        ctx.fail(f"--format must be one of {', '.join(FORMATS)}, not {output_format!r}")
    ledger = state(ctx).ledger()
    start = common.since(ledger, since) if since is not None else None
    report = build(ledger, to=to, since=start, limit=None if every else LIMIT)
    text = render(report, output_format)
    if output is None:
        typer.echo(text, nl=False)
        return
    from promisekeeper.services.output import write_output

    write_output(output, text, ledger=ledger.path)
    from promisekeeper.telling.text import one_line

    say(f"Report written to {one_line(str(output))}")
