"""Turn an incident folder into the documents Filebeat and the ingest pipelines would index.

Tests use this to load a fixture incident into the loopback Elasticsearch exactly
as the shipping set-up in ``shipping/filebeat`` would have indexed it, without
Filebeat or an Elasticsearch node. It has two parts.

The pipeline simulator runs the project's ingest pipelines in Python. Only the
processors and options the shipped pipelines use are implemented: grok (through
`rca.testing.grok`), set (value with ``{{{field}}}`` templates or copy_from),
gsub, lowercase, remove, date and kv. Painless is not run: an ``if`` condition
must have the form ``ctx.a?.b == null``, ``!= null`` or ``== 'text'``, and a
script processor raises `Unsupported` unless its source is one of
`KNOWN_SCRIPTS` or the caller skips it.

The Filebeat emulation reads ``filebeat.yml`` and builds, per node folder
(``INCIDENT/<node>/``), the documents of each input:

* ``installer.log*`` files named in the filestream input's paths, with its
  multiline pattern, through the ``rca-installer`` pipeline;
* ``journal.json`` (``journalctl -o json``), filtered by the journald inputs'
  ``include_matches``, mapped to ECS as Filebeat's journald input does, through
  the ``rca-journald`` pipeline;
* ``audit.log``, as Filebeat's auditd module indexes it (`AuditRoute.MODULE`,
  the route ``filebeat.yml`` enables) or through the filestream input and the
  ``rca-audit`` pipeline that ``filebeat.yml`` offers as the alternative
  (`AuditRoute.PIPELINE`).

Other files (syslog, kern.log) are not shipped by that configuration and are
skipped. Each document gets the id ``NODE:FILE:LINE`` of its first line, so a
test can map a document back to the line the files source reads. A journal
entry that a second journald input also selects is indexed again as
``NODE:FILE:LINE#INPUT-ID``.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

from rca.testing.grok import GrokProcessor

logger = logging.getLogger(__name__)

Document = dict[str, Any]

_CONDITION: Final = re.compile(
    r"^ctx\.(?P<path>[\w?.]+?)\s*(?P<op>==|!=)\s*(?P<value>null|'[^']*')$")
_TEMPLATE: Final = re.compile(r"\{\{\{([\w.@]+)\}\}\}")


class Unsupported(Exception):
    """The pipeline uses a processor or option this simulator does not run."""


class PipelineFailure(Exception):
    """A processor failed and its options do not ignore the failure."""


# ---------------------------------------------------------------------------
# Ingest pipeline simulator


def get_field(document: Mapping[str, Any], path: str) -> Any:
    """Return the value at a dotted path of nested objects, or None."""
    current: Any = document
    for part in path.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return None
        current = current[part]
    return current


def set_field(document: Document, path: str, value: Any) -> None:
    """Set the value at a dotted path, creating the objects on the way."""
    parts = path.split(".")
    current = document
    for part in parts[:-1]:
        current = current.setdefault(part, {})
    current[parts[-1]] = value


def remove_field(document: Document, path: str) -> None:
    """Remove the value at a dotted path, if it is there."""
    parts = path.split(".")
    parent = get_field(document, ".".join(parts[:-1])) if len(parts) > 1 else document
    if isinstance(parent, dict):
        parent.pop(parts[-1], None)


def condition_holds(condition: str, document: Document) -> bool:
    """Evaluate a processor's ``if``: ``ctx.a?.b == null``, ``!= null`` or ``== 'text'``.

    Raises:
        Unsupported: the condition has another form.
    """
    found = _CONDITION.match(condition.strip())
    if found is None:
        raise Unsupported(f"condition {condition!r}")
    value = get_field(document, found.group("path").replace("?", ""))
    expected = None if found.group("value") == "null" else found.group("value")[1:-1]
    equal = value == expected
    return equal if found.group("op") == "==" else not equal


def parse_date(text: str, formats: list[str], timezone: str | None) -> str:
    """Parse `text` with the date processor's formats, returning ISO-8601 in UTC.

    Raises:
        PipelineFailure: no format matches.
    """
    zone = dt.UTC if timezone in (None, "UTC") else None
    for name in formats:
        try:
            if name == "UNIX":
                moment = dt.datetime.fromtimestamp(float(text), tz=dt.UTC)
            elif name == "ISO8601":
                moment = dt.datetime.fromisoformat(text)
            else:
                python = (
                    name.replace("yyyy", "%Y")
                    .replace("MM", "%m")
                    .replace("dd", "%d")
                    .replace("HH", "%H")
                    .replace("mm", "%M")
                    .replace("ss", "%S")
                    .replace("SSS", "%f")
                )
                moment = dt.datetime.strptime(text, python)
        except ValueError:
            continue
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone)
        return moment.astimezone(dt.UTC).isoformat()
    raise PipelineFailure(f"date {text!r} matches none of {formats}")


def run_pipeline(
    pipeline: Mapping[str, Any], document: Document, *, skip: tuple[str, ...] = ()
) -> Document:
    """Apply the pipeline's processors to `document` in place and return it.

    Processors whose kind is in `skip` are left out.

    Raises:
        PipelineFailure: a processor failed without ``ignore_failure``. The
            pipeline's ``on_failure`` handlers are not run.
        Unsupported: the pipeline needs a processor or condition not simulated.
    """
    for item in pipeline["processors"]:
        ((kind, options),) = item.items()
        if kind in skip:
            continue
        if "if" in options and not condition_holds(options["if"], document):
            continue
        try:
            _run(kind, options, document)
        except PipelineFailure:
            if not options.get("ignore_failure", False):
                raise
    return document


def _run(kind: str, options: Mapping[str, Any], document: Document) -> None:
    if kind == "script":
        _script(options, document)
        return
    field = options.get("field", "")
    value = get_field(document, field) if field else None
    if value is None and kind not in ("set", "remove"):
        if options.get("ignore_missing", False):
            return
        raise PipelineFailure(f"{kind}: field {field} is missing")

    if kind == "grok":
        captured = GrokProcessor.from_processor(options).match(str(value))
        if captured is None:
            raise PipelineFailure(f"grok: no pattern matches {value!r}")
        for name, capture in captured.items():
            set_field(document, name, capture)
    elif kind == "set":
        _set(options, document)
    elif kind == "gsub":
        replacement = re.sub(r"\$(\d)", r"\\\1", options["replacement"])
        set_field(
            document,
            options.get("target_field", field),
            re.sub(options["pattern"], replacement, str(value)),
        )
    elif kind == "lowercase":
        set_field(document, options.get("target_field", field), str(value).lower())
    elif kind == "remove":
        remove_field(document, field)
    elif kind == "date":
        parsed = parse_date(str(value), options["formats"], options.get("timezone"))
        set_field(document, options.get("target_field", "@timestamp"), parsed)
    elif kind == "kv":
        _kv(options, str(value), document)
    else:
        raise Unsupported(f"processor {kind}")


def _set(options: Mapping[str, Any], document: Document) -> None:
    target = options["field"]
    if not options.get("override", True) and get_field(document, target) is not None:
        return
    if "copy_from" in options:
        value = get_field(document, options["copy_from"])
    else:
        value = _TEMPLATE.sub(
            lambda found: str(get_field(document, found.group(1)) or ""), options["value"]
        )
    if value in (None, "") and options.get("ignore_empty_value", False):
        return
    set_field(document, target, value)


def _kv(options: Mapping[str, Any], text: str, document: Document) -> None:
    trim = options.get("trim_value", "")
    excluded = set(options.get("exclude_keys", []))
    target = options.get("target_field")
    for token in re.split(options["field_split"], text.strip()):
        key, separator, value = token.partition(options["value_split"])
        if not separator:
            raise PipelineFailure(f"kv: token {token!r} has no {options['value_split']!r}")
        if key in excluded:
            continue
        set_field(document, f"{target}.{key}" if target else key, value.strip(trim))


# Painless scripts of the shipped pipelines, by source, with a Python equivalent.
# A script whose source changes no longer matches and raises `Unsupported`, so
# the equivalent cannot silently drift from the pipeline.
_PRIORITY_SCRIPT: Final = (
    "int p = Integer.parseInt(ctx.log.syslog.priority.toString()); "
    "String[] names = new String[] {'critical', 'critical', 'critical', 'error', 'warn', "
    "'notice', 'info', 'debug'}; if (p >= 0 && p < names.length) { ctx.log.level = names[p]; }"
)
_PRIORITY_NAMES: Final = ("critical", "critical", "critical", "error", "warn", "notice", "info",
                          "debug")


def _level_from_priority(document: Document) -> None:
    try:
        priority = int(str(get_field(document, "log.syslog.priority")))
    except ValueError as error:
        # Integer.parseInt throws NumberFormatException, which fails the processor.
        raise PipelineFailure(f"script: priority is not an integer: {error}") from error
    if 0 <= priority < len(_PRIORITY_NAMES):
        set_field(document, "log.level", _PRIORITY_NAMES[priority])


KNOWN_SCRIPTS: Final = {_PRIORITY_SCRIPT: _level_from_priority}


def _script(options: Mapping[str, Any], document: Document) -> None:
    equivalent = KNOWN_SCRIPTS.get(str(options.get("source", "")))
    if options.get("lang", "painless") != "painless" or equivalent is None:
        raise Unsupported(f"script {options.get('tag', '')!r}")
    equivalent(document)


# ---------------------------------------------------------------------------
# Filebeat emulation


class AuditRoute(StrEnum):
    """The route by which audit.log reaches Elasticsearch."""

    MODULE = "module"
    """Filebeat's auditd module, as ``filebeat.yml`` enables it."""
    PIPELINE = "pipeline"
    """The filestream input with the ``rca-audit`` pipeline, the commented-out alternative."""


@dataclass(frozen=True, slots=True)
class ShippedDocument:
    """One document as it is indexed, with the file and line it was built from."""

    doc_id: str
    source: Document
    node: str
    file: str
    line: int


@dataclass(frozen=True, slots=True)
class _JournaldInput:
    id: str
    pipeline: str
    matches: dict[str, frozenset[str]]

    def includes(self, entry: Mapping[str, Any]) -> bool:
        # Values of one journal field are alternatives; different fields must all match.
        return all(str(entry.get(name)) in values for name, values in self.matches.items())


@dataclass(frozen=True, slots=True)
class ShippingSetup:
    """The parts of ``shipping/filebeat`` that decide what gets indexed and how."""

    installer_paths: tuple[str, ...]
    installer_pipeline: str
    installer_fields: Document
    multiline_start: re.Pattern[str]
    multiline_max_lines: int
    journald_inputs: tuple[_JournaldInput, ...]
    audit_paths: tuple[str, ...]
    pipelines: dict[str, Document]


INSTALLER_INPUT_ID: Final = "rca-installer-logs"
# The auditd module's log input skips compressed rotations (exclude_files: [".gz$"]
# in filebeat/module/auditd/log/config/log.yml).
AUDIT_EXCLUDE: Final = re.compile(r"\.gz$")
AUDIT_FILESTREAM_PATH: Final = "/var/log/audit/audit.log"
AGENT_VERSION: Final = "8.17.0"
ECS_VERSION: Final = "8.0.0"
_PIPELINE_FILES: Final = {
    "rca-installer": "ingest-pipeline-installer.json",
    "rca-journald": "ingest-pipeline-journald.json",
    "rca-audit": "ingest-pipeline-audit.json",
}


def load_shipping_setup(folder: Path) -> ShippingSetup:
    """Read ``filebeat.yml`` and the ingest pipelines from a ``shipping/filebeat`` folder.

    Raises:
        ValueError: the configuration lacks an input or option the emulation needs.
    """
    import yaml  # test dependency: only this loader needs it

    config = yaml.safe_load((folder / "filebeat.yml").read_text(encoding="utf-8"))
    inputs = config.get("filebeat.inputs") or []
    installer = next((item for item in inputs if item.get("id") == INSTALLER_INPUT_ID), None)
    if installer is None:
        raise ValueError(f"{folder}/filebeat.yml has no filestream input {INSTALLER_INPUT_ID}")
    multiline = next(parser["multiline"] for parser in installer.get("parsers", [])
                     if "multiline" in parser)
    if not (multiline.get("negate") and multiline.get("match") == "after"):
        raise ValueError("the emulation supports only multiline negate: true, match: after")

    journald_inputs = []
    for item in inputs:
        if item.get("type") != "journald":
            continue
        matches: dict[str, set[str]] = {}
        for expression in item.get("include_matches.match", []):
            name, _equals, value = str(expression).partition("=")
            matches.setdefault(name, set()).add(value)
        journald_inputs.append(_JournaldInput(
            id=item["id"], pipeline=item["pipeline"],
            matches={name: frozenset(values) for name, values in matches.items()}))

    audit_paths: list[str] = []
    for module in config.get("filebeat.modules") or []:
        if module.get("module") == "auditd" and module.get("log", {}).get("enabled", True):
            audit_paths.extend(module["log"].get("var.paths", []))

    pipelines = {name: json.loads((folder / file).read_text(encoding="utf-8"))
                 for name, file in _PIPELINE_FILES.items()}
    return ShippingSetup(
        installer_paths=tuple(installer["paths"]),
        installer_pipeline=installer["pipeline"],
        installer_fields=dict(installer.get("fields") or {}),
        multiline_start=re.compile(multiline["pattern"]),
        multiline_max_lines=int(multiline.get("max_lines", 500)),
        journald_inputs=tuple(journald_inputs),
        audit_paths=tuple(audit_paths),
        pipelines=pipelines,
    )


def incident_documents(incident: Path, setup: ShippingSetup, *,
                       audit_route: AuditRoute = AuditRoute.MODULE) -> list[ShippedDocument]:
    """Build every document the shipping set-up would index for an incident folder.

    Each sub-folder is one node, whose name is the host name Filebeat's
    ``add_host_metadata`` reports. Files the configuration does not ship are skipped.

    Raises:
        PipelineFailure: a record fails its pipeline (Elasticsearch would index it
            with ``event.kind: pipeline_error``, which a test should not accept).
    """
    documents: list[ShippedDocument] = []
    for node_folder in sorted(path for path in incident.iterdir() if path.is_dir()):
        node = node_folder.name
        for path in sorted(node_folder.iterdir()):
            documents.extend(_file_documents(path, node, setup, audit_route))
    logger.debug("%s: %d documents", incident, len(documents))
    return documents


def _file_documents(path: Path, node: str, setup: ShippingSetup,
                    audit_route: AuditRoute) -> Iterator[ShippedDocument]:
    installer_path = f"/var/log/fleet/{path.name}"
    audit_path = f"/var/log/audit/{path.name}"
    if installer_path in setup.installer_paths:
        yield from installer_documents(path, node, setup, installer_path)
    elif path.name == "journal.json":
        yield from journald_documents(path, node, setup)
    elif (any(fnmatch.fnmatchcase(audit_path, pattern) for pattern in setup.audit_paths)
          and not AUDIT_EXCLUDE.search(path.name)):
        yield from audit_documents(path, node, setup, audit_route, audit_path)
    else:
        logger.debug("%s: not shipped by filebeat.yml", path)


def _lines_with_offsets(path: Path) -> Iterator[tuple[int, int, str]]:
    """Yield (line number, byte offset, text) for each LF-terminated line."""
    data = path.read_bytes()
    pieces = data.split(b"\n")
    if data.endswith(b"\n"):
        pieces.pop()
    offset = 0
    for number, raw in enumerate(pieces, start=1):
        yield number, offset, raw.decode("utf-8", errors="replace").removesuffix("\r")
        offset += len(raw) + 1


def _base_document(node: str, input_type: str) -> Document:
    return {
        "agent": {"type": "filebeat", "name": node, "version": AGENT_VERSION},
        "ecs": {"version": ECS_VERSION},
        "host": {"name": node, "hostname": node},
        "input": {"type": input_type},
    }


def installer_documents(path: Path, node: str, setup: ShippingSetup,
                        shipped_path: str) -> Iterator[ShippedDocument]:
    """Build the installer documents of one file: multiline records through the pipeline."""
    for line, offset, lines in _multiline_records(path, setup):
        document = _base_document(node, "filestream")
        document["message"] = "\n".join(lines)
        document["log"] = {"file": {"path": shipped_path}, "offset": offset}
        if len(lines) > 1:
            document["log"]["flags"] = ["multiline"]
        for name, value in setup.installer_fields.items():
            set_field(document, name, value)
        run_pipeline(setup.pipelines[setup.installer_pipeline], document)
        yield ShippedDocument(f"{node}:{path.name}:{line}", document, node, path.name, line)


def _multiline_records(path: Path, setup: ShippingSetup
                       ) -> Iterator[tuple[int, int, list[str]]]:
    """Group lines as the filestream multiline parser does (negate: true, match: after)."""
    record: tuple[int, int, list[str]] | None = None
    for number, offset, text in _lines_with_offsets(path):
        if not text:
            continue
        starts = setup.multiline_start.search(text) is not None
        if record is not None and not starts and len(record[2]) < setup.multiline_max_lines:
            record[2].append(text)
            continue
        if record is not None:
            yield record
        record = (number, offset, [text])
    if record is not None:
        yield record


# Journal fields Filebeat's journald input maps to fixed ECS fields
# (filebeat/input/journald/pkg/journalfield/default.go); every other field
# lands under journald.custom.<lower-case name without leading underscores>.
_JOURNAL_TO_ECS: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "MESSAGE": (("message", "text"),),
    "MESSAGE_ID": (("message_id", "text"),),
    "PRIORITY": (("log.syslog.priority", "long"),),
    "SYSLOG_FACILITY": (("log.syslog.facility.code", "long"),),
    "SYSLOG_IDENTIFIER": (("log.syslog.appname", "text"),),
    "SYSLOG_PID": (("log.syslog.procid", "text"),),
    "_BOOT_ID": (("journald.host.boot_id", "text"),),
    "_HOSTNAME": (("host.hostname", "text"),),
    "_MACHINE_ID": (("host.id", "text"),),
    "_PID": (("journald.pid", "long"), ("process.pid", "long")),
    "_UID": (("journald.uid", "long"), ("user.id", "text")),
    "_GID": (("journald.gid", "long"), ("user.group.id", "text")),
    "_COMM": (("journald.process.name", "text"),),
    "_EXE": (("journald.process.executable", "text"),),
    "_CMDLINE": (("journald.process.command_line", "text"), ("process.command_line", "text")),
    "_CAP_EFFECTIVE": (("journald.process.capabilities", "text"),),
    "_AUDIT_LOGINUID": (("journald.audit.login_uid", "long"),),
    "_AUDIT_SESSION": (("journald.audit.session", "text"),),
    "_SYSTEMD_UNIT": (("systemd.unit", "text"),),
    "_SYSTEMD_USER_UNIT": (("systemd.user_unit", "text"),),
    "_SYSTEMD_SLICE": (("systemd.slice", "text"),),
    "_SYSTEMD_USER_SLICE": (("systemd.user_slice", "text"),),
    "_SYSTEMD_CGROUP": (("systemd.cgroup", "text"),),
    "_SYSTEMD_SESSION": (("systemd.session", "text"),),
    "_SYSTEMD_OWNER_UID": (("systemd.owner_uid", "long"),),
    "_SYSTEMD_INVOCATION_ID": (("systemd.invocation_id", "text"),),
    "_TRANSPORT": (("systemd.transport", "text"),),
    "CODE_FILE": (("journald.code.file", "text"),),
    "CODE_LINE": (("journald.code.line", "long"),),
    "CODE_FUNC": (("journald.code.func", "text"),),
}
# Address fields: the realtime stamp becomes @timestamp, the rest are dropped.
# NOTE: __SEQNUM and __SEQNUM_ID are assumed dropped like the cursor; the golden
# files of the journald input do not show them.
_JOURNAL_DROPPED: Final = frozenset({"__CURSOR", "__REALTIME_TIMESTAMP", "__MONOTONIC_TIMESTAMP",
                                     "__SEQNUM", "__SEQNUM_ID", "_SOURCE_REALTIME_TIMESTAMP",
                                     "_SOURCE_MONOTONIC_TIMESTAMP"})


def journald_documents(path: Path, node: str, setup: ShippingSetup
                       ) -> Iterator[ShippedDocument]:
    """Build the journald documents of a ``journalctl -o json`` file, one per matching input."""
    for line, _offset, text in _lines_with_offsets(path):
        if not text.strip():
            continue
        entry = json.loads(text)
        # Each journald input reads the journal on its own, so an entry that two
        # inputs select is indexed twice.
        selecting = [source for source in setup.journald_inputs if source.includes(entry)]
        for copy, source in enumerate(selecting):
            document = journald_entry_document(entry, node)
            run_pipeline(setup.pipelines[source.pipeline], document)
            doc_id = f"{node}:{path.name}:{line}" + (f"#{source.id}" if copy else "")
            yield ShippedDocument(doc_id, document, node, path.name, line)


def journald_entry_document(entry: Mapping[str, Any], node: str) -> Document:
    """Map one journal entry to the document Filebeat's journald input publishes."""
    document = _base_document(node, "journald")
    document["event"] = {"kind": "event"}
    micros = int(entry["__REALTIME_TIMESTAMP"])
    moment = dt.datetime.fromtimestamp(micros // 1_000_000, tz=dt.UTC).replace(
        microsecond=micros % 1_000_000)
    document["@timestamp"] = moment.isoformat().replace("+00:00", "Z")
    for name, value in entry.items():
        if name in _JOURNAL_DROPPED or value is None:
            continue
        text = _journal_text(value)
        targets = _JOURNAL_TO_ECS.get(name)
        if targets is None:
            set_field(document, f"journald.custom.{name.lstrip('_').lower()}", text)
            continue
        for target, kind in targets:
            set_field(document, target, int(text) if kind == "long" and text.isdigit() else text)
    # add_host_metadata runs after the input and names the shipping host.
    document["host"]["name"] = node
    return document


def _journal_text(value: Any) -> str:
    # journalctl writes a field that is not valid UTF-8 as an array of byte values.
    if isinstance(value, list) and all(isinstance(item, int) for item in value):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, list):
        return str(value[0]) if value else ""
    return str(value)


# Audit keys the auditd module renames to ECS fields (its ingest pipeline,
# filebeat/module/auditd/log/ingest/pipeline.yml), with the type they get.
_AUDIT_TO_ECS: Final = {
    "pid": ("process.pid", "long"),
    "ppid": ("process.parent.pid", "long"),
    "comm": ("process.name", "text"),
    "exe": ("process.executable", "text"),
    "exit": ("process.exit_code", "long"),
    "cwd": ("process.working_directory", "text"),
    "uid": ("user.id", "text"),
    "gid": ("user.group.id", "text"),
    "auid": ("user.audit.id", "text"),
    "euid": ("user.effective.id", "text"),
    "suid": ("user.saved.id", "text"),
    "fsuid": ("user.filesystem.id", "text"),
    "ouid": ("user.owner.id", "text"),
    "acct": ("user.name", "text"),
    "terminal": ("user.terminal", "text"),
    "arch": ("host.architecture", "text"),
    "res": ("event.outcome", "text"),
    "addr": ("source.address", "text"),
    "dst": ("destination.address", "text"),
}


def audit_documents(path: Path, node: str, setup: ShippingSetup, route: AuditRoute,
                    shipped_path: str) -> Iterator[ShippedDocument]:
    """Build one document per audit record, by the module or by the ``rca-audit`` pipeline."""
    for line, offset, text in _lines_with_offsets(path):
        if not text:
            continue
        if route is AuditRoute.PIPELINE:
            document = _base_document(node, "filestream")
            document["message"] = text
            document["log"] = {"file": {"path": AUDIT_FILESTREAM_PATH}, "offset": offset}
            set_field(document, "event.dataset", "rca.audit")
            run_pipeline(setup.pipelines["rca-audit"], document)
        else:
            document = _module_audit_document(text, node, setup, shipped_path, offset)
        yield ShippedDocument(f"{node}:{path.name}:{line}", document, node, path.name, line)


def _module_audit_document(text: str, node: str, setup: ShippingSetup, shipped_path: str,
                           offset: int) -> Document:
    """Shape an audit record as Filebeat's auditd module indexes it.

    The record is split into ``auditd.log.*`` with the ``rca-audit`` pipeline's
    grok and kv, then reshaped as the module does: the record type becomes
    ``event.action``, the raw line ``event.original``, and the keys in
    `_AUDIT_TO_ECS` move to ECS fields. NOTE: the module also decodes hex values
    (proctitle, cmd), which this shape does not.
    """
    parsed = run_pipeline(setup.pipelines["rca-audit"], {"message": text})
    fields = dict(get_field(parsed, "auditd.log") or {})
    record_type = str(fields.pop("record_type", ""))
    for name in ("avc_result", "permissions"):
        fields.pop(name, None)

    document = _base_document(node, "log")
    document.update({
        "@timestamp": parsed["@timestamp"],
        "log": {"file": {"path": shipped_path}, "offset": offset},
        "event": {"module": "auditd", "dataset": "auditd.log", "kind": "event",
                  "action": record_type.lower(), "original": text},
        "fileset": {"name": "log"},
        "service": {"type": "auditd"},
    })
    for key, (target, kind) in _AUDIT_TO_ECS.items():
        value = fields.pop(key, None)
        if value in (None, "", "?", "(null)"):
            continue
        number = _integer(value) if kind == "long" else None
        set_field(document, target, number if number is not None else value)
    document["auditd"] = {"log": {key: value for key, value in fields.items()
                                  if value not in ("", "?", "(null)")}}
    return document


def _integer(value: Any) -> int | None:
    text = str(value)
    digits = text[1:] if text[:1] in "+-" else text
    return int(text) if digits.isdigit() else None


def bulk_actions(documents: Sequence[ShippedDocument], index: str) -> list[Document]:
    """Turn documents into actions for ``elasticsearch.helpers.bulk``, as data-stream creates."""
    return [{"_op_type": "create", "_index": index, "_id": shipped.doc_id,
             "_source": shipped.source} for shipped in documents]

