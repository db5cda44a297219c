"""Turning ledger views into terminal text.

`today` and the one-line confirmations are plain text with optional ANSI colour (face.paint),
so the daily check never imports rich. Tables (`status`, `list`, `show`) use rich, imported
inside the functions that draw them. User text always goes through telling.text.safe and into
rich as Text objects, never as markup.
"""

from __future__ import annotations

import sys
from datetime import datetime

from promisekeeper.face.paint import Painter
from promisekeeper.rules.dates import (
    format_amount,
    format_day_time,
    format_relative,
    format_short_day,
    format_short_relative,
    format_span,
    format_when,
    short_day_words,
    to_local,
    when_words,
)
from promisekeeper.rules.timing import past_due
from promisekeeper.telling.text import one_line, safe
from promisekeeper.telling.words import (
    STANDING_WORDS,
    arrow,
    checkpoint_words,
    people,
    short_standing,
    short_timing,
    timing,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up)
if TYPE_CHECKING:
    from typing import Any, TextIO

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
def today_text(view: Today, ledger: Ledger, paint: Painter, limit: int | None = None) -> list[str]:
    """The daily check: what needs attention, then what was kept, then what others owe you
    that needs attention (overdue, due today, at risk), then one summary line.

    With `limit`, each section shows its first `limit` promises (the view's order: most
    urgent first) and counts the rest, naming the command that shows them."""
    now = ledger.now
    lines: list[str] = []
    groups = (
        ("Overdue", view.overdue, "bold red", "overdue", "pk list --due-before now"),
        ("Due today", view.due_today, "bold yellow", "due today", "pk today --all"),
        ("At risk", view.at_risk, "bold yellow", "at risk", "pk today --all"),
    )
    for title, promises, style, words, command in groups:
        if promises:
            lines.append(paint(f"{title} ({len(promises)})", style))
            lines.extend(f"  {_line(p, now, paint)}" for p in promises[:limit])
            lines.extend(_more(len(promises), limit, words, command, paint))
    if view.kept_today:
        lines.append(paint(f"Kept today ({len(view.kept_today)})", "bold green"))
        for promise in view.kept_today[:limit]:
            lines.append(
                f"  {paint(f'#{promise.id}', 'cyan')}  {one_line(promise.what, 60)}"
                f" → {people(promise)} · {timing(promise, now)}"
            )
        lines.extend(_more(len(view.kept_today), limit, "kept today", "pk today --all", paint))
    if view.owed:
        # What others promised you that is overdue, due today or at risk: after yours.
        lines.append(paint(f"Owed to you ({len(view.owed)})", "bold magenta"))
        lines.extend(f"  {_line(p, now, paint)}" for p in view.owed[:limit])
        lines.extend(_more(len(view.owed), limit, "owed to you", "pk list --owed", paint))
    worries = len(view.overdue) + len(view.due_today) + len(view.at_risk)
    open_count, next_up = ledger.open_summary()
    if worries:
        lines.append(
            summary_line(
                (len(view.overdue), "overdue"),
                (len(view.due_today), "due today"),
                (len(view.at_risk), "at risk"),
                total=(open_count, "open"),
            )
        )
        if view.overdue or view.at_risk:
            lines.append(
                paint(
                    "Can't make it? Tell them now, and `pk move ID WHEN` to record the new date.",
                    "dim",
                )
            )
    elif open_count == 0 and not view.kept_today:
        owed = len(view.owed) or ledger.open_owed_count()
        if owed:
            lines.append(f"None of your promises is open; {owed} owed to you: pk list --owed")
        else:
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


def _more(count: int, limit: int | None, words: str, command: str, paint: Painter) -> list[str]:
    """'  … and 640 more overdue: `pk list --due-before now`' for the rows a section left out."""
    if limit is None or count <= limit:
        return []
    return [paint(f"  … and {count - limit:,} more {words}: `{command}`", "dim")]


def _line(promise: Promise, now: datetime, paint: Painter) -> str:
    if past_due(promise, now):
        due = f"was due {format_day_time(promise.due, now)}, {timing(promise, now)}"
    else:
        due = f"due {format_when(promise.due, now)}"
    ident = paint(f"#{promise.id}", "cyan")
    told = told_marker(promise, now)
    missed = missed_marker(promise, now)
    return f"{ident}  {one_line(promise.what, 60)} {arrow(promise)} · {due}{missed}{told}"


def missed_marker(promise: Promise, now: datetime) -> str:
    """' · checkpoint 2 missed' when an open promise has a missed checkpoint (the rule:
    rules.checkpoints.first_missed), so the daily view says why it is at risk."""
    if promise.status != "open" or not promise.checkpoints:
        return ""
    from promisekeeper.rules.checkpoints import first_missed

    missed = first_missed(promise, now)
    return "" if missed is None else f" · checkpoint {missed[0]} missed"


def told_marker(promise: Promise, now: datetime) -> str:
    """' · ✉ told 2 hours ago' when the people were told about an open promise."""
    if promise.status != "open" or promise.told_at is None:
        return ""
    return f" · ✉ told {format_relative(promise.told_at, now)}"


def summary_line(*counts: tuple[int, str], total: tuple[int, str], after: str = "") -> str:
    """The one summary line of today, status and list: '2 overdue · 1 at risk · 5 open'.

    Counts of nothing are left out; the total is always said, then `after`'s good news."""
    parts = [f"{count} {words}" for count, words in counts if count]
    parts.append(f"{total[0]} {total[1]}")
    if after:
        parts.append(after)
    return " · ".join(parts)


def told_short(promise: Promise, now: datetime) -> str:
    """told_marker for a narrow table: ' · ✉ 7d ago'."""
    if promise.status != "open" or promise.told_at is None:
        return ""
    return f" · ✉ {format_short_relative(promise.told_at, now)}"


def arrived(promise: Promise, now: datetime) -> str:
    """`pk keep` on a promise owed to you: 'Arrived #7 from Bob, 2 days late.' and what."""
    return (
        f"Arrived #{promise.id} from {people(promise)}, {timing(promise, now)}.\n"
        f"  {one_line(promise.what, 60)}"
    )


def promise_summary(promise: Promise) -> str:
    """One line naming a promise: '#12 Send the numbers → Alice' (owed to you: '← Bob')."""
    return f"#{promise.id} {one_line(promise.what, 60)} {arrow(promise)}"


# -------------------------------------------------------------------------------------------------
# Listings: status and list (face.tables on a terminal, plain lines elsewhere); rich for the rest
# -------------------------------------------------------------------------------------------------
def terminal_width() -> int | None:
    """The terminal's width when stdout is one, else None: off a terminal listings are plain
    lines, with no padding for a pipe or a cron mail to carry."""
    if not sys.stdout.isatty():
        return None
    import shutil

    return shutil.get_terminal_size().columns


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


def _what(promise: Promise) -> str:
    return one_line(promise.what)


def _to(promise: Promise) -> str:
    """The To column: their names, or 'from bob' for a promise bob made to you."""
    return f"from {people(promise)}" if promise.owed else people(promise)


def _plain(promise: Promise, due: str, *rest: str) -> str:
    """One promise on one line: '#5  Plan offsite → eve · due Wed 18 Nov 17:00 · overdue'."""
    tail = "".join([f" · {part}" for part in rest if part])
    return f"#{promise.id}  {_what(promise)} {arrow(promise)} · due {due}{tail}"


def _columns(last: str, tags: bool) -> list[Any]:
    from promisekeeper.face.tables import Column

    columns = [
        Column("ID", right=True, style="cyan"),
        Column("To", wrap=True),
        Column("What", grow=True),
        Column("Due"),
        Column(last),
    ]
    if tags:
        columns.append(Column("Tags", wrap=True))
    return columns


def _add(
    columns: list[Any],
    promise: Promise,
    now: datetime,
    due_long: str,
    *last: Any,
    short_day: str | None = None,
) -> None:
    """A row of a listing's table; `short_day`: format_short_day(promise.due, now), when the
    caller has it."""
    from promisekeeper.face.tables import Cell

    if short_day is None:
        short_day = format_short_day(promise.due, now)
    cells = [
        Cell(str(promise.id)),
        Cell(_to(promise)),
        Cell(_what(promise)),
        Cell(due_long, short_day),
        *last,
    ]
    for column, cell in zip(columns, cells, strict=False):
        column.cells.append(cell)


def _table_lines(
    columns: list[Any], width: int | None, paint: Painter, short: bool | None = None
) -> list[str] | None:
    if width is None:
        return None
    from promisekeeper.face.tables import draw

    return draw(columns, width, paint, short)


def _plain_lines(lines: list[str], width: int | None) -> list[str]:
    """Plain lines as they are for a pipe; on a (narrow) terminal wrapped at spaces."""
    if width is None:
        return lines
    from promisekeeper.face.tables import wrap_line

    return [part for line in lines for part in wrap_line(line, width)]


STATUS_ROWS = 20  # rows of `pk status`'s on-track and recently-kept tables; the rest is counted


def status_lines(
    view: Status,
    ledger: Ledger,
    paint: Painter,
    width: int | None,
    limit: int | None = STATUS_ROWS,
) -> list[str]:
    """`pk status`: a table per group at the terminal's width, or plain lines off a terminal.
    Each group shows its first `limit` promises (None: all) and counts the rest."""
    from promisekeeper.face.tables import Cell

    now = ledger.now
    on_track_total = max(view.on_track_total, len(view.on_track))
    kept_total = max(view.recently_kept_total, len(view.recently_kept))
    groups: tuple[tuple[str, list[Promise], int, str, str], ...] = (
        (
            "Overdue",
            view.overdue,
            len(view.overdue),
            "bold red",
            "overdue (pk list --due-before now)",
        ),
        ("At risk", view.at_risk, len(view.at_risk), "bold yellow", "at risk (pk status --all)"),
        ("On track", view.on_track, on_track_total, "bold green", "on track (pk list)"),
        (
            "Recently kept",
            view.recently_kept,
            kept_total,
            "bold",
            "kept in the last 14 days (pk list --status kept)",
        ),
        (
            "Owed to you",
            view.owed,
            max(view.owed_total, len(view.owed)),
            "bold magenta",
            "owed to you (pk list --owed)",
        ),
    )
    tables = []
    for title, promises, total, style, rest in groups:
        if not promises:
            continue
        # Every group stops at a screenful (unless `limit` is None), and counts the rest.
        shown = promises[:limit]
        kept = title == "Recently kept"
        columns = _columns("Kept" if kept else "When", tags=False)
        for promise in shown:
            told = "" if kept else told_marker(promise, now)
            last = Cell(
                timing(promise, now) + told,
                short_timing(promise, now) + ("" if kept else told_short(promise, now)),
            )
            _add(columns, promise, now, format_day_time(promise.due, now), last)
        tables.append((title, shown, total, style, rest, kept, columns))
    short = None
    if width is not None:
        from promisekeeper.face.tables import needs_short

        # One wording across the view: when one table needs the short forms, all use them.
        short = any(needs_short(table[-1], width) for table in tables)
    lines: list[str] = []
    for title, shown, total, style, rest, kept, columns in tables:
        lines.append(paint(f"{title} ({total})", style))
        table = _table_lines(columns, width, paint, short)
        if table is None:
            plain = []
            for promise in shown:
                told = "" if kept else told_marker(promise, now)[3:]
                due = format_day_time(promise.due, now)
                plain.append("  " + _plain(promise, due, timing(promise, now), told))
            lines.extend(_plain_lines(plain, width))
        else:
            lines.extend(table)
        if len(shown) < total:
            lines.append(paint(f"  … and {total - len(shown)} more {rest}", "dim"))
        if table is not None:
            lines.append("")
    open_count = len(view.overdue) + len(view.at_risk) + on_track_total
    kept_month = view.kept_on_time_this_month
    owed = max(view.owed_total, len(view.owed))
    after = [f"{owed} owed to you"] if owed else []
    if kept_month:
        after.append(f"{kept_month} kept on time this month")
    summary = summary_line(
        (len(view.overdue), "overdue"),
        (len(view.at_risk), "at risk"),
        total=(open_count, "open"),
        after=" · ".join(after),
    )
    return [*lines, *_plain_lines([summary], width)]


def list_lines(
    promises: list[tuple[Promise, str]], ledger: Ledger, paint: Painter, width: int | None
) -> list[str]:
    """`pk list`: promises with their standings (computed once, by the command), as a table at
    the terminal's width or as plain lines, then the summary line."""
    if not promises:
        return ["No promises match."]
    now = ledger.now
    local_now = to_local(now)  # each row's times are converted once, and now once
    lines = None
    if width is not None:
        from promisekeeper.face.tables import Cell

        columns = _columns("Standing", tags=any(p.tags for p, _standing in promises))
        for promise, standing in promises:
            style = STANDING_STYLE[standing]
            local = to_local(promise.due)
            _add(
                columns,
                promise,
                now,
                when_words(promise.due, now, local, local_now),
                Cell(
                    STANDING_WORDS[standing] + told_marker(promise, now),
                    short_standing(standing, promise, now) + told_short(promise, now),
                    style,
                ),
                Cell(safe(" ".join(promise.tags))),
                short_day=short_day_words(local, local_now),
            )
        lines = _table_lines(columns, width, paint)
    if lines is None:  # off a terminal (no table to lay out), or one too narrow for a table
        lines = []
        for promise, standing in promises:
            tags = f"tags: {safe(' '.join(promise.tags))}" if promise.tags else ""
            due = when_words(promise.due, now, to_local(promise.due), local_now)
            told = told_marker(promise, now)[3:]
            lines.append(_plain(promise, due, STANDING_WORDS[standing], told, tags))
        lines = _plain_lines(lines, width)
    counts: dict[str, int] = {}
    for _promise, standing in promises:
        counts[standing] = counts.get(standing, 0) + 1
    total = len(promises)
    summary = summary_line(
        *((counts.get(s, 0), STANDING_WORDS[s]) for s in STANDING_WORDS),
        total=(total, "promise" if total == 1 else "promises"),
    )
    return [*lines, *_plain_lines([summary], width)]


def show_promise(
    promise: Promise,
    standing: str,
    events: list[Event],
    ledger: Ledger,
    out: Console,
    series: str | None = None,
) -> None:
    from rich import box
    from rich.table import Table

    now = ledger.now
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold", no_wrap=True)
    head.add_column(overflow="fold")
    head.add_row("Promise", _text(f"#{promise.id}  {promise.what}"))
    head.add_row("From" if promise.owed else "To", _text(", ".join(promise.to)))
    # The standing line says how late an open promise is; its due line then gives the date.
    late = promise.status == "open" and past_due(promise, now)
    due = format_day_time(promise.due, now) if late else format_when(promise.due, now)
    head.add_row("Due", _text(due))
    if promise.moves:
        head.add_row(
            "Moved",
            _text(
                f"{promise.moves} time{'s' if promise.moves != 1 else ''}, first promised for "
                f"{format_day_time(promise.original_due, now)}"
                + (f"; {promise.late_moves} after the deadline" if promise.late_moves else "")
            ),
        )
    standing_text = _text(standing_words(promise, standing, now), STANDING_STYLE[standing])
    head.add_row("Standing", standing_text)
    if standing in ("at_risk", "overdue"):
        head.add_row("Because", _text(why_at_risk(promise, ledger)))
    head.add_row("Made", _text(format_when(promise.made, now)))
    if series is not None:  # an occurrence of a recurring promise: its rule and next dates
        head.add_row("Series", _text(series))
    if promise.effort is not None:
        head.add_row("Effort", _text(f"{promise.effort.total_seconds() / 3600:g} hours of work"))
    if promise.tags:
        head.add_row("Tags", _text(" ".join(promise.tags)))
    if promise.note:
        head.add_row("Note", _text(promise.note))
    # The terms, one item a row.
    for label, items in (("Includes", promise.includes), ("Not included", promise.excludes)):
        for index, item in enumerate(items):
            head.add_row(label if index == 0 else "", _text(item))
    if promise.source:
        head.add_row("Source", _text(promise.source))
    everywhere = ledger.shown_id(promise.uuid)  # the same on every machine (rules.ids)
    head.add_row("Id", _text(f"#{promise.id} here, {everywhere} on every machine"))
    head.add_row("UUID", _text(promise.uuid, "dim"))
    out.print(head)
    if promise.checkpoints:
        out.print(checkpoint_table(promise, now))
    history = Table(title="History", title_justify="left", box=box.SIMPLE_HEAD)
    history.add_column("When", no_wrap=True)
    history.add_column("What happened", overflow="fold")
    for event in events:
        history.add_row(format_day_time(event.at, now), _text(describe(event, now)))
    out.print(history)


CHECKPOINT_STYLE = {
    "done_on_time": "green",
    "done_late": "yellow",
    "missed": "bold red",
    "upcoming": "",
}


def checkpoint_table(promise: Promise, now: datetime) -> Any:
    """The checkpoints of `pk show`, numbered as `pk keep ID --checkpoint N` takes them."""
    from rich import box
    from rich.table import Table

    from promisekeeper.rules.checkpoints import checkpoint_standing

    table = Table(title="Checkpoints", title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("N", justify="right", style="cyan")
    table.add_column("Checkpoint", overflow="fold")
    table.add_column("Standing", overflow="fold")
    for number, checkpoint in enumerate(promise.checkpoints, start=1):
        style = CHECKPOINT_STYLE[checkpoint_standing(checkpoint, now)]
        table.add_row(
            str(number), _text(checkpoint.what), _text(checkpoint_words(checkpoint, now), style)
        )
    return table


def standing_words(promise: Promise, standing: str, now: datetime) -> str:
    """'overdue (2 days 3 hours late)', 'kept late (3 hours late)', 'at risk', 'broken': the
    timing in brackets only when it adds to the standing and to the due line."""
    words = STANDING_WORDS[standing]
    told = timing(promise, now)
    open_in_time = promise.status == "open" and not past_due(promise, now)
    if open_in_time or told == words or told == "on time":
        return words
    if told.startswith("on time, "):
        return f"{words} ({told.removeprefix('on time, ')})"
    return f"{words} ({told})"


def describe(event: Event, now: datetime) -> str:
    """An event in words, for `pk show`."""
    from promisekeeper.model.events import (
        CheckpointAdded,
        CheckpointKept,
        Closed,
        Deleted,
        Edited,
        Made,
        Moved,
        Noted,
        Notified,
        Nudged,
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
        if detail.direction == "owed":
            return f"promised to you by {', '.join(detail.to)}, due {day(detail.due)}"
        return f"promised to {', '.join(detail.to)}, due {day(detail.due)}"
    if isinstance(detail, Nudged):
        reason = f": {detail.reason}" if detail.reason else ""
        return f"nudged {', '.join(detail.to)} via {detail.channel}{reason}"
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
    if isinstance(detail, CheckpointAdded):
        return f"checkpoint added: {detail.what}, by {day(detail.by)}"
    if isinstance(detail, CheckpointKept):
        note = f": {detail.note}" if detail.note else ""
        return f"checkpoint {detail.number} done ({day(detail.done_at or event.at)}){note}"
    if isinstance(detail, Notified):
        from promisekeeper.rules.notice import NOTICE_KINDS, counts_as_notice

        told = f"told {', '.join(detail.to)} via {detail.channel} ({detail.template})"
        if detail.template not in NOTICE_KINDS:
            return told  # a closing note or an apology: no notice either way
        return f"{told}, {side(counts_as_notice(detail))}"
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
    if reason == "checkpoint":
        from promisekeeper.rules.checkpoints import first_missed

        missed = first_missed(promise, now)
        assert missed is not None
        number, checkpoint = missed
        told = ""
        if promise.told_at is not None:
            told = f" Last told {format_relative(promise.told_at, now)}."
        return (
            f"At risk: checkpoint {number}, {one_line(checkpoint.what, 60)}, was due "
            f"{format_day_time(checkpoint.by, now)} and is not done "
            f"(pk keep {promise.id} --checkpoint {number} when it is).{told}"
        )
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
    return f"{heading}: {words} ({format_amount(left)} left).{told}"


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
    ("includes", "includes"),
    ("excludes", "excludes"),
    ("source", "source"),
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
