"""Turning ledger views into terminal text.

`today` and the one-line confirmations are plain text with optional ANSI colour (face.paint),
so the daily check never imports rich. Tables (`status`, `list`, `show`) use rich, imported
inside the functions that draw them. User text always goes through telling.text.safe and into
rich as Text objects, never as markup.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO

from promisekeeper.face.paint import Painter
from promisekeeper.rules.dates import format_day_time, format_relative, format_span, format_when
from promisekeeper.rules.timing import past_due
from promisekeeper.telling.text import one_line, safe
from promisekeeper.telling.words import STANDING_WORDS, people, timing

if TYPE_CHECKING:
    from rich.console import Console

    from promisekeeper.model.events import Event
    from promisekeeper.model.promise import Promise
    from promisekeeper.services.ledger import Ledger, Status, Today, Undone

STANDING_STYLE = {
    "overdue": "bold red",
    "at_risk": "bold yellow",
    "on_track": "green",
    "kept": "green",
    "kept_late": "yellow",
    "broken": "red",
    "released": "dim",
}


# -------------------------------------------------------------------------------------------------
# Plain text: today and confirmations
# -------------------------------------------------------------------------------------------------
def today_text(view: Today, ledger: Ledger, paint: Painter) -> list[str]:
    """The daily check: what needs attention, then what was kept, then one summary line."""
    now = ledger.now
    lines: list[str] = []
    groups = (
        ("Overdue", view.overdue, "bold red"),
        ("Due today", view.due_today, "bold yellow"),
        ("At risk", view.at_risk, "bold yellow"),
    )
    for title, promises, style in groups:
        if promises:
            lines.append(paint(f"{title} ({len(promises)})", style))
            lines.extend(f"  {_line(p, now, paint)}" for p in promises)
    if view.kept_today:
        lines.append(paint(f"Kept today ({len(view.kept_today)})", "bold green"))
        for promise in view.kept_today:
            lines.append(
                f"  {paint(f'#{promise.id}', 'cyan')}  {one_line(promise.what, 60)}"
                f" → {people(promise)} · {timing(promise, now)}"
            )
    worries = len(view.overdue) + len(view.due_today) + len(view.at_risk)
    open_count, next_up = ledger.open_summary()
    if worries:
        counts = [
            f"{len(view.overdue)} overdue" if view.overdue else "",
            f"{len(view.due_today)} due today" if view.due_today else "",
            f"{len(view.at_risk)} at risk" if view.at_risk else "",
        ]
        lines.append(f"{', '.join(c for c in counts if c)} · {open_count} open")
        if view.overdue or view.at_risk:
            lines.append(
                paint(
                    "Can't make it? Tell them now, and `pk move ID WHEN` to record the new date.",
                    "dim",
                )
            )
    elif open_count == 0 and not view.kept_today:
        lines.append(
            'No open promises. Make one: pk promise "Send the numbers" --to alice --due fri'
        )
    else:
        summary = f"Nothing overdue, due today or at risk. {open_count} open"
        if next_up is not None:
            summary += (
                f"; next: #{next_up.id} {one_line(next_up.what, 40)} → {people(next_up)},"
                f" {format_when(next_up.due, now)}"
            )
        lines.append(summary + ".")
    return lines


def _line(promise: Promise, now: datetime, paint: Painter) -> str:
    if past_due(promise, now):
        due = f"was due {format_day_time(promise.due, now)}, {timing(promise, now)}"
    else:
        due = f"due {format_when(promise.due, now)}"
    ident = paint(f"#{promise.id}", "cyan")
    told = told_marker(promise, now)
    return f"{ident}  {one_line(promise.what, 60)} → {people(promise)} · {due}{told}"


def told_marker(promise: Promise, now: datetime) -> str:
    """' · ✉ told 2 hours ago' when the people were told about an open promise."""
    if promise.status != "open" or promise.told_at is None:
        return ""
    return f" · ✉ told {format_relative(promise.told_at, now)}"


def promise_summary(promise: Promise) -> str:
    """One line naming a promise: '#12 Send the numbers → Alice'."""
    return f"#{promise.id} {one_line(promise.what, 60)} → {people(promise)}"


# -------------------------------------------------------------------------------------------------
# Rich tables: status, list, show
# -------------------------------------------------------------------------------------------------
def console(stream: TextIO | None = None) -> Console:
    """A rich console for tables; off a terminal it is wide, so pipes and cron mail don't wrap."""
    import os

    from rich.console import Console

    target = stream or sys.stdout
    width = None
    if not (hasattr(target, "isatty") and target.isatty()) and not os.environ.get("COLUMNS"):
        width = 160
    return Console(
        file=target, width=width, highlight=False, emoji=False, markup=False, soft_wrap=False
    )


def _text(value: str, style: str = "") -> Any:
    from rich.text import Text

    return Text(safe(value), style=style)


def _table(title: str, style: str, extra: str) -> Any:
    from rich import box
    from rich.table import Table

    table = Table(
        title=title, title_style=style, title_justify="left", box=box.SIMPLE_HEAD, expand=False
    )
    table.add_column("ID", justify="right", style="cyan", no_wrap=True)
    table.add_column("To")
    table.add_column("What", overflow="fold")
    table.add_column("Due", no_wrap=True)
    table.add_column(extra, no_wrap=True)
    return table


def _row(table: Any, promise: Promise, now: datetime, extra: str) -> None:
    table.add_row(
        str(promise.id),
        _text(", ".join(promise.to)),
        _text(promise.what.replace("\n", " ⏎ ")),
        format_day_time(promise.due, now),
        _text(extra),
    )


STATUS_ROWS = 20  # rows of `pk status`'s on-track and recently-kept tables; the rest is counted


def status_tables(view: Status, ledger: Ledger, out: Console) -> None:
    now = ledger.now

    def open_timing(p: Promise) -> str:
        return timing(p, now) + told_marker(p, now)

    groups: tuple[tuple[str, list[Promise], int, str, Callable[[Promise], str], str], ...] = (
        ("Overdue", view.overdue, len(view.overdue), "bold red", open_timing, ""),
        ("At risk", view.at_risk, len(view.at_risk), "bold yellow", open_timing, ""),
        (
            "On track",
            view.on_track,
            max(view.on_track_total, len(view.on_track)),
            "bold green",
            open_timing,
            "on track (pk list)",
        ),
        (
            "Recently kept",
            view.recently_kept,
            max(view.recently_kept_total, len(view.recently_kept)),
            "bold",
            lambda p: timing(p, now),
            "kept in the last 14 days (pk list --status kept)",
        ),
    )
    for title, promises, total, style, extra, rest in groups:
        if not promises:
            continue
        table = _table(f"{title} ({total})", style, "When" if title != "Recently kept" else "Kept")
        # Overdue and at-risk promises are all shown; the calm groups stop at a screenful.
        shown = promises[:STATUS_ROWS] if rest else promises
        for promise in shown:
            _row(table, promise, now, extra(promise))
        out.print(table)
        if len(shown) < total:
            out.print(_text(f"  … and {total - len(shown)} more {rest}", "dim"))
    open_count = (
        len(view.overdue) + len(view.at_risk) + max(view.on_track_total, len(view.on_track))
    )
    out.print(
        _text(
            f"{open_count} open · {len(view.at_risk)} at risk · {len(view.overdue)} overdue · "
            f"{view.kept_on_time_this_month} kept on time this month"
        )
    )


def list_table(promises: list[tuple[Promise, str]], ledger: Ledger, out: Console) -> None:
    """Promises with their standings (computed once, by the command) as a table."""
    from rich import box
    from rich.table import Table

    if not promises:
        out.print(_text("No promises match."))
        return
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column("ID", justify="right", style="cyan", no_wrap=True)
    table.add_column("To")
    table.add_column("What", overflow="fold")
    table.add_column("Due", no_wrap=True)
    table.add_column("Standing", no_wrap=True)
    table.add_column("Tags")
    for promise, standing in promises:
        table.add_row(
            str(promise.id),
            _text(", ".join(promise.to)),
            _text(promise.what.replace("\n", " ⏎ ")),
            format_when(promise.due, ledger.now),
            _text(
                STANDING_WORDS[standing] + told_marker(promise, ledger.now),
                STANDING_STYLE[standing],
            ),
            _text(" ".join(promise.tags)),
        )
    out.print(table)


def show_promise(
    promise: Promise, standing: str, events: list[Event], ledger: Ledger, out: Console
) -> None:
    from rich import box
    from rich.table import Table

    now = ledger.now
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold", no_wrap=True)
    head.add_column(overflow="fold")
    head.add_row("Promise", _text(f"#{promise.id}  {promise.what}"))
    head.add_row("To", _text(", ".join(promise.to)))
    head.add_row("Due", _text(format_when(promise.due, now)))
    if promise.moves:
        head.add_row(
            "Moved",
            _text(
                f"{promise.moves} time{'s' if promise.moves != 1 else ''}, first promised for "
                f"{format_day_time(promise.original_due, now)}"
                + (f"; {promise.late_moves} after the deadline" if promise.late_moves else "")
            ),
        )
    head.add_row(
        "Standing",
        _text(f"{STANDING_WORDS[standing]} ({timing(promise, now)})", STANDING_STYLE[standing]),
    )
    if standing in ("at_risk", "overdue"):
        head.add_row("Because", _text(why_at_risk(promise, ledger)))
    head.add_row("Made", _text(format_when(promise.made, now)))
    if promise.effort is not None:
        head.add_row("Effort", _text(f"{promise.effort.total_seconds() / 3600:g} hours of work"))
    if promise.tags:
        head.add_row("Tags", _text(" ".join(promise.tags)))
    if promise.note:
        head.add_row("Note", _text(promise.note))
    head.add_row("UUID", _text(promise.uuid, "dim"))
    out.print(head)
    history = Table(title="History", title_justify="left", box=box.SIMPLE_HEAD)
    history.add_column("When", no_wrap=True)
    history.add_column("What happened", overflow="fold")
    for event in events:
        history.add_row(format_day_time(event.at, now), _text(describe(event, now)))
    out.print(history)


def describe(event: Event, now: datetime) -> str:
    """An event in words, for `pk show`."""
    from promisekeeper.model.events import (
        Closed,
        Deleted,
        Edited,
        Made,
        Moved,
        Noted,
        Notified,
        Reminded,
        Reopened,
        Snoozed,
    )

    detail = event.detail

    def day(moment: datetime) -> str:
        return format_day_time(moment, now)

    def side(before: bool) -> str:
        return "before the deadline" if before else "after the deadline"

    if isinstance(detail, Made):
        return f"promised to {', '.join(detail.to)}, due {day(detail.due)}"
    if isinstance(detail, Moved):
        reason = f": {detail.reason}" if detail.reason else ""
        moved = f"moved from {day(detail.from_due)} to {day(detail.to_due)}"
        return f"{moved}, {side(detail.before_deadline)}{reason}"
    if isinstance(detail, Closed):
        if detail.status == "kept":
            note = f": {detail.note}" if detail.note else ""
            return f"kept (delivered {day(detail.closed_at or event.at)}){note}"
        reason = f": {detail.reason}" if detail.reason else ""
        return f"{'broken' if detail.status == 'broken' else 'released by them'}{reason}"
    if isinstance(detail, Reopened):
        return f"reopened (was {detail.previous or '?'})"
    if isinstance(detail, Noted):
        return f"note: {detail.text}"
    if isinstance(detail, Edited):
        parts = []
        for name, (old, new) in detail.changes.items():
            show_old = ", ".join(map(str, old)) if isinstance(old, list) else old
            show_new = ", ".join(map(str, new)) if isinstance(new, list) else new
            parts.append(f"{name}: {show_old!s} → {show_new!s}")
        return "edited " + "; ".join(parts)
    if isinstance(detail, Deleted):
        return "deleted"
    if isinstance(detail, Notified):
        told = ", ".join(detail.to)
        return (
            f"told {told} via {detail.channel} ({detail.template}), {side(detail.before_deadline)}"
        )
    if isinstance(detail, Snoozed):
        return "skipped for today"
    if isinstance(detail, Reminded):
        return f"reminded ({STANDING_WORDS.get(detail.standing, '?')})"
    return event.kind


def people_table(rows: list[tuple[Any, int, int]], out: Console) -> None:
    from rich import box
    from rich.table import Table

    if not rows:
        out.print(_text("No people yet: they are added when you make a promise (--to NAME)."))
        return
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column("Name")
    table.add_column("Open", justify="right")
    table.add_column("At risk", justify="right")
    table.add_column("Channel")
    table.add_column("Contact", overflow="fold")
    for person, open_count, worried in rows:
        contact = " ".join(x for x in (person.email, person.handle) if x)
        table.add_row(
            _text(person.name),
            str(open_count),
            _text(str(worried), "bold yellow" if worried else ""),
            _text(person.channel or ""),
            _text(contact),
        )
    out.print(table)


def why_at_risk(promise: Promise, ledger: Ledger) -> str:
    """Why pk asks about this promise now, in words (the reason is rules.standing's)."""
    now = ledger.now
    reason = ledger.risk_reason(promise)
    if reason == "overdue":
        late = format_span(now - promise.due)
        return f"Overdue: it was due {format_day_time(promise.due, now)}, {late} ago."
    from promisekeeper.rules.notice import untold_new_date
    from promisekeeper.rules.worktime import local_day

    if untold_new_date(promise):
        return (
            f"Moved to {format_day_time(promise.due, now)}, and they don't know the new date yet."
        )
    # The same heading as the section of `pk today` the promise is listed under.
    heading = "Due today" if promise.due < local_day(now)[1] else "At risk"
    left = promise.due - now
    cfg = ledger.config
    rule = ledger.effort_rule(promise)
    if reason == "effort" and rule is not None and promise.effort is not None:
        from promisekeeper.rules.worktime import working_time

        left_hours = working_time(now, promise.due, rule).total_seconds() / 3600
        need_hours = promise.effort.total_seconds() * rule.slip / 3600
        slip = f", your slip factor {rule.slip:.1f}x included" if rule.slip > 1 else ""
        return (
            f"{heading}: {left_hours:.0f} working hours left for about {need_hours:.0f} "
            f"hours of work{slip}."
        )
    if reason == "window":
        words = f"due within {format_span(cfg.risk_window)}"
        lead = ledger.risk_window - cfg.risk_window
        if lead:
            words += f" + {format_span(lead)} you usually run late"
    else:
        words = f"less than {cfg.risk_fraction:.0%} of the time you promised is left"
    told = ""
    if promise.told_at is not None:
        told = f" Last told {format_relative(promise.told_at, now)}."
    return f"{heading}: {words} ({format_span(left)} left).{told}"


def trust_table(rows: list[tuple[str, float, float, float, float]], out: Console) -> None:
    """Everyone's trust bank, weakest balance first."""
    from rich import box
    from rich.table import Table

    if not rows:
        out.print(_text("No track record yet: keep (or break) a promise first."))
        return
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column("Person")
    table.add_column("Balance", justify="right")
    table.add_column("Last 30 days", justify="right")
    table.add_column("Deposits", justify="right")
    table.add_column("Withdrawals", justify="right")
    for person, balance, trend, deposits, withdrawals in rows:
        table.add_row(
            _text(person),
            _text(signed(balance), "red" if balance < 0 else "green" if balance > 0 else ""),
            _text(f"{signed(trend)} {trend_arrow(trend)}"),
            signed(deposits),
            signed(withdrawals),
        )
    out.print(table)


def signed(value: float) -> str:
    """'+3', '-2', and a plain '0'."""
    return f"{value:+g}" if value else "0"


def trend_arrow(trend: float) -> str:
    return "↑" if trend > 0 else "↓" if trend < 0 else "→"


# -------------------------------------------------------------------------------------------------
# pk undo: what it takes back
# -------------------------------------------------------------------------------------------------
UNDO_SHOWN = 10  # promises described one by one; the rest are counted

_FIELDS = (
    ("what", "what"),
    ("to", "to"),
    ("due", "due"),
    ("status", "status"),
    ("closed_at", "closed"),
    ("effort", "effort"),
    ("tags", "tags"),
    ("note", "note"),
    ("deleted_at", "deleted"),
)


def undo_lines(plan: Undone, now: datetime) -> list[str]:
    """For each promise a change touched: what of it is taken back, and the values that come
    back ('status: kept → open'), or that the promise goes, when its making is taken back."""
    lines: list[str] = []
    for step in plan.steps[:UNDO_SHOWN]:
        shown = step.before or step.after
        name = promise_summary(shown) if shown else f"#{step.promise_id}"
        if step.after is None:
            lines.append(f"  {name}: removed (its making is taken back)")
            continue
        lines.append(f"  {name}")
        for event in step.events:
            if event.kind != "edited":  # an edit is told by the values that return
                lines.append(f"    takes back: {one_line(describe(event, now), 100)}")
        for attribute, label in _FIELDS:
            old = getattr(step.before, attribute, None) if step.before else None
            new = getattr(step.after, attribute)
            if old != new:
                new_words = "not deleted" if label == "deleted" else _value(new, now)
                lines.append(f"    {label}: {_value(old, now)} → {new_words}")
    rest = plan.steps[UNDO_SHOWN:]
    if rest:
        removed = sum(1 for step in rest if step.after is None)
        what = "removed" if removed == len(rest) else f"{removed} of them removed"
        lines.append(f"  and {len(rest):,} more promise{'s' if len(rest) > 1 else ''} ({what})")
    if plan.command == "import":
        lines.append("  (details the import gave people stay: pk person changes them)")
    return lines


def _value(value: Any, now: datetime) -> str:
    if value is None or value == "" or value == []:
        return "none"
    if isinstance(value, datetime):
        return format_day_time(value, now)
    if isinstance(value, list):
        return one_line(", ".join(value), 60)
    if hasattr(value, "total_seconds"):
        return format_span(value)
    return one_line(str(value), 60)
