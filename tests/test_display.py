"""Neutralising user text for the terminal (telling.text, face.paint)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from promisekeeper.face.paint import Painter, use_color
from promisekeeper.telling.text import one_line, safe


def test_escape_sequences_become_visible() -> None:
    assert safe("\x1b[31mred\x1b[0m") == "\\x1b[31mred\\x1b[0m"
    assert safe("a\x00b") == "a\\x00b"
    assert (
        safe("\x1b]8;;http://x\x07link\x1b]8;;\x07") == "\\x1b]8;;http://x\\x07link\\x1b]8;;\\x07"
    )
    assert safe("\x9b31m") == "\\x9b31m"
    assert safe("abc\u202edcba") == "abc\\u202edcba"


def test_ordinary_text_is_untouched() -> None:
    text = "Send the Q3 numbers 📈 — [bold]x[/] שלום"
    assert safe(text) == text


def test_one_line_folds_newlines_and_cuts() -> None:
    assert one_line("a\nb") == "a ⏎ b"
    assert one_line("x" * 100, 10) == "x" * 9 + "…"


@given(st.text())
def test_safe_output_never_holds_control_characters(text: str) -> None:
    out = safe(text)
    assert not any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in out)


def test_colour_only_on_a_terminal_without_no_color(monkeypatch) -> None:
    class Tty:
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert use_color(Tty())  # type: ignore[arg-type]
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_color(Tty())  # type: ignore[arg-type]
    assert Painter(False)("x", "red") == "x"
    assert Painter(True)("x", "red") == "\x1b[31mx\x1b[0m"
