"""Listing tables that read at any width, without rich.

A column may offer a long and a short form of each cell (a date with its time and distance,
or just the day). At the terminal's width the long forms are tried first, then the short
ones, then the wrapping columns give up width down to MIN_WIDTH, and whatever is left goes to
the title (the column marked `grow`). Text wraps at spaces only: a word is never split across
lines (a single word wider than its column is cut with '…'). Every line is stripped of
trailing spaces. `fits` says whether a table can be drawn with every column at least
MIN_WIDTH wide; when it cannot, the caller prints plain lines instead.

Cells are already safe text (telling.text.safe); styles are face.paint names.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from promisekeeper.face.paint import Painter

MIN_WIDTH = 10  # no column is narrower than this (the id column is narrower by nature)
GAP = "  "


@dataclass
class Cell:
    long: str
    short: str = ""
    style: str = ""

    def text(self, short: bool) -> str:
        return self.short if short and self.short else self.long


@dataclass
class Column:
    header: str
    right: bool = False  # right-aligned, never wrapped (the id)
    grow: bool = False  # the title: gets all the room that is left
    wrap: bool = False  # may wrap at spaces (names, tags): shrinks before the title does
    style: str = ""
    cells: list[Cell] = field(default_factory=list)


def cell_width(text: str) -> int:
    """Terminal cells `text` takes: wide East Asian characters take two, combining marks none."""
    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in "WF" else 1
    return width


def wrap(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` cells, broken at spaces only."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        if cell_width(word) > width:
            word = _cut(word, width)
        if not line:
            line = word
        elif cell_width(line) + 1 + cell_width(word) <= width:
            line = f"{line} {word}"
        else:
            lines.append(line)
            line = word
    lines.append(line)
    return lines


def _cut(word: str, width: int) -> str:
    kept = ""
    for char in word:
        if cell_width(kept + char) > width - 1:
            break
        kept += char
    return kept + "…"


def _longest_word(texts: list[str]) -> int:
    return max((cell_width(w) for t in texts for w in t.split()), default=0)


def needs_short(columns: list[Column], width: int) -> bool:
    """Whether the long forms are too wide: then every table of a view uses the short ones."""
    found = layout(columns, width)
    return found is None or found[0]


def layout(
    columns: list[Column], width: int, short: bool | None = None
) -> tuple[bool, list[int]] | None:
    """(short forms?, column widths) for a table `width` cells wide, or None if it cannot
    give every column MIN_WIDTH. `short` forces the short forms on or off."""
    room = width - len(GAP) * (len(columns) - 1)
    modes = (False, True) if short is None else (short,)
    for short in modes:
        natural = [
            max([cell_width(column.header)] + [cell_width(c.text(short)) for c in column.cells])
            for column in columns
        ]
        if sum(natural) <= room:
            return short, natural
    if short is False:
        return None
    widths = list(natural)
    grow = next(i for i, column in enumerate(columns) if column.grow)
    # The wrapping columns give up width, down to their longest word and then to MIN_WIDTH,
    # until the title fits on one line or they can give no more.
    for floor in ("word", "min"):
        for i, column in enumerate(columns):
            if not column.wrap:
                continue
            texts = [c.text(True) for c in column.cells]
            least = MIN_WIDTH if floor == "min" else max(MIN_WIDTH, _longest_word(texts))
            least = min(least, natural[i])  # a narrow column stays as narrow as it is
            others = sum(widths) - widths[grow] - widths[i]
            want = room - others - natural[grow]  # what column i may keep for the title to fit
            widths[i] = max(least, min(widths[i], want))
    widths[grow] = min(natural[grow], room - (sum(widths) - widths[grow]))
    if widths[grow] < min(MIN_WIDTH, natural[grow]):
        return None
    return True, widths


def draw(
    columns: list[Column], width: int, paint: Painter, short: bool | None = None
) -> list[str] | None:
    """The table's lines, at most `width` cells each, or None when it does not fit."""
    found = layout(columns, width, short)
    if found is None:
        return None
    short, widths = found
    head = GAP.join(
        _pad(column.header, w, column.right) for column, w in zip(columns, widths, strict=True)
    )
    rule = "─" * (sum(widths) + len(GAP) * (len(widths) - 1))
    lines = [paint(head.rstrip(), "bold"), paint(rule, "dim")]
    rows = len(columns[0].cells)
    for r in range(rows):
        parts: list[list[str]] = []
        for column, w in zip(columns, widths, strict=True):
            text = column.cells[r].text(short)
            parts.append([text] if column.right else wrap(text, w))
        height = max(len(p) for p in parts)
        for k in range(height):
            line = ""
            pending = ""
            for c, (column, w) in enumerate(zip(columns, widths, strict=True)):
                piece = parts[c][k] if k < len(parts[c]) else ""
                padded = _pad(piece, w, column.right)
                style = column.cells[r].style or column.style
                if piece:
                    line += pending + (paint(padded.rstrip(), style) if style else padded.rstrip())
                    pending = " " * (cell_width(padded) - cell_width(padded.rstrip()))
                else:
                    pending += padded
                pending += GAP if c + 1 < len(columns) else ""
            lines.append(line)
    return lines


def _pad(text: str, width: int, right: bool) -> str:
    space = " " * max(0, width - cell_width(text))
    return space + text if right else text + space


def wrap_line(line: str, width: int, indent: int = 4) -> list[str]:
    """A plain line wrapped at spaces to `width`, continued `indent` spaces in."""
    lead = len(line) - len(line.lstrip(" "))
    first, *rest = wrap(line, width - lead) if cell_width(line) > width else [line.strip()]
    more = wrap(" ".join(rest), width - lead - indent) if rest else []
    return [" " * lead + first] + [" " * (lead + indent) + part for part in more]
