"""The installer log parser: canonical records, accepted variants, continuation lines."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from parser_helpers import ParseText, shared_file

from rca.model import Level, SourceKind
from rca.parsers import installer

CANONICAL = ('2026-12-03T02:14:07.123Z ERROR txn=run-0042 step=go-install exit=1 '
             'msg="go: downloading github.com/go-delve/delve v1.23.1"')
STAMP = dt.datetime(2026, 12, 3, 2, 14, 7, tzinfo=dt.UTC).timestamp()


def test_canonical_record(parse_text: ParseText) -> None:
    (event,), stats = parse_text("installer", CANONICAL)

    assert event.timestamp == pytest.approx(STAMP + 0.123)
    assert event.level == Level.ERROR
    assert event.kind == SourceKind.INSTALLER
    assert event.transaction_id == "run-0042"
    assert event.message == "go: downloading github.com/go-delve/delve v1.23.1"
    assert event.fields == {"step": "go-install", "exit_code": 1}
    assert event.raw == CANONICAL
    assert str(event.origin) == "test.log:1"
    assert stats.parsed == 1


@pytest.mark.parametrize(
    ("line", "level", "message"),
    [
        ("2026-12-03 02:14:07,000 ERROR txn=run-0042 msg=x", Level.ERROR, "x"),
        ("2026-12-03T10:14:07+08:00 ERROR txn=run-0042 msg=x", Level.ERROR, "x"),
        ("2026-12-03T02:14:07Z [error] txn=run-0042 msg=\"x\"", Level.ERROR, "x"),
        ("ts=2026-12-03T02:14:07Z level=error txn=run-0042 msg=\"x\"", Level.ERROR, "x"),
        ('time="2026-12-03T02:14:07Z" level=warning txn=run-0042 msg=x', Level.WARNING, "x"),
        ("2026-12-03T02:14:07Z ERROR go install failed txn=run-0042 exit=1", Level.ERROR,
         "go install failed"),
        ("2026-12-03T02:14:07Z WARN txn=run-0042 msg=x", Level.WARNING, "x"),
        ("2026-12-03T02:14:07Z FATAL txn=run-0042 msg=x", Level.CRITICAL, "x"),
        ("2026-12-03T02:14:07Z NOTICE txn=run-0042 msg=x", Level.NOTICE, "x"),
        ("2026-12-03T02:14:07Z txn=run-0042 msg=x", Level.INFO, "x"),
    ],
    ids=["space-comma", "offset", "bracketed-level", "logfmt-ts", "logfmt-time-quoted",
         "free-text", "warn", "fatal", "notice", "no-level"],
)
def test_variants(parse_text: ParseText, line: str, level: Level, message: str) -> None:
    (event,), _ = parse_text("installer", line)

    assert event.timestamp == pytest.approx(STAMP)
    assert event.level == level
    assert event.message == message
    assert event.transaction_id == "run-0042"


@pytest.mark.parametrize("key", ["txn", "txn_id", "transaction", "transaction_id",
                                 "transaction.id", "run_id"])
def test_transaction_aliases(parse_text: ParseText, key: str) -> None:
    (event,), _ = parse_text("installer", f"2026-12-03T02:14:07Z INFO {key}=run-7 msg=x")

    assert event.transaction_id == "run-7"
    assert key not in event.fields


@pytest.mark.parametrize("key", ["exit", "exit_code", "rc", "status"])
def test_exit_aliases(parse_text: ParseText, key: str) -> None:
    (event,), _ = parse_text("installer", f"2026-12-03T02:14:07Z ERROR txn=r {key}=2 msg=x")

    assert event.fields["exit_code"] == 2
    assert event.exit_code == 2


def test_non_numeric_status_stays_a_field(parse_text: ParseText) -> None:
    (event,), _ = parse_text("installer", "2026-12-03T02:14:07Z INFO txn=r status=ok msg=x")

    assert "exit_code" not in event.fields
    assert event.fields["status"] == "ok"


def test_quoted_value_escapes(parse_text: ParseText) -> None:
    line = r'2026-12-03T02:14:07Z INFO txn=r cmd="go install \"x\"" msg="path C:\\go"'

    (event,), _ = parse_text("installer", line)

    assert event.fields["cmd"] == 'go install "x"'
    assert event.message == "path C:\\go"


def test_unknown_fields_kept(parse_text: ParseText) -> None:
    (event,), _ = parse_text("installer", "2026-12-03T02:14:07Z INFO txn=r pkg=delve msg=x")

    assert event.fields["pkg"] == "delve"
    assert event.message == "x"


def test_free_text_keeps_unknown_pairs(parse_text: ParseText) -> None:
    line = "2026-12-03T02:14:07Z ERROR build failed GOFLAGS=-mod=mod txn=r"

    (event,), _ = parse_text("installer", line)

    assert event.message == "build failed GOFLAGS=-mod=mod"
    assert event.fields["GOFLAGS"] == "-mod=mod"


def test_node_field_sets_host_and_node(parse_text: ParseText) -> None:
    (event,), _ = parse_text("installer", "2026-12-03T02:14:07Z INFO txn=r node=web-02 msg=x")

    assert event.fields["host"] == "web-02"
    assert event.node == "web-02"


def test_layout_node_wins_over_node_field(parse_text: ParseText) -> None:
    (event,), _ = parse_text("installer", "2026-12-03T02:14:07Z INFO txn=r node=web-02 msg=x",
                             node="build-01")

    assert event.node == "build-01"


def test_zoneless_stamp_read_in_node_zone(parse_text: ParseText) -> None:
    (event,), stats = parse_text("installer", "2026-12-03 10:14:07 INFO txn=r msg=x",
                                 tz=ZoneInfo("Asia/Shanghai"))

    assert event.timestamp == pytest.approx(STAMP)
    assert stats.timestamps_inferred == 1


GO_PANIC = """\
2026-12-03T02:14:07Z FATAL txn=run-0042 step=verify msg="dlv crashed"
panic: runtime error: invalid memory address or nil pointer dereference
[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x4a5b6c]

goroutine 1 [running]:
main.main()
\t/src/cmd/dlv/main.go:12 +0x1d
2026-12-03T02:14:08Z INFO txn=run-0042 msg="run failed"
"""


def test_go_panic_is_continuation(parse_text: ParseText) -> None:
    events, stats = parse_text("installer", GO_PANIC)

    assert len(events) == 2
    assert events[0].message.splitlines()[1] == \
        "panic: runtime error: invalid memory address or nil pointer dereference"
    assert events[0].message.endswith("/src/cmd/dlv/main.go:12 +0x1d")
    assert "goroutine 1 [running]:" in events[0].raw
    assert stats.continuation == 6
    assert stats.parsed == 2


PYTHON_TRACEBACK = """\
2026-12-03 02:14:07,501 ERROR txn=run-0042 msg="step failed"
Traceback (most recent call last):
  File "/opt/installer/steps.py", line 41, in run
    subprocess.run(cmd, check=True)
subprocess.CalledProcessError: Command '['go', 'install']' returned non-zero exit status 1.
"""


def test_python_traceback_is_continuation(parse_text: ParseText) -> None:
    (event,), stats = parse_text("installer", PYTHON_TRACEBACK)

    assert event.message.startswith("step failed\nTraceback (most recent call last):")
    assert event.message.endswith("returned non-zero exit status 1.")
    assert stats.continuation == 4


def test_wrapped_line_before_any_record_is_unparsed(parse_text: ParseText) -> None:
    events, stats = parse_text("installer", "wrapped text\n" + CANONICAL)

    assert len(events) == 1
    assert stats.unparsed == 1
    assert stats.unparsed_examples == [(1, "wrapped text")]


def test_blank_line_before_any_record_is_parsed(parse_text: ParseText) -> None:
    _, stats = parse_text("installer", "\n" + CANONICAL)

    assert stats.parsed == 2
    assert stats.unparsed == 0


def test_invalid_date_gives_no_timestamp(parse_text: ParseText) -> None:
    (event,), _ = parse_text("installer", "2026-13-03T02:14:07Z ERROR txn=r msg=x")

    assert event.timestamp is None
    assert event.level == Level.ERROR


def test_sniff_scores_installer_lines() -> None:
    assert installer.sniff([CANONICAL, "panic: boom", ""]) == 0.5


def test_hadoop_log4j_lines_parse(parse_sample: ParseText) -> None:
    events, stats = parse_sample("loghub/Hadoop_2k.log", "installer")
    text = shared_file("loghub", "Hadoop_2k.log").read_text()
    warnings = sum(1 for line in text.split("\n") if line[24:28] == "WARN")

    assert stats.unparsed == 0
    assert len(events) == stats.parsed
    assert sum(1 for event in events if event.level == Level.WARNING) == warnings
    assert all(event.timestamp is not None for event in events)


def test_zookeeper_dash_separated_levels(parse_sample: ParseText) -> None:
    events, _ = parse_sample("loghub/Zookeeper_2k.log", "installer")
    text = shared_file("loghub", "Zookeeper_2k.log").read_text()
    errors = text.count(" - ERROR ")

    assert sum(1 for event in events if event.level == Level.ERROR) == errors
