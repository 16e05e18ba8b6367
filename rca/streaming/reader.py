"""Open log files as the files source does, and read them in large blocks of whole lines.

`open_log` recognizes gzip, bzip2 and xz by their magic bytes and rejects the
archives the files source rejects, with the same reasons. `iter_blocks` reads a
stream in blocks of about `BLOCK_BYTES`. Each block holds whole lines only, the
partial last line is carried into the next block, and byte 0 of every block is a
``\\n`` sentinel, so a pattern that starts with ``\\n`` also finds the first
line. A format can move the cut further back to the start of its last record
(`cut_at_record`), so that no multi-line record spans two blocks.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

# NOTE: these helpers are private to the files source; they are imported rather
# than copied so that skip reasons and supported compressions stay identical.
from rca.sources.files import check_supported, find_decompressor

logger = logging.getLogger(__name__)

BLOCK_BYTES = 8 << 20
# A block is cut at a record start only if one is found this close to its end;
# otherwise it is cut at the last line end and a record may span two blocks.
RECORD_CUT_SEARCH_BYTES = 1 << 20


class Stream(Protocol):
    """A readable, seekable binary stream (a file or a decompressing reader)."""

    def read(self, size: int = -1, /) -> bytes: ...

    def seek(self, offset: int, whence: int = 0, /) -> int: ...

    def close(self) -> None: ...


def open_log(path: Path) -> tuple[Stream, bool]:
    """Open `path` for reading, decompressing it when its magic bytes show a compressed format.

    Returns the stream and whether it decompresses. Raises OSError when the file
    cannot be opened and the files source's unreadable-file error for an
    archive it does not read (zstd, zip, 7z, a binary journal).
    """
    with path.open("rb") as probe:
        magic = probe.read(8)
    check_supported(magic)
    decompressor = find_decompressor(magic)
    if decompressor is None:
        return path.open("rb"), False
    stream: Stream = decompressor(path)  # type: ignore[assignment]
    return stream, True


@dataclass(slots=True)
class Block:
    """Whole lines of a file: ``data[1:end]``, where ``data[0]`` is a ``\\n`` sentinel.

    `offset` is the file offset (after decompression) of ``data[1]``, `line`
    the 1-based number of the line starting there and `newlines` the number of
    ``\\n`` in ``data[1:end]``, counted once when the block is cut.
    """

    data: bytes
    end: int
    offset: int
    line: int
    newlines: int


Cutter = Callable[[bytes, int], int]


def cut_at_line(data: bytes, end: int) -> int:
    """Return the position after the last ``\\n`` before `end`, or 0 if there is none."""
    return data.rfind(b"\n", 0, end) + 1


def cut_at_record(starts_record: Callable[[bytes], bool]) -> Cutter:
    """Return a cutter that ends a block before the last line starting a record."""

    def cut(data: bytes, end: int) -> int:
        position = cut_at_line(data, end)
        floor = max(1, position - RECORD_CUT_SEARCH_BYTES)
        line_end = position - 1
        while line_end > floor:
            start = data.rfind(b"\n", 0, line_end) + 1
            if start < floor:
                break
            if starts_record(data[start:start + 64]):
                return start
            line_end = start - 1
        return position

    return cut


def iter_blocks(stream: Stream, cutter: Cutter = cut_at_line,
                size: int = BLOCK_BYTES) -> Iterator[Block]:
    """Yield the stream's content as `Block`s of whole lines, the last one possibly unterminated."""
    carry = b""
    offset = 0
    line = 1
    while True:
        chunk = stream.read(size)
        if not chunk:
            break
        data = b"\n" + carry + chunk
        cut = cutter(data, len(data))
        if cut <= 1:
            carry = data[1:]
            continue
        newlines = data.count(b"\n", 1, cut)
        yield Block(data, cut, offset, line, newlines)
        offset += cut - 1
        line += newlines
        carry = data[cut:]
    if carry:
        yield Block(b"\n" + carry, len(carry) + 1, offset, line, carry.count(b"\n"))


def count_lines(block: Block) -> int:
    """Count the lines of a block as the files source does.

    A final line without a line ending counts unless it holds only NUL bytes,
    which a zeroed end of file leaves.
    """
    data = block.data
    count = block.newlines
    if data[block.end - 1] != 0x0A:
        last = data.rfind(b"\n", 0, block.end) + 1
        if data[last:block.end].lstrip(b"\x00"):
            count += 1
    return count


def close_quietly(stream: Stream) -> None:
    with contextlib.suppress(OSError):
        stream.close()
