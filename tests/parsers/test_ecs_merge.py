"""Merging one audit event's records, indexed as separate documents."""

from rca.model import Level, SourceKind
from rca.parsers.ecs import merge_audit_records
from rca.testing.events import make_event


def _record(record_type, level=Level.INFO, audit_id="1796262100.229:71072", node="web-1",
            **fields):
    return make_event(f"type={record_type}", kind=SourceKind.AUDIT, level=level, node=node,
                      audit_id=audit_id, record_types=[record_type], **fields)


def test_records_of_one_event_become_one():
    avc = _record("AVC", level=Level.ERROR, denied=True)
    path = _record("PATH", name="/usr/local/bin/dlv")
    path.fields["path"] = "/usr/local/bin/dlv"

    merged = merge_audit_records([avc, path])

    assert merged == [avc]
    assert avc.fields["path"] == "/usr/local/bin/dlv"
    assert avc.fields["record_types"] == ["AVC", "PATH"]


def test_error_record_gives_level_and_message():
    syscall = _record("SYSCALL")
    avc = _record("AVC", level=Level.ERROR)

    merged = merge_audit_records([syscall, avc])

    assert merged == [syscall]
    assert syscall.level == Level.ERROR
    assert syscall.message == "type=AVC"


def test_same_serial_on_two_nodes_stays_apart():
    first = _record("AVC", node="web-1")
    second = _record("AVC", node="web-2")

    assert merge_audit_records([first, second]) == [first, second]


def test_other_kinds_pass_through():
    line = make_event("ERROR go install failed", audit_id="x")

    assert merge_audit_records([line]) == [line]
