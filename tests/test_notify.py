"""`pk notify`: drafting the message, the channels, and recording who was told."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
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


def _mail_desktop(bin_dir: Path, log: Path, handler: str = "thunderbird.desktop") -> None:
    """A desktop's xdg-mime (naming the mailto: handler, or none) and an xdg-open that logs."""
    _script(bin_dir, "xdg-mime", f'printf "%s" "{handler}"\n')
    _script(bin_dir, "xdg-open", f'printf "%s" "$1" > "{log}"\n')


def test_email_channel_opens_mailto(pk: Pk, ok: Pk, make, tmp_path: Path, monkeypatch) -> None:
    pid = make("Q3 & Q4 numbers", "alice", "fri")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "url"
    _mail_desktop(bin_dir, log)
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


@pytest.mark.parametrize("desktop", ["no-handler", "opener-fails", "no-opener"])
def test_email_without_a_mail_program_prints_the_message_and_records_nothing(
    pk: Pk, ok: Pk, make, tmp_path: Path, monkeypatch, desktop: str
) -> None:
    pid = make("Send the long report " + "with many words " * 20, "alice", "fri")
    ok("person", "alice", "--email", "alice@example.com")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "url"
    if desktop == "no-handler":
        _mail_desktop(bin_dir, log, handler="")
    elif desktop == "opener-fails":
        _mail_desktop(bin_dir, log)
        _script(
            bin_dir,
            "xdg-open",
            "echo \"xdg-open: no method available for opening '$1'\" >&2\nexit 3\n",
        )
    monkeypatch.setenv("PATH", str(bin_dir))
    result = pk("notify", str(pid), "--via", "email")
    assert result.exit_code == 1
    # The message, ready to paste; never the mailto: link, which is as long as the message.
    assert result.stdout.startswith("Subject: Heads-up: Send the long report")
    assert "Hi alice," in result.stdout
    assert "mailto:alice" not in result.stdout + result.stderr
    assert result.stderr.count("\n") == 1 and len(result.stderr) < 300, result.stderr
    assert result.stderr.startswith("pk: alice not told via email: ")
    assert "nothing was sent" in result.stderr and "--via copy" in result.stderr
    assert not log.exists()
    assert ok("show", str(pid), "--json").json["notified_at"] is None


# -- e-mail through a real SMTP server (aiosmtpd on 127.0.0.1) -------------------------------
def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Mailbox:
    """What the local SMTP server received, and who logged in."""

    port: int
    envelopes: list = field(default_factory=list)
    logins: list = field(default_factory=list)
    refuse: set = field(default_factory=set)

    def messages(self) -> list[EmailMessage]:
        return [
            message_from_bytes(e.original_content or e.content, policy=email_policy.default)
            for e in self.envelopes
        ]


@pytest.fixture
def smtp_server() -> Iterator[Mailbox]:
    """A real SMTP server in this process: plain SMTP on a free port, AUTH as me/pw."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    box = Mailbox(_free_port())

    class Handler:
        async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: ANN001
            if address in box.refuse:
                return "550 5.1.1 No such mailbox here"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):  # noqa: ANN001
            box.envelopes.append(envelope)
            return "250 Message accepted"

    def authenticator(server, session, envelope, mechanism, auth_data):  # noqa: ANN001
        good = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            b"me",
            b"pw",
        )
        box.logins.append((auth_data.login.decode(), good))
        return AuthResult(success=good, handled=False)  # the server says 535

    controller = Controller(
        Handler(),
        hostname="127.0.0.1",
        port=box.port,
        authenticator=authenticator,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


def _smtp_config(isolated: Path, port: int, *, password: str = "pw", extra: str = "") -> None:
    (isolated.parent / "config.toml").write_text(
        f'[notify]\nvia = "email"\n[smtp]\nhost = "127.0.0.1"\nport = {port}\n'
        f'starttls = false\nuser = "me"\npassword = "{password}"\n'
        f'from = "Me Myself <me@example.com>"\n{extra}'
    )


def test_email_through_smtp_arrives_with_encoded_names(
    ok: Pk, make, isolated: Path, smtp_server: Mailbox
) -> None:
    _smtp_config(isolated, smtp_server.port)
    ok("person", "Zoë Ångström", "--email", "zoe@example.com")
    pid = make("Präsentation für Zoë", "Zoë Ångström", "fri")
    result = ok("notify", f"#{pid}", "--reason", "Die Daten kommen später.")
    assert (
        f"Told Zoë Ångström via email (sent by SMTP to zoe@example.com): recorded on #{pid}."
        in result.stdout
    )
    assert smtp_server.logins == [("me", True)]
    [envelope] = smtp_server.envelopes
    assert envelope.mail_from == "me@example.com"
    assert envelope.rcpt_tos == ["zoe@example.com"]
    raw = envelope.original_content or envelope.content
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()  # non-ASCII headers travel as RFC 2047 encoded words
    assert b"=?utf-8?" in head.lower()
    [message] = smtp_server.messages()
    assert message["Subject"] == "Heads-up: Präsentation für Zoë"
    [to] = message["To"].addresses
    assert (to.display_name, to.addr_spec) == ("Zoë Ångström", "zoe@example.com")
    [sender] = message["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("Me Myself", "me@example.com")
    assert message["Date"] and message["Message-ID"].endswith("@example.com>")
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    body = message.get_content()
    assert "Hi Zoë Ångström," in body
    assert "Präsentation für Zoë" in body and "Die Daten kommen später." in body
    told = ok("show", str(pid), "--json").json
    assert told["notified_at"] is not None
    assert told["history"][-1]["details"]["channel"] == "email"
    assert told["history"][-1]["details"]["to"] == ["Zoë Ångström"]


def test_one_message_to_several_people_and_a_refused_address(
    pk: Pk, ok: Pk, make, isolated: Path, smtp_server: Mailbox
) -> None:
    _smtp_config(isolated, smtp_server.port)
    ok("person", "alice", "--email", "alice@example.com")
    ok("person", "bob", "--email", "bob@example.com")
    smtp_server.refuse.add("bob@example.com")
    pid = make("the budget", "alice", "fri", "--to", "bob")
    result = pk("notify", str(pid))
    assert result.exit_code == 1
    assert "Told alice via email: recorded on" in result.stdout
    assert result.stderr == (
        "pk: bob not told via email: the SMTP server refused bob@example.com "
        "(550 5.1.1 No such mailbox here)\n"
    )
    [envelope] = smtp_server.envelopes
    assert envelope.rcpt_tos == ["alice@example.com"]
    told = [e for e in ok("show", str(pid), "--json").json["history"] if e["kind"] == "notified"]
    assert [e["details"]["to"] for e in told] == [["alice"]]


def test_a_refused_login_sends_and_records_nothing(
    pk: Pk, ok: Pk, make, isolated: Path, smtp_server: Mailbox
) -> None:
    _smtp_config(isolated, smtp_server.port, password="wrong")
    ok("person", "alice", "--email", "alice@example.com")
    pid = make("x", "alice", "fri")
    result = pk("notify", str(pid))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(
        f"pk: SMTP server 127.0.0.1:{smtp_server.port} refused the login as me: 535"
    )
    assert result.stderr.count("\n") == 1
    assert smtp_server.logins and set(smtp_server.logins) == {("me", False)}  # PLAIN, LOGIN
    assert smtp_server.envelopes == []
    assert ok("show", str(pid), "--json").json["notified_at"] is None


def test_a_server_without_starttls_gets_nothing(
    pk: Pk, ok: Pk, make, isolated: Path, smtp_server: Mailbox
) -> None:
    """STARTTLS is on unless the config turns it off: no silent fall-back to plain text."""
    _smtp_config(isolated, smtp_server.port)
    config = isolated.parent / "config.toml"
    config.write_text(config.read_text().replace("starttls = false\n", ""))
    ok("person", "alice", "--email", "alice@example.com")
    pid = make("x", "alice", "fri")
    result = pk("notify", str(pid))
    assert result.exit_code == 1
    assert "STARTTLS" in result.stderr and result.stderr.count("\n") == 1
    assert smtp_server.logins == [] and smtp_server.envelopes == []
    assert ok("show", str(pid), "--json").json["notified_at"] is None


def test_a_server_that_is_down_records_nothing(pk: Pk, ok: Pk, make, isolated: Path) -> None:
    port = _free_port()  # nothing listens there
    _smtp_config(isolated, port)
    ok("person", "alice", "--email", "alice@example.com")
    pid = make("x", "alice", "fri")
    result = pk("notify", str(pid))
    assert result.exit_code == 1
    assert result.stderr == f"pk: cannot reach SMTP server 127.0.0.1:{port}: Connection refused\n"
    assert ok("show", str(pid), "--json").json["notified_at"] is None
    assert ok("show", str(pid), "--json").json["needs_telling"] is False  # on track: no nagging


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
