"""Make untrusted log text safe to show in a terminal, Markdown or HTML.

Log messages may contain terminal escape sequences, other control characters and
Unicode direction overrides, which can hide or reorder what a reader sees. The
report shows them as visible escapes instead. Markup escaping is a separate step
done by each output format.
"""

from __future__ import annotations

import re
from typing import Final

# ECMA-48 control sequences (colors, cursor moves) and operating system commands
# (window titles, hyperlinks), as terminals and CI logs emit them.
_ANSI_SEQUENCE: Final = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")

# C0 and C1 controls other than tab and newline, and the Unicode bidirectional
# embedding, override and isolate characters.
_INVISIBLE: Final = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

ELLIPSIS: Final = "…"


def printable(text: str) -> str:
    """Drop terminal color sequences and show other control characters as escapes.

    >>> printable("\\x1b[31mfailed\\x1b[0m\\x07 \\u202e")
    'failed\\\\x07 \\\\u202e'
    """
    text = _ANSI_SEQUENCE.sub("", text)
    return _INVISIBLE.sub(_escape_character, text)


def one_line(text: str) -> str:
    """Join the lines of a multi-line message with spaces, for a table cell or a terminal line."""
    return " ".join(text.split())


def clip(text: str, limit: int) -> str:
    """Cut text longer than `limit` characters and end it with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + ELLIPSIS


def _escape_character(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"
