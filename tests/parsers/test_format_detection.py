"""Format detection, the parser registry and the parse context."""

from __future__ import annotations

import pytest

from rca.errors import UsageError
from rca.model import Event, Level, Origin, SourceKind
from rca.parsers.base import (
    MAX_RECORD_CHARS,
    MultilineRecord,
    ParseContext,
    base_log_name,
    detect_format,
    format_names,
    get_parser,
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("audit.log", "audit"),
        ("audit.log.1", "audit"),
        ("audit.log.2.gz", "audit"),
        ("journal.json", "journald"),
        ("node-01-journal.jsonl", "journald"),
        ("boot.export", "journald-export"),
        ("syslog", "syslog"),
        ("syslog.2.gz", "syslog"),
        ("kern.log", "syslog"),
        ("kern.log-20261203", "syslog"),
        ("messages", "syslog"),
        ("dmesg", "syslog"),
        ("installer.log", "installer"),
        ("installer-run-0042.log.1", "installer"),
    ],
)
def test_detect_by_file_name(name: str, expected: str) -> None:
    assert detect_format(name, []) == expected


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["type=AVC msg=audit(1677601548.669:1599): avc:  denied  { name_bind } for  pid=1"],
         "audit"),
        (["----", "time->Tue Nov  6 03:38:51 2018",
          "type=PROCTITLE msg=audit(1541475531.656:487): proctitle=\"(null)\""], "audit"),
        (['{"__REALTIME_TIMESTAMP":"1724080855230058","MESSAGE":"Count: 1"}'], "journald"),
        (["__CURSOR=s=1;i=1", "__REALTIME_TIMESTAMP=1637601004051729", "MESSAGE=hello"],
         "journald-export"),
        (['2026-12-03T02:14:07.123Z ERROR txn=run-0042 exit=1 msg="go: downloading x"'],
         "installer"),
        (["ts=2026-12-03T02:14:07Z level=error txn=run-0042 msg=\"run failed\""], "installer"),
        (["Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown"], "syslog"),
        (["[ 5593.715850] type=1400 audit(1374659797.646:37): apparmor=\"DENIED\""], "syslog"),
        (["2014-06-09T20:37:28.975070+02:00 node-08 kernel: [21028.143765] hello"], "syslog"),
        (["go: downloading github.com/x/y v1.0.0", "E: Unable to locate package golang-1.10-go"],
         "tooloutput"),
        ([], "tooloutput"),
    ],
    ids=["audit", "ausearch", "journal-json", "journal-export", "installer", "installer-logfmt",
         "syslog", "dmesg", "rsyslog-iso", "tool-output", "empty"],
)
def test_detect_by_content(lines: list[str], expected: str) -> None:
    assert detect_format("capture.txt", lines) == expected


def test_journalctl_catalog_lines_count_as_syslog() -> None:
    lines = [
        "Dec 18 21:05:55 node-01 systemd[1088]: e2scrub_reap.service: Failed to execute command",
        "-- Subject: Process /sbin/e2scrub_all could not be executed",
        "-- Defined-By: systemd",
        "-- Support: https://www.debian.org/support",
    ]

    assert detect_format("capture.txt", lines) == "syslog"


@pytest.mark.parametrize(
    ("name", "expected"),
    [("kern.log.2.gz", "kern.log"), ("audit.log.1", "audit.log"), ("syslog-20261203", "syslog"),
     ("Installer.LOG.xz", "installer.log"), ("plain", "plain")],
)
def test_base_log_name(name: str, expected: str) -> None:
    assert base_log_name(name) == expected


def test_registry_lists_every_format() -> None:
    assert format_names() == ["audit", "journald", "journald-export", "installer", "syslog",
                              "tooloutput"]


def test_unknown_format_raises_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown log format 'nginx'"):
        get_parser("nginx")


def test_context_node_prefers_layout_node() -> None:
    context = ParseContext(path="x.log", node="node-01", default_node="folder")

    assert context.node_for("host-a") == "node-01"


def test_context_node_from_host_field() -> None:
    context = ParseContext(path="x.log", default_node="folder")

    assert context.node_for("host-a") == "host-a"


def test_context_node_falls_back_to_default() -> None:
    context = ParseContext(path="x.log", default_node="folder")

    assert context.node_for(None) == "folder"


def test_context_stats_take_path() -> None:
    context = ParseContext(path="incident/node-01/x.log")

    assert context.stats.path == "incident/node-01/x.log"


def make_event() -> Event:
    return Event(timestamp=None, node="n", kind=SourceKind.INSTALLER, level=Level.ERROR,
                 message="panic", raw="raw panic", origin=Origin("x.log", 1))


def test_multiline_record_joins_continuations() -> None:
    record = MultilineRecord(make_event())
    record.append("goroutine 1 [running]:")
    record.append("")

    event = record.finish()

    assert event.message == "panic\ngoroutine 1 [running]:"
    assert event.raw == "raw panic\ngoroutine 1 [running]:"


def test_multiline_record_drops_text_beyond_cap() -> None:
    record = MultilineRecord(make_event())
    record.append("x" * MAX_RECORD_CHARS)
    record.append("more")
    record.append("m")

    event = record.finish()

    assert event.fields["continuation_dropped"] == 2
    assert event.message.endswith("x")
