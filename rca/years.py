"""Check the inferred years of syslog records against dated records of the same node.

Traditional syslog stamps (``Dec  3 01:17:01``) have no year. The syslog parser
takes it from the file's modification time (`rca.parsers.timestamps.SyslogClock`),
which is right when the file was copied with its times kept. A copy made with
``scp`` or ``cp`` without ``-p``, an archive that stores no times, or a checkout
from version control gives the file the time of the copy instead. A copy made a
year later then puts every record a year off.

The modification time is trusted when the file's last record lies at most
`MTIME_SLACK_SECONDS` before it (and not after it), because then the file was
last written at that time. Otherwise the file's records are compared with the records
of the same node that carry a full date (installer lines, journal entries,
audit records), or, when the node has none, with every dated record read. The
file's years are shifted by the whole number of years that brings its records
closest to the dated ones; when the shift changes nothing, the years stay.
Shifting every record of a file by the same number of years keeps the
December-to-January rollovers that `SyslogClock` found inside the file.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from rca.model import Event

log = logging.getLogger(__name__)

# How long a file's modification time may follow its last record and still be
# the time of that write: rsyslog flushes within seconds, and a quiet node may
# write nothing for hours.
MTIME_SLACK_SECONDS = 2 * 86400.0
_YEAR_SECONDS = 365.2425 * 86400.0


@dataclass(frozen=True, slots=True)
class YearShift:
    """Years added to the inferred stamps of one file's records of one node."""

    path: str
    node: str
    years: int
    count: int
    reference: str
    """``node`` when the node's own dated records decided, ``incident`` otherwise."""


def anchor_years(events: Sequence[Event], modification_times: Mapping[str, float],
                 zone_for: Callable[[str], dt.tzinfo]) -> list[YearShift]:
    """Shift the inferred years of files whose modification time is not trusted, in place.

    `modification_times` maps an origin path to its file's modification time;
    `zone_for` gives a node's time zone, in which the stamps were read.
    """
    dated: dict[str, list[float]] = defaultdict(list)
    inferred: dict[tuple[str, str], list[Event]] = defaultdict(list)
    for event in events:
        if event.timestamp is None:
            continue
        if event.fields.get("year_inferred"):
            inferred[(event.origin.path, event.node)].append(event)
        else:
            dated[event.node].append(event.timestamp)
    if not inferred or not dated:
        return []

    node_spans = {node: (min(times), max(times)) for node, times in dated.items()}
    incident_span = (min(low for low, _ in node_spans.values()),
                     max(high for _, high in node_spans.values()))
    shifts = []
    for (path, node), file_events in inferred.items():
        stamps = [event.timestamp for event in file_events if event.timestamp is not None]
        if _mtime_trusted(max(stamps), modification_times.get(path)):
            continue
        reference = "node" if node in node_spans else "incident"
        span = node_spans.get(node, incident_span)
        years = _best_shift((min(stamps), max(stamps)), span)
        if years and _shift_events(file_events, years, zone_for(node)):
            shifts.append(YearShift(path, node, years, len(file_events), reference))
            log.info("%s: moved %d records of %s by %+d years to match its dated records",
                     path, len(file_events), node or "no node", years)
    return shifts


def _mtime_trusted(last_record: float, mtime: float | None) -> bool:
    if mtime is None:
        return False
    return 0.0 <= mtime - last_record <= MTIME_SLACK_SECONDS


def _best_shift(inferred: tuple[float, float], dated: tuple[float, float]) -> int:
    """Return the whole number of years that brings `inferred` closest to `dated`.

    Ties go to the smaller shift, so a file that already overlaps stays.
    """
    center = (dated[0] + dated[1] - inferred[0] - inferred[1]) / 2
    guess = round(center / _YEAR_SECONDS)
    candidates = sorted({0, guess - 1, guess, guess + 1}, key=abs)
    return min(candidates, key=lambda years: _gap(inferred, dated, years * _YEAR_SECONDS))


def _gap(span: tuple[float, float], other: tuple[float, float], offset: float) -> float:
    low, high = span[0] + offset, span[1] + offset
    return max(0.0, other[0] - high, low - other[1])


def _shift_events(events: list[Event], years: int, zone: dt.tzinfo) -> bool:
    """Move each stamp by `years` calendar years in `zone`; False if a date does not exist.

    A 29 February that the shift moves into a year without one leaves every stamp
    of the file as it was. A stamp that `rca.timeorder` moved keeps its written
    stamp in ``fields["original_timestamp"]``, which moves by the same years.
    """
    moves: list[tuple[Event, str, float]] = []
    for event in events:
        for key, value in (("timestamp", event.timestamp),
                           ("original_timestamp", event.fields.get("original_timestamp"))):
            if not isinstance(value, float):
                continue
            moved = _shift_stamp(value, years, zone)
            if moved is None:
                return False
            moves.append((event, key, moved))
    for event, key, moved in moves:
        if key == "timestamp":
            event.timestamp = moved
        else:
            event.fields[key] = moved
    return True


def _shift_stamp(timestamp: float, years: int, zone: dt.tzinfo) -> float | None:
    moment = dt.datetime.fromtimestamp(timestamp, zone)
    try:
        return moment.replace(year=moment.year + years).timestamp()
    except ValueError:
        return None
