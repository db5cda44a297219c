"""The status report: everything promised to someone over a period, and how it went.

services.reports reads the ledger into a `Report` (delivered, in progress, closed otherwise,
per person); `as_text`, `as_markdown` and `as_html` write it out for an e-mail or a standalone
page. All of it is pure: no terminal, no Typer, no rich. Generated words (dates, standings) are
ours; user text (what was promised, names, reasons, notes) only ever passes through the escaper
of the format being written, so it shows literally: control characters visible in text,
Markdown backslash-escaped, HTML entity-escaped. The HTML page is one self-contained file
rendered from templates/report.html.j2 by jinja2 with autoescaping on, so no part of it has to
remember to escape: inline CSS, no script, no external resource, and a Content-Security-Policy
that says so. jinja2 is imported only when a page is rendered, never by `pk today`.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import TYPE_CHECKING

from promisekeeper import __version__
from promisekeeper.model.promise import Promise, name_key
from promisekeeper.rules.dates import format_day_time, format_when, to_local
from promisekeeper.telling.text import safe
from promisekeeper.telling.words import STANDING_WORDS, checkpoint_words, timing

if TYPE_CHECKING:
    import jinja2

FORMATS = ("text", "markdown", "html")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


Escape = Callable[[str], str]  # makes user text safe for the format being written


# -------------------------------------------------------------------------------------------------
# The data
# -------------------------------------------------------------------------------------------------
@dataclass
class Move:
    """One renegotiation of the date, as the `moved` event recorded it."""

    at: datetime
    old: datetime
    new: datetime
    before_deadline: bool
    reason: str = ""


@dataclass
class Item:
    """One promise as the report tells it."""

    promise: Promise
    standing: str
    moves: list[Move] = field(default_factory=list)
    reason: str = ""  # why it was broken or released
    note: str = ""  # what was delivered (pk keep --note)


@dataclass
class Counts:
    delivered: int = 0
    on_time: int = 0
    in_progress: int = 0
    at_risk: int = 0
    overdue: int = 0
    broken: int = 0
    released: int = 0

    @property
    def total(self) -> int:
        return self.delivered + self.in_progress + self.broken + self.released

    def words(self) -> str:
        """'3 delivered (2 on time) · 2 in progress (1 at risk) · 1 broken'."""
        if not self.total:
            return "nothing promised in this period"
        parts = [
            f"{self.delivered:,} delivered"
            + (f" ({self.on_time:,} on time)" if self.delivered else ""),
            f"{self.in_progress:,} in progress" + worries(self.at_risk, self.overdue),
        ]
        if self.broken:
            parts.append(f"{self.broken:,} broken")
        if self.released:
            parts.append(f"{self.released:,} released")
        return " · ".join(parts)


def worries(at_risk: int, overdue: int) -> str:
    """' (1 at risk, 2 overdue)', or nothing when neither."""
    said = [f"{n:,} {word}" for n, word in ((at_risk, "at risk"), (overdue, "overdue")) if n]
    return f" ({', '.join(said)})" if said else ""


@dataclass
class Section:
    """One section of a person's part: the promises listed, and how many there are in all."""

    heading: str
    items: list[Item]
    total: int
    more: str = ""  # what was left out and how to see it ("" when nothing was): our words
    command: str = ""  # the command that lists the rest, after `more` (holds a user's name)

    def more_line(self, esc: Escape) -> str:
        """'… and 590 more in progress (2 at risk): pk list --to alice', user text escaped."""
        return self.more + (f": {esc(self.command)}" if self.command else "")


@dataclass
class Group:
    """What was promised to one person, in the three sections of the report."""

    person: str
    delivered: list[Item] = field(default_factory=list)
    in_progress: list[Item] = field(default_factory=list)
    closed: list[Item] = field(default_factory=list)
    counts: Counts = field(default_factory=Counts)

    def sections(self) -> list[Section]:
        """The three sections, each with a line for what a bounded report left out."""
        counts = self.counts
        return [
            Section(
                "Delivered",
                self.delivered,
                counts.delivered,
                _earlier(counts.delivered - len(self.delivered), "delivered"),
            ),
            self._in_progress(),
            Section(
                "Closed otherwise",
                self.closed,
                counts.broken + counts.released,
                _earlier(counts.broken + counts.released - len(self.closed), "closed"),
            ),
        ]

    def _in_progress(self) -> Section:
        counts = self.counts
        section = Section("In progress", self.in_progress, counts.in_progress)
        left = counts.in_progress - len(self.in_progress)
        if left > 0:
            shown = [item.standing for item in self.in_progress]
            risky = worries(
                counts.at_risk - shown.count("at_risk"), counts.overdue - shown.count("overdue")
            )
            section.more = f"… and {left:,} more in progress{risky}"
            section.command = f"pk list --to {shlex.quote(self.person)}"
        return section


def _earlier(left: int, done: str) -> str:
    """'… and 40 more delivered before these (--all lists every one)'."""
    if left <= 0:
        return ""
    return f"… and {left:,} more {done} before these (--all lists every one)"


@dataclass
class Report:
    person: str | None  # None: everyone, grouped by person
    since: datetime
    now: datetime
    groups: list[Group]
    counts: Counts
    limit: int | None = None  # promises listed per section (None: all)

    @property
    def audience(self) -> str:
        return self.person if self.person is not None else "everyone"


# -------------------------------------------------------------------------------------------------
# Words shared by every format; `esc` makes user text safe for the format being written
# -------------------------------------------------------------------------------------------------
def stamp(dt: datetime) -> str:
    """'Mon 23 Nov 2026 10:00 CET': a full local date and time, for the header."""
    local = to_local(dt)
    zone = local.strftime("%Z")
    return f"{day(dt)} {local:%H:%M}" + (f" {zone}" if zone else "")


def day(dt: datetime) -> str:
    """'Mon 23 Nov 2026'."""
    local = to_local(dt)
    return f"{_DAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]} {local.year}"


def period(report: Report) -> str:
    local = to_local(report.since)
    start = day(report.since) if local.time() == time(0) else stamp(report.since)
    return f"{start} – {day(report.now)}"


def title(report: Report) -> str:
    return f"Status report for {report.audience}"


def times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def status_line(item: Item, now: datetime) -> str:
    """When it was delivered or is due, and how that stands: no user text."""
    p = item.promise
    if item.standing in ("kept", "kept_late"):
        return f"delivered {format_day_time(p.closed_at or now, now)}, {timing(p, now)}"
    if item.standing == "overdue":
        return f"was due {format_day_time(p.due, now)}, {timing(p, now)}"
    if item.standing in ("on_track", "at_risk"):
        return f"due {format_when(p.due, now)}"
    verb = "broken" if item.standing == "broken" else "released by them"
    return (
        f"{verb} {format_day_time(p.closed_at or now, now)}, was due {format_day_time(p.due, now)}"
    )


def moves_line(item: Item, now: datetime) -> str:
    first = format_day_time(item.promise.original_due, now)
    return f"moved {times(len(item.moves))}, first promised for {first}"


def move_line(move: Move, now: datetime, esc: Escape) -> str:
    side = "before the deadline" if move.before_deadline else "after the deadline"
    reason = f": {esc(move.reason)}" if move.reason else ""
    return (
        f"{format_day_time(move.at, now)}: from {format_day_time(move.old, now)} "
        f"to {format_day_time(move.new, now)}, {side}{reason}"
    )


def others(item: Item, group: Group, esc: Escape) -> str:
    """'bob, carol': the promise's other people besides this group's, escaped."""
    rest = [name for name in item.promise.to if name_key(name) != name_key(group.person)]
    return ", ".join(esc(name) for name in rest)


def _detail_lines(item: Item, group: Group, now: datetime, esc: Escape) -> list[str]:
    """The lines under an item's title (user text escaped), for the text and Markdown formats."""
    lines = [status_line(item, now)]
    if item.standing in ("on_track", "at_risk", "overdue"):
        lines[0] += f" · {STANDING_WORDS[item.standing]}"
    if item.reason:
        lines.append(f"reason: {esc(item.reason)}")
    if item.note:
        lines.append(f"note: {esc(item.note)}")
    also = others(item, group, esc)
    if also:
        lines.append(f"also to {also}")
    lines += terms_lines(item.promise, esc)
    lines += [
        f"checkpoint {number}: {esc(what)}, {words}"
        for number, what, words in checkpoint_rows(item.promise, now)
    ]
    return lines


def terms_lines(promise: Promise, esc: Escape) -> list[str]:
    """'includes: slides; speaker notes', 'not included: …', 'source: …', user text escaped."""
    lines = []
    if promise.includes:
        lines.append(f"includes: {'; '.join(esc(item) for item in promise.includes)}")
    if promise.excludes:
        lines.append(f"not included: {'; '.join(esc(item) for item in promise.excludes)}")
    if promise.source:
        lines.append(f"source: {esc(promise.source)}")
    return lines


def checkpoint_rows(promise: Promise, now: datetime) -> list[tuple[int, str, str]]:
    """(number, what (user text), how it stands in our words) for each checkpoint."""
    return [
        (number, checkpoint.what, checkpoint_words(checkpoint, now))
        for number, checkpoint in enumerate(promise.checkpoints, start=1)
    ]


# -------------------------------------------------------------------------------------------------
# Plain text: for pasting into an e-mail
# -------------------------------------------------------------------------------------------------
def _plain(text: str, indent: str = "") -> str:
    """Control characters visible; line breaks kept, continuation lines indented."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return f"\n{indent}".join(safe(line) for line in lines)


def as_text(report: Report) -> str:
    now = report.now
    out = [
        _plain(title(report)),
        f"Period: {period(report)}",
        f"Generated: {stamp(now)}",
        "",
        report.counts.words()[:1].upper() + report.counts.words()[1:] + ".",
    ]
    for group in report.groups:
        if report.person is None:
            name = _plain(group.person)
            out += ["", "", name, "=" * len(name), group.counts.words()]
        for section in group.sections():
            if not section.items:
                continue
            out += ["", f"{section.heading} ({section.total:,})"]
            for item in section.items:
                out.append(f"  - {_plain(item.promise.what, '    ')}")
                for line in _detail_lines(item, group, now, lambda s: _plain(s, "      ")):
                    out.append(f"    {line}")
                if item.moves:
                    out.append(f"    {moves_line(item, now)}:")
                    for move in item.moves:
                        out.append(
                            f"      · {move_line(move, now, lambda s: _plain(s, '        '))}"
                        )
            if section.more:
                out.append(f"  {section.more_line(_plain)}")
    return "\n".join(out) + "\n"


# -------------------------------------------------------------------------------------------------
# Markdown
# -------------------------------------------------------------------------------------------------
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~&!])")
_MD_BLOCK_START = re.compile(r"^(\s*)([-+=]|\d+(?=[.)]))")


def md(text: str, indent: str = "") -> str:
    """User text that renders literally in Markdown: specials backslash-escaped, a line that
    would start a list or heading defused, line breaks kept as hard breaks."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    escaped = []
    for line in lines:
        line = _MD_SPECIAL.sub(r"\\\1", safe(line))
        line = _MD_BLOCK_START.sub(_defuse, line)
        escaped.append(line)
    return f"  \n{indent}".join(escaped)


def _defuse(match: re.Match[str]) -> str:
    """'- x' -> '\\- x', '1. x' -> '1\\. x': the marker escaped, so the line stays text."""
    indent, marker = match[1], match[2]
    return f"{indent}{marker}\\" if marker[0].isdigit() else f"{indent}\\{marker}"


def as_markdown(report: Report) -> str:
    now = report.now
    out = [
        f"# {md(title(report))}",
        "",
        f"**Period:** {period(report)}  ",
        f"**Generated:** {stamp(now)}",
        "",
        f"**Summary:** {report.counts.words()}",
    ]
    level = "###" if report.person is None else "##"
    for group in report.groups:
        if report.person is None:
            out += ["", f"## {md(group.person)}", "", group.counts.words()]
        for section in group.sections():
            if not section.items:
                continue
            out += ["", f"{level} {section.heading} ({section.total:,})", ""]
            for item in section.items:
                out.append(f"- **{md(item.promise.what, '  ')}**  ")
                details = _detail_lines(item, group, now, lambda s: md(s, "  "))
                out.append("  " + "  \n  ".join(details))
                if item.moves:
                    out.append(f"  - {moves_line(item, now)}:")
                    for move in item.moves:
                        out.append(f"    - {move_line(move, now, lambda s: md(s, '      '))}")
            if section.more:
                out += ["", section.more_line(md)]
    return "\n".join(out) + "\n"


# -------------------------------------------------------------------------------------------------
# HTML: one self-contained page
# -------------------------------------------------------------------------------------------------
def as_html(report: Report) -> str:
    """The page, from templates/report.html.j2. Nothing here escapes: the template's
    environment escapes every value it writes (and shows control characters in user text)."""
    template = html_environment().get_template("report.html.j2")
    page = template.render(
        report=report,
        now=report.now,
        version=__version__,
        title=title,
        day=day,
        stamp=stamp,
        period=period,
        summary=_summary,
        standing_words=STANDING_WORDS,
        status_line=status_line,
        moves_line=moves_line,
        when=format_day_time,
        also_to=lambda item, group: others(item, group, str),
        checkpoint_rows=checkpoint_rows,
    )
    # markupsafe spells the quotes &#34; and &#39;, html.escape (which wrote this page before
    # the template did) &quot; and &#x27;: the same characters; keep the page as it was. Only
    # escaping can have written these, since every "&" of user text comes out as "&amp;".
    return page.replace("&#34;", "&quot;").replace("&#39;", "&#x27;")


def html_environment() -> jinja2.Environment:
    """The templates' environment: autoescaping on for every template, whatever its name, and
    user text shown literally first (see `_visible`). jinja2 is imported here, not at the top of
    the module: only `pk report --format html` pays for loading it."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("promisekeeper.telling", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        finalize=_visible,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _visible(value: object) -> object:
    """Every {{ value }} of the page passes here before autoescaping: in text, control
    characters become visible escapes; line breaks stay (the page shows them with
    white-space: pre-line). Our own words have neither, so only user text changes."""
    if not isinstance(value, str) or hasattr(value, "__html__"):
        return value
    lines = value.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(safe(line) for line in lines)


def _summary(counts: Counts) -> list[tuple[str, str]]:
    """'3 delivered (2 on time) · 1 broken' -> [('3', 'delivered (2 on time)'), ('1', 'broken')],
    so the page can set each number in bold; ('', words) for words without a number."""
    parts = []
    for part in counts.words().split(" · "):
        number, _, rest = part.partition(" ")
        parts.append((number, rest) if number.replace(",", "").isdigit() else ("", part))
    return parts


def render(report: Report, fmt: str) -> str:
    writers = {"text": as_text, "markdown": as_markdown, "html": as_html}
    return writers[fmt](report)
