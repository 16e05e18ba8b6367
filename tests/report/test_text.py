"""Making untrusted log text printable."""

from __future__ import annotations

import pytest

from rca.report.text import clip, one_line, printable


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\x1b[31mfailed\x1b[0m", "failed"),
        ("\x1b]0;title\x07ok", "ok"),
        ("bell\x07", "bell\\x07"),
        ("nul\x00", "nul\\x00"),
        ("rtl\u202egnp.exe", "rtl\\u202egnp.exe"),
        ("tab\tand\nnewline", "tab\tand\nnewline"),
        ("中文 ok", "中文 ok"),
    ],
    ids=["color", "window-title", "bell", "nul", "bidi-override", "tab-newline", "cjk"],
)
def test_printable(raw: str, expected: str) -> None:
    assert printable(raw) == expected


def test_clip_long_text() -> None:
    assert clip("abcdef", 4) == "abc…"


def test_clip_short_text_unchanged() -> None:
    assert clip("abc", 4) == "abc"


def test_one_line() -> None:
    assert one_line("a\n  b\tc\n") == "a b c"
