"""Phase 1 of the streaming investigation: scan one file without parsing every line.

The scan reads a file in blocks of whole lines (`rca.streaming.reader`) and keeps
only what the investigation needs before the failed runs are known:

* the line count (`FileStats.lines_read`), from ``bytes.count``;
* a sparse index, one `IndexPoint` (byte offset, line number, time) about every
  `INDEX_BYTES`, so that phase 2 can seek to a time window;
* the *own* records of each transaction found in the file: the first and the
  last one, every error, every non-zero exit status and every ``dispatch`` and
  ``collect`` step. These decide which runs failed, their nodes, start and end,
  and the clock-offset estimate.

Context records (audit, journal entries without a transaction id, kernel lines)
are not looked at here at all: they only matter inside the window of a failed
run, and phase 2 reads them there.

How own records are found depends on the format:

* installer: `ROUTINE_BLOCK_RE` skips runs of routine lines; the lines between
  its matches are parsed with the installer parser, each record whole;
* journald (one JSON object per line): lines containing one of
  `JOURNAL_TRANSACTION_MARKERS` are parsed;
* audit records never carry a transaction id, and tool output has neither an id
  nor a time stamp, so those files are only counted (audit is also indexed).

Files the scan cannot read exactly are read in full with the files source and
all their events are kept (mode `FULL`): syslog (its year-less stamps depend on
every line before), journal exports and multi-line journal JSON, and any file
whose index shows its clock going back by more than the files source's clock
step tolerance. Their memory grows with their size.
"""

from __future__ import annotations

import itertools
import logging
import lzma
import os
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum

from rca import i18n
from rca.model import Event, FileStats
from rca.parsers.base import LineParser, ParseContext, detect_format, get_parser
from rca.sources.files import (
    MAX_LINE_BYTES,
    SAMPLE_BYTES,
    SAMPLE_LINES,
    FileSettings,
    LogFile,
    UnreadableFile,
    binary_reason,
    iter_file_events,
    unreadable_reason,
)
from rca.streaming import probes
from rca.streaming.patterns import JOURNAL_TRANSACTION_MARKERS, ROUTINE_BLOCK_RE
from rca.streaming.reader import (
    Block,
    Cutter,
    Stream,
    close_quietly,
    count_lines,
    cut_at_line,
    cut_at_record,
    iter_blocks,
    open_log,
)
from rca.timeorder import DEFAULT_TOLERANCE

logger = logging.getLogger(__name__)

INDEX_BYTES = 64 << 10
# Lines tried after an index position to find one whose time a probe can read.
INDEX_PROBE_LINES = 64
MARKER_STEPS = frozenset({"dispatch", "collect"})
# The sample the format is sniffed from: `SAMPLE_LINES` lines, read in blocks of
# `SAMPLE_BYTES` up to the length of that many lines of the maximum length.
MAX_SAMPLE_BYTES = SAMPLE_LINES * MAX_LINE_BYTES
_EXPORT_FORMAT = "journald-export"
_TOOL_OUTPUT = "tooloutput"


class ScanMode(StrEnum):
    """The way phase 1 read a file."""

    SCAN = "scan"
    """Scanned: own records and an index kept, context read again in phase 2."""
    COUNT = "count"
    """Only counted: the format contains nothing a run can use."""
    FULL = "full"
    """Read in full with the files source; every event is kept."""
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class IndexPoint:
    """A record start in a file: byte offset (after decompression), line number, time."""

    offset: int
    line: int
    timestamp: float


@dataclass(frozen=True, slots=True)
class ScanTask:
    """One file to scan; `position` is its place in the sorted file order."""

    position: int
    log_file: LogFile
    settings: FileSettings
    size: int = 0


@dataclass(slots=True)
class FileScan:
    """The part of one file that phase 1 keeps.

    `own_events` are the own records the scan parsed, in file order: the first
    and last of each transaction, errors, exit statuses and ``dispatch`` and
    ``collect`` steps (mode `SCAN`), or every event of the file (mode `FULL`).
    `skimmed` counts the lines the scan read and checked but did not parse.
    `own_records` counts, per transaction id, the own records the scan saw,
    parsed or not.
    """

    position: int
    log_file: LogFile
    stats: FileStats
    mode: ScanMode = ScanMode.SKIPPED
    compressed: bool = False
    reference_time: float = 0.0
    skimmed: int = 0
    own_events: list[Event] = field(default_factory=list)
    points: list[IndexPoint] = field(default_factory=list)
    last_time: float | None = None
    """Time of the last record whose time a probe read, for skipping windows after the file."""
    own_records: dict[str, int] = field(default_factory=dict)
    bytes_read: int = 0


def scan_file(task: ScanTask) -> FileScan:
    """Scan one file (phase 1).

    An unreadable file gets a skip reason and a damaged one is read in full by the
    files source, so neither raises.
    """
    log_file = task.log_file
    stats = FileStats(path=log_file.display, node=log_file.node)
    result = FileScan(task.position, log_file, stats)
    if log_file.skipped is not None:
        stats.skipped = log_file.skipped
        return result
    translate = i18n.gettext(task.settings.lang)
    try:
        result.reference_time = log_file.path.stat().st_mtime
        stream, result.compressed = open_log(log_file.path)
    except (OSError, UnreadableFile) as error:
        stats.skipped = unreadable_reason(error, translate)
        logger.warning("cannot read %s: %s", log_file.display, error)
        return result
    try:
        sample = _read_sample(stream)
        format_name = _choose_format(sample, log_file, task.settings, stats, translate)
        if format_name is None:
            return result
        mode = _mode_for(format_name, sample)
        stream.seek(0)
        if mode is ScanMode.FULL:
            return _read_full(result, task)
        scanner = _Scanner(result, format_name, task.settings)
        scanner.run(stream, mode)
    except _TimeWentBack:
        result.mode = ScanMode.FULL
    except (OSError, EOFError, ValueError, zlib.error, lzma.LZMAError) as error:
        # A damaged compressed stream (gzip raises OSError or EOFError, bz2 and
        # lzma raise OSError or EOFError too) is left to the files source, which
        # keeps the lines before the damage and warns.
        logger.warning("%s: scan stopped, reading it in full: %s", log_file.display, error)
        return _read_full(FileScan(task.position, log_file,
                                   FileStats(path=log_file.display, node=log_file.node)), task)
    finally:
        close_quietly(stream)
    if result.mode is ScanMode.FULL:
        # The index showed the clock going back: the files source repairs the order.
        return _read_full(FileScan(task.position, log_file,
                                   FileStats(path=log_file.display, node=log_file.node)), task)
    return result


def _choose_format(sample: list[bytes], log_file: LogFile, settings: FileSettings,
                   stats: FileStats, translate: i18n.Translator) -> str | None:
    """Sniff the first lines like the files source; None (and a skip reason) for binary data."""
    chosen = settings.format or detect_format(log_file.path.name,
                                              [probes.decode_line(raw) for raw in sample])
    if chosen != _EXPORT_FORMAT:
        reason = binary_reason(b"".join(sample), translate)
        if reason is not None:
            stats.skipped = reason
            return None
    stats.format = chosen
    return chosen


def _read_sample(stream: Stream) -> list[bytes]:
    """Return the first lines as the files source samples them: NUL runs before a line dropped."""
    head = stream.read(SAMPLE_BYTES)
    while head.count(b"\n") < SAMPLE_LINES and len(head) < MAX_SAMPLE_BYTES:
        more = stream.read(SAMPLE_BYTES)
        if not more:
            break
        head += more
    lines = head.lstrip(b"\x00").split(b"\n")
    sample = [line.lstrip(b"\x00") + b"\n" for line in lines[:SAMPLE_LINES]]
    if len(lines) <= SAMPLE_LINES:
        sample[-1] = sample[-1][:-1]
        if not sample[-1]:
            sample.pop()
    return sample


def _mode_for(format_name: str, sample: list[bytes]) -> ScanMode:
    if format_name in (probes.INSTALLER, probes.AUDIT):
        return ScanMode.SCAN
    if format_name == _TOOL_OUTPUT:
        return ScanMode.COUNT
    if format_name == probes.JOURNALD and _one_object_per_line(sample):
        return ScanMode.SCAN
    return ScanMode.FULL


def _one_object_per_line(sample: list[bytes]) -> bool:
    for raw in sample:
        text = raw.strip()
        if text and not (text.startswith(b"{") and text.endswith(b"}")):
            return False
    return True


def _read_full(result: FileScan, task: ScanTask) -> FileScan:
    """Read the whole file with the files source and keep every event (mode `FULL`)."""
    stats = result.stats
    events = list(iter_file_events(task.log_file, stats, task.settings, itertools.count()))
    result.mode = ScanMode.FULL if stats.skipped is None else ScanMode.SKIPPED
    result.own_events = events
    result.skimmed = 0
    for event in events:
        if event.transaction_id:
            result.own_records[event.transaction_id] = \
                result.own_records.get(event.transaction_id, 0) + 1
    return result


class _TimeWentBack(Exception):
    """The index found a record earlier than one before it: the file is read in full."""


class _OwnRecords:
    """The first and last own record of each transaction in one file, and those to keep.

    A routine installer line is remembered as its line number and raw bytes and
    parsed only if it is still the first or last record of its transaction when
    the file ends.
    """

    def __init__(self) -> None:
        self.first: dict[str, tuple[int, Event | bytes]] = {}
        self.last: dict[str, tuple[int, Event | bytes]] = {}
        self.kept: dict[int, Event] = {}
        self.counts: dict[str, int] = {}

    def add_event(self, event: Event) -> None:
        txn = event.transaction_id
        if not txn:
            return
        line = event.origin.line or 0
        self.counts[txn] = self.counts.get(txn, 0) + 1
        if txn not in self.first:
            self.first[txn] = (line, event)
        self.last[txn] = (line, event)
        if event.is_error or event.fields.get("step") in MARKER_STEPS:
            self.kept[line] = event

    def add_routine(self, txn: str, first: tuple[int, bytes], last: tuple[int, bytes],
                    count: int) -> None:
        self.counts[txn] = self.counts.get(txn, 0) + count
        if txn not in self.first:
            self.first[txn] = first
        self.last[txn] = last

    def resolve(self, parse_line: Callable[[int, bytes], Event | None],
                parsed: dict[int, Event]) -> list[Event]:
        """Parse the remembered routine lines still needed; return the kept events in file order."""
        for table in (self.first, self.last):
            for _txn, (line, item) in table.items():
                if isinstance(item, Event):
                    self.kept[line] = item
                    continue
                event = parsed.get(line)
                if event is None:
                    event = parse_line(line, item)
                    if event is not None:
                        parsed[line] = event
                if event is not None:
                    self.kept[line] = event
        return [self.kept[line] for line in sorted(self.kept)]


class _Scanner:
    """Scans one file's blocks: counts lines, builds the index, collects own records."""

    def __init__(self, result: FileScan, format_name: str, settings: FileSettings) -> None:
        log_file = result.log_file
        self._result = result
        self._format = format_name
        self._context = ParseContext(
            path=log_file.display, node=log_file.node, default_node=log_file.default_node,
            stats=result.stats, reference_time=result.reference_time,
            tz=settings.timezone_for(log_file.node))
        self._parser = get_parser(format_name)
        self._probe = probes.make_probe(format_name, self._context.tz)
        self._own = _OwnRecords()
        self._parsed: dict[int, Event] = {}
        self._next_index = 0
        self._latest_time = float("-inf")
        # The last line of the latest routine run, which continuation lines after it extend.
        self._routine_tail: tuple[int, int, bytes] | None = None

    def run(self, stream: Stream, mode: ScanMode) -> None:
        result = self._result
        stats = result.stats
        cutter: Cutter = cut_at_line
        if self._format == probes.INSTALLER:
            cutter = cut_at_record(probes.starts_installer_record)
        for block in iter_blocks(stream, cutter):
            stats.lines_read += count_lines(block)
            result.bytes_read = block.offset + block.end - 1
            if mode is ScanMode.COUNT:
                continue
            self._index(block)
            self._note_last_time(block)
            if self._format == probes.INSTALLER:
                self._installer_block(block)
            elif self._format == probes.JOURNALD:
                self._journal_block(block)
        result.mode = mode
        result.own_events = self._own.resolve(self._parse_line, self._parsed)
        result.own_records = self._own.counts
        parsed_lines = stats.parsed + stats.unparsed + stats.continuation + stats.duplicates
        result.skimmed = max(0, stats.lines_read - parsed_lines)
        stats.skimmed = result.skimmed
        if not stats.node:
            nodes = {event.node for event in result.own_events}
            if len(nodes) == 1:
                stats.node = nodes.pop()

    # -- sparse index ---------------------------------------------------------------

    def _index(self, block: Block) -> None:
        probe = self._probe
        if probe is None:
            return
        data = block.data
        block_end_offset = block.offset + block.end - 1
        counted_to = 1
        line = block.line
        while self._next_index < block_end_offset:
            position = max(1, self._next_index - block.offset + 1)
            if data[position - 1] != 0x0A:
                position = data.find(b"\n", position, block.end) + 1
                if position <= 0:
                    break
            point = self._probe_from(data, position, block.end, probe)
            self._next_index += INDEX_BYTES
            if point is None:
                continue
            start, timestamp = point
            line += data.count(b"\n", counted_to, start)
            counted_to = start
            self._add_point(IndexPoint(block.offset + start - 1, line, timestamp))

    @staticmethod
    def _probe_from(data: bytes, position: int, end: int,
                    probe: probes.Probe) -> tuple[int, float] | None:
        for _ in range(INDEX_PROBE_LINES):
            if position >= end:
                return None
            stop = data.find(b"\n", position, end)
            stop = end if stop < 0 else stop
            timestamp = probe(data[position:stop])
            if timestamp is not None:
                return position, timestamp
            position = stop + 1
        return None

    def _note_last_time(self, block: Block) -> None:
        """Remember the time of the block's last record that a probe can read."""
        probe = self._probe
        if probe is None:
            return
        data = block.data
        stop = block.end
        for _ in range(INDEX_PROBE_LINES):
            if stop <= 1:
                return
            start = data.rfind(b"\n", 0, stop - 1) + 1
            timestamp = probe(data[start:stop].rstrip(b"\n"))
            if timestamp is not None:
                self._result.last_time = timestamp
                return
            stop = start

    def _add_point(self, point: IndexPoint) -> None:
        if point.timestamp < self._latest_time - DEFAULT_TOLERANCE:
            logger.debug("%s: time goes back at line %d; reading it in full",
                         self._context.path, point.line)
            raise _TimeWentBack
        self._latest_time = max(self._latest_time, point.timestamp)
        self._result.points.append(point)

    # -- installer ------------------------------------------------------------------

    def _installer_block(self, block: Block) -> None:
        data = block.data
        position = 1
        line = block.line
        for match in ROUTINE_BLOCK_RE.finditer(data, 0, block.end):
            first = match.start() + 1
            if first > position:
                self._installer_gap(data, position, first, line)
                line += data.count(b"\n", position, first)
            stop = match.end()
            count = data.count(b"\n", first, stop)
            last_start = data.rfind(b"\n", first - 1, stop - 1) + 1
            txn = match.group(1).decode("utf-8", "replace")
            last_line = line + count - 1
            self._own.add_routine(
                txn, (line, data[first:data.find(b"\n", first, stop)]),
                (last_line, data[last_start:stop - 1]), count)
            self._routine_tail = (last_line, block.offset + last_start - 1,
                                  data[last_start:stop - 1])
            line += count
            position = stop
        if position < block.end:
            self._installer_gap(data, position, block.end, line)

    def _installer_gap(self, data: bytes, start: int, stop: int, line: int) -> None:
        """Parse the lines ``data[start:stop]``, which no routine run covers."""
        raw_lines = data[start:stop].split(b"\n")
        if raw_lines and not raw_lines[-1]:
            raw_lines.pop()
        numbered: list[tuple[int, str]] = []
        remember = None
        tail = self._routine_tail
        if (tail is not None and tail[0] == line - 1 and raw_lines
                and not probes.starts_installer_record(raw_lines[0])):
            # Continuation lines of the routine record just before: parse it with them.
            remember = tail[0]
            numbered.append((remember, probes.decode_line(tail[2])))
        numbered.extend((line + index, probes.decode_line(raw))
                        for index, raw in enumerate(raw_lines))
        self._parse_numbered(numbered, remember)

    def _parse_numbered(self, numbered: Iterable[tuple[int, str]],
                        remember: int | None = None) -> None:
        parse = self._parser.parse
        assert parse is not None
        for event in parse(numbered, self._context):
            if remember is not None and event.origin.line == remember:
                self._parsed[remember] = event
                continue
            self._own.add_event(event)

    def _parse_line(self, line: int, raw: bytes) -> Event | None:
        parse = self._parser.parse
        assert parse is not None
        events = list(parse([(line, probes.decode_line(raw))], self._context))
        return events[0] if events else None

    # -- journald -------------------------------------------------------------------

    def _journal_block(self, block: Block) -> None:
        data = block.data
        starts: set[int] = set()
        for marker in JOURNAL_TRANSACTION_MARKERS:
            position = data.find(marker, 1, block.end)
            while position >= 0:
                start = data.rfind(b"\n", 0, position) + 1
                starts.add(start)
                stop = data.find(b"\n", position, block.end)
                if stop < 0:
                    break
                position = data.find(marker, stop, block.end)
        if not starts:
            return
        numbered: list[tuple[int, str]] = []
        line = block.line
        counted_to = 1
        for start in sorted(starts):
            line += data.count(b"\n", counted_to, start)
            counted_to = start
            stop = data.find(b"\n", start, block.end)
            stop = block.end if stop < 0 else stop
            numbered.append((line, probes.decode_line(data[start:stop])))
        for event in _parse_each(self._parser.parse, numbered, self._context):
            self._own.add_event(event)


def _parse_each(parse: LineParser | None, numbered: list[tuple[int, str]],
                context: ParseContext) -> Iterator[Event]:
    """Parse lines that are not neighbours one at a time, so no record joins another."""
    assert parse is not None
    for item in numbered:
        yield from parse([item], context)


def worker_count(requested: int | None = None) -> int:
    """Return the number of scan processes: `requested`, ``RCA_WORKERS`` or the core count."""
    if requested is not None:
        return max(1, requested)
    configured = os.environ.get("RCA_WORKERS", "").strip()
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    return max(1, os.cpu_count() or 1)


