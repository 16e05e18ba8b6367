"""Linux audit records (``audit.log``, ``ausearch`` output), one event per audit event.

    type=AVC msg=audit(1677601548.669:1599): avc:  denied  { name_bind } for  pid=26808 comm="nginx" src=12345 scontext=system_u:system_r:httpd_t:s0 tcontext=system_u:object_r:unreserved_port_t:s0 tclass=tcp_socket permissive=0
    type=SYSCALL msg=audit(1677601548.669:1599): arch=c000003e syscall=49 success=no exit=-13 a0=8 a1=55b9ec900ab0 a2=10 a3=7ffe401a8bb0 items=0 ppid=1 pid=26808 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="nginx" exe="/usr/sbin/nginx" subj=system_u:system_r:httpd_t:s0 key=(null)
    type=PROCTITLE msg=audit(1677601548.669:1599): proctitle=2F7573722F7362696E2F6E67696E78002D74

Records that share ``(node, seconds.millis:serial)`` are one audit event. auditd
does not keep them contiguous, so a group stays open while the stream stays
within `EVENT_TIMEOUT_SECONDS` of its time (the 2 s default of auditd's
``end_of_event_timeout``). At most `MAX_OPEN_EVENTS` groups are open, and an
``EOE`` record or an ``ausearch`` ``----`` separator closes groups at once.
Events are emitted in the order of their first record. A record identical to one
already in its event is counted as a duplicate.

Also read:

* the ``node=``/``host=`` prefix, and two records glued on one line;
* the ENRICHED format, whose interpreted values follow a 0x1D byte. That is why
  lines must be split on ``\\n`` only;
* ``ausearch -i`` stamps (``msg=audit(11/06/2018 03:38:51.656:487)``), read in
  the node's time zone;
* hex-encoded values.

`decode_payload` reads the same records when the kernel prints them into
``kern.log``, ``dmesg`` or the journal, for the syslog and journald parsers.
"""  # noqa: E501 - the examples are real lines, kept whole

from __future__ import annotations

import itertools
import logging
import posixpath
import re
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from rca.model import Event, Level, SourceKind
from rca.parsers.base import Lines, ParseContext, is_blank, line_fraction
from rca.parsers.timestamps import audit_timestamp, wall_clock_seconds

logger = logging.getLogger(__name__)

NAME = "audit"

EVENT_TIMEOUT_SECONDS = 2.0
MAX_OPEN_EVENTS = 256
# Emitted events remembered to recognize a repeated record after its event closed.
_RECENT_EVENTS = 1024

# Groups: node, type, seconds, millis, interpreted date, its millis, serial.
_RECORD_RE = re.compile(
    r"(?:(?:node|host)=(\S+) )?type=(\S+) msg=audit\("
    r"(?:(\d+)\.(\d+)|(\d\d/\d\d/\d\d(?:\d\d)? \d\d:\d\d:\d\d)\.(\d+)):(\d+)\)\s?:\s*"
)
_GLUED_RECORD_RE = re.compile(r"(?<=\s)(?:(?:node|host)=\S+ )?type=\S+ msg=audit\(")
# Values: single- or double-quoted, an ``ausearch -i`` value with a parenthesized
# part that may hold spaces (``exit=EACCES(Permission denied)``), or bare.
_KV_RE = re.compile(r"""([\w\-]+(?:\[\d+\])?)=('[^']*'?|"[^"]*"?|[^\s(]*(?:\([^)]*\))?)""")
_AVC_RE = re.compile(r"avc:\s+(denied|granted)\s+\{\s*([^}]*?)\s*\}")
_NESTED_MSG_RE = re.compile(r"msg='([^']*)'?")
_HEX_RE = re.compile(r"(?:[0-9A-F]{2})+")
_ENRICHED_SEPARATOR = "\x1d"

# The kernel hex-encodes these keys' values when they contain a space, a quote or
# a byte outside 0x21-0x7E (kernel/audit.c; list as in Filebeat's auditd pipeline).
HEX_KEYS = frozenset({
    "proctitle", "exe", "comm", "name", "path", "cwd", "cmd", "data", "acct", "key",
    "profile", "apparmor", "operation", "denied_mask", "requested_mask", "info", "sw",
    "root_dir", "vm", "ocomm", "grp", "new_group", "invalid_context", "cgroup", "device",
    "file", "dir", "watch", "label", "peer", "target",
})
_UNSET = frozenset({"", "?", "(null)", "(none)"})

# Record fields copied into `Event.fields`; the first record in priority order wins.
_FIELD_KEYS = frozenset({
    "pid", "ppid", "uid", "auid", "comm", "exe", "name", "path", "cwd", "scontext",
    "tcontext", "tclass", "permissive", "profile", "label", "operation", "apparmor", "class",
    "requested_mask", "denied_mask", "info", "error", "capability", "capname", "success",
    "exit", "syscall", "arch", "unit", "res", "op", "acct", "key", "subj", "target", "peer",
    "src", "dev", "ino", "cmd", "cmdline", "sig", "proctitle", "terminal", "addr",
})
_INT_KEYS = frozenset({"pid", "ppid", "exit", "permissive", "capability", "error", "sig"})
_TYPE_PRIORITY = {
    "AVC": 0, "USER_AVC": 0, "SELINUX_ERR": 1, "ANOM_ABEND": 1, "SYSCALL": 2,
    "AVC_PATH": 3, "PATH": 4, "CWD": 5, "PROCTITLE": 7,
}
_ERROR_TYPES = frozenset({"SELINUX_ERR", "ANOM_ABEND", "USER_SELINUX_ERR"})
_SERVICE_TYPES = frozenset({"SERVICE_START", "SERVICE_STOP"})
_DENIED_APPARMOR = frozenset({"DENIED", "KILL"})

_AVC_QUOTED_KEYS = ("comm", "cmdline", "name", "path")
_AVC_PLAIN_KEYS = ("src", "dest", "capability", "scontext", "tcontext", "tclass")
_APPARMOR_SUMMARY_KEYS = (
    "apparmor", "operation", "class", "profile", "label", "name", "comm", "requested_mask",
    "denied_mask", "capname", "info", "peer",
)


@dataclass(slots=True)
class AuditRecord:
    """One audit record: its type, stamp and ``key=value`` body."""

    type: str
    node: str
    time: float | None
    stamp: str
    body: str
    text: str
    enriched: str = ""
    _values: dict[str, str] | None = field(default=None, repr=False)

    @property
    def values(self) -> dict[str, str]:
        """The body's fields, decoded (hex, quotes, the nested ``msg='...'``)."""
        if self._values is None:
            self._values = parse_values(self.body)
        return self._values


@dataclass(frozen=True, slots=True)
class AuditPayload:
    """An audit record found inside another log's message (kern.log, the journal)."""

    time: float | None
    message: str
    level: Level
    fields: dict[str, Any]


def sniff(sample: list[str]) -> float:
    """Score sample lines: the share that are audit records or ``ausearch`` separators."""
    return line_fraction(sample, _looks_like_audit)


def _looks_like_audit(line: str) -> bool:
    if line.startswith(("----", "time->")):
        return True
    return "msg=audit(" in line and _RECORD_RE.match(line) is not None


def parse(lines: Lines, context: ParseContext) -> Iterator[Event]:
    """Read audit records and emit one event per audit event."""
    stats = context.stats
    grouper = _Grouper(context)
    for number, text in lines:
        records = split_records(text, context)
        if records is None:
            if text.startswith("----"):
                yield from grouper.flush_all()
                stats.parsed += 1
            elif is_blank(text) or text.startswith("time->"):
                stats.parsed += 1
            else:
                stats.note_unparsed(number, text)
            continue
        added = 0
        for record in records:
            yield from grouper.flush_stale(record.time)
            added += grouper.add(record, number)
        if added:
            stats.parsed += 1
        else:
            stats.duplicates += 1
    yield from grouper.flush_all()


def split_records(line: str, context: ParseContext) -> list[AuditRecord] | None:
    """Read the records of one line (usually one, two when glued), or None."""
    if "msg=audit(" not in line:
        return None
    match = _RECORD_RE.match(line)
    if match is None:
        return None
    first = _record(match, line, context)
    if line.find("msg=audit(", match.end()) < 0:
        return [first]
    starts = [0] + [start.start() for start in _GLUED_RECORD_RE.finditer(line, match.end())]
    starts.append(len(line))
    records = [first]
    for start, end in itertools.pairwise(starts[1:]):
        text = line[start:end].rstrip()
        piece = _RECORD_RE.match(text)
        if piece is not None:
            record = _record(piece, text, context)
            # A glued record without its own node= prefix shares the line's node.
            record.node = record.node or records[-1].node
            records.append(record)
    if len(records) > 1:
        first.text = line[:starts[1]].rstrip()
        first.body, _, first.enriched = _record_body(first.text, match)
    return records


def _record(match: re.Match[str], text: str, context: ParseContext) -> AuditRecord:
    node, type_name, seconds, millis, date, date_millis, serial = match.groups()
    time: float | None
    if seconds is not None:
        time = audit_timestamp(seconds, millis)
        stamp = f"{seconds}.{millis}:{serial}"
    else:
        time = _interpreted_time(date, date_millis, context)
        stamp = f"{date}.{date_millis}:{serial}"
    body, _, enriched = _record_body(text, match)
    return AuditRecord(type_name, node or "", time, stamp, body, text, enriched)


def _record_body(text: str, match: re.Match[str]) -> tuple[str, str, str]:
    """Split the text after the stamp into the body and the ENRICHED values at 0x1D."""
    body, separator, enriched = text[match.end():].partition(_ENRICHED_SEPARATOR)
    return body.rstrip(), separator, enriched


def _interpreted_time(date: str, millis: str, context: ParseContext) -> float | None:
    """Read the ``MM/DD/YY[YY] HH:MM:SS`` stamp of ``ausearch -i`` in the node's zone.

    A two-digit year is taken as 20YY.
    """
    # NOTE: ausearch formats this date with the locale of the machine that ran it;
    # only the month-first form (``03/09/23``, ``03/13/2020``) is read.
    month, day, rest = date.split("/", 2)
    year, clock = rest.split(" ")
    if len(year) == 2:
        year = "20" + year
    hour, minute, second = clock.split(":")
    base = wall_clock_seconds(
        int(year), int(month), int(day), int(hour), int(minute), int(second), context.tz
    )
    return None if base is None else base + int(millis) / 1000.0


def parse_values(body: str) -> dict[str, str]:
    """Decode a record body's ``key=value`` fields; the nested ``msg='...'`` is merged in.

    Unset values (``?``, ``(null)``, ``(none)``) are left out. For an AVC text
    (``avc:  denied  { read write } for ...``) the result also has ``avc``
    (``denied`` or ``granted``) and ``permissions`` (``read write``).
    """
    values: dict[str, str] = {}
    for key, raw in _KV_RE.findall(body):
        if key == "msg" and raw.startswith("'"):
            values.update(parse_values(_strip_quotes(raw)))
            continue
        value = decode_value(key, raw)
        if value not in _UNSET:
            values.setdefault(key, value)
    if "avc:" in body:
        avc = _AVC_RE.search(body)
        if avc is not None:
            values["avc"] = avc.group(1)
            values["permissions"] = " ".join(avc.group(2).split())
    return values


def decode_value(key: str, raw: str) -> str:
    """Decode one audit value: strip quotes, decode kernel hex, tidy old PAM punctuation."""
    first = raw[:1]
    if first == '"' or first == "'":
        return _strip_quotes(raw)
    if key in HEX_KEYS and len(raw) >= 2 and _HEX_RE.fullmatch(raw):
        text = bytes.fromhex(raw).decode("utf-8", "replace")
        # argv in PROCTITLE is joined by NUL bytes.
        return text.replace("\x00", " ").rstrip()
    # Old userspace wrote "(hostname=?, addr=?, terminal=cron res=success)".
    value = raw.rstrip(",")
    if value.endswith(")") and "(" not in value:
        value = value[:-1]
    return value


def _strip_quotes(raw: str) -> str:
    quote = raw[0]
    return raw[1:-1] if len(raw) > 1 and raw.endswith(quote) else raw[1:]


def describe(records: list[AuditRecord]) -> tuple[str, Level, dict[str, Any]]:
    """Summarize the records of one audit event: message, level and decoded fields."""
    fields = _merge_fields(records)
    denied = _is_denied(records)
    fields["denied"] = denied
    level = Level.ERROR if denied or _is_failure(records) else Level.INFO
    return _summary(records), level, fields


def _merge_fields(records: list[AuditRecord]) -> dict[str, Any]:
    types = list(dict.fromkeys(record.type for record in records))
    fields: dict[str, Any] = {"record_types": types}
    permissions: list[str] = []
    for record in sorted(records, key=_record_priority):
        values = record.values
        if record.type == "PATH":
            values = _path_values(values)
        for key, value in values.items():
            if key in _FIELD_KEYS and key not in fields:
                fields[key] = _convert(key, value)
        if "permissions" in values:
            permissions.extend(values["permissions"].split())
    if permissions:
        fields["permissions"] = list(dict.fromkeys(permissions))
    _complete_path(fields)
    enriched = _enriched_values(records)
    if enriched:
        fields["enriched"] = enriched
    return fields


def _record_priority(record: AuditRecord) -> int:
    priority = _TYPE_PRIORITY.get(record.type, 6)
    if record.type == "PATH" and record.values.get("nametype") == "PARENT":
        priority += 1
    return priority


def _path_values(values: dict[str, str]) -> dict[str, str]:
    """A PATH record's ``name`` is a path; it must not hide the AVC's file name."""
    renamed = {key: value for key, value in values.items() if key != "name"}
    if "name" in values:
        renamed["path"] = values["name"]
    return renamed


def _complete_path(fields: dict[str, Any]) -> None:
    path = fields.get("path")
    cwd = fields.get("cwd")
    if isinstance(path, str) and isinstance(cwd, str) and not path.startswith("/"):
        fields["path"] = posixpath.join(cwd, path)
    name = fields.get("name")
    is_path = isinstance(name, str) and name.startswith("/")
    if is_path and "path" not in fields and "apparmor" in fields:
        fields["path"] = name


def _convert(key: str, value: str) -> Any:
    if key in _INT_KEYS:
        digits = value[1:] if value.startswith("-") else value
        if digits.isdigit():
            return int(value)
    return value


def _enriched_values(records: list[AuditRecord]) -> dict[str, str]:
    enriched: dict[str, str] = {}
    for record in records:
        if record.enriched:
            for key, raw in _KV_RE.findall(record.enriched):
                enriched.setdefault(key, decode_value(key, raw))
    return enriched


def _is_denied(records: list[AuditRecord]) -> bool:
    for record in records:
        values = record.values
        if values.get("avc") == "denied" or values.get("apparmor") in _DENIED_APPARMOR:
            return True
    return False


def _is_failure(records: list[AuditRecord]) -> bool:
    for record in records:
        if record.type in _ERROR_TYPES:
            return True
        if record.type in _SERVICE_TYPES and record.values.get("res") == "failed":
            return True
    return False


def _summary(records: list[AuditRecord]) -> str:
    """A one-line description: the AVC or AppArmor text, else the main record's body."""
    for record in records:
        if "apparmor" in record.values:
            return _keys_text(record.values, _APPARMOR_SUMMARY_KEYS, quote_all=True)
    avcs = [record.values for record in records if "avc" in record.values]
    if avcs:
        return "; ".join(_avc_text(values) for values in avcs)
    main = min(records, key=_record_priority)
    body = _NESTED_MSG_RE.sub(lambda match: match.group(1), main.body)
    return f"{main.type} {' '.join(body.split())}".rstrip()


def _avc_text(values: dict[str, str]) -> str:
    head = f"avc: {values['avc']} {{ {values['permissions']} }} for"
    parts = [head, _keys_text(values, _AVC_QUOTED_KEYS, quote_all=True),
             _keys_text(values, _AVC_PLAIN_KEYS, quote_all=False)]
    if values.get("permissive") == "1":
        parts.append("permissive=1")
    return " ".join(part for part in parts if part)


def _keys_text(values: dict[str, str], keys: tuple[str, ...], *, quote_all: bool) -> str:
    if quote_all:
        pairs = (f'{key}="{values[key]}"' for key in keys if key in values)
    else:
        pairs = (f"{key}={values[key]}" for key in keys if key in values)
    return " ".join(pairs)


@dataclass(slots=True)
class _Group:
    key: tuple[str, str]
    time: float | None
    first_line: int
    records: list[AuditRecord] = field(default_factory=list)
    texts: set[str] = field(default_factory=set)
    lines: set[int] = field(default_factory=set)
    closed: bool = False


class _Grouper:
    """Collects the records of open audit events and emits events in first-line order."""

    def __init__(self, context: ParseContext) -> None:
        self._context = context
        self._open: dict[tuple[str, str], _Group] = {}
        self._recent: OrderedDict[tuple[str, str], frozenset[str]] = OrderedDict()

    def add(self, record: AuditRecord, line: int) -> bool:
        """Add a record to its event; False when it repeats a record already seen."""
        key = (record.node, record.stamp)
        group = self._open.get(key)
        if group is None:
            if record.text in self._recent.get(key, ()):
                return False
            group = _Group(key, record.time, line)
            self._open[key] = group
        elif record.text in group.texts:
            return False
        group.lines.add(line)
        if record.type == "EOE":
            group.closed = True
            return True
        group.records.append(record)
        group.texts.add(record.text)
        return True

    def flush_stale(self, time: float | None) -> Iterator[Event]:
        """Emit the oldest events that are closed or that the stream has moved past."""
        while self._open:
            group = next(iter(self._open.values()))
            if not (group.closed or len(self._open) > MAX_OPEN_EVENTS
                    or _outside_window(group.time, time)):
                return
            yield from self._emit(group)

    def flush_all(self) -> Iterator[Event]:
        while self._open:
            yield from self._emit(next(iter(self._open.values())))

    def _emit(self, group: _Group) -> Iterator[Event]:
        del self._open[group.key]
        self._recent[group.key] = frozenset(group.texts)
        if len(self._recent) > _RECENT_EVENTS:
            self._recent.popitem(last=False)
        if group.records:
            # NOTE: a line with glued records of two events counts in both events' lines.
            self._context.note_record_lines(group.first_line, len(group.lines), 0)
            yield _event(group, self._context)


def _outside_window(group_time: float | None, time: float | None) -> bool:
    if group_time is None or time is None:
        return False
    return abs(time - group_time) > EVENT_TIMEOUT_SECONDS


def _event(group: _Group, context: ParseContext) -> Event:
    records = group.records
    message, level, fields = describe(records)
    host = next((record.node for record in records if record.node), "")
    if host:
        fields["host"] = host
    first = records[0]
    fields["audit_id"] = first.stamp
    fields["serial"] = int(first.stamp.rpartition(":")[2])
    return Event(
        timestamp=group.time,
        node=context.node_for(host),
        kind=SourceKind.AUDIT,
        level=level,
        message=message,
        raw="\n".join(record.text for record in records),
        origin=context.origin(group.first_line),
        sequence=group.first_line,
        fields=fields,
    )


# Kernel printk form: "audit: type=1400 audit(1700000000.456:77): apparmor=..."
_PRINTK_RE = re.compile(r"(?:audit: )?type=(\d+) audit\((\d+)\.(\d+):(\d+)\):\s*")
# journald's audit transport: "AVC apparmor=..." (type name, then the body).
_TYPE_WORD_RE = re.compile(r"([A-Z][A-Z0-9_]+) (?=\S+=)")
_TYPE_NUMBERS = {
    1107: "USER_AVC", 1130: "SERVICE_START", 1131: "SERVICE_STOP", 1300: "SYSCALL",
    1302: "PATH", 1307: "CWD", 1320: "EOE", 1327: "PROCTITLE", 1400: "AVC",
    1401: "SELINUX_ERR", 1701: "ANOM_ABEND",
}
# AppArmor's own record types (AUDIT_APPARMOR_* in the kernel's audit.h), used by
# old kernels that print no apparmor= key.
_APPARMOR_TYPES = {
    1501: "AUDIT", 1502: "ALLOWED", 1503: "DENIED", 1504: "HINT", 1505: "STATUS",
    1506: "ERROR",
}


def decode_payload(text: str, tag: str = "") -> AuditPayload | None:
    """Decode an audit record embedded in a kernel, dmesg or journal message.

    Reads ``audit: type=1400 audit(1700000000.456:77): apparmor="DENIED" ...``,
    the journal's audit transport (``AVC apparmor="DENIED" ...`` from the ``audit``
    identifier, `tag`), and D-Bus's own ``apparmor="DENIED" ...`` lines. Returns
    None for a message that contains no audit record.
    """
    record = _embedded_record(text, tag)
    if record is None:
        return None
    message, level, fields = describe([record])
    if record.stamp:
        fields["audit_id"] = record.stamp
        fields["serial"] = int(record.stamp.rpartition(":")[2])
    return AuditPayload(record.time, message, level, fields)


def _embedded_record(text: str, tag: str) -> AuditRecord | None:
    if "audit(" in text:
        match = _PRINTK_RE.search(text)
        if match is not None:
            return _printk_record(match, text)
    if tag == "audit":
        match = _TYPE_WORD_RE.match(text)
        if match is not None:
            return AuditRecord(match.group(1), "", None, "", text[match.end():], text)
    if 'apparmor="' in text:
        return AuditRecord("USER_AVC", "", None, "", text[text.index("apparmor="):], text)
    return None


def _printk_record(match: re.Match[str], text: str) -> AuditRecord:
    number_text, seconds, millis, serial = match.groups()
    number = int(number_text)
    type_name = _TYPE_NUMBERS.get(number)
    if type_name is None:
        type_name = f"APPARMOR_{_APPARMOR_TYPES[number]}" if number in _APPARMOR_TYPES \
            else f"UNKNOWN[{number}]"
    body = text[match.end():].rstrip()
    record = AuditRecord(type_name, "", audit_timestamp(seconds, millis),
                         f"{seconds}.{millis}:{serial}", body, text)
    if number in _APPARMOR_TYPES and "apparmor" not in record.values:
        record.values["apparmor"] = _APPARMOR_TYPES[number]
    return record
