"""`pk notify`: drafting the message, the channels, and recording who was told."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import Pk

from promisekeeper.model.promise import Promise
from promisekeeper.telling.messages import NotifyError, draft

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _promise(to: list[str]) -> Promise:
    due = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
    return Promise(uuid="u", what="the Q3 numbers", to=to, made=NOW, due=due, original_due=due)


# -- templates -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("people", "greeting"),
    [
        (["Alice"], "Hi Alice,"),
        (["Alice", "Bob"], "Hi Alice and Bob,"),
        (["Alice", "Bob", "Carol"], "Hi Alice, Bob and Carol,"),
    ],
)
def test_templates_for_one_and_several_people(people: list[str], greeting: str) -> None:
    promise = _promise(people)
    heads_up = draft(
        promise,
        "heads-up",
        now=NOW,
        reason="The data is late.",
        new_due=datetime(2026, 11, 26, 16, tzinfo=UTC),
    )
    assert heads_up.subject == "Heads-up: the Q3 numbers"
    assert greeting in heads_up.body
    assert (
        "which I promised you for Tue 24 Nov 17:00: I may not make that date. The data is late."
        in heads_up.body
    )
    assert "I can offer a new date, Thu 26 Nov 17:00, or a partial delivery by Tue 24 Nov" in (
        heads_up.body
    )

    moved = draft(
        promise,
        "new-date",
        now=NOW,
        promised_due=datetime(2026, 11, 23, 16, tzinfo=UTC),
        new_due=promise.due,
    )
    assert 'I promised you "the Q3 numbers" for Mon 23 Nov 17:00, and I won\'t make that date.' in (
        moved.body
    )
    assert "The new date I can commit to is Tue 24 Nov 17:00." in moved.body

    apology = draft(promise, "apology", now=NOW)
    assert apology.subject == "Sorry: the Q3 numbers is late"
    assert "and I missed that date. I'm sorry." in apology.body
    assert "If part of it would help you now, I can deliver that part first" in apology.body

    done = draft(promise, "delivered", now=NOW, delivered="on time")
    assert done.subject == "Done: the Q3 numbers"
    assert '"the Q3 numbers" is done, on time for the Tue 24 Nov 17:00 I promised.' in done.body
    assert greeting in done.body


def test_user_template_overrides_and_bad_placeholders(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "delivered.txt").write_text(
        "Subject: Shipped {what}\n\nYo {to}: {what}, {delivered}.\n"
    )
    done = draft(_promise(["Al"]), "delivered", now=NOW, directory=tmp_path)
    assert (done.subject, done.body) == (
        "Shipped the Q3 numbers",
        "Yo Al: the Q3 numbers, on time.\n",
    )
    (templates / "apology.txt").write_text("Sorry {whom}\n")
    with pytest.raises(NotifyError, match=r"unknown placeholder \{whom\}"):
        draft(_promise(["Al"]), "apology", now=NOW, directory=tmp_path)
    (templates / "apology.txt").write_text("Sorry {to\n")
    with pytest.raises(NotifyError, match="apology.txt"):
        draft(_promise(["Al"]), "apology", now=NOW, directory=tmp_path)


# -- the command -----------------------------------------------------------------------------
def test_notify_prints_the_fitting_draft_and_records_it(ok: Pk, make) -> None:
    pid = make("the report", "alice", "2026-11-24 09:00", now="2026-11-16T10:00:00+01:00")
    before = ok("show", str(pid), "--json").json
    assert before["needs_telling"] is True and before["notified_at"] is None
    result = ok("notify", str(pid), "--reason", "The data is late.", "--new-due", "thu")
    assert "Subject: Heads-up: the report" in result.stdout
    assert "I can offer a new date, Thu 26 Nov 17:00, or a partial delivery" in result.stdout
    assert "Told alice via print: recorded on #1." in result.stdout
    after = ok("show", str(pid), "--json").json
    assert after["notified_at"] == "2026-11-23T09:00:00+00:00"
    assert after["notified_before_deadline"] is True
    assert after["needs_telling"] is False
    event = after["history"][-1]
    assert event["kind"] == "notified"
    assert event["details"]["to"] == ["alice"]
    assert event["details"]["channel"] == "print"
    assert event["details"]["template"] == "heads-up"
    assert "The data is late." in event["details"]["message"]
    assert "told alice via print (heads-up), before the deadline" in ok("show", str(pid)).stdout


def test_the_message_fits_the_standing(ok: Pk, pk: Pk, make) -> None:
    late = make("late", "a", "fri", now="2026-11-16T10:00:00+01:00")
    assert "Subject: Sorry: late is late" in ok("notify", str(late)).stdout
    moved = make("moved", "b", "tomorrow 9am")
    ok("notify", str(moved))
    ok("move", str(moved), "fri")
    out = ok("notify", str(moved)).stdout
    assert "Subject: New date for moved" in out
    assert "for Tue 24 Nov 09:00, and I won't make that date" in out
    kept = make("kept", "c", "fri")
    ok("keep", str(kept))
    assert '"kept" is done, on time for the Fri 27 Nov 17:00 I promised.' in (
        ok("notify", str(kept)).stdout
    )
    refused = pk("notify", str(kept), "--kind", "heads-up")
    assert refused.exit_code == 1
    assert "a heads-up is not true of #3: it is kept on time" in refused.stderr


def test_told_is_not_nagged_until_something_changes(ok: Pk, make) -> None:
    pid = make("x", "a", "tomorrow 9am")
    ok("notify", str(pid))
    assert ok("show", str(pid), "--json").json["needs_telling"] is False
    # The deadline passes: the heads-up does not cover the miss.
    assert ok("show", str(pid), "--json", now="2026-11-24T10:00:00+01:00").json["needs_telling"]
    ok("notify", str(pid), now="2026-11-24T10:00:00+01:00")
    ok("move", str(pid), "tomorrow 9am", now="2026-11-24T10:05:00+01:00")
    # Moved again, and at risk again at once: tell them the new date.
    assert ok("show", str(pid), "--json", now="2026-11-24T10:05:00+01:00").json["needs_telling"]


def test_list_and_status_mark_who_was_told(ok: Pk, make) -> None:
    pid = make("x", "a", "tomorrow 9am")
    ok("notify", str(pid))
    assert "at risk · ✉ told now" in ok("list").stdout
    assert "✉ told now" in ok("status").stdout
    assert "✉ told now" in ok("today").stdout


def test_message_option_replaces_the_draft(ok: Pk, make) -> None:
    pid = make("x", "a", "fri")
    result = ok("notify", str(pid), "--message", "Running a day late, sorry.")
    assert "Running a day late, sorry." in result.stdout
    event = ok("show", str(pid), "--json").json["history"][-1]
    assert event["details"]["message"] == "Running a day late, sorry.\n"


def test_empty_message_sends_nothing(pk: Pk, ok: Pk, make) -> None:
    pid = make("x", "a", "fri")
    result = pk("notify", str(pid), "--message", "   ")
    assert result.exit_code == 1 and "empty" in result.stderr
    assert ok("show", str(pid), "--json").json["notified_at"] is None


def _script(directory: Path, name: str, body: str) -> Path:
    path = directory / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_edit_in_editor(ok: Pk, pk: Pk, make, tmp_path: Path, monkeypatch) -> None:
    pid = make("x", "a", "fri")
    editor = _script(tmp_path, "ed.sh", 'printf "Subject: Mine\\n\\nMy own words\\n" > "$1"\n')
    monkeypatch.setenv("EDITOR", str(editor))
    monkeypatch.delenv("VISUAL", raising=False)
    ok("notify", str(pid), "--edit")
    details = ok("show", str(pid), "--json").json["history"][-1]["details"]
    assert (details["subject"], details["message"]) == ("Mine", "My own words\n")
    emptier = _script(tmp_path, "empty.sh", ': > "$1"\n')
    monkeypatch.setenv("EDITOR", str(emptier))
    assert pk("notify", str(pid), "--edit").exit_code == 1
    assert len(ok("show", str(pid), "--json").json["history"]) == 2


# -- channels --------------------------------------------------------------------------------
HOSTILE = 'it\'s "quoted" $(touch /tmp/pk-pwned) `id` $HOME; rm -rf / \\\nnext line'


def test_command_channel_passes_each_argument_verbatim_without_a_shell(
    ok: Pk, make, tmp_path: Path, isolated
) -> None:
    log = tmp_path / "argv.log"
    recorder = _script(
        tmp_path, "record.sh", f'for a in "$@"; do printf "%s\\0" "$a"; done >> "{log}"\n'
    )
    (isolated.parent / "config.toml").write_text(
        f'[notify]\nvia = "command"\ncommand = ["{recorder}", "--to={{handle}}", "{{message}}", '
        '"{subject}", "{email}"]\n'
    )
    ok("person", "alice", "--handle", "@al ice", "--email", "a@example.com")
    pid = make(HOSTILE, "alice", "fri")
    ok("notify", str(pid), "--message", HOSTILE)
    args = log.read_bytes().split(b"\0")[:-1]
    assert [a.decode() for a in args] == [
        "--to=@al ice",
        HOSTILE + "\n",
        "Heads-up: " + " ".join(HOSTILE.split()),
        "a@example.com",
    ]
    assert not Path("/tmp/pk-pwned").exists()
    assert ok("show", str(pid), "--json").json["history"][-1]["details"]["channel"] == "command"


def test_command_channel_one_message_per_person(ok: Pk, make, tmp_path: Path, isolated) -> None:
    log = tmp_path / "argv.log"
    recorder = _script(tmp_path, "rec.sh", f'printf "%s|%s\\n" "$1" "$2" >> "{log}"\n')
    (isolated.parent / "config.toml").write_text(
        f'[notify]\nvia = "command"\ncommand = ["{recorder}", "{{to}}", "{{message}}"]\n'
    )
    pid = make("x", "alice", "fri", "--to", "bob")
    ok("notify", str(pid), "--template", "heads-up")
    text = log.read_text()
    assert text.count("Hi alice,") == 1 and text.count("Hi bob,") == 1
    assert "Hi alice and bob" not in text
    told = [e for e in ok("show", str(pid), "--json").json["history"] if e["kind"] == "notified"]
    assert [e["details"]["to"] for e in told] == [["alice"], ["bob"]]


def test_failing_command_records_nothing(pk: Pk, ok: Pk, make, tmp_path: Path, isolated) -> None:
    failing = _script(tmp_path, "fail.sh", 'echo "no network" >&2; exit 3\n')
    (isolated.parent / "config.toml").write_text(
        f'[notify]\ncommand = ["{failing}", "{{message}}"]\n'
    )
    pid = make("x", "a", "fri")
    result = pk("notify", str(pid), "--via", "command")
    assert result.exit_code == 1
    assert "fail.sh failed (exit 3): no network" in result.stderr
    assert ok("show", str(pid), "--json").json["notified_at"] is None
    missing = pk("notify", str(pid), "--via", "command")
    assert missing.exit_code == 1


def test_command_channel_needs_a_command_and_known_placeholders(pk: Pk, make, isolated) -> None:
    pid = make("x", "a", "fri")
    result = pk("notify", str(pid), "--via", "command")
    assert result.exit_code == 1 and "no notify command configured" in result.stderr
    (isolated.parent / "config.toml").write_text('[notify]\ncommand = ["echo", "{phone}"]\n')
    result = pk("notify", str(pid), "--via", "command")
    assert result.exit_code == 1 and "unknown placeholder {phone}" in result.stderr


def test_command_timeout(pk: Pk, ok: Pk, make, tmp_path: Path, isolated) -> None:
    slow = _script(tmp_path, "slow.sh", "sleep 5\n")
    (isolated.parent / "config.toml").write_text(f'[notify]\ncommand = ["{slow}"]\ntimeout = 0.5\n')
    pid = make("x", "a", "fri")
    result = pk("notify", str(pid), "--via", "command")
    assert result.exit_code == 1 and "did not finish within 0.5 s" in result.stderr
    assert ok("show", str(pid), "--json").json["notified_at"] is None


def test_copy_channel(pk: Pk, ok: Pk, make, tmp_path: Path, monkeypatch) -> None:
    pid = make("x", "a", "fri")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))
    none = pk("notify", str(pid), "--via", "copy")
    assert none.exit_code == 1
    assert "wl-copy, xclip, xsel or pbcopy" in none.stderr
    assert ok("show", str(pid), "--json").json["notified_at"] is None
    clip = tmp_path / "clipboard"
    _script(bin_dir, "xclip", f'/bin/cat > "{clip}"\n')
    result = ok("notify", str(pid), "--via", "copy")
    assert "copied to the clipboard (xclip)" in result.stdout
    assert clip.read_text().startswith("Subject: Heads-up: x\n\nHi a,")


def test_email_channel_opens_mailto(pk: Pk, ok: Pk, make, tmp_path: Path, monkeypatch) -> None:
    pid = make("Q3 & Q4 numbers", "alice", "fri")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "url"
    _script(bin_dir, "xdg-open", f'printf "%s" "$1" > "{log}"\n')
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}/usr/bin:/bin")
    no_address = pk("notify", str(pid), "--via", "email")
    assert no_address.exit_code == 1
    assert "pk person alice --email" in no_address.stderr
    ok("person", "alice", "--email", "alice@example.com", "--channel", "email")
    result = ok("notify", str(pid))  # her preferred channel wins over the default
    assert "opened in your mail program (xdg-open)" in result.stdout
    url = log.read_text()
    assert url.startswith("mailto:alice@example.com?subject=Heads-up%3A%20Q3%20%26%20Q4%20numbers")
    assert "&body=Hi%20alice%2C" in url


def test_email_channel_smtp(ok: Pk, make, isolated, monkeypatch) -> None:
    sent = []

    class FakeSMTP:
        def __init__(self, host: str, port: int, timeout: float) -> None:
            sent.append(("connect", host, port))

        def __enter__(self) -> FakeSMTP:
            return self

        def __exit__(self, *exc: object) -> None:
            pass

        def starttls(self) -> None:
            sent.append(("starttls",))

        def login(self, user: str, password: str) -> None:
            sent.append(("login", user, password))

        def send_message(self, message) -> None:
            sent.append(("message", message["To"], message["Subject"], message.get_content()))

    monkeypatch.setattr("smtplib.SMTP", FakeSMTP)
    (isolated.parent / "config.toml").write_text(
        '[notify]\nvia = "email"\n[smtp]\nhost = "mail.example.com"\nport = 2525\n'
        'user = "me"\npassword = "pw"\nfrom = "me@example.com"\n'
    )
    ok("person", "alice", "--email", "alice@example.com")
    pid = make("x", "alice", "fri")
    result = ok("notify", str(pid))
    assert "sent by SMTP to alice@example.com" in result.stdout
    assert sent[:3] == [("connect", "mail.example.com", 2525), ("starttls",), ("login", "me", "pw")]
    assert sent[3][1:3] == ("alice@example.com", "Heads-up: x")
    assert "Hi alice," in sent[3][3]


def test_via_beats_person_beats_config(ok: Pk, make, isolated) -> None:
    (isolated.parent / "config.toml").write_text('[notify]\nvia = "copy"\n')
    ok("person", "alice", "--channel", "print")
    pid = make("x", "alice", "fri")
    assert "via print" in ok("notify", str(pid)).stdout
    assert "via print" in ok("notify", str(pid), "--via", "print").stdout


def test_unknown_channel_and_id(pk: Pk, make) -> None:
    pid = make("x", "a", "fri")
    assert pk("notify", str(pid), "--via", "pigeon").exit_code == 1
    assert pk("notify", "99").exit_code == 1


def test_keep_tell_sends_delivered(ok: Pk, make) -> None:
    pid = make("the slides", "alice", "fri")
    result = ok("keep", str(pid), "--tell")
    assert '"the slides" is done, on time for the Fri 27 Nov 17:00 I promised.' in result.stdout
    kinds = [e["kind"] for e in ok("show", str(pid), "--json").json["history"]]
    assert kinds == ["made", "kept", "notified"]
    other = make("more", "alice", "fri")
    ok("keep", str(other), "--no-tell")
    assert ok("show", str(other), "--json").json["notified_at"] is None


def test_a_move_they_were_not_told_about_needs_telling(ok: Pk, make) -> None:
    pid = make("x", "a", "fri")
    assert ok("show", str(pid), "--json").json["needs_telling"] is False
    ok("move", str(pid), "2026-12-10")
    assert ok("show", str(pid), "--json").json["standing"] == "on_track"
    assert ok("show", str(pid), "--json").json["needs_telling"] is True
    assert "Subject: New date for x" in ok("notify", str(pid)).stdout
    assert ok("show", str(pid), "--json").json["needs_telling"] is False


def test_delivered_after_a_late_move_never_says_on_time(ok: Pk, make) -> None:
    """Moved after the deadline, then kept by the new date: kept late everywhere, and the
    delivered note says how late (it once said "done, on time")."""
    pid = make("the report", "erin", "fri")  # Fri 27 Nov 17:00
    ok("move", str(pid), "mon", "--reason", "forgot", now="2026-11-28T11:00:00+01:00")
    ok("keep", str(pid), now="2026-11-29T10:00:00+01:00")
    later = "2026-11-29T12:00:00+01:00"
    assert ok("show", str(pid), "--json", now=later).json["standing"] == "kept_late"
    shown = ok("show", str(pid), now=later).stdout
    assert "18 hours late, moved after the deadline" in shown, shown
    note = ok("notify", str(pid), now=later).stdout
    assert "on time" not in note
    assert (
        '"the report" is done, by the new date, Mon 30 Nov 17:00, but after the '
        "Fri 27 Nov 17:00 I first promised. I'm sorry for the delay. Forgot." in note
    )
    assert ok("stats", "--json", now=later).json["kept_late"] == 1
