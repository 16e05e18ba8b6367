"""Phase 2 of the streaming investigation: parse the windows of the failed runs in full.

For one file, `read_windows` receives the time windows (in the file's own clock,
margin included) of the failed runs on the file's node and the file's sparse
index from phase 1. For each window it

1. reads the index interval that contains the window's start: from the last index
   point before it to the next point, at most `INDEX_BYTES` plus a line;
2. finds by binary search, probing one line's time at a time, the first record
   at or after the start minus `WINDOW_SLACK`;
3. runs the format's parser from there, as the files source would, until the
   parser returns a record later than the window's end plus `WINDOW_SLACK`.

`WINDOW_SLACK` absorbs records that are slightly out of time order (writers that
share a file, audit records of one event logged up to two seconds apart), so
every record inside the window is parsed with the records around it exactly as a
full read parses them.

Seeking in a plain file is free. A compressed file cannot seek: the decompressor
reads forward from the last position and must start over to go back. Windows are
therefore read in file order, and the whole file is decompressed once more at
most, only when a failed run's window lies in it. Keeping decompressor
snapshots from phase 1 would avoid that second pass, but Python's ``zlib``
objects cannot leave the process that made them.
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

from rca.model import Event, FileStats
from rca.parsers.base import ParseContext, get_parser
from rca.sources.files import FileSettings, LogFile
from rca.streaming import probes
from rca.streaming.reader import Stream, close_quietly, open_log
from rca.streaming.scan import INDEX_BYTES, IndexPoint

logger = logging.getLogger(__name__)

WINDOW_SLACK = 5.0
"""Seconds read before and after each window, for records out of time order."""

_READ_BYTES = 64 << 10
# The binary search stops narrowing when this few bytes are left, then probes line by line.
_LINEAR_BYTES = 2048
# Bytes read past the next index point, so the search area ends with a whole line.
_AREA_TAIL_BYTES = 4 << 10
KEEP_BEHIND_BYTES = 4 * INDEX_BYTES + _READ_BYTES
"""Bytes kept before the last range read, so that the next window rarely seeks back."""


@dataclass(frozen=True, slots=True)
class WindowTask:
    """The windows of one file to parse; `windows` are sorted, merged ``(start, end)`` pairs."""

    position: int
    log_file: LogFile
    format: str
    settings: FileSettings
    reference_time: float
    points: tuple[IndexPoint, ...]
    windows: tuple[tuple[float, float], ...]
    last_time: float | None = None
    transactions: frozenset[str] = frozenset()
    """Ids of the failed runs: own records of other runs are not returned."""


@dataclass(slots=True)
class WindowEvents:
    """The events parsed in one file's windows, in file order, and what reading them cost."""

    position: int
    events: list[Event] = field(default_factory=list)
    lines_parsed: int = 0
    rewinds: int = 0
    """Seeks back past the kept bytes; a compressed file is decompressed again each time."""


def read_windows(task: WindowTask) -> WindowEvents:
    """Parse the records of `task.windows` from one file (phase 2)."""
    result = WindowEvents(task.position)
    try:
        stream, _ = open_log(task.log_file.path)
    except OSError as error:
        logger.warning("cannot read %s again: %s", task.log_file.display, error)
        return result
    try:
        _WindowReader(task, stream, result).read_all()
    except (OSError, EOFError, ValueError) as error:
        logger.warning("%s: reading the run windows stopped: %s", task.log_file.display, error)
    finally:
        close_quietly(stream)
    return result


class _Cursor:
    """Reads byte ranges of a stream, keeping `KEEP_BEHIND_BYTES` before the last range read.

    Ranges requested in increasing order are served by reading forward. The next
    window's search area usually starts a little before the point where the
    previous window's parse stopped reading, and the kept bytes serve it. A range
    further back needs a seek back, which a decompressing stream does by
    starting over from the beginning of the file.
    """

    def __init__(self, stream: Stream) -> None:
        self._stream = stream
        self._buffer = b""
        self._buffer_offset = 0
        self.rewinds = 0

    def read_at(self, offset: int, size: int) -> bytes:
        stream_position = self._buffer_offset + len(self._buffer)
        if offset < self._buffer_offset or offset > stream_position:
            if offset < self._buffer_offset:
                self.rewinds += 1
            self._stream.seek(offset)
            self._buffer = b""
            self._buffer_offset = stream_position = offset
        end = offset + size
        if end > stream_position:
            self._buffer += self._stream.read(end - stream_position)
        start = offset - self._buffer_offset
        data = self._buffer[start:start + size]
        keep_from = max(0, start - KEEP_BEHIND_BYTES)
        if keep_from:
            self._buffer = self._buffer[keep_from:]
            self._buffer_offset += keep_from
        return data


class _WindowReader:
    def __init__(self, task: WindowTask, stream: Stream, result: WindowEvents) -> None:
        log_file = task.log_file
        self._task = task
        self._cursor = _Cursor(stream)
        self._result = result
        self._stats = FileStats(path=log_file.display, node=log_file.node)
        tz = task.settings.timezone_for(log_file.node)
        self._context = ParseContext(
            path=log_file.display, node=log_file.node, default_node=log_file.default_node,
            stats=self._stats, reference_time=task.reference_time, tz=tz)
        self._parse = get_parser(task.format).parse
        probe = probes.make_probe(task.format, tz)
        assert probe is not None and self._parse is not None
        self._probe = probe
        self._times = [point.timestamp for point in task.points]
        self._seen: set[int] = set()

    def read_all(self) -> None:
        task = self._task
        first_time = task.points[0].timestamp if task.points else None
        for start, end in task.windows:
            # A window entirely before the file's first or after its last record is skipped.
            if first_time is not None and end + WINDOW_SLACK < first_time:
                continue
            if task.last_time is not None and start - WINDOW_SLACK > task.last_time:
                continue
            self._read_window(start - WINDOW_SLACK, end + WINDOW_SLACK)
        self._result.lines_parsed = self._stats.lines_read
        self._result.rewinds = self._cursor.rewinds

    def _read_window(self, start: float, end: float) -> None:
        points = self._task.points
        # The last point before the start; the next point bounds the search.
        index = bisect.bisect_left(self._times, start) - 1
        if index >= 0:
            area_offset, area_line = points[index].offset, points[index].line
        else:
            area_offset, area_line = 0, 1
        following = index + 1
        area_end = (points[following].offset if following < len(points)
                    else area_offset + INDEX_BYTES)
        area = self._cursor.read_at(area_offset, area_end - area_offset + _AREA_TAIL_BYTES)
        found = self._first_at_or_after(area, start)
        line = area_line + area.count(b"\n", 0, found)
        parse = self._parse
        assert parse is not None
        for event in parse(self._lines(area_offset + found, line), self._context):
            if event.timestamp is not None and event.timestamp > end:
                break
            origin = event.origin.line or 0
            if origin in self._seen:
                continue
            self._seen.add(origin)
            if event.transaction_id is None or event.transaction_id in self._task.transactions:
                self._result.events.append(event)

    def _first_at_or_after(self, area: bytes, target: float) -> int:
        """Return the position in `area` of the first record stamped at or after `target`."""
        low, high = 0, len(area)
        while high - low > _LINEAR_BYTES:
            middle = (low + high) // 2
            found = self._probe_forward(area, middle, high)
            if found is None:
                high = middle
            elif found[1] < target:
                low = found[0]
            else:
                high = found[0]
        position = low
        while position < len(area):
            stop = area.find(b"\n", position)
            if stop < 0:
                return position
            timestamp = self._probe(area[position:stop])
            if timestamp is not None and timestamp >= target:
                return position
            position = stop + 1
        return position

    def _probe_forward(self, area: bytes, position: int, limit: int) -> tuple[int, float] | None:
        """Return the first line at or after `position` (a line start after it) with a time."""
        start = area.find(b"\n", position - 1, limit) + 1 if position else 0
        if start <= 0 and position:
            return None
        while start < limit:
            stop = area.find(b"\n", start, limit)
            if stop < 0:
                return None
            timestamp = self._probe(area[start:stop])
            if timestamp is not None:
                return start, timestamp
            start = stop + 1
        return None

    def _lines(self, offset: int, line: int) -> Iterator[tuple[int, str]]:
        """Yield numbered lines from file offset `offset` on, reading forward as needed."""
        stats = self._stats
        buffer = b""
        start = 0
        next_offset = offset
        while True:
            stop = buffer.find(b"\n", start)
            if stop < 0:
                more = self._cursor.read_at(next_offset, _READ_BYTES)
                next_offset += len(more)
                if not more:
                    if start < len(buffer) and buffer[start:].lstrip(b"\x00"):
                        stats.lines_read += 1
                        yield line, probes.decode_line(buffer[start:])
                    return
                buffer = buffer[start:] + more
                start = 0
                continue
            stats.lines_read += 1
            yield line, probes.decode_line(buffer[start:stop + 1])
            line += 1
            start = stop + 1
