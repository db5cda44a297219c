"""`pk status`, `pk list` and `pk show`."""

from __future__ import annotations

from conftest import Pk


def _ledger(ok: Pk, make) -> dict[str, int]:
    ids = {
        "late": make("late report", "alice", "fri", now="2026-11-16T10:00:00+01:00"),
        "risky": make("draft spec", "carol", "tomorrow 9am"),
        "safe": make("plan offsite", "dan", "2026-12-20", "--tag", "team"),
        "kept": make("fix login", "erin", "fri"),
        "old": make("old thing", "erin", "fri", now="2026-10-01T10:00:00+02:00"),
    }
    ok("keep", str(ids["kept"]))
    ok("keep", str(ids["old"]), now="2026-10-02T10:00:00+02:00")
    return ids


def test_status_groups_in_order_and_summary(ok: Pk, make) -> None:
    _ledger(ok, make)
    out = ok("status").stdout
    assert out.index("Overdue (1)") < out.index("At risk (1)") < out.index("On track (1)")
    assert out.index("On track (1)") < out.index("Recently kept (1)")
    assert "old thing" not in out  # kept more than 14 days ago
    assert "1 overdue · 1 at risk · 3 open · 1 kept on time this month" in out
    assert "\x1b[" not in out


def test_status_leaves_out_empty_groups(ok: Pk, make) -> None:
    make("plan", "dan", "2026-12-20")
    out = ok("status").stdout
    assert "On track (1)" in out
    assert "Overdue" not in out and "At risk" not in out and "Recently kept" not in out


def test_status_json(ok: Pk, make) -> None:
    ids = _ledger(ok, make)
    data = ok("status", "--json").json
    assert [p["id"] for p in data["overdue"]] == [ids["late"]]
    assert [p["id"] for p in data["at_risk"]] == [ids["risky"]]
    assert [p["id"] for p in data["on_track"]] == [ids["safe"]]
    assert [p["id"] for p in data["recently_kept"]] == [ids["kept"]]
    assert data["summary"] == {
        "open": 3,
        "at_risk": 1,
        "overdue": 1,
        "kept_on_time_this_month": 1,
        "owed_to_you": 0,
    }


def test_list_filters(ok: Pk, make) -> None:
    ids = _ledger(ok, make)
    assert {p["id"] for p in ok("list", "--json").json} == {ids["late"], ids["risky"], ids["safe"]}
    assert [p["id"] for p in ok("list", "--to", "ERIN", "--status", "kept", "--json").json] == [
        ids["old"],
        ids["kept"],
    ]
    assert [p["id"] for p in ok("list", "--tag", "team", "--json").json] == [ids["safe"]]
    before = ok("list", "--due-before", "wed", "--json").json
    assert [p["id"] for p in before] == [ids["late"], ids["risky"]]
    assert len(ok("list", "--status", "all", "--json").json) == 5


def test_list_text_and_bad_status(ok: Pk, pk: Pk, make) -> None:
    _ledger(ok, make)
    out = ok("list").stdout
    assert "late report" in out and "overdue" in out and "team" in out
    bad = pk("list", "--status", "done")
    assert bad.exit_code == 2
    assert ok("list", "--to", "nobody").stdout.strip() == "No promises match."


def test_show_text_has_history_and_moves(ok: Pk, make) -> None:
    pid = make("report", "alice", "fri", "--note", "for the board")
    ok("move", str(pid), "mon", "--reason", "data late")
    out = ok("show", str(pid)).stdout
    assert "#1  report" in out
    assert "Moved     1 time, first promised for Fri 27 Nov 17:00" in out
    assert "for the board" in out
    assert "promised to alice, due Fri 27 Nov 17:00" in out
    assert "moved from Fri 27 Nov 17:00 to Mon 30 Nov 17:00, before the deadline: data late" in out


def test_user_text_is_escaped_in_tables(ok: Pk, make) -> None:
    make("[bold]x[/] \x1b[31mred", "[link=http://e.vil]al[/link]", "fri")
    for command in ("status", "list", "show"):
        args = [command, "1"] if command == "show" else [command]
        out = ok(*args).stdout
        assert "[bold]x[/]" in out
        assert "\\x1b[31mred" in out
        assert "\x1b" not in out
    assert ok("list", "--json").json[0]["what"] == "[bold]x[/] \x1b[31mred"
