"""Reading files in blocks of whole lines, and counting lines as the files source does."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest

from rca.streaming.probes import starts_installer_record
from rca.streaming.reader import count_lines, cut_at_record, iter_blocks, open_log


def blocks_of(data: bytes, size: int, record_cut: bool = False) -> list[bytes]:
    cutter = cut_at_record(starts_installer_record) if record_cut else None
    stream = io.BytesIO(data)
    found = iter_blocks(stream, cutter, size) if cutter else iter_blocks(stream, size=size)
    return [block.data[1:block.end] for block in found]


@pytest.mark.parametrize("size", [1, 3, 7, 64, 4096], ids=lambda size: f"{size}B")
def test_blocks_hold_whole_lines(size: int) -> None:
    data = b"first\nsecond line\n\nthird\nlast without end"
    blocks = blocks_of(data, size)

    assert b"".join(blocks) == data
    for block in blocks[:-1]:
        assert block.endswith(b"\n")


def test_blocks_start_with_sentinel_and_number_lines() -> None:
    data = b"a\nb\nc\nd\n"
    found = list(iter_blocks(io.BytesIO(data), size=4))

    assert all(block.data[:1] == b"\n" for block in found)
    assert [block.line for block in found] == [1, 3]
    assert [block.offset for block in found] == [0, 4]


def test_record_cut_keeps_continuation_with_record() -> None:
    data = (b"2026-12-03T02:14:07.120Z INFO txn=a step=x msg=one\n"
            b"2026-12-03T02:14:08.120Z ERROR txn=a step=x msg=two\n"
            b"  continuation of two\n"
            b"2026-12-03T02:14:09.120Z INFO txn=a step=x msg=three\n")
    blocks = blocks_of(data, 120, record_cut=True)

    assert b"".join(blocks) == data
    assert all(block.startswith(b"2026-") for block in blocks)
    assert any(block.endswith(b"continuation of two\n") for block in blocks)


@pytest.mark.parametrize(("data", "lines"), [
    (b"", 0),
    (b"one\n", 1),
    (b"one\ntwo", 2),
    (b"one\n\x00\x00\x00", 1),
    (b"\n\n", 2),
], ids=["empty", "terminated", "unterminated", "nul-tail", "blank-lines"])
def test_count_lines_like_files_source(data: bytes, lines: int) -> None:
    assert sum(count_lines(block) for block in iter_blocks(io.BytesIO(data))) == lines


def test_open_log_decompresses_gzip(tmp_path: Path) -> None:
    path = tmp_path / "installer.log.2.gz"
    path.write_bytes(gzip.compress(b"line one\nline two\n"))
    stream, compressed = open_log(path)
    try:
        assert compressed
        assert stream.read() == b"line one\nline two\n"
    finally:
        stream.close()
