"""Installer text logs: an ISO-8601 time stamp, a level, then logfmt fields.

    2026-12-03T02:14:07.120Z INFO txn=run-0042 step=fetch msg="run started"
    2026-12-03T02:14:07.123Z ERROR txn=run-0042 step=go-install exit=1 msg="go: downloading github.com/go-delve/delve v1.23.1"
    ts=2026-12-03T02:14:09Z level=error txn=run-0042 msg="run failed"

The accepted variants (space for ``T``, comma fractions, numeric zones, a
bracketed level, ``ts=``/``time=`` logfmt, free text with fields anywhere) are
listed in docs/installer-log-format.md. The transaction id comes from ``txn`` or
one of its aliases, and a numeric exit status from ``exit``, ``exit_code``,
``rc`` or ``status``. Every other key lands in `Event.fields`. A line that starts with
neither a time stamp nor ``ts=``/``time=`` continues the previous record (a Go
panic, a Python traceback, a wrapped message).
"""  # noqa: E501 - the examples are real lines, kept whole

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

from rca.model import Event, Level, SourceKind
from rca.parsers import logfmt
from rca.parsers.base import Lines, MultilineRecord, ParseContext, is_blank, line_fraction
from rca.parsers.timestamps import ISO_RE, epoch_number_timestamp, iso_has_zone, iso_timestamp

logger = logging.getLogger(__name__)

NAME = "installer"

EXIT_KEYS = frozenset({"exit", "exit_code", "rc", "status"})
MESSAGE_KEYS = frozenset({"msg", "message"})
TIME_KEYS = frozenset({"ts", "time", "timestamp"})
LEVEL_KEYS = frozenset({"level", "lvl", "severity"})
HOST_KEYS = frozenset({"node", "host", "hostname"})
# Fields of the installer format kept in `Event.fields` but cut from a free-text
# message, like the fields that become event attributes.
_STEP_KEYS = frozenset({"step", "cmd"})

# After the time stamp: an optional " - " (log4j-style layouts), then the level,
# bare, bracketed or followed by a colon.
_LEVEL_RE = re.compile(r"\s+(?:-\s+)?(\[?([A-Za-z]+)\]?:?)(?=\s|$)")
_LOGFMT_START = ("ts=", "time=", "timestamp=")


def sniff(sample: list[str]) -> float:
    """Score sample lines: the share that are installer records with a level."""
    return line_fraction(sample, _looks_like_record)


def _looks_like_record(line: str) -> bool:
    if line.startswith(_LOGFMT_START):
        return "level=" in line or "lvl=" in line
    match = ISO_RE.match(line)
    if match is None:
        return False
    level = _LEVEL_RE.match(line, match.end())
    return level is not None and Level.from_name(level.group(2)) is not None


def parse(lines: Lines, context: ParseContext) -> Iterator[Event]:
    """Read installer records; lines without a time stamp continue the previous one."""
    stats = context.stats
    pending: MultilineRecord | None = None
    for number, text in lines:
        event = read_record(number, text, context)
        if event is not None:
            if pending is not None:
                yield pending.finish_into(context)
            pending = MultilineRecord(event)
            stats.parsed += 1
        elif pending is not None:
            pending.append(text)
            stats.continuation += 1
        elif is_blank(text):
            stats.parsed += 1
        else:
            stats.note_unparsed(number, text)
    if pending is not None:
        yield pending.finish_into(context)


def read_record(number: int, text: str, context: ParseContext) -> Event | None:
    """Read one record line, or return None if the line does not start a record."""
    first = text[:1]
    if first.isdigit():
        match = ISO_RE.match(text)
        if match is None:
            return None
        if not iso_has_zone(match):
            context.stats.timestamps_inferred += 1
        return _record_after_stamp(number, text, match.end(), iso_timestamp(match, context.tz),
                                    context)
    if first == "t" and text.startswith(_LOGFMT_START):
        return _logfmt_record(number, text, context)
    return None


def _record_after_stamp(
    number: int, text: str, end: int, timestamp: float | None, context: ParseContext
) -> Event:
    level = Level.INFO
    level_match = _LEVEL_RE.match(text, end)
    if level_match is not None:
        named = Level.from_name(level_match.group(2))
        if named is not None:
            level = named
            end = level_match.end()
    fields = _Fields.read(text[end:].strip())
    return fields.event(number, text, timestamp, fields.level or level, context)


def _logfmt_record(number: int, text: str, context: ParseContext) -> Event:
    fields = _Fields.read(text)
    timestamp = None
    if fields.time is not None:
        match = ISO_RE.fullmatch(fields.time)
        if match is not None:
            timestamp = iso_timestamp(match, context.tz)
            if not iso_has_zone(match):
                context.stats.timestamps_inferred += 1
        else:
            timestamp = epoch_number_timestamp(fields.time)
    return fields.event(number, text, timestamp, fields.level or Level.INFO, context)


class _Fields:
    """The logfmt part of a record, sorted into the event's attributes."""

    __slots__ = ("exit_code", "extra", "host", "level", "message", "time", "transaction_id")

    def __init__(self) -> None:
        self.transaction_id: str | None = None
        self.exit_code: int | None = None
        self.message: str | None = None
        self.time: str | None = None
        self.level: Level | None = None
        self.host: str | None = None
        self.extra: dict[str, object] = {}

    @classmethod
    def read(cls, rest: str) -> _Fields:
        fields = cls()
        known_spans: list[tuple[int, int]] = []
        other_spans: list[tuple[int, int]] = []
        for key, value, start, end in logfmt.pairs(rest):
            if fields._take(key, value):
                known_spans.append((start, end))
            else:
                other_spans.append((start, end))
        fields._set_message(rest, known_spans, other_spans)
        return fields

    def _take(self, key: str, value: str) -> bool:
        """Store one field; True when the key belongs to the installer format."""
        lower = key.lower()
        if lower in logfmt.TRANSACTION_KEYS:
            self.transaction_id = self.transaction_id or value or None
        elif lower in EXIT_KEYS and _is_integer(value):
            if self.exit_code is None:
                self.exit_code = int(value)
        elif lower in MESSAGE_KEYS:
            self.message = value if self.message is None else self.message
        elif lower in TIME_KEYS:
            self.time = self.time or value
        elif lower in LEVEL_KEYS and Level.from_name(value) is not None:
            self.level = self.level or Level.from_name(value)
        elif lower in HOST_KEYS:
            self.host = self.host or value
        else:
            self.extra.setdefault(key, value)
            return lower in _STEP_KEYS
        return True

    def _set_message(
        self, rest: str, known: list[tuple[int, int]], other: list[tuple[int, int]]
    ) -> None:
        # With a msg field the message is msg, preceded by any free words. Without
        # one, the message is the text minus the installer's own fields, so that
        # unknown key=value pairs stay readable in it.
        cut = sorted(known + other) if self.message is not None else known
        free = _without_spans(rest, cut)
        if self.message is None:
            self.message = free
        elif free:
            self.message = f"{free} {self.message}"

    def event(
        self, number: int, text: str, timestamp: float | None, level: Level,
        context: ParseContext,
    ) -> Event:
        fields = self.extra
        if self.exit_code is not None:
            fields["exit_code"] = self.exit_code
        if self.host:
            fields["host"] = self.host
        return Event(
            timestamp=timestamp,
            node=context.node_for(self.host),
            kind=SourceKind.INSTALLER,
            level=level,
            message=self.message or "",
            raw=text,
            origin=context.origin(number),
            sequence=number,
            transaction_id=self.transaction_id,
            fields=fields,
        )


def _is_integer(value: str) -> bool:
    digits = value[1:] if value[:1] in ("-", "+") else value
    return digits.isdigit() and digits.isascii()


def _without_spans(text: str, spans: list[tuple[int, int]]) -> str:
    """Remove the given sorted, non-overlapping spans from `text` and collapse spaces."""
    if not spans:
        return text.strip()
    pieces = []
    position = 0
    for start, end in spans:
        pieces.append(text[position:start].strip())
        position = end
    pieces.append(text[position:].strip())
    return " ".join(piece for piece in pieces if piece)
