"""The status report: everything promised to someone over a period, and how it went.

services.reports reads the ledger into a `Report` (delivered, in progress, closed otherwise,
per person); `as_text`, `as_markdown` and `as_html` write it out for an e-mail or a standalone
page. All of it is pure: no terminal, no Typer, no rich. Generated words (dates, standings) are
ours; user text (what was promised, names, reasons, notes) only ever passes through the escaper
of the format being written, so it shows literally: control characters visible in text,
Markdown backslash-escaped, HTML entity-escaped. The HTML page is one self-contained file:
inline CSS, no script, no external resource, and a Content-Security-Policy that says so.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time

from promisekeeper import __version__
from promisekeeper.model.promise import Promise
from promisekeeper.rules.dates import format_day_time, format_when, to_local
from promisekeeper.telling.text import safe
from promisekeeper.telling.words import STANDING_WORDS, timing

FORMATS = ("text", "markdown", "html")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


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

    def add(self, item: Item) -> None:
        state = item.standing
        if state in ("kept", "kept_late"):
            self.delivered += 1
            self.on_time += state == "kept"
        elif state in ("on_track", "at_risk", "overdue"):
            self.in_progress += 1
            self.at_risk += state == "at_risk"
            self.overdue += state == "overdue"
        elif state == "broken":
            self.broken += 1
        else:
            self.released += 1

    @property
    def total(self) -> int:
        return self.delivered + self.in_progress + self.broken + self.released

    def words(self) -> str:
        """'3 delivered (2 on time) · 2 in progress (1 at risk) · 1 broken'."""
        if not self.total:
            return "nothing promised in this period"
        worries = [
            f"{n} {word}" for n, word in ((self.at_risk, "at risk"), (self.overdue, "overdue")) if n
        ]
        parts = [
            f"{self.delivered} delivered"
            + (f" ({self.on_time} on time)" if self.delivered else ""),
            f"{self.in_progress} in progress" + (f" ({', '.join(worries)})" if worries else ""),
        ]
        if self.broken:
            parts.append(f"{self.broken} broken")
        if self.released:
            parts.append(f"{self.released} released")
        return " · ".join(parts)


@dataclass
class Group:
    """What was promised to one person, in the three sections of the report."""

    person: str
    delivered: list[Item] = field(default_factory=list)
    in_progress: list[Item] = field(default_factory=list)
    closed: list[Item] = field(default_factory=list)
    counts: Counts = field(default_factory=Counts)

    def sections(self) -> list[tuple[str, list[Item]]]:
        return [
            ("Delivered", self.delivered),
            ("In progress", self.in_progress),
            ("Closed otherwise", self.closed),
        ]


@dataclass
class Report:
    person: str | None  # None: everyone, grouped by person
    since: datetime
    now: datetime
    groups: list[Group]
    counts: Counts

    @property
    def audience(self) -> str:
        return self.person if self.person is not None else "everyone"


# -------------------------------------------------------------------------------------------------
# Words shared by every format; `esc` makes user text safe for the format being written
# -------------------------------------------------------------------------------------------------
Escape = Callable[[str], str]


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
    rest = [name for name in item.promise.to if name.casefold() != group.person.casefold()]
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
    return lines


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
        for heading, items in group.sections():
            if not items:
                continue
            out += ["", f"{heading} ({len(items)})"]
            for item in items:
                out.append(f"  - {_plain(item.promise.what, '    ')}")
                for line in _detail_lines(item, group, now, lambda s: _plain(s, "      ")):
                    out.append(f"    {line}")
                if item.moves:
                    out.append(f"    {moves_line(item, now)}:")
                    for move in item.moves:
                        out.append(
                            f"      · {move_line(move, now, lambda s: _plain(s, '        '))}"
                        )
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
        for heading, items in group.sections():
            if not items:
                continue
            out += ["", f"{level} {heading} ({len(items)})", ""]
            for item in items:
                out.append(f"- **{md(item.promise.what, '  ')}**  ")
                details = _detail_lines(item, group, now, lambda s: md(s, "  "))
                out.append("  " + "  \n  ".join(details))
                if item.moves:
                    out.append(f"  - {moves_line(item, now)}:")
                    for move in item.moves:
                        out.append(f"    - {move_line(move, now, lambda s: md(s, '      '))}")
    return "\n".join(out) + "\n"


# -------------------------------------------------------------------------------------------------
# HTML: one self-contained page
# -------------------------------------------------------------------------------------------------
def h(text: str) -> str:
    """User text for HTML: control characters made visible, then every special escaped.
    Line breaks stay (the page shows them with white-space: pre-line)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(html.escape(safe(line), quote=True) for line in lines)


CSP = "default-src 'none'; style-src 'unsafe-inline'"

STYLE = """
:root { color-scheme: light; --ink: #1f2328; --muted: #5f6b76; --line: #e3e7eb; --soft: #f6f8fa; }
* { box-sizing: border-box; }
html { background: #eef1f4; }
body { margin: 0; padding: 2.5rem 1rem; color: var(--ink);
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
    "Noto Sans", sans-serif; }
main { max-width: 52rem; margin: 0 auto; background: #fff; border-radius: 14px;
  padding: 2.5rem 3rem 2rem; box-shadow: 0 1px 2px rgba(16, 24, 40, .06),
    0 4px 16px rgba(16, 24, 40, .06); }
h1 { font-size: 1.7rem; line-height: 1.25; margin: 0 0 .4rem; letter-spacing: -.01em; }
h1 .who { color: #2457a6; overflow-wrap: anywhere; }
.meta { margin: 0; color: var(--muted); font-size: .92rem; }
.meta span + span::before { content: "·"; margin: 0 .5rem; color: #b0b8c1; }
.summary { display: flex; flex-wrap: wrap; gap: .5rem; list-style: none; padding: 0;
  margin: 1.4rem 0 0; }
.summary li { background: var(--soft); border: 1px solid var(--line); border-radius: 999px;
  padding: .2rem .8rem; font-size: .9rem; }
.summary b { font-size: 1rem; }
.person { margin-top: 2.4rem; }
h2 { font-size: 1.3rem; margin: 0; padding-bottom: .35rem; border-bottom: 2px solid var(--line);
  overflow-wrap: anywhere; }
.person > .counts { margin: .4rem 0 0; color: var(--muted); font-size: .9rem; }
h3, h2.section { font-size: .78rem; text-transform: uppercase; letter-spacing: .08em;
  color: var(--muted); margin: 1.6rem 0 .2rem; padding: 0; border: 0; }
h3 .n, h2.section .n { display: inline-block; min-width: 1.5em; margin-left: .4rem;
  padding: 0 .4rem; border-radius: 999px; background: var(--soft); border: 1px solid var(--line);
  text-align: center; letter-spacing: 0; }
.items { list-style: none; margin: 0; padding: 0; }
.item { padding: .8rem 0 .85rem; border-bottom: 1px solid var(--line); break-inside: avoid; }
.item:last-child { border-bottom: 0; }
.head { display: flex; align-items: baseline; justify-content: space-between; gap: 1rem; }
.what { font-weight: 600; white-space: pre-line; overflow-wrap: anywhere; }
.badge { flex: none; font-size: .74rem; font-weight: 600; white-space: nowrap;
  padding: .1rem .6rem; border-radius: 999px; border: 1px solid transparent; }
.on_track, .kept { background: #e7f5ec; color: #1c6b3a; border-color: #bfe3cc; }
.at_risk, .kept_late { background: #fff5db; color: #8a5a00; border-color: #f3dc9b; }
.overdue, .broken { background: #fdecec; color: #a3211f; border-color: #f5c2c0; }
.released { background: #f1f3f5; color: #4f5962; border-color: #dde2e6; }
.when { margin: .15rem 0 0; color: #39424c; font-size: .94rem; }
.detail { margin: .2rem 0 0; font-size: .92rem; color: #39424c; white-space: pre-line;
  overflow-wrap: anywhere; }
.detail .label { color: var(--muted); }
.moves { margin: .45rem 0 0; padding: .5rem .8rem .55rem; background: var(--soft);
  border-radius: 8px; font-size: .88rem; color: #39424c; }
.moves p { margin: 0 0 .2rem; color: var(--muted); }
.moves ol { margin: 0; padding-left: 1.3rem; }
.moves ol.one { list-style: none; padding-left: 0; }
.moves li { white-space: pre-line; overflow-wrap: anywhere; }
.early { color: #1c6b3a; } .late { color: #a3211f; }
.empty { color: var(--muted); font-style: italic; margin: 1rem 0 0; }
footer { margin-top: 2.2rem; padding-top: .9rem; border-top: 1px solid var(--line);
  color: var(--muted); font-size: .8rem; }
@media (max-width: 40rem) { body { padding: 0; } main { border-radius: 0; padding: 1.5rem 1.1rem; }
  .head { flex-direction: column; gap: .2rem; } }
@media print {
  html, body { background: #fff; padding: 0; }
  main { box-shadow: none; border-radius: 0; padding: 0; max-width: none; }
  .badge, .summary li, .moves, .n { -webkit-print-color-adjust: exact;
    print-color-adjust: exact; }
  h2, h3, .head { break-after: avoid; }
}
"""


def _html_item(item: Item, group: Group, now: datetime) -> list[str]:
    p = item.promise
    out = [
        '<li class="item">',
        '<div class="head">'
        f'<div class="what">{h(p.what)}</div>'
        f'<span class="badge {item.standing}">{STANDING_WORDS[item.standing]}</span>'
        "</div>",
        f'<p class="when">{status_line(item, now)}</p>',
    ]
    if item.reason:
        out.append(f'<p class="detail"><span class="label">Reason:</span> {h(item.reason)}</p>')
    if item.note:
        out.append(f'<p class="detail"><span class="label">Note:</span> {h(item.note)}</p>')
    also = others(item, group, h)
    if also:
        out.append(f'<p class="detail"><span class="label">Also to:</span> {also}</p>')
    if item.moves:
        words = moves_line(item, now)
        many = len(item.moves) > 1
        out += ['<div class="moves">', f"<p>{words[0].upper()}{words[1:]}:</p>"]
        out.append("<ol>" if many else '<ol class="one">')
        for move in item.moves:
            side = "early" if move.before_deadline else "late"
            words = "before the deadline" if move.before_deadline else "after the deadline"
            reason = f": {h(move.reason)}" if move.reason else ""
            old, new = format_day_time(move.old, now), format_day_time(move.new, now)
            out.append(
                f"<li>{format_day_time(move.at, now)}: from {old} to {new}, "
                f'<span class="{side}">{words}</span>{reason}</li>'
            )
        out += ["</ol>", "</div>"]
    out.append("</li>")
    return out


def as_html(report: Report) -> str:
    now = report.now
    summary = "".join(
        f"<li>{_bold_number(part)}</li>" for part in report.counts.words().split(" · ")
    )
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        f'<meta name="generator" content="pk (PromiseKeeper) {__version__}">',
        f"<title>{h(title(report))} · {day(now)}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        "<main>",
        "<header>",
        f'<h1>Status report for <span class="who">{h(report.audience)}</span></h1>',
        f'<p class="meta"><span>{period(report)}</span><span>generated {stamp(now)}</span></p>',
        f'<ul class="summary">{summary}</ul>',
        "</header>",
    ]
    # Under one person the sections are the page's second level; under everyone, the third.
    heading = "h3" if report.person is None else 'h2 class="section"'
    if not report.groups:
        out.append('<p class="empty">Nothing promised in this period.</p>')
    for group in report.groups:
        out.append('<section class="person">')
        if report.person is None:
            out.append(f"<h2>{h(group.person)}</h2>")
            out.append(f'<p class="counts">{group.counts.words()}</p>')
        if not group.counts.total:
            out.append(
                f'<p class="empty">Nothing promised to {h(group.person)} in this period.</p>'
            )
        for name, items in group.sections():
            if not items:
                continue
            close = heading.split(" ")[0]
            out.append(f'<{heading}>{name}<span class="n">{len(items)}</span></{close}>')
            out.append('<ul class="items">')
            for item in items:
                out += _html_item(item, group, now)
            out.append("</ul>")
        out.append("</section>")
    out += [
        f"<footer>Kept with pk (PromiseKeeper) {__version__} · {stamp(now)}</footer>",
        "</main>",
        "</body>",
        "</html>",
    ]
    return "\n".join(out) + "\n"


def _bold_number(part: str) -> str:
    """'3 delivered (2 on time)' -> '<b>3</b> delivered (2 on time)' (our words, no user text)."""
    number, _, rest = part.partition(" ")
    return f"<b>{number}</b> {rest}" if number.isdigit() else part


def render(report: Report, fmt: str) -> str:
    writers = {"text": as_text, "markdown": as_markdown, "html": as_html}
    return writers[fmt](report)
