"""Choosing the timeline rows of a run and placing its events on node lanes."""

from __future__ import annotations

from rca.model import Level
from rca.report.timeline import (
    CONTEXT_AFTER,
    CONTEXT_BEFORE,
    ERROR_LIMIT,
    FULL_TIMELINE_LIMIT,
    build_lanes,
    find_event,
    select_timeline,
)

from .report_fixtures import avc_run, long_run, make_event


def test_short_run_shown_in_full() -> None:
    run = avc_run()

    selection = select_timeline(run.events, run.first_error)

    assert selection.indices == list(range(len(run.events)))
    assert selection.omitted == 0


def test_long_run_keeps_context_around_first_error() -> None:
    run = long_run(120)

    selection = select_timeline(run.events, run.first_error)

    around = list(range(60 - CONTEXT_BEFORE, 60 + CONTEXT_AFTER + 1))
    assert selection.indices == [0, *around, 119]
    assert selection.omitted == 120 - len(selection.indices)


def test_long_run_keeps_later_errors_up_to_limit() -> None:
    events = [make_event(float(i), "n", f"line {i}", line=i + 1) for i in range(200)]
    for i in range(100, 200, 2):
        events[i] = make_event(float(i), "n", f"error {i}", level=Level.ERROR, line=i + 1)

    selection = select_timeline(events, events[100])

    later_errors = [i for i in selection.indices if i > 100 + CONTEXT_AFTER and i != 199]
    assert len(later_errors) == ERROR_LIMIT
    assert later_errors == list(range(106, 106 + 2 * ERROR_LIMIT, 2))


def test_limit_boundary_shown_in_full() -> None:
    events = [make_event(float(i), "n", f"line {i}", line=i + 1)
              for i in range(FULL_TIMELINE_LIMIT)]

    assert select_timeline(events, None).omitted == 0


def test_long_run_without_first_error() -> None:
    events = [make_event(float(i), "n", f"line {i}", line=i + 1)
              for i in range(FULL_TIMELINE_LIMIT + 1)]

    assert select_timeline(events, None).indices == [0, FULL_TIMELINE_LIMIT]


def test_find_event_by_origin_when_copied() -> None:
    run = avc_run()
    copy = make_event(5.001, "node-b", "copy", path="node-b/audit/audit.log", line=118)

    assert find_event(run.events, copy) == 3


def test_lanes_follow_node_order() -> None:
    run = avc_run()

    chart = build_lanes(run.events, ["node-b", "node-a"], run.first_error)

    assert chart is not None
    assert [lane.node for lane in chart.lanes] == ["node-b", "node-a"]
    assert [lane.event_count for lane in chart.lanes] == [3, 3]


def test_lanes_mark_first_error() -> None:
    run = avc_run()

    chart = build_lanes(run.events, run.nodes, run.first_error)

    assert chart is not None
    first_marks = [mark for lane in chart.lanes for mark in lane.marks if mark.is_first_error]
    assert len(first_marks) == 1
    assert first_marks[0].position == chart.first_error_position == 83.35
    assert chart.lanes[1].has_first_error


def test_lanes_group_events_of_one_slot() -> None:
    events = [make_event(0.0, "n", "start", line=1)]
    events += [make_event(50.0 + i / 1000, "n", f"burst {i}", line=i + 2) for i in range(10)]
    events.append(make_event(50.005, "n", "failure", level=Level.ERROR, line=20))
    events.append(make_event(100.0, "n", "end", line=21))

    chart = build_lanes(events, ["n"], None)

    assert chart is not None
    burst = [mark for mark in chart.lanes[0].marks if mark.count > 1]
    assert len(burst) == 1
    assert burst[0].count == 11
    assert burst[0].level == Level.ERROR
    assert burst[0].message == "failure"


def test_lanes_skip_untimed_events() -> None:
    events = [make_event(0.0, "n", "a", line=1), make_event(None, "n", "b", line=2)]

    chart = build_lanes(events, ["n"], None)

    assert chart is not None
    assert chart.untimed_events == 1
    assert chart.lanes[0].marks[0].position == 50.0


def test_lanes_none_without_times() -> None:
    events = [make_event(None, "n", "a", line=1)]

    assert build_lanes(events, ["n"], None) is None
