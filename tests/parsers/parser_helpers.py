"""Helpers for parser tests: shared sample logs, and running a parser over text."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path

import pytest

from rca.model import Event, FileStats
from rca.parsers.base import ParseContext, get_parser

SHARED_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"

# 2026-12-04T12:00:00Z: a fixed "file modification time" for year inference.
REFERENCE_TIME = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC).timestamp()

ParseText = Callable[..., tuple[list[Event], FileStats]]


def shared_file(*parts: str) -> Path:
    """A file of the shared sample data; the test is skipped when it is absent.

    ``shared_file("samples", NAME)`` and ``shared_file("loghub", NAME)`` are real
    logs; ``shared_file("..", "cases", CAUSE, NAME)`` are real error excerpts.
    """
    path = SHARED_DATA.joinpath(*parts)
    if not path.is_file():
        pytest.skip(f"shared sample data not available: {'/'.join(parts)}")
    return path


def assert_accounting(stats: FileStats) -> None:
    """Every line read lands in exactly one bucket."""
    total = stats.parsed + stats.unparsed + stats.continuation + stats.duplicates
    assert stats.lines_read == total, stats


def text_lines(text: str) -> list[str]:
    """Split text as the files source does: on "\\n" only, no empty line after a final newline."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


def parse_shared(
    relative: str, format_name: str, **options: object
) -> tuple[list[Event], FileStats]:
    """Parse a file of the shared samples (``samples/NAME`` or ``loghub/NAME``)."""
    path = shared_file(*relative.split("/"))
    return run_parser(format_name, path.read_bytes(), **options)  # type: ignore[arg-type]


def run_parser(
    format_name: str,
    text: str | bytes,
    *,
    node: str = "",
    default_node: str = "",
    reference_time: float = REFERENCE_TIME,
    tz: dt.tzinfo = dt.UTC,
) -> tuple[list[Event], FileStats]:
    """Parse `text` with the named format and check the line accounting."""
    stats = FileStats(path="test.log")
    context = ParseContext(path="test.log", node=node, default_node=default_node, stats=stats,
                           reference_time=reference_time, tz=tz)
    parser = get_parser(format_name)
    if parser.parse_bytes is not None:
        data = text.encode() if isinstance(text, str) else text
        events = list(parser.parse_bytes(io.BytesIO(data), context))
    else:
        decoded = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        lines = text_lines(decoded)
        stats.lines_read = len(lines)
        assert parser.parse is not None
        events = list(parser.parse(enumerate(lines, start=1), context))
    assert_accounting(stats)
    return events, stats
