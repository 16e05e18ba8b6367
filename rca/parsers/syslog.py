"""Syslog text: ``syslog``, ``messages``, ``kern.log``, ``dmesg``, ``journalctl`` short output.

    Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4
    2014-06-09T20:37:28.975070+02:00 node-08 kernel: [21028.143765] type=1400 audit(1402339048.973:1421): apparmor="ALLOWED" operation="open" profile="/home/bob/linuxtag/apparmor/scripts/hello" name="/dev/tty" pid=14335 comm="hello" requested_mask="rw" denied_mask="rw" fsuid=1000 ouid=0
    [ 5593.715850] type=1400 audit(1374659797.646:37): apparmor="DENIED" operation="exec" parent=10552 profile="usr.bin.globaleaks" name="/sbin/ldconfig" pid=10553 comm="sh" requested_mask="x" denied_mask="x" fsuid=0 ouid=0

Headers read:

* RFC 3164 ``Mon DD HH:MM:SS host tag[pid]: text``, the year inferred by
  `SyslogClock`, with an optional ``<PRI>`` prefix;
* ISO/RFC 3339 stamps as rsyslog writes them;
* RFC 5424 ``<PRI>1 stamp host app procid msgid [sd] text``;
* ``dmesg`` ``[uptime] text``, whose time stamp is None because it has no
  wall-clock time, and ``dmesg -T`` with a ctime stamp;
* ``grep`` output with a ``file:`` prefix.

Syslog text has no level field: the ``<PRI>`` severity is used when present,
otherwise failure words (see `rca.parsers.levels`). A kernel line carrying an
audit record (``audit: type=1400 audit(...)``) is decoded like audit.log; its
audit stamp, exact and in UTC, becomes the event time. Lines that start with
white space or with ``-- `` (journalctl's catalog text) continue the previous
record.

An event whose year came from `SyslogClock` has ``fields["year_inferred"]``
set, so that the files source can check the year against dated records of the
same node (`rca.years`).
"""  # noqa: E501 - the examples are real lines, kept whole

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any, NamedTuple

from rca.model import Event, Level, SourceKind
from rca.parsers import audit, logfmt
from rca.parsers.base import Lines, MultilineRecord, ParseContext, is_blank, line_fraction
from rca.parsers.levels import apply_systemd_exit, level_from_syslog_priority, level_from_text
from rca.parsers.timestamps import (
    CTIME_RE,
    ISO_RE,
    SYSLOG_RE,
    SyslogClock,
    ctime_timestamp,
    iso_has_zone,
    iso_timestamp,
)

logger = logging.getLogger(__name__)

NAME = "syslog"

_PRI_RE = re.compile(r"<(\d{1,3})>(1 )?")
_HOST_RE = re.compile(r"\s+(\S+)\s*(.*)")
_RFC5424_RE = re.compile(r"\s+(\S+) (\S+) (\S+) (\S+) (-|(?:\[.*?\])+)\s?(.*)")
_TAG_RE = re.compile(r"([^\s:\[\]]+)(?:\[(\d+)\])?:\s?(.*)")
_DMESG_RE = re.compile(r"\[\s*(\d+\.\d+)\]\s?(.*)")
_UPTIME_RE = re.compile(r"\[\s*(\d+\.\d+)\]\s?")
_GREP_RE = re.compile(
    r"([^\s:]+):(?:\d+[:-])?(?=(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"|\d{4}-\d\d-\d\d[T ]|\[|<\d)"
)
_JOURNAL_MARKER_RE = re.compile(
    r"-- (?:Logs begin at|Journal begins at|Reboot --|No entries --|Boot [0-9a-f]+ --)"
)
_MONTH_INITIALS = frozenset("JFMASOND")


class _Header(NamedTuple):
    timestamp: float | None
    host: str
    rest: str
    priority: int | None
    structured: bool
    year_inferred: bool = False


def sniff(sample: list[str]) -> float:
    """Score sample lines: the share with a syslog, RFC 5424 or dmesg header.

    journalctl's catalog lines (``-- Subject: ...``) count as syslog lines too,
    provided at least one line has a header.
    """
    if not any(_looks_like_syslog(line) for line in sample):
        return 0.0
    return line_fraction(sample, lambda line: line.startswith("-- ") or _looks_like_syslog(line))


def _looks_like_syslog(line: str) -> bool:
    if line[:1] not in _MONTH_INITIALS and line[:1] not in "<[" and not line[:1].isdigit():
        grep = _GREP_RE.match(line)
        if grep is None:
            return False
        line = line[grep.end():]
    position = 0
    pri = _PRI_RE.match(line) if line.startswith("<") else None
    if pri is not None:
        position = pri.end()
    if line.startswith("[", position):
        return _DMESG_RE.match(line, position) is not None or \
            CTIME_RE.match(line, position + 1) is not None
    stamp = SYSLOG_RE.match(line, position) or ISO_RE.match(line, position)
    if stamp is None:
        return False
    host = _HOST_RE.match(line, stamp.end())
    if host is None or Level.from_name(host.group(1)) is not None:
        return False
    return pri is not None or stamp.re is SYSLOG_RE or _TAG_RE.match(host.group(2)) is not None


def parse(lines: Lines, context: ParseContext) -> Iterator[Event]:
    """Read syslog lines; indented lines and journal catalog text continue a record."""
    stats = context.stats
    clock = SyslogClock(context.reference_time, context.tz)
    pending: MultilineRecord | None = None
    for number, text in lines:
        event = read_line(number, text, context, clock)
        if event is not None:
            if pending is not None:
                yield pending.finish_into(context)
            pending = MultilineRecord(event)
            stats.parsed += 1
        elif _JOURNAL_MARKER_RE.match(text):
            stats.parsed += 1
        elif pending is not None and _continues(text):
            pending.append(text)
            stats.continuation += 1
        elif is_blank(text):
            stats.parsed += 1
        else:
            stats.note_unparsed(number, text)
    if pending is not None:
        yield pending.finish_into(context)


def _continues(text: str) -> bool:
    return not text or text[0] in " \t" or text.startswith("-- ")


def read_line(
    number: int, text: str, context: ParseContext, clock: SyslogClock
) -> Event | None:
    """Read one syslog line into an event, or return None if it has no syslog header."""
    grep_file = None
    header = _read_header(text, 0, context, clock)
    if header is None and ":" in text:
        grep = _GREP_RE.match(text)
        if grep is not None:
            grep_file = grep.group(1)
            header = _read_header(text, grep.end(), context, clock)
    if header is None:
        return None
    fields: dict[str, Any] = {}
    if grep_file is not None:
        fields["grep_file"] = grep_file
    return _event(number, text, header, fields, context)


def _read_header(
    text: str, position: int, context: ParseContext, clock: SyslogClock
) -> _Header | None:
    priority = None
    structured = False
    if text.startswith("<", position):
        pri = _PRI_RE.match(text, position)
        if pri is not None:
            priority = int(pri.group(1)) % 8
            structured = pri.group(2) is not None
            position = pri.end()
    first = text[position:position + 1]
    if first in _MONTH_INITIALS:
        return _rfc3164_header(text, position, priority, context, clock)
    if first.isdigit():
        return _iso_header(text, position, priority, structured, context)
    if first == "[":
        return _dmesg_header(text, position, priority, context)
    return None


def _rfc3164_header(
    text: str, position: int, priority: int | None, context: ParseContext, clock: SyslogClock
) -> _Header | None:
    stamp = SYSLOG_RE.match(text, position)
    if stamp is None:
        return None
    host = _HOST_RE.match(text, stamp.end())
    if host is None:
        return None
    context.stats.timestamps_inferred += 1
    return _Header(clock.timestamp(stamp), host.group(1), host.group(2), priority, False,
                   year_inferred=True)


def _iso_header(
    text: str, position: int, priority: int | None, structured: bool, context: ParseContext
) -> _Header | None:
    stamp = ISO_RE.match(text, position)
    if stamp is None:
        return None
    if not iso_has_zone(stamp):
        context.stats.timestamps_inferred += 1
    timestamp = iso_timestamp(stamp, context.tz)
    if structured:
        parts = _RFC5424_RE.match(text, stamp.end())
        if parts is not None:
            host, app, procid, _msgid, _data, message = parts.groups()
            tag = app if procid == "-" else f"{app}[{procid}]"
            rest = f"{tag}: {message.lstrip(chr(0xFEFF))}" if app != "-" else message
            return _Header(timestamp, "" if host == "-" else host, rest, priority, True)
    host = _HOST_RE.match(text, stamp.end())
    if host is None:
        return None
    return _Header(timestamp, host.group(1), host.group(2), priority, structured)


def _dmesg_header(
    text: str, position: int, priority: int | None, context: ParseContext
) -> _Header | None:
    ctime = CTIME_RE.match(text, position + 1)
    if ctime is not None and text.startswith("]", ctime.end()):
        rest = text[ctime.end() + 1:].lstrip()
        return _Header(ctime_timestamp(ctime, context.tz), "", f"kernel: {rest}", priority, False)
    dmesg = _DMESG_RE.match(text, position)
    if dmesg is None:
        return None
    uptime, rest = dmesg.groups()
    return _Header(None, "", f"kernel: [{uptime}] {rest}", priority, False)


def _event(
    number: int, text: str, header: _Header, fields: dict[str, Any], context: ParseContext
) -> Event:
    timestamp = header.timestamp
    message = header.rest
    program = ""
    tag = _TAG_RE.match(message)
    if tag is not None:
        program, pid, message = tag.groups()
        fields["program"] = program
        if pid is not None:
            fields["pid"] = int(pid)
    if program == "kernel" and message.startswith("["):
        uptime = _UPTIME_RE.match(message)
        if uptime is not None:
            fields["uptime"] = float(uptime.group(1))
            message = message[uptime.end():]
    if header.host:
        fields["host"] = header.host
    level, message, audit_time = _level_and_message(message, program, header.priority, fields)
    if audit_time is not None:
        timestamp = audit_time
    elif header.year_inferred and timestamp is not None:
        fields["year_inferred"] = True
    return Event(
        timestamp=timestamp,
        node=context.node_for(header.host),
        kind=SourceKind.SYSLOG,
        level=level,
        message=message,
        raw=text,
        origin=context.origin(number),
        sequence=number,
        transaction_id=logfmt.find_transaction_id(message),
        fields=fields,
    )


def _level_and_message(
    message: str, program: str, priority: int | None, fields: dict[str, Any]
) -> tuple[Level, str, float | None]:
    """Return the level, message and audit time of a line, decoding an embedded record."""
    if "audit" in message or "apparmor=" in message:
        payload = audit.decode_payload(message, program)
        if payload is not None:
            fields.update(payload.fields)
            return payload.level, payload.message, payload.time
    if priority is not None:
        level = level_from_syslog_priority(priority)
    else:
        level = level_from_text(message)
    return apply_systemd_exit(message, fields, level), message, None
