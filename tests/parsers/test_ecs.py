"""Filebeat ECS documents become the same events the file parsers produce."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rca.model import Level, SourceKind
from rca.parsers import ecs
from rca.testing.ecs_documents import auditd_document, installer_document, journald_document
from rca.testing.events import at

SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "samples"


def _hit(source: dict[str, Any], doc_id: str = "doc-1", index: str = "filebeat-9.0.0"
         ) -> dict[str, Any]:
    return {"_index": index, "_id": doc_id, "_source": source}


def _sample(name: str) -> Any:
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"sample {name} not available: {path}")
    return json.loads(path.read_text(encoding="utf-8"))


# -- documents in general -------------------------------------------------


def test_nested_and_dotted_keys_flatten_alike() -> None:
    nested = ecs.flatten_document({"log": {"level": "ERROR", "file": {"path": "/x"}}})
    dotted = ecs.flatten_document({"log.level": "ERROR", "log": {"file.path": "/x"}})

    assert nested == dotted == {"log.level": "ERROR", "log.file.path": "/x"}


def test_flatten_keeps_arrays_and_drops_nulls() -> None:
    flat = ecs.flatten_document({"tags": ["a", "b"], "error": None,
                                 "related": [{"ip": "192.0.2.1"}, {"ip": "192.0.2.2"}]})

    assert flat == {"tags": ["a", "b"], "related.ip": ["192.0.2.1", "192.0.2.2"]}


@pytest.mark.parametrize(("value", "expected"), [
    ("2026-12-03T02:14:07.123Z", at("02:14:07.123")),
    ("2026-12-03T10:14:07.123+08:00", at("02:14:07.123")),
    ("2026-12-03T02:14:07.123456789Z", at("02:14:07.123456789")),
    (1796264047123, at("02:14:07.123")),
    (["2026-12-03T02:14:07Z"], at("02:14:07")),
    ("not a time", None),
    (None, None),
    (True, None),
], ids=["iso-z", "iso-offset", "nanoseconds", "epoch-millis", "array", "garbage", "null", "bool"])
def test_parse_timestamp(value: Any, expected: float | None) -> None:
    parsed = ecs.parse_timestamp(value)

    if expected is None:
        assert parsed is None
    else:
        assert parsed == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(("source", "kind"), [
    ({"event": {"module": "auditd"}}, SourceKind.AUDIT),
    ({"data_stream": {"dataset": "auditd.log"}}, SourceKind.AUDIT),
    ({"log": {"file": {"path": "/var/log/audit/audit.log"}}}, SourceKind.AUDIT),
    ({"input": {"type": "journald"}}, SourceKind.JOURNALD),
    ({"event": {"dataset": "system.journald"}}, SourceKind.JOURNALD),
    ({"event": {"dataset": "system.syslog"}}, SourceKind.SYSLOG),
    ({"log": {"file": {"path": "/var/log/kern.log"}}}, SourceKind.SYSLOG),
    ({"input": {"type": "filestream"}, "transaction": {"id": "run-1"}}, SourceKind.INSTALLER),
    ({}, SourceKind.INSTALLER),
], ids=["auditd-module", "auditd-data-stream", "audit-log-file", "journald-input",
        "journald-dataset", "syslog-dataset", "kern-log-file", "filestream", "empty"])
def test_source_kind(source: dict[str, Any], kind: SourceKind) -> None:
    assert ecs.source_kind(ecs.flatten_document(source)) is kind


def test_empty_document_gives_bare_event() -> None:
    event = ecs.event_from_hit({"_index": "logs", "_id": "x"})

    assert event.timestamp is None
    assert event.node == ""
    assert event.kind is SourceKind.INSTALLER
    assert event.level is Level.INFO
    assert event.message == ""
    assert str(event.origin) == "es://logs/x"


def test_origin_names_index_and_id() -> None:
    event = ecs.event_from_hit(_hit({"message": "x"}, doc_id="AbC123", index=".ds-logs-1"),
                               sequence=7)

    assert event.origin.path == "es://.ds-logs-1/AbC123"
    assert event.origin.line is None
    assert event.sequence == 7


def test_metadata_is_left_out_of_fields() -> None:
    document = installer_document(timestamp=at("02:00:00"), node="build-01", txn="run-1",
                                  level="INFO", message="hello", offset=0)

    fields = ecs.event_from_hit(_hit(document)).fields

    assert "agent.type" not in fields
    assert "ecs.version" not in fields
    assert "message" not in fields
    assert fields["log.file.path"] == "/var/log/example-installer/install.log"


@pytest.mark.parametrize("word", ecs.ERROR_LEVEL_WORDS)
def test_error_level_words_map_to_failure(word: str) -> None:
    level = Level.from_name(word)

    assert level is not None
    assert level >= Level.ERROR


# -- installer lines --------------------------------------------------------


def test_installer_document_from_pipeline() -> None:
    document = installer_document(timestamp=at("02:14:07.123"), node="build-01", txn="run-0042",
                                  level="ERROR", message="go: downloading failed", offset=5120,
                                  exit_code=1, step="go-install")

    event = ecs.event_from_hit(_hit(document))

    assert event.kind is SourceKind.INSTALLER
    assert event.timestamp == pytest.approx(at("02:14:07.123"))
    assert event.node == "build-01"
    assert event.level is Level.ERROR
    assert event.transaction_id == "run-0042"
    assert event.message == "go: downloading failed"
    assert event.fields["exit_code"] == 1
    assert event.fields["step"] == "go-install"
    assert event.is_error


def test_installer_raw_line_is_parsed() -> None:
    line = ('2026-12-03T02:14:07.123Z ERROR txn=run-0042 step=go-install exit=1 '
            'msg="go: downloading github.com/go-delve/delve v1.23.1"')
    source = {"@timestamp": "2026-12-03T02:14:07.200Z", "host": {"name": "build-01"},
              "input": {"type": "filestream"}, "message": line}

    event = ecs.event_from_hit(_hit(source))

    assert event.message == "go: downloading github.com/go-delve/delve v1.23.1"
    assert event.raw == line
    assert event.level is Level.ERROR
    assert event.transaction_id == "run-0042"
    assert event.fields["exit_code"] == 1
    assert event.fields["step"] == "go-install"
    assert event.timestamp == pytest.approx(at("02:14:07.200"))


def test_pipeline_fields_win_over_raw_line() -> None:
    document = installer_document(timestamp=at("02:14:07.123"), node="build-01", txn="run-7",
                                  level="WARN", message="retrying", offset=0, exit_code=3,
                                  step="fetch", raw_line=True)
    document["log"]["level"] = "ERROR"
    document["process"]["exit_code"] = 4

    event = ecs.event_from_hit(_hit(document))

    assert event.level is Level.ERROR
    assert event.fields["exit_code"] == 4
    assert event.message == "retrying"


def test_raw_line_with_continuation_keeps_it() -> None:
    source = {"message": '2026-12-03T02:14:07Z ERROR txn=run-1 msg="panic"\n'
                         "goroutine 1 [running]:",
              "log": {"flags": ["multiline"]}}

    event = ecs.event_from_hit(_hit(source))

    assert event.message == "panic\ngoroutine 1 [running]:"


def test_installer_level_defaults_to_info() -> None:
    event = ecs.event_from_hit(_hit({"message": "free text", "transaction": {"id": "r"}}))

    assert event.level is Level.INFO


# -- journald entries --------------------------------------------------------


@pytest.mark.parametrize(("priority", "level"), [
    (0, Level.CRITICAL), (2, Level.CRITICAL), (3, Level.ERROR), (4, Level.WARNING),
    (5, Level.NOTICE), (6, Level.INFO), (7, Level.DEBUG),
], ids=["emerg", "crit", "err", "warning", "notice", "info", "debug"])
def test_journald_priority_sets_level(priority: int, level: Level) -> None:
    document = journald_document(timestamp=at("02:00:00"), node="web-01", message="x",
                                 priority=priority)

    assert ecs.event_from_hit(_hit(document)).level is level


def test_journald_fields_use_journal_names() -> None:
    document = journald_document(
        timestamp=at("02:00:00"), node="web-01", priority=3,
        message="Failed to start example-installer.service - Example installer.",
        unit="init.scope", custom={"unit": "example-installer.service", "job_result": "failed"})

    event = ecs.event_from_hit(_hit(document))

    assert event.kind is SourceKind.JOURNALD
    assert event.fields["PRIORITY"] == "3"
    assert event.fields["SYSLOG_IDENTIFIER"] == "systemd"
    assert event.fields["_SYSTEMD_UNIT"] == "init.scope"
    assert event.fields["UNIT"] == "example-installer.service"
    assert event.fields["JOB_RESULT"] == "failed"
    assert event.fields["_TRANSPORT"] == "journal"


def test_journald_exit_status_is_exit_code() -> None:
    document = journald_document(timestamp=at("02:00:00"), node="web-01", priority=5,
                                 message="example-installer.service: Failed with result",
                                 custom={"exit_code": "exited", "exit_status": "2"})

    event = ecs.event_from_hit(_hit(document))

    assert event.fields["exit_code"] == 2
    assert event.fields["EXIT_STATUS"] == "2"
    assert event.is_error


def test_journald_systemd_exit_report_is_read() -> None:
    document = journald_document(
        timestamp=at("02:00:00"), node="web-01", priority=6,
        message="example-installer.service: Main process exited, code=exited, status=1/FAILURE")

    event = ecs.event_from_hit(_hit(document))

    assert event.fields["exit_code"] == 1
    assert event.level is Level.ERROR


def test_journald_kernel_apparmor_denial_is_error() -> None:
    document = journald_document(
        timestamp=at("02:00:00"), node="db-01", priority=5, identifier="kernel",
        transport="kernel",
        message='audit: type=1400 audit(1700000000.456:77): apparmor="DENIED" operation="open" '
                'profile="/usr/sbin/mysqld" name="/srv/db/ibdata1" pid=3001 comm="mysqld"')

    assert ecs.event_from_hit(_hit(document)).level is Level.ERROR


def test_journald_sample_events() -> None:
    events = _sample("filebeat-journald-events.json")
    first = dict(events[0]["Fields"])
    first["@timestamp"] = events[0]["Timestamp"]
    first["input"] = {"type": "journald"}
    first["host"] = {**first["host"], "name": "node-04"}

    event = ecs.event_from_hit(_hit(first))

    assert event.kind is SourceKind.JOURNALD
    assert event.node == "node-04"
    assert event.timestamp == pytest.approx(1637601004.051729)
    assert event.level is Level.INFO
    assert event.message == "pam_unix(sudo:session): session closed for user root"
    assert event.fields["SYSLOG_IDENTIFIER"] == "sudo"
    assert event.fields["_COMM"] == "sudo"
    assert event.fields["SYSLOG_TIMESTAMP"] == "Nov 22 18:10:04 "
    assert "process.thread.capabilities.effective" not in event.fields


# -- audit records -------------------------------------------------------------


def test_audit_denial_from_original_line() -> None:
    document = auditd_document(
        timestamp=at("02:00:00"), node="web-02", record_type="AVC", serial=4242,
        body='avc:  denied  { read } for  pid=2001 comm="httpd" name="app.conf" '
             "scontext=system_u:system_r:httpd_t:s0 "
             "tcontext=unconfined_u:object_r:user_home_t:s0 tclass=file permissive=0",
        fields={"scontext": "system_u:system_r:httpd_t:s0", "tclass": "file"})

    event = ecs.event_from_hit(_hit(document))

    assert event.kind is SourceKind.AUDIT
    assert event.level is Level.ERROR
    assert event.message.startswith("avc: denied { read } for")
    assert event.raw.startswith("type=AVC msg=audit(")
    assert event.fields["record_types"] == ["AVC"]
    assert event.fields["denied"] is True
    assert event.fields["permissions"] == ["read"]
    assert event.fields["serial"] == 4242
    assert event.fields["scontext"] == "system_u:system_r:httpd_t:s0"
    assert event.fields["comm"] == "httpd"


def test_audit_syscall_exit_is_not_exit_code() -> None:
    document = auditd_document(timestamp=at("02:00:00"), node="web-02", record_type="SYSCALL",
                               serial=1, body="arch=c000003e syscall=257 success=no exit=-13")
    document["process"] = {"exit_code": -13, "pid": 2001, "name": "httpd"}

    event = ecs.event_from_hit(_hit(document))

    assert "exit_code" not in event.fields
    assert event.fields["exit"] == -13
    assert event.fields["process.name"] == "httpd"
    assert event.fields["syscall"] == "257"
    assert not event.is_error


@pytest.mark.parametrize(("position", "level", "record_type"), [
    (0, Level.ERROR, "AVC"),
    (1, Level.ERROR, "AVC"),
    (2, Level.INFO, "AVC"),
], ids=["selinux-denied", "apparmor-denied", "selinux-seresult"])
def test_audit_sample_levels(position: int, level: Level, record_type: str) -> None:
    document = _sample("filebeat-auditd-avc-expected.json")[position]

    event = ecs.event_from_hit(_hit(document))

    assert event.kind is SourceKind.AUDIT
    assert event.level is level
    assert event.fields["record_types"] == [record_type]


def test_audit_sample_apparmor_fields() -> None:
    document = _sample("filebeat-auditd-avc-expected.json")[1]

    event = ecs.event_from_hit(_hit(document))

    assert event.fields["apparmor"] == "DENIED"
    assert event.fields["profile"] == "docker-default"
    assert event.fields["comm"] == "metricbeat"
    assert event.fields["serial"] == 61207


def test_audit_sample_without_original() -> None:
    document = _sample("filebeat-auditd-node-prefix-expected.json")[2]

    event = ecs.event_from_hit(_hit(document))

    assert "event.original" not in document
    assert event.node == "node-01.example.com"
    assert event.fields["record_types"] == ["SERVICE_START"]
    assert event.fields["unit"] == "auditd"
    assert event.fields["exe"] == "/usr/lib/systemd/systemd"
    assert event.fields["serial"] == 6
    assert event.timestamp == pytest.approx(1594053514.709)
    assert event.level is Level.INFO


def test_audit_denial_rebuilt_from_fields() -> None:
    source = {"@timestamp": "2026-12-03T02:00:00.250Z", "host": {"name": "web-02"},
              "event": {"module": "auditd", "action": "avc"},
              "process": {"pid": 2001, "name": "httpd"},
              "auditd": {"log": {"record_type": "AVC", "sequence": 77, "avc_result": "denied",
                                 "permissions": "read", "name": "app.conf",
                                 "scontext": "system_u:system_r:httpd_t:s0", "tclass": "file"}}}

    event = ecs.event_from_hit(_hit(source))

    assert event.level is Level.ERROR
    assert event.fields["denied"] is True
    assert event.fields["permissions"] == ["read"]
    assert event.fields["comm"] == "httpd"
    assert event.fields["pid"] == 2001
    assert event.fields["name"] == "app.conf"
    assert event.message.startswith("avc: denied { read } for")


def test_audit_without_record_keeps_fields() -> None:
    source = {"event": {"module": "auditd"}, "host": {"name": "web-02"},
              "auditd": {"log": {"scontext": "system_u:system_r:httpd_t:s0"}}}

    event = ecs.event_from_hit(_hit(source))

    assert event.kind is SourceKind.AUDIT
    assert event.level is Level.INFO
    assert event.fields["auditd.log.scontext"] == "system_u:system_r:httpd_t:s0"


# -- syslog lines ----------------------------------------------------------------


def test_syslog_level_from_text() -> None:
    source = {"@timestamp": "2026-12-03T02:00:00Z", "host": {"name": "node-01"},
              "event": {"dataset": "system.syslog"}, "process": {"name": "kernel"},
              "message": 'audit: type=1400 audit(1700000000.456:77): apparmor="DENIED" '
                         'operation="open" profile="/usr/sbin/mysqld"'}

    event = ecs.event_from_hit(_hit(source))

    assert event.kind is SourceKind.SYSLOG
    assert event.level is Level.ERROR
    assert event.fields["program"] == "kernel"
