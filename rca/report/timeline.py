"""Choose which events of a run to show, and place them on one time lane per node.

A failed run can hold thousands of events. The report shows the errors, the
events just before and after the first error, and the run's first and last
events, and states how many it left out between them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from rca.model import Event, Level

# A run with at most this many events is shown in full.
FULL_TIMELINE_LIMIT: Final = 40
# Events shown before and after the first error.
CONTEXT_BEFORE: Final = 8
CONTEXT_AFTER: Final = 5
# Error events shown besides the first error; later ones count as omitted.
ERROR_LIMIT: Final = 20
# Time slots per lane in the HTML chart: events falling into one slot share a mark.
LANE_SLOTS: Final = 200


@dataclass(frozen=True, slots=True)
class TimelineSelection:
    """The positions of the events to show, in event order, out of `total` events."""

    indices: list[int]
    total: int

    @property
    def omitted(self) -> int:
        return self.total - len(self.indices)


def select_timeline(events: Sequence[Event], first_error: Event | None) -> TimelineSelection:
    """Pick the events of a run to show in its timeline.

    All events are kept when there are at most `FULL_TIMELINE_LIMIT`. Otherwise the
    selection keeps the first and last event, the first error with
    `CONTEXT_BEFORE` events before it and `CONTEXT_AFTER` after it, and up to
    `ERROR_LIMIT` further error events in time order.
    """
    total = len(events)
    if total <= FULL_TIMELINE_LIMIT:
        return TimelineSelection(indices=list(range(total)), total=total)

    chosen = {0, total - 1}
    first_index = find_event(events, first_error)
    if first_index is not None:
        low = max(first_index - CONTEXT_BEFORE, 0)
        high = min(first_index + CONTEXT_AFTER, total - 1)
        chosen.update(range(low, high + 1))

    errors_added = 0
    for index, event in enumerate(events):
        if errors_added >= ERROR_LIMIT:
            break
        if event.is_error and index not in chosen:
            chosen.add(index)
            errors_added += 1

    return TimelineSelection(indices=sorted(chosen), total=total)


def find_event(events: Sequence[Event], wanted: Event | None) -> int | None:
    """Return the position of `wanted` in `events`: the same object, else the same origin."""
    if wanted is None:
        return None
    for index, event in enumerate(events):
        if event is wanted:
            return index
    for index, event in enumerate(events):
        if event.origin == wanted.origin and event.sequence == wanted.sequence:
            return index
    return None


@dataclass(slots=True)
class LaneMark:
    """One mark on a node's lane: a single event, or the events of one time slot."""

    position: float
    level: Level
    count: int
    first_timestamp: float
    message: str
    is_first_error: bool = False


@dataclass(slots=True)
class Lane:
    """The marks of one node, positioned in percent of the run's time span."""

    node: str
    marks: list[LaneMark] = field(default_factory=list)
    event_count: int = 0
    has_first_error: bool = False


@dataclass(frozen=True, slots=True)
class LaneChart:
    """One lane per node over a common time axis, with the first error's position."""

    lanes: list[Lane]
    start: float
    end: float
    first_error_position: float | None
    untimed_events: int


def build_lanes(
    events: Sequence[Event], nodes: Sequence[str], first_error: Event | None
) -> LaneChart | None:
    """Place the run's events on one lane per node, or return None when no event has a time.

    Events of one node that fall into the same of `LANE_SLOTS` slots share one mark,
    which takes the highest level among them. The first error always gets its own mark.
    """
    timed = [event for event in events if event.timestamp is not None]
    if not timed:
        return None

    times = [event.timestamp for event in timed if event.timestamp is not None]
    start = min(times)
    end = max(times)
    span = end - start

    def position(timestamp: float) -> float:
        return 50.0 if span <= 0 else round(100.0 * (timestamp - start) / span, 2)

    lane_order = list(nodes) + sorted({event.node for event in timed} - set(nodes))
    lanes = {node: Lane(node=node) for node in lane_order}
    slots: dict[tuple[str, int], LaneMark] = {}
    first_index = find_event(events, first_error)

    for index, event in enumerate(events):
        if event.timestamp is None:
            continue
        lane = lanes[event.node]
        lane.event_count += 1
        timestamp = event.timestamp
        if index == first_index:
            lane.has_first_error = True
            lane.marks.append(
                LaneMark(position(timestamp), event.level, 1, timestamp, event.message, True)
            )
            continue
        slot = 0 if span <= 0 else min(int(LANE_SLOTS * (timestamp - start) / span), LANE_SLOTS - 1)
        mark = slots.get((event.node, slot))
        if mark is None:
            mark = LaneMark(position(timestamp), event.level, 0, timestamp, event.message)
            slots[(event.node, slot)] = mark
            lane.marks.append(mark)
        mark.count += 1
        if event.level > mark.level:
            mark.level = event.level
            mark.message = event.message

    first_position = None
    if first_index is not None and first_error is not None and first_error.timestamp is not None:
        first_position = position(first_error.timestamp)

    return LaneChart(
        lanes=[lanes[node] for node in lane_order if lanes[node].event_count],
        start=start,
        end=end,
        first_error_position=first_position,
        untimed_events=len(events) - len(timed),
    )

