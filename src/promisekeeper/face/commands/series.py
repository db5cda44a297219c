"""Commands about recurring promises: `pk stop`, and the series lines of `pk list --series`
and `pk show`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from promisekeeper.face.commands.common import (
    IdArgument,
    JsonOption,
    print_json,
    promise_object,
    say,
    state,
)

if TYPE_CHECKING:
    from promisekeeper.services.ledger import Ledger


def stop(
    ctx: typer.Context,
    promise_id: IdArgument,
    drop_open: Annotated[
        bool,
        typer.Option(
            "--drop-open",
            help="Also release its open occurrences (they agreed the series ends); "
            "without it they stay promised.",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """End a recurring promise: no occurrence is made after now.

    ID is any occurrence of the series (pk list --series shows them). The occurrences
    already made stay promised: you told them those dates. With --drop-open the open ones
    are released instead, with "the series was stopped" as the reason: use it when they
    agreed; if you simply cannot do them, pk break each one. pk undo takes a stop back.

    \b
    Examples:
      pk stop 12
      pk stop 12 --drop-open
    """
    ledger = state(ctx).ledger()
    series, released = ledger.stop(promise_id, drop_open=drop_open)
    if as_json:
        from promisekeeper.services.series import series_json

        result = series_json(series)
        result["released"] = [promise_object(ledger, p) for p in released]
        print_json(result)
        return
    from promisekeeper.face.render import promise_summary
    from promisekeeper.telling.text import one_line

    say(
        f"Stopped the series {one_line(series.what, 60)} ({one_line(series.rule)}): "
        "no more occurrences."
    )
    for promise in released:
        say(f"  Released {promise_summary(promise)}")
    if not drop_open:
        still = [p for p in ledger.series_view_of(series).occurrences if p.status == "open"]
        for promise in still:
            say(f"  Still promised: {promise_summary(promise)}")


def say_next(ledger: Ledger, closed: Any) -> None:
    """After closing an occurrence: the series' next one, when it is open now."""
    from promisekeeper.face.acts import say_next as say_it

    say_it(ledger, closed)


def series_words(view: Any, ledger: Ledger) -> str:
    """A series in one line of words: its rule, its end, and its next dates."""
    from promisekeeper.rules.dates import format_day_time

    series = view.series
    parts = [series.rule]
    if series.stopped_at is not None:
        parts.append(f"stopped {format_day_time(series.stopped_at, ledger.now)}")
    elif series.count is not None:
        parts.append(f"{series.count} in all")
    elif series.until is not None:
        parts.append(f"until {format_day_time(series.until, ledger.now)}")
    if view.next_dates:
        parts.append("next " + ", ".join(format_day_time(d, ledger.now) for d in view.next_dates))
    elif view.after_done and series.stopped_at is None:
        parts.append("next counted from when the open one is done")
    return " · ".join(parts)


def list_series(ledger: Ledger, as_json: bool) -> None:
    """`pk list --series`: every series, its rule, its next dates and its latest occurrence."""
    from promisekeeper.services.series import series_json

    views = ledger.all_series()
    if as_json:
        print_json([series_json(v) for v in views])
        return
    if not views:
        say("No series. Make one with pk promise WHAT --to PERSON --every RULE.")
        return
    from promisekeeper.face.render import terminal_width
    from promisekeeper.telling.text import one_line
    from promisekeeper.telling.words import people

    width = terminal_width() or 80
    for view in views:
        latest = view.latest
        series = view.series
        head = f"#{latest.id}  " if latest is not None else ""
        say(f"{head}{one_line(series.what, 60)} → {people(series)}")
        made = len(view.occurrences)
        kept = sum(1 for p in view.occurrences if p.status == "kept")
        parts = [*series_words(view, ledger).split(" · "), f"{made} made, {kept} kept"]
        if latest is not None and not series.stopped_at:
            parts.append(f"pk stop {latest.id}")
        for line in _packed([one_line(part) for part in parts], width - 4):
            say(f"    {line}")
    active = sum(1 for v in views if v.series.stopped_at is None)
    say(f"{len(views)} series · {active} running")


def _packed(parts: list[str], width: int) -> list[str]:
    """Parts joined by " · " into lines of at most `width` (a longer part on its own line)."""
    lines: list[str] = []
    for part in parts:
        if lines and len(lines[-1]) + 3 + len(part) <= width:
            lines[-1] += " · " + part
        else:
            lines.append(part)
    return lines
