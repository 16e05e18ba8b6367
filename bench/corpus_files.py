"""Output side of the corpus generator: rotated and compressed log files, fast timestamps.

Every writer streams: lines are collected into a block of about 1 MiB and then
written, so memory stays flat however large the corpus is. Byte counts are
uncompressed UTF-8 bytes, which is what the size options of the generator mean.
"""

from __future__ import annotations

import gzip
import io
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

log = logging.getLogger(__name__)

BLOCK_BYTES = 1 << 20
GZIP_LEVEL = 6
"""The level `gzip` and logrotate use by default."""


@dataclass(slots=True)
class FileRecord:
    """Summary of one written file: its path relative to the corpus, sizes and line count."""

    path: str
    kind: str
    node: str
    bytes: int = 0
    lines: int = 0
    disk_bytes: int = 0
    compressed: bool = False
    last_ms: int = 0

    def as_json(self) -> dict[str, object]:
        return {
            "path": self.path,
            "kind": self.kind,
            "node": self.node,
            "bytes": self.bytes,
            "lines": self.lines,
            "disk_bytes": self.disk_bytes,
            "compressed": self.compressed,
        }


def generation_names(name: str, rotate: bool, compress: bool) -> list[tuple[str, bool]]:
    """Name the generations of one log, oldest first, with whether each is gzip-compressed.

    Without rotation there is one file. With rotation the older half goes to
    ``NAME.1``. With compression the log has three generations the way logrotate
    leaves them with ``delaycompress``: ``NAME.2.gz``, ``NAME.1`` and ``NAME``.
    """
    if not rotate:
        return [(name, False)]
    if not compress:
        return [(f"{name}.1", False), (name, False)]
    return [(f"{name}.2.gz", True), (f"{name}.1", False), (name, False)]


class RotatedLog:
    """A log written as one or more generations, switching file after a share of the budget.

    The switch happens at a line boundary once the bytes written reach the next
    share of `budget`, so a run may start in ``installer.log.1`` and end in
    ``installer.log``, as it does after a real rotation.
    """

    _current: FileRecord
    _raw: BinaryIO | None
    _stream: gzip.GzipFile | BinaryIO | None

    def __init__(self, directory: Path, name: str, *, kind: str, node: str, budget: int,
                 rotate: bool, compress: bool) -> None:
        self._directory = directory
        self._generations = generation_names(name, rotate, compress)
        self._records: list[FileRecord] = []
        self._budget = max(budget, 1)
        self._kind = kind
        self._node = node
        self._index = -1
        self._written = 0
        self._switch_at = 0
        self._pending: list[str] = []
        self._pending_bytes = 0
        self._raw = None
        self._stream = None
        self._open_next()

    def write(self, line: str, ms: int) -> None:
        """Append one line (without its newline) whose record time is `ms` POSIX milliseconds."""
        size = len(line) + 1
        self._pending.append(line)
        self._pending_bytes += size
        self._written += size
        current = self._current
        current.lines += 1
        current.bytes += size
        current.last_ms = ms
        if self._pending_bytes >= BLOCK_BYTES:
            self._flush()
        if self._written >= self._switch_at and self._index < len(self._generations) - 1:
            self._close_current()
            self._open_next()

    def close(self) -> list[FileRecord]:
        """Flush and close every generation, and return a record of each file, oldest first."""
        self._close_current()
        # A generation left empty by a tiny budget is still created, as after a
        # rotation with nothing logged since. So the set of files never varies.
        while self._index < len(self._generations) - 1:
            self._open_next()
            self._close_current()
        return self._records

    def _open_next(self) -> None:
        self._index += 1
        name, compressed = self._generations[self._index]
        share = (self._index + 1) / len(self._generations)
        self._switch_at = int(self._budget * share)
        relative = f"{self._node}/{name}"
        self._current = FileRecord(path=relative, kind=self._kind, node=self._node,
                                   compressed=compressed)
        self._records.append(self._current)
        raw = open(self._directory / name, "wb")  # noqa: SIM115 - closed in _close_current
        self._raw = raw
        if compressed:
            # mtime=0 and a fixed member name keep the gzip bytes identical between runs.
            self._stream = gzip.GzipFile(filename=name.removesuffix(".gz"), mode="wb",
                                         fileobj=raw, compresslevel=GZIP_LEVEL, mtime=0)
        else:
            self._stream = raw

    def _flush(self) -> None:
        if not self._pending or self._stream is None:
            return
        self._pending.append("")
        self._stream.write("\n".join(self._pending).encode("utf-8"))
        self._pending = []
        self._pending_bytes = 0

    def _close_current(self) -> None:
        if self._stream is None or self._raw is None:
            return
        self._flush()
        if self._stream is not self._raw:
            self._stream.close()
        self._raw.close()
        path = self._directory / Path(self._current.path).name
        self._current.disk_bytes = path.stat().st_size
        set_mtime(path, self._current.last_ms)
        self._stream = None
        self._raw = None


def set_mtime(path: Path, ms: int) -> None:
    """Give a file the time of its last record, as the logging process would have left it."""
    if ms > 0:
        seconds = ms / 1000
        os.utime(path, (seconds, seconds))


class PlainLog:
    """A single file written in blocks, for logs that are never rotated (the journal export)."""

    def __init__(self, directory: Path, name: str, *, kind: str, node: str) -> None:
        self._path = directory / name
        self._record = FileRecord(path=f"{node}/{name}", kind=kind, node=node)
        self._pending: list[str] = []
        self._pending_bytes = 0
        self._out: io.BufferedWriter = open(self._path, "wb")  # noqa: SIM115 - see close

    def write(self, line: str, ms: int) -> None:
        size = len(line) + 1
        self._pending.append(line)
        self._pending_bytes += size
        self._record.lines += 1
        self._record.bytes += size
        self._record.last_ms = ms
        if self._pending_bytes >= BLOCK_BYTES:
            self._flush()

    def close(self) -> list[FileRecord]:
        self._flush()
        self._out.close()
        self._record.disk_bytes = self._path.stat().st_size
        set_mtime(self._path, self._record.last_ms)
        return [self._record]

    def _flush(self) -> None:
        if self._pending:
            self._pending.append("")
            self._out.write("\n".join(self._pending).encode("utf-8"))
            self._pending = []
            self._pending_bytes = 0


class IsoClock:
    """Format POSIX milliseconds as ``2026-12-03T02:14:07.123Z``, caching the minute prefix.

    `time.strftime` costs about a microsecond; a log line needs only the seconds
    and milliseconds recomputed while the minute stays the same.
    """

    __slots__ = ("_minute", "_prefix")

    def __init__(self) -> None:
        self._minute = -1
        self._prefix = ""

    def format(self, ms: int) -> str:
        minute, rest = divmod(ms, 60_000)
        if minute != self._minute:
            self._minute = minute
            self._prefix = time.strftime("%Y-%m-%dT%H:%M:", time.gmtime(minute * 60))
        seconds, millis = divmod(rest, 1000)
        return f"{self._prefix}{seconds:02d}.{millis:03d}Z"
