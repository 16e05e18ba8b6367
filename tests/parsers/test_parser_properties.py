"""Properties every parser keeps on arbitrary input: no exception, lines accounted for.

The example counts are minimums: ``RCA_HYPOTHESIS_PROFILE=fuzz`` raises them (see
tests/conftest.py and docs/testing.md).
"""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from parser_helpers import run_parser

from rca.model import Event, FileStats
from rca.parsers.base import ParseContext, format_names, get_parser

# Fragments of real formats, so random input reaches the parsers' inner branches.
FRAGMENTS = [
    "type=AVC msg=audit(1677601548.669:1599): ", "avc:  denied  { read } for ",
    "node=node-01 ", "msg='", "'", '"', "=", " ", "\x1d", "proctitle=2F62696E00", "----",
    "time->Tue Nov  6 03:38:51 2018", "Jun 14 15:16:01 combo ", "sshd[1]: ", "[ 12.5] ",
    "2026-12-03T02:14:07.123Z ", "ERROR ", "txn=", "exit=", "ts=", "{", "}", "[", "]",
    '"MESSAGE":', '"__REALTIME_TIMESTAMP":"1"', "__CURSOR=", "MESSAGE\n", "\n", "\r\n",
    "audit(1.2:3): ", 'apparmor="DENIED" ', "<34>1 ", "-- ", "\t",
]
text_input = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12)),
                      max_size=40).map("".join)


@pytest.mark.parametrize("format_name", format_names())
@settings(max_examples=max(150, settings.default.max_examples), deadline=None)
@given(data=st.binary(max_size=400))
def test_any_bytes_parse_without_error(format_name: str, data: bytes) -> None:
    run_parser(format_name, data)


@pytest.mark.parametrize("format_name", format_names())
@settings(max_examples=max(200, settings.default.max_examples), deadline=None)
@given(text=text_input)
def test_format_like_text_parses_without_error(format_name: str, text: str) -> None:
    run_parser(format_name, text)


@settings(max_examples=max(200, settings.default.max_examples), deadline=None)
@given(data=st.binary(max_size=300))
def test_export_bytes_count_every_newline(data: bytes) -> None:
    stats = FileStats(path="x.export")
    context = ParseContext(path="x.export", stats=stats, reference_time=0.0)
    parser = get_parser("journald-export")
    assert parser.parse_bytes is not None

    list(parser.parse_bytes(io.BytesIO(data), context))

    trailing = 1 if data and not data.endswith(b"\n") else 0
    assert stats.lines_read == data.count(b"\n") + trailing


# Lines of crash reports and log records, so random sequences open, continue and
# close multi-line records in every way the parsers know.
MULTILINE_LINES = [
    "Traceback (most recent call last):", '  File "/opt/x.py", line 3, in run', "    run()",
    "ValueError: boom", "KeyError: 'x'", "",
    "During handling of the above exception, another exception occurred:",
    "  + Exception Group Traceback (most recent call last):", "  | ValueError: 1",
    "  +------------------------------------",
    "panic: runtime error: index out of range [3] with length 3", "fatal error: out of memory",
    "SIGQUIT: quit", "PC=0x46d7c1 m=0 sigcode=0", "[signal SIGSEGV: segmentation violation]",
    "goroutine 1 [running]:", "main.main()", "\t/src/main.go:12 +0x1d",
    "created by main.main in goroutine 1", "runtime stack:", "rax    0x0", "exit status 2",
    "#12 3.456 Traceback (most recent call last):", "#12 3.457   File \"x\", line 1",
    "E: Unable to locate package x", "done",
    "2026-12-03T02:14:07.123Z ERROR txn=r step=go msg=\"failed\"", "\tat main.go:1",
    "Jun 14 15:16:01 combo sshd[1]: check pass", "-- Subject: unit failed",
    "{", '  "MESSAGE": "x",', '  "__REALTIME_TIMESTAMP": "1700000000000000"', "}",
]
multiline_input = st.lists(st.sampled_from(MULTILINE_LINES), max_size=40)


def _parse_lines(format_name: str, lines: list[str]) -> tuple[list[Event], FileStats, ParseContext]:
    stats = FileStats(path="x.log", lines_read=len(lines))
    context = ParseContext(path="x.log", stats=stats, reference_time=0.0)
    parser = get_parser(format_name)
    assert parser.parse is not None
    events = list(parser.parse(enumerate(lines, start=1), context))
    return events, stats, context


@pytest.mark.parametrize("format_name", ["tooloutput", "installer"])
@settings(max_examples=max(300, settings.default.max_examples), deadline=None)
@given(lines=multiline_input)
def test_multiline_records_cover_each_line_once(format_name: str, lines: list[str]) -> None:
    events, stats, _ = _parse_lines(format_name, lines)

    covered: dict[int, str] = {}
    for event in events:
        assert event.origin.line is not None
        for offset, text in enumerate(event.raw.split("\n")):
            number = event.origin.line + offset
            assert number not in covered
            covered[number] = text
    # Installer lines before the first record are not parsed; any other line
    # outside every record is blank.
    first_record = min(covered, default=len(lines) + 1)
    for number, text in enumerate(lines, start=1):
        if number in covered:
            assert covered[number] == text
        elif format_name == "tooloutput" or number > first_record:
            assert not text.strip(), (number, text)
    assert stats.lines_read == stats.parsed + stats.unparsed + stats.continuation


@pytest.mark.parametrize("format_name", ["tooloutput", "installer", "syslog", "journald"])
@settings(max_examples=max(200, settings.default.max_examples), deadline=None)
@given(lines=multiline_input)
def test_record_lines_match_counts(format_name: str, lines: list[str]) -> None:
    events, stats, context = _parse_lines(format_name, lines)

    counts = [context.take_record_lines(event.origin.line) for event in events]

    assert sum(continuation for _, continuation in counts) == stats.continuation
    assert sum(parsed for parsed, _ in counts) <= stats.parsed
