"""Keep the records of one file in file order when its clock stepped backwards.

A node's clock can jump back in the middle of a file: NTP or chrony steps a
clock that ran ahead, or an operator sets it by hand. Sorted by time, the
records after the step would land before the records written just ahead of
them. Records are checked per node in file order. A record more than the
tolerance (`DEFAULT_TOLERANCE`, 1 s) earlier than the latest record before it is
one of three cases:

* a clock step, when the record after it is also that far back: the clock
  stayed on the new time. Every earlier record of the node in the file is moved
  back by the step, so the whole file reads on the clock it had at its end.
  After an NTP step that is the synchronized clock, and it matches the other
  files of the node written after the step. `FileStats.clock_steps` counts it.
* a single late record (the record before it jumped ahead and this one is back
  in line, such as a line stamped 23:59 among 09:00 lines): the late record
  gets the time of the record before it.
* a single early record (the record after it is back on the old clock, such as
  a line stamped 00:00 among 09:00 lines, or the last record of the file): it
  gets the time of the record before it.

A moved record keeps its stamp in ``fields["original_timestamp"]``; records
without a time stamp are left alone. Equal times sort by sequence, which is file
order. Afterwards no record is more than the tolerance earlier than a record
before it in its file, so sorting by time keeps file order except for records
that were already that close.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from rca.model import Event

log = logging.getLogger(__name__)

# Writers that share a file (several processes logging to syslog, audit records
# from user space) leave records out of order by milliseconds. Only a larger
# backward jump is a clock step.
DEFAULT_TOLERANCE = 1.0


@dataclass(frozen=True, slots=True)
class ClockStep:
    """A backward step of a node's clock inside one file."""

    node: str
    line: int | None
    seconds: float
    moved: int
    """Records before the step, all moved back by `seconds`."""


@dataclass(slots=True)
class TimeRepairs:
    """The repairs `restore_file_order` made in one file."""

    steps: list[ClockStep] = field(default_factory=list)
    out_of_order: list[Event] = field(default_factory=list)
    """Single records that got the time of the record before them."""


def restore_file_order(events: Sequence[Event],
                       tolerance: float = DEFAULT_TOLERANCE) -> TimeRepairs:
    """Repair backward clock jumps in the events of one file, given in file order, in place."""
    repairs = TimeRepairs()
    by_node: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        if event.timestamp is not None:
            by_node[event.node].append(event)
    for node, node_events in by_node.items():
        _repair_node(node, node_events, tolerance, repairs)
    if repairs.steps or repairs.out_of_order:
        log.debug("%d clock steps and %d records out of time order repaired",
                  len(repairs.steps), len(repairs.out_of_order))
    return repairs


def _repair_node(node: str, events: list[Event], tolerance: float,
                 repairs: TimeRepairs) -> None:
    stamps = [event.timestamp for event in events if event.timestamp is not None]
    cleaned = list(stamps)
    isolated = [False] * len(stamps)
    steps: dict[int, float] = {}
    segment_start = 0
    # highs[i]: the latest time among the records of the current clock segment up
    # to record i. A record is compared with it, not only with the record before,
    # so that a run of small backward jumps cannot add up unnoticed.
    highs = list(stamps[:1])

    # First pass, forward: classify each backward jump, and give a single record
    # out of order the time of its neighbour.
    for index in range(1, len(stamps)):
        high = highs[index - 1]
        current = stamps[index]
        if current >= high - tolerance:
            highs.append(max(high, current))
            continue
        if index - 1 > segment_start and _previous_was_late(index, cleaned, highs, tolerance):
            cleaned[index - 1] = cleaned[index - 2]
            isolated[index - 1] = True
            highs[index - 1] = high = highs[index - 2]
            if current >= high - tolerance:
                highs.append(max(high, current))
                continue
        last = index + 1 == len(stamps)
        if last or stamps[index + 1] >= high - tolerance:
            cleaned[index] = cleaned[index - 1]
            isolated[index] = True
            highs.append(high)
            continue
        # A step: every record of the segment before it must end up no later than
        # this one, so the step is measured from the segment's latest record.
        steps[index] = high - current
        segment_start = index
        highs.append(current)

    # Second pass, backward: move each record back by the sum of the steps after it.
    # NOTE: stamps without a zone, read in a zone with daylight saving time, repeat
    # an hour when the clocks go back. That hour is read once, so the repeat looks
    # like a one-hour step.
    shift = 0.0
    for index in range(len(stamps) - 1, -1, -1):
        repaired = cleaned[index] - shift
        event = events[index]
        if repaired != stamps[index]:
            event.fields.setdefault("original_timestamp", stamps[index])
            event.timestamp = repaired
        shift += steps.get(index, 0.0)

    repairs.out_of_order.extend(event for event, moved in zip(events, isolated, strict=True)
                                if moved)
    for index, seconds in sorted(steps.items()):
        repairs.steps.append(ClockStep(node, events[index].origin.line, seconds, index))


def _previous_was_late(index: int, cleaned: list[float], highs: list[float],
                       tolerance: float) -> bool:
    """True when the record before `index` jumped ahead alone.

    It did when it is later than every record before it by more than the
    tolerance, and this record is nearer in time to those records than to the
    jump: the clock never got to the time of the jump. A quiet minute followed by
    a step back of a few seconds is a step, not a jump ahead.
    """
    before = highs[index - 2]
    jumped, current = cleaned[index - 1], cleaned[index]
    return jumped > before + tolerance and current - before < jumped - current
