"""`pk promise`: recording what, to whom, by when."""

from __future__ import annotations

from conftest import Pk


def test_promise_prints_id_person_and_due_in_words(ok: Pk) -> None:
    result = ok("promise", "Send the Q3 numbers", "--to", "Alice", "--due", "fri")
    assert "#1 Send the Q3 numbers → Alice" in result.stdout
    assert "due Fri 27 Nov 17:00, in 4 days" in result.stdout


def test_several_words_are_joined_and_stored(ok: Pk) -> None:
    ok("promise", "fix", "the", "login", "--to", "bob", "--due", "tomorrow 3pm")
    [promise] = ok("list", "--json").json
    assert promise["what"] == "fix the login"
    assert promise["to"] == ["bob"]
    assert promise["due"] == "2026-11-24T14:00:00+00:00"
    assert promise["made"] == "2026-11-23T09:00:00+00:00"
    assert promise["status"] == "open"
    assert promise["standing"] == "on_track"


def test_json_output_has_the_contract_fields(ok: Pk) -> None:
    result = ok("promise", "x", "-t", "a", "-d", "fri", "--tag", "q3", "--note", "n", "--json")
    obj = result.json
    for key in (
        "id",
        "uuid",
        "what",
        "to",
        "due",
        "made",
        "status",
        "standing",
        "kept_at",
        "moves",
        "tags",
        "note",
    ):
        assert key in obj
    assert obj["tags"] == ["q3"] and obj["note"] == "n" and obj["kept_at"] is None
    assert obj["moves"] == 0


def test_several_people_and_case_insensitive_names(ok: Pk) -> None:
    ok("promise", "first", "--to", "Alice", "--due", "fri")
    result = ok("promise", "second", "--to", "alice", "--to", "bob", "--due", "fri", "--json")
    assert result.json["to"] == ["Alice", "bob"]
    assert len(ok("list", "--to", "ALICE", "--json").json) == 2


def test_missing_person_or_date_is_a_usage_error_off_a_terminal(pk: Pk) -> None:
    no_person = pk("promise", "x", "--due", "fri")
    assert no_person.exit_code == 2
    assert "--to" in no_person.stderr
    no_date = pk("promise", "x", "--to", "a")
    assert no_date.exit_code == 2
    assert "--due" in no_date.stderr
    no_text = pk("promise", "--to", "a", "--due", "fri")
    assert no_text.exit_code == 2
    assert pk("list", "--json").json == []


def test_unparseable_date_is_a_clear_error_and_writes_nothing(pk: Pk, isolated) -> None:
    result = pk("promise", "x", "--to", "a", "--due", "someday soon")
    assert result.exit_code == 1
    assert result.stderr.startswith('pk: cannot understand date "someday soon"')
    assert "tomorrow" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not isolated.exists()


def test_past_due_needs_force(pk: Pk, ok: Pk) -> None:
    result = pk("promise", "x", "--to", "a", "--due", "yesterday")
    assert result.exit_code == 1
    assert "--force" in result.stderr
    ok("promise", "x", "--to", "a", "--due", "yesterday", "--force")
    assert ok("list", "--json").json[0]["standing"] == "overdue"


def test_empty_text_and_empty_person_are_refused(pk: Pk) -> None:
    assert pk("promise", "   ", "--to", "a", "--due", "fri").exit_code in (1, 2)
    result = pk("promise", "x", "--to", " ", "--due", "fri")
    assert result.exit_code == 1
    assert "person" in result.stderr
    result = pk("promise", "x", "--to", "a", "--due", "fri", "--tag", "two words")
    assert result.exit_code == 1


def test_markup_in_text_is_shown_literally(ok: Pk) -> None:
    result = ok("promise", "[bold]x[/]", "--to", "[red]al[/]", "--due", "fri")
    assert "[bold]x[/] → [red]al[/]" in result.stdout


def test_prompts_for_missing_parts_on_a_terminal(ok: Pk, monkeypatch) -> None:
    monkeypatch.setattr("promisekeeper.face.commands.common.interactive", lambda: True)
    result = ok("promise", input="Send it\nalice\nfri\n")
    assert "#1 Send it → alice" in result.stdout
    assert ok("list", "--json").json[0]["due"] == "2026-11-27T16:00:00+00:00"
