"""Properties every parser keeps on arbitrary input: no exception, lines accounted for."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from parser_helpers import run_parser

from rca.model import FileStats
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
@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=400))
def test_any_bytes_parse_without_error(format_name: str, data: bytes) -> None:
    run_parser(format_name, data)


@pytest.mark.parametrize("format_name", format_names())
@settings(max_examples=200, deadline=None)
@given(text=text_input)
def test_format_like_text_parses_without_error(format_name: str, text: str) -> None:
    run_parser(format_name, text)


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=300))
def test_export_bytes_count_every_newline(data: bytes) -> None:
    stats = FileStats(path="x.export")
    context = ParseContext(path="x.export", stats=stats, reference_time=0.0)
    parser = get_parser("journald-export")
    assert parser.parse_bytes is not None

    list(parser.parse_bytes(io.BytesIO(data), context))

    trailing = 1 if data and not data.endswith(b"\n") else 0
    assert stats.lines_read == data.count(b"\n") + trailing
