"""The parser contract: the context a parser reads with, and the registry of formats.

Each format has a `Parser`: a name, a ``sniff`` function that scores sample lines
from 0 to 1, and either a line parser ``parse(lines, context)`` or, for a format
that is not line-based (``journalctl -o export``), a byte parser
``parse_bytes(stream, context)``. `detect_format` picks a format for a file from
its name first and from the sniff scores second.

Line accounting, the same in every parser: each line read lands in exactly one of
`FileStats.parsed`, `unparsed`, `continuation` or `duplicates`. A line parser
counts the lines it is given (the reader counts `lines_read`); a byte parser also
counts `lines_read`, one per ``\\n`` it consumes. In formats with multi-line
records (installer, syslog, journal JSON), a blank line continues the record that
is open (a blank line inside a Go panic trace) and is counted as a continuation.
Any other blank line is counted as parsed.
"""

from __future__ import annotations

import datetime as dt
import functools
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from rca.errors import UsageError
from rca.i18n import N_
from rca.model import Event, FileStats, Origin


class ByteStream(Protocol):
    """A readable binary stream: a file, a decompressing reader or `io.BytesIO`."""

    def read(self, size: int = -1, /) -> bytes: ...

    def readline(self, size: int = -1, /) -> bytes: ...


Lines = Iterable[tuple[int, str]]
LineParser = Callable[[Lines, "ParseContext"], Iterator[Event]]
ByteParser = Callable[[ByteStream, "ParseContext"], Iterator[Event]]
Sniffer = Callable[[list[str]], float]

# Continuation text kept per record; further continuation lines are counted only.
MAX_RECORD_CHARS = 1 << 20

# A format needs at least this sniff score to be chosen over plain tool output.
SNIFF_THRESHOLD = 0.3

TOOL_OUTPUT = "tooloutput"


@dataclass(slots=True)
class ParseContext:
    """Parser input besides the lines: where they come from and how to read their time.

    `path` is the display path that goes into each event's origin. `node` is the
    node the folder layout gives. When it is empty, a parser takes the node from
    the record's host field, or else uses `default_node`.
    `reference_time` (POSIX seconds, normally the file's modification time) anchors
    year inference for syslog stamps; `tz` is the node's time zone for stamps
    without a zone.
    """

    path: str
    node: str = ""
    default_node: str = ""
    stats: FileStats = field(default_factory=lambda: FileStats(path=""))
    reference_time: float = field(default_factory=time.time)
    tz: dt.tzinfo = dt.UTC
    record_lines: dict[int, tuple[int, int]] = field(default_factory=dict)
    """Lines of each record that spans more than one line, by the record's first
    line number: how many were counted as parsed and how many as continuation. A
    record missing here is one parsed line. The files source reads it to move a
    duplicate record's lines into `FileStats.duplicates`."""

    def __post_init__(self) -> None:
        if not self.stats.path:
            self.stats.path = self.path

    def node_for(self, host: str | None) -> str:
        """Return the node of a record whose host field is `host` (None or empty if absent)."""
        return self.node or host or self.default_node

    def origin(self, line: int | None) -> Origin:
        return Origin(self.path, line)

    def note_record_lines(self, first_line: int | None, parsed: int, continuation: int) -> None:
        """Record how the lines of the record starting at `first_line` were counted."""
        if first_line is not None and (parsed, continuation) != (1, 0):
            self.record_lines[first_line] = (parsed, continuation)

    def take_record_lines(self, first_line: int | None) -> tuple[int, int]:
        """Return and forget the ``(parsed, continuation)`` line counts of a record."""
        if first_line is None:
            return 1, 0
        return self.record_lines.pop(first_line, (1, 0))


class MultilineRecord:
    """An event whose continuation lines are still being read.

    Continuation lines are collected in a list and joined once in `finish`, so a
    long stack trace costs linear time. Once the kept text would exceed
    `MAX_RECORD_CHARS`, further lines are counted in
    ``fields["continuation_dropped"]`` and not kept.
    """

    __slots__ = ("_dropped", "_lines", "_size", "continuation", "event")

    def __init__(self, event: Event) -> None:
        self.event = event
        self.continuation = 0
        self._lines: list[str] = []
        self._size = 0
        self._dropped = 0

    def append(self, text: str) -> None:
        self.continuation += 1
        if self._dropped or self._size + len(text) > MAX_RECORD_CHARS:
            self._dropped += 1
            return
        self._lines.append(text)
        self._size += len(text) + 1

    def finish(self) -> Event:
        """Return the event with its continuation lines joined to message and raw text."""
        event = self.event
        lines = self._lines
        while lines and not lines[-1].strip():
            lines.pop()
        if lines:
            tail = "\n".join(lines)
            event.message = f"{event.message}\n{tail}"
            event.raw = f"{event.raw}\n{tail}"
        if self._dropped:
            event.fields["continuation_dropped"] = self._dropped
        return event

    def finish_into(self, context: ParseContext) -> Event:
        """Finish the record and note its lines (one parsed, the rest continuation)."""
        event = self.finish()
        context.note_record_lines(event.origin.line, 1, self.continuation)
        return event


def is_blank(text: str) -> bool:
    return not text or text.isspace()


def line_fraction(sample: list[str], matches: Callable[[str], bool]) -> float:
    """Return the share of non-blank sample lines for which `matches` is true (0 if none)."""
    total = 0
    hits = 0
    for line in sample:
        if is_blank(line):
            continue
        total += 1
        if matches(line):
            hits += 1
    return hits / total if total else 0.0


@dataclass(frozen=True, slots=True)
class Parser:
    """One input format: its name, its sniff function and its line or byte parser."""

    name: str
    sniff: Sniffer
    parse: LineParser | None = None
    parse_bytes: ByteParser | None = None


@functools.cache
def parsers() -> dict[str, Parser]:
    """Build the registry of formats, in the order that breaks ties between sniff scores."""
    # The parser modules import this module, so they are imported on first use.
    from rca.parsers import audit, installer, journald, syslog, tooloutput

    entries = [
        Parser(audit.NAME, audit.sniff, parse=audit.parse),
        Parser(journald.NAME, journald.sniff, parse=journald.parse),
        Parser(journald.EXPORT_NAME, journald.sniff_export, parse_bytes=journald.parse_export),
        Parser(installer.NAME, installer.sniff, parse=installer.parse),
        Parser(syslog.NAME, syslog.sniff, parse=syslog.parse),
        Parser(tooloutput.NAME, tooloutput.sniff, parse=tooloutput.parse),
    ]
    return {entry.name: entry for entry in entries}


def get_parser(name: str) -> Parser:
    """Return the parser of format `name`; raises UsageError for an unknown name."""
    registry = parsers()
    try:
        return registry[name]
    except KeyError:
        raise UsageError(N_("unknown log format '%(name)s'; known formats: %(known)s."),
                         name=name, known=", ".join(registry)) from None


def format_names() -> list[str]:
    return list(parsers())


# File names that decide the format, tried on the lower-case name after the
# compression suffix and the rotation suffix (".1", "-20240101") are removed.
_NAME_RULES: tuple[tuple[Callable[[str], bool], str], ...] = (
    (lambda name: name.startswith("audit.log") or name == "audit", "audit"),
    (lambda name: name.endswith(".export"), "journald-export"),
    (lambda name: name.endswith((".json", ".jsonl", ".ndjson")), "journald"),
    (
        lambda name: name in {"syslog", "kern.log", "messages", "dmesg", "auth.log",
                              "daemon.log", "user.log", "secure", "kernel.log"},
        "syslog",
    ),
    (lambda name: name.startswith("installer") and name.endswith(".log"), "installer"),
)
_COMPRESSION_SUFFIXES = (".gz", ".bz2", ".xz")


def base_log_name(name: str) -> str:
    """Strip compression and rotation suffixes: ``kern.log.2.gz`` becomes ``kern.log``."""
    name = name.lower()
    for suffix in _COMPRESSION_SUFFIXES:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    stem, dot, last = name.rpartition(".")
    if dot and last.isdigit():
        name = stem
    stem, dash, last = name.rpartition("-")
    if dash and len(last) == 8 and last.isdigit():
        name = stem
    return name


def format_from_name(name: str) -> str | None:
    """Return the format a file name implies (``audit.log.1`` is audit), or None."""
    base = base_log_name(name)
    for matches, format_name in _NAME_RULES:
        if matches(base):
            return format_name
    return None


def detect_format(name: str, sample_lines: list[str]) -> str:
    """Choose the format of a file from its name, else from its first lines.

    Without a name rule, the format with the highest sniff score wins if the score
    reaches `SNIFF_THRESHOLD`; otherwise the file is plain tool output.
    """
    by_name = format_from_name(name)
    if by_name is not None:
        return by_name
    best_name = TOOL_OUTPUT
    best_score = SNIFF_THRESHOLD
    for parser in parsers().values():
        if parser.name == TOOL_OUTPUT:
            continue
        score = parser.sniff(sample_lines)
        if score > best_score or (score == best_score and best_name == TOOL_OUTPUT):
            best_name, best_score = parser.name, score
    return best_name
