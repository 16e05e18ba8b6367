"""Records of one file keep file order when the node's clock stepped back."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rca.model import Event, FileStats
from rca.sources.files import FileSettings, read_file
from rca.testing.events import at, make_event
from rca.timeorder import DEFAULT_TOLERANCE, restore_file_order

EXAMPLES = max(300, settings.default.max_examples)


def file_events(clocks: list[str | None], node: str = "app-01") -> list[Event]:
    return [make_event(f"record {index}", clock=clock, node=node, path="app-01/installer.log",
                       line=index + 1)
            for index, clock in enumerate(clocks)]


def times(events: list[Event]) -> list[float | None]:
    return [event.timestamp for event in events]


def test_ordered_file_unchanged() -> None:
    events = file_events(["09:00:00", "09:00:00.500", "09:00:02"])

    repairs = restore_file_order(events)

    assert times(events) == [at("09:00:00"), at("09:00:00.500"), at("09:00:02")]
    assert repairs.steps == []
    assert all("original_timestamp" not in event.fields for event in events)


def test_jitter_within_tolerance_unchanged() -> None:
    events = file_events(["09:00:01", "09:00:00.400", "09:00:02"])

    repairs = restore_file_order(events)

    assert times(events) == [at("09:00:01"), at("09:00:00.400"), at("09:00:02")]
    assert repairs.steps == []
    assert repairs.out_of_order == []


def test_step_moves_earlier_records_back() -> None:
    # The clock ran 90 s ahead until NTP stepped it at the third record.
    events = file_events(["09:01:30", "09:01:31", "09:00:02", "09:00:03"])

    repairs = restore_file_order(events)

    assert times(events) == [at("09:00:01"), at("09:00:02"), at("09:00:02"), at("09:00:03")]
    assert [event.fields.get("original_timestamp") for event in events] == [
        at("09:01:30"), at("09:01:31"), None, None]
    (step,) = repairs.steps
    assert (step.line, step.seconds, step.moved) == (3, pytest.approx(89.0), 2)


def test_two_steps_add_up() -> None:
    events = file_events(["09:10:00", "09:10:01", "09:05:00", "09:05:01", "09:00:00", "09:00:01"])

    repairs = restore_file_order(events)

    # Each step is measured from the latest record before it: 301 s, then 301 s.
    assert times(events) == [at("08:59:58"), at("08:59:59"), at("08:59:59"),
                             at("09:00:00"), at("09:00:00"), at("09:00:01")]
    assert len(repairs.steps) == 2


def test_late_single_record_gets_previous_time() -> None:
    events = file_events(["09:00:00", "09:00:01", "23:59:59", "09:00:02"])

    repairs = restore_file_order(events)

    assert times(events) == [at("09:00:00"), at("09:00:01"), at("09:00:01"), at("09:00:02")]
    assert repairs.out_of_order == [events[2]]
    assert events[2].fields["original_timestamp"] == at("23:59:59")
    assert repairs.steps == []


def test_late_record_before_step_is_not_the_step() -> None:
    events = file_events(["09:00:30", "23:59:59", "09:00:00", "09:00:01"])

    repairs = restore_file_order(events)

    assert times(events) == [at("09:00:00"), at("09:00:00"), at("09:00:00"), at("09:00:01")]
    assert repairs.out_of_order == [events[1]]
    assert [(step.line, step.seconds) for step in repairs.steps] == [(3, 30.0)]


def test_gap_then_step_is_a_step() -> None:
    # A quiet minute, then the clock stepped back by 30 s: the quiet minute is no jump.
    events = file_events(["09:00:00", "09:01:00", "09:00:30", "09:00:31"])

    repairs = restore_file_order(events)

    assert times(events) == [at("08:59:30"), at("09:00:30"), at("09:00:30"), at("09:00:31")]
    assert repairs.out_of_order == []


def test_early_single_record_gets_previous_time() -> None:
    events = file_events(["09:00:00", "09:00:01", "00:00:00", "09:00:02"])

    repairs = restore_file_order(events)

    assert times(events) == [at("09:00:00"), at("09:00:01"), at("09:00:01"), at("09:00:02")]
    assert repairs.out_of_order == [events[2]]
    assert repairs.steps == []


def test_early_last_record_is_not_a_step() -> None:
    events = file_events(["09:00:00", "09:00:01", "08:00:00"])

    repairs = restore_file_order(events)

    assert times(events) == [at("09:00:00"), at("09:00:01"), at("09:00:01")]
    assert repairs.steps == []


def test_records_without_time_left_alone() -> None:
    events = file_events(["09:01:30", None, "09:00:00", "09:00:01"])

    restore_file_order(events)

    assert events[1].timestamp is None
    assert "original_timestamp" not in events[1].fields


def test_nodes_of_a_shared_file_checked_apart() -> None:
    # A central syslog file: each node's clock is consistent on its own.
    events = [make_event("a", clock="09:00:10", node="app-01"),
              make_event("b", clock="09:00:02", node="app-02"),
              make_event("c", clock="09:00:11", node="app-01"),
              make_event("d", clock="09:00:03", node="app-02")]

    repairs = restore_file_order(events)

    assert repairs.steps == []
    assert repairs.out_of_order == []
    assert times(events) == [at("09:00:10"), at("09:00:02"), at("09:00:11"), at("09:00:03")]


@settings(max_examples=EXAMPLES, deadline=None)
@given(offsets=st.lists(st.one_of(st.none(), st.floats(-3600, 3600, allow_nan=False)),
                        max_size=40))
def test_repaired_times_sort_in_file_order(offsets: list[float | None]) -> None:
    base = at("09:00:00")
    events = [make_event(f"r{index}", clock=None, line=index + 1)
              for index in range(len(offsets))]
    for event, offset in zip(events, offsets, strict=True):
        event.timestamp = None if offset is None else base + offset

    restore_file_order(events)

    # No record is more than the tolerance earlier than a record before it in
    # the file, so sorting by time moves records by less than the tolerance.
    timed = [event.timestamp for event in events if event.timestamp is not None]
    for index, moment in enumerate(timed):
        assert moment >= max(timed[:index + 1]) - DEFAULT_TOLERANCE
    for event, offset in zip(events, offsets, strict=True):
        written = event.fields.get("original_timestamp", event.timestamp)
        assert written == (None if offset is None else base + offset)


def write_log(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    moment = dt.datetime(2026, 12, 11, 10, tzinfo=dt.UTC).timestamp()
    os.utime(path, (moment, moment))
    return path


STEPPED_LOG = """\
2026-12-11T09:01:30.000Z INFO txn=run-1 msg="run started"
2026-12-11T09:01:31.000Z INFO txn=run-1 msg="go install"
2026-12-11T09:00:02.000Z INFO txn=run-1 msg="chronyd stepped the clock"
2026-12-11T09:00:03.000Z ERROR txn=run-1 msg="run failed"
"""


def test_files_source_counts_clock_steps(tmp_path: Path) -> None:
    events, stats = read_file(write_log(tmp_path / "app-01" / "installer.log", STEPPED_LOG))

    assert stats.clock_steps == 1
    assert stats.warnings == [
        "the clock stepped back 1 time(s), first on app-01 by 89.000 s at line 3, so the "
        "records before each step were moved back by the size of the step"]
    assert [event.message for event in sorted(events, key=Event.sort_key)] == [
        "run started", "go install", "chronyd stepped the clock", "run failed"]
    assert_accounting(stats)


def test_files_source_tolerance_setting(tmp_path: Path) -> None:
    path = write_log(tmp_path / "app-01" / "installer.log", STEPPED_LOG)

    _, stats = read_file(path, settings=FileSettings(clock_step_tolerance=120.0))

    assert stats.clock_steps == 0
    assert stats.warnings == []


def assert_accounting(stats: FileStats) -> None:
    total = stats.parsed + stats.unparsed + stats.continuation + stats.duplicates
    assert stats.lines_read == total, stats
