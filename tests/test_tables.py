"""Listings that read at 80 columns: tables on a terminal (a real pseudo-terminal, the installed
pk), plain lines in a pipe, one wording for durations and one summary line style."""

from __future__ import annotations

import os
import sys
import unicodedata
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import Pk

from promisekeeper.rules.dates import (
    format_amount,
    format_day,
    format_short_amount,
    format_short_day,
    format_short_relative,
)

PK = Path(sys.executable).parent / "pk"
NOW = "2026-11-23T10:00:00+01:00"
BERLIN = ZoneInfo("Europe/Berlin")
LOCAL_NOW = datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN)

LONG = (
    "Write the post-mortem for the November outage with the timeline, the customer impact "
    "assessment and remediation action items"
)


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


# ------------------------------------------------------------------------------ short forms
@pytest.mark.parametrize(
    ("delta", "amount", "short"),
    [
        (timedelta(seconds=30), "0 minutes", "0m"),
        (timedelta(minutes=45), "45 minutes", "45m"),
        (timedelta(minutes=60), "1 hour", "1h"),
        (timedelta(hours=28), "28 hours", "28h"),
        (timedelta(days=-2, hours=-5), "2 days", "2d"),
        (timedelta(days=15), "2 weeks", "2w"),
        (timedelta(days=90), "3 months", "3mo"),
        (timedelta(days=800), "2 years", "2y"),
    ],
)
def test_amounts_long_and_short(delta: timedelta, amount: str, short: str) -> None:
    assert format_amount(delta) == amount
    assert format_short_amount(delta) == short


def test_short_days_and_relatives() -> None:
    assert format_day(datetime(2026, 12, 11, 17, tzinfo=BERLIN), LOCAL_NOW) == "Fri 11 Dec"
    assert format_day(datetime(2027, 1, 4, 17, tzinfo=BERLIN), LOCAL_NOW) == "Mon 4 Jan 2027"
    assert format_short_day(datetime(2026, 11, 23, 11, tzinfo=BERLIN), LOCAL_NOW) == "today 11:00"
    assert format_short_day(datetime(2026, 11, 24, 9, tzinfo=BERLIN), LOCAL_NOW) == "Tue 24 Nov"
    assert format_short_relative(LOCAL_NOW - timedelta(days=7), LOCAL_NOW) == "7d ago"
    assert format_short_relative(LOCAL_NOW + timedelta(hours=5), LOCAL_NOW) == "in 5h"
    assert format_short_relative(LOCAL_NOW, LOCAL_NOW) == "now"


# ------------------------------------------------------------------------------ a ledger
def _ledger(ok: Pk) -> None:
    week_ago = "2026-11-16T10:00:00+01:00"
    ok("promise", "Plan the offsite", "--to", "evelyn", "--to", "frank", "--due", "2026-11-18",
       "--tag", "team", "--tag", "planning", now=week_ago)  # fmt: skip
    ok("promise", LONG, "--to", "alice", "--to", "bob", "--to", "carol", "--due", "2026-11-20",
       "--tag", "operations", "--tag", "writing", now=week_ago)  # fmt: skip
    told = "2026-11-21T10:00:00+01:00"
    ok("notify", "2", "--via", "print", "--reason", "waiting for logs", now=told)
    ok("promise", "Fix the login page redirect", "--to", "robert, jr", "--due", "today 11:00")
    ok("promise", "Send the Q3 numbers to finance", "--to", "carolina", "--due",
       "2026-11-24 14:00", now=week_ago)  # fmt: skip
    ok("promise", "Review the RFC on the new storage engine, sections 2 to 4", "--to",
       "dana maria", "--due", "2026-12-11", "--tag", "review", "--tag", "storage")  # fmt: skip
    ok("promise", "An old thing that was broken", "--to", "frankie", "--due", "2026-11-19",
       now=week_ago)  # fmt: skip
    ok("break", "6", "--reason", "vendor failed")


# ------------------------------------------------------------------------------ at 80 columns
@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("CI", "PK_DEBUG", "COLUMNS")}
    environ.update(
        PK_DB=os.environ["PK_DB"],
        PK_CONFIG=os.environ["PK_CONFIG"],
        PK_NOW=NOW,
        TZ="Europe/Berlin",
        TERM="dumb",
        NO_COLOR="1",
    )
    return environ


def on_terminal(env: dict[str, str], *args: str, columns: int = 80) -> list[str]:
    pexpect = pytest.importorskip("pexpect")
    if not PK.exists():
        pytest.skip("needs the installed pk entry point")
    child = pexpect.spawn(
        str(PK), list(args), env=env, encoding="utf-8", timeout=30, dimensions=(24, columns)
    )
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    return child.before.replace("\r\n", "\n").split("\n")


def columns_of(header: str, lines: list[str]) -> dict[str, int]:
    """Each column's width, from where the header puts the column names."""
    names = header.split()
    starts = [header.index(name) for name in names]
    widths = {}
    for name, start, end in zip(names, starts, [*starts[1:], None], strict=True):
        if end is None:
            widths[name] = max(width(line[start:]) for line in lines)
        else:
            widths[name] = end - start - 2  # the gap between columns
    return widths


@pytest.mark.parametrize(
    "args", [("list",), ("list", "--status", "all"), ("status", "--no-prompt")]
)
def test_tables_at_80_columns_keep_words_whole(ok: Pk, env: dict[str, str], args) -> None:
    _ledger(ok)
    lines = on_terminal(env, *args)
    text = "\n".join(lines)
    assert max(width(line) for line in lines) <= 80, text
    assert all(line == line.rstrip() for line in lines), text
    # Every word of the long title is there whole: none is split across two lines.
    words = set(text.split())
    assert set(LONG.split()) <= words, text
    # Dates and standings are in their short forms, so the title has room.
    assert "Fri 20 Nov" in text and "Fri 20 Nov 17:00" not in text
    headers = [i for i, line in enumerate(lines) if line.startswith("ID ")]
    assert headers, text
    for at in headers:
        body = []
        for line in lines[at + 2 :]:
            if not line.strip() or not line.startswith(" "):
                break
            body.append(line)
        widths = columns_of(lines[at], [lines[at], *body])
        assert widths.pop("ID") >= 2
        # The columns that wrap are never squeezed under 10; the others never wrap.
        assert min(widths[name] for name in ("To", "What", "Tags") if name in widths) >= 10, (
            widths,
            text,
        )
        assert widths["What"] >= 16, (widths, text)


def test_list_at_80_columns_says_short_standings(ok: Pk, env: dict[str, str]) -> None:
    _ledger(ok)
    text = "\n".join(on_terminal(env, "list", "--status", "all"))
    assert "overdue 4d" in text  # Plan the offsite: due Wed 18 Nov 17:00
    assert "overdue 2d · ✉ 2d ago" in text
    assert "today 11:00" in text


def test_a_wide_terminal_has_the_long_forms(ok: Pk, env: dict[str, str]) -> None:
    _ledger(ok)
    text = "\n".join(on_terminal(env, "list", "--status", "all", columns=240))
    assert "Fri 20 Nov 17:00, 2 days ago" in text
    assert "overdue · ✉ told 2 days ago" in text
    assert LONG in text


def test_a_narrow_terminal_gets_whole_words_in_plain_lines(ok: Pk, env: dict[str, str]) -> None:
    _ledger(ok)
    lines = on_terminal(env, "list", columns=40)
    assert max(width(line) for line in lines) <= 40
    assert set(LONG.split()) <= set("\n".join(lines).split())


# ------------------------------------------------------------------------------ in a pipe
@pytest.mark.parametrize("args", [("list",), ("list", "--status", "all"), ("status",)])
def test_piped_listings_are_plain_lines(ok: Pk, args) -> None:
    _ledger(ok)
    out = ok(*args).stdout
    for line in out.splitlines():
        assert line == line.rstrip(), repr(line)
        assert "   " not in line.strip(), repr(line)  # no padding to columns
    assert f"#2  {LONG} → alice, bob, carol · due Fri 20 Nov 17:00" in out


def test_piped_list_is_one_line_per_promise(ok: Pk) -> None:
    _ledger(ok)
    lines = ok("list", "--status", "all").stdout.splitlines()
    assert len(lines) == 6 + 1
    assert lines[2] == (
        f"#2  {LONG} → alice, bob, carol · due Fri 20 Nov 17:00, 2 days ago · overdue"
        " · ✉ told 2 days ago · tags: operations writing"
    )
    assert lines[-1] == "2 overdue · 2 at risk · 1 on track · 1 broken · 6 promises"


# ------------------------------------------------------------------------------ the smaller items
def test_one_summary_line_style(ok: Pk) -> None:
    _ledger(ok)
    assert "2 overdue · 1 due today · 1 at risk · 5 open" in ok("today", "--no-prompt").stdout
    assert ok("status").stdout.splitlines()[-1] == "2 overdue · 2 at risk · 5 open"
    assert ok("list").stdout.splitlines()[-1] == "2 overdue · 2 at risk · 1 on track · 5 promises"
    ok("keep", "5")
    assert ok("status").stdout.splitlines()[-1] == (
        "2 overdue · 2 at risk · 4 open · 1 kept on time this month"
    )


def test_an_hour_is_an_hour(ok: Pk) -> None:
    made = ok("promise", "Call back", "--to", "bob", "--due", "today 11:00").stdout
    assert "in 1 hour" in made and "60 minutes" not in made
    assert "in 1 hour" in ok("list").stdout


def test_show_says_each_duration_one_way(ok: Pk) -> None:
    _ledger(ok)
    shown = "\n".join(line.rstrip() for line in ok("show", "4").stdout.splitlines())
    assert "Due       Tue 24 Nov 14:00, in 28 hours\n" in shown  # at risk, due in 28 hours
    assert "Standing  at risk\n" in shown
    assert "(28 hours left)" in shown
    assert "1 day 4 hours" not in shown
    late = ok("show", "2").stdout
    assert "Due       Fri 20 Nov 17:00\n" in "\n".join(line.rstrip() for line in late.splitlines())
    assert "Standing  overdue (2 days 17 hours late)" in late
    assert "2 days ago" not in late.split("History")[0]


def test_show_does_not_repeat_the_standing(ok: Pk) -> None:
    _ledger(ok)
    shown = [line.rstrip() for line in ok("show", "6").stdout.splitlines()]
    assert "Standing  broken" in shown
    assert "broken (broken)" not in "\n".join(shown)
    ok("keep", "5")
    kept = [line.rstrip() for line in ok("show", "5").stdout.splitlines()]
    assert "Standing  kept on time (18 days 7 hours early)" in kept


def test_stats_starts_with_the_first_week_and_fits_80_columns(ok: Pk) -> None:
    ok("promise", "a", "--to", "bob", "--due", "2026-11-18", now="2026-11-16T10:00:00+01:00")
    ok("keep", "1", now="2026-11-17T10:00:00+01:00")
    lines = ok("stats").stdout.splitlines()
    chart = lines[lines.index(next(x for x in lines if x.startswith("On time, week"))) + 1 :]
    assert [line.split()[0] for line in chart] == ["2026-W47", "2026-W48"]
    assert max(width(line) for line in lines) <= 80
    assert ok("stats", "--json").json["weeks"][0]["week"] == "2026-W37"  # JSON unchanged
