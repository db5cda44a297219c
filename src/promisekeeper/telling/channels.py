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


def _run(
    argv: list[str], *, stdin: str | None = None, timeout: float = 30.0, echo_output: bool = True
) -> None:
    """Run a program without a shell; any failure is a NotifyError naming it (and, with
    echo_output, quoting the last line it said)."""
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
        tail = f": {said[-1]}" if said and echo_output else ""
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
    if settings.smtp:
        refused = _smtp(draft, addressed, settings.smtp)
        reached = [p for p in addressed if p.email not in refused]
        sent = Sent("email", [p.name for p in reached], failed=missing)
        sent.detail = f"sent by SMTP to {', '.join(p.email or '' for p in reached)}"
        if refused:
            sent.failed += [p.name for p in addressed if p.email in refused]
            sent.detail = "the SMTP server refused " + "; ".join(
                f"{address} ({said})" for address, said in refused.items()
            )
        elif missing:
            sent.detail = "no e-mail address"
        return sent
    return _mailto(draft, addressed, missing, settings)


def _mailto(
    draft: Draft, addressed: list[Person], missing: list[str], settings: NotifySettings
) -> Sent:
    """Hand the message to the user's mail program through a mailto: link.

    When no mail program is there to take it, nothing is told: the message is handed back to
    be shown, ready to paste, and the link itself (as long as the message) is never printed.
    """
    emails = [p.email for p in addressed if p.email]
    url = f"mailto:{','.join(quote(e, safe='@') for e in emails)}?subject={quote(draft.subject)}"
    url += f"&body={quote(draft.body)}"
    opener = mail_opener()
    problem = ""
    if opener is None:
        problem = "no program to open a mailto: link (xdg-open, or open on macOS)"
    elif opener == "xdg-open" and not _mailto_handler():
        problem = "no mail program is set up to open mailto: links"
    else:
        try:
            _run([opener, url], timeout=settings.command_timeout, echo_output=False)
        except NotifyError as exc:
            problem = f"no mail program took it ({exc})"
    if problem:
        return Sent(
            "email",
            failed=[p.name for p in addressed] + missing,
            output=draft.text,
            detail=f"{problem}; nothing was sent: paste the message yourself, use --via copy "
            "or --via print, or configure [smtp] to send directly",
        )
    detail = f"opened in your mail program ({opener})"
    return Sent("email", [p.name for p in addressed], failed=missing, detail=detail)


def mail_opener() -> str | None:
    """The program that opens a mailto: link here (`open` is openvt on Linux, not macOS's)."""
    import sys

    candidates = ("open",) if sys.platform == "darwin" else ("xdg-open",)
    return next((o for o in candidates if shutil.which(o)), None)


def _mailto_handler() -> bool:
    """Whether the desktop names a program for mailto: links (xdg-mime); without xdg-mime to
    ask, xdg-open is trusted to know."""
    if not shutil.which("xdg-mime"):
        return True
    try:
        done = subprocess.run(
            ["xdg-mime", "query", "default", "x-scheme-handler/mailto"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return True
    return done.returncode == 0 and bool(done.stdout.strip())


def one_address(text: str) -> str | None:
    """The one e-mail address `text` holds (`me@example.com` or `Me <me@example.com>`), or None
    when it holds none, several (`a@x, b@y`), or a line break that would end a mail header."""
    from email.utils import getaddresses

    if not isinstance(text, str) or any(ch in text for ch in "\r\n\x00"):
        return None
    found = getaddresses([text], strict=True) if _strict_parsing() else getaddresses([text])
    if len(found) != 1:
        return None
    address = found[0][1]
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or any(ch.isspace() or ch in ",;<>" for ch in address):
        return None
    return address


def _strict_parsing() -> bool:
    """Whether this Python's email.utils takes `strict` (3.11.10+, 3.12.6+): it refuses
    addresses the lenient parser would split or mangle."""
    import inspect
    from email.utils import getaddresses

    return "strict" in inspect.signature(getaddresses).parameters


def _smtp(draft: Draft, people: list[Person], smtp: dict) -> dict[str, str]:
    """Send one message to everyone in `people` through [smtp]; the addresses the server
    refused (the others got it), or NotifyError when nobody did."""
    import smtplib
    from email.errors import MessageError
    from email.headerregistry import Address
    from email.message import EmailMessage
    from email.utils import formatdate, make_msgid, parseaddr

    host = smtp["host"]
    try:
        port = int(smtp.get("port", 587))
    except (TypeError, ValueError):
        raise NotifyError(f"smtp.port must be a number, not {smtp.get('port')!r}") from None
    where = f"{host}:{port}"
    sender = str(smtp.get("from") or smtp.get("user") or "promisekeeper@localhost")
    if one_address(sender) is None:
        raise NotifyError(f"smtp.from must be one e-mail address, not {sender!r}")
    for person in people:
        if one_address(person.email or "") is None:
            raise NotifyError(
                f"{person.name}'s e-mail {person.email!r} is not one e-mail address; "
                f"fix it with: pk person {person.name} --email ADDRESS"
            )
    message = EmailMessage()
    try:
        message["Subject"] = draft.subject
        message["From"] = sender
        message["To"] = [
            Address(display_name=p.name, addr_spec=one_address(p.email or "") or "") for p in people
        ]
    except (ValueError, TypeError, IndexError, MessageError) as exc:
        raise NotifyError(f"cannot address the e-mail: {exc}") from None
    message["Date"] = formatdate(localtime=True)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "promisekeeper.localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(draft.body)
    try:
        with smtplib.SMTP(host, port, timeout=30) as server:
            if smtp.get("starttls", True):
                server.starttls()
            if smtp.get("user"):
                try:
                    server.login(str(smtp["user"]), str(smtp.get("password", "")))
                except smtplib.SMTPAuthenticationError as exc:
                    raise NotifyError(
                        f"SMTP server {where} refused the login as {smtp['user']}: {_said(exc)}"
                    ) from None
            refused = server.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        said = "; ".join(f"{a} ({_said(r)})" for a, r in exc.recipients.items())
        raise NotifyError(f"SMTP server {where} refused every recipient: {said}") from None
    except smtplib.SMTPResponseException as exc:
        raise NotifyError(f"SMTP server {where} said: {_said(exc)}") from None
    except smtplib.SMTPException as exc:
        raise NotifyError(f"SMTP to {where} failed: {exc}") from None
    except OSError as exc:
        raise NotifyError(f"cannot reach SMTP server {where}: {exc.strerror or exc}") from None
    return {address: _said(reply) for address, reply in refused.items()}


def _said(reply: object) -> str:
    """An SMTP reply as one readable line: `535 5.7.8 Authentication failed`."""
    code = getattr(reply, "smtp_code", None)
    text = getattr(reply, "smtp_error", None)
    if code is None and isinstance(reply, tuple) and len(reply) == 2:
        code, text = reply
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return " ".join(f"{code or ''} {text or reply}".split())


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
