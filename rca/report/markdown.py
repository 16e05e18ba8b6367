"""Markdown escaping for untrusted text: inline text, code spans and fenced blocks.

The Markdown template escapes every value it prints unless the value is a
`MarkdownSafe` string, which only the helpers here return. This mirrors Jinja's
HTML autoescaping, so a log line with ``|``, backticks, ``<script>`` or ``[a](b)``
can neither break a table nor turn into a link or HTML when the file is rendered.
"""

from __future__ import annotations

import re
from typing import Final

# Characters with a meaning in CommonMark or GitHub-flavored Markdown inline text.
# CommonMark allows a backslash before any ASCII punctuation, so escaping more than
# needed is harmless. An underscore inside a word cannot start emphasis, and "&"
# matters only where it starts an entity, so those stay readable in the raw file.
_INLINE_SPECIAL: Final = re.compile(
    r"([\\`*\[\]<>|#~]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])|&(?=#?[A-Za-z0-9]+;))"
)
# Markers that start a list, a heading underline or a thematic break at a line start.
_BLOCK_START: Final = re.compile(r"^(?:[-+=](?=[\s\-+=]|$)|\d{1,9}[.)](?=\s|$))")
_BACKTICK_RUN: Final = re.compile(r"`+")
# CommonMark autolinks end at the first space, "<" or ">" and contain no controls.
_AUTOLINK_URL: Final = re.compile(r"https?://[^\s<>\x00-\x1f\x7f`]+", re.IGNORECASE)
_PLACEHOLDER: Final = re.compile(r"(%\([^)]*\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]|%%)")


class MarkdownSafe(str):
    """Text already escaped or formatted as Markdown, printed as it is."""

    __slots__ = ()


def escape_text(value: object) -> MarkdownSafe:
    """Escape a value for inline Markdown text, joining its lines with spaces."""
    if isinstance(value, MarkdownSafe):
        return value
    text = " ".join(("" if value is None else str(value)).split())
    text = _INLINE_SPECIAL.sub(r"\\\1", text)
    text = _BLOCK_START.sub(lambda match: _escape_block_marker(match.group()), text)
    return MarkdownSafe(text)


def escape_format(template: str) -> str:
    """Escape a ``%(name)s`` format string, leaving its placeholders intact for filling in."""
    parts = _PLACEHOLDER.split(template)
    escaped = "".join(
        part if _PLACEHOLDER.fullmatch(part) else _INLINE_SPECIAL.sub(r"\\\1", part)
        for part in parts
    )
    return _BLOCK_START.sub(lambda match: _escape_block_marker(match.group()), escaped)


def escape_paragraphs(value: object) -> MarkdownSafe:
    """Escape multi-paragraph text, keeping blank lines between paragraphs."""
    text = "" if value is None else str(value)
    paragraphs = [part for part in re.split(r"\n\s*\n", text) if part.strip()]
    return MarkdownSafe("\n\n".join(escape_text(part) for part in paragraphs))


def code_span(value: object, *, in_table: bool = False) -> MarkdownSafe:
    """Wrap a value in an inline code span whose fence is longer than any backtick run inside.

    In a table cell, pipes are escaped as ``\\|``, which GitHub-flavored Markdown
    reads as a literal pipe even inside a code span.
    """
    text = " ".join(("" if value is None else str(value)).split())
    if not text:
        return MarkdownSafe("")
    if in_table:
        text = text.replace("|", "\\|")
    fence = "`" * (_longest_backtick_run(text) + 1)
    if text.startswith("`") or text.endswith("`"):
        text = f" {text} "
    return MarkdownSafe(f"{fence}{text}{fence}")


def code_block(value: object, info: str = "") -> MarkdownSafe:
    """Put text in a fenced code block whose fence no line inside can close."""
    text = ("" if value is None else str(value)).rstrip("\n")
    fence = "`" * max(3, _longest_backtick_run(text) + 1)
    return MarkdownSafe(f"{fence}{info}\n{text}\n{fence}")


def autolink(url: str) -> MarkdownSafe:
    """Write an http(s) URL as a Markdown autolink, or as code when it could escape the link."""
    if _AUTOLINK_URL.fullmatch(url):
        return MarkdownSafe(f"<{url}>")
    return code_span(url)


def _longest_backtick_run(text: str) -> int:
    return max((len(run) for run in _BACKTICK_RUN.findall(text)), default=0)


def _escape_block_marker(marker: str) -> str:
    # A leading "-" or "1." would start a list, "=" could underline a heading.
    return "\\" + marker if not marker[0].isdigit() else marker[:-1] + "\\" + marker[-1]
