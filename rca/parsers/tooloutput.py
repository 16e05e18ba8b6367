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

Crash reports that span lines are one event each (`rca.parsers.stacks`), so a
stack trace counts as one error, not one per frame:

    Traceback (most recent call last):
      File "/usr/lib/python3/dist-packages/fleet/fetch.py", line 41, in run
    urllib.error.HTTPError: HTTP Error 404: Not Found

    panic: runtime error: invalid memory address or nil pointer dereference
    [signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x4a3f2c]

    goroutine 1 [running]:
    main.main()
            /src/cmd/dlv/main.go:12 +0x1d

A Python traceback runs from ``Traceback (most recent call last):`` to the
exception line, chained tracebacks included, and its message is that last
exception line. A Go crash (``panic:``, ``fatal error:``, a ``SIGQUIT: quit``
dump or a bare ``goroutine N [...]:`` dump) runs through its goroutine blocks,
and its message is its first line. The event's raw text contains every line, and
the lines after the first are counted in `FileStats.continuation`.

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
from rca.parsers.base import Lines, MultilineRecord, ParseContext, is_blank
from rca.parsers.levels import apply_systemd_exit, level_from_text
from rca.parsers.stacks import Offer, StackBlock, start_block

logger = logging.getLogger(__name__)

NAME = "tooloutput"

_GUTTER_RE = re.compile(r"\s*>\s|#\d+ \d+\.\d+ |Step (\d+/\d+) : ")
_GUTTER_START = frozenset(" >#S")


def sniff(sample: list[str]) -> float:
    """Any text can be tool output; the format is the fallback when nothing else fits."""
    return 0.1 if sample else 0.0


def parse(lines: Lines, context: ParseContext) -> Iterator[Event]:
    """Turn each non-blank line into an event, and each crash report into one event.

    Blank lines outside a crash report are counted as parsed.
    """
    reader = _OutputReader(context)
    for number, text in lines:
        yield from reader.line(number, text)
    yield from reader.close()


class _OutputReader:
    """Emits line events, holding back a crash report until its last line is known.

    Blank lines that may continue an open report (the blank line between two
    goroutine blocks) wait in `_pending_blanks` until the next line decides.
    """

    def __init__(self, context: ParseContext) -> None:
        self._context = context
        self._stats = context.stats
        self._node = context.node_for(None)
        self._block: StackBlock | None = None
        self._record: MultilineRecord | None = None
        self._pending_blanks: list[tuple[int, str]] = []

    def line(self, number: int, text: str) -> Iterator[Event]:
        if self._block is not None:
            offer = self._block.offer(_without_gutter(text))
            if offer is Offer.TAKE:
                self._take(text)
                return
            if offer is Offer.HOLD:
                self._pending_blanks.append((number, text))
                return
            yield from self._finish_block()
        yield from self._start(number, text)

    def close(self) -> Iterator[Event]:
        if self._block is not None:
            yield from self._finish_block()

    def _take(self, text: str) -> None:
        assert self._record is not None
        for _, blank in self._pending_blanks:
            self._record.append(blank)
        self._record.append(text)
        self._stats.continuation += len(self._pending_blanks) + 1
        self._pending_blanks = []

    def _start(self, number: int, text: str) -> Iterator[Event]:
        self._stats.parsed += 1
        if is_blank(text):
            return
        event = line_event(number, text, self._node, self._context)
        block = start_block(event.message)
        if block is None:
            yield event
            return
        self._block = block
        self._record = MultilineRecord(event)

    def _finish_block(self) -> Iterator[Event]:
        block, record = self._block, self._record
        assert block is not None and record is not None
        self._block = None
        self._record = None
        event = record.finish_into(self._context)
        if block.lines > 1:
            event.message = block.message()
            event.level = max(event.level, block.level(), level_from_text(event.message))
            event.fields["stack"] = block.kind
        yield event
        blanks, self._pending_blanks = self._pending_blanks, []
        for number, text in blanks:
            yield from self._start(number, text)


def _without_gutter(text: str) -> str:
    if text[:1] in _GUTTER_START:
        gutter = _GUTTER_RE.match(text)
        if gutter is not None:
            return text[gutter.end():]
    return text


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

