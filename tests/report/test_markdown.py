"""Markdown escaping of untrusted text."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from rca.report.markdown import (
    MarkdownSafe,
    autolink,
    code_block,
    code_span,
    escape_format,
    escape_paragraphs,
    escape_text,
)

RENDERER = MarkdownIt("commonmark").enable("table").enable("strikethrough")


def rendered_inline(source: str) -> str:
    """The HTML of one paragraph, without the surrounding <p> element."""
    return RENDERER.render(source).strip().removeprefix("<p>").removesuffix("</p>")


@pytest.mark.parametrize(
    ("text", "expected_html"),
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("**bold** and _em_", "**bold** and _em_"),
        ("[click](http://evil.example)", "[click](http://evil.example)"),
        ("a | b", "a | b"),
        ("`code`", "`code`"),
        ("&amp; stays", "&amp;amp; stays"),
        ("~~gone~~", "~~gone~~"),
        ("# not a heading", "# not a heading"),
        ("- not a list", "- not a list"),
        ("1. not a list", "1. not a list"),
        ("selinux_avc", "selinux_avc"),
    ],
    ids=["html", "emphasis", "link", "pipe", "backtick", "entity", "strikethrough", "heading",
         "bullet", "ordered", "intraword-underscore"],
)
def test_escape_text_renders_literally(text: str, expected_html: str) -> None:
    assert rendered_inline(escape_text(text)) == expected_html


def test_escape_text_joins_lines() -> None:
    assert escape_text("first\n\nsecond\tthird") == "first second third"


def test_escape_text_keeps_safe_text() -> None:
    safe = MarkdownSafe("**bold**")

    assert escape_text(safe) is safe


def test_escape_text_readable_words() -> None:
    words = "rule selinux_avc, 30.000 s, +0.350 s"

    assert escape_text(words) == words


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "`plain`"),
        ("a `tick` b", "``a `tick` b``"),
        ("`edge`", "`` `edge` ``"),
        ("two\nlines", "`two lines`"),
        ("", ""),
    ],
    ids=["plain", "inner-backticks", "edge-backticks", "newline", "empty"],
)
def test_code_span(text: str, expected: str) -> None:
    assert code_span(text) == expected


def test_code_span_in_table_escapes_pipe() -> None:
    table = "| h |\n| --- |\n| " + code_span("a | b", in_table=True) + " |\n"

    assert "<td><code>a | b</code></td>" in RENDERER.render(table)


def test_code_block_fence_longer_than_content() -> None:
    block = code_block("before\n```\nafter", "sh")

    assert block.startswith("````sh\n")
    assert "<code class=\"language-sh\">before\n```\nafter\n</code>" in RENDERER.render(block)


def test_escape_format_keeps_placeholders() -> None:
    template = escape_format("%(node_name)s <b> %(count)d %%")

    assert template % {"node_name": "n", "count": 3} == "n \\<b\\> 3 %"


def test_escape_paragraphs_keeps_blank_lines() -> None:
    assert escape_paragraphs("one *a*\n\n\ntwo\nlines") == "one \\*a\\*\n\ntwo lines"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.org/a_b?x=1&y=2", "<https://example.org/a_b?x=1&y=2>"),
        ("https://example.org/a b", "`https://example.org/a b`"),
        ("javascript:alert(1)", "`javascript:alert(1)`"),
    ],
    ids=["http", "space", "javascript"],
)
def test_autolink(url: str, expected: str) -> None:
    assert autolink(url) == expected
