"""How reliable am I? `pk stats` (the track record) and `pk trust` (the trust bank)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from promisekeeper.face.commands import common
from promisekeeper.face.commands.common import JsonOption, print_json, say, state

if TYPE_CHECKING:
    from promisekeeper.rules.track import Account
    from promisekeeper.services.ledger import Ledger

KIND_WORDS = {
    "kept_on_time": "kept on time",
    "kept_early": "kept early",
    "told_before_deadline": "told before the deadline",
    "moved_in_advance": "moved in advance",
    "broken": "broken",
    "kept_late_without_notice": "kept late, no notice",
    "kept_late_with_notice": "kept late, with notice",
    "overdue_without_notice": "overdue, no notice",
    "moved_after_deadline": "moved after the deadline",
}


def stats(
    ctx: typer.Context,
    since: Annotated[
        str | None, typer.Option("--since", metavar="WHEN", help="Only promises made since.")
    ] = None,
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            "-t",
            metavar="PERSON",
            autocompletion=common.complete_people,
            help="Only promises to them.",
        ),
    ] = None,
    weeks: Annotated[int, typer.Option("--weeks", min=1, max=104, help="Weeks in the chart.")] = 12,
    as_json: JsonOption = False,
) -> None:
    """Your track record: kept on time, late, broken; lateness; moves; no-surprise rate.

    \b
    Examples:
      pk stats
      pk stats --to alice --since "2026-09-01"
      pk stats --json | jq .on_time_rate
    """
    ledger = state(ctx).ledger()
    start = common.since(ledger, since) if since else None
    figures = ledger.track_record(to=to or None, since=start, weeks=weeks)
    if as_json:
        print_json(figures)
        return
    say("\n".join(stats_text(figures, to, since)))


def _percent(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.0%}"


def _hours(hours: float | None) -> str:
    from datetime import timedelta

    from promisekeeper.rules.dates import format_span

    return "-" if hours is None else format_span(timedelta(hours=hours))


def stats_text(f: dict[str, Any], to: str | None, since: str | None) -> list[str]:
    """The figures in words, plus the week-by-week chart in plain characters."""
    from promisekeeper.telling.text import safe

    scope = f"promises to {safe(to)}" if to else "all promises"
    lines = [f"Track record: {scope}" + (f" made since {safe(since)}" if since else "")]
    if not f["made"]:
        return [*lines, "  No promises yet."]
    decided = f["kept"] + f["broken"]
    lines += [
        f"  made {f['made']} · open {f['open']} ({f['overdue']} overdue) · broken {f['broken']} · "
        f"released {f['released']}",
        f"  kept {f['kept']} ({f['kept_on_time']} on time, {f['kept_late']} late)",
        f"  on-time rate {_percent(f['on_time_rate'])} ({f['kept_on_time']} of {decided} kept "
        "or broken)",
        f"  lateness when late: median {_hours(f['lateness_median_hours'])}, "
        f"90th percentile {_hours(f['lateness_p90_hours'])}",
        f"  moves {f['moved']}, {f['moved_before_deadline']} of them before the deadline",
        f"  no surprises {_percent(f['no_surprise_rate'])}: told before the deadline for "
        f"{f['told_before_deadline']} of {f['slipped']} promises that slipped",
        "",
        "On time, week by week (kept or broken promises, by the week they were due):",
    ]
    weeks = f["weeks"]
    # The chart starts with the first week something came due, not with empty weeks before.
    first = next((i for i, week in enumerate(weeks) if week["due"]), len(weeks) - 1)
    for week in weeks[first:]:
        rate = week["on_time_rate"]
        filled = 0 if rate is None else round(rate * 20)
        bar = "█" * filled + "░" * (20 - filled)
        figure = "   -" if rate is None else f"{rate:4.0%}  {week['on_time']}/{week['due']}"
        lines.append(f"  {week['week']}  {bar} {figure}")
    return lines


def trust(
    ctx: typer.Context,
    person: Annotated[
        str | None,
        typer.Argument(
            metavar="PERSON",
            autocompletion=common.complete_people,
            help="One person (default: everyone, weakest first).",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """The trust bank: deposits (kept, early notice) and withdrawals (broken, late unannounced).

    Weights are in the README and can be changed under [trust] in config.toml. With a
    PERSON, also their record with you: what they promised you (pk expect) and how it went,
    shown apart from your balance, which counts only your own promises.

    \b
    Examples:
      pk trust
      pk trust alice
      pk trust --json
    """
    ledger = state(ctx).ledger()
    found = ledger.trust(person or None)
    theirs = ledger.their_record(person) if person else None
    if as_json:
        accounts = [account_json(a, ledger) for a in found]
        if theirs is not None:
            if not accounts and theirs["made"]:
                known = ledger.person(person or "")
                accounts = [_empty_account(known.name if known else person or "")]
            for account in accounts:
                account["their_record"] = theirs
        print_json(accounts)
        return
    if person:
        from promisekeeper.telling.text import one_line, safe

        lines = account_text(found[0], ledger) if found else []
        if theirs is not None and theirs["made"]:
            lines += their_record_text(theirs)
        say("\n".join(lines) if lines else f"No record with {safe(one_line(person))}.")
        return
    from promisekeeper.face.render import console, trust_table

    trust_table(
        [(a.person, a.balance, a.trend, a.deposits, a.withdrawals) for a in found],
        console(),
    )


def _empty_account(name: str) -> dict[str, Any]:
    """The account of someone you never promised anything: no entries, a balance of 0."""
    return {
        "person": name,
        "balance": 0,
        "trend": 0,
        "deposits": 0,
        "withdrawals": 0,
        "recent": [],
    }


def their_record_text(figures: dict[str, int]) -> list[str]:
    """What they promised you and how it went (Ledger.their_record)."""
    late = figures["kept_late"]
    parts = [f"promised you {figures['made']}"]
    if figures["open"]:
        overdue = f" ({figures['overdue']} overdue)" if figures["overdue"] else ""
        parts.append(f"open {figures['open']}{overdue}")
    parts.append(f"on time {figures['kept_on_time']}")
    parts.append(f"late {late}")
    parts.append(f"broken {figures['broken']}")
    if figures["released"]:
        parts.append(f"released {figures['released']}")
    return ["Their record with you (not in your balance):", "  " + " · ".join(parts)]


def account_json(account: Account, ledger: Ledger) -> dict[str, Any]:
    from promisekeeper.model.times import iso

    return {
        "person": account.person,
        "balance": account.balance,
        "trend": account.trend,
        "deposits": account.deposits,
        "withdrawals": account.withdrawals,
        "recent": [
            {"at": iso(e.at), "kind": e.kind, "amount": e.amount, "promise": e.promise}
            for e in account.recent
        ],
    }


def account_text(account: Account, ledger: Ledger) -> list[str]:
    from promisekeeper.face.render import signed as _signed
    from promisekeeper.face.render import trend_arrow
    from promisekeeper.rules.dates import format_day_time
    from promisekeeper.telling.text import one_line, safe

    trend = account.trend
    arrow = trend_arrow(trend)
    lines = [
        f"Trust bank: {safe(account.person)}",
        f"  balance {_signed(account.balance)} (deposits {_signed(account.deposits)}, "
        f"withdrawals {_signed(account.withdrawals)}); last 30 days {_signed(trend)} {arrow}",
        "  Last entries:",
    ]
    titles = ledger.titles([entry.promise for entry in account.recent])
    for entry in account.recent:
        day = format_day_time(entry.at, ledger.now)
        what = one_line(titles.get(entry.promise, ""), 40)
        lines.append(
            f"    {day}  {_signed(entry.amount):>3}  {KIND_WORDS[entry.kind]:<26} "
            f"#{entry.promise} {what}"
        )
    return lines
