"""Placeholders and line joining in knowledge-base texts."""

from __future__ import annotations

import pytest

from rca.kb.text import MAX_VALUE_LENGTH, fill, join_text_lines, placeholders


def test_placeholders_in_order() -> None:
    assert placeholders("{a} and {b_2} but not {{c}}") == ["a", "b_2"]


@pytest.mark.parametrize(("template", "values", "expected"), [
    ("host {host}", {"host": "db.example"}, "host db.example"),
    ("host {host}", {}, "host <host>"),
    ("host {host}", {"host": ""}, "host <host>"),
    ("{{literal}} {host}", {"host": "x"}, "{literal} x"),
    ("{host}", {"host": "a\x1b[31mb\nc"}, "a[31mbc"),
], ids=["value", "missing", "empty", "braces", "control-characters"])
def test_fill(template: str, values: dict[str, str], expected: str) -> None:
    assert fill(template, values) == expected


def test_fill_shortens_long_values() -> None:
    filled = fill("{path}", {"path": "/x" * 500})

    assert len(filled) == MAX_VALUE_LENGTH
    assert filled.endswith("…")


@pytest.mark.parametrize(("value", "expected"), [
    ("/opt/app", "ls /opt/app"),
    ("/opt/my app", "ls '/opt/my app'"),
    ("$(reboot)", "ls '$(reboot)'"),
], ids=["plain", "space", "substitution"])
def test_fill_quotes_values_for_the_shell(value: str, expected: str) -> None:
    assert fill("ls {path}", {"path": value}, shell=True) == expected


def test_fill_keeps_missing_value_visible_in_command() -> None:
    # `<path>` would be a shell redirection if pasted, so commands use `PATH`.
    assert fill("ls {path}", {}, shell=True) == "ls PATH"


def test_fill_default_when_value_missing() -> None:
    assert fill("df -h {path|/}", {}, shell=True) == "df -h /"


def test_fill_default_ignored_when_value_present() -> None:
    assert fill("holding {path|the failed path}", {"path": "/var"}) == "holding /var"


def test_fill_missing_prose_value_in_angle_brackets() -> None:
    assert fill("See {path}.", {}) == "See <path>."


@pytest.mark.parametrize(("text", "expected"), [
    ("one\n  two\n\n three", "one two\n\nthree"),
    ("第一行\n第二行", "第一行第二行"),
    ("中文\nEnglish", "中文 English"),
    ("  \n padded \n  ", "padded"),
], ids=["paragraphs", "chinese", "mixed", "blank-edges"])
def test_join_text_lines(text: str, expected: str) -> None:
    assert join_text_lines(text) == expected
