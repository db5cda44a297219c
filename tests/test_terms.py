"""The terms of a promise, through the CLI at frozen times: what it includes and excludes and
where it was promised, given with `pk promise`, changed with `pk edit` (and undone), shown by
`pk show` and `--json`, told in the messages where they help, listed in every report format
and carried by export and import."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Pk

TERMS = (
    "--includes", "slides", "--includes", "speaker notes",
    "--excludes", "the recording",
    "--source", "https://tracker.example.com/T-42",
)  # fmt: skip
AGREED = "As agreed: includes slides and speaker notes; not included: the recording."


@pytest.fixture
def deck(make: Callable[..., int]) -> int:
    return make("Q3 deck", "alice", "fri", *TERMS)


def flat(text: str) -> str:
    return " ".join(text.split())


def test_show_and_json_give_the_terms(ok: Pk, deck: int) -> None:
    shown = ok("show", str(deck)).stdout
    lines = [" ".join(line.split()) for line in shown.splitlines()]
    assert "Includes slides" in lines
    assert "speaker notes" in lines  # one item a row
    assert "Not included the recording" in lines
    assert "Source https://tracker.example.com/T-42" in lines
    got = ok("show", str(deck), "--json").json
    assert got["includes"] == ["slides", "speaker notes"]
    assert got["excludes"] == ["the recording"]
    assert got["source"] == "https://tracker.example.com/T-42"
    assert got["history"][0]["details"]["includes"] == ["slides", "speaker notes"]
    # Every listing carries them; a promise without terms has them empty.
    plain = ok("promise", "x", "--to", "bob", "--due", "fri", "--json").json
    assert (plain["includes"], plain["excludes"], plain["source"]) == ([], [], "")
    listed = {p["what"]: p["includes"] for p in ok("list", "--json").json}
    assert listed == {"Q3 deck": ["slides", "speaker notes"], "x": []}


def test_the_messages_say_what_was_agreed_where_it_helps(
    ok: Pk, make: Callable[..., int], deck: int
) -> None:
    heads_up = ok("notify", str(deck), "--kind", "heads-up", "--via", "print").stdout
    assert f"I may not make that date.\n\n{AGREED}\n\nI'd rather tell you now" in heads_up
    ok("move", str(deck), "next tue", "--reason", "waiting for the figures")
    new_date = ok("notify", str(deck), "--via", "print").stdout
    assert "Subject: New date for Q3 deck" in new_date and AGREED in new_date
    delivered = ok("keep", str(deck), "--tell").stdout
    assert "Subject: Done: Q3 deck" in delivered
    assert f"I promised.\n\n{AGREED}\nTold alice via print" in delivered
    late = make("Late deck", "alice", "tue", *TERMS)
    ok("keep", str(late), now="2026-11-25T10:00:00+01:00")
    late_note = ok("notify", str(late), now="2026-11-25T10:00:00+01:00").stdout
    assert "Subject: Done, late: Late deck" in late_note and AGREED in late_note


def test_never_in_an_apology_or_a_cannot_do(ok: Pk, make: Callable[..., int]) -> None:
    overdue = make("Overdue deck", "alice", "tue", *TERMS)
    apology = ok("notify", str(overdue), now="2026-11-25T10:00:00+01:00").stdout
    assert "Subject: Sorry" in apology and "As agreed" not in apology
    broken = make("Broken deck", "alice", "fri", *TERMS)
    cannot = ok("break", str(broken), "--reason", "no data", "--tell").stdout
    assert "I can't deliver" in cannot and "As agreed" not in cannot
    # Only includes, only excludes: the line says what there is.
    only = make("Only includes", "alice", "fri", "--includes", "the summary")
    heads_up = ok("notify", str(only), "--kind", "heads-up").stdout
    assert "As agreed: includes the summary.\n" in heads_up
    bare = make("No terms", "alice", "fri")
    assert "As agreed" not in ok("notify", str(bare), "--kind", "heads-up").stdout


def test_edit_adds_drops_replaces_and_undo_restores(ok: Pk, pk: Pk, deck: int) -> None:
    ok(
        "edit", str(deck), "--drop-includes", "slides", "--includes", "slides and handout",
        "--excludes", "video", "--source", "the Monday meeting",
    )  # fmt: skip
    got = ok("show", str(deck), "--json").json
    assert got["includes"] == ["speaker notes", "slides and handout"]
    assert got["excludes"] == ["the recording", "video"]
    assert got["source"] == "the Monday meeting"
    assert "edited includes: slides, speaker notes → speaker notes, slides and handout" in flat(
        ok("show", str(deck)).stdout
    )
    ok("edit", str(deck), "--drop-excludes", "the recording", "--drop-excludes", "video")
    ok("edit", str(deck), "--source", "")
    got = ok("show", str(deck), "--json").json
    assert got["excludes"] == [] and got["source"] == ""
    # A typo must not look like a change.
    typo = pk("edit", str(deck), "--drop-includes", "slide")
    assert typo.exit_code == 1
    assert typo.stderr == (
        f"pk: promise {deck} does not list 'slide' in includes (it includes: speaker notes; "
        "slides and handout)\n"
    )
    empty = pk("edit", str(deck), "--includes", "  ")
    assert empty.exit_code == 1 and empty.stderr == "pk: an item of --includes cannot be empty\n"
    # Undo walks back through each edit; the values that return are shown.
    assert "source: none → the Monday meeting" in ok("undo").stdout
    ok("undo")
    undone = ok("undo").stdout
    assert "includes: speaker notes, slides and handout → slides, speaker notes" in undone
    got = ok("show", str(deck), "--json").json
    assert got["includes"] == ["slides", "speaker notes"]
    assert got["excludes"] == ["the recording"]
    assert got["source"] == "https://tracker.example.com/T-42"
    assert "--includes" in ok("edit", "--help").stdout
    assert "--drop-includes" in ok("edit", "--help").stdout


def test_bad_terms_are_refused_in_one_line(pk: Pk, ok: Pk) -> None:
    for args in (["--includes", ""], ["--excludes", " \t"]):
        result = pk("promise", "x", "--to", "bob", "--due", "fri", *args)
        assert result.exit_code == 1 and result.stderr.count("\n") == 1
        assert result.stderr.startswith("pk: an item of --")
    assert ok("list", "--json").json == []  # nothing half-written
    # Repeated items are kept once; the source is stripped.
    got = ok(
        "promise", "x", "--to", "bob", "--due", "fri", "--includes", "a", "--includes", " a ",
        "--source", "  the thread  ", "--json",
    ).json  # fmt: skip
    assert got["includes"] == ["a"] and got["source"] == "the thread"


def test_every_report_format_lists_the_terms_and_checkpoints(ok: Pk, deck: int) -> None:
    ok("checkpoint", str(deck), "draft for review", "--by", "wed")
    text = ok("report", "--to", "alice").stdout
    assert "    includes: slides; speaker notes\n" in text
    assert "    not included: the recording\n" in text
    assert "    source: https://tracker.example.com/T-42\n" in text
    assert "    checkpoint 1: draft for review, by Wed 25 Nov 17:00 · upcoming, in 2 days\n" in text
    markdown = ok("report", "--to", "alice", "--format", "markdown").stdout
    assert "includes: slides; speaker notes" in markdown
    assert "checkpoint 1: draft for review" in markdown
    page = ok("report", "--to", "alice", "--format", "html").stdout
    assert '<span class="label">Includes:</span> slides; speaker notes</p>' in page
    assert '<span class="label">Not included:</span> the recording</p>' in page
    assert '<span class="label">Source:</span> https://tracker.example.com/T-42</p>' in page
    assert "<li>draft for review: by Wed 25 Nov 17:00 · upcoming, in 2 days</li>" in page


def test_terms_are_escaped_in_every_format(ok: Pk, make: Callable[..., int]) -> None:
    make("x", "alice", "fri", "--includes", "<script>alert(1)</script>", "--source", "*[b]*")
    page = ok("report", "--format", "html").stdout
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script" not in page.lower()
    assert r"\*\[b\]\*" in ok("report", "--format", "markdown").stdout


def test_export_and_import_carry_the_terms(
    ok: Pk, pk: Pk, deck: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok("edit", str(deck), "--excludes", "video")
    dump = tmp_path / "export.json"
    ok("export", "--output", str(dump))
    exported = json.loads(dump.read_text(encoding="utf-8"))["promises"][0]
    assert exported["includes"] == ["slides", "speaker notes"]
    monkeypatch.setenv("PK_DB", str(tmp_path / "other.db"))
    ok("import", str(dump))
    got = ok("show", "1", "--json").json
    assert got["excludes"] == ["the recording", "video"]
    assert got["source"] == "https://tracker.example.com/T-42"
    # A plain record (no history) may give its terms too; wrong types are refused.
    plain = tmp_path / "plain.json"
    plain.write_text(
        json.dumps(
            [{"what": "Plain", "to": "bob", "due": "2026-11-27T17:00:00+01:00",
              "includes": ["the summary"], "excludes": ["charts"], "source": "mail"}]
        ),
        encoding="utf-8",
    )  # fmt: skip
    ok("import", str(plain))
    got = ok("show", "2", "--json").json
    assert (got["includes"], got["excludes"], got["source"]) == (
        ["the summary"],
        ["charts"],
        "mail",
    )
    plain.write_text(
        json.dumps(
            [{"what": "P", "to": "bob", "due": "2026-11-27T17:00:00+01:00", "includes": "x"}]
        ),
        encoding="utf-8",
    )
    refused = pk("import", str(plain))
    assert refused.exit_code == 1 and "'includes' must be a list of strings" in refused.stderr


def test_help_shows_the_terms_options(ok: Pk) -> None:
    out = ok("promise", "--help").stdout
    assert "--includes TEXT" in out and "--excludes TEXT" in out and "--source TEXT|URL" in out
    assert '--excludes "the recording"' in out


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary on PATH")
def test_the_terms_show_in_the_html_report_in_chromium(ok: Pk, deck: int, tmp_path: Path) -> None:
    assert CHROMIUM is not None
    ok("checkpoint", str(deck), "draft for review", "--by", "wed")
    page = tmp_path / "report.html"
    ok("report", "--format", "html", "--output", str(page))
    dom = subprocess.run(
        [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    ).stdout  # fmt: skip
    assert "Includes:</span> slides; speaker notes" in dom
    assert "Not included:</span> the recording" in dom
    assert "Source:</span> https://tracker.example.com/T-42" in dom
    assert "draft for review: by Wed 25 Nov 17:00" in dom
