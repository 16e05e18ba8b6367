"""Plain tool output without time stamps: saved ``go install``, ``apt-get`` or CI logs.

    $ go install github.com/jackc/tern/v2@latest
    github.com/jackc/tern/v2@v2.2.1: verifying module: checksum mismatch
    E: Unable to locate package golang-1.10-go

Each non-blank line is one event with no time stamp; its sequence is the line
number, which keeps the output's order. The level comes from the text
(`rca.parsers.levels`): ``E:``, ``error``, ``fatal``, ``failed``, ``denied``,
``cannot`` and similar words give ERROR, ``W:`` and ``warning`` give WARNING.
systemd's ``(code=exited, status=203/EXEC)`` in ``systemctl status`` output sets
``fields["exit_code"]``.

CI gutters are cut from the message and kept in ``fields["gutter"]``: ``> ``
(nix build logs), ``#12 3.456 `` (BuildKit) and ``Step 3/7 : `` (docker build,
whose step also goes to ``fields["step"]``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

from rca.model import Event, SourceKind
from rca.parsers.base import Lines, ParseContext, is_blank
from rca.parsers.levels import apply_systemd_exit, level_from_text

logger = logging.getLogger(__name__)

NAME = "tooloutput"

_GUTTER_RE = re.compile(r"\s*>\s|#\d+ \d+\.\d+ |Step (\d+/\d+) : ")
_GUTTER_START = frozenset(" >#S")


def sniff(sample: list[str]) -> float:
    """Any text can be tool output; the format is the fallback when nothing else fits."""
    return 0.1 if sample else 0.0


def parse(lines: Lines, context: ParseContext) -> Iterator[Event]:
    """Turn each non-blank line into an event; blank lines are counted as parsed."""
    stats = context.stats
    node = context.node_for(None)
    for number, text in lines:
        stats.parsed += 1
        if is_blank(text):
            continue
        yield line_event(number, text, node, context)


def line_event(number: int, text: str, node: str, context: ParseContext) -> Event:
    """Build the event of one output line, with its gutter cut off."""
    message = text
    fields: dict[str, Any] = {}
    if text[:1] in _GUTTER_START:
        gutter = _GUTTER_RE.match(text)
        if gutter is not None:
            fields["gutter"] = gutter.group(0)
            if gutter.group(1):
                fields["step"] = gutter.group(1)
            message = text[gutter.end():]
    level = apply_systemd_exit(message, fields, level_from_text(message.lstrip()))
    return Event(
        timestamp=None,
        node=node,
        kind=SourceKind.TOOL_OUTPUT,
        level=level,
        message=message.rstrip(),
        raw=text,
        origin=context.origin(number),
        sequence=number,
        fields=fields,
    )
