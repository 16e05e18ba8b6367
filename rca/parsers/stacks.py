"""Crash reports that span lines in plain output: Python tracebacks and Go crashes.

    Traceback (most recent call last):
      File "/opt/fleet/fetch.py", line 41, in run
        raise HTTPError(req.full_url, code, msg, hdrs, fp)
    urllib.error.HTTPError: HTTP Error 404: Not Found

    panic: runtime error: index out of range [3] with length 3

    goroutine 1 [running]:
    main.main()
            /src/main.go:12 +0x1d

A block starts at a line that `start_block` recognizes and is offered every
following line. `StackBlock.offer` returns TAKE when the line belongs to the
block, HOLD for a blank line that belongs to it only if a later line does, and
STOP when the block ended before the line.
"""

from __future__ import annotations

import enum
import re

from rca.model import Level
from rca.parsers.base import is_blank

# Blank lines a block may contain in a row: Python prints one around the
# "During handling of the above exception" line, Go one between goroutines.
MAX_BLANK_LINES = 2

# Groups: indentation, the exception-group prefix.
_PYTHON_START_RE = re.compile(
    r"(\s*)(\+ Exception Group )?Traceback \(most recent call last\):\s*$")
_PYTHON_HEADER = "Traceback (most recent call last):"
# ``ValueError: text``, ``subprocess.CalledProcessError: ...``, ``KeyboardInterrupt``.
_PYTHON_EXCEPTION_RE = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*(?::(?:\s.*)?)?$")
_PYTHON_CHAIN_LINES = frozenset({
    "During handling of the above exception, another exception occurred:",
    "The above exception was the direct cause of the following exception:",
})
_GROUP_PREFIX = "|+- "

_GO_CRASH_RE = re.compile(r"(?:panic|fatal error|SIG[A-Z]{2,8}): ")
_GO_GOROUTINE_RE = re.compile(r"goroutine \d+ .*\]:\s*$")
# Frame function lines: ``main.main()``, ``net/http.(*conn).serve(0xc000128000, {...})``.
_GO_FRAME_RE = re.compile(r"\S+\(.*\)\s*$")
# Register dumps of a crash (``rax    0x0``) and the ``PC=0x46d7c1 m=0 sigcode=0`` line.
_GO_REGISTER_RE = re.compile(r"(?:[a-z][a-z0-9]{1,5}\s+0x[0-9a-f]+|PC=0x[0-9a-f]+\b.*)\s*$")
_GO_FRAME_NOTES = ("created by ", "...additional frames elided...", "runtime stack:")


class Offer(enum.Enum):
    """The decision of a block on the next line."""

    TAKE = "take"
    HOLD = "hold"
    STOP = "stop"


class StackBlock:
    """The lines of one crash report seen so far, and the rule for the next line."""

    kind = ""

    def __init__(self, first: str) -> None:
        self._first = first.strip()
        self._blank_lines = 0
        self.lines = 1

    def offer(self, text: str) -> Offer:
        """Decide whether `text` (without CI gutter) continues the block."""
        if is_blank(text):
            self._blank_lines += 1
            return Offer.HOLD if self._blank_lines <= MAX_BLANK_LINES else Offer.STOP
        after_blank = self._blank_lines > 0
        self._blank_lines = 0
        offer = self._offer_line(text, after_blank)
        if offer is Offer.TAKE:
            self.lines += 1
        return offer

    def _offer_line(self, text: str, after_blank: bool) -> Offer:
        raise NotImplementedError

    def message(self) -> str:
        """The line a person should read first: the error the report is about."""
        return self._first

    def level(self) -> Level:
        return Level.ERROR


class PythonTraceback(StackBlock):
    """``Traceback (most recent call last):`` through the exception line, chains included.

    Frames are indented deeper than the ``Traceback`` line, the exception line is
    at its indentation. pip prints a build's traceback indented, so the
    indentation of the first line is the reference.
    """

    kind = "python"

    def __init__(self, first: str, indent: int, group: bool) -> None:
        super().__init__(first)
        self._indent = indent
        self._group = group
        self._exception = ""
        self._state = "frames"

    def _offer_line(self, text: str, after_blank: bool) -> Offer:
        indent = len(text) - len(text.lstrip())
        body = text.strip()
        if self._group:
            return self._offer_group_line(indent, body)
        if self._state == "frames":
            if indent > self._indent:
                return Offer.TAKE
            if indent == self._indent and _PYTHON_EXCEPTION_RE.match(body):
                self._exception = body
                self._state = "exception"
                return Offer.TAKE
        elif self._state == "exception":
            if indent == self._indent and body in _PYTHON_CHAIN_LINES:
                self._state = "chained"
                return Offer.TAKE
        elif indent == self._indent and body == _PYTHON_HEADER:
            self._state = "frames"
            return Offer.TAKE
        return Offer.STOP

    def _offer_group_line(self, indent: int, body: str) -> Offer:
        """Lines of an exception group all start with ``|`` or ``+``."""
        if indent < self._indent or body[:1] not in ("|", "+"):
            return Offer.STOP
        if not self._exception:
            inner = body.lstrip(_GROUP_PREFIX)
            if inner != _PYTHON_HEADER and _PYTHON_EXCEPTION_RE.match(inner):
                self._exception = inner
        return Offer.TAKE

    def message(self) -> str:
        return self._exception or self._first


class GoCrash(StackBlock):
    """A Go panic, fatal error or signal dump and its goroutine blocks.

    Before the first goroutine block, the block takes the ``[signal ...]`` line,
    indented lines (a nested ``panic:``) and register dumps. Inside goroutine
    blocks it takes frame function lines, indented file lines and ``created by``
    lines. After a blank line, only another goroutine block continues it.
    """

    kind = "go"

    def __init__(self, first: str, crash: bool) -> None:
        super().__init__(first)
        self._crash = crash
        self._in_stack = not crash

    def _offer_line(self, text: str, after_blank: bool) -> Offer:
        if _GO_GOROUTINE_RE.match(text) or text.startswith("runtime stack:"):
            self._in_stack = True
            return Offer.TAKE
        if after_blank:
            return Offer.STOP
        if text[:1] in ("\t", " ") or _GO_REGISTER_RE.match(text):
            return Offer.TAKE
        if not self._in_stack:
            return Offer.TAKE if text.startswith("[signal ") else Offer.STOP
        if text.startswith(_GO_FRAME_NOTES) or _GO_FRAME_RE.match(text):
            return Offer.TAKE
        return Offer.STOP

    def level(self) -> Level:
        return Level.ERROR if self._crash else Level.INFO


def start_block(text: str) -> StackBlock | None:
    """Return the block that `text` starts, or None for an ordinary line."""
    first = text[:1]
    if first in ("T", " ", "\t", "+"):
        python = _PYTHON_START_RE.match(text)
        if python is not None:
            return PythonTraceback(text, len(python.group(1)), python.group(2) is not None)
    if first in ("p", "f", "S") and _GO_CRASH_RE.match(text):
        return GoCrash(text, crash=True)
    if first == "g" and _GO_GOROUTINE_RE.match(text):
        return GoCrash(text, crash=False)
    return None
