"""journald exports: ``journalctl -o json`` (and its variants) and ``journalctl -o export``.

JSON, one object per line (``-o json``; ``-o json-pretty`` objects spanning lines,
a JSON array of objects, ``-o json-seq`` and ``-o json-sse`` are read too):

    {"__REALTIME_TIMESTAMP":"1724080855230058","_HOSTNAME":"node-01","PRIORITY":"6","SYSLOG_IDENTIFIER":"TestRestartsJournalctlOnError","_TRANSPORT":"stdout","MESSAGE":"Count: 0000000001"}

Export (``-o export``), entries separated by an empty line. A value that is not
plain UTF-8 text is written as ``NAME\\n``, a 64-bit little-endian length, the raw
bytes and ``\\n``. That is why `parse_export` reads this form from bytes:

    __REALTIME_TIMESTAMP=1637601004051729
    _TRANSPORT=syslog
    MESSAGE=pam_unix(sudo:session): session closed for user root

Values: every JSON value is a string. A value with control characters or invalid
UTF-8 is a list of byte values, decoded here as UTF-8 with replacement. A value
over 4096 bytes is ``null``, and ``fields["message_omitted"]`` is then True for
MESSAGE. A field with several values is a list of values.

``PRIORITY`` gives the level (0-2 CRITICAL, 3 ERROR, 4 WARNING, 5 NOTICE, 6 INFO,
7 DEBUG). Without it, failure words and systemd's ``code=exited, status=N``
reports decide. ``TRANSACTION_ID``, ``TXN`` or ``RCA_TXN`` (or a ``txn=`` field in
the message) give the transaction id. Records of the audit transport are decoded
like audit.log.
"""  # noqa: E501 - the examples are real lines, kept whole

from __future__ import annotations

import json
import logging
import struct
from collections.abc import Iterator
from typing import Any

from rca.model import Event, Level, SourceKind
from rca.parsers import audit, logfmt
from rca.parsers.base import ByteStream, Lines, ParseContext, line_fraction
from rca.parsers.levels import apply_systemd_exit, level_from_syslog_priority, level_from_text
from rca.parsers.timestamps import microseconds_timestamp

logger = logging.getLogger(__name__)

NAME = "journald"
EXPORT_NAME = "journald-export"

TRANSACTION_FIELDS = ("TRANSACTION_ID", "TXN", "RCA_TXN")
EXIT_FIELDS = ("EXIT_STATUS", "EXIT_CODE")
_FAILED_JOB_RESULTS = frozenset({"failed", "timeout", "dependency", "canceled"})

# journald field -> Event.fields key, for the fields rules and reports use.
_FIELD_NAMES = {
    "_HOSTNAME": "host",
    "SYSLOG_IDENTIFIER": "program",
    "_PID": "pid",
    "_SYSTEMD_UNIT": "unit",
    "UNIT": "about_unit",
    "USER_UNIT": "about_unit",
    "_SYSTEMD_USER_UNIT": "user_unit",
    "_TRANSPORT": "transport",
    "_COMM": "comm",
    "_EXE": "exe",
    "_CMDLINE": "cmdline",
    "MESSAGE_ID": "message_id",
    "JOB_TYPE": "job_type",
    "JOB_RESULT": "job_result",
    "ERRNO": "errno",
    "_BOOT_ID": "boot_id",
    "_AUDIT_ID": "audit_serial",
    "COREDUMP_SIGNAL_NAME": "signal",
}
_INT_FIELDS = frozenset({"pid", "errno"})
_MAX_KEPT_VALUE = 1024

# A JSON object spanning more lines than this without closing is given up.
_MAX_OBJECT_LINES = 100_000
# A binary export value longer than this is taken as a damaged length prefix.
_MAX_EXPORT_VALUE = 1 << 30
_MAX_EXPORT_LINE = 1 << 20


def sniff(sample: list[str]) -> float:
    """Score sample lines: the share that look like journal JSON (objects or their lines)."""
    if not any('"__REALTIME_TIMESTAMP"' in line or '"MESSAGE"' in line for line in sample):
        return 0.0
    return line_fraction(sample, _looks_like_json_line)


def _looks_like_json_line(line: str) -> bool:
    stripped = _json_text(line)
    return stripped[:1] in ("{", "}", "[", "]", '"') or stripped[:1].isdigit()


def sniff_export(sample: list[str]) -> float:
    """Score sample lines: the share that are ``NAME=value`` lines of an export."""
    if not any(line.startswith(("__CURSOR=", "__REALTIME_TIMESTAMP=")) for line in sample):
        return 0.0
    return line_fraction(sample, lambda line: _export_name(line.partition("=")[0]))


def _export_name(name: str) -> bool:
    return bool(name) and name.replace("_", "").isalnum() and name.upper() == name


def _json_text(line: str) -> str:
    """Strip json-seq's 0x1E prefix, json-sse's ``data:`` and surrounding space from a line."""
    text = line.strip().lstrip("\x1e").strip()
    if text.startswith("data:"):
        text = text[5:].lstrip()
    return text


def parse(lines: Lines, context: ParseContext) -> Iterator[Event]:
    """Read journal JSON: one object per line, or objects spanning several lines."""
    stats = context.stats
    pending: list[tuple[int, str]] = []
    for number, line in lines:
        text = _json_text(line)
        if pending:
            pending.append((number, text))
            if text.startswith("}"):
                event = _close_object(pending, context)
                if event is not None:
                    pending = []
                    yield event
            if len(pending) > _MAX_OBJECT_LINES:
                _give_up(pending, context)
                pending = []
            continue
        text = _without_array_marks(text)
        if text.startswith("{"):
            event = _json_line_event(number, text, context)
            if event is not None:
                yield event
            elif not text.endswith("}"):
                pending = [(number, text)]
            else:
                stats.note_unparsed(number, line)
        elif text in ("", "[", "]"):
            stats.parsed += 1
        else:
            stats.note_unparsed(number, line)
    if pending:
        _give_up(pending, context)


def _without_array_marks(text: str) -> str:
    """Drop the ``[``, ``]`` and ``,`` that surround objects in a JSON array."""
    if text.startswith("[") and text[1:].lstrip().startswith("{"):
        text = text[1:].lstrip()
    if text.endswith(","):
        text = text[:-1].rstrip()
    if text.endswith("}]"):
        text = text[:-1]
    return text


def _json_line_event(number: int, text: str, context: ParseContext) -> Event | None:
    try:
        entry = json.loads(text)
    except ValueError:
        return None
    if not isinstance(entry, dict):
        return None
    context.stats.parsed += 1
    return entry_event(entry, number, text, context)


def _close_object(pending: list[tuple[int, str]], context: ParseContext) -> Event | None:
    """Try to read the buffered lines as one object; None while it is incomplete."""
    last_number, last_text = pending[-1]
    pending[-1] = (last_number, _without_array_marks(last_text))
    text = "\n".join(part for _, part in pending)
    try:
        entry = json.loads(text)
    except ValueError:
        pending[-1] = (last_number, last_text)
        return None
    if not isinstance(entry, dict):
        return None
    context.stats.parsed += 1
    context.stats.continuation += len(pending) - 1
    context.note_record_lines(pending[0][0], 1, len(pending) - 1)
    return entry_event(entry, pending[0][0], text, context)


def _give_up(pending: list[tuple[int, str]], context: ParseContext) -> None:
    for number, text in pending:
        context.stats.note_unparsed(number, text)


def entry_event(entry: dict[str, Any], number: int | None, raw: str,
                context: ParseContext) -> Event:
    """Turn one journal entry (field name to JSON value) into an event."""
    message_value = entry.get("MESSAGE")
    message = value_text(message_value)
    fields = _entry_fields(entry)
    if "MESSAGE" in entry and message_value is None:
        fields["message_omitted"] = True
    timestamp = _entry_time(entry)
    level = _entry_level(entry, message, fields)
    payload = _audit_payload(entry, message)
    if payload is not None:
        fields.update(payload.fields)
        level = payload.level
        message = payload.message
    return Event(
        timestamp=timestamp,
        node=context.node_for(fields.get("host")),
        kind=SourceKind.JOURNALD,
        level=level,
        message=message,
        raw=raw,
        origin=context.origin(number),
        sequence=number or 0,
        transaction_id=_transaction_id(entry, message),
        fields=fields,
    )


def value_text(value: Any) -> str:
    """Return the text of a journal JSON value: string, byte array, list of values or null."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        if all(isinstance(item, int) for item in value):
            return _bytes_text(value)
        return "\n".join(value_text(item) for item in value)
    return str(value)


def _bytes_text(values: list[int]) -> str:
    try:
        data = bytes(values)
    except ValueError:  # a number outside 0..255
        return ""
    return data.decode("utf-8", "replace")


def _entry_fields(entry: dict[str, Any]) -> dict[str, Any]:
    # Journal fields keep their own names too (as the Elasticsearch source does),
    # except MESSAGE, the journal's address fields and long or binary values.
    fields: dict[str, Any] = {
        name: value for name, value in entry.items()
        if isinstance(value, str) and len(value) <= _MAX_KEPT_VALUE
        and name != "MESSAGE" and not name.startswith("__")
    }
    for journal_name, name in _FIELD_NAMES.items():
        if journal_name in entry and name not in fields:
            text = value_text(entry[journal_name])
            if text:
                fields[name] = _int_or_text(text) if name in _INT_FIELDS else text
    exit_code = _exit_code(entry)
    if exit_code is not None:
        fields["exit_code"] = exit_code
    return fields


def _int_or_text(text: str) -> int | str:
    return int(text) if text.isdigit() else text


def _exit_code(entry: dict[str, Any]) -> int | None:
    """Return the numeric EXIT_STATUS (or EXIT_CODE) of a systemd unit report, or None."""
    for name in EXIT_FIELDS:
        text = value_text(entry.get(name)).strip()
        if text.isdigit():
            return int(text)
    return None


def _entry_time(entry: dict[str, Any]) -> float | None:
    for name in ("__REALTIME_TIMESTAMP", "_SOURCE_REALTIME_TIMESTAMP"):
        value = entry.get(name)
        if isinstance(value, str):
            timestamp = microseconds_timestamp(value)
            if timestamp is not None:
                return timestamp
    return None


def _entry_level(entry: dict[str, Any], message: str, fields: dict[str, Any]) -> Level:
    priority = value_text(entry.get("PRIORITY")).strip()
    if len(priority) == 1 and priority in "01234567":
        return apply_systemd_exit(message, fields, level_from_syslog_priority(int(priority)))
    level = level_from_text(message)
    if fields.get("job_result") in _FAILED_JOB_RESULTS:
        level = max(level, Level.ERROR)
    exit_code = fields.get("exit_code")
    if isinstance(exit_code, int) and exit_code != 0:
        level = max(level, Level.ERROR)
    return apply_systemd_exit(message, fields, level)


def _audit_payload(entry: dict[str, Any], message: str) -> audit.AuditPayload | None:
    transport = value_text(entry.get("_TRANSPORT"))
    if transport == "audit":
        return audit.decode_payload(message, "audit")
    if transport == "kernel" and "audit" in message:
        return audit.decode_payload(message, "kernel")
    return None


def _transaction_id(entry: dict[str, Any], message: str) -> str | None:
    for name in TRANSACTION_FIELDS:
        text = value_text(entry.get(name)).strip()
        if text:
            return text
    return logfmt.find_transaction_id(message)


def parse_export(stream: ByteStream, context: ParseContext) -> Iterator[Event]:
    """Read ``journalctl -o export`` from bytes, counting lines as `FileStats` expects.

    Lines are the ``\\n``-terminated pieces of the stream. A binary value thus adds
    one line per newline byte in its length prefix and data, and those lines are
    counted as continuations of the field's name line.
    """
    reader = _ExportReader(stream, context)
    yield from reader.entries()


class _ExportReader:
    """Reads export entries field by field; the caller's stats count every line."""

    def __init__(self, stream: ByteStream, context: ParseContext) -> None:
        self._stream = stream
        self._context = context
        self._stats = context.stats
        self._number = 0
        self._entry: dict[str, Any] = {}
        self._raw: list[str] = []
        self._first_line = 0
        # Lines of the open entry counted as parsed and as continuation.
        self._entry_parsed = 0
        self._entry_continuation = 0
        # True when a damaged binary value ended inside a line: the next read
        # continues that line, or the line is the last one of the stream.
        self._partial_line = False

    def entries(self) -> Iterator[Event]:
        while True:
            line = self._stream.readline(_MAX_EXPORT_LINE)
            if not line:
                break
            self._partial_line = False
            if len(line) == _MAX_EXPORT_LINE and not line.endswith(b"\n"):
                self._skip_rest_of_line()
            self._number += 1
            self._stats.lines_read += 1
            if line in (b"\n", b"\r\n"):
                self._stats.parsed += 1
                yield from self._finish_entry()
            else:
                self._read_field(line.rstrip(b"\n"))
        if self._partial_line:
            self._stats.lines_read += 1
            self._stats.unparsed += 1
        yield from self._finish_entry()

    def _skip_rest_of_line(self) -> None:
        """Drop the end of an over-long line; its first `_MAX_EXPORT_LINE` bytes are kept."""
        while True:
            rest = self._stream.readline(_MAX_EXPORT_LINE)
            if not rest or rest.endswith(b"\n"):
                return

    def _read_field(self, line: bytes) -> None:
        name, equals, value = line.partition(b"=")
        if not self._entry and not self._raw:
            self._first_line = self._number
        if equals:
            self._add(name, value)
            self._stats.parsed += 1
            self._entry_parsed += 1
        elif _export_name(line.decode("ascii", "replace")):
            self._read_binary(line)
        else:
            self._stats.note_unparsed(self._number, line.decode("utf-8", "replace"))

    def _read_binary(self, name: bytes) -> None:
        prefix = self._stream.read(8)
        length = struct.unpack("<Q", prefix)[0] if len(prefix) == 8 else -1
        data = self._stream.read(length) if 0 <= length <= _MAX_EXPORT_VALUE else b""
        terminator = self._stream.read(1) if len(data) == length else b""
        consumed = prefix + data + terminator
        spanned = consumed.count(b"\n")
        self._stats.lines_read += spanned
        if terminator != b"\n":
            # Damaged: the length prefix does not match the data that follows.
            self._stats.note_unparsed(self._number, name.decode("utf-8", "replace"))
            self._stats.unparsed += spanned
            self._number += spanned
            self._partial_line = bool(consumed) and not consumed.endswith(b"\n")
            return
        self._add(name, data)
        self._stats.parsed += 1
        self._stats.continuation += spanned
        self._entry_parsed += 1
        self._entry_continuation += spanned
        self._number += spanned

    def _add(self, name_bytes: bytes, value_bytes: bytes) -> None:
        name = name_bytes.decode("utf-8", "replace")
        value = value_bytes.decode("utf-8", "replace")
        self._raw.append(f"{name}={value}")
        if name in self._entry:
            previous = self._entry[name]
            self._entry[name] = (previous if isinstance(previous, list) else [previous]) + [value]
        else:
            self._entry[name] = value

    def _finish_entry(self) -> Iterator[Event]:
        if self._entry:
            raw = "\n".join(self._raw)
            self._context.note_record_lines(self._first_line, self._entry_parsed,
                                            self._entry_continuation)
            yield entry_event(self._entry, self._first_line, raw, self._context)
        self._entry = {}
        self._raw = []
        self._entry_parsed = 0
        self._entry_continuation = 0
