"""Getting a drafted message to people: print, copy, email or a command of yours.

Nothing leaves the machine except through the channel the user chose. Programs are run with an
argument list, never through a shell, with a timeout; a channel that fails raises, and the
caller records as told only the people it reached.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from urllib.parse import quote

from promisekeeper.model.promise import Person
from promisekeeper.model.settings import CHANNELS, NotifySettings
from promisekeeper.telling.messages import Draft, NotifyError

CLIPBOARD_TOOLS = (
    ("wl-copy",),
    ("xclip", "-selection", "clipboard"),
    ("xsel", "--clipboard", "--input"),
    ("pbcopy",),
)
MAIL_OPENERS = ("xdg-open", "open")
COMMAND_PLACEHOLDERS = ("to", "handle", "email", "subject", "message")


@dataclass
class Sent:
    """What a channel did: who was reached, and text for the user to see."""

    channel: str
    reached: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    output: str = ""
    detail: str = ""


def channel_for(person: Person, via: str | None, settings: NotifySettings) -> str:
    """--via wins, then the person's preferred channel, then [notify] via."""
    chosen = via or person.channel or settings.via
    if chosen not in CHANNELS:
        raise NotifyError(f"unknown channel {chosen!r}; use one of {', '.join(CHANNELS)}")
    return chosen


def send(channel: str, draft: Draft, people: list[Person], settings: NotifySettings) -> Sent:
    if channel == "print":
        return Sent("print", [p.name for p in people], output=draft.text)
    if channel == "copy":
        tool = _copy(draft.text)
        return Sent("copy", [p.name for p in people], detail=f"copied to the clipboard ({tool})")
    if channel == "email":
        return _email(draft, people, settings)
    if channel == "command":
        return _command(draft, people, settings)
    raise NotifyError(f"unknown channel {channel!r}; use one of {', '.join(CHANNELS)}")


def _run(argv: list[str], *, stdin: str | None = None, timeout: float = 30.0) -> None:
    """Run a program without a shell; any failure is a NotifyError naming it."""
    try:
        done = subprocess.run(
            argv,
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        raise NotifyError(f"{argv[0]}: command not found") from None
    except subprocess.TimeoutExpired:
        raise NotifyError(f"{argv[0]} did not finish within {timeout:g} s") from None
    except OSError as exc:
        raise NotifyError(f"cannot run {argv[0]}: {exc.strerror or exc}") from None
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip().splitlines()
        tail = f": {said[-1]}" if said else ""
        raise NotifyError(f"{argv[0]} failed (exit {done.returncode}){tail}")


def _copy(text: str) -> str:
    for tool in CLIPBOARD_TOOLS:
        if shutil.which(tool[0]):
            _run(list(tool), stdin=text, timeout=10)
            return tool[0]
    raise NotifyError(
        "no clipboard tool found: install one of wl-copy, xclip, xsel or pbcopy, or use --via print"
    )


def _email(draft: Draft, people: list[Person], settings: NotifySettings) -> Sent:
    addressed = [p for p in people if p.email]
    missing = [p.name for p in people if not p.email]
    if not addressed:
        first = missing[0] if missing else "them"
        raise NotifyError(
            f"no e-mail address for {', '.join(missing) or first}; "
            f"add one with: pk person {first} --email ADDRESS"
        )
    emails = [p.email for p in addressed if p.email]
    if settings.smtp:
        _smtp(draft, emails, settings.smtp)
        detail = f"sent by SMTP to {', '.join(emails)}"
    else:
        url = (
            f"mailto:{','.join(quote(e, safe='@') for e in emails)}?subject={quote(draft.subject)}"
        )
        url += f"&body={quote(draft.body)}"
        opener = next((o for o in MAIL_OPENERS if shutil.which(o)), None)
        if opener is None:
            raise NotifyError(
                "no program to open a mailto: link (xdg-open or open); configure [smtp] "
                "or use --via print"
            )
        _run([opener, url], timeout=settings.command_timeout)
        detail = f"opened in your mail program ({opener})"
    return Sent("email", [p.name for p in addressed], failed=missing, detail=detail)


def _smtp(draft: Draft, emails: list[str], smtp: dict) -> None:
    import smtplib
    from email.message import EmailMessage

    message = EmailMessage()
    message["Subject"] = draft.subject
    message["From"] = smtp.get("from") or smtp.get("user") or "promisekeeper@localhost"
    message["To"] = ", ".join(emails)
    message.set_content(draft.body)
    try:
        with smtplib.SMTP(smtp["host"], int(smtp.get("port", 587)), timeout=30) as server:
            if smtp.get("starttls", True):
                server.starttls()
            if smtp.get("user"):
                server.login(smtp["user"], smtp.get("password", ""))
            server.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise NotifyError(f"SMTP to {smtp['host']} failed: {exc}") from None


def command_argv(template: tuple[str, ...], draft: Draft, person: Person) -> list[str]:
    """The configured argv with each placeholder filled as (part of) one argument."""
    values = {
        "to": person.name,
        "handle": person.handle or person.name,
        "email": person.email or "",
        "subject": draft.subject,
        "message": draft.body,
    }
    import string

    argv = []
    for arg in template:
        try:
            parts = list(string.Formatter().parse(arg))
        except ValueError as exc:
            raise NotifyError(f"notify.command argument {arg!r}: {exc}") from None
        out = []
        for literal, name, _spec, _conv in parts:
            out.append(literal)
            if name is None:
                continue
            if name not in values:
                known = ", ".join(f"{{{p}}}" for p in COMMAND_PLACEHOLDERS)
                raise NotifyError(f"notify.command: unknown placeholder {{{name}}}; use {known}")
            out.append(values[name])
        argv.append("".join(out))
    return argv


def _command(draft: Draft, people: list[Person], settings: NotifySettings) -> Sent:
    if not settings.command:
        raise NotifyError(
            'no notify command configured: add [notify] command = ["your-tool", "{handle}", '
            '"{message}"] to config.toml'
        )
    sent = Sent("command")
    errors = []
    for person in people:
        argv = command_argv(settings.command, draft, person)
        try:
            _run(argv, timeout=settings.command_timeout)
        except NotifyError as exc:
            sent.failed.append(person.name)
            errors.append(str(exc))
            continue
        sent.reached.append(person.name)
    if errors:
        sent.detail = "; ".join(errors)
    return sent
