"""`pk report`: the status report in text, Markdown and HTML, and that user text stays text."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import Pk

HOSTILE = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "&amp;",
    "[bold]x[/]",
)


def at(day: str, clock: str = "10:00") -> str:
    """A frozen 'now' in Berlin, November 2026."""
    return f"2026-{day}T{clock}:00+01:00"


@pytest.fixture
def story(ok: Pk, make) -> dict[str, int]:
    """A month of promises to alice (and one to bob), each closed or moved at its own time."""
    ids = {}
    ids["numbers"] = make("Send the Q3 numbers", "alice", "2026-11-06", now=at("11-02"))
    ok("move", str(ids["numbers"]), "2026-11-09", "--reason", "waiting for the final figures",
       now=at("11-05"))  # fmt: skip
    ok("keep", str(ids["numbers"]), "--note", "sent by mail", now=at("11-09", "15:00"))
    ids["server"] = make("Migrate the build server", "alice", "2026-11-13", now=at("11-09"))
    ok("move", str(ids["server"]), "2026-11-30", "--reason", "vendor delayed the hardware",
       now=at("11-14"))  # fmt: skip
    ids["notes"] = make("Send the meeting notes", "alice", "2026-11-20 12:00", now=at("11-20"))
    ok("keep", str(ids["notes"]), now=at("11-20", "16:00"))
    ids["quote"] = make("Quote for the extension", "alice", "2026-11-18", now=at("11-12"))
    ok("break", str(ids["quote"]), "--reason", "no prices in time", now=at("11-17"))
    ids["call"] = make("Call the supplier", "alice", "2026-11-19", now=at("11-12"))
    ok("release", str(ids["call"]), "--reason", "she called them herself", now=at("11-17"))
    ids["slides"] = make("Prepare the slides", "alice", "2026-11-24 09:00", now=at("11-16"))
    ids["old"] = make("Old thing", "alice", "2026-09-05", now="2026-09-01T10:00:00+02:00")
    ok("keep", str(ids["old"]), now="2026-09-04T10:00:00+02:00")
    ids["login"] = make("Fix the login bug", "Bob", "2026-11-20", now=at("11-16"))
    return ids


def section(text: str, heading: str) -> str:
    """The lines of one section of a text report, up to the next blank line."""
    return text.split(f"\n{heading} (", 1)[1].split("\n\n", 1)[0]


# -------------------------------------------------------------------------------------------------
# What the report says
# -------------------------------------------------------------------------------------------------
def test_text_report_for_one_person(ok: Pk, story) -> None:
    out = ok("report", "--to", "alice").stdout
    head = out.split("\n\n", 1)[0].splitlines()
    assert head == [
        "Status report for alice",
        "Period: Sat 24 Oct 2026 – Mon 23 Nov 2026",
        "Generated: Mon 23 Nov 2026 10:00 CET",
    ]
    assert (
        "3 delivered (2 on time)" not in out
    )  # the September promise is outside the default period
    assert "2 delivered (1 on time) · 2 in progress (1 at risk) · 1 broken · 1 released." in out

    delivered = section(out, "Delivered")
    assert delivered.startswith("2)\n")
    assert "  - Send the Q3 numbers\n    delivered Mon 9 Nov 15:00, on time, 2 hours early" in (
        delivered
    )
    assert "    note: sent by mail" in delivered
    assert "    moved once, first promised for Fri 6 Nov 17:00:" in delivered
    assert (
        "      · Thu 5 Nov 10:00: from Fri 6 Nov 17:00 to Mon 9 Nov 17:00, before the deadline:"
        " waiting for the final figures" in delivered
    )
    assert "  - Send the meeting notes\n    delivered Fri 20 Nov 16:00, 4 hours late" in delivered
    assert delivered.index("Q3 numbers") < delivered.index("meeting notes")  # in delivery order

    progress = section(out, "In progress")
    assert "  - Prepare the slides\n    due Tue 24 Nov 09:00, in 23 hours · at risk" in progress
    assert "  - Migrate the build server\n    due Mon 30 Nov 17:00, in 7 days · on track" in (
        progress
    )
    assert (
        "      · Sat 14 Nov 10:00: from Fri 13 Nov 17:00 to Mon 30 Nov 17:00, after the deadline:"
        " vendor delayed the hardware" in progress
    )
    assert progress.index("slides") < progress.index("build server")  # soonest due first

    closed = section(out, "Closed otherwise")
    assert (
        "  - Quote for the extension\n    broken Tue 17 Nov 10:00, was due Wed 18 Nov 17:00\n"
        "    reason: no prices in time" in closed
    )
    assert (
        "  - Call the supplier\n    released by them Tue 17 Nov 10:00, was due Thu 19 Nov 17:00\n"
        "    reason: she called them herself" in closed
    )
    assert "login" not in out  # bob's
    assert "\x1b" not in out


def test_overdue_promise_says_how_late(ok: Pk, story) -> None:
    out = ok("report", "--to", "bob").stdout
    assert out.startswith("Status report for Bob\n")  # the name as first typed
    assert (
        "  - Fix the login bug\n    was due Fri 20 Nov 17:00, 2 days 17 hours late · overdue"
        in (out)
    )
    assert "0 delivered · 1 in progress (1 overdue)." in out


def test_everyone_grouped_by_person(ok: Pk, make, story) -> None:
    make("Plan the offsite", "alice, carol", "2026-12-04")
    out = ok("report").stdout
    assert out.startswith("Status report for everyone\n")
    assert "3 delivered" not in out
    assert "2 delivered (1 on time) · 4 in progress (1 at risk, 1 overdue)" in out
    names = re.findall(r"^(\w+)\n=+$", out, flags=re.M)
    assert names == ["alice", "Bob", "carol"]
    carol = out.split("\ncarol\n=====\n", 1)[1]
    assert (
        "  - Plan the offsite\n    due Fri 4 Dec 17:00, in 11 days · on track\n    also to alice"
        in (carol)
    )
    alice = out.split("\nalice\n=====\n", 1)[1].split("\nBob\n")[0]
    assert "also to carol" in alice


def test_unknown_person_is_one_line_and_exit_1(pk: Pk, story) -> None:
    result = pk("report", "--to", "alcie")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == "pk: no promises to anyone called 'alcie'; did you mean 'alice'?\n"
    assert pk("report", "--to", "zed").stderr == "pk: no promises to anyone called 'zed'\n"


def test_person_match_is_case_insensitive(ok: Pk, story) -> None:
    assert ok("report", "--to", "ALICE").stdout == ok("report", "--to", "alice").stdout


def test_since(pk: Pk, ok: Pk, story) -> None:
    september = ok("report", "--to", "alice", "--since", "2026-09-01").stdout
    assert "Period: Tue 1 Sep 2026 – Mon 23 Nov 2026" in september
    assert "  - Old thing\n    delivered Fri 4 Sep 10:00, on time, 1 day 7 hours early" in september
    assert "3 delivered (2 on time)" in september
    assert "Old thing" in ok("report", "--to", "alice", "--since", "90d").stdout
    # A short period: what was closed before it goes, what is open stays.
    week = ok("report", "--to", "alice", "--since", "1w").stdout
    assert "Period: Mon 16 Nov 2026 10:00 CET – Mon 23 Nov 2026" in week
    assert "Send the Q3 numbers" not in week
    assert "Send the meeting notes" in week and "Migrate the build server" in week
    assert "Period: Tue 17 Nov 2026 – Mon 23 Nov 2026" in ok("report", "--since", "tue").stdout
    assert "Period: Fri 20 Nov 2026 – " in ok("report", "--since", "last fri").stdout
    future = pk("report", "--since", "2026-12-01")
    assert future.exit_code == 1 and future.stderr.startswith("pk: --since must be in the past")
    assert pk("report", "--since", "whenever").exit_code == 1


def test_empty_ledger_reports_nothing_and_creates_nothing(ok: Pk, isolated: Path) -> None:
    out = ok("report").stdout
    assert "Nothing promised in this period." in out
    assert "<p" in ok("report", "--format", "html").stdout
    assert not isolated.exists()


def test_bad_format_is_a_usage_error(pk: Pk) -> None:
    result = pk("report", "--format", "pdf")
    assert result.exit_code == 2
    assert "--format must be one of text, markdown, html" in result.stderr


def test_text_keeps_line_breaks_and_shows_control_characters(ok: Pk, make) -> None:
    make("First line\nsecond \x1b[31mred\x1b[0m line", "alice", "fri")
    out = ok("report").stdout
    assert "  - First line\n    second \\x1b[31mred\\x1b[0m line\n" in out
    assert "\x1b" not in out


# -------------------------------------------------------------------------------------------------
# Markdown
# -------------------------------------------------------------------------------------------------
def test_markdown_structure(ok: Pk, story) -> None:
    out = ok("report", "--to", "alice", "--format", "markdown").stdout
    assert out.startswith("# Status report for alice\n")
    assert "**Summary:** 2 delivered (1 on time) · 2 in progress (1 at risk)" in out
    assert "## Delivered (2)" in out and "## In progress (2)" in out
    assert "## Closed otherwise (2)" in out
    assert "- **Send the Q3 numbers**  \n  delivered Mon 9 Nov 15:00, on time" in out
    assert "  - moved once, first promised for Fri 6 Nov 17:00:\n    - Thu 5 Nov 10:00" in out
    grouped = ok("report", "--format", "markdown").stdout
    assert "## alice" in grouped and "### Delivered (2)" in grouped


def test_markdown_escapes_user_text(ok: Pk, make) -> None:
    pid = make("*bold* _it_ `code` [link](x) <b>#1</b> a|b \\ ~x~ &amp;", "al_ice", "fri")
    ok("move", str(pid), "mon", "--reason", "# not a heading\n- not a list\n1. nor this")
    out = ok("report", "--format", "markdown").stdout
    assert r"- **\*bold\* \_it\_ \`code\` \[link\](x) \<b\>\#1\</b\> a\|b \\ \~x\~ \&amp;**" in out
    assert "## al\\_ice" in out
    assert ": \\# not a heading  \n      \\- not a list  \n      1\\. nor this" in out


def test_markdown_user_text_renders_literally(ok: Pk, make) -> None:
    """Through a real CommonMark renderer (markdown-it-py, which rich depends on)."""
    markdown_it = pytest.importorskip("markdown_it")
    what = "*bold* _it_ `code` [link](http://x) <b>#1</b> a|b \\ &amp; " + HOSTILE[0]
    pid = make(what, "al_ice", "fri")
    ok("move", str(pid), "mon", "--reason", "# not a heading\n- not a list\n1. nor this")
    rendered = markdown_it.MarkdownIt("commonmark").render(
        ok("report", "--format", "markdown").stdout
    )
    checker = parse(f"<div>{rendered}</div>")
    # Only the report's own structure: no emphasis, code, link, raw HTML or extra headings.
    assert checker.tags == {"div", "h1", "h2", "h3", "p", "strong", "ul", "li", "br"}
    assert sum(1 for tag in re.findall(r"<h\d>", rendered)) == 3
    text = "".join(checker.text)
    assert what in text
    assert "al_ice" in text
    assert "# not a heading\n- not a list\n1. nor this" in text


# -------------------------------------------------------------------------------------------------
# HTML
# -------------------------------------------------------------------------------------------------
VOID = {"meta", "br", "hr", "img", "link", "input"}
ALLOWED = {
    "html", "head", "meta", "title", "style", "body", "main", "header", "footer", "section",
    "h1", "h2", "h3", "p", "span", "b", "ul", "ol", "li", "div",
}  # fmt: skip


class Checker(HTMLParser):
    """Collects tags, attributes and text, and insists every element is closed in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: set[str] = set()
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attrs += attrs
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return  # <br /> comes here too
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(f"unexpected </{tag}>")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(page: str) -> Checker:
    checker = Checker()
    checker.feed(page)
    checker.close()
    assert checker.errors == [] and checker.stack == [], (checker.errors, checker.stack)
    return checker


@pytest.fixture
def hostile(ok: Pk, make) -> int:
    """A promise whose every piece of user text tries to be markup."""
    pid = make(" ".join(HOSTILE), "<i>eve</i> & co", "2026-11-30")
    ok("move", str(pid), "2026-12-02", "--reason", HOSTILE[1] + " " + HOSTILE[2])
    other = make("Second " + HOSTILE[0], "<i>eve</i> & co", "tue")
    ok("break", str(other), "--reason", HOSTILE[0] + HOSTILE[3])
    return pid


def test_html_is_a_self_contained_page_without_script(ok: Pk, story) -> None:
    page = ok("report", "--format", "html").stdout
    assert page.startswith('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n')
    assert (
        '<meta http-equiv="Content-Security-Policy"'
        " content=\"default-src 'none'; style-src 'unsafe-inline'\">" in page
    )
    assert "<title>Status report for everyone · Mon 23 Nov 2026</title>" in page
    assert "<script" not in page.lower()
    assert "http://" not in page and "https://" not in page and "url(" not in page
    checker = parse(page)
    assert checker.tags <= ALLOWED, checker.tags - ALLOWED
    names = {name for name, _value in checker.attrs}
    assert names <= {"lang", "charset", "http-equiv", "content", "name", "class"}, names
    text = "".join(checker.text)
    assert "Delivered" in text and "In progress" in text and "Closed otherwise" in text
    assert "before the deadline" in text and "after the deadline" in text
    assert 'class="badge at_risk">at risk<' in page and 'class="badge overdue">overdue<' in page


def test_html_escapes_every_piece_of_user_text(ok: Pk, hostile) -> None:
    for args in (["report"], ["report", "--to", "<I>EVE</I> & CO"]):
        page = ok(*args, "--format", "html").stdout
        assert "<script" not in page.lower()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
        assert "&amp;amp;" in page
        assert "[bold]x[/]" in page
        assert "&lt;i&gt;eve&lt;/i&gt; &amp; co" in page
        for raw in (HOSTILE[0], HOSTILE[1], "<i>eve</i>"):
            assert raw not in page
        checker = parse(page)
        assert checker.tags <= ALLOWED  # no img, no i: the text never became an element
        assert not any(
            name.startswith("on") or name in ("src", "href") for name, _ in checker.attrs
        )
        text = "".join(checker.text)
        for raw in (*HOSTILE, "<i>eve</i> & co"):
            assert raw in text  # what a reader sees is exactly what was typed


def test_html_template_escapes_by_itself(ok: Pk, make) -> None:
    """The page comes from a jinja2 template whose environment autoescapes everything, so no
    value in it depends on someone remembering to escape."""
    from promisekeeper.telling.report import html_environment

    env = html_environment()
    assert env.autoescape is True
    assert env.get_template("report.html.j2").environment is env
    # Any value, with no filter: escaped (and control characters shown) by the environment.
    assert env.from_string("{{ x }}").render(x='<b title="x">\x1b') == (
        "&lt;b title=&#34;x&#34;&gt;\\x1b"
    )

    make("<script>alert(1)</script>", '"><img src=x>', "fri")
    for args in (["report"], ["report", "--to", '"><img src=x>']):
        page = ok(*args, "--format", "html").stdout
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "&quot;&gt;&lt;img src=x&gt;" in page
        assert "<script" not in page.lower() and "<img" not in page.lower()
        checker = parse(page)
        assert checker.tags <= ALLOWED
        assert '"><img src=x>' in "".join(checker.text)


def test_output_writes_the_file(ok: Pk, pk: Pk, story, tmp_path: Path) -> None:
    target = tmp_path / "status.html"
    result = ok("report", "--format", "html", "--output", str(target))
    assert result.stdout == f"Report written to {target}\n"
    assert target.read_text(encoding="utf-8") == ok("report", "--format", "html").stdout
    assert sorted(p.name for p in tmp_path.iterdir() if "status" in p.name) == ["status.html"]
    ok("report", "--to", "bob", "-o", str(target))  # replaced whole
    assert target.read_text(encoding="utf-8").startswith("Status report for Bob\n")
    missing = pk("report", "--output", str(tmp_path / "no" / "such" / "dir.html"))
    assert missing.exit_code == 1 and missing.stderr.startswith("pk: cannot write ")


# -------------------------------------------------------------------------------------------------
# A real browser
# -------------------------------------------------------------------------------------------------
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.slow
@pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium binary on PATH (apt-get install -y chromium)"
)
def test_html_renders_in_headless_chromium(ok: Pk, story, hostile, tmp_path: Path) -> None:
    assert CHROMIUM is not None
    page = tmp_path / "report.html"
    ok("report", "--format", "html", "--output", str(page))
    common = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1000,1200",
    ]  # fmt: skip
    shot = tmp_path / "report.png"
    subprocess.run(
        [*common, f"--screenshot={shot}", page.as_uri()],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert shot.exists(), "chromium wrote no screenshot"
    assert shot.stat().st_size > 5 * 1024
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    dom = subprocess.run(
        [*common, "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    ).stdout
    assert "<main>" in dom and "Status report for" in dom
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
    assert "<script" not in dom.lower()
    assert "<img" not in dom.lower()
    assert "<i>eve" not in dom
