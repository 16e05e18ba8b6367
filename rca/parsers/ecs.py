"""Documents that Filebeat ships to Elasticsearch (ECS), mapped to events.

Three shapes are read, abbreviated here to the fields this module uses:

    {"@timestamp": "2026-12-03T02:14:07.123Z", "host": {"name": "build-01"},
     "input": {"type": "filestream"}, "transaction": {"id": "run-0042"},
     "log": {"level": "ERROR", "file": {"path": "/var/log/example-installer/install.log"},
             "offset": 5120},
     "message": "2026-12-03T02:14:07.123Z ERROR txn=run-0042 step=go-install exit=1 msg=\\"...\\""}
    {"@timestamp": "2024-01-01T00:00:00.123Z", "input": {"type": "journald"},
     "log": {"syslog": {"priority": 3, "appname": "systemd"}}, "systemd": {"unit": "init.scope"},
     "journald": {"custom": {"unit": "example-installer.service", "job_result": "failed"}},
     "message": "Failed to start example-installer.service - Example installer."}
    {"@timestamp": "2023-11-14T22:13:20.123Z", "input": {"type": "log"},
     "event": {"module": "auditd", "dataset": "auditd.log", "action": "avc",
               "original": "type=AVC msg=audit(1700000000.123:4242): avc:  denied  { read } ..."},
     "auditd": {"log": {"sequence": 4242, "scontext": "system_u:system_r:httpd_t:s0"}}}

Documents may use nested objects or dotted keys (``"log.level"``); both read the
same. Each event keeps the document's ECS fields by dotted name in
`Event.fields`, less agent and host metadata, and gets the fields the file
parsers give the same record:

* Installer lines get ``exit_code``, ``step`` and ``cmd``. A raw installer line
  in ``message`` is read with the installer parser, and the fields the ingest
  pipeline set win over it.
* Journald entries are rebuilt from the journal fields Filebeat kept
  (``PRIORITY``, ``_SYSTEMD_UNIT``, ``journald.custom.*``...) and read with the
  journald parser.
* Audit records are read with the audit parser from ``event.original``, or
  from a record rebuilt from ``auditd.log.*`` when the module kept no original.
  One document is one record, so an event has the fields of that record only.

The constants below name the fields and values that classify a document. The
Elasticsearch source builds its queries from the same constants, so a document
the source fetches as context is classified as the same kind here.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any, Final

from rca.model import Event, Level, Origin, SourceKind
from rca.parsers import audit, installer, journald
from rca.parsers.base import ParseContext
from rca.parsers.levels import apply_systemd_exit, level_from_syslog_priority, level_from_text
from rca.parsers.timestamps import epoch_number_timestamp, parse_iso

logger = logging.getLogger(__name__)

NAME = "ecs"

# Fields the source queries; each must be a keyword, numeric or date field.
TIMESTAMP_FIELD: Final = "@timestamp"
TRANSACTION_FIELD: Final = "transaction.id"
HOST_FIELD: Final = "host.name"
LEVEL_FIELD: Final = "log.level"
EXIT_CODE_FIELD: Final = "process.exit_code"
PRIORITY_FIELD: Final = "log.syslog.priority"
OFFSET_FIELD: Final = "log.offset"

# Level words that mean failure, in the lower case `Level.from_name` reads. The
# source matches them in lower, upper and title case because keyword fields
# compare exactly.
ERROR_LEVEL_WORDS: Final = ("error", "err", "erro", "fail", "failed", "crit", "critical",
                            "fatal", "ftl", "alert", "emerg", "panic")

# Values that mark a document's kind: the Filebeat module, the data stream or
# event dataset, the input type, or the file it was read from.
AUDIT_MODULES: Final = ("auditd",)
AUDIT_DATASETS: Final = ("auditd.log", "rca.audit")
AUDIT_PATHS: Final = ("/var/log/audit/audit.log",)
JOURNALD_INPUTS: Final = ("journald",)
JOURNALD_DATASETS: Final = ("journald", "system.journald")
SYSLOG_DATASETS: Final = ("system.syslog", "system.auth")
SYSLOG_PATHS: Final = ("/var/log/syslog", "/var/log/messages", "/var/log/kern.log",
                       "/var/log/auth.log", "/var/log/secure")
DATASET_FIELDS: Final = ("data_stream.dataset", "event.dataset")

# ECS metadata with no facts about the record: left out of `Event.fields`, and
# not requested from Elasticsearch at all.
METADATA_FIELDS: Final = ("agent", "ecs", "host.os", "host.ip", "host.mac", "host.id", "cloud",
                          "fileset", "service", "process.thread.capabilities",
                          "journald.process.capabilities")
_DROPPED_PREFIXES: Final = tuple(f"{name}." for name in (*METADATA_FIELDS, "input", "@metadata"))
_DROPPED_FIELDS: Final = frozenset({"message", "event.original", "@timestamp", "tags",
                                    *METADATA_FIELDS})

# Journal field names for the ECS fields of Filebeat's journald input.
_JOURNAL_NAMES: Final = {
    "log.syslog.priority": "PRIORITY",
    "syslog.priority": "PRIORITY",
    "log.syslog.facility.code": "SYSLOG_FACILITY",
    "syslog.facility": "SYSLOG_FACILITY",
    "log.syslog.appname": "SYSLOG_IDENTIFIER",
    "syslog.identifier": "SYSLOG_IDENTIFIER",
    "log.syslog.procid": "SYSLOG_PID",
    "syslog.pid": "SYSLOG_PID",
    "journald.pid": "_PID",
    "journald.uid": "_UID",
    "journald.gid": "_GID",
    "journald.process.name": "_COMM",
    "journald.process.executable": "_EXE",
    "journald.process.command_line": "_CMDLINE",
    "journald.host.boot_id": "_BOOT_ID",
    "journald.unit": "UNIT",
    "systemd.unit": "_SYSTEMD_UNIT",
    "systemd.user_unit": "_SYSTEMD_USER_UNIT",
    "systemd.slice": "_SYSTEMD_SLICE",
    "systemd.cgroup": "_SYSTEMD_CGROUP",
    "systemd.invocation_id": "_SYSTEMD_INVOCATION_ID",
    "systemd.transport": "_TRANSPORT",
    "message_id": "MESSAGE_ID",
}

# Audit keys for the ECS fields that Filebeat's auditd pipeline renames.
_AUDIT_NAMES: Final = {
    "process.pid": "pid",
    "process.parent.pid": "ppid",
    "process.ppid": "ppid",
    "process.name": "comm",
    "process.executable": "exe",
    "process.working_directory": "cwd",
    "process.exit_code": "exit",
    "user.id": "uid",
    "user.group.id": "gid",
    "user.audit.id": "auid",
    "user.effective.id": "euid",
    "user.name": "acct",
    "user.terminal": "terminal",
    "host.architecture": "arch",
    "source.address": "addr",
    "destination.address": "dst",
}

# auditd.log keys that `_audit_line` writes into the record header or AVC head.
_REBUILT_KEYS: Final = frozenset({"node", "sequence", "record_type", "avc_result", "permissions",
                                  "seresult", "seperms"})
_RAW_INSTALLER_RE: Final = re.compile(r"^(?:\d{4}-\d\d-\d\d[T ]\d\d:\d\d|(?:ts|time)=)")


def flatten_document(source: Mapping[str, Any]) -> dict[str, Any]:
    """Leaf values of a document by dotted field name; arrays stay lists.

    ``{"log": {"level": "ERROR"}}`` and ``{"log.level": "ERROR"}`` both give
    ``{"log.level": "ERROR"}``. Nulls are left out.
    """
    flat: dict[str, Any] = {}
    _flatten_into(source, "", flat)
    return flat


def _flatten_into(value: Any, prefix: str, flat: dict[str, Any]) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            _flatten_into(item, f"{prefix}.{key}" if prefix else str(key), flat)
    elif isinstance(value, list) and any(isinstance(item, Mapping) for item in value):
        for item in value:
            _flatten_into(item, prefix, flat)
    elif value is not None and prefix:
        if prefix in flat:
            existing = flat[prefix]
            flat[prefix] = (existing if isinstance(existing, list) else [existing]) + (
                value if isinstance(value, list) else [value])
        else:
            flat[prefix] = value


def source_kind(flat: Mapping[str, Any]) -> SourceKind:
    """Return the kind of log a flattened document came from, installer when nothing else fits."""
    datasets = {_text(flat.get(name)) for name in DATASET_FIELDS} - {""}
    path = _text(flat.get("log.file.path"))
    if (_text(flat.get("event.module")) in AUDIT_MODULES or datasets & set(AUDIT_DATASETS)
            or path in AUDIT_PATHS):
        return SourceKind.AUDIT
    if _text(flat.get("input.type")) in JOURNALD_INPUTS or datasets & set(JOURNALD_DATASETS):
        return SourceKind.JOURNALD
    if datasets & set(SYSLOG_DATASETS) or path in SYSLOG_PATHS:
        return SourceKind.SYSLOG
    return SourceKind.INSTALLER


def event_from_hit(hit: Mapping[str, Any], *, sequence: int = 0) -> Event:
    """Map one search hit (``_index``, ``_id``, ``_source``) to an event.

    Never raises on odd documents: a missing or unreadable time gives an event
    without a timestamp, a missing host an empty node.
    """
    source = hit.get("_source")
    flat = flatten_document(source if isinstance(source, Mapping) else {})
    origin = Origin(f"es://{hit.get('_index', '')}/{hit.get('_id', '')}")
    kind = source_kind(flat)
    message = _message(flat)
    original = _text(flat.get("event.original"))

    event = Event(
        timestamp=parse_timestamp(flat.get(TIMESTAMP_FIELD)),
        node=_node(flat),
        kind=kind,
        level=Level.INFO,
        message=message,
        raw=original or message,
        origin=origin,
        sequence=sequence,
        transaction_id=_text(flat.get(TRANSACTION_FIELD)) or None,
        fields=_ecs_fields(flat),
    )
    if kind is SourceKind.AUDIT:
        _complete_audit(event, flat, original)
    elif kind is SourceKind.JOURNALD:
        _complete_journald(event, flat)
    elif kind is SourceKind.SYSLOG:
        _complete_syslog(event, flat)
    else:
        _complete_installer(event, flat)
    return event


def parse_timestamp(value: Any) -> float | None:
    """Read ``@timestamp``: an ISO-8601 string, or epoch milliseconds as a number."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value) / 1000.0
    text = str(value).strip()
    parsed = parse_iso(text)
    if parsed is not None:
        return parsed
    return epoch_number_timestamp(text)


def _text(value: Any) -> str:
    if isinstance(value, list):
        return str(value[0]) if value else ""
    return "" if value is None else str(value)


def _integer(value: Any) -> int | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    digits = text[1:] if text[:1] in "+-" else text
    return int(text) if digits.isdigit() and digits.isascii() else None


def _node(flat: Mapping[str, Any]) -> str:
    for name in (HOST_FIELD, "host.hostname", "auditd.log.node", "agent.name"):
        value = _text(flat.get(name))
        if value:
            return value
    return ""


def _message(flat: Mapping[str, Any]) -> str:
    value = flat.get("message")
    if isinstance(value, list):
        return "\n".join(str(item) for item in value)
    return "" if value is None else str(value)


def _context(event: Event) -> ParseContext:
    return ParseContext(path=event.origin.path, node=event.node)


def _ecs_fields(flat: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in flat.items()
            if name not in _DROPPED_FIELDS and not name.startswith(_DROPPED_PREFIXES)}


def _ecs_level(flat: Mapping[str, Any]) -> Level | None:
    word = _text(flat.get(LEVEL_FIELD))
    return Level.from_name(word) if word else None


def _complete_installer(event: Event, flat: Mapping[str, Any]) -> None:
    parsed = _parse_installer_line(event.message, event.node, event.origin.path)
    if parsed is not None:
        event.message = parsed.message
        event.timestamp = event.timestamp if event.timestamp is not None else parsed.timestamp
        event.transaction_id = event.transaction_id or parsed.transaction_id
        for name, value in parsed.fields.items():
            event.fields.setdefault(name, value)

    level = _ecs_level(flat)
    if level is None and parsed is not None:
        level = parsed.level
    event.level = level or Level.INFO

    exit_code = _integer(flat.get(EXIT_CODE_FIELD))
    if exit_code is not None:
        event.fields["exit_code"] = exit_code
    for name, ecs_names in (("step", ("installer.step", "labels.step")),
                            ("cmd", ("process.command_line", "installer.cmd"))):
        for ecs_name in ecs_names:
            value = _text(flat.get(ecs_name))
            if value:
                event.fields[name] = value
                break


def _parse_installer_line(message: str, node: str, path: str) -> Event | None:
    """Read `message` with the installer parser when it is a raw installer line."""
    if not _RAW_INSTALLER_RE.match(message):
        return None
    first_line, _newline, rest = message.partition("\n")
    parsed = installer.read_record(1, first_line, ParseContext(path=path, node=node))
    if parsed is not None and rest:
        parsed.message = f"{parsed.message}\n{rest}"
    return parsed


def _complete_journald(event: Event, flat: Mapping[str, Any]) -> None:
    """Read the entry with the journald parser, from the journal fields Filebeat kept."""
    entry = _journal_entry(flat, event.message)
    parsed = journald.entry_event(entry, None, event.raw, _context(event))
    event.message = parsed.message
    event.level = parsed.level
    event.transaction_id = event.transaction_id or parsed.transaction_id
    event.fields.update(parsed.fields)
    ecs_level = _ecs_level(flat)
    if "PRIORITY" not in entry and ecs_level is not None:
        event.level = max(event.level, ecs_level)


def _journal_entry(flat: Mapping[str, Any], message: str) -> dict[str, Any]:
    """Rebuild the journal entry (field name to text) that Filebeat mapped to ECS."""
    entry: dict[str, Any] = {"MESSAGE": message}
    for ecs_name, journal_name in _JOURNAL_NAMES.items():
        value = flat.get(ecs_name)
        if value is not None and journal_name not in entry:
            entry[journal_name] = _text(value)
    hostname = _text(flat.get("host.hostname")) or _text(flat.get(HOST_FIELD))
    if hostname:
        entry["_HOSTNAME"] = hostname
    for name, value in flat.items():
        if name.startswith("journald.custom."):
            entry.setdefault(name.removeprefix("journald.custom.").upper(), _text(value))
    return entry


def _complete_syslog(event: Event, flat: Mapping[str, Any]) -> None:
    program = _text(flat.get("process.name")) or _text(flat.get("log.syslog.appname"))
    if program:
        event.fields.setdefault("program", program)
    pid = _integer(flat.get("process.pid"))
    if pid is not None:
        event.fields.setdefault("pid", pid)

    level = _ecs_level(flat)
    priority = _integer(flat.get(PRIORITY_FIELD))
    if level is None and priority is not None:
        level = level_from_syslog_priority(priority)
    if level is None:
        level = level_from_text(event.message)
    payload = audit.decode_payload(event.message, program)
    if payload is not None:
        event.message = payload.message
        event.fields.update(payload.fields)
        level = max(level, payload.level)
    event.level = apply_systemd_exit(event.message, event.fields, level)


def _complete_audit(event: Event, flat: Mapping[str, Any], original: str) -> None:
    """Read the record with the audit parser: the original line, or one rebuilt from fields."""
    line = original or _audit_line(flat, event.timestamp)
    parsed = next(iter(audit.parse([(1, line)], _context(event))), None) if line else None
    if parsed is None:
        logger.debug("%s: no audit record in the document, fields kept as they are",
                     event.origin)
        event.level = _ecs_level(flat) or Level.INFO
        return

    event.message = parsed.message
    event.node = event.node or parsed.node
    if event.timestamp is None:
        event.timestamp = parsed.timestamp
    event.fields.update(parsed.fields)
    # The rca-audit ingest pipeline marks denials with log.level: error.
    event.level = max(parsed.level, _ecs_level(flat) or Level.DEBUG)


def _audit_line(flat: Mapping[str, Any], timestamp: float | None) -> str:
    """Rebuild a raw audit record from the fields of Filebeat's auditd module.

    Older module versions keep no ``event.original``. The record type, serial and
    time come from ``auditd.log.record_type`` (or ``event.action``),
    ``auditd.log.sequence`` and ``@timestamp``; an SELinux AVC gets its
    ``avc:  denied  { read } for`` head back from ``seresult`` and ``seperms``
    (``avc_result`` and ``permissions`` in the rca-audit pipeline).
    """
    action = flat.get("event.action")
    record_type = _text(flat.get("auditd.log.record_type")) or (
        action if isinstance(action, str) else "")
    serial = _integer(flat.get("auditd.log.sequence"))
    if not record_type or serial is None or timestamp is None:
        return ""

    head = ""
    result = _text(flat.get("auditd.log.avc_result") or flat.get("auditd.log.seresult"))
    permissions = flat.get("auditd.log.permissions") or flat.get("auditd.log.seperms")
    if result in {"denied", "granted"} and permissions:
        if isinstance(permissions, list):
            permissions = " ".join(str(item) for item in permissions)
        head = f"avc:  {result}  {{ {permissions} }} for  "

    pairs: dict[str, Any] = {}
    for name, value in flat.items():
        key = name.removeprefix("auditd.log.")
        if name.startswith("auditd.log.") and key not in _REBUILT_KEYS:
            pairs[key] = value
    for ecs_name, audit_name in _AUDIT_NAMES.items():
        if ecs_name in flat and audit_name not in pairs:
            pairs[audit_name] = flat[ecs_name]
    body = " ".join(_audit_pair(key, value) for key, value in pairs.items())
    node = _text(flat.get("auditd.log.node"))
    prefix = f"node={node} " if node else ""
    return (f"{prefix}type={record_type.upper()} msg=audit({timestamp:.3f}:{serial}): "
            f"{head}{body}").rstrip()


def _audit_pair(key: str, value: Any) -> str:
    if isinstance(value, list):
        value = " ".join(str(item) for item in value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{key}={value}"
    return f'{key}="{value}"'


def merge_audit_records(events: list[Event]) -> list[Event]:
    """Merge audit documents of one audit event into one `Event`, in place of many.

    The auditd module indexes one document per record, while the files source
    groups the records that share ``msg=audit(SECONDS.MILLIS:SERIAL)`` into one
    event. Merging by node and audit id gives the AVC event its SYSCALL, PATH and
    PROCTITLE fields here too. The first document keeps its place and origin;
    fields it lacks are taken from the later ones.
    """
    merged: list[Event] = []
    first_of: dict[tuple[str, str], Event] = {}
    for event in events:
        audit_id = event.fields.get("audit_id")
        if event.kind is not SourceKind.AUDIT or not isinstance(audit_id, str):
            merged.append(event)
            continue
        first = first_of.setdefault((event.node, audit_id), event)
        if first is event:
            merged.append(event)
            continue
        _merge_into(first, event)
    return merged


def _merge_into(first: Event, other: Event) -> None:
    record_types = first.fields.setdefault("record_types", [])
    for record_type in other.fields.get("record_types", []):
        if record_type not in record_types:
            record_types.append(record_type)
    for key, value in other.fields.items():
        first.fields.setdefault(key, value)
    if other.level > first.level:
        first.level = other.level
        first.message = other.message
    first.raw = f"{first.raw}\n{other.raw}"
