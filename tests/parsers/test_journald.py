"""journald JSON and export parsing."""

from __future__ import annotations

import json
import struct
from typing import Any

import pytest
from parser_helpers import ParseText

from rca.model import Level, SourceKind
from rca.parsers import journald


def entry_line(**fields: Any) -> str:
    base: dict[str, Any] = {"__REALTIME_TIMESTAMP": "1700000000123456", "_HOSTNAME": "node-01"}
    base.update(fields)
    return json.dumps(base)


UNIT_FAILED = entry_line(
    PRIORITY="3", SYSLOG_IDENTIFIER="systemd", _SYSTEMD_UNIT="init.scope",
    UNIT="example-installer.service", JOB_TYPE="start", JOB_RESULT="failed",
    MESSAGE="Failed to start example-installer.service - Example installer.",
)


def test_json_entry(parse_text: ParseText) -> None:
    (event,), stats = parse_text("journald", UNIT_FAILED)

    assert event.kind == SourceKind.JOURNALD
    assert event.timestamp == pytest.approx(1700000000.123456)
    assert event.level == Level.ERROR
    assert event.node == "node-01"
    assert event.message == "Failed to start example-installer.service - Example installer."
    assert event.fields["program"] == "systemd"
    assert event.fields["unit"] == "init.scope"
    assert event.fields["about_unit"] == "example-installer.service"
    assert event.fields["job_result"] == "failed"
    assert event.raw == UNIT_FAILED
    assert stats.parsed == 1


def test_journal_names_kept_in_fields(parse_text: ParseText) -> None:
    (event,), _ = parse_text("journald", UNIT_FAILED)

    assert event.fields["UNIT"] == "example-installer.service"
    assert event.fields["PRIORITY"] == "3"
    assert "MESSAGE" not in event.fields
    assert "__REALTIME_TIMESTAMP" not in event.fields


@pytest.mark.parametrize(
    ("priority", "level"),
    [("0", Level.CRITICAL), ("1", Level.CRITICAL), ("2", Level.CRITICAL), ("3", Level.ERROR),
     ("4", Level.WARNING), ("5", Level.NOTICE), ("6", Level.INFO), ("7", Level.DEBUG)],
)
def test_priority_levels(parse_text: ParseText, priority: str, level: Level) -> None:
    (event,), _ = parse_text("journald", entry_line(PRIORITY=priority, MESSAGE="x"))

    assert event.level == level


def test_null_message_over_threshold(parse_text: ParseText) -> None:
    (event,), _ = parse_text("journald", entry_line(PRIORITY="6", MESSAGE=None))

    assert event.message == ""
    assert event.fields["message_omitted"] is True


def test_byte_array_message_decoded(parse_text: ParseText) -> None:
    data = [*"progress 40%\r\u00e9".encode(), 0xFF]

    (event,), _ = parse_text("journald", entry_line(PRIORITY="6", MESSAGE=data))

    assert event.message == "progress 40%\r\u00e9\ufffd"


def test_multi_valued_message(parse_text: ParseText) -> None:
    (event,), _ = parse_text("journald", entry_line(MESSAGE=["first", [104, 105], None]))

    assert event.message == "first\nhi\n"


@pytest.mark.parametrize("name", ["TRANSACTION_ID", "TXN", "RCA_TXN"])
def test_transaction_field(parse_text: ParseText, name: str) -> None:
    (event,), _ = parse_text("journald", entry_line(MESSAGE="step done", **{name: "run-0042"}))

    assert event.transaction_id == "run-0042"


def test_transaction_from_message_fields(parse_text: ParseText) -> None:
    line = entry_line(_TRANSPORT="stdout", MESSAGE="ERROR txn=run-0042 step=fetch msg=x")

    (event,), _ = parse_text("journald", line)

    assert event.transaction_id == "run-0042"


def test_exit_status_of_failed_unit(parse_text: ParseText) -> None:
    line = entry_line(UNIT="log2ram.service", EXIT_CODE="exited", EXIT_STATUS="203",
                      MESSAGE="log2ram.service: Main process exited, code=exited, status=203/EXEC")

    (event,), _ = parse_text("journald", line)

    assert event.fields["exit_code"] == 203
    assert event.level == Level.ERROR


def test_failed_to_start_without_priority_is_error(parse_text: ParseText) -> None:
    (event,), _ = parse_text("journald", entry_line(MESSAGE="Failed to start Log2Ram."))

    assert event.level == Level.ERROR


def test_exit_report_in_message_without_fields(parse_text: ParseText) -> None:
    line = entry_line(MESSAGE="e2scrub.service: Main process exited, code=exited, status=1/FAILURE")

    (event,), _ = parse_text("journald", line)

    assert event.fields["exit_code"] == 1
    assert event.level == Level.ERROR


def test_json_seq_and_sse_lines(parse_text: ParseText) -> None:
    text = "\x1e" + entry_line(MESSAGE="seq") + "\ndata: " + entry_line(MESSAGE="sse") + "\n\n"

    events, stats = parse_text("journald", text)

    assert [event.message for event in events] == ["seq", "sse"]
    assert stats.parsed == 3


def test_pretty_object_spans_lines(parse_sample: ParseText) -> None:
    (event,), stats = parse_sample("samples/journald-json-stdout.json", "journald")

    assert event.message == "Count: 0000000001"
    assert event.node == "node-01"
    assert str(event.origin) == "test.log:1"
    assert stats.parsed == 1
    assert stats.continuation == stats.lines_read - 1


def test_json_array_with_null_and_byte_array(parse_sample: ParseText) -> None:
    events, stats = parse_sample("samples/journald-json-corner-cases.json", "journald")
    coredump, pulseaudio = events

    assert stats.unparsed == 0
    assert coredump.level == Level.CRITICAL
    assert coredump.message.startswith("Process 3717 (kdeconnectd) of user 1000 dumped core.")
    assert "COREDUMP_PROC_MOUNTINFO" not in coredump.fields
    assert pulseaudio.level == Level.ERROR
    assert pulseaudio.message.startswith("Unable to parse indicator of AT+BIA command")
    assert "\r" in pulseaudio.message


def test_audit_transport_decoded(parse_sample: ParseText) -> None:
    (event,), _ = parse_sample("samples/journald-json-audit-transport.json", "journald")

    assert event.node == "node-02"
    assert event.fields["record_types"] == ["USER_START"]
    assert event.fields["acct"] == "root"
    assert event.fields["res"] == "success"
    assert event.level == Level.INFO


def test_kernel_transport_apparmor_denial(parse_text: ParseText) -> None:
    message = ('audit: type=1400 audit(1700000000.456:77): apparmor="DENIED" operation="open" '
               'profile="/usr/sbin/mysqld" name="/srv/db/ibdata1" pid=3001 comm="mysqld" '
               'requested_mask="r" denied_mask="r" fsuid=112 ouid=0')
    line = entry_line(_TRANSPORT="kernel", SYSLOG_IDENTIFIER="kernel", PRIORITY="5",
                      MESSAGE=message)

    (event,), _ = parse_text("journald", line)

    assert event.level == Level.ERROR
    assert event.fields["profile"] == "/usr/sbin/mysqld"
    assert event.fields["audit_id"] == "1700000000.456:77"


def test_invalid_json_line_unparsed(parse_text: ParseText) -> None:
    events, stats = parse_text("journald", '{"MESSAGE": "x"} trailing}\n' + UNIT_FAILED)

    assert len(events) == 1
    assert stats.unparsed == 1


def test_unterminated_object_unparsed(parse_text: ParseText) -> None:
    events, stats = parse_text("journald", '{\n  "MESSAGE" : "x",\n')

    assert events == []
    assert stats.unparsed == 2


def test_non_object_json_unparsed(parse_text: ParseText) -> None:
    _, stats = parse_text("journald", '"just a string"\n42')

    assert stats.unparsed == 2


def test_export_text_entries(parse_sample: ParseText) -> None:
    events, stats = parse_sample("samples/journald-export-text.export", "journald-export")

    assert len(events) == 3
    assert stats.lines_read == 101
    assert events[0].message == "pam_unix(sudo:session): session closed for user root"
    assert events[0].fields["SYSLOG_TIMESTAMP"] == "Nov 22 18:10:04 "
    assert events[0].node == "node-04"
    assert events[0].timestamp == pytest.approx(1637601004.051729)


def test_export_binary_fields(parse_sample: ParseText) -> None:
    events, stats = parse_sample("samples/journald-export-binary-synthetic.export",
                                 "journald-export")
    failure, progress = events

    assert failure.message == "step 3/5 failed\ntraceback line 1\ntraceback line 2"
    assert failure.level == Level.ERROR
    assert failure.fields["unit"] == "example-installer.service"
    assert progress.message == "progress 40%\r"
    assert stats.continuation == 4


def export_field(name: str, value: bytes) -> bytes:
    return name.encode() + b"\n" + struct.pack("<Q", len(value)) + value + b"\n"


def test_export_binary_length_with_newline_byte(parse_text: ParseText) -> None:
    value = b"0123456789"  # length 10 is the byte 0x0A, a newline
    data = b"__REALTIME_TIMESTAMP=1700000000000000\n" + export_field("MESSAGE", value) + b"\n"

    (event,), stats = parse_text("journald-export", data)

    assert event.message == "0123456789"
    assert stats.lines_read == data.count(b"\n")


def test_export_damaged_length(parse_text: ParseText) -> None:
    data = (b"__REALTIME_TIMESTAMP=1700000000000000\nMESSAGE\n" + b"\xff" * 8
            + b"short\nPRIORITY=3\n\n")

    events, stats = parse_text("journald-export", data)

    assert stats.unparsed == 2
    assert [event.fields.get("PRIORITY") for event in events] == ["3"]


def test_export_repeated_field_is_multi_valued(parse_text: ParseText) -> None:
    data = b"__REALTIME_TIMESTAMP=1700000000000000\nMESSAGE=one\nMESSAGE=two\n"

    (event,), _ = parse_text("journald-export", data)

    assert event.message == "one\ntwo"


def test_sniff_json() -> None:
    assert journald.sniff([UNIT_FAILED, UNIT_FAILED]) == 1.0


def test_sniff_json_needs_journal_fields() -> None:
    assert journald.sniff(['{"level": "info"}']) == 0.0


def test_sniff_export() -> None:
    sample = ["__CURSOR=s=1", "__REALTIME_TIMESTAMP=1", "MESSAGE=x", "", "_HOSTNAME=n"]

    assert journald.sniff_export(sample) == 1.0
