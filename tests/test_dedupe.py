"""Records delivered twice are kept once, and their lines are counted as duplicates."""

from __future__ import annotations

import itertools
import json
import os
import struct
from collections.abc import Iterator
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from rca.dedupe import Deduplicator, deduplicate
from rca.model import Event, FileStats
from rca.sources.files import FileSettings, read_file, read_paths
from rca.testing.events import make_event

EXAMPLES = max(200, settings.default.max_examples)
MTIME = 1796983200.0  # 2026-12-11T10:00:00Z


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    os.utime(path, (MTIME, MTIME))
    return path


def assert_accounting(stats: FileStats) -> None:
    total = stats.parsed + stats.unparsed + stats.continuation + stats.duplicates
    assert stats.lines_read == total, stats


def installer_line(second: int, message: str, level: str = "INFO") -> str:
    return f'2026-12-11T09:20:{second:02d}.000Z {level} txn=run-1 msg="{message}"\n'


def test_later_copy_dropped_and_reported() -> None:
    first = make_event("go: downloading x", clock="09:20:01", node="app-02")
    copy = make_event("go: downloading x", clock="09:20:01", node="app-02")
    reported: list[Event] = []

    kept = list(deduplicate([first, copy], reported.append))

    assert kept == [first]
    assert reported == [copy]


def test_other_node_time_or_text_kept() -> None:
    base = make_event("go: downloading x", clock="09:20:01", node="app-02")
    others = [
        make_event("go: downloading x", clock="09:20:01", node="app-03"),
        make_event("go: downloading x", clock="09:20:02", node="app-02"),
        make_event("go: downloading y", clock="09:20:01", node="app-02"),
    ]

    assert list(deduplicate([base, *others])) == [base, *others]


def test_untimed_records_never_dropped() -> None:
    lines = [make_event("done", clock=None), make_event("done", clock=None)]

    assert list(deduplicate(lines)) == lines


def test_written_time_stamp_is_compared() -> None:
    moved = make_event("building dlv", clock="09:20:05")
    moved.fields["original_timestamp"] = moved.timestamp
    assert moved.timestamp is not None
    moved.timestamp -= 30.0
    copy = make_event("building dlv", clock="09:20:05")

    assert list(deduplicate([moved, copy])) == [moved]


def test_deduplicate_streams_lazily() -> None:
    def endless() -> Iterator[Event]:
        for second in itertools.count():
            yield make_event("tick", clock=f"09:{second // 60 % 60:02d}:{second % 60:02d}")

    first_three = list(itertools.islice(deduplicate(endless()), 3))

    assert [event.message for event in first_three] == ["tick"] * 3


def test_deduplicator_counts_dropped() -> None:
    deduplicator = Deduplicator()
    event = make_event("x", clock="09:00:00")

    list(deduplicator.filter([event, event, event]))

    assert deduplicator.dropped == 2


@settings(max_examples=EXAMPLES, deadline=None)
@given(picks=st.lists(st.tuples(st.sampled_from(["a", "b"]), st.integers(0, 3),
                                st.sampled_from(["x", "y"])), max_size=30))
def test_output_has_each_record_once_in_input_order(picks: list[tuple[str, int, str]]) -> None:
    events = [make_event(text, clock=f"09:00:0{second}", node=node) for node, second, text in picks]
    dropped: list[Event] = []

    kept = list(deduplicate(events, dropped.append))

    keys = [(event.node, event.timestamp, event.raw) for event in kept]
    assert len(keys) == len(set(keys))
    assert set(keys) == {(event.node, event.timestamp, event.raw) for event in events}
    assert len(kept) + len(dropped) == len(events)
    assert [events.index(event) for event in kept] == sorted(events.index(event) for event in kept)


def test_rotated_files_share_records(tmp_path: Path) -> None:
    shared = "".join(installer_line(second, f"line {second}") for second in range(4, 8))
    write(tmp_path / "app-02" / "installer.log.1",
          installer_line(0, "run started") + installer_line(1, "go install") + shared)
    write(tmp_path / "app-02" / "installer.log", shared + installer_line(31, "failed", "ERROR"))

    events, stats = read_paths([tmp_path / "app-02"], FileSettings())
    by_path = {item.path: item for item in stats}

    assert [event.message for event in events] == [
        "line 4", "line 5", "line 6", "line 7", "failed", "run started", "go install"]
    assert by_path["app-02/installer.log"].duplicates == 0
    assert by_path["app-02/installer.log.1"].duplicates == 4
    assert by_path["app-02/installer.log.1"].parsed == 2
    for item in stats:
        assert_accounting(item)


def test_multiline_copy_counts_all_its_lines(tmp_path: Path) -> None:
    record = (installer_line(9, "step failed", "ERROR")
              + "Traceback (most recent call last):\n"
              + '  File "/opt/x.py", line 3, in run\n'
              + "OSError: [Errno 28] No space left on device\n")
    write(tmp_path / "app-02" / "installer.log", record + installer_line(10, "next") + record)

    events, stats = read_file(tmp_path / "app-02" / "installer.log")

    assert len(events) == 2
    assert stats.duplicates == 4
    assert stats.parsed == 2
    assert stats.continuation == 3
    assert_accounting(stats)


def export_entry(cursor: int, micros: int, message: bytes) -> bytes:
    fields = [b"__CURSOR=s=77ab;i=%x\n" % cursor, b"__REALTIME_TIMESTAMP=%d\n" % micros,
              b"_HOSTNAME=app-02\n", b"PRIORITY=3\n"]
    if b"\n" in message:
        fields.append(b"MESSAGE\n" + struct.pack("<Q", len(message)) + message + b"\n")
    else:
        fields.append(b"MESSAGE=" + message + b"\n")
    return b"".join(fields) + b"\n"


def test_journal_export_repeated_entries(tmp_path: Path) -> None:
    entries = [
        export_entry(1, 1796980800000000, b"run started"),
        export_entry(2, 1796980831931000, b"run failed\nstderr tail:\n  no space left on device"),
        export_entry(3, 1796980832000000, b"unit failed"),
    ]
    path = write(tmp_path / "app-02" / "journal.export", b"".join(entries) + b"".join(entries[1:]))

    events, stats = read_file(path)

    assert [event.message.splitlines()[0] for event in events] == [
        "run started", "run failed", "unit failed"]
    # Entry 2 has five field lines and three continuation lines, entry 3 five lines.
    assert stats.duplicates == 13
    assert_accounting(stats)


def test_journal_json_repeated_lines(tmp_path: Path) -> None:
    lines = [json.dumps({"__REALTIME_TIMESTAMP": str(1796980800000000 + index),
                         "_HOSTNAME": "app-02", "MESSAGE": f"entry {index}"}) + "\n"
             for index in range(5)]
    path = write(tmp_path / "app-02" / "journal.json", "".join(lines + lines[2:4]))

    events, stats = read_file(path)

    assert [event.message for event in events] == [f"entry {index}" for index in range(5)]
    assert stats.duplicates == 2
    assert_accounting(stats)


def test_identical_tool_output_lines_kept(tmp_path: Path) -> None:
    path = write(tmp_path / "app-02" / "go-install.out", "go: downloading x\ndone\ndone\n")

    events, stats = read_file(path)

    assert [event.message for event in events] == ["go: downloading x", "done", "done"]
    assert stats.duplicates == 0


def test_audit_event_copied_across_files(tmp_path: Path) -> None:
    records = ("type=SYSCALL msg=audit(1796980831.904:6201): arch=c000003e syscall=257 "
               "success=no exit=-13 pid=8127 comm=\"go\"\n"
               "type=PROCTITLE msg=audit(1796980831.904:6201): proctitle=676F\n")
    write(tmp_path / "app-02" / "audit.log", records)
    write(tmp_path / "app-02" / "audit.log.1", records)

    events, stats = read_paths([tmp_path / "app-02"], FileSettings())

    assert len(events) == 1
    assert [item.duplicates for item in stats] == [0, 2]
    for item in stats:
        assert_accounting(item)
