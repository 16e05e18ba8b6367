"""Per-format byte-level helpers of the scan: record starts and time stamps of single lines.

The scan never runs a parser over every line. For one raw line at a time it
needs two cheap checks: whether a record starts there (rather than a
continuation line) and which time the record carries. Both are used at the points of the
sparse index and by the binary search that finds a window in phase 2, so they
run a few thousand times per gigabyte, not per line.

    2026-12-03T02:14:07.120Z INFO txn=run-0042 step=fetch msg="run started"
    type=SYSCALL msg=audit(1677601548.669:1599): arch=c000003e syscall=49 success=no exit=-13
    {"__REALTIME_TIMESTAMP":"1724080855230058","_HOSTNAME":"node-01","PRIORITY":"6","MESSAGE":"x"}

A probe returns None for a line that starts no record or whose time it cannot
read; callers then move on to the next line.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from rca.parsers import audit, installer
from rca.parsers.base import ParseContext
from rca.parsers.timestamps import ISO_RE, audit_timestamp, iso_timestamp
from rca.sources.files import MAX_LINE_BYTES

INSTALLER = "installer"
AUDIT = "audit"
JOURNALD = "journald"

_ISO_BYTES_RE = re.compile(ISO_RE.pattern.encode("ascii"))
_LOGFMT_START = (b"ts=", b"time=", b"timestamp=")
_AUDIT_STAMP_RE = re.compile(rb"msg=audit\((\d+)\.(\d+):")
_JOURNAL_TIME_RE = re.compile(rb'"(?:__REALTIME_TIMESTAMP|_SOURCE_REALTIME_TIMESTAMP)":"(\d+)"')

Probe = Callable[[bytes], float | None]


def decode_line(raw: bytes) -> str:
    """Decode one raw line the way the files source does.

    A leading run of NUL bytes is dropped, the line is cut to `MAX_LINE_BYTES`,
    the line ending (``\\n``, ``\\r\\n``) is removed, other NUL bytes are removed
    and invalid UTF-8 is replaced.
    """
    if raw.startswith(b"\x00"):
        raw = raw.lstrip(b"\x00")
    if len(raw) > MAX_LINE_BYTES:
        raw = raw[:MAX_LINE_BYTES]
    if raw.endswith(b"\n"):
        raw = raw[:-1]
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    if b"\x00" in raw:
        raw = raw.replace(b"\x00", b"")
    return raw.decode("utf-8", "replace")


def starts_installer_record(line: bytes) -> bool:
    """True when the installer parser reads `line` as the first line of a record."""
    if line.startswith(b"\x00"):
        line = line.lstrip(b"\x00")
    first = line[:1]
    if first.isdigit():
        return _ISO_BYTES_RE.match(line) is not None
    return first == b"t" and line.startswith(_LOGFMT_START)


def make_probe(format_name: str, tz: dt.tzinfo) -> Probe | None:
    """Return the time stamp probe of a format, or None for a format the scan cannot index.

    A probe skips the run of NUL bytes that the files source drops from a line.
    """
    if format_name == INSTALLER:
        probe = _installer_probe(tz)
    elif format_name == AUDIT:
        probe = _audit_probe(tz)
    elif format_name == JOURNALD:
        probe = _journal_time
    else:
        return None

    def without_nul_prefix(line: bytes) -> float | None:
        if line.startswith(b"\x00"):
            line = line.lstrip(b"\x00")
        return probe(line)

    return without_nul_prefix


def _installer_probe(tz: dt.tzinfo) -> Probe:
    context = ParseContext(path="", tz=tz)

    def probe(line: bytes) -> float | None:
        if line[:1].isdigit():
            match = ISO_RE.match(line[:64].decode("ascii", "replace"))
            return None if match is None else iso_timestamp(match, tz)
        if line.startswith(_LOGFMT_START):
            event = installer.read_record(0, decode_line(line), context)
            return None if event is None else event.timestamp
        return None

    return probe


def _audit_probe(tz: dt.tzinfo) -> Probe:
    context = ParseContext(path="", tz=tz)

    def probe(line: bytes) -> float | None:
        match = _AUDIT_STAMP_RE.search(line, 0, 512)
        if match is not None:
            return audit_timestamp(match.group(1).decode(), match.group(2).decode())
        # ``ausearch -i`` writes a local date instead of epoch seconds.
        records = audit.split_records(decode_line(line), context)
        return records[0].time if records else None

    return probe


def _journal_time(line: bytes) -> float | None:
    match = _JOURNAL_TIME_RE.search(line)
    return None if match is None else int(match.group(1)) / 1_000_000
