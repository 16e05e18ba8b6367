"""Texts of the knowledge base: line joining and ``{name}`` placeholders.

Values come from logs, so they are untrusted. `fill` never evaluates them: it
strips control characters, shortens long values, and in a command quotes each
value for a POSIX shell so a pasted command cannot run a value's ``;`` or ``$()``.
Reports still HTML-escape every text they show.
"""

from __future__ import annotations

import re
import shlex
import unicodedata
from collections.abc import Mapping

_TOKEN = re.compile(r"\{\{|\}\}|\{([a-z_][a-z0-9_]*)(?:\|([^{}]*))?\}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_VALUE_LENGTH = 200


def placeholders(template: str) -> list[str]:
    """Return the ``{name}`` placeholders of a template, in order."""
    return [match[1] for match in _TOKEN.finditer(template) if match[1]]


def fill(template: str, values: Mapping[str, str], *, shell: bool = False) -> str:
    """Replace ``{name}`` by its value from the evidence.

    ``{name|text}`` gives the text to use when the evidence has no value. Without
    one, a missing value becomes ``<name>`` in prose and ``NAME`` in a command,
    because ``<name>`` would be a shell redirection there. ``{{`` and ``}}`` stand for
    literal braces. With `shell`, values are quoted with `shlex.quote`.
    """

    def replace(match: re.Match[str]) -> str:
        name, default = match[1], match[2]
        if name is None:
            return match[0][0]
        value = values.get(name)
        if value is None or value == "":
            if default is not None:
                return default
            return name.upper() if shell else f"<{name}>"
        value = clean_value(value)
        return shlex.quote(value) if shell else value

    return _TOKEN.sub(replace, template)


def clean_value(value: str) -> str:
    """Remove control characters and cut the value to `MAX_VALUE_LENGTH` characters."""
    value = _CONTROL.sub("", value).strip()
    if len(value) > MAX_VALUE_LENGTH:
        value = value[: MAX_VALUE_LENGTH - 1] + "…"
    return value


def join_text_lines(text: str) -> str:
    """Reflow a text written over several lines: one line per paragraph.

    Lines of a paragraph are joined with a space, except between two CJK
    characters, where Chinese puts no space. Blank lines separate paragraphs.
    """
    paragraphs = re.split(r"\n\s*\n", text.strip())
    return "\n\n".join(_join_paragraph(paragraph) for paragraph in paragraphs)


def _join_paragraph(paragraph: str) -> str:
    joined = ""
    for line in (line.strip() for line in paragraph.splitlines()):
        if not line:
            continue
        if joined and not (_is_cjk(joined[-1]) and _is_cjk(line[0])):
            joined += " "
        joined += line
    return joined


def _is_cjk(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")
