"""`pk today`: the daily check."""

from __future__ import annotations

from collections.abc import Callable

from conftest import Pk


def test_empty_ledger_says_how_to_start(ok: Pk) -> None:
    result = ok("today")
    assert "No open promises" in result.stdout
    assert "pk promise" in result.stdout


def test_bare_pk_runs_today(ok: Pk, make: Callable[..., int]) -> None:
    make("Send the numbers", "alice", "fri")
    assert ok().stdout == ok("today").stdout


def test_nothing_to_worry_is_one_line_with_the_next_promise(ok: Pk, make) -> None:
    make("Send the numbers", "alice", "fri")
    lines = ok("today").stdout.strip().splitlines()
    assert lines == [
        "Nothing overdue, due today or at risk. 1 open; next: #1 Send the numbers → alice, "
        "Fri 27 Nov 17:00, in 4 days."
    ]


def test_groups_overdue_due_today_at_risk_and_kept(ok: Pk, make) -> None:
    late = make("late report", "alice", "fri", now="2026-11-16T10:00:00+01:00")
    due_today = make("review PR", "bob", "15:00")
    risky = make("draft spec", "carol", "tomorrow 9am")
    safe = make("plan offsite", "dan", "2026-12-20")
    done = make("fix login", "erin", "fri")
    ok("keep", str(done))
    result = ok("today")
    out = result.stdout
    assert out.index("Overdue (1)") < out.index("Due today (1)") < out.index("At risk (1)")
    assert out.index("At risk (1)") < out.index("Kept today (1)")
    assert f"#{late}  late report → alice · was due Fri 20 Nov 17:00, 2 days 17 hours late" in out
    assert f"#{due_today}  review PR → bob · due" in out
    assert f"#{risky}  draft spec → carol" in out
    assert f"#{safe} " not in out
    assert f"#{done}  fix login → erin · on time" in out
    assert "1 overdue · 1 due today · 1 at risk · 4 open" in out


def test_json_groups(ok: Pk, make) -> None:
    late = make("late", "a", "fri", now="2026-11-16T10:00:00+01:00")
    risky = make("risky", "b", "tomorrow 9am", now="2026-11-23T10:00:00+01:00")
    data = ok("today", "--json").json
    assert set(data) == {"overdue", "due_today", "at_risk", "kept_today", "owed"}
    assert [p["id"] for p in data["overdue"]] == [late]
    assert [p["id"] for p in data["at_risk"]] == [risky]
    assert data["overdue"][0]["standing"] == "overdue"


def test_twenty_percent_rule_puts_long_promises_at_risk_early(ok: Pk, make) -> None:
    # Promised 30 days ahead; 5 days before the due date less than 20% of the span is left.
    pid = make("quarterly plan", "a", "2026-12-23", now="2026-11-23T17:00:00+01:00")
    assert ok("today", "--json", now="2026-12-10T10:00:00+01:00").json["at_risk"] == []
    at_risk = ok("today", "--json", now="2026-12-18T10:00:00+01:00").json["at_risk"]
    assert [p["id"] for p in at_risk] == [pid]


def test_risk_window_comes_from_config(ok: Pk, make, isolated) -> None:
    make("x", "a", "wed 9am")  # 47 hours away
    assert ok("today", "--json").json["at_risk"] == []
    (isolated.parent / "config.toml").write_text('risk_window = "48h"\n')
    assert len(ok("today", "--json").json["at_risk"]) == 1
