"""The bodies of `pk promise`, `pk keep`, `pk list`, `pk status` and `pk remind`, without the CLI
framework.

The Typer commands (face.commands) parse the options, ask on a terminal, and call these; so
does face.fast, which answers the plain forms of these commands without loading Typer (as
face.daily does for `pk today`). Output goes to sys.stdout and sys.stderr, as click.echo writes
it. A question only the app can ask (a confirmation on a terminal) goes through `ask`: the
app passes its prompts, the fast path one that hands the whole run to the app before anything
is written or printed (face.daily.NeedsTheApp).
"""

from __future__ import annotations

import os
import sys

from promisekeeper.face.daily import json_text, promise_object
from promisekeeper.model.errors import NotAnId as NotAnId

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up)
if TYPE_CHECKING:
    from datetime import datetime, timedelta
    from typing import Any, Protocol

    from promisekeeper.model.promise import Promise
    from promisekeeper.rules.ids import IdText
    from promisekeeper.services.ledger import Ledger
    from promisekeeper.services.remind import Reminder

    class Ask(Protocol):
        """What a command may need from a person at a terminal."""

        def say(self, text: str) -> None: ...
        def confirm(self, text: str, default: bool) -> bool: ...
        def fail(self, message: str) -> None: ...


def out(text: str) -> None:
    """A line on stdout, as click.echo writes it."""
    sys.stdout.write(f"{text}\n")
    sys.stdout.flush()


def warn(text: str) -> None:
    sys.stderr.write(f"{text}\n")
    sys.stderr.flush()


def painter() -> Any:
    from promisekeeper.face.paint import Painter, use_color

    return Painter(use_color())


# -------------------------------------------------------------------------------------------------
# What the user types: ids and times
# -------------------------------------------------------------------------------------------------
def promise_id(text: str) -> IdText:
    """A promise id as the user types it: `5`, `#5` as pk list shows it, or the start of the
    promise's uuid as pk show shows it (rules.ids); Ledger.resolve finds the promise."""
    from promisekeeper.rules.ids import read_id

    return read_id(text)


def when(ledger: Ledger, text: str, *, prefer: str = "future") -> datetime:
    """A due-like time: a date alone means the end of the working day. `prefer="past"` for
    options that say when something happened (`keep --at`): "thu" is the latest Thursday."""
    from promisekeeper.rules.dates import parse_when

    cfg = ledger.config
    return parse_when(
        text,
        ledger.now,
        day_ends=cfg.day_ends,
        day_starts=cfg.day_starts,
        date_order=cfg.date_order,
        prefer=prefer,
    )


# -------------------------------------------------------------------------------------------------
# pk promise
# -------------------------------------------------------------------------------------------------
def record_promise(
    ledger: Ledger,
    text: str,
    to: list[str],
    due: str,
    *,
    note: str,
    tags: list[str],
    force: bool,
    effort: str | None,
    as_json: bool,
    ask: Ask | None,
    includes: list[str] | None = None,
    excludes: list[str] | None = None,
    source: str = "",
) -> None:
    """Record a promise whose what, people and due date are given; `ask` on a terminal."""
    due_at = when(ledger, due)
    to = [check_name(ledger, name, ask) for name in to]
    due_at = be_realistic(ledger, to, due_at, tags, as_json, ask)
    work = effort_of(ledger, effort) if effort else None
    made = ledger.make(
        text,
        to,
        due_at,
        note=note,
        tags=tags,
        force=force,
        effort=work,
        includes=includes or [],
        excludes=excludes or [],
        source=source,
    )
    if as_json:
        out(json_text(promise_object(ledger, made)))
        return
    from promisekeeper.face.render import promise_summary
    from promisekeeper.rules.dates import format_when

    paint = painter()
    out(f"Promised {paint(promise_summary(made), 'bold')}")
    out(f"  due {format_when(made.due, ledger.now)}")


def check_name(ledger: Ledger, name: str, ask: Ask | None) -> str:
    """A new name close to someone you know is probably a typo: ask on a terminal."""
    similar = ledger.similar_person(name.strip())
    if similar is None:
        return name
    if ask is not None:
        if ask.confirm(f"No one called {name!r} yet. Did you mean {similar}?", True):
            return similar
        return name
    from promisekeeper.telling.text import one_line

    warn(f"pk: new person {one_line(name)!r} (did you mean {one_line(similar)!r}?)")
    return name


def be_realistic(
    ledger: Ledger, to: list[str], due: datetime, tags: list[str], as_json: bool, ask: Ask | None
) -> datetime:
    """Warn before saving when the day is full or your record says you need longer; on a
    terminal offer the suggested date and ask, elsewhere warn on stderr and go on."""
    from promisekeeper.services import realism as realistic
    from promisekeeper.telling.text import one_line

    verdict = realistic.check(ledger, to, due, tags)
    if not verdict.warnings:
        return due
    if ask is None or as_json:
        for warning in verdict.warnings:
            warn(f"pk: warning: {one_line(warning)}")
        return due
    from promisekeeper.rules.dates import format_day_time

    for warning in verdict.warnings:
        ask.say(f"Careful: {one_line(warning)}")
    if verdict.suggested_due is not None:
        offer = format_day_time(verdict.suggested_due, ledger.now)
        if ask.confirm(f"Promise {offer} instead?", False):
            return verdict.suggested_due
    if not ask.confirm("Make this promise anyway?", True):
        ask.fail("not promised")
    return due


def effort_of(ledger: Ledger, text: str) -> timedelta:
    """--effort: hours of work, where a day is one working day (day_starts to day_ends)."""
    from promisekeeper.rules.dates import parse_effort
    from promisekeeper.rules.worktime import workday_length

    cfg = ledger.config
    return parse_effort(text, workday_length(cfg.day_starts, cfg.day_ends))


# -------------------------------------------------------------------------------------------------
# pk keep (and the other changes' confirmation)
# -------------------------------------------------------------------------------------------------
def confirm_change(ledger: Ledger, changed: Any, as_json: bool, verb: str, extra: str = "") -> None:
    if as_json:
        out(json_text(promise_object(ledger, changed)))
        return
    from promisekeeper.face.render import promise_summary

    out(f"{verb} {promise_summary(changed)}{extra}")


def keep_promise(
    ledger: Ledger, promise_id: int, *, note: str, at: str | None, as_json: bool
) -> Promise:
    """Mark it kept and say whether it was on time; the closing note is the caller's."""
    delivered = when(ledger, at, prefer="past") if at else None
    kept = ledger.keep(promise_id, at=delivered, note=note)
    from promisekeeper.face.render import arrived, timing

    if kept.owed and not as_json:
        out(arrived(kept, ledger.now))
    else:
        confirm_change(ledger, kept, as_json, "Kept", f" — {timing(kept, ledger.now)}")
    if delivered is not None and not as_json:
        from promisekeeper.rules.dates import format_when

        word = "arrived" if kept.owed else "delivered"
        out(f"  {word} {format_when(delivered, ledger.now)}")  # the --at pk understood
    if kept.series is not None and not as_json:
        say_next(ledger, kept)
    return kept


def say_next(ledger: Ledger, closed: Any) -> None:
    """After closing an occurrence: the series' next one, when it is open now."""
    view = ledger.series_view(closed)
    if view is None or view.latest is None:
        return
    latest = view.latest
    if latest.id == closed.id or latest.status != "open":
        return
    from promisekeeper.face.render import promise_summary
    from promisekeeper.rules.dates import format_when

    due = format_when(latest.due, ledger.now)
    out(f"  next in the series: {promise_summary(latest)}, due {due}")


# -------------------------------------------------------------------------------------------------
# pk list
# -------------------------------------------------------------------------------------------------
STATUS_CHOICES = ("open", "kept", "broken", "released", "all")


def list_output(
    ledger: Ledger,
    *,
    to: str | None,
    status: str,
    tag: str | None,
    due_before: str | None,
    as_json: bool,
    direction: str | None = None,
) -> str:
    """What `pk list` prints: the promises found, as lines (a table on a terminal) or JSON."""
    before = when(ledger, due_before) if due_before else None
    found = [
        (p, ledger.standing(p))
        for p in ledger.list(
            to=to, status=status, tag=tag, due_before=before, direction=direction
        )
    ]
    if as_json:
        return json_text([promise_object(ledger, p, standing) for p, standing in found])
    from promisekeeper.face.render import list_lines, terminal_width

    return "\n".join(list_lines(found, ledger, painter(), terminal_width()))


# -------------------------------------------------------------------------------------------------
# pk status
# -------------------------------------------------------------------------------------------------
def status_output(ledger: Ledger, *, as_json: bool, everything: bool) -> str:
    """What `pk status` prints (before any walk): each group's first rows as lines (tables on
    a terminal) with the rest counted, every row with --all; complete as JSON."""
    from promisekeeper.face.render import STATUS_ROWS

    limit = None if as_json or everything else STATUS_ROWS
    view = ledger.status(limit=limit)
    if as_json:
        groups = ("overdue", "at_risk", "on_track", "recently_kept", "owed")
        result: dict[str, Any] = {
            group: [promise_object(ledger, p) for p in getattr(view, group)] for group in groups
        }
        result["summary"] = {
            "open": len(view.overdue) + len(view.at_risk) + len(view.on_track),
            "at_risk": len(view.at_risk),
            "overdue": len(view.overdue),
            "kept_on_time_this_month": view.kept_on_time_this_month,
            "owed_to_you": view.owed_total,
        }
        return json_text(result)
    from promisekeeper.face.render import status_lines, terminal_width

    return "\n".join(status_lines(view, ledger, painter(), terminal_width(), limit))


# -------------------------------------------------------------------------------------------------
# pk remind
# -------------------------------------------------------------------------------------------------
EXIT_DUE = 3
HEADINGS = {
    "overdue": "Overdue",
    "due_soon": "Due soon",
    "at_risk": "At risk, and they haven't been told",
    "owed_overdue": "Owed to you, overdue",
    "owed_due_soon": "Owed to you, due soon",
}


def remind(
    ledger: Ledger,
    *,
    within: str | None,
    quiet: bool,
    desktop: bool,
    output_format: str,
    fail_if_due: bool,
    record: bool | None,
) -> int:
    """What needs you now (format already checked: text or json); the exit status."""
    from promisekeeper.services import remind as reminding

    span = None
    if within:
        from promisekeeper.rules.dates import parse_duration

        span = parse_duration(within)
    recording = unattended() if record is None else record
    if recording:
        ledger.may_write()  # what it reads and what it records: through one connection
    if record is not False:
        ledger.repeat_due()  # occurrences of series due to exist now; --no-record writes nothing
    reminders = reminding.due(ledger, span)
    # A recording run (cron) says only what is new; any other shows all that needs you.
    shown = [r for r in reminders if r.new] if recording else reminders
    if output_format == "json":
        from promisekeeper.model.times import iso

        out(
            json_text(
                [
                    {
                        **promise_object(ledger, r.promise),
                        "reason": r.reason,
                        "next": r.next,
                        "new": r.new,
                        "change": r.change or None,
                        "was": r.was,
                        "last_reminded": iso(r.last) if r.last else None,
                        **(
                            {"last_asked": iso(r.asked.at) if r.asked else None}
                            if r.reason.startswith("owed_")
                            else {}
                        ),
                    }
                    for r in reminders
                ]
            )
        )
    elif shown:
        out("\n".join(digest(ledger, shown, quiet)))
    if desktop and shown:
        notify_desktop(summary(shown))
    if recording:
        reminding.record(ledger, reminders)
    return EXIT_DUE if fail_if_due and reminders else 0


def unattended() -> bool:
    """No terminal on either end: cron, a systemd timer, a script with its output captured."""
    return not (sys.stdin.isatty() or sys.stdout.isatty())


def summary(reminders: list[Reminder]) -> str:
    counts = {HEADINGS[reason].split(",")[0].lower(): 0 for reason in HEADINGS}
    for r in reminders:
        counts[HEADINGS[r.reason].split(",")[0].lower()] += 1
    parts = [f"{n} {words}" for words, n in counts.items() if n]
    noun = "promise needs" if len(reminders) == 1 else "promises need"
    text = f"{len(reminders)} {noun} you: {', '.join(parts)}"
    notes: dict[str, int] = {}
    for r in sorted(reminders, key=lambda r: not r.new):  # what changed, then what was said
        note = change_words(r)
        if note:
            notes[note] = notes.get(note, 0) + 1
    if notes:
        text += "; " + ", ".join(f"{n} {note}" for note, n in notes.items())
    return text


def change_words(reminder: Reminder) -> str:
    """What changed since the last reminder, in words ('' for a first reminder or no change);
    for one already said today, that it was."""
    from promisekeeper.telling.words import STANDING_WORDS

    if not reminder.new:
        return "already reminded today"
    if reminder.change == "worse":
        return f"now {STANDING_WORDS[reminder.standing]}"
    if reminder.change == "moved":
        return "moved since the last reminder"
    return ""


def digest(ledger: Ledger, reminders: list[Reminder], quiet: bool) -> list[str]:
    """Plain text that reads well as a cron e-mail."""
    from promisekeeper.face.render import promise_summary
    from promisekeeper.rules.dates import format_day_time, format_relative
    from promisekeeper.rules.timing import past_due
    from promisekeeper.telling.words import timing

    now = ledger.now
    lines = [f"PromiseKeeper, {format_day_time(now, now)}: {summary(reminders)}."]
    if quiet:
        return lines
    for reason, heading in HEADINGS.items():
        group = [r for r in reminders if r.reason == reason]
        if not group:
            continue
        lines += ["", heading]
        for r in group:
            p = r.promise
            if past_due(p, now):
                when = f"was due {format_day_time(p.due, now)}, {timing(p, now)}"
            else:
                when = f"due {format_day_time(p.due, now)}, {format_relative(p.due, now)}"
            note = change_words(r)
            if note and not r.new and r.last is not None:
                note = f"already reminded {format_day_time(r.last, now)}"
            if r.reason.startswith("owed_"):
                from promisekeeper.telling.words import asked_words

                when += f" · {asked_words(r.asked, now)}"
            lines.append(f"  {promise_summary(p)} · {when}" + (f" · {note}" if note else ""))
            lines.append(f"    next: {r.next}")
    return lines


def notify_desktop(text: str) -> None:
    """One notification for the lot, when a desktop session is reachable; silent otherwise."""
    import shutil
    import subprocess

    tool = shutil.which("notify-send")
    if tool is None or not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return
    try:
        subprocess.run(
            [tool, "--app-name=PromiseKeeper", "PromiseKeeper", text],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        pass
